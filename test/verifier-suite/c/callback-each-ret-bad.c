// rule: callback.for_each_map_elem
// prog: walk
// expect: reject
// reason: At callback return the register R0 has smin=7 smax=7 should have been in [0, 1]
// errno: EINVAL
// twin: c/callback-each-ret-ok.c
// what: the callback returns 7
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, long);
} vals SEC(".maps");

static long visit(void *map, __u32 *key, long *value, void *ctx)
{
	return 7;
}

SEC("socket")
int walk(struct __sk_buff *skb)
{
	bpf_for_each_map_elem(&vals, visit, 0, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
