/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The program's ("local") view of the types of core_local.c. core_target.c
 * describes the same types as a newer "target" has them: fields renamed,
 * moved, resized or removed, enumerators renumbered, one type missing.
 * Compile core_target.c and use its .BTF as the target BTF (the kernel
 * oracle: --btf-custom-path core_target.o).
 */
#ifndef TSBPF_CORE_TYPES_H
#define TSBPF_CORE_TYPES_H

enum tsbpf_color {
	TSBPF_RED = 0,
	TSBPF_GREEN = 1,
	TSBPF_BLUE = 2,
	TSBPF_BLACK = 3, /* gone from the target */
};

/* an enumerator only the target has, reached through a flavored enum */
enum tsbpf_color___new {
	TSBPF_ALPHA___new = 0,
};

struct tsbpf_point {
	int x;
	int y;
} __attribute__((preserve_access_index));

struct tsbpf_shape {
	enum tsbpf_color color;
	struct tsbpf_point origin;
	unsigned int visible : 1;
	int depth : 5; /* signed */
	unsigned int layer : 10;
	int area;      /* renamed 'surface' in the target */
	int perimeter; /* removed from the target */
	char name[8];
} __attribute__((preserve_access_index));

/* the target's name for 'area', through a flavor of the same struct */
struct tsbpf_shape___renamed {
	int surface;
} __attribute__((preserve_access_index));

/* present in both, larger in the target */
struct tsbpf_extra {
	int a;
	int b;
} __attribute__((preserve_access_index));

/* absent from the target */
struct tsbpf_local_only {
	int a;
} __attribute__((preserve_access_index));

#endif
