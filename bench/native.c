/*
 * Native reference for the benchmark (built by bench/verified.ts with gcc -O2):
 * the kernels of ../shared/bench/kernels.h on the same inputs as the XDP
 * programs of kernels-xdp.c (xorshift: XS_STEPS steps from XS_SEED). For each
 * kernel it prints one line "name median_ns result_hex": the median over 25
 * samples of (sample time / runs), a sample being at least ~5 ms of runs,
 * timed by the thread's CPU clock (as the kernel's test run, which stops its
 * clock while it yields the CPU).
 * An empty asm statement on the input pointer before each run keeps the
 * compiler from hoisting the work out of the timing loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "kernels.h"
#include "bench-inputs.h"

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static u8 packet[64];
static u8 buf[BUF_SIZE];

static u64 run_sum64(const u8 *p) { return k_sum64(p); }
static u64 run_fnv1a(const u8 *p) { return k_fnv1a(p); }
static u64 run_parse(const u8 *p) { return k_parse(p, p + sizeof packet); }
static u64 run_xorshift(const u8 *p) {
    u64 x = *(const u64 *)p;
    for (u32 i = 0; i < XS_STEPS; i++) x = xs_step(x);
    return x;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench(const char *name, u64 (*fn)(const u8 *), const u8 *input) {
    enum { SAMPLES = 25 };
    u64 r = 0;
    long runs = 1;
    for (;;) {
        double t0 = now_ns();
        for (long i = 0; i < runs; i++) {
            const u8 *p = input;
            __asm__ volatile("" : "+r"(p));
            r = fn(p);
        }
        if (now_ns() - t0 >= 5e6) break;
        runs *= 2;
    }
    double per[SAMPLES];
    for (int s = 0; s < SAMPLES; s++) {
        double t0 = now_ns();
        for (long i = 0; i < runs; i++) {
            const u8 *p = input;
            __asm__ volatile("" : "+r"(p));
            r = fn(p);
        }
        per[s] = (now_ns() - t0) / runs;
    }
    qsort(per, SAMPLES, sizeof per[0], cmp);
    printf("%s %.3f %llx\n", name, per[SAMPLES / 2], (unsigned long long)r);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PKT64.BIN\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f || fread(packet, 1, sizeof packet, f) != sizeof packet) {
        fprintf(stderr, "%s: cannot read 64 bytes\n", argv[1]);
        return 1;
    }
    fclose(f);
    for (int i = 0; i < BUF_SIZE; i++) buf[i] = BUF4K[i];
    u64 seed = XS_SEED;
    bench("sum64", run_sum64, buf);
    bench("fnv1a", run_fnv1a, buf);
    bench("parse", run_parse, packet);
    bench("xorshift", run_xorshift, (const u8 *)&seed);
    return 0;
}
