// rule: callback.for_each_map_elem
// prog: walk
// expect: accept
// twin: c/callback-each-ret-bad.c
// what: the callback returns 1 (stop)
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
	return 1;
}

SEC("socket")
int walk(struct __sk_buff *skb)
{
	bpf_for_each_map_elem(&vals, visit, 0, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
