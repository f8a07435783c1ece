import {
  TNUM_UNKNOWN,
  Tnum,
  U32_MAX,
  U64_MAX,
  s32,
  s64,
  tnum,
  tnumClearSubreg,
  tnumConst,
  tnumIntersect,
  tnumIsConst,
  tnumOr,
  tnumRange,
  tnumStep,
  tnumSubreg,
  u32,
  u64,
} from './tnum.js';

/**
 * What the verifier knows of a 64-bit number (a scalar, or the variable part
 * of a pointer's offset): its known bits and eight bounds — unsigned and
 * signed, of the whole register and of its low 32 bits. Each view can teach
 * the others something, so after every change they are brought back in
 * agreement by syncBounds(), which follows the order of Linux's
 * reg_bounds_sync so that our bounds are the kernel's.
 *
 * All fields are bigints: u* in [0, 2^64) or [0, 2^32), s* signed.
 */
export interface Bounds {
  varOff: Tnum;
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
  u32min: bigint;
  u32max: bigint;
  s32min: bigint;
  s32max: bigint;
}

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export function unknownBounds(): Bounds {
  return { varOff: TNUM_UNKNOWN, umin: 0n, umax: U64_MAX, smin: S64_MIN, smax: S64_MAX, u32min: 0n, u32max: U32_MAX, s32min: S32_MIN, s32max: S32_MAX };
}

export function knownBounds(v: bigint): Bounds {
  const b = unknownBounds();
  markKnown(b, v);
  return b;
}

export function copyBounds(to: Bounds, from: Bounds): void {
  to.varOff = from.varOff;
  to.umin = from.umin;
  to.umax = from.umax;
  to.smin = from.smin;
  to.smax = from.smax;
  to.u32min = from.u32min;
  to.u32max = from.u32max;
  to.s32min = from.s32min;
  to.s32max = from.s32max;
}

/** The register holds exactly `v` (taken modulo 2^64). */
export function markKnown(b: Bounds, v: bigint): void {
  const x = u64(v);
  b.varOff = tnum(x, 0n);
  b.umin = b.umax = x;
  if (x <= S32_MAX) {
    // every view of a small non-negative value is the value itself: no conversions (each makes a BigInt)
    b.smin = b.smax = b.u32min = b.u32max = b.s32min = b.s32max = x;
    return;
  }
  b.smin = b.smax = s64(x);
  b.u32min = b.u32max = u32(x);
  b.s32min = b.s32max = s32(x);
}

/** The low 32 bits are exactly `v`; the high half keeps what it knew. */
export function markKnown32(b: Bounds, v: bigint): void {
  b.varOff = tnumOr(tnumClearSubreg(b.varOff), tnumConst(u32(v)));
  b.u32min = b.u32max = u32(v);
  b.s32min = b.s32max = s32(v);
}

export function markUnbounded(b: Bounds): void {
  mark64Unbounded(b);
  mark32Unbounded(b);
}

export function mark64Unbounded(b: Bounds): void {
  b.umin = 0n;
  b.umax = U64_MAX;
  b.smin = S64_MIN;
  b.smax = S64_MAX;
}

export function mark32Unbounded(b: Bounds): void {
  b.u32min = 0n;
  b.u32max = U32_MAX;
  b.s32min = S32_MIN;
  b.s32max = S32_MAX;
}

export function markUnknown(b: Bounds): void {
  b.varOff = TNUM_UNKNOWN;
  markUnbounded(b);
}

export const isConst = (b: Bounds): boolean => tnumIsConst(b.varOff);
export const isConst32 = (b: Bounds): boolean => (b.varOff.mask & U32_MAX) === 0n;

/** Tighten the bounds with what the known bits say. */
export function updateBounds(b: Bounds): void {
  updateBounds32(b);
  updateBounds64(b);
}

function updateBounds64(b: Bounds): void {
  const { value, mask } = b.varOff;
  // min signed: sign bit set if it may be, other bits at their minimum
  b.smin = max(b.smin, s64(value | (mask & (1n << 63n))));
  b.smax = min(b.smax, s64(value | (mask & S64_MAX)));
  b.umin = max(b.umin, value);
  b.umax = min(b.umax, value | mask);
  singleOverlap(b);
}

/**
 * When the unsigned range and the known bits have exactly one value in
 * common, the register is that value (as Linux's __update_reg64_bounds finds
 * with tnum_step).
 */
