import { Reg } from './reg.js';
import { FuncState, REG_SIZE, Slot, VerifierState } from './state.js';
import { tnumIn } from './tnum.js';

/**
 * State pruning: a path may stop at an instruction where an earlier path,
 * already proven safe from there, had a state that includes the current one
 * (Linux's states_equal). "Includes" is subsumption: every register the
 * program may still read (liveness.ts) allows at least the values the
 * current one allows, with the same type; every stack byte too; the same
 * references are held.
 *
 * Unlike Linux, scalars are always compared by their ranges and known bits:
 * Linux skips scalars that never decided a verdict ("imprecise", found by
 * backtracking), which prunes more; ours is the simpler sound rule, so we
 * may explore more paths than Linux (never fewer, hence never accept more).
 * `exact` asks for equality instead: the loop check (an identical state
 * reached again while the first is still being explored is a loop that
 * never ends).
 */

/**
 * old id → cur id, consistent over the whole comparison and one to one
 * (Linux's check_ids); `tmp` numbers the ids given to unlinked scalars.
 */
interface IdMap {
  map: Map<number, number>;
  used: Set<number>;
  tmp: number;
}

const newIdMap = (): IdMap => ({ map: new Map(), used: new Set(), tmp: 0 });

function sameId(oldId: number, curId: number, m: IdMap): boolean {
  if (!oldId && !curId) return true;
  if (!oldId || !curId) return false;
  const mapped = m.map.get(oldId);
  if (mapped !== undefined) return mapped === curId;
  if (m.used.has(curId)) return false;
  m.map.set(oldId, curId);
  m.used.add(curId);
  return true;
}

/**
 * Scalar ids (Linux's check_scalar_ids): an unlinked scalar (id 0) counts
 * as linked to nothing else, on either side, so links must correspond one
 * to one among the compared registers.
 */
function sameScalarId(oldId: number, curId: number, m: IdMap): boolean {
  const o = oldId || -++m.tmp;
  const c = curId || -++m.tmp;
  return sameId(o, c, m);
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
  a.off === b.off && a.map === b.map && a.memSize === b.memSize && a.frameno === b.frameno && a.subprog === b.subprog;

function regsExact(a: Reg, b: Reg, map: IdMap): boolean {
  return sameKind(a, b) && a.addConst === b.addConst && a.range === b.range && boundsEqual(a, b) && sameId(a.id, b.id, map) && sameId(a.refObjId, b.refObjId, map);
}

/** Whether `old` includes every value `cur` may hold. */
export function regSafe(old: Reg, cur: Reg, map: IdMap, exact: boolean, priv = true): boolean {
  if (exact) return regsExact(old, cur, map);
  if (old.type === 'not_init') return true;
  if (old.type !== cur.type) return false;
  switch (old.type) {
    case 'scalar':
      // a scalar no verdict depended on may hold anything (unprivileged: every scalar counts)
      if (!old.precise && priv) return true;
      if (old.id && (old.addConst !== cur.addConst || old.off !== cur.off)) return false;
      return rangeWithin(old, cur) && tnumIn(old.varOff, cur.varOff) && sameScalarId(old.id, cur.id, map);
    case 'map_value':
    case 'map_key':
    case 'mem':
      return sameKind(old, cur) && rangeWithin(old, cur) && tnumIn(old.varOff, cur.varOff) && sameId(old.id, cur.id, map) && sameId(old.refObjId, cur.refObjId, map);
    case 'pkt':
    case 'pkt_meta':
      if (old.range > cur.range || old.off !== cur.off) return false;
      return sameId(old.id, cur.id, map) && rangeWithin(old, cur) && tnumIn(old.varOff, cur.varOff);
    default:
      return regsExact(old, cur, map);
  }
}

function stackSafe(old: FuncState, cur: FuncState, map: IdMap, exact: boolean, priv: boolean, frame: number, read: ReadonlySet<number> | undefined): boolean {
  const n = Math.max(old.stack.length, exact ? cur.stack.length : 0);
  for (let spi = 0; spi < n; spi++) {
    // a slot no path after `old` read (before overwriting it) cannot matter
    if (!exact && read && !read.has(frame * 64 + spi)) continue;
    const os = old.stack[spi];
    const cs = cur.stack[spi];
    for (let j = 0; j < REG_SIZE; j++) {
      const o = os?.types[j] ?? Slot.INVALID;
      const c = cs?.types[j] ?? Slot.INVALID;
      if (exact) {
        if (o !== c) return false;
        continue;
      }
      if (o === Slot.INVALID) continue;
      if (o === Slot.MISC && (priv || c === Slot.ZERO || c === Slot.MISC)) continue;
      if (o !== c) return false;
    }
    if (os && os.types[REG_SIZE - 1] === Slot.SPILL && !regSafe(os.spilled, cs!.spilled, map, exact, priv)) return false;
  }
  return true;
}

function frameSafe(old: FuncState, cur: FuncState, live: number, map: IdMap, exact: boolean, priv: boolean, frame: number, read: ReadonlySet<number> | undefined): boolean {
  if (old.callsite !== cur.callsite || old.inCallback !== cur.inCallback || old.subprog !== cur.subprog) return false;
  for (let r = 0; r < 10; r++) {
    if (!exact && !(live & (1 << r))) continue;
    if (!regSafe(old.regs[r]!, cur.regs[r]!, map, exact, priv)) return false;
  }
  return stackSafe(old, cur, map, exact, priv, frame, read);
}

/**
 * Whether `old` includes `cur`. `liveAt(frame, depth)` gives the live
 * registers of each frame: at the current instruction for the innermost,
 * at the return point for the callers.
 */
export function statesEqual(
  old: VerifierState,
  cur: VerifierState,
  liveAt: (f: FuncState, top: boolean) => number,
  exact: boolean,
  priv: boolean,
  /** the stack slots read after `old` (complete once `old` is fully explored); absent: all */
  read?: ReadonlySet<number>,
): boolean {
  if (old.frames.length !== cur.frames.length || old.refs.length !== cur.refs.length) return false;
  const map = newIdMap();
  for (let i = 0; i < old.refs.length; i++) if (!sameId(old.refs[i]!.id, cur.refs[i]!.id, map)) return false;
  for (let i = old.frames.length - 1; i >= 0; i--) {
    const top = i === old.frames.length - 1;
    const live = liveAt(cur.frames[i]!, top);
    if (!frameSafe(old.frames[i]!, cur.frames[i]!, live, map, exact, priv, i, read)) return false;
  }
  return true;
}
