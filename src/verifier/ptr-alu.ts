import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { S64_MAX, S64_MIN, mark32Unbounded, syncBounds } from './bounds.js';
import { Ctx, VerifierError, reject } from './context.js';
import { tnumLog } from './log.js';
import { regionAccess } from './region.js';
import { Reg, cloneReg, constScalar, isPkt, setUnknown, typeStr } from './reg.js';
import { U64_MAX, tnumAdd, tnumIsConst, tnumSub } from './tnum.js';
import { ALU_STR } from './log-insn.js';

/**
 * Pointer arithmetic (Linux's adjust_ptr_min_max_vals): only `ptr += scalar`,
 * `scalar += ptr` and `ptr -= scalar`, in 64 bits, on pointer types whose
 * region has bounds the later access can check. A constant goes into the
 * fixed offset; anything else into the variable offset (the bounds), which
 * memory checks then bound. A packet pointer that moves by an unknown amount
 * becomes a new pointer (a new id) with no checked range.
 */

/** Offsets beyond ±2^29 are refused outright: checks could overflow. */
export const MAX_VAR_OFF = 1 << 29;

const ALLOWED = new Set(['ctx', 'map_value', 'map_key', 'stack', 'pkt_meta', 'pkt', 'mem', 'func', 'btf_id']);

export function pointerAlu(ctx: Ctx, ins: Insn, op: number, ptr: Reg, off: Reg, scalarPlusPtr: boolean): Reg {
  return moveFixed(ctx, ins, op, ptr, off, scalarPlusPtr) ?? moveAny(ctx, ins, op, ptr, off, scalarPlusPtr);
}

/**
 * The common move, a pointer whose variable part is zero moved by a known
 * amount (to a field, to a stack slot): only its fixed offset changes. Every
 * check of moveAny would pass and its bounds sync would change nothing, so
 * the result is the pointer at the new fixed offset; undefined for any other
 * move (moveAny then decides, and names what is wrong). Until V8 optimizes
 * them, moveAny and its checks cost several times this, at every pointer
 * move of a program verified only a few times.
 */
function moveFixed(ctx: Ctx, ins: Insn, op: number, ptr: Reg, off: Reg, scalarPlusPtr: boolean): Reg | undefined {
  const add = op === o.BPF_ADD;
  if (!ctx.priv || o.cls(ins.code) !== o.BPF_ALU64 || ptr.maybeNull || !ALLOWED.has(ptr.type)) return undefined;
  if (!add && (op !== o.BPF_SUB || scalarPlusPtr || ptr.type === 'stack')) return undefined;
  if (!zeroVarOff(ptr) || !saneKnown(off) || !withinVarOffLimit(ptr.off)) return undefined;
  const fixed = add ? ptr.off + Number(off.smin) : ptr.off - Number(off.smin);
  if (!withinVarOffLimit(fixed)) return undefined;
  const dst = cloneReg(ptr);
  dst.off = fixed;
  return dst;
}

const withinVarOffLimit = (n: number): boolean => n < MAX_VAR_OFF && n > -MAX_VAR_OFF;

/** Every view of the variable part is the constant 0: what a pointer moved only by constants has. */
const zeroVarOff = (r: Reg): boolean =>
  r.varOff.mask === 0n && r.varOff.value === 0n && r.umin === 0n && r.umax === 0n && r.smin === 0n && r.smax === 0n &&
  r.u32min === 0n && r.u32max === 0n && r.s32min === 0n && r.s32max === 0n;

/** A known offset that saneOffset accepts, with bounds that agree (no dead branch). */
function saneKnown(r: Reg): boolean {
  const v = r.varOff;
  if (v.mask !== 0n || r.smin !== r.smax || r.umin !== r.umax || !withinVarOffLimit(r.off)) return false;
  return r.smin < VAR_OFF_LIM && r.smin > VAR_OFF_NEG_LIM && !constOutOfReach(v.value);
}

