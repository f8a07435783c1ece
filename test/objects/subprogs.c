// SPDX-License-Identifier: GPL-2.0
/*
 * Code layout: several programs in one section, sub-programs in .text (static
 * __noinline ones, verified with their caller's context, and global ones,
 * verified on their own from their BTF prototype), bpf-to-bpf calls including
 * a call chain, callbacks passed by address (ld_imm64 of a function) to
 * bpf_loop and bpf_for_each_map_elem, and tail calls through a program array
 * filled at run time.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} values SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} tail_calls SEC(".maps");

/* static sub-programs: the verifier checks them in their caller's state */
static __noinline __u64 mix(__u64 a, __u64 b)
{
	return (a * 31) ^ (b + 7);
}

static __noinline __u64 mix3(__u64 a, __u64 b, __u64 c)
{
	return mix(mix(a, b), c); /* a call from a sub-program */
}

/* a global sub-program: verified once, alone, from its BTF prototype */
__noinline int clamp_len(int len, int lo, int hi)
{
	if (len < lo)
		return lo;
	if (len > hi)
		return hi;
	return len;
}

/* a global sub-program taking the context */
__noinline int skb_len_plus(struct __sk_buff *skb, int extra)
{
	if (!skb)
		return 0;
	return skb->len + extra;
}

struct loop_ctx {
	__u64 sum;
	__u32 limit;
};

/* bpf_loop callback: return 1 to stop early */
static int add_index(__u32 index, struct loop_ctx *c)
{
	c->sum += index;
	return index >= c->limit;
}

/* bpf_for_each_map_elem callback */
static __u64 sum_elem(void *map, __u32 *key, __u64 *val, struct loop_ctx *c)
{
	c->sum += *val + *key;
	return 0;
}

SEC("xdp")
int xdp_mix(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;

	return mix3(len, ctx->ingress_ifindex, 3) & 1 ? XDP_PASS : XDP_DROP;
}

/* a second program in the same section */
SEC("xdp")
int xdp_clamp(struct xdp_md *ctx)
{
	int len = ctx->data_end - ctx->data;

	return clamp_len(len, ETH_HLEN, 1500) == len ? XDP_PASS : XDP_DROP;
}

SEC("socket")
int loop_sum(struct __sk_buff *skb)
{
	struct loop_ctx c = { .sum = 0, .limit = 10 };

	bpf_loop(100, add_index, &c, 0);
	return c.sum + skb_len_plus(skb, 1);
}

SEC("socket")
int map_sum(struct __sk_buff *skb)
{
	struct loop_ctx c = {};
	__u32 key = 1;
	__u64 v = skb->len;

	bpf_map_update_elem(&values, &key, &v, BPF_ANY);
	bpf_for_each_map_elem(&values, sum_elem, &c, 0);
	return c.sum & 0xffff;
}

SEC("socket")
int tail_caller(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &tail_calls, 0);
	bpf_tail_call(skb, &tail_calls, 1);
	return mix(skb->len, 0) & 0xff; /* no program installed */
}

SEC("socket")
int tail_target(struct __sk_buff *skb)
{
	return clamp_len(skb->len, 0, 100);
}

char LICENSE[] SEC("license") = "GPL";
