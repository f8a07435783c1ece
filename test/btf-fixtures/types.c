/* Type shapes for the BTF parser and C dumper: every kind clang emits. */
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef int __s32;
typedef long long __s64;
typedef _Bool bool;

struct list_node {
	struct list_node *next, *prev;
};

struct tree;
typedef struct tree tree_t;

struct tree {
	tree_t *left;
	struct tree *right;
	const char *name;
	volatile int count;
	unsigned long flags[2][3];
};

enum color { RED, GREEN = 5, BLUE = -2 };
enum big { SMALL = 1, HUGE = 0x1ffffffffULL };
enum __attribute__((packed)) tiny { T0, T1 };
enum { ANON_A = 1, ANON_B };

struct bits {
	unsigned int a : 3;
	unsigned int b : 5;
	int c : 7;
	unsigned long long d : 40;
	char e;
	bool f : 1;
	enum color g : 4;
};

struct __attribute__((packed)) packed {
	char c;
	int i;
	long long l;
};

struct with_anon {
	int kind;
	union {
		struct {
			int x, y;
		} point;
		struct {
			__u64 lo;
			__u64 hi;
		};
		char raw[16];
	};
	struct {
		int depth;
	} nested[2];
	enum { WA_ONE, WA_TWO } mode;
};

typedef int (*callback_t)(void *ctx, const struct tree *t, ...);
typedef void (*no_args_t)(void);

struct ops {
	callback_t cb;
	int (*handlers[4])(int, char);
	void (*(*factory)(int))(long);
	const volatile __u32 *restrict ptr;
	char name[16];
	struct list_node list;
	float ratio;
	double precise;
	long double longer;
};

union value {
	__u64 u;
	__s64 s;
	double d;
	struct tree *t;
};

struct padded {
	char a;
	long b;
	char c;
	int d;
	char e __attribute__((aligned(16)));
};

struct empty {};

struct flex {
	int len;
	char data[];
};

typedef struct { int a; } anon_typedef_t;
typedef union { int a; float b; } anon_union_t;
typedef enum { AT_X, AT_Y } anon_enum_t;
typedef anon_typedef_t alias_t;
typedef int arr_t[4];
typedef const int cint;

struct all {
	struct tree t;
	struct bits b;
	struct packed p;
	struct with_anon w;
	struct ops o;
	union value v;
	struct padded pad;
	struct empty e;
	anon_typedef_t at;
	anon_union_t au;
	anon_enum_t ae;
	alias_t al;
	arr_t arr;
	cint ci;
	enum big big;
	enum tiny tiny;
	__s8 s8;
	__u16 u16;
	no_args_t na;
	struct flex *fl;
	struct list_node *ln;
	struct undefined_struct *undef;
	union undefined_union *undefu;
};

struct all global_all;
int counter = 3;
static volatile const int rodata_val = 7;

__attribute__((section("tc"), used))
int prog(struct all *a)
{
	return a->b.c + a->o.name[1] + counter + rodata_val + global_all.t.count + ANON_B;
}

static __attribute__((noinline)) int helper_fn(int x, struct list_node *n)
{
	return x + (n ? 1 : 0);
}

__attribute__((section("xdp"), used))
int prog2(struct list_node *n)
{
	return helper_fn(2, n);
}

char _license[] __attribute__((section("license"), used)) = "GPL";

/*
 * The compiler's own sizes and alignments of some of the types above, read
 * by test/btf.test.ts to check resolveSize and alignOf (keep the order in
 * step with SIZE_FACTS and ALIGN_FACTS there). Types with an explicit
 * aligned() attribute are left out of the alignments: BTF does not record it.
 */
__attribute__((used)) const unsigned long size_facts[] = {
	sizeof(struct all), sizeof(struct tree), sizeof(struct bits), sizeof(struct packed),
	sizeof(struct with_anon), sizeof(struct ops), sizeof(union value), sizeof(struct padded),
	sizeof(struct empty), sizeof(anon_typedef_t), sizeof(alias_t), sizeof(arr_t), sizeof(cint),
	sizeof(enum big), sizeof(enum tiny), sizeof(callback_t), sizeof(struct flex), sizeof(tree_t),
};

__attribute__((used)) const unsigned long align_facts[] = {
	_Alignof(struct tree), _Alignof(struct bits), _Alignof(struct packed), _Alignof(struct with_anon),
	_Alignof(struct ops), _Alignof(union value), _Alignof(anon_typedef_t), _Alignof(arr_t),
	_Alignof(enum big), _Alignof(enum tiny), _Alignof(callback_t), _Alignof(struct list_node),
};
