// rule: ctx.kprobe.write
// prog: on_open
// expect: accept
// twin: c/kprobe-ctx-bad.c
// what: reading the first argument from pt_regs
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <asm/ptrace.h>
#include <bpf/bpf_tracing.h>

SEC("kprobe/do_sys_openat2")
int BPF_KPROBE(on_open, int dfd, const char *name)
{
	bpf_printk("open %d", dfd);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
