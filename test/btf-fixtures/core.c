/* CO-RE relocations, func_info and line_info for the .BTF.ext parser. */
struct task {
	int pid;
	struct {
		long start;
		long end;
	} mm[2];
	unsigned int flags : 3;
	unsigned int state : 5;
} __attribute__((preserve_access_index));

enum mode { MODE_A = 1, MODE_B = 2 };

static __attribute__((noinline)) long second(struct task *t)
{
	return t->mm[1].end;
}

__attribute__((section("kprobe/sys"), used))
int probe(struct task *t)
{
	long r = t->pid;
	r += __builtin_preserve_field_info(t->state, 1);
	r += __builtin_preserve_field_info(t->flags, 2);
	r += __builtin_preserve_type_info(*t, 1);
	r += __builtin_preserve_enum_value(*(enum mode *)MODE_B, 1);
	return r + second(t);
}

char _license[] __attribute__((section("license"), used)) = "GPL";
