// rule: call.stack-depth
// prog: deep
// expect: accept
// twin: c/stack-frames-bad.c
// what: 256 + 224 bytes of stack across two frames
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) int inner(struct __sk_buff *skb)
{
	char local[224];

	if (bpf_skb_load_bytes(skb, 0, local, sizeof(local)))
		return 0;
	return local[224 - 1];
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