function singleOverlap(b: Bounds): void {
  if (b.varOff.mask === 0n || b.umin > b.umax) return;
  const next = tnumStep(b.varOff, b.umin);
  const uminIn = (b.umin & ~b.varOff.mask & U64_MAX) === b.varOff.value;
  const tmax = b.varOff.value | b.varOff.mask;
  if (uminIn && next > b.umax) markKnown(b, b.umin);
  else if (!uminIn && next === tmax) markKnown(b, tmax);
  else if (!uminIn && next <= b.umax && tnumStep(b.varOff, next) > b.umax) markKnown(b, next);
}

export function updateBounds32(b: Bounds): void {
  const t = tnumSubreg(b.varOff);
  b.s32min = max(b.s32min, s32(t.value | (t.mask & (1n << 31n))));
  b.s32max = min(b.s32max, s32(t.value | (t.mask & S32_MAX)));
  b.u32min = max(b.u32min, t.value);
  b.u32max = min(b.u32max, t.value | t.mask);
}

/** Learn 32-bit bounds from 64-bit ones, and the signed 32-bit ones from the unsigned. */
function deduce32(b: Bounds): void {
  // When the high 32 bits do not change over the range, the low bits are a range too.
  if (b.umin >> 32n === b.umax >> 32n) {
    b.u32min = max(b.u32min, u32(b.umin));
    b.u32max = min(b.u32max, u32(b.umax));
    if (s32(b.umin) <= s32(b.umax)) {
      b.s32min = max(b.s32min, s32(b.umin));
      b.s32max = min(b.s32max, s32(b.umax));
    }
  }
  if (b.smin >> 32n === b.smax >> 32n) {
    b.u32min = max(b.u32min, u32(b.smin));
    b.u32max = min(b.u32max, u32(b.smax));
    if (s32(b.smin) <= s32(b.smax)) {
      b.s32min = max(b.s32min, s32(b.smin));
      b.s32max = min(b.s32max, s32(b.smax));
    }
  }
  // High halves that are two consecutive numbers, with low halves going from
  // negative to non-negative: the low halves still form one s32 range.
  if (u32((b.umin >> 32n) + 1n) === u32(b.umax >> 32n) && s32(b.umin) < 0n && s32(b.umax) >= 0n) {
    b.s32min = max(b.s32min, s32(b.umin));
    b.s32max = min(b.s32max, s32(b.umax));
  }
  if (u32((b.smin >> 32n) + 1n) === u32(b.smax >> 32n) && s32(b.smin) < 0n && s32(b.smax) >= 0n) {
    b.s32min = max(b.s32min, s32(b.smin));
    b.s32max = min(b.s32max, s32(b.smax));
  }
  // An unsigned range that does not cross the sign bit is a signed range, and back.
  if (s32(b.u32min) <= s32(b.u32max)) {
    b.s32min = max(b.s32min, s32(b.u32min));
    b.s32max = min(b.s32max, s32(b.u32max));
  }
  if (u32(b.s32min) <= u32(b.s32max)) {
    b.u32min = max(b.u32min, u32(b.s32min));
    b.u32max = min(b.u32max, u32(b.s32max));
  } else if (b.u32max < u32(b.s32min)) {
    // the signed range wraps through the sign bit; the unsigned one meets only its non-negative part
    b.s32min = s32(b.u32min);
    b.u32max = min(b.u32max, u32(b.s32max));
  } else if (u32(b.s32max) < b.u32min) {
    // ...or only its negative part
    b.s32max = s32(b.u32max);
    b.u32min = max(b.u32min, u32(b.s32min));
  }
}

/** Signed and unsigned 64-bit bounds teach each other. */
function deduce64(b: Bounds): void {
  if (s64(b.umin) <= s64(b.umax)) {
    b.smin = max(b.smin, s64(b.umin));
    b.smax = min(b.smax, s64(b.umax));
  }
  if (u64(b.smin) <= u64(b.smax)) {
    b.umin = max(b.umin, u64(b.smin));
    b.umax = min(b.umax, u64(b.smax));
  } else if (b.umax < u64(b.smin)) {
    // The signed range wraps through the sign bit (it is [0, smax] and
    // [smin, -1] as unsigned numbers) and the unsigned range meets only its
    // non-negative part: the values are in [umin, min(umax, smax)].
    b.smin = s64(b.umin);
    b.umax = min(b.umax, u64(b.smax));
  } else if (u64(b.smax) < b.umin) {
    // ...or only its negative part: [max(umin, smin), umax].
    b.smax = s64(b.umax);
    b.umin = max(b.umin, u64(b.smin));
  }
}

