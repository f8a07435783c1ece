// SPDX-License-Identifier: GPL-2.0
/*
 * One small, realistic program for each program type tsbpf runs: socket
 * filter, XDP, tc (both section spellings), tracepoint (both spellings),
 * raw tracepoint, kprobe/kretprobe (through bpf_tracing.h's macros, built
 * with -D__TARGET_ARCH_x86) and perf_event; and one SEC("?xdp") program
 * that libbpf leaves out of the load unless asked.
 */
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <asm/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline void hit(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&hits, &slot);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* socket filter: keep the first 64 bytes of IPv4 packets, drop others */
SEC("socket")
int sock_ipv4_snap(struct __sk_buff *skb)
{
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 0;
	hit(0);
	return skb->len < 64 ? skb->len : 64;
}

/* XDP: drop UDP to port 9 (discard), pass everything else */
SEC("xdp")
int xdp_drop_discard(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	__u16 *ports;

	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return XDP_PASS;
	ports = (void *)(ip + 1);
	if ((void *)(ports + 2) > data_end)
		return XDP_PASS;
	if (ports[1] == bpf_htons(9)) {
		hit(1);
		return XDP_DROP;
	}
	return XDP_PASS;
}

/* "?": libbpf opens this program but loads it only if the application asks */
SEC("?xdp")
int xdp_optional(struct xdp_md *ctx)
{
	return ctx->rx_queue_index == 0 ? XDP_PASS : XDP_DROP;
}

/* tc classifier: mark IPv4 packets by their TOS byte */
SEC("tc")
int tc_mark_tos(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);

	if ((void *)(ip + 1) > data_end || skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	skb->mark = ip->tos;
	hit(2);
	return TC_ACT_OK;
}

/* the legacy spelling of the same program type */
SEC("classifier")
int tc_legacy_name(struct __sk_buff *skb)
{
	return skb->len > 1500 ? TC_ACT_SHOT : TC_ACT_OK;
}

/* The record of syscalls:sys_enter_* as its format file describes it. */
struct sys_enter_args {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	long id;
	unsigned long args[6];
};

SEC("tracepoint/syscalls/sys_enter_openat")
int tp_openat(struct sys_enter_args *ctx)
{
	char path[32];

	if (bpf_probe_read_user_str(path, sizeof(path), (void *)ctx->args[1]) > 0 && path[0] == '/')
		hit(3);
	return 0;
}

SEC("tp/syscalls/sys_enter_close")
int tp_close(struct sys_enter_args *ctx)
{
	if ((int)ctx->args[0] < 0)
		hit(4);
	return 0;
}

/* raw tracepoint: the raw arguments of sys_enter are (regs, syscall id) */
SEC("raw_tp/sys_enter")
int raw_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	if (ctx->args[1] == 39 /* getpid on x86-64 */)
		hit(5);
	return 0;
}

SEC("kprobe/do_sys_openat2")
int BPF_KPROBE(kprobe_openat2, int dfd, const char *filename)
{
	if (dfd == -100 /* AT_FDCWD */)
		hit(6);
	return 0;
}

SEC("kretprobe/do_sys_openat2")
int BPF_KRETPROBE(kretprobe_openat2, long ret)
{
	if (ret < 0)
		hit(7);
	return 0;
}

/* perf_event: count samples taken in user mode */
SEC("perf_event")
int perf_sample(struct bpf_perf_event_data *ctx)
{
	if (ctx->sample_period && ctx->addr == 0)
		hit(0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
