import { u32 } from './access.js';
import type { HelperDef, HelperEnv } from './registry.js';

/**
 * bpf_csum_diff (net/core/filter.c) and the Internet checksum arithmetic it
 * is made of (RFC 1071): one's complement sums, kept as 32-bit partial sums
 * (__wsum) with the carry out of bit 31 added back in (end-around carry).
 *
 * Linux computes csum_partial over the bytes as they lie in memory: words
 * read little-endian on x86-64 (the same sum, byte-swapped, as summing the
 * big-endian 16-bit words; one's complement addition commutes with byte
 * swapping), a last short word padded with zeros. A partial sum is 0 only
 * when the seed and every byte are zero; any other sum that is 0 mod
 * 0xffffffff comes out as 0xffffffff. That distinction shows through `~`
 * and through the final fold, so the arithmetic here follows it exactly.
 */

/** a + b with end-around carry (csum_add) */
export function csumAdd(a: number, b: number): number {
  const s = (a >>> 0) + (b >>> 0);
  return s > 0xffffffff ? s - 0xffffffff : s;
}

/** a - b in one's complement (csum_sub: a + ~b) */
export function csumSub(a: number, b: number): number {
  return csumAdd(a, ~b >>> 0);
}

/** csum_partial: `seed` plus the bytes as little-endian 32-bit words, the last zero-padded. */
export function csumPartial(bytes: Uint8Array, seed: number): number {
  let sum = seed >>> 0;
  const whole = bytes.length & ~3;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < whole; i += 4) sum = csumAdd(sum, dv.getUint32(i, true));
  let tail = 0;
  for (let i = whole; i < bytes.length; i++) tail |= bytes[i]! << (8 * (i - whole));
  return whole === bytes.length ? sum : csumAdd(sum, tail >>> 0);
}

/** Fold a 32-bit partial sum to 16 bits (from32to16; not complemented: that is csum_fold). */
export function csumFold16(sum: number): number {
  let x = (sum & 0xffff) + (sum >>> 16);
  x = (x & 0xffff) + (x >>> 16);
  return x;
}

/**
 * s64 bpf_csum_diff(__be32 *from, u32 from_size, __be32 *to, u32 to_size,
 * __wsum seed): the checksum difference of replacing `from` with `to`, added
 * to `seed` — with only `to`, the sum of `to` plus seed (pushing data); with
 * only `from`, seed minus the sum of `from` (pulling data). Linux 6.18 (since
 * "bpf_csum_diff: optimize and homogenize for all archs", 6.13) folds the
 * result to 16 bits on every architecture and takes any sizes (no longer only
 * multiples of 4, nor at most 512 bytes); verified against the running
 * kernel with kernel-oracle.py.
 */
function csumDiff(env: HelperEnv, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint {
  const fromSize = u32(r2);
  const toSize = u32(r4);
  const seed = u32(r5);
  const from = fromSize ? env.read(r1, fromSize) : undefined;
  const to = toSize ? env.read(r3, toSize) : undefined;
  let sum: number;
  if (from && to) sum = csumSub(csumPartial(to, seed), csumPartial(from, 0));
  else if (to) sum = csumPartial(to, seed);
  else if (from) sum = ~csumPartial(from, ~seed >>> 0) >>> 0;
  else sum = seed;
  return BigInt(csumFold16(sum));
}

/** `from` and `to` are ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY in Linux (NULL with size 0). */
export const csumDiffHelper: HelperDef = {
  id: 28,
  name: 'csum_diff',
  proto: { ret: 'INTEGER', args: ['PTR_TO_MEM', 'CONST_SIZE_OR_ZERO', 'PTR_TO_MEM', 'CONST_SIZE_OR_ZERO', 'ANYTHING'] },
  fn: csumDiff,
};

export const CSUM_HELPERS: readonly HelperDef[] = [csumDiffHelper];
