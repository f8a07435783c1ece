import {
  Bounds,
  S32_MAX,
  S32_MIN,
  S64_MAX,
  S64_MIN,
  isConst,
  isConst32,
  mark32Unbounded,
  mark64Unbounded,
  copyBounds,
  knownBounds,
  markKnown,
  markKnown32,
  markUnknown,
  syncBounds,
  updateBounds,
  updateBounds32,
  zext32to64,
} from './bounds.js';
import {
  U32_MAX,
  U64_MAX,
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumLshift,
  tnumMul,
  tnumNeg,
  tnumOr,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumSubregIsConst,
  tnumXor,
} from './tnum.js';
import { BPF_ADD, BPF_AND, BPF_ARSH, BPF_LSH, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB, BPF_XOR } from '../isa/opcodes.js';

/**
 * Arithmetic on scalars: given what is known of the two operands, what is
 * known of the result — the known bits and the eight bounds — computed as
 * Linux's adjust_scalar_min_max_vals does, so that the verifier accepts and
 * rejects what the kernel does. Operations whose result Linux does not track
 * (division, modulo, a shift by an unknown amount) give an unknown scalar.
 */

/** The bounds of one half (64 or 32 bits) of a register, unsigned then signed. */
interface Range {
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
}

interface Width {
  bits: 32 | 64;
  umax: bigint;
  smin: bigint;
  smax: bigint;
}

const W64: Width = { bits: 64, umax: U64_MAX, smin: S64_MIN, smax: S64_MAX };
const W32: Width = { bits: 32, umax: U32_MAX, smin: S32_MIN, smax: S32_MAX };

const get = (b: Bounds, w: Width): Range =>
  w.bits === 64 ? { umin: b.umin, umax: b.umax, smin: b.smin, smax: b.smax } : { umin: b.u32min, umax: b.u32max, smin: b.s32min, smax: b.s32max };

function set(b: Bounds, w: Width, r: Range): void {
  if (w.bits === 64) {
    b.umin = r.umin;
    b.umax = r.umax;
    b.smin = r.smin;
    b.smax = r.smax;
  } else {
    b.u32min = r.umin;
    b.u32max = r.umax;
    b.s32min = r.smin;
    b.s32max = r.smax;
  }
}

const uOver = (v: bigint, w: Width): boolean => v < 0n || v > w.umax;
const sOver = (v: bigint, w: Width): boolean => v < w.smin || v > w.smax;
const wrapU = (v: bigint, w: Width): bigint => BigInt.asUintN(w.bits, v);

/**
 * Whether Linux computes a range for `op` with this source: always for
 * add/sub/neg/and/or/xor/mul; for shifts only by a constant below the width.
 */
export function rangeComputable(op: number, src: Bounds, alu32: boolean): boolean {
  switch (op) {
    case BPF_ADD:
    case BPF_SUB:
    case BPF_NEG:
    case BPF_AND:
    case BPF_OR:
    case BPF_XOR:
    case BPF_MUL:
      return true;
    case BPF_LSH:
    case BPF_RSH:
    case BPF_ARSH: {
      const known = alu32
        ? tnumSubregIsConst(src.varOff) && src.s32min === src.s32max && src.u32min === src.u32max
        : isConst(src) && src.smin === src.smax && src.umin === src.umax;
      return known && src.umax < (alu32 ? 32n : 64n);
    }
    default:
      return false;
  }
}

function add(d: Range, s: Range, w: Width): Range {
  let smin = d.smin + s.smin;
  let smax = d.smax + s.smax;
  if (sOver(smin, w) || sOver(smax, w)) {
    smin = w.smin;
    smax = w.smax;
  }
  // All sums wrapping, or none, keeps the range (shifted); only some wrapping loses it.
  const minOver = uOver(d.umin + s.umin, w);
  const maxOver = uOver(d.umax + s.umax, w);
  let umin = wrapU(d.umin + s.umin, w);
  let umax = wrapU(d.umax + s.umax, w);
  if (!minOver && maxOver) {
    umin = 0n;
    umax = w.umax;
  }
  return { umin, umax, smin, smax };
}

function sub(d: Range, s: Range, w: Width): Range {
  let smin = d.smin - s.smax;
  let smax = d.smax - s.smin;
  if (sOver(smin, w) || sOver(smax, w)) {
    smin = w.smin;
    smax = w.smax;
  }
  const minUnder = uOver(d.umin - s.umax, w);
  const maxUnder = uOver(d.umax - s.umin, w);
  let umin = wrapU(d.umin - s.umax, w);
  let umax = wrapU(d.umax - s.umin, w);
  if (minUnder && !maxUnder) {
    umin = 0n;
    umax = w.umax;
  }
  return { umin, umax, smin, smax };
}

