// SPDX-License-Identifier: GPL-2.0
/*
 * An ambiguous CO-RE relocation: core_target.c has two flavors of
 * tsbpf_amb (___x and ___y) whose 'v' sits at different offsets, so the
 * offset of tsbpf_amb.v has two candidate answers. libbpf refuses such a
 * relocation (and with it the object); so must tsbpf. Kept apart from
 * core_local.c so that object still loads.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct tsbpf_amb {
	int v;
} __attribute__((preserve_access_index));

SEC("socket")
int core_ambiguous_offset(struct __sk_buff *skb)
{
	return bpf_core_field_offset(struct tsbpf_amb, v);
}

char LICENSE[] SEC("license") = "GPL";
