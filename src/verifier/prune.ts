import { Reg, unknownScalar } from './reg.js';
import { FuncState, REG_SIZE, Slot, StackSlot, VerifierState } from './state.js';
import { tnumIn } from './tnum.js';

/**
 * State pruning: a path may stop at an instruction where an earlier path,
 * already proven safe from there, had a state that includes the current one
 * (Linux's states_equal). "Includes" is subsumption: every register the
 * program may still read (liveness.ts) allows at least the values the
 * current one allows, with the same type; every stack slot some later path
 * read (the checkpoint's read set) too; the same references are held; ids
 * correspond one to one (check_ids).
 *
 * As in Linux, a scalar counts only if some verdict depended on its value
 * ("precise", found by backtracking in precision.ts); an imprecise scalar of
 * the old state matches any scalar (root only: unprivileged, every scalar
 * counts). This is what makes loops converge. Three strengths (Exact):
 * NOT as said; RANGE compares every scalar's range, used against states
 * whose precision marks may still grow (loop iterations still under way:
 * callbacks, may_goto, scc.ts); EXACT asks for equality (the endless-loop
 * check).
 */

/**
 * old id → cur id, consistent over the whole comparison and one to one
 * (Linux's check_ids); `tmp` numbers the ids given to unlinked scalars.
 */
export interface IdMap {
  /** made at the first id compared: most comparisons meet none, and end sooner */
  map: Map<number, number> | undefined;
  used: Set<number> | undefined;
  tmp: number;
}

export const newIdMap = (): IdMap => ({ map: undefined, used: undefined, tmp: 0 });

function sameId(oldId: number, curId: number, m: IdMap): boolean {
  if (!oldId && !curId) return true;
  if (!oldId || !curId) return false;
  const map = (m.map ??= new Map());
  const used = (m.used ??= new Set());
  const mapped = map.get(oldId);
  if (mapped !== undefined) return mapped === curId;
  if (used.has(curId)) return false;
  map.set(oldId, curId);
  used.add(curId);
  return true;
}

/**
 * Scalar ids (Linux's check_scalar_ids): links of the old state must exist
 * in the current one, one to one; an unlinked old scalar (id 0) assumed
 * nothing, while an unlinked current one is linked to nothing (a fresh id).
 */
function sameScalarId(oldId: number, curId: number, m: IdMap): boolean {
  // old linked to nothing: cur's links only add knowledge
  if (!oldId) return true;
  const c = curId || -++m.tmp;
  if (!sameId(oldId, c, m)) return false;
  // old = base + const: the base ids must correspond too
  return oldId % 4 === 0 || sameId(oldId - (oldId % 4), c > 0 ? c - (c % 4) : c, m);
}

const rangeWithin = (a: Reg, b: Reg): boolean =>
  a.umin <= b.umin && a.umax >= b.umax && a.smin <= b.smin && a.smax >= b.smax &&
  a.u32min <= b.u32min && a.u32max >= b.u32max && a.s32min <= b.s32min && a.s32max >= b.s32max;

const boundsEqual = (a: Reg, b: Reg): boolean =>
  a.varOff.value === b.varOff.value && a.varOff.mask === b.varOff.mask &&
  a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax &&
  a.u32min === b.u32min && a.u32max === b.u32max && a.s32min === b.s32min && a.s32max === b.s32max;

const sameKind = (a: Reg, b: Reg): boolean =>
  a.type === b.type && a.maybeNull === b.maybeNull && a.rdonly === b.rdonly && a.ringbuf === b.ringbuf &&
  a.off === b.off && a.map === b.map && a.btf === b.btf && a.trust === b.trust && a.memSize === b.memSize && a.frameno === b.frameno && a.subprog === b.subprog;

/**
 * A scalar's id as Linux compares it: the link flag is part of the id, so
 * `id` and `id + const` map separately.
 */
const fullId = (r: Reg): number => (r.id ? r.id * 4 + (r.addConst === 64 ? 1 : r.addConst === 32 ? 2 : 0) : 0);

export function regsExact(a: Reg, b: Reg, map: IdMap): boolean {
  return sameKind(a, b) && a.addConst === b.addConst && a.range === b.range && boundsEqual(a, b) && sameId(fullId(a), fullId(b), map) && sameId(a.refObjId * 4, b.refObjId * 4, map);
}

