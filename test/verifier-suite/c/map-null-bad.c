// rule: null.map-lookup
// prog: count
// expect: reject
// reason: R0 invalid mem access 'map_value_or_null'
// errno: EACCES
// twin: c/map-null-ok.c
// what: the lookup result is used unchecked
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

SEC("socket")
int count(struct __sk_buff *skb)
{
	__u32 key = skb->protocol;
	__u64 *n = bpf_map_lookup_elem(&seen, &key);

	__sync_fetch_and_add(n, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
