/**
 * Tracked numbers ("tnums"): what is known about each bit of a 64-bit value.
 * A bit whose `mask` bit is set is unknown; otherwise it equals the bit of
 * `value` (and `value & mask` is always 0). The set of values a tnum stands
 * for is { x : (x & ~mask) == value }. Every operation here returns a tnum
 * that contains every result of the operation on members of its operands
 * (soundness), as Linux's tnum.c does, so that the verifier's known-bits
 * reasoning matches the kernel's bit for bit.
 *
 * Values are unsigned 64-bit bigints in [0, 2^64).
 */
export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

export const U64_MAX = (1n << 64n) - 1n;
export const U32_MAX = 0xffffffffn;
const HI32 = U64_MAX ^ U32_MAX;

export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
export const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
export const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
export const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);

export const tnum = (value: bigint, mask: bigint): Tnum => ({ value, mask });

export const TNUM_UNKNOWN: Tnum = tnum(0n, U64_MAX);

export function tnumConst(v: bigint): Tnum {
  return tnum(u64(v), 0n);
}

/** The smallest tnum holding every value of [min, max] (unsigned). */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  const bits = chi === 0n ? 0 : chi.toString(2).length;
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return tnum(min & ~delta & U64_MAX, delta);
}

export const tnumIsConst = (a: Tnum): boolean => a.mask === 0n;
export const tnumIsUnknown = (a: Tnum): boolean => a.mask === U64_MAX;
export const tnumEquals = (a: Tnum, b: Tnum): boolean => a.value === b.value && a.mask === b.mask;

export function tnumLshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return tnum(u64(a.value << s), u64(a.mask << s));
}

export function tnumRshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return tnum(a.value >> s, a.mask >> s);
}

/**
 * Arithmetic shift right in 64 or 32 bits. Shifting value and mask by the
 * same amount is sound: a sign bit that is unknown spreads as unknown bits,
 * a known one as known bits.
 */
export function tnumArshift(a: Tnum, shift: number, bits: 32 | 64): Tnum {
  const s = BigInt(shift);
  if (bits === 32) return tnum(u32(s32(a.value) >> s), u32(s32(a.mask) >> s));
  return tnum(u64(s64(a.value) >> s), u64(s64(a.mask) >> s));
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return tnum(sv & ~mu & U64_MAX, mu);
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return tnum(dv & ~mu & U64_MAX, mu);
}

export function tnumNeg(a: Tnum): Tnum {
  return tnumSub(tnumConst(0n), a);
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return tnum(v, alpha & beta & ~v & U64_MAX);
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return tnum(v, mu & ~v & U64_MAX);
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return tnum(v & ~mu & U64_MAX, mu);
}

/**
 * Multiplication as a sum of partial products: the known product of the
 * known parts, plus, for each bit of `a` that is 1 or unknown, `b` shifted
 * there counted as unknown bits (only b's unknown bits when a's bit is a
 * certain 1).
 */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  const accV = u64(a.value * b.value);
  let accM = tnum(0n, 0n);
  let av = a.value;
  let am = a.mask;
  let bv = b.value;
  let bm = b.mask;
  while (av !== 0n || am !== 0n) {
    if (av & 1n) accM = tnumAdd(accM, tnum(0n, bm));
    else if (am & 1n) accM = tnumAdd(accM, tnum(0n, bv | bm));
    av >>= 1n;
    am >>= 1n;
    bv = u64(bv << 1n);
    bm = u64(bm << 1n);
  }
  return tnumAdd(tnum(accV, 0n), accM);
}

/** The values both tnums allow (when they contradict, a known 1 wins, as in Linux). */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return tnum(v & ~mu & U64_MAX, mu);
}

/** Truncate to the low `size` bytes. */
export function tnumCast(a: Tnum, size: number): Tnum {
  if (size >= 8) return a;
  const m = (1n << BigInt(size * 8)) - 1n;
  return tnum(a.value & m, a.mask & m);
}

export function tnumIsAligned(a: Tnum, size: number): boolean {
  if (size === 0) return true;
  return ((a.value | a.mask) & BigInt(size - 1)) === 0n;
}

/** Whether every value of `b` is a value of `a`. */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  // the common cases without BigInt arithmetic: the same unknown bits, or all of them
  if (a.mask === b.mask) return a.value === b.value;
  if (a.mask === U64_MAX) return a.value === 0n;
  if ((b.mask & a.mask) !== b.mask) return false;
  // a.value has no bit of a.mask: b's known bits outside a.mask must be a.value
  return (b.value | a.mask) === (a.value | a.mask);
}

/** Whether the concrete value `v` is one of the tnum's values. */
export function tnumContains(a: Tnum, v: bigint): boolean {
  return (u64(v) & ~a.mask & U64_MAX) === a.value;
}

// The low 32 bits (the subregister) and the high 32 bits separately.
export const tnumSubreg = (a: Tnum): Tnum => tnumCast(a, 4);
export const tnumClearSubreg = (a: Tnum): Tnum => tnum(a.value & HI32, a.mask & HI32);
export const tnumWithSubreg = (reg: Tnum, sub: Tnum): Tnum => tnumOr(tnumClearSubreg(reg), tnumSubreg(sub));
export const tnumConstSubreg = (a: Tnum, v: bigint): Tnum => tnumWithSubreg(a, tnumConst(u32(v)));
export const tnumSubregIsConst = (a: Tnum): boolean => (a.mask & U32_MAX) === 0n;

/**
 * The smallest member of `t` greater than `z` (Linux's tnum_step), or the
 * largest member when there is none.
 */
export function tnumStep(t: Tnum, z: bigint): bigint {
  const tmax = t.value | t.mask;
  if (z >= tmax) return tmax;
  if (z < t.value) return t.value;
  const x = z + 1n;
  // the highest fixed bit where x differs from the tnum's known bits
  const diff = (x ^ t.value) & ~t.mask & U64_MAX;
  if (diff === 0n) return x;
  const d = BigInt(diff.toString(2).length - 1);
  const above = (v: bigint, i: bigint): bigint => v & ~((1n << (i + 1n)) - 1n) & U64_MAX;
  if ((t.value >> d) & 1n) return above(x & t.mask, d) | t.value;
  // x has a 1 where the tnum has a known 0: carry into the lowest free 0 bit above d
  for (let j = d + 1n; j < 64n; j++) {
    if ((t.mask >> j) & 1n && !((x >> j) & 1n)) return above(x & t.mask, j) | (1n << j) | t.value;
  }
  return tmax;
}

/** The bytes of the low `bits` reversed, value and mask alike: every known bit stays known. */
export function tnumBswap(a: Tnum, bits: number): Tnum {
  const swap = (v: bigint): bigint => {
    let out = 0n;
    for (let i = 0; i < bits / 8; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
    return out;
  };
  return tnum(swap(a.value), swap(a.mask));
}

/** As Linux's log prints a tnum: "(0x0; 0xff)". */
export function tnumStr(a: Tnum): string {
  return `(${hex(a.value)}; ${hex(a.mask)})`;
}

const hex = (v: bigint): string => (v === 0n ? '0x0' : `0x${v.toString(16)}`);