/**
 * How strictly states are compared (Linux's exact_level): NOT lets
 * imprecise scalars match anything; RANGE compares every scalar's range
 * (used against states whose later marks are not all known yet: loop
 * iterations of callbacks and may_goto); EXACT asks for equality (the
 * endless-loop check).
 */
export const enum Exact {
  NOT = 0,
  RANGE = 1,
  EXACT = 2,
}

/** The same register state, ids compared as numbers (Linux's memcmp in states_maybe_looping). */
export function regsIdentical(a: Reg, b: Reg): boolean {
  return sameKind(a, b) && a.addConst === b.addConst && a.range === b.range && boundsEqual(a, b) && a.id === b.id && a.refObjId === b.refObjId;
}

/** Whether `old` includes every value `cur` may hold. */
export function regSafe(old: Reg, cur: Reg, map: IdMap, exact: Exact, priv = true): boolean {
  if (exact === Exact.EXACT) return regsExact(old, cur, map);
  if (old.type === 'not_init') return true;
  if (old.type !== cur.type) return false;
  switch (old.type) {
    case 'scalar':
      // a scalar no verdict depended on may hold anything (unprivileged: every scalar counts)
      if (!old.precise && priv && exact === Exact.NOT) return true;
      // linked with a constant on one side only: different meanings (an unlinked old accepts any)
      if (old.addConst && !cur.addConst) return false;
      if (old.id && !old.addConst && cur.addConst) return false;
      if (old.addConst && old.off !== cur.off) return false;
      return sameScalarId(fullId(old), fullId(cur), map) && rangeWithin(old, cur) && tnumIn(old.varOff, cur.varOff);
    case 'map_value':
    case 'map_key':
    case 'mem':
      return sameKind(old, cur) && rangeWithin(old, cur) && tnumIn(old.varOff, cur.varOff) && sameId(old.id * 4, cur.id * 4, map) && sameId(old.refObjId * 4, cur.refObjId * 4, map);
    case 'pkt':
    case 'pkt_meta':
      if (old.range > cur.range || old.off !== cur.off) return false;
      return sameId(old.id * 4, cur.id * 4, map) && rangeWithin(old, cur) && tnumIn(old.varOff, cur.varOff);
    default:
      return regsExact(old, cur, map);
  }
}

/**
 * A whole slot read back as a 64-bit scalar: a spilled scalar, or bytes
 * that all read as "anything" (MISC; uninitialised too where reading it is
 * allowed) — Linux's scalar_reg_for_stack. 'any' is the unbounded scalar.
 */
function slotScalar(s: StackSlot | undefined, priv: boolean): Reg | 'any' | undefined {
  if (!s) return undefined;
  if (s.types[0] === Slot.SPILL && s.spilled.type === 'scalar') return s.spilled;
  return s.types.every((t) => t === Slot.MISC || (priv && t === Slot.INVALID)) ? 'any' : undefined;
}

/**
 * old scalar (or "anything") includes cur scalar (or "anything"): a spilled
 * scalar and MISC bytes compare as registers, so a spill of an imprecise
 * value and a slot of unknown bytes are interchangeable.
 */
function slotScalarSafe(o: Reg | 'any', c: Reg | 'any', map: IdMap, exact: Exact, priv: boolean): boolean {
  if (o === 'any') return exact === Exact.NOT || c === 'any' || regSafe(unknownScalar(), c, map, exact, priv);
  return regSafe(o, c === 'any' ? unknownScalar() : c, map, exact, priv);
}

