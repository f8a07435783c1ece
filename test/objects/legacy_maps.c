// SPDX-License-Identifier: GPL-2.0
/*
 * Maps in the legacy SEC("maps") style: an array of struct bpf_map_def,
 * which libbpf 1.0 dropped (the oracle falls back to its own loader) but
 * older loaders (bpf_load.c, iproute2, cilium/ebpf) still read. libbpf's
 * headers no longer define the struct, so it is defined here as it was.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") packet_count = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 256,
};

struct bpf_map_def SEC("maps") proto_bytes = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 64,
	.map_flags = BPF_F_NO_PREALLOC,
};

/* Count packets by protocol number and bytes by ifindex. */
SEC("socket")
int legacy_count(struct __sk_buff *skb)
{
	__u32 proto = skb->protocol & 0xff, ifindex = skb->ifindex;
	__u64 *n, len = skb->len;

	n = bpf_map_lookup_elem(&packet_count, &proto);
	if (n)
		__sync_fetch_and_add(n, 1);
	n = bpf_map_lookup_elem(&proto_bytes, &ifindex);
	if (n)
		__sync_fetch_and_add(n, len);
	else
		bpf_map_update_elem(&proto_bytes, &ifindex, &len, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
