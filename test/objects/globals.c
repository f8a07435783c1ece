// SPDX-License-Identifier: GPL-2.0
/*
 * Global data as libbpf exposes it: one array map per section (.data,
 * .rodata frozen after load, .bss zeroed, custom .data.foo / .rodata.bar,
 * .rodata.str1.1 for string literals), .kconfig externs filled in by the
 * loader (strong and __weak, int/bool/tristate/char-array), and the license
 * and version sections.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

/* .bss: zero-initialised */
__u64 packets;
__u64 dropped;

/* .data: initialised */
__u64 bytes = 1;
int last_len = -1;

/* .rodata: set by the user before load, then constant for the verifier */
const volatile __u32 min_len = 60;
const volatile bool verbose = false;

/* custom sections: each its own map, named after the section */
int foo_counter SEC(".data.foo") = 5;
__u32 foo_history[4] SEC(".data.foo");
const volatile int bar_limit SEC(".rodata.bar") = 10;

/* .kconfig: LINUX_KERNEL_VERSION is computed by the loader; CONFIG_* come
 * from the kernel's config; __weak ones may be missing (then zero) */
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern int CONFIG_HZ __kconfig;
extern enum libbpf_tristate CONFIG_BPF_JIT __kconfig __weak;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig __weak;
extern int CONFIG_TSBPF_NO_SUCH_OPTION __kconfig __weak;

/* Drop short packets; the threshold is .rodata, the counts .bss/.data. */
SEC("socket")
int filter_short(struct __sk_buff *skb)
{
	__u32 len = skb->len;

	last_len = len;
	if (len < min_len) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	__sync_fetch_and_add(&packets, 1);
	__sync_fetch_and_add(&bytes, len);
	return len;
}

/* The custom sections: a counter with a small history, bounded by .rodata.bar. */
SEC("socket")
int custom_sections(struct __sk_buff *skb)
{
	int n = foo_counter;

	if (n >= bar_limit)
		return 0;
	foo_history[n & 3] = skb->len;
	foo_counter = n + 1;
	return n + 1;
}

/* Pass packets only on kernels the kconfig values describe as able to. */
SEC("tc")
int kconfig_gate(struct __sk_buff *skb)
{
	if (!CONFIG_BPF_SYSCALL || LINUX_KERNEL_VERSION < KERNEL_VERSION(5, 8, 0))
		return TC_ACT_SHOT;
	if (CONFIG_TSBPF_NO_SUCH_OPTION != 0)
		return TC_ACT_SHOT; /* a missing __weak option reads as zero */
	if (CONFIG_BPF_JIT == TRI_NO && CONFIG_HZ < 100)
		return TC_ACT_SHOT;
	return CONFIG_DEFAULT_HOSTNAME[0] ? TC_ACT_OK : TC_ACT_UNSPEC;
}

/* Strings: a static const array lands in .rodata (as bpf_printk's format
 * does), a bare literal in the mergeable-strings section .rodata.str1.1. */
SEC("tracepoint/syscalls/sys_enter_getpid")
int log_getpid(void *ctx)
{
	static const char fmt[] = "getpid #%llu (verbose %d)\n";

	__sync_fetch_and_add(&packets, 1);
	if (verbose)
		bpf_trace_printk(fmt, sizeof(fmt), packets, verbose);
	bpf_printk("getpid from %d", bpf_get_current_pid_tgid() >> 32);
	bpf_trace_printk("getpid\n", sizeof("getpid\n"));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
__u32 VERSION SEC("version") = KERNEL_VERSION(6, 1, 0);