function mul(d: Range, s: Range, w: Width): Range {
  let umin = d.umin * s.umin;
  let umax = d.umax * s.umax;
  if (uOver(umin, w) || uOver(umax, w)) {
    umin = 0n;
    umax = w.umax;
  }
  const prods = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
  let smin = w.smin;
  let smax = w.smax;
  if (!prods.some((p) => sOver(p, w))) {
    smin = prods.reduce((a, b) => (b < a ? b : a));
    smax = prods.reduce((a, b) => (b > a ? b : a));
  }
  return { umin, umax, smin, smax };
}

/** Signed bounds from unsigned ones when the unsigned range does not cross the sign bit. */
function signedFromUnsigned(umin: bigint, umax: bigint, w: Width): { smin: bigint; smax: bigint } {
  const sx = (v: bigint): bigint => BigInt.asIntN(w.bits, v);
  return sx(umin) <= sx(umax) ? { smin: sx(umin), smax: sx(umax) } : { smin: w.smin, smax: w.smax };
}

/** and/or/xor: the range from the known bits of the result (already computed in varOff). */
function bitwise(op: number, b: Bounds, d: Range, s: Range, w: Width): void {
  const t = w.bits === 64 ? b.varOff : tnumSubreg(b.varOff);
  const lo = t.value;
  const hi = t.value | t.mask;
  let umin: bigint;
  let umax: bigint;
  if (op === BPF_AND) {
    umin = lo;
    umax = d.umax < s.umax ? d.umax : s.umax;
  } else if (op === BPF_OR) {
    umin = d.umin > s.umin ? d.umin : s.umin;
    umax = hi;
  } else {
    umin = lo;
    umax = hi;
  }
  set(b, w, { umin, umax, ...signedFromUnsigned(umin, umax, w) });
}

function bitwiseOp(op: number, dst: Bounds, src: Bounds, alu32: boolean): void {
  const d64 = get(dst, W64);
  const s64r = get(src, W64);
  const d32 = get(dst, W32);
  const s32r = get(src, W32);
  dst.varOff = op === BPF_AND ? tnumAnd(dst.varOff, src.varOff) : op === BPF_OR ? tnumOr(dst.varOff, src.varOff) : tnumXor(dst.varOff, src.varOff);
  // as in Linux, "dst known" looks at the result's bits
  const srcConst = isConst(src);
  const dstConst = isConst(dst);
  const srcConst32 = tnumSubregIsConst(src.varOff);
  const dstConst32 = tnumSubregIsConst(dst.varOff);
  if (srcConst32 && dstConst32) markKnown32(dst, tnumSubreg(dst.varOff).value);
  else {
    bitwise(op, dst, d32, s32r, W32);
    updateBounds32(dst);
  }
  if (alu32) return;
  if (srcConst && dstConst) {
    markKnown(dst, dst.varOff.value);
    return;
  }
  bitwise(op, dst, d64, s64r, W64);
  updateBounds(dst);
}

function lsh64(b: Bounds, umin: bigint, umax: bigint): void {
  // `<< 32` of a non-negative 32-bit value is the common sign-extension idiom: keep the sign.
  b.smax = umin === 32n && umax === 32n && b.s32max >= 0n ? b.s32max << 32n : S64_MAX;
  b.smin = umin === 32n && umax === 32n && b.s32min >= 0n ? b.s32min << 32n : S64_MIN;
  if (b.umax > 1n << (63n - umax)) {
    b.umin = 0n;
    b.umax = U64_MAX;
  } else {
    b.umin <<= umin;
    b.umax <<= umax;
  }
}

function lsh32(b: Bounds, umin: bigint, umax: bigint): void {
  b.s32min = S32_MIN;
  b.s32max = S32_MAX;
  if (umax > 31n || b.u32max > 1n << (31n - umax)) {
    b.u32min = 0n;
    b.u32max = U32_MAX;
  } else {
    b.u32min <<= umin;
    b.u32max <<= umax;
  }
}

