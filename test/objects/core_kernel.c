// SPDX-License-Identifier: GPL-2.0
/*
 * CO-RE against the running kernel, with the kernel's types declared locally
 * (as a minimal, hand-written subset, not vmlinux.h): field reads through
 * BPF_CORE_READ, ___flavor variants of one struct for two kernel versions
 * (task_struct's `state` became `__state` in 5.14), bitfields read with and
 * without probing, type and enum-value existence, sizes and type IDs.
 * Every relocation here resolves against a Linux 5.14+ vmlinux BTF.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <asm/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#ifndef bpf_core_field_signed /* libbpf < 1.2 lacks the convenience macro */
#define bpf_core_field_signed(field...) \
	__builtin_preserve_field_info(___bpf_field_ref(field), BPF_FIELD_SIGNED)
#endif

struct task_struct {
	unsigned int flags;
	unsigned int in_execve : 1;
	unsigned int in_iowait : 1;
	int pid;
	int tgid;
	struct task_struct *real_parent;
	char comm[16];
} __attribute__((preserve_access_index));

/* the same struct on kernels since 5.14 and before it */
struct task_struct___new {
	unsigned int __state;
} __attribute__((preserve_access_index));

struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

/* open-coded iterator state, in kernels since 6.4 */
struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

/* an enumerator added in 6.10; the flavor keeps it apart from UAPI headers */
enum bpf_attach_type___new {
	BPF_TRACE_KPROBE_SESSION___new = 1,
};

/* a type no kernel has */
struct tsbpf_not_in_kernel {
	int x;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, int);
	__type(value, __u64);
} seen SEC(".maps");

static __always_inline unsigned int task_state(void *task)
{
	if (bpf_core_field_exists(struct task_struct___new, __state))
		return BPF_CORE_READ((struct task_struct___new *)task, __state);
	return BPF_CORE_READ((struct task_struct___old *)task, state);
}

/* Probed reads from an untyped task pointer (kprobes see plain scalars). */
SEC("kprobe/do_nanosleep")
int core_probe_task(struct pt_regs *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	int pid = BPF_CORE_READ(task, pid);
	int ppid = BPF_CORE_READ(task, real_parent, tgid);
	__u64 v = ((__u64)ppid << 32) | task_state(task);

	if (BPF_CORE_READ_BITFIELD_PROBED(task, in_iowait))
		v |= 1ULL << 31;
	bpf_map_update_elem(&seen, &pid, &v, BPF_ANY);
	return 0;
}

/* Direct reads from a BTF-typed pointer (tp_btf arguments are trusted). */
SEC("tp_btf/sched_switch")
int BPF_PROG(core_btf_task, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	int pid = next->pid;
	__u64 v = BPF_CORE_READ_BITFIELD(prev, in_execve);

	v |= (__u64)bpf_core_field_size(prev->comm) << 8;
	bpf_map_update_elem(&seen, &pid, &v, BPF_ANY);
	return 0;
}

/* The following return one relocation result each, for a test run. */

SEC("socket")
int core_pid_offset(struct __sk_buff *skb)
{
	return bpf_core_field_offset(struct task_struct, pid);
}

SEC("socket")
int core_field_facts(struct __sk_buff *skb)
{
	/* 1: __state exists, 2: state does not, 4: pid is signed, 8: flags is not */
	return bpf_core_field_exists(struct task_struct___new, __state) |
	       !bpf_core_field_exists(struct task_struct___old, state) << 1 |
	       bpf_core_field_signed(struct task_struct, pid) << 2 |
	       !bpf_core_field_signed(struct task_struct, flags) << 3;
}

SEC("socket")
int core_bitfield_shifts(struct __sk_buff *skb)
{
	struct task_struct *t = 0;

	return __builtin_preserve_field_info(t->in_iowait, BPF_FIELD_LSHIFT_U64) << 8 |
	       __builtin_preserve_field_info(t->in_iowait, BPF_FIELD_RSHIFT_U64);
}

SEC("socket")
int core_type_facts(struct __sk_buff *skb)
{
	/* 1: bpf_iter_num exists, 2: tsbpf_not_in_kernel does not; size of bpf_iter_num above */
	return bpf_core_type_exists(struct bpf_iter_num) |
	       !bpf_core_type_exists(struct tsbpf_not_in_kernel) << 1 |
	       bpf_core_type_size(struct bpf_iter_num) << 8;
}

SEC("socket")
int core_task_size(struct __sk_buff *skb)
{
	return bpf_core_type_size(struct task_struct);
}

SEC("socket")
int core_enum_values(struct __sk_buff *skb)
{
	return bpf_core_enum_value(enum bpf_attach_type___new, BPF_TRACE_KPROBE_SESSION___new) |
	       bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop) << 8 |
	       bpf_core_enum_value(enum bpf_func_id, BPF_FUNC_loop) << 16;
}

SEC("socket")
int core_type_ids(struct __sk_buff *skb)
{
	/* the kernel's BTF id of task_struct is large; keep it in the low bits */
	return bpf_core_type_id_kernel(struct task_struct) ^ (bpf_core_type_id_local(struct task_struct) << 24);
}

char LICENSE[] SEC("license") = "GPL";
