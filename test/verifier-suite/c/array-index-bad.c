// rule: map.value-bounds
// prog: pick
// expect: reject
// reason: R0 unbounded memory access, make sure to bounds check any such access
// errno: EACCES
// twin: c/array-index-ok.c
// what: the index is used unchecked
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32[16]);
} table SEC(".maps");

SEC("socket")
int pick(struct __sk_buff *skb)
{
	__u32 zero = 0;
	__u32 *t = bpf_map_lookup_elem(&table, &zero);
	if (!t)
		return 0;
	__u32 i = skb->mark;

	return t[i];
}

char LICENSE[] SEC("license") = "GPL";
