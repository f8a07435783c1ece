import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { Bounds, boundsConsistent, knownBounds, markUnbounded, syncBounds } from './bounds.js';
import { Ctx, preciseReg, regs, reject } from './context.js';
import { dropRef } from './refs.js';
import { leaksPointer, readReg } from './operands.js';
import { flip, matchPktPointers, pktBranchTaken } from './packet.js';
import { Reg, assignReg, cloneReg, constScalar, isPkt } from './reg.js';
import { VerifierState, allRegs, cloneState, curFrame } from './state.js';
import { U32_MAX, tnumAnd, tnumConst, tnumIntersect, tnumIsConst, tnumOr, tnumSubreg, tnumWithSubreg, tnumXor } from './tnum.js';
import { MapType } from '../maps/map.js';
import { scalarAlu } from './scalar-alu.js';
import type { Loc } from './precision.js';

/**
 * Conditional jumps (Linux's check_cond_jmp_op). When what is known decides
 * the comparison, only one branch is followed. Otherwise both are: the jump
 * target with a copy of the state in which the comparison held, the
 * fall-through with the state in which it did not — each narrowed by what
 * the comparison says (ranges and known bits of scalars, NULL checks of
 * pointers, packet ranges from comparisons with data_end).
 */

/** The outcome of a conditional jump: where to continue, and the other branch to explore later. */
export interface Branch {
  next: number;
  /** the state to continue with, when it is not the current one (only the jump is possible) */
  state?: VerifierState;
  other?: { state: VerifierState; insn: number };
}

/** Not an opcode: the negation of JSET ("no bit set"), as Linux's rev_opcode uses JSET|X. */
const JSET_NOT = 0x100;

export function checkCondJmp(ctx: Ctx, ins: Insn): Branch {
  const op = o.op(ins.code);
  const x = o.srcBit(ins.code) === o.BPF_X;
  const jmp32 = o.cls(ins.code) === o.BPF_JMP32;
  const dst = readReg(ctx, ins.dst);
  let src: Reg;
  if (x) {
    if (ins.imm !== 0) reject('EINVAL', 'BPF_JMP/JMP32 uses reserved fields');
    src = readReg(ctx, ins.src);
    if (!(isPktAny(dst) && isPktAny(src)) && leaksPointer(ctx, src)) reject('EACCES', `R${ins.src} pointer comparison prohibited`);
  } else {
    if (ins.src !== 0) reject('EINVAL', 'BPF_JMP/JMP32 uses reserved fields');
    src = ctx.immOperand();
  }
  const fall = ctx.insnIdx + 1;
  const target = ctx.insnIdx + 1 + ins.off;
  const pred = branchTaken(dst, src, op, jmp32);
  if (pred >= 0) {
    // the outcome decided which path exists: the compared values must be exact when pruning
    // (one walk per register, as Linux does: the level-2 log shows both)
    if (dst.type === 'scalar') preciseReg(ctx, ins.dst);
    if (x && src.type === 'scalar') preciseReg(ctx, ins.src);
    return { next: pred === 1 ? target : fall };
  }
  const linked = collectLinked(ctx, dst, x ? src : undefined);
  if (linked.length > 1) ctx.noteLinked(linked);
  const other = cloneState(ctx.state);
  const oregs = curFrame(other).regs;
  const osrc = x ? oregs[ins.src]! : cloneReg(src);
  const fsrc = x ? src : cloneReg(src);
  setMinMax(oregs[ins.dst]!, osrc, dst, fsrc, op, jmp32);
  if (x && src.type === 'scalar' && src.id) {
    syncLinked(ctx.state, src, linked);
    syncLinked(other, osrc, linked);
  }
  if (dst.type === 'scalar' && dst.id) {
    syncLinked(ctx.state, dst, linked);
    syncLinked(other, oregs[ins.dst]!, linked);
  }
  nullnessFromPointerCompare(ins, op, jmp32, x, dst, src, ctx.state, other);
  if (!jmp32 && !x && ins.imm === 0 && (op === o.BPF_JEQ || op === o.BPF_JNE) && dst.maybeNull) {
    markPtrOrNull(ctx, ctx.state, ins.dst, op === o.BPF_JNE);
    markPtrOrNull(ctx, other, ins.dst, op === o.BPF_JEQ);
  } else if (!matchPktPointers(ins, dst, regs(ctx)[ins.src]!, ctx.state, other) && leaksPointer(ctx, dst)) {
    reject('EACCES', `R${ins.dst} pointer comparison prohibited`);
  }
  return { next: fall, other: { state: other, insn: target } };
}

