// Handlers for the tracepoint test:signal_generate {sig: s32, comm: string, code: u64},
// whose record is struct sig_rec (common header, then the fields as layout.ts lays them out).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct sig_rec {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	int sig;
	unsigned int __data_loc_comm;
	unsigned long long code;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, int);
	__type(value, __u64);
	__uint(max_entries, 64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} names SEC(".maps");

/* counts[sig] += 1, and a trace_printk line for SIGKILL */
SEC("tracepoint/test/signal_generate")
int count_sig(struct sig_rec *ctx)
{
	int key = ctx->sig;
	__u64 one = 1, *v = bpf_map_lookup_elem(&counts, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	if (key == 9)
		bpf_printk("kill code=%llu", ctx->code);
	return 0;
}

/* the comm of every event with sig > 30 into the ring buffer, read through its __data_loc */
SEC("tracepoint/test/signal_generate")
int send_comm(struct sig_rec *ctx)
{
	char *out;

	if (ctx->sig <= 30)
		return 0;
	out = bpf_ringbuf_reserve(&names, 16, 0);
	if (!out)
		return 0;
	bpf_probe_read_kernel_str(out, 16, (void *)ctx + (ctx->__data_loc_comm & 0xffff));
	bpf_ringbuf_submit(out, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
