/* Layout corner cases for the C dumper: padding, bitfields, packed and aligned records. */
struct __attribute__((packed)) p13 {
	char c;
	long long l;
	int i;
};

struct holds_packed {
	char c;
	struct p13 p;
	short s;
};

struct bf_gap {
	char a;
	int b : 4;
	int : 0;
	int c : 3;
	long long d : 20;
	long long : 30;
	short e;
	unsigned long long f : 1;
};

struct tail_pad {
	long long a;
	char b;
};

struct aligned_member {
	char a;
	int b __attribute__((aligned(32)));
	char c;
};

struct __attribute__((aligned(64))) cacheline {
	int x;
};

struct bf_only {
	unsigned a : 1;
	unsigned b : 31;
	unsigned c : 2;
};

union bf_union {
	unsigned a : 3;
	unsigned long long b : 50;
	char c;
};

struct __attribute__((packed)) packed_bits {
	char a;
	unsigned int b : 12;
	unsigned int c : 20;
	short d;
};

struct mid_short {
	char a;
	short b;
	char c;
	long long d;
};

struct big_gap {
	char a;
	char b __attribute__((aligned(256)));
};

struct all_layout {
	struct p13 a;
	struct holds_packed b;
	struct bf_gap c;
	struct tail_pad d;
	struct aligned_member e;
	struct cacheline f;
	struct bf_only g;
	union bf_union h;
	struct packed_bits i;
	struct mid_short j;
	struct big_gap k;
};

struct all_layout layout_var;
