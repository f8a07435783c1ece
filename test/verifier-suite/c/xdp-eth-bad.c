// rule: pkt.range
// prog: eth_proto
// expect: reject
// reason: R1 offset is outside of the packet
// errno: EACCES
// twin: c/xdp-eth-ok.c
// what: h_proto is read with no check
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <linux/if_ether.h>

SEC("xdp")
int eth_proto(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	(void)data_end;
	return eth->h_proto == 0x0008 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