/** Linux's adjust_ptr_min_max_vals, for any move. */
function moveAny(ctx: Ctx, ins: Insn, op: number, ptr: Reg, off: Reg, scalarPlusPtr: boolean): Reg {
  const dstno = ins.dst;
  const known = tnumIsConst(off.varOff);
  const smin = off.smin;
  if ((known && (off.smin !== off.smax || off.umin !== off.umax)) || off.smin > off.smax || off.umin > off.umax) {
    // bounds from a dead branch: the result means nothing
    const r = constScalar(0n);
    setUnknown(r);
    return r;
  }
  if (o.cls(ins.code) !== o.BPF_ALU64) {
    if (op === o.BPF_SUB && ctx.priv) {
      const r = constScalar(0n);
      setUnknown(r);
      return r;
    }
    reject('EACCES', `R${dstno} 32-bit pointer arithmetic prohibited`, 'do pointer arithmetic with 64-bit instructions (r registers, not w)');
  }
  if (ptr.maybeNull) {
    reject('EACCES', `R${dstno} pointer arithmetic on ${typeStr(ptr)} prohibited, null-check it first`, 'compare the pointer with 0 (if (p == NULL) ...) before doing arithmetic on it');
  }
  const mapPtrOk = ptr.type === 'map_ptr' && known && smin === 0n && op === o.BPF_ADD;
  if (!ALLOWED.has(ptr.type) && !mapPtrOk) reject('EACCES', `R${dstno} pointer arithmetic on ${typeStr(ptr)} prohibited`);
  saneOffset(off, ptr);
  saneOffset(ptr, ptr);
  const dst: Reg = cloneReg(ptr);
  mark32Unbounded(dst);
  switch (op) {
    case o.BPF_ADD:
      add(ctx, dst, ptr, off, known);
      break;
    case o.BPF_SUB:
      if (scalarPlusPtr) reject('EACCES', `R${dstno} tried to subtract pointer from scalar`);
      if (ptr.type === 'stack') reject('EACCES', `R${dstno} subtraction from stack pointer prohibited`, 'add a negative constant to the stack pointer instead');
      sub(ctx, dst, ptr, off, known);
      break;
    case o.BPF_AND:
    case o.BPF_OR:
    case o.BPF_XOR:
      reject('EACCES', `R${dstno} bitwise operator ${ALU_STR[op >> 4]} on pointer prohibited`);
      break;
    default:
      reject('EACCES', `R${dstno} pointer arithmetic with ${ALU_STR[op >> 4]} operator prohibited`);
  }
  saneOffset(dst, ptr);
  syncBounds(dst);
  if (!ctx.priv) sanitizeBounds(dstno, dst);
  return dst;
}

/**
 * Unprivileged programs may only form pointers that stay inside their
 * object (Linux's sanitize_check_bounds: the Spectre masking needs it).
 */
function sanitizeBounds(dstno: number, r: Reg): void {
  if (r.type === 'stack') {
    if (!tnumIsConst(r.varOff)) reject('EACCES', `R${dstno} variable stack access prohibited for !root, var_off=${tnumLog(r.varOff)} off=${r.off}`);
    const off = r.off + Number(BigInt.asIntN(64, r.varOff.value));
    if (off >= 0 || off < -512) reject('EACCES', `R${dstno} stack pointer arithmetic goes out of range, prohibited for !root; off=${off}`);
  } else if (r.type === 'map_value') {
    try {
      regionAccess(dstno, r, r.off, 1, r.map!.valueSize, false, 'map value');
    } catch (e) {
      if (!(e instanceof VerifierError)) throw e;
      throw new VerifierError('EACCES', `R${dstno} pointer arithmetic of map value goes out of range, prohibited for !root`, undefined, [...e.before, e.message]);
    }
  }
}

/** (in doubles, at every pointer move: a sum that fits in 32 bits is exact there, and one that does not cannot round into them) */
const fitsS32 = (v: number): boolean => (v | 0) === v;

