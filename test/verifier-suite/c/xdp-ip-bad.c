// rule: pkt.range
// prog: ip_ttl
// expect: reject
// reason: R2 offset is outside of the packet
// errno: EACCES
// twin: c/xdp-ip-ok.c
// what: the check covers 8 bytes of the IP header, ttl is byte 8
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <linux/if_ether.h>
#include <linux/ip.h>

SEC("xdp")
int ip_ttl(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if ((void *)ip + 8 > data_end)
		return XDP_DROP;
	return ip->ttl > 1 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
