/*
 * Programs that pass callbacks to bpf_loop and bpf_for_each_map_elem, for
 * test/callbacks.test.ts: each is test-run (XDP, 64 zero bytes) by tsbpf on
 * both engines and by the Linux kernel, and the return values compared.
 * Every result is independent of the order a hash map is walked in.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

struct sum {
	__u64 total;
	__u32 limit;
	__u32 calls;
};

/* bpf_loop: add the index; stop once it reaches the limit */
static int add_index(__u32 i, void *p)
{
	struct sum *s = p;

	s->total += i;
	s->calls++;
	return i >= s->limit;
}

static __u32 pack(__u64 total, long ret, __u32 calls)
{
	return (total << 20) ^ ((__u32)ret << 8) ^ calls;
}

SEC("xdp")
int loop_sum(struct xdp_md *ctx)
{
	struct sum s = { .limit = 1000 };
	long n = bpf_loop(100, add_index, &s, 0);

	return pack(s.total, n, s.calls);
}

SEC("xdp")
int loop_break(struct xdp_md *ctx)
{
	struct sum s = { .limit = 9 };
	long n = bpf_loop(100, add_index, &s, 0);

	return pack(s.total, n, s.calls);
}

SEC("xdp")
int loop_zero(struct xdp_md *ctx)
{
	struct sum s = { .limit = 1000 };
	long n = bpf_loop(0, add_index, &s, 0);

	return pack(s.total, n, s.calls + 1);
}

/* the largest count is allowed (this callback stops at once), one more is -E2BIG */
SEC("xdp")
int loop_limits(struct xdp_md *ctx)
{
	struct sum s = { .limit = 0 };
	long most = bpf_loop(1 << 23, add_index, &s, 0);
	long over = bpf_loop((1 << 23) + 1, add_index, &s, 0);

	return pack(s.calls, most, 0) ^ (__u32)over;
}

/* flags must be 0 (-EINVAL), checked before the count */
SEC("xdp")
int loop_flags(struct xdp_md *ctx)
{
	struct sum s = { .limit = 1000 };
	volatile __u64 flags = 1;
	long a = bpf_loop(5, add_index, &s, flags);
	long b = bpf_loop(1 << 24, add_index, &s, flags);

	return ((__u32)a << 16) ^ (__u32)b ^ s.calls;
}

/* for_each over an array: read the key and value, write the value */
static long touch_elem(void *map, __u32 *key, __u64 *val, struct sum *s)
{
	s->total += *key * 1000 + *val;
	*val = *val * 2 + *key;
	s->calls++;
	return 0;
}

static __always_inline __u64 array_total(void)
{
	__u64 t = 0;

	for (int i = 0; i < 16; i++) {
		__u32 key = i;
		__u64 *v = bpf_map_lookup_elem(&arr, &key);

		if (v)
			t += *v;
	}
	return t;
}

SEC("xdp")
int each_array(struct xdp_md *ctx)
{
	struct sum s = {};

	for (int i = 0; i < 16; i += 3) {
		__u32 key = i;
		__u64 v = i * 7 + 1;

		bpf_map_update_elem(&arr, &key, &v, BPF_ANY);
	}
	long n = bpf_for_each_map_elem(&arr, touch_elem, &s, 0);

	return pack(s.total, n, s.calls) ^ (array_total() << 4);
}

/* stop at key 5: six elements visited */
static long stop_at_5(void *map, __u32 *key, __u64 *val, struct sum *s)
{
	s->calls++;
	s->total += *key;
	return *key == 5;
}

SEC("xdp")
int each_array_stop(struct xdp_md *ctx)
{
	struct sum s = {};
	long n = bpf_for_each_map_elem(&arr, stop_at_5, &s, 0);

	return pack(s.total, n, s.calls);
}

static __always_inline void fill_hash(__u32 n)
{
	for (int k = 1; k <= n; k++) {
		__u32 key = k;
		__u64 v = k * k;

		bpf_map_update_elem(&hash, &key, &v, BPF_ANY);
	}
}

static __always_inline __u64 hash_total(__u32 n)
{
	__u64 t = 0;

	for (int k = 1; k <= n; k++) {
		__u32 key = k;
		__u64 *v = bpf_map_lookup_elem(&hash, &key);

		if (v)
			t += *v * k;
	}
	return t;
}

SEC("xdp")
int each_hash(struct xdp_md *ctx)
{
	struct sum s = {};

	fill_hash(10);
	long n = bpf_for_each_map_elem(&hash, touch_elem, &s, 0);

	return pack(s.total, n, s.calls) ^ (hash_total(10) << 4);
}

/* stop after the third element, whichever it is */
static long stop_after_3(void *map, __u32 *key, __u64 *val, struct sum *s)
{
	return ++s->calls == 3;
}

