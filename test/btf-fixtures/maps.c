/* libbpf-style BTF-defined maps, tags, and sections of global data. */
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __user __attribute__((btf_type_tag("user")))
#define __rcu __attribute__((btf_type_tag("rcu")))

typedef unsigned int __u32;
typedef unsigned long long __u64;

struct key {
	__u32 pid;
	char comm[16];
} __tag("key_struct");

struct value {
	__u64 count __tag("counter");
	__u64 bytes;
	int __user *uptr;
	const int __rcu __user *both;
};

struct {
	__uint(type, 1);
	__uint(max_entries, 1024);
	__type(key, struct key);
	__type(value, struct value);
} counts SEC(".maps");

struct inner {
	__uint(type, 2);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} inner_map SEC(".maps");

struct {
	__uint(type, 12);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = { .values = { [0] = &inner_map } };

int hits SEC(".data.stats") = 1;
__u64 totals[4] SEC(".data.stats");
const char banner[] = "tsbpf";

__attribute__((noinline)) __tag("global_helper") int helper(int a __tag("arg"), struct value *v)
{
	return a + (int)v->count;
}

SEC("socket")
int prog(void *ctx)
{
	return helper(hits, (struct value *)ctx) + banner[0] + (int)totals[1];
}

char _license[] SEC("license") = "GPL";
