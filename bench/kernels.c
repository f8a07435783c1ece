/*
 * tsbpf benchmark kernels as BPF programs (compiled by gen-kernels.sh).
 *
 * The kernels themselves live in ../shared/bench/kernels.h (shared with the
 * native and Linux-JIT reference measurements); this file only wraps each one
 * in a BPF entry point following the bench harness contract:
 *   r1 = pointer to the input bytes, r2 = their length, r0 = result.
 * One ELF section per program, so each can be disassembled on its own.
 */
#include "kernels.h"

#define SEC(name) __attribute__((section(name), used))

SEC("bench/sum64")
u64 sum64(const u8 *buf, u64 len) {
    (void)len;
    return k_sum64(buf);
}

SEC("bench/fnv1a")
u64 fnv1a(const u8 *buf, u64 len) {
    (void)len;
    return k_fnv1a(buf);
}

SEC("bench/parse")
u64 parse(const u8 *data, u64 len) {
    return k_parse(data, data + len);
}

SEC("bench/xorshift")
u64 xorshift(const u8 *buf, u64 len) {
    (void)len;
    const u64 *w = (const u64 *)buf;
    u64 x = w[0];
    u64 n = w[1];
    for (u64 i = 0; i < n; i++) x = xs_step(x);
    return x;
}

SEC("bench/empty")
u64 empty(const u8 *buf, u64 len) {
    (void)buf;
    (void)len;
    return 0;
}