/** 64-bit bounds from 32-bit ones: the low half of the extremes can be raised or lowered. */
function deduceMixed(b: Bounds): void {
  const hi = U64_MAX ^ U32_MAX;
  b.umin = max(b.umin, (b.umin & hi) | b.u32min);
  b.umax = min(b.umax, (b.umax & hi) | b.u32max);
  b.smin = max(b.smin, s64((u64(b.smin) & hi) | b.u32min));
  b.smax = min(b.smax, s64((u64(b.smax) & hi) | b.u32max));
  // A sign-extended non-negative 32-bit value: the 64-bit range is the 32-bit one.
  if (b.s32min >= 0n && b.smin >= S32_MIN && b.smax <= S32_MAX) {
    b.smin = b.s32min;
    b.smax = b.s32max;
    b.umin = b.s32min;
    b.umax = b.s32max;
    b.varOff = tnumIntersect(b.varOff, tnumRange(b.smin, b.smax));
  }
}

function deduce(b: Bounds): void {
  deduce32(b);
  deduce64(b);
  deduceMixed(b);
}

/** Known bits from the unsigned ranges, of the whole register and of its low half. */
function boundOffset(b: Bounds): void {
  const v64 = tnumIntersect(b.varOff, tnumRange(b.umin, b.umax));
  const v32 = tnumIntersect(tnumSubreg(v64), tnumRange(b.u32min, b.u32max));
  b.varOff = tnumOr(tnumClearSubreg(v64), v32);
}

/**
 * A known value that every bound allows: the full sync would narrow every
 * bound to it and change nothing else. Returns whether that was the case.
 */
function syncKnown(b: Bounds): boolean {
  const v = b.varOff.value;
  // (a small non-negative value is its own signed and 32-bit views: no conversions, each of which makes a BigInt)
  const small = v <= S32_MAX;
  const sv = small ? v : s64(v);
  const lo = small ? v : u32(v);
  const slo = small ? v : s32(v);
  if (v < b.umin || v > b.umax || sv < b.smin || sv > b.smax || lo < b.u32min || lo > b.u32max || slo < b.s32min || slo > b.s32max) return false;
  b.umin = b.umax = v;
  b.smin = b.smax = sv;
  b.u32min = b.u32max = lo;
  b.s32min = b.s32max = slo;
  return true;
}

/** Nothing known of any view: no view can teach another anything. */
const allUnknown = (b: Bounds): boolean =>
  b.varOff.mask === U64_MAX && b.umin === 0n && b.umax === U64_MAX && b.smin === S64_MIN && b.smax === S64_MAX &&
  b.u32min === 0n && b.u32max === U32_MAX && b.s32min === S32_MIN && b.s32max === S32_MAX;

/** Bring every view in agreement with the others (Linux's reg_bounds_sync). */
export function syncBounds(b: Bounds): void {
  if (b.varOff.mask === 0n ? syncKnown(b) : allUnknown(b)) return;
  updateBounds(b);
  // Linux deduces three times; once nothing changes, more rounds change nothing
  for (let i = 0; i < 3; i++) {
    const { umin, umax, smin, smax, u32min, u32max, s32min, s32max, varOff } = b;
    deduce(b);
    if (
      umin === b.umin && umax === b.umax && smin === b.smin && smax === b.smax &&
      u32min === b.u32min && u32max === b.u32max && s32min === b.s32min && s32max === b.s32max && varOff === b.varOff
    ) break;
  }
  boundOffset(b);
  updateBounds(b);
}

/** Whether the bounds still describe at least one value (false after narrowing on an impossible branch). */
export function boundsConsistent(b: Bounds): boolean {
  return b.umin <= b.umax && b.smin <= b.smax && b.u32min <= b.u32max && b.s32min <= b.s32max && (b.varOff.value & b.varOff.mask) === 0n;
}

/**
 * The 64-bit register after a 32-bit operation: the low half as it is,
 * the high half zero.
 */
export function zext32to64(b: Bounds): void {
  b.varOff = tnumSubreg(b.varOff);
  assign32into64(b);
}

function assign32into64(b: Bounds): void {
  b.umin = b.u32min;
  b.umax = b.u32max;
  if (b.s32min >= 0n && b.s32max >= 0n) {
    b.smin = b.s32min;
    b.smax = b.s32max;
  } else {
    b.smin = 0n;
    b.smax = U32_MAX;
  }
}

