// A socket filter that pushes the bytes of the IPv4 header into a queue and a
// stack, two at a time, then pops a few back into an array: the order each
// gives them back in.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 6);
	__type(value, __u16);
} fifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 6);
	__type(value, __u16);
} lifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} popped SEC(".maps");

SEC("socket")
int queue_stack(struct __sk_buff *skb)
{
	__u16 words[10];
	__u32 i, full = 0;

	if (bpf_skb_load_bytes(skb, 0, words, sizeof(words)) < 0)
		return 0;
	for (i = 0; i < 10; i++) {
		if (bpf_map_push_elem(&fifo, &words[i], 0) < 0)
			full++;
		bpf_map_push_elem(&lifo, &words[i], i & 1 ? BPF_EXIST : 0);
	}
	for (i = 0; i < 4; i++) {
		__u16 v = 0;
		__u32 out;
		long err;

		if (i & 1)
			err = bpf_map_pop_elem(&lifo, &v);
		else
			err = bpf_map_pop_elem(&fifo, &v);
		out = err == 0 ? v : 0xffffffff;
		bpf_map_update_elem(&popped, &i, &out, 0);
	}
	return full;
}

char LICENSE[] SEC("license") = "GPL";
