// SPDX-License-Identifier: GPL-2.0
/*
 * The "target" of core_local.c: the types of core_types.h as a newer version
 * has them. Its .BTF is a target BTF; its one program only anchors the types
 * in BTF (and lets the kernel oracle load the file like any other object).
 *
 * Differences from core_types.h:
 *   tsbpf_color   enumerators renumbered, TSBPF_BLACK gone, TSBPF_ALPHA new
 *   tsbpf_point   x and y swapped, a 64-bit field in front
 *   tsbpf_shape   name moved first; bitfields reordered and resized (layer 12
 *                 bits, depth 6 bits, still signed); area renamed surface;
 *                 perimeter removed; color now after origin
 *   tsbpf_extra   a long in front and a third int: 16 bytes instead of 8
 *   tsbpf_local_only   absent
 *   tsbpf_amb     two flavors, ___x and ___y, with 'v' at different offsets:
 *                 a relocation against tsbpf_amb is ambiguous (core_ambiguous.c)
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum tsbpf_color {
	TSBPF_BLUE = 7,
	TSBPF_GREEN = 8,
	TSBPF_RED = 9,
	TSBPF_ALPHA = 10,
};

struct tsbpf_point {
	long long pad;
	int y;
	int x;
};

struct tsbpf_shape {
	char name[8];
	struct tsbpf_point origin;
	enum tsbpf_color color;
	unsigned int layer : 12;
	unsigned int visible : 1;
	int depth : 6;
	int surface;
};

struct tsbpf_extra {
	long long a;
	int b;
	int c;
};

struct tsbpf_amb___x {
	int v;
};

struct tsbpf_amb___y {
	long long pad;
	int v;
};

/* a global function's prototype puts its argument types in BTF */
__noinline int tsbpf_target_anchor(struct tsbpf_shape *s, struct tsbpf_extra *e,
				   struct tsbpf_amb___x *x, struct tsbpf_amb___y *y)
{
	return s && e && x && y;
}

SEC("socket")
int target_anchor(struct __sk_buff *skb)
{
	return tsbpf_target_anchor(0, 0, 0, 0);
}

char LICENSE[] SEC("license") = "GPL";
