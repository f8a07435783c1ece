// An XDP program that keeps per-protocol and per-source statistics, remembers
// UDP destination ports once each, and sends an event per IPv4 packet.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} by_proto SEC(".maps");

struct src_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct src_stats);
} by_source SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__type(key, __u16);
	__type(value, __u32);
} udp_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct event {
	__u32 saddr;
	__u32 daddr;
	__u16 len;
	__u8 proto;
	__u8 first_seen;
};

SEC("xdp")
int xdp_stats(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct src_stats zero = {}, *st;
	struct event *ev;
	__u32 proto;
	__u64 *count;
	__u8 first = 0;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	proto = ip->protocol;
	count = bpf_map_lookup_elem(&by_proto, &proto);
	if (count)
		*count += 1;
	st = bpf_map_lookup_elem(&by_source, &ip->saddr);
	if (!st) {
		bpf_map_update_elem(&by_source, &ip->saddr, &zero, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&by_source, &ip->saddr);
		if (!st)
			return XDP_ABORTED;
	}
	__sync_fetch_and_add(&st->packets, 1);
	__sync_fetch_and_add(&st->bytes, end - data);
	if (proto == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip + 1);
		__u32 one = 1;
		__u16 port;

		if ((void *)(udp + 1) > end)
			return XDP_DROP;
		port = bpf_ntohs(udp->dest);
		first = bpf_map_update_elem(&udp_ports, &port, &one, BPF_NOEXIST) == 0;
	}
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev)
		return XDP_PASS;
	ev->saddr = ip->saddr;
	ev->daddr = ip->daddr;
	ev->len = end - data;
	ev->proto = proto;
	ev->first_seen = first;
	bpf_ringbuf_submit(ev, 0);
	return proto == IPPROTO_TCP ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
