// rule: pkt.range
// prog: ip_ttl
// expect: accept
// twin: c/xdp-ip-bad.c
// what: the IP header checked up to and past ttl
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
	if ((void *)ip + sizeof(*ip) > data_end)
		return XDP_DROP;
	return ip->ttl > 1 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