const isPktAny = (r: Reg): boolean => isPkt(r) || r.type === 'pkt_end';

/** Whether the comparison is always true (1), always false (0), or either (-1) — Linux's is_branch_taken. */
export function branchTaken(a: Reg, b: Reg, op: number, jmp32: boolean): number {
  if (isPktAny(a) && isPktAny(b) && !jmp32) return pktBranchTaken(a, b, op);
  if (a.type !== 'scalar' || b.type !== 'scalar') {
    let p = a;
    let s = b;
    if (!isConst(s, jmp32)) {
      op = flip(op);
      [p, s] = [s, p];
    }
    if (!isConst(s, jmp32) || !notNull(p)) return -1;
    if (constValue(s, jmp32) !== 0n) return -1;
    return op === o.BPF_JEQ ? 0 : op === o.BPF_JNE ? 1 : -1;
  }
  return scalarBranchTaken(a, b, op, jmp32);
}

const isConst = (r: Reg, jmp32: boolean): boolean => r.type === 'scalar' && (jmp32 ? (r.varOff.mask & U32_MAX) === 0n : tnumIsConst(r.varOff));
const constValue = (r: Reg, jmp32: boolean): bigint => (jmp32 ? r.varOff.value & U32_MAX : r.varOff.value);

/** Pointers that are never NULL (Linux's reg_not_null). */
function notNull(r: Reg): boolean {
  if (r.maybeNull) return false;
  return r.type === 'map_value' || r.type === 'map_key' || r.type === 'sock_common' || r.type === 'mem' || r.type === 'map_ptr' || (r.type === 'btf_id' && r.trust === 'trusted_');
}

interface View {
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
}

const view = (r: Bounds, jmp32: boolean): View =>
  jmp32 ? { umin: r.u32min, umax: r.u32max, smin: r.s32min, smax: r.s32max } : { umin: r.umin, umax: r.umax, smin: r.smin, smax: r.smax };

function scalarBranchTaken(r1: Reg, r2: Reg, op: number, jmp32: boolean): number {
  const t1 = jmp32 ? tnumSubreg(r1.varOff) : r1.varOff;
  const t2 = jmp32 ? tnumSubreg(r2.varOff) : r2.varOff;
  const a = view(r1, jmp32);
  const b = view(r2, jmp32);
  const disjoint = (): boolean => {
    if (tnumXor(t1, t2).value & ~(t1.mask | t2.mask) & (jmp32 ? U32_MAX : (1n << 64n) - 1n)) return true;
    if (a.umin > b.umax || a.umax < b.umin || a.smin > b.smax || a.smax < b.smin) return true;
    if (!jmp32 && (r1.u32min > r2.u32max || r1.u32max < r2.u32min || r1.s32min > r2.s32max || r1.s32max < r2.s32min)) return true;
    return false;
  };
  switch (op) {
    case o.BPF_JEQ:
      if (tnumIsConst(t1) && tnumIsConst(t2)) return t1.value === t2.value ? 1 : 0;
      return disjoint() ? 0 : -1;
    case o.BPF_JNE:
      if (tnumIsConst(t1) && tnumIsConst(t2)) return t1.value !== t2.value ? 1 : 0;
      return disjoint() ? 1 : -1;
    case o.BPF_JSET: {
      let x1 = t1;
      let x2 = t2;
      if (!isConst(r2, jmp32)) [x1, x2] = [t2, t1];
      if (!isConst(r2, jmp32) && !isConst(r1, jmp32)) return -1;
      if (x1.value & x2.value) return 1;
      if (!((x1.mask | x1.value) & x2.value)) return 0;
      return -1;
    }
    case o.BPF_JGT:
      return a.umin > b.umax ? 1 : a.umax <= b.umin ? 0 : -1;
    case o.BPF_JSGT:
      return a.smin > b.smax ? 1 : a.smax <= b.smin ? 0 : -1;
    case o.BPF_JLT:
      return a.umax < b.umin ? 1 : a.umin >= b.umax ? 0 : -1;
    case o.BPF_JSLT:
      return a.smax < b.smin ? 1 : a.smin >= b.smax ? 0 : -1;
    case o.BPF_JGE:
      return a.umin >= b.umax ? 1 : a.umax < b.umin ? 0 : -1;
    case o.BPF_JSGE:
      return a.smin >= b.smax ? 1 : a.smax < b.smin ? 0 : -1;
    case o.BPF_JLE:
      return a.umax <= b.umin ? 1 : a.umin > b.umax ? 0 : -1;
    case o.BPF_JSLE:
      return a.smax <= b.smin ? 1 : a.smin > b.smax ? 0 : -1;
    default:
      return -1;
  }
}

