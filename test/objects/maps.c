// SPDX-License-Identifier: GPL-2.0
/*
 * BTF-defined maps (SEC(".maps")) of every kind tsbpf has, in both styles of
 * key/value description (__type: BTF types; __uint(key_size): sizes only),
 * with map_flags, pinning by name, map-in-map with an inner map template and
 * initial values, and a program array initialised with programs.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct flow_key {
	__u32 saddr;
	__u32 daddr;
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;
};

/* HASH, key and value by type, pinned under the pin directory by its name */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flows SEC(".maps");

/* ARRAY, key and value by size only (no BTF key/value types) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} percpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct flow_stats);
} percpu_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
} lru_percpu SEC(".maps");

struct ipv4_lpm_key {
	__u32 prefixlen;
	__u8 addr[4];
};

/* LPM_TRIE: the kernel requires BPF_F_NO_PREALLOC */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__type(key, struct ipv4_lpm_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} routes SEC(".maps");

/* QUEUE and STACK have no key */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 32);
	__type(value, __u32);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 32);
	__uint(value_size, sizeof(__u64));
} stack SEC(".maps");

/* BLOOM_FILTER: no key; map_extra would set the hash count (default 5) */
struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 100);
	__type(value, __u32);
} seen SEC(".maps");

/* RINGBUF: max_entries is the byte size, a power-of-2 multiple of the page size */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096 * 4);
} events SEC(".maps");

/* PERF_EVENT_ARRAY: max_entries 0 means "one per possible CPU" to libbpf */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
} perf_events SEC(".maps");

/* STACK_TRACE: value is an array of up to 127 u64 instruction pointers */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 64);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
} stacks SEC(".maps");

/* the inner map template of both map-in-maps */
struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
};

struct inner inner_a SEC(".maps");
struct inner inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer_array SEC(".maps") = {
	.values = { [0] = &inner_a, [3] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct inner);
} outer_hash SEC(".maps") = {
	.values = { [1] = &inner_b },
};

int tail_first(struct __sk_buff *skb);
int tail_second(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int(struct __sk_buff *));
} jump_table SEC(".maps") = {
	.values = { [0] = (void *)&tail_first, [2] = (void *)&tail_second },
};

static __always_inline void count(__u32 slot, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &slot);

	if (c)
		__sync_fetch_and_add(c, n);
}

/* Per-flow packet and byte counts of IPv4 packets, and a route lookup. */
SEC("socket")
int count_flows(struct __sk_buff *skb)
{
	struct flow_key key = {};
	struct flow_stats *st, init = { 1, skb->len };
	struct ipv4_lpm_key lpm = { .prefixlen = 32 };
	__u32 *route;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 0;
	bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct iphdr, saddr), &key, sizeof(key));
	st = bpf_map_lookup_elem(&flows, &key);
	if (st) {
		__sync_fetch_and_add(&st->packets, 1);
		__sync_fetch_and_add(&st->bytes, skb->len);
	} else {
		bpf_map_update_elem(&flows, &key, &init, BPF_NOEXIST);
	}
	__builtin_memcpy(lpm.addr, &key.daddr, 4);
	route = bpf_map_lookup_elem(&routes, &lpm);
	count(route ? 1 : 0, 1);
	return skb->len;
}

/* The per-CPU and LRU maps, the bloom filter, queue and stack. */
SEC("socket")
int remember(struct __sk_buff *skb)
{
	__u32 key = skb->ifindex, zero = 0, len = skb->len;
	__u64 one = 1, *v, top;
	struct flow_stats *ps;

	v = bpf_map_lookup_elem(&percpu_hash, &key);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&percpu_hash, &key, &one, BPF_ANY);
	ps = bpf_map_lookup_elem(&percpu_array, &zero);
	if (ps)
		ps->bytes += len;
	bpf_map_update_elem(&lru, &key, &one, BPF_ANY);
	bpf_map_update_elem(&lru_percpu, &key, &one, BPF_ANY);
	if (bpf_map_peek_elem(&seen, &len) == 0)
		return 1; /* probably seen this length before */
	bpf_map_push_elem(&seen, &len, 0);
	bpf_map_push_elem(&queue, &len, BPF_EXIST);
	bpf_map_push_elem(&stack, &one, 0);
	if (bpf_map_pop_elem(&stack, &top) == 0)
		count(2, top);
	return 0;
}

/* Map-in-map lookups: outer map, then the inner array it holds. */
SEC("socket")
int nested(struct __sk_buff *skb)
{
	__u32 key = 0, slot = 1, *val;
	void *inner;

	inner = bpf_map_lookup_elem(&outer_array, &key);
	if (!inner)
		return 0;
	val = bpf_map_lookup_elem(inner, &slot);
	if (val)
		*val += 1;
	key = 1;
	inner = bpf_map_lookup_elem(&outer_hash, &key);
	if (!inner)
		return 1;
	val = bpf_map_lookup_elem(inner, &slot);
	return val ? *val : 2;
}

SEC("socket")
int dispatch(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &jump_table, skb->len & 3);
	return 0; /* empty slot: the tail call falls through */
}

SEC("socket")
int tail_first(struct __sk_buff *skb)
{
	count(3, 1);
	return 1;
}

SEC("socket")
int tail_second(struct __sk_buff *skb)
{
	count(3, 2);
	return 2;
}

struct event {
	__u32 pid;
	__s32 stack_id;
	char comm[16];
};

/* Ring buffer, perf buffer and stack traces from a tracepoint. */
SEC("tracepoint/syscalls/sys_enter_execve")
int on_execve(void *ctx)
{
	struct event *e, copy = {};

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memcpy(&copy, e, sizeof(copy));
	bpf_ringbuf_submit(e, 0);
	bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &copy, sizeof(copy));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
