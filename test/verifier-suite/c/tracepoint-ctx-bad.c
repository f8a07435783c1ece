// rule: ctx.tracepoint.write
// prog: on_enter
// expect: reject
// reason: invalid bpf_context access off=8 size=8
// errno: EACCES
// twin: c/tracepoint-ctx-ok.c
// what: writing into the record
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct sys_enter {
	__u64 common;
	long id;
	unsigned long args[6];
};

SEC("tracepoint/raw_syscalls/sys_enter")
int on_enter(struct sys_enter *ctx)
{
	ctx->id = 0;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
