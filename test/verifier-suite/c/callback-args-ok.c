// rule: callback.args
// prog: loop_args
// expect: accept
// twin: c/callback-args-bad.c
// what: the callback uses its index argument
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
static int step(__u32 i, void *ctx)
{
	return i & 1;
}

SEC("socket")
int loop_args(struct __sk_buff *skb)
{
	bpf_loop(8, step, 0, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