function stackSafe(old: FuncState, cur: FuncState, map: IdMap, exact: Exact, priv: boolean, frame: number, read: ReadonlySet<number> | undefined): boolean {
  const n = Math.max(old.stack.length, exact === Exact.EXACT ? cur.stack.length : 0);
  for (let spi = 0; spi < n; spi++) {
    // a slot no path after `old` read (before overwriting it) cannot matter
    if (exact !== Exact.EXACT && read && !read.has(frame * 64 + spi)) continue;
    const os = old.stack[spi];
    const cs = cur.stack[spi];
    for (let j = 0; j < REG_SIZE; j++) {
      const o = os?.types[j] ?? Slot.INVALID;
      const c = cs?.types[j] ?? Slot.INVALID;
      if (exact === Exact.EXACT) {
        if (o !== c) return false;
        continue;
      }
      if (o === Slot.INVALID || (priv && o === Slot.MISC)) continue;
      if (!cs) return false;
      const os_ = slotScalar(os, priv);
      const cs_ = slotScalar(cs, priv);
      if (os_ && cs_) {
        if (!slotScalarSafe(os_, cs_, map, exact, priv)) return false;
        break;
      }
      if (o === Slot.MISC && c === Slot.ZERO) continue;
      if (o !== c) return false;
      if (j === REG_SIZE - 1 && o === Slot.SPILL && !regSafe(os!.spilled, cs.spilled, map, exact, priv)) return false;
    }
    if (exact === Exact.EXACT && os && os.types[REG_SIZE - 1] === Slot.SPILL && !regSafe(os.spilled, cs!.spilled, map, exact, priv)) return false;
  }
  return true;
}

/**
 * Two scalars regSafe compares by value whose known bits already show that
 * `old` does not include `cur` (regSafe would say so too, after more work).
 */
const bitsExclude = (old: Reg, cur: Reg, exact: Exact, priv: boolean): boolean =>
  old.type === 'scalar' && cur.type === 'scalar' && (old.precise || !priv || exact !== Exact.NOT) && !tnumIn(old.varOff, cur.varOff);

function frameSafe(old: FuncState, cur: FuncState, live: number, map: IdMap, exact: Exact, priv: boolean, frame: number, read: ReadonlySet<number> | undefined): boolean {
  if (old.callsite !== cur.callsite || old.inCallback !== cur.inCallback || old.subprog !== cur.subprog) return false;
  // more callback runs simulated before `old` than now: `old` proved fewer runs ahead
  if (old.callbackDepth > cur.callbackDepth) return false;
  // a cheap necessary condition first, on every register compared: most
  // comparisons fail, and most fail there, before any range is compared
  for (let r = 0; r < 10; r++) {
    if (exact !== Exact.EXACT && !(live & (1 << r))) continue;
    if (bitsExclude(old.regs[r]!, cur.regs[r]!, exact, priv)) return false;
  }
  for (let r = 0; r < 10; r++) {
    if (exact !== Exact.EXACT && !(live & (1 << r))) continue;
    if (!regSafe(old.regs[r]!, cur.regs[r]!, map, exact, priv)) return false;
  }
  return stackSafe(old, cur, map, exact, priv, frame, read);
}

/**
 * One id map for every comparison, emptied before each: a state is compared
 * with many kept ones at every prune point, and comparisons do not nest.
 */
const scratch = newIdMap();
function scratchIds(): IdMap {
  // (clear makes a new table even for an empty Map or Set: most comparisons leave them empty)
  if (scratch.map?.size) scratch.map.clear();
  if (scratch.used?.size) scratch.used.clear();
  scratch.tmp = 0;
  return scratch;
}

/**
 * Whether `old` includes `cur`. `liveAt(state, frame)` gives the live
 * registers of each frame: before the current instruction for the
 * innermost, before the call it made for a caller (Linux's
 * live_regs_before at frame_insn_idx).
 */
export function statesEqual(
  old: VerifierState,
  cur: VerifierState,
  liveAt: (st: VerifierState, frame: number) => number,
  exact: Exact,
  priv: boolean,
  /** the stack slots read after `old` (complete once `old` is fully explored); absent: all */
  read?: ReadonlySet<number>,
): boolean {
  if (old.frames.length !== cur.frames.length || old.refs.length !== cur.refs.length) return false;
  const map = scratchIds();
  for (let i = 0; i < old.refs.length; i++) if (!sameId(old.refs[i]!.id * 4, cur.refs[i]!.id * 4, map)) return false;
  for (let i = old.frames.length - 1; i >= 0; i--) {
    const live = liveAt(cur, i);
    if (!frameSafe(old.frames[i]!, cur.frames[i]!, live, map, exact, priv, i, read)) return false;
  }
  return true;
}