SEC("xdp")
int each_hash_stop(struct xdp_md *ctx)
{
	struct sum s = {};

	fill_hash(10);
	long n = bpf_for_each_map_elem(&hash, stop_after_3, &s, 0);

	return pack(0, n, s.calls);
}

/* a callback may delete the element it is given */
static long drop_odd(void *map, __u32 *key, __u64 *val, struct sum *s)
{
	s->calls++;
	if (*key & 1)
		bpf_map_delete_elem(map, key);
	return 0;
}

static long count_elem(void *map, __u32 *key, __u64 *val, struct sum *s)
{
	s->total += *key;
	return 0;
}

SEC("xdp")
int each_hash_delete(struct xdp_md *ctx)
{
	struct sum s = {};

	fill_hash(10);
	long n = bpf_for_each_map_elem(&hash, drop_odd, &s, 0);
	long left = bpf_for_each_map_elem(&hash, count_elem, &s, 0);

	return pack(s.total, n, s.calls) ^ ((__u32)left << 24);
}

/* nested: a bpf_loop inside a for_each callback */
static long loop_per_elem(void *map, __u32 *key, __u64 *val, struct sum *s)
{
	struct sum inner = { .limit = 1000 };
	long n = bpf_loop(*key, add_index, &inner, 0);

	s->total += inner.total;
	s->calls += n;
	return 0;
}

SEC("xdp")
int nested(struct xdp_md *ctx)
{
	struct sum s = {};
	long n = bpf_for_each_map_elem(&arr, loop_per_elem, &s, 0);

	return pack(s.total, n, s.calls);
}

/*
 * Stack frames: the callback fills and reads its own stack while the
 * caller's stack holds live data the caller reads afterwards.
 */
static int scribble(__u32 i, void *p)
{
	volatile __u64 buf[24];
	__u64 *acc = p;

	for (int k = 0; k < 24; k++)
		buf[k] = (i + 1) * (k + 3);
	for (int k = 0; k < 24; k += 5)
		*acc += buf[k];
	return 0;
}

SEC("xdp")
int frames(struct xdp_md *ctx)
{
	volatile __u64 live[32];
	__u64 acc = 0, check = 0;

	for (int k = 0; k < 32; k++)
		live[k] = k * 0x01010101 + 7;
	bpf_loop(6, scribble, &acc, 0);
	for (int k = 0; k < 32; k++)
		check += live[k] * (k + 1);
	return (__u32)(acc ^ (check << 12) ^ (check >> 20));
}

/* per-CPU array: the callback sees the current CPU's values */
SEC("xdp")
int each_percpu(struct xdp_md *ctx)
{
	struct sum s = {};

	for (int i = 0; i < 4; i++) {
		__u32 key = i;
		__u64 v = i + 40;

		bpf_map_update_elem(&pcpu, &key, &v, BPF_ANY);
	}
	long n = bpf_for_each_map_elem(&pcpu, touch_elem, &s, 0);
	__u32 k = 3;
	__u64 *v = bpf_map_lookup_elem(&pcpu, &k);

	return pack(s.total, n, s.calls) ^ (v ? *v << 4 : 0);
}

/* flags of for_each must be 0 */
SEC("xdp")
int each_flags(struct xdp_md *ctx)
{
	struct sum s = {};
	volatile __u64 flags = 2;

	return (__u32)bpf_for_each_map_elem(&arr, stop_at_5, &s, flags) ^ s.calls;
}

/*
 * nr_loops is a u32: with a 64-bit count in r1 the helper ignores the high
 * half. (Linux 6.18 inlines bpf_loop when every call passes one callback
 * and flags 0, and the inlined loop compares all 64 bits, returning -E2BIG;
 * the callback chosen at run time here keeps the helper call.)
 */
static int count_twice(__u32 i, void *p)
{
	struct sum *s = p;

	s->calls += 2;
	return 0;
}

static long (*loop64)(__u64 nr_loops, void *callback_fn, void *callback_ctx, __u64 flags) = (void *)BPF_FUNC_loop;

SEC("xdp")
int loop_wide_count(struct xdp_md *ctx)
{
	struct sum s = { .limit = 1000 };
	volatile __u64 n = 0x100000003ULL;
	void *cb = ctx->data_end - ctx->data == 64 ? (void *)add_index : (void *)count_twice;
	long ret = loop64(n, cb, &s, 0);

	return pack(s.total, ret, s.calls);
}

/* Linux refuses to load this: a callback may not tail call */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} jump SEC(".maps");

struct tail_ctx {
	struct xdp_md *xdp;
};

static int tail_call_back(__u32 i, void *p)
{
	struct tail_ctx *c = p;

	bpf_tail_call(c->xdp, &jump, 0);
	return 0;
}

SEC("xdp")
int tail_in_callback(struct xdp_md *ctx)
{
	struct tail_ctx c = { ctx };

	bpf_loop(2, tail_call_back, &c, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
