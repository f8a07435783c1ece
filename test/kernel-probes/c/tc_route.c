// A tc program that looks the IPv4 destination up in a route table (an LPM
// trie), rewrites the destination address with skb_store_bytes, fixes the IP
// checksum with csum_diff, and counts what it did in an array.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct route_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct route_key);
	__type(value, __u32);
} routes SEC(".maps");

enum { ROUTED, UNROUTED, NOT_IP, BAD, LAST_CSUM, COUNTERS };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 what, __u64 by)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &what);

	if (c)
		__sync_fetch_and_add(c, by);
}

SEC("tc")
int tc_route(struct __sk_buff *skb)
{
	struct iphdr ip;
	struct route_key key;
	__u32 *to, old, new;
	__s64 sum;
	__u16 csum;

	if (skb->protocol != bpf_htons(ETH_P_IP)) {
		count(NOT_IP, 1);
		return TC_ACT_OK;
	}
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)) < 0) {
		count(BAD, 1);
		return TC_ACT_SHOT;
	}
	key.prefixlen = 32;
	key.addr = ip.daddr;
	to = bpf_map_lookup_elem(&routes, &key);
	if (!to) {
		count(UNROUTED, 1);
		return TC_ACT_OK;
	}
	old = ip.daddr;
	new = *to;
	sum = bpf_csum_diff(&old, 4, &new, 4, ~ip.check & 0xffff);
	if (sum < 0) {
		count(BAD, 1);
		return TC_ACT_SHOT;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	csum = ~sum;
	count(LAST_CSUM, csum);
	if (bpf_skb_store_bytes(skb, ETH_HLEN + 16, &new, 4, 0) < 0 ||
	    bpf_skb_store_bytes(skb, ETH_HLEN + 10, &csum, 2, 0) < 0) {
		count(BAD, 1);
		return TC_ACT_SHOT;
	}
	count(ROUTED, 1);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
