// rule: callback.ctx
// prog: loop_ctx
// expect: reject
// reason: invalid write to stack R2 off=0 size=8
// errno: EACCES
// twin: c/callback-ctx-ok.c
// what: the callback writes one slot past it, outside the caller's frame
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
static int step(__u32 i, void *ctx)
{
	long *slot = ctx;
	slot[1] = i;
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
