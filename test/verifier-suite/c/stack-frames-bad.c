// rule: call.stack-depth
// prog: deep
// expect: reject
// reason: combined stack size of 2 calls is 544. Too large
// errno: EACCES
// twin: c/stack-frames-ok.c
// what: 256 + 288 bytes: over 512
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) int inner(struct __sk_buff *skb)
{
	char local[288];

	if (bpf_skb_load_bytes(skb, 0, local, sizeof(local)))
		return 0;
	return local[288 - 1];
}

SEC("socket")
int deep(struct __sk_buff *skb)
{
	char buf[256];

	if (bpf_skb_load_bytes(skb, 0, buf, sizeof(buf)))
		return 0;
	return (buf[255] + inner(skb)) & 1;
}

char LICENSE[] SEC("license") = "GPL";
