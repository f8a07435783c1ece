// rule: ctx.tracepoint.write
// prog: on_enter
// expect: accept
// twin: c/tracepoint-ctx-bad.c
// what: reading the syscall id from the record
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
	bpf_printk("id %ld", ctx->id);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
