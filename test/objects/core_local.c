// SPDX-License-Identifier: GPL-2.0
/*
 * CO-RE on the program's own types (core_types.h), to be resolved against a
 * target BTF made from core_target.c: every relocation kind libbpf has
 * (field byte offset, byte size, existence, signedness, left/right shift;
 * local and target type id, type existence, size and match; enumerator
 * existence and value), ___flavor structs and enums, and the fallback
 * patterns programs use for renamed and removed fields.
 *
 * Most programs return one relocation result, so a test run shows what the
 * loader computed. Against a kernel's own BTF none of these types exist:
 * existence checks give 0 and every other relocation poisons its instruction.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "core_types.h"

#ifndef bpf_core_field_signed /* libbpf < 1.2 lacks the convenience macro */
#define bpf_core_field_signed(field...) \
	__builtin_preserve_field_info(___bpf_field_ref(field), BPF_FIELD_SIGNED)
#endif

/* one shape, laid out as the target has it (64 bytes is ample) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 64);
} shapes SEC(".maps");

static __always_inline struct tsbpf_shape *the_shape(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&shapes, &zero);
}

SEC("socket")
int core_offset_origin_y(struct __sk_buff *skb)
{
	return bpf_core_field_offset(struct tsbpf_shape, origin.y);
}

SEC("socket")
int core_offset_name(struct __sk_buff *skb)
{
	return bpf_core_field_offset(struct tsbpf_shape, name);
}

SEC("socket")
int core_size_name(struct __sk_buff *skb)
{
	return bpf_core_field_size(struct tsbpf_shape, name);
}

SEC("socket")
int core_exists(struct __sk_buff *skb)
{
	/* bit 0: color, 1: area, 2: perimeter, 3: surface (through the flavor) */
	return bpf_core_field_exists(struct tsbpf_shape, color) |
	       bpf_core_field_exists(struct tsbpf_shape, area) << 1 |
	       bpf_core_field_exists(struct tsbpf_shape, perimeter) << 2 |
	       bpf_core_field_exists(struct tsbpf_shape___renamed, surface) << 3;
}

SEC("socket")
int core_bitfield_depth(struct __sk_buff *skb)
{
	struct tsbpf_shape *s = 0;

	/* signedness, byte offset and size of the storage, and the two shifts */
	return bpf_core_field_signed(s->depth) << 31 |
	       __builtin_preserve_field_info(s->depth, BPF_FIELD_BYTE_OFFSET) << 24 |
	       __builtin_preserve_field_info(s->depth, BPF_FIELD_BYTE_SIZE) << 16 |
	       __builtin_preserve_field_info(s->depth, BPF_FIELD_LSHIFT_U64) << 8 |
	       __builtin_preserve_field_info(s->depth, BPF_FIELD_RSHIFT_U64);
}

SEC("socket")
int core_bitfield_layer(struct __sk_buff *skb)
{
	struct tsbpf_shape *s = 0;

	return bpf_core_field_signed(s->layer) << 31 |
	       __builtin_preserve_field_info(s->layer, BPF_FIELD_BYTE_OFFSET) << 24 |
	       __builtin_preserve_field_info(s->layer, BPF_FIELD_BYTE_SIZE) << 16 |
	       __builtin_preserve_field_info(s->layer, BPF_FIELD_LSHIFT_U64) << 8 |
	       __builtin_preserve_field_info(s->layer, BPF_FIELD_RSHIFT_U64);
}

SEC("socket")
int core_types(struct __sk_buff *skb)
{
	/* bit 0: tsbpf_extra exists, 1: tsbpf_local_only exists; then sizes */
	return bpf_core_type_exists(struct tsbpf_extra) |
	       bpf_core_type_exists(struct tsbpf_local_only) << 1 |
	       bpf_core_type_size(struct tsbpf_extra) << 8 |
	       bpf_core_type_size(struct tsbpf_shape) << 16;
}

SEC("socket")
int core_type_matches(struct __sk_buff *skb)
{
#if __clang_major__ >= 15
	/* bit 0: tsbpf_point matches, 1: tsbpf_extra matches */
	return bpf_core_type_matches(struct tsbpf_point) |
	       bpf_core_type_matches(struct tsbpf_extra) << 1;
#else
	return -1; /* clang < 15 cannot emit TYPE_MATCHES relocations */
#endif
}

SEC("socket")
int core_type_id_local(struct __sk_buff *skb)
{
	return bpf_core_type_id_local(struct tsbpf_shape);
}

SEC("socket")
int core_type_id_target(struct __sk_buff *skb)
{
	return bpf_core_type_id_kernel(struct tsbpf_shape);
}

SEC("socket")
int core_enums(struct __sk_buff *skb)
{
	/* RED's value, BLACK exists?, ALPHA exists? (flavor), ALPHA's value */
	return bpf_core_enum_value(enum tsbpf_color, TSBPF_RED) |
	       bpf_core_enum_value_exists(enum tsbpf_color, TSBPF_BLACK) << 8 |
	       bpf_core_enum_value_exists(enum tsbpf_color___new, TSBPF_ALPHA___new) << 9 |
	       bpf_core_enum_value(enum tsbpf_color___new, TSBPF_ALPHA___new) << 16;
}

/*
 * Reads through a pointer, as real programs do: offsets relocated in the
 * loads themselves, a renamed field through its flavor, a removed field
 * guarded by an existence check, and a signed bitfield.
 */
SEC("socket")
int core_read_shape(struct __sk_buff *skb)
{
	struct tsbpf_shape *s = the_shape();
	int sum, area;

	if (!s)
		return 0;
	sum = s->origin.x * 2 + s->origin.y;
	if (bpf_core_field_exists(s->area))
		area = s->area;
	else
		area = ((struct tsbpf_shape___renamed *)s)->surface;
	if (bpf_core_field_exists(s->perimeter))
		sum += s->perimeter;
	sum += (int)BPF_CORE_READ_BITFIELD(s, depth);
	return sum + area + (s->color == bpf_core_enum_value(enum tsbpf_color, TSBPF_BLUE));
}

/*
 * An unguarded read of the removed field: the loader poisons the load, and
 * the program fails verification only because the poisoned instruction is
 * reached. Expected to fail against core_target.o.
 */
SEC("socket")
int core_read_removed(struct __sk_buff *skb)
{
	struct tsbpf_shape *s = the_shape();

	if (!s)
		return 0;
	return s->perimeter;
}

/* The same poisoned read, but behind a check that is false: loads. */
SEC("socket")
int core_guarded_removed(struct __sk_buff *skb)
{
	struct tsbpf_shape *s = the_shape();

	if (!s || !bpf_core_field_exists(s->perimeter))
		return 0;
	return s->perimeter;
}

char LICENSE[] SEC("license") = "GPL";
