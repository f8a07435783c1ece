// rule: callback.args
// prog: loop_args
// expect: reject
// reason: R2 invalid mem access 'scalar'
// errno: EACCES
// twin: c/callback-args-ok.c
// what: the callback dereferences its NULL context
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
static int step(__u32 i, void *ctx)
{
	return *(int *)ctx & 1;
}

SEC("socket")
int loop_args(struct __sk_buff *skb)
{
	bpf_loop(8, step, 0, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