function add(ctx: Ctx, dst: Reg, ptr: Reg, off: Reg, known: boolean): void {
  if (known && fitsS32(ptr.off + Number(off.smin))) {
    dst.off = ptr.off + Number(off.smin);
    return;
  }
  const smin = ptr.smin + off.smin;
  const smax = ptr.smax + off.smax;
  const sOver = smin < S64_MIN || smin > S64_MAX || smax < S64_MIN || smax > S64_MAX;
  dst.smin = sOver ? S64_MIN : smin;
  dst.smax = sOver ? S64_MAX : smax;
  const umin = ptr.umin + off.umin;
  const umax = ptr.umax + off.umax;
  const uOver = umin > U64_MAX || umax > U64_MAX;
  dst.umin = uOver ? 0n : umin;
  dst.umax = uOver ? U64_MAX : umax;
  dst.varOff = tnumAdd(ptr.varOff, off.varOff);
  if (isPkt(ptr)) {
    // a packet pointer moved by an unknown amount: its checked range no longer holds
    dst.id = ctx.newId();
    dst.range = 0;
  }
}

function sub(ctx: Ctx, dst: Reg, ptr: Reg, off: Reg, known: boolean): void {
  if (known && fitsS32(ptr.off - Number(off.smin))) {
    dst.off = ptr.off - Number(off.smin);
    return;
  }
  const smin = ptr.smin - off.smax;
  const smax = ptr.smax - off.smin;
  const sOver = smin < S64_MIN || smin > S64_MAX || smax < S64_MIN || smax > S64_MAX;
  dst.smin = sOver ? S64_MIN : smin;
  dst.smax = sOver ? S64_MAX : smax;
  if (ptr.umin < off.umax) {
    dst.umin = 0n;
    dst.umax = U64_MAX;
  } else {
    dst.umin = ptr.umin - off.umax;
    dst.umax = ptr.umax - off.umin;
  }
  dst.varOff = tnumSub(ptr.varOff, off.varOff);
  if (isPkt(ptr)) {
    dst.id = ctx.newId();
    if (off.smin < 0n) dst.range = 0;
  }
}

const VAR_OFF_LIM = BigInt(MAX_VAR_OFF);
const VAR_OFF_NEG_LIM = -VAR_OFF_LIM;
/** -2^29 as an unsigned 64-bit value: known values in [2^29, this] are at least 2^29 away from 0 */
const VAR_OFF_NEG_LIM_U64 = U64_MAX + 1n - VAR_OFF_LIM;

/** Whether a known value (as unsigned 64 bits) is 2^29 or more away from 0 either way: too far for pointer math. */
const constOutOfReach = (value: bigint): boolean => value >= VAR_OFF_LIM && value <= VAR_OFF_NEG_LIM_U64;

/** Linux's check_reg_sane_offset: offsets the later checks can compute without overflow. */
function saneOffset(r: Reg, ptr: Reg): void {
  // (the pointer's type, and the signed view of the value, are made only in a
  // rejection: this runs three times per pointer move)
  const v = r.varOff;
  if (v.mask === 0n && constOutOfReach(v.value)) reject('EINVAL', `math between ${typeStr(ptr)} pointer and ${BigInt.asIntN(64, v.value)} is not allowed`);
  if (!withinVarOffLimit(r.off)) reject('EINVAL', `${typeStr(ptr)} pointer offset ${r.off} is not allowed`, 'keep a pointer within 2^29 bytes of where it points (r10, the map value, ...), even in between moves');
  if (r.smin === S64_MIN) {
    reject('EINVAL', `math between ${typeStr(ptr)} pointer and register with unbounded min value is not allowed`, 'bound the value added to the pointer first, e.g. with `if (x > N) return` or `x &= MASK`');
  }
  if (r.smin >= VAR_OFF_LIM || r.smin <= VAR_OFF_NEG_LIM) reject('EINVAL', `value ${r.smin} makes ${typeStr(ptr)} pointer be out of bounds`);
}
