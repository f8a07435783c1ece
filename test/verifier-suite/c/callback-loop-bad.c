// rule: callback.bpf_loop
// prog: loop_sum
// expect: reject
// reason: At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]
// errno: EINVAL
// twin: c/callback-loop-ok.c
// what: a bpf_loop callback that returns 2 (must be 0 or 1)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct acc { long sum; };

static int step(__u32 i, void *ctx)
{
	struct acc *a = ctx;
	a->sum += i;
	return 2;
}

SEC("socket")
int loop_sum(struct __sk_buff *skb)
{
	struct acc a = { 0 };
	bpf_loop(16, step, &a, 0);
	return a.sum & 1;
}

char LICENSE[] SEC("license") = "GPL";
