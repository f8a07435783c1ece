// rule: ringbuf.reference
// prog: report
// expect: reject
// reason: BPF_EXIT instruction in main prog would lead to reference leak
// errno: EINVAL
// twin: c/ringbuf-paths-ok.c
// what: the early return leaks the reservation
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct event { __u32 len; __u32 mark; };

SEC("socket")
int report(struct __sk_buff *skb)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->len = skb->len;
	if (skb->mark == 0)
		return 0;
	e->mark = skb->mark;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
