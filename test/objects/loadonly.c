// SPDX-License-Identifier: GPL-2.0
/*
 * Program types tsbpf loads and verifies but does not attach to a live
 * kernel: BTF-attached tracing (fentry, fexit, tp_btf), LSM, iterators, and
 * user-space probes (uprobe, uretprobe, usdt, with libbpf's usdt.bpf.h), and
 * the syscall-probe spelling of kprobes (ksyscall). Kernel types are declared
 * locally with preserve_access_index, so field accesses are CO-RE relocations
 * resolved against the target kernel's BTF (not vmlinux.h).
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <asm/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/usdt.bpf.h>

struct filename;
struct file;
struct seq_file;

struct task_struct {
	int pid;
	int tgid;
	char comm[16];
} __attribute__((preserve_access_index));

struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
} __attribute__((preserve_access_index));

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

static __always_inline void bump(__u32 key)
{
	__u64 one = 1, *n = bpf_map_lookup_elem(&calls, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&calls, &key, &one, BPF_NOEXIST);
}

SEC("fentry/do_unlinkat")
int BPF_PROG(fentry_unlinkat, int dfd, struct filename *name)
{
	bump(bpf_get_current_pid_tgid() >> 32);
	return 0;
}

SEC("fexit/do_unlinkat")
int BPF_PROG(fexit_unlinkat, int dfd, struct filename *name, long ret)
{
	if (ret < 0)
		bump(0);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	bump(next->pid);
	return 0;
}

/* LSM: a policy that allows every open, counting them per process */
SEC("lsm/file_open")
int BPF_PROG(lsm_file_open, struct file *file, int ret)
{
	if (ret)
		return ret; /* an earlier hook already refused */
	bump(bpf_get_current_pid_tgid() >> 32);
	return 0;
}

/* task iterator: one line per task, as `cat` of its pinned link shows */
SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;

	if (!task)
		return 0;
	BPF_SEQ_PRINTF(seq, "%d %s\n", task->pid, task->comm);
	return 0;
}

SEC("uprobe//bin/bash:readline")
int BPF_KPROBE(uprobe_readline, const char *prompt)
{
	bump(1);
	return 0;
}

SEC("uretprobe//bin/bash:readline")
int BPF_KRETPROBE(uretprobe_readline, const char *line)
{
	char first = 0;

	bpf_probe_read_user(&first, 1, line);
	bump(first == '#' ? 2 : 3);
	return 0;
}

/* a uprobe with no target in its name: attached by the application */
SEC("uprobe")
int uprobe_manual(struct pt_regs *ctx)
{
	bump(4);
	return 0;
}

SEC("usdt/libc.so.6:libc:setjmp")
int BPF_USDT(usdt_setjmp, void *env, int savemask)
{
	bump(savemask ? 5 : 6);
	return 0;
}

SEC("ksyscall/kill")
int BPF_KSYSCALL(ksyscall_kill, int pid, int sig)
{
	if (sig == 9)
		bump(pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
