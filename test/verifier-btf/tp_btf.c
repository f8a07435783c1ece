// Tracing with types: tp_btf programs that read kernel structs through
// the tracepoint's typed arguments (sched_switch: bool preempt,
// struct task_struct *prev, struct task_struct *next, unsigned int
// prev_state; sched_process_exec: struct task_struct *p, pid_t old_pid,
// struct linux_binprm *bprm). Safe programs and unsafe twins; the kernel
// (kernel-oracle.py) and tsbpf must agree on each (verifier-btf.test.ts).
// The naked programs use this host's vmlinux offsets (task_struct: 1266
// inside pid, thread_info first); the test compares with the kernel that
// has that vmlinux, so the offsets pick the cases, not the verdicts.
typedef unsigned long long u64;
typedef int pid_t;
struct mm_struct { unsigned long task_size; } __attribute__((preserve_access_index));
struct task_struct {
	pid_t pid;
	pid_t tgid;
	struct mm_struct *mm;
	struct task_struct *real_parent;
	char comm[16];
} __attribute__((preserve_access_index));
#define SEC(n) __attribute__((section(n), used))
#define __uint(name, val) int (*name)[val]
struct { __uint(type, 27); __uint(max_entries, 4096); } rb SEC(".maps");
struct { __uint(type, 1); __uint(max_entries, 8); __uint(key_size, 4); __uint(value_size, 4); } h SEC(".maps");
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, u64 flags) = (void *)2;
static long (*bpf_ringbuf_output)(void *ringbuf, void *data, u64 size, u64 flags) = (void *)130;
#define NAKED(name, sec, body) SEC(sec) __attribute__((naked)) int name(void) { asm volatile(body ::: "memory"); }
char LICENSE[] SEC("license") = "GPL";

/* a->b->c: trusted argument, RCU parent (a listed member), plain mm pointer */
SEC("tp_btf/sched_switch")
int chain_ok(u64 *ctx)
{
	struct task_struct *prev = (struct task_struct *)ctx[1];
	struct task_struct *p = prev->real_parent;
	struct mm_struct *mm = p->mm;
	return mm->task_size + p->comm[3] + prev->tgid;
}

/* the same walk, then a read far past the end of the struct */
SEC("tp_btf/sched_switch")
int chain_bad(u64 *ctx)
{
	struct task_struct *prev = (struct task_struct *)ctx[1];
	struct task_struct *p = prev->real_parent;
	return p->pid + *(int *)((char *)p + 100000);
}

/* half of a pointer member */
SEC("tp_btf/sched_switch")
int ptr_part_bad(u64 *ctx)
{
	struct task_struct *prev = (struct task_struct *)ctx[1];
	return *(int *)&prev->real_parent;
}

NAKED(arg_size_ok, "tp_btf/sched_switch", "r0 = *(u32 *)(r1 + 0); r0 = 0; exit;")
NAKED(arg_size_bad, "tp_btf/sched_switch", "r0 = *(u32 *)(r1 + 8); r0 = 0; exit;")
NAKED(arg_misaligned_bad, "tp_btf/sched_switch", "r0 = *(u64 *)(r1 + 4); r0 = 0; exit;")
NAKED(arg_last_ok, "tp_btf/sched_switch", "r0 = *(u64 *)(r1 + 24); r0 = 0; exit;")
NAKED(arg_past_bad, "tp_btf/sched_switch", "r0 = *(u64 *)(r1 + 32); r0 = 0; exit;")
NAKED(arg_far_bad, "tp_btf/sched_switch", "r0 = *(u64 *)(r1 + 48); r0 = 0; exit;")
NAKED(arg_scalar_bad, "tp_btf/sched_switch", "r0 = *(u64 *)(r1 + 24); r0 = *(u64 *)(r0 + 0); exit;")
NAKED(ctx_write_bad, "tp_btf/sched_switch", "r2 = 0; *(u64 *)(r1 + 8) = r2; r0 = 0; exit;")
NAKED(ctx_moved_bad, "tp_btf/sched_switch", "r1 += 8; r0 = *(u64 *)(r1 + 0); exit;")
NAKED(write_bad, "tp_btf/sched_switch", "r2 = *(u64 *)(r1 + 8); r3 = 1; *(u32 *)(r2 + 0) = r3; r0 = 0; exit;")
NAKED(negative_bad, "tp_btf/sched_switch", "r2 = *(u64 *)(r1 + 8); r0 = *(u32 *)(r2 - 8); exit;")
NAKED(var_off_bad, "tp_btf/sched_switch", "r2 = *(u64 *)(r1 + 8); r3 = *(u64 *)(r1 + 24); r3 &= 8; r2 += r3; r0 = *(u32 *)(r2 + 0); exit;")
NAKED(cross_member_bad, "tp_btf/sched_switch", "r2 = *(u64 *)(r1 + 8); r0 = *(u64 *)(r2 + 1266); exit;")
NAKED(nested_ok, "tp_btf/sched_switch", "r2 = *(u64 *)(r1 + 8); r0 = *(u64 *)(r2 + 0); exit;")
NAKED(nested_bad, "tp_btf/sched_switch", "r2 = *(u64 *)(r1 + 8); r0 = *(u64 *)(r2 + 4); exit;")
NAKED(spill_ok, "tp_btf/sched_switch", "r2 = *(u64 *)(r1 + 8); *(u64 *)(r10 - 8) = r2; r3 = *(u64 *)(r10 - 8); r0 = *(u32 *)(r3 + 0); exit;")
NAKED(nonnull_ok, "tp_btf/sched_switch", "r2 = *(u64 *)(r1 + 8); if r2 == 0 goto +2; r0 = *(u32 *)(r2 + 0); exit; r0 = *(u8 *)(r2 + 0); r0 = *(u64 *)(r0 + 0); exit;")
NAKED(first_arg_ok, "tp_btf/sched_process_exec", "r0 = *(u64 *)(r1 + 0); r0 = *(u64 *)(r0 + 0); exit;")
NAKED(int_arg_bad, "tp_btf/sched_process_exec", "r0 = *(u64 *)(r1 + 8); r0 = *(u64 *)(r0 + 0); exit;")
NAKED(char_arg_bad, "tp_btf/console", "r0 = *(u64 *)(r1 + 0); r0 = *(u64 *)(r0 + 0); exit;")

/* helpers: a struct field as read-only memory (ringbuf_output's data) is walked like a load of its size */
SEC("tp_btf/sched_switch")
int helper_read_ok(u64 *ctx)
{
	struct task_struct *next = (struct task_struct *)ctx[2];
	return bpf_ringbuf_output(&rb, &next->pid, 4, 0);
}

SEC("tp_btf/sched_switch")
int helper_read_bad(u64 *ctx)
{
	struct task_struct *next = (struct task_struct *)ctx[2];
	return bpf_ringbuf_output(&rb, &next->pid, 8, 0);
}

/* ... but never as memory a helper may write (a map key is such an argument) */
SEC("tp_btf/sched_switch")
int helper_key_bad(u64 *ctx)
{
	struct task_struct *next = (struct task_struct *)ctx[2];
	int v = 1;
	return bpf_map_update_elem(&h, next, &v, 0);
}
