// rule: ctx.kprobe.write
// prog: on_open
// expect: reject
// reason: invalid bpf_context access off=112 size=8
// errno: EACCES
// twin: c/kprobe-ctx-ok.c
// what: writing it
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <asm/ptrace.h>
#include <bpf/bpf_tracing.h>

SEC("kprobe/do_sys_openat2")
int BPF_KPROBE(on_open, int dfd, const char *name)
{
	ctx->rdi = 0;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
