// rule: callback.ctx
// prog: loop_ctx
// expect: accept
// twin: c/callback-ctx-bad.c
// what: the callback writes the caller's slot through its context
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
static int step(__u32 i, void *ctx)
{
	long *slot = ctx;
	slot[0] = i;
	return 0;
}

SEC("socket")
int loop_ctx(struct __sk_buff *skb)
{
	long slot = 0;
	bpf_loop(4, step, &slot, 0);
	return slot & 1;
}

char LICENSE[] SEC("license") = "GPL";