/** The comparison that holds on the fall-through path. */
function reverse(op: number): number {
  switch (op) {
    case o.BPF_JEQ: return o.BPF_JNE;
    case o.BPF_JNE: return o.BPF_JEQ;
    case o.BPF_JSET: return JSET_NOT;
    case o.BPF_JGE: return o.BPF_JLT;
    case o.BPF_JGT: return o.BPF_JLE;
    case o.BPF_JLE: return o.BPF_JGT;
    case o.BPF_JLT: return o.BPF_JGE;
    case o.BPF_JSGE: return o.BPF_JSLT;
    case o.BPF_JSGT: return o.BPF_JSLE;
    case o.BPF_JSLE: return o.BPF_JSGT;
    case o.BPF_JSLT: return o.BPF_JSGE;
    default: return op;
  }
}

/**
 * Narrow both branches (Linux's reg_set_min_max): t1/t2 are the operands on
 * the jump's side, f1/f2 on the fall-through side. Returns which branches
 * turned out impossible (their bounds describe no value).
 */
export function setMinMax(t1: Reg, t2: Reg, f1: Reg, f2: Reg, op: number, jmp32: boolean): { jump: boolean; fall: boolean } {
  // (a register compared with itself is narrowed as two operands, as Linux 6.18 does)
  if (f1.type !== 'scalar' || f2.type !== 'scalar') return { jump: false, fall: false };
  refine(f1, f2, reverse(op), jmp32);
  syncBounds(f1);
  syncBounds(f2);
  refine(t1, t2, op, jmp32);
  syncBounds(t1);
  syncBounds(t2);
  // A branch that cannot happen leaves bounds that describe no value; Linux
  // (reg_bounds_sanity_check) then forgets the ranges and explores it anyway.
  for (const r of [t1, t2, f1, f2]) {
    if (boundsConsistent(r)) continue;
    markUnbounded(r);
    syncBounds(r);
  }
  return { jump: false, fall: false };
}

