// rule: callback.for_each_map_elem
// prog: sum_all
// expect: accept
// twin: c/callback-each-bad.c
// what: a for_each_map_elem callback reads value[1] of long[2]
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, long[2]);
} counts SEC(".maps");

static long visit(void *map, __u32 *key, long *value, long *total)
{
	*total += value[1];
	return 0;
}

SEC("socket")
int sum_all(struct __sk_buff *skb)
{
	long total = 0;
	bpf_for_each_map_elem(&counts, visit, &total, 0);
	return total & 1;
}

char LICENSE[] SEC("license") = "GPL";
