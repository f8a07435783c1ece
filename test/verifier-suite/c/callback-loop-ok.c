// rule: callback.bpf_loop
// prog: loop_sum
// expect: accept
// twin: c/callback-loop-bad.c
// what: a bpf_loop callback that returns 0
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct acc { long sum; };

static int step(__u32 i, void *ctx)
{
	struct acc *a = ctx;
	a->sum += i;
	return 0;
}

SEC("socket")
int loop_sum(struct __sk_buff *skb)
{
	struct acc a = { 0 };
	bpf_loop(16, step, &a, 0);
	return a.sum & 1;
}

char LICENSE[] SEC("license") = "GPL";