const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** What `r1 OP r2` teaches about both (Linux's regs_refine_cond_op). */
function refine(r1: Reg, r2: Reg, op: number, jmp32: boolean): void {
  if (op === o.BPF_JGE || op === o.BPF_JGT || op === o.BPF_JSGE || op === o.BPF_JSGT) {
    op = flip(op);
    [r1, r2] = [r2, r1];
  }
  switch (op) {
    case o.BPF_JEQ:
      return refineEq(r1, r2, jmp32);
    case o.BPF_JNE: {
      if (!isConst(r2, jmp32)) [r1, r2] = [r2, r1];
      if (!isConst(r2, jmp32)) return;
      const v = constValue(r2, jmp32);
      if (jmp32) {
        if (r1.u32min === v) r1.u32min++;
        if (r1.u32max === v) r1.u32max--;
        if (r1.s32min === BigInt.asIntN(32, v)) r1.s32min++;
        if (r1.s32max === BigInt.asIntN(32, v)) r1.s32max--;
      } else {
        if (r1.umin === v) r1.umin++;
        if (r1.umax === v) r1.umax--;
        if (r1.smin === BigInt.asIntN(64, v)) r1.smin++;
        if (r1.smax === BigInt.asIntN(64, v)) r1.smax--;
      }
      return;
    }
    case o.BPF_JSET:
    case JSET_NOT: {
      if (!isConst(r2, jmp32)) [r1, r2] = [r2, r1];
      if (!isConst(r2, jmp32)) return;
      const v = constValue(r2, jmp32);
      if (op === o.BPF_JSET) {
        if (v === 0n || (v & (v - 1n)) !== 0n) return;
        r1.varOff = jmp32 ? tnumWithSubreg(r1.varOff, tnumOr(tnumSubreg(r1.varOff), tnumConst(v))) : tnumOr(r1.varOff, tnumConst(v));
      } else {
        markUnbounded(r1);
        const keep = tnumConst(~v & (jmp32 ? U32_MAX : (1n << 64n) - 1n));
        r1.varOff = jmp32 ? tnumWithSubreg(r1.varOff, tnumAnd(tnumSubreg(r1.varOff), keep)) : tnumAnd(r1.varOff, keep);
      }
      return;
    }
    case o.BPF_JLE:
    case o.BPF_JLT: {
      const d = op === o.BPF_JLT ? 1n : 0n;
      if (jmp32) {
        r1.u32max = minB(r1.u32max, r2.u32max - d);
        r2.u32min = maxB(r1.u32min + d, r2.u32min);
      } else {
        r1.umax = minB(r1.umax, r2.umax - d);
        r2.umin = maxB(r1.umin + d, r2.umin);
      }
      return;
    }
    case o.BPF_JSLE:
    case o.BPF_JSLT: {
      const d = op === o.BPF_JSLT ? 1n : 0n;
      if (jmp32) {
        r1.s32max = minB(r1.s32max, r2.s32max - d);
        r2.s32min = maxB(r1.s32min + d, r2.s32min);
      } else {
        r1.smax = minB(r1.smax, r2.smax - d);
        r2.smin = maxB(r1.smin + d, r2.smin);
      }
      return;
    }
  }
}

function refineEq(r1: Reg, r2: Reg, jmp32: boolean): void {
  if (jmp32) {
    r1.u32min = maxB(r1.u32min, r2.u32min);
    r1.u32max = minB(r1.u32max, r2.u32max);
    r1.s32min = maxB(r1.s32min, r2.s32min);
    r1.s32max = minB(r1.s32max, r2.s32max);
    r2.u32min = r1.u32min;
    r2.u32max = r1.u32max;
    r2.s32min = r1.s32min;
    r2.s32max = r1.s32max;
    const t = tnumIntersect(tnumSubreg(r1.varOff), tnumSubreg(r2.varOff));
    r1.varOff = tnumWithSubreg(r1.varOff, t);
    r2.varOff = tnumWithSubreg(r2.varOff, t);
  } else {
    r1.umin = maxB(r1.umin, r2.umin);
    r1.umax = minB(r1.umax, r2.umax);
    r1.smin = maxB(r1.smin, r2.smin);
    r1.smax = minB(r1.smax, r2.smax);
    r2.umin = r1.umin;
    r2.umax = r1.umax;
    r2.smin = r1.smin;
    r2.smax = r1.smax;
    r1.varOff = tnumIntersect(r1.varOff, r2.varOff);
    r2.varOff = r1.varOff;
  }
}

/** Linux's LINKED_REGS_MAX: how many linked scalars a comparison updates together. */
const LINKED_MAX = 6;

/**
 * The live scalars (registers read later, and spilled slots) that share an
 * id with an operand (Linux's collect_linked_regs): the comparison narrows
 * them together, and backtracking treats them together. Past the limit a
 * scalar loses its link.
 */
function collectLinked(ctx: Ctx, dst: Reg, src: Reg | undefined): Loc[] {
  const locs: Loc[] = [];
  const collect = (id: number): void => {
    const st = ctx.state;
    for (let frame = st.frames.length - 1; frame >= 0; frame--) {
      const f = st.frames[frame]!;
      const live = ctx.liveRegs(frame === st.frames.length - 1 ? ctx.insnIdx : st.frames[frame + 1]!.callsite);
      const add = (r: Reg, loc: Loc): void => {
        if (r.type !== 'scalar' || r.id !== id) return;
        if (locs.length < LINKED_MAX) locs.push(loc);
        else {
          r.id = 0;
          r.addConst = 0;
          r.off = 0;
        }
      };
      for (let regno = 0; regno < 10; regno++) if (live & (1 << regno)) add(f.regs[regno]!, { frame, regno });
      f.stack.forEach((slot, spi) => {
        if (slot.types[7] === 1) add(slot.spilled, { frame, spi });
      });
    }
  };
  if (src?.type === 'scalar' && src.id) collect(src.id);
  if (dst.type === 'scalar' && dst.id) collect(dst.id);
  return locs;
}

/** The register or spilled slot at `l` in a state. */
function at(st: VerifierState, l: Loc): Reg | undefined {
  const f = st.frames[l.frame];
  return l.regno !== undefined ? f?.regs[l.regno] : f?.stack[l.spi!]?.spilled;
}

/**
 * Scalars copied from one another (same id) all learn what one of them
 * learned; a copy that has since been moved by a constant (r2 = r1 + 1)
 * learns the same range moved by that constant.
 */
function syncLinked(st: VerifierState, known: Reg, linked: readonly Loc[]): void {
  for (const l of linked) {
    const r = at(st, l);
    if (!r || r === known || r.type !== 'scalar' || r.id !== known.id) continue;
    if ((!r.addConst && !known.addConst) || r.off === known.off) {
      assignReg(r, known);
      continue;
    }
    const off = r.off;
    const addConst = r.addConst;
    assignReg(r, known);
    // made by a 32-bit add: the add is a 32-bit one, the high half zero
    scalarAlu(o.BPF_ADD, r, knownBounds(BigInt(off - known.off)), addConst === 32);
    r.off = off;
    r.addConst = addConst;
  }
}

/** `p == NULL` on a pointer that may be NULL: every copy of it is NULL on one side, valid on the other. */
function markPtrOrNull(ctx: Ctx, st: VerifierState, regno: number, isNull: boolean): void {
  const r = curFrame(st).regs[regno]!;
  const id = r.id;
  if (r.refObjId && r.refObjId === id && isNull) dropRef(ctx, st, id);
  for (const reg of allRegs(st)) {
    if (!reg.maybeNull || reg.id !== id) continue;
    if (isNull) {
      assignReg(reg, constScalar(0n));
    } else {
      markNotNull(reg);
      reg.id = 0;
    }
  }
}

function markNotNull(r: Reg): void {
  r.maybeNull = false;
  if (r.type === 'map_value' && r.map && (r.map.type === MapType.ARRAY_OF_MAPS || r.map.type === MapType.HASH_OF_MAPS) && r.map.inner) {
    r.type = 'map_ptr';
    r.map = r.map.inner;
  }
}

/** `p == q` where one may be NULL and the other may not: equal means not NULL. */
function nullnessFromPointerCompare(ins: Insn, op: number, jmp32: boolean, x: boolean, dst: Reg, src: Reg, fall: VerifierState, jump: VerifierState): void {
  if (jmp32 || !x || dst.type === 'scalar' || src.type === 'scalar' || dst.maybeNull === src.maybeNull) return;
  const eq = op === o.BPF_JEQ ? jump : op === o.BPF_JNE ? fall : undefined;
  if (!eq) return;
  const r = curFrame(eq).regs[src.maybeNull ? ins.src : ins.dst]!;
  markNotNull(r);
}
