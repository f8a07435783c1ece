// An XDP program that puts an 8-byte tag in front of the Ethernet header
// (xdp_adjust_head), trims the trailing 4 bytes (xdp_adjust_tail), and keeps
// the tag it wrote, per packet length, in a hash.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} tags SEC(".maps");

SEC("xdp")
int xdp_encap(struct xdp_md *ctx)
{
	void *data, *end;
	__u64 tag;
	__u32 len;

	if (bpf_xdp_adjust_head(ctx, -8))
		return XDP_ABORTED;
	if (bpf_xdp_adjust_tail(ctx, -4))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + 8 + 14 > end)
		return XDP_DROP;
	len = end - data;
	tag = 0x7a67000000000000ULL | ((__u64)len << 32) | *(__u32 *)(data + 8 + 6);
	*(__u64 *)data = tag;
	bpf_map_update_elem(&tags, &len, &tag, BPF_ANY);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
