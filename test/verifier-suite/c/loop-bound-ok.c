// rule: loop.bounded
// prog: total
// expect: accept
// twin: c/loop-bound-bad.c
// what: the loop count from skb->len is capped at 64
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32[64]);
} hist SEC(".maps");

SEC("socket")
int total(struct __sk_buff *skb)
{
	__u32 zero = 0, sum = 0;
	__u32 *h = bpf_map_lookup_elem(&hist, &zero);
	if (!h)
		return 0;
	__u32 n = skb->len;
	if (n > 64)
		n = 64;
	for (__u32 i = 0; i < n; i++)
		sum += h[i & 63];
	return sum;
}

char LICENSE[] SEC("license") = "GPL";