/** Keep the low `size` bytes (a narrow load or a 32-bit move): zero-extension. */
export function coerceToSize(b: Bounds, size: number): void {
  if (size >= 8) return;
  const mask = (1n << BigInt(size * 8)) - 1n;
  b.varOff = { value: b.varOff.value & mask, mask: b.varOff.mask & mask };
  if ((b.umin & ~mask) === (b.umax & ~mask)) {
    b.umin &= mask;
    b.umax &= mask;
  } else {
    b.umin = 0n;
    b.umax = mask;
  }
  b.smin = b.umin;
  b.smax = b.umax;
  // The 32-bit bounds of a 4-byte value still hold; narrower ones are re-derived.
  if (size < 4) mark32Unbounded(b);
  syncBounds(b);
}

/**
 * Keep the low `size` bytes and sign-extend them to 64 bits (a
 * sign-extending load, movsx), as Linux's coerce_reg_to_size_sx: a constant
 * stays exact; a range whose ends have the same high bits and extend to the
 * same sign stays a range; anything else is the whole sign-extended width.
 */
export function coerceToSizeSx(b: Bounds, size: number): void {
  const bits = size * 8;
  const sx = (v: bigint): bigint => BigInt.asIntN(bits, v);
  if (b.varOff.mask === 0n) {
    markKnown(b, sx(b.varOff.value));
    return;
  }
  const top = (v: bigint): bigint => u64(v) >> BigInt(bits);
  if (top(b.smax) === top(b.smin)) {
    const a = sx(b.smax);
    const c = sx(b.smin);
    const hi = a > c ? a : c;
    const lo = a < c ? a : c;
    if (hi >= 0n === lo >= 0n) {
      b.smin = lo;
      b.s32min = s32(lo);
      b.smax = hi;
      b.s32max = s32(hi);
      b.umin = u64(lo);
      b.u32min = u32(lo);
      b.umax = u64(hi);
      b.u32max = u32(hi);
      b.varOff = tnumRange(u64(lo), u64(hi));
      return;
    }
  }
  const lim = 1n << BigInt(bits - 1);
  b.smin = b.s32min = -lim;
  b.smax = b.s32max = lim - 1n;
  b.umin = b.u32min = 0n;
  b.umax = U64_MAX;
  b.u32max = U32_MAX;
  b.varOff = TNUM_UNKNOWN;
}

/** The low 32 bits sign-extended from `size` bytes (32-bit movsx), as Linux's coerce_subreg_to_size_sx; the caller zero-extends. */
export function coerceSubregToSizeSx(b: Bounds, size: number): void {
  const bits = size * 8;
  const sx = (v: bigint): bigint => BigInt.asIntN(bits, v);
  if (b.varOff.mask === 0n) {
    const v = u32(sx(b.varOff.value));
    b.varOff = tnumConst(v);
    b.s32min = b.s32max = s32(v);
    b.u32min = b.u32max = v;
    return;
  }
  const top = (v: bigint): bigint => u32(v) >> BigInt(bits);
  if (top(b.s32max) === top(b.s32min)) {
    const a = sx(b.s32max);
    const c = sx(b.s32min);
    const hi = a > c ? a : c;
    const lo = a < c ? a : c;
    if (hi >= 0n === lo >= 0n) {
      b.s32min = lo;
      b.s32max = hi;
      b.u32min = u32(lo);
      b.u32max = u32(hi);
      b.varOff = tnumSubreg(tnumRange(u64(lo), u64(hi)));
      return;
    }
  }
  const lim = 1n << BigInt(bits - 1);
  b.s32min = -lim;
  b.s32max = lim - 1n;
  b.u32min = 0n;
  b.u32max = U32_MAX;
  b.varOff = tnumSubreg(TNUM_UNKNOWN);
}

/** Whether a concrete value lies inside the bounds (for tests and assertions). */
export function boundsContain(b: Bounds, v: bigint): boolean {
  const x = u64(v);
  const lo = u32(x);
  return (
    (x & ~b.varOff.mask & U64_MAX) === b.varOff.value &&
    x >= b.umin && x <= b.umax &&
    s64(x) >= b.smin && s64(x) <= b.smax &&
    lo >= b.u32min && lo <= b.u32max &&
    s32(x) >= b.s32min && s32(x) <= b.s32max
  );
}