function shift(op: number, b: Bounds, src: Bounds, alu32: boolean): void {
  if (alu32) {
    const lo = src.u32min;
    const hi = src.u32max;
    const sub = tnumSubreg(b.varOff);
    if (op === BPF_LSH) {
      lsh32(b, lo, hi);
      b.varOff = tnumSubreg(tnumLshift(sub, Number(lo)));
    } else if (op === BPF_RSH) {
      b.s32min = S32_MIN;
      b.s32max = S32_MAX;
      b.varOff = tnumRshift(sub, Number(lo));
      b.u32min >>= hi;
      b.u32max >>= lo;
    } else {
      b.s32min = BigInt.asIntN(32, b.s32min >> lo);
      b.s32max = BigInt.asIntN(32, b.s32max >> lo);
      b.varOff = tnumArshift(sub, Number(lo), 32);
      b.u32min = 0n;
      b.u32max = U32_MAX;
    }
    mark64Unbounded(b);
    updateBounds32(b);
    return;
  }
  const lo = src.umin;
  const hi = src.umax;
  if (op === BPF_LSH) {
    // the 64-bit computation reads the unshifted 32-bit bounds: it goes first
    lsh64(b, lo, hi);
    lsh32(b, lo, hi);
    b.varOff = tnumLshift(b.varOff, Number(lo));
  } else if (op === BPF_RSH) {
    b.smin = S64_MIN;
    b.smax = S64_MAX;
    b.varOff = tnumRshift(b.varOff, Number(lo));
    b.umin >>= hi;
    b.umax >>= lo;
    mark32Unbounded(b);
  } else {
    b.smin >>= lo;
    b.smax >>= lo;
    b.varOff = tnumArshift(b.varOff, Number(lo), 64);
    b.umin = 0n;
    b.umax = U64_MAX;
    mark32Unbounded(b);
  }
  updateBounds(b);
}

function arith(op: number, dst: Bounds, src: Bounds, alu32: boolean): void {
  const f = op === BPF_ADD ? add : op === BPF_SUB ? sub : mul;
  const r32 = f(get(dst, W32), get(src, W32), W32);
  const r64 = f(get(dst, W64), get(src, W64), W64);
  dst.varOff = op === BPF_ADD ? tnumAdd(dst.varOff, src.varOff) : op === BPF_SUB ? tnumSub(dst.varOff, src.varOff) : tnumMul(dst.varOff, src.varOff);
  set(dst, W32, r32);
  if (!alu32) set(dst, W64, r64);
}

/**
 * dst = dst OP src on scalars, in 64 or 32 bits (a 32-bit result is
 * zero-extended, as the ISA defines). NEG ignores src.
 */
export function scalarAlu(op: number, dst: Bounds, src: Bounds, alu32: boolean): void {
  if (!rangeComputable(op, src, alu32)) {
    // Linux forgets all 64 bits here, even after a 32-bit operation
    markUnknown(dst);
    return;
  }
  if (alu32 ? isConst32(dst) && isConst32(src) : isConst(dst) && isConst(src)) {
    // Known operands give a known result: the range arithmetic and syncBounds
    // would arrive at exactly this value (their bounds are sound), only slower.
    markKnown(dst, concreteAlu(op, dst.varOff.value, src.varOff.value, alu32));
    return;
  }
  switch (op) {
    case BPF_ADD:
    case BPF_SUB:
    case BPF_MUL:
      arith(op, dst, src, alu32);
      break;
    case BPF_NEG: {
      const zero = knownBounds(0n);
      arith(BPF_SUB, zero, dst, alu32);
      zero.varOff = tnumNeg(dst.varOff);
      copyBounds(dst, zero);
      break;
    }
    case BPF_AND:
    case BPF_OR:
    case BPF_XOR:
      bitwiseOp(op, dst, src, alu32);
      break;
    default:
      shift(op, dst, src, alu32);
  }
  if (alu32) zext32to64(dst);
  syncBounds(dst);
}

/**
 * The concrete result of an ALU op on unsigned 64-bit values, as the ISA
 * computes it (for known operands, and for tests). Only the results that
 * can leave the unsigned range are wrapped: this runs for every instruction
 * on known values.
 */
export function concreteAlu(op: number, a: bigint, b: bigint, alu32: boolean): bigint {
  const bits = alu32 ? 32 : 64;
  const x = alu32 ? BigInt.asUintN(32, a) : a;
  const y = alu32 ? BigInt.asUintN(32, b) : b;
  switch (op) {
    case BPF_ADD: return BigInt.asUintN(bits, x + y);
    case BPF_SUB: return BigInt.asUintN(bits, x - y);
    case BPF_MUL: return BigInt.asUintN(bits, x * y);
    case BPF_NEG: return BigInt.asUintN(bits, -x);
    case BPF_AND: return x & y;
    case BPF_OR: return x | y;
    case BPF_XOR: return x ^ y;
    case BPF_LSH: return BigInt.asUintN(bits, x << shiftBy(y, alu32));
    case BPF_RSH: return x >> shiftBy(y, alu32);
    case BPF_ARSH: return BigInt.asUintN(bits, BigInt.asIntN(bits, x) >> shiftBy(y, alu32));
    default: throw new RangeError(`op ${op}`);
  }
}

/** The ISA masks a shift amount to the operation's width. */
const shiftBy = (y: bigint, alu32: boolean): bigint => y & (alu32 ? 31n : 63n);

export { isConst32 };
