import { Insn } from '../../isa/instruction.js';
import { callbackTargets } from '../callback.js';
import { Arena } from './arena.js';
import { DecodedProgram, OP_COUNT, Op } from '../decode-ops.js';

/**
 * The control-flow graph the JIT compiles from: basic blocks over slots, the
 * functions (slot 0, every local-call target and every function a `lddw rX,
 * func` points at, which a helper may call back; each compiles the blocks
 * reachable from its entry without following calls, so an unverified
 * program whose code is shared between functions still compiles, the shared
 * blocks twice), and per function the facts the structuring needs: reverse
 * postorder, dominator tree, loop headers, merge nodes, reducibility.
 *
 * Compile time is a target (≤ 1 ms per 1,000 instructions), so blocks are
 * flat objects (one per block), the per-function facts are typed arrays
 * from the compile's arena indexed by reverse postorder, and nothing is
 * allocated per edge.
 */

/**
 * How a block ends. Two-way ends (`cond`, `maygoto`) fall through to `end`
 * when not taken; `felloff` is the pseudo-block at slot n, where an
 * unverified program runs off its end.
 */
export type BlockEnd = 'fall' | 'ja' | 'cond' | 'maygoto' | 'call' | 'exit' | 'felloff';

export interface Block {
  start: number;
  /** one past the last slot: the fall-through successor */
  end: number;
  /** first slot of the last instruction (the terminator unless `fall`) */
  last: number;
  kind: BlockEnd;
  /** the jump target (`ja`, `cond`, `maygoto`) or the callee's entry (`call`); else -1 */
  target: number;
}

export interface ProgramCfg {
  /** block starting at each slot (index n: the fell-off block) */
  blockAt: (Block | undefined)[];
  /** function entries: 0 first, then local-call and callback targets in slot order */
  entries: number[];
  /** callback targets (callback.ts), ascending */
  callbacks: number[];
}

/** One function's blocks in reverse postorder, with dominance facts indexed by that order. */
export interface FunctionCfg {
  entry: number;
  order: Block[];
  /** successor indices (into `order`) of block k at 2k and 2k + 1, -1 where it has fewer */
  succ: Int32Array;
  /** immediate dominator index (the entry's is itself) */
  idom: Int32Array;
  /** dominator-tree children of block k, increasing: children[childStart[k] … childStart[k + 1]) */
  childStart: Int32Array;
  children: Int32Array;
  /** 1 for a loop header */
  loopHeader: Uint8Array;
  /** 1 for a block with two or more forward in-edges */
  merge: Uint8Array;
  /** every retreating edge goes to a block that dominates its source */
  reducible: boolean;
}

/** What each operation ends a block with, by Op (`fall`: it does not end one); no holes, which are slow to read. */
const ENDS = new Array<BlockEnd>(OP_COUNT).fill('fall');
for (const op of [
  Op.JEQ64, Op.JNE64, Op.JGT64, Op.JGE64, Op.JLT64, Op.JLE64, Op.JSGT64, Op.JSGE64, Op.JSLT64, Op.JSLE64, Op.JSET64,
  Op.JEQ32, Op.JNE32, Op.JGT32, Op.JGE32, Op.JLT32, Op.JLE32, Op.JSGT32, Op.JSGE32, Op.JSLT32, Op.JSLE32, Op.JSET32,
]) ENDS[op] = 'cond';
ENDS[Op.JA] = 'ja';
ENDS[Op.MAY_GOTO] = 'maygoto';
ENDS[Op.EXIT] = 'exit';
ENDS[Op.CALL_LOCAL] = 'call';

function blockEnd(op: number): BlockEnd {
  return ENDS[op]!;
}

/** Slots of the instruction at `i`: 2 for an lddw. */
export const width = (prog: DecodedProgram, i: number): number => (prog.op[i] === Op.LDDW ? 2 : 1);

export function buildCfg(insns: readonly Insn[], prog: DecodedProgram, arena: Arena): ProgramCfg {
  const n = insns.length;
  const leader = arena.uint8(n + 1);
  leader[0] = leader[n] = 1;
  const callbacks = callbackTargets(insns);
  const entries = [0];
  for (const t of callbacks) leader[t] = 1;
  for (let i = 0; i < n; i += width(prog, i)) {
    const kind = blockEnd(prog.op[i]!);
    if (kind === 'fall') continue;
    leader[i + 1] = 1;
    if (kind !== 'exit') leader[prog.off[i]!] = 1;
    if (kind === 'call') entries.push(prog.off[i]!);
  }
  const blockAt: (Block | undefined)[] = new Array(n + 1);
  let start = 0;
  for (let i = 0; i < n; i += width(prog, i)) {
    const next = i + width(prog, i);
    if (!leader[next]) continue;
    const kind = blockEnd(prog.op[i]!);
    blockAt[start] = { start, end: next, last: i, kind, target: kind === 'fall' || kind === 'exit' ? -1 : prog.off[i]! };
    start = next;
  }
  blockAt[n] = { start: n, end: n, last: n, kind: 'felloff', target: -1 };
  return { blockAt, entries: [...new Set([...entries, ...callbacks])].sort((a, b) => a - b), callbacks };
}

/** The t-th successor slot of a block inside its function (a local call continues after the call), or -1 past its last. */
function successor(b: Block, t: number): number {
  switch (b.kind) {
    case 'exit':
    case 'felloff':
      return -1;
    case 'ja':
      return t === 0 ? b.target : -1;
    case 'cond':
    case 'maygoto':
      return t === 0 ? b.target : t === 1 ? b.end : -1;
    default:
      return t === 0 ? b.end : -1;
  }
}

export function functionCfg(cfg: ProgramCfg, entry: number, arena: Arena): FunctionCfg {
  const order = reversePostorder(cfg, entry, arena);
  const n = order.length;
  const index = arena.int32(cfg.blockAt.length);
  for (let k = 0; k < n; k++) index[order[k]!.start] = k;
  const succ = arena.int32(2 * n);
  for (let e = 0; e < succ.length; e++) {
    const s = successor(order[e >> 1]!, e & 1);
    succ[e] = s < 0 ? -1 : index[s]!;
  }
  const [predStart, preds] = invert(succ, n, arena);
  const idom = dominators(predStart, preds, arena);
  const [childStart, children] = domChildren(idom, arena);
  const merge = arena.uint8(n);
  for (let k = 0; k < n; k++) {
    let forward = 0;
    for (let j = predStart[k]!; j < predStart[k + 1]!; j++) if (preds[j]! < k) forward++;
    merge[k] = forward >= 2 ? 1 : 0;
  }
  const loopHeader = arena.uint8(n);
  let reducible = true;
  for (let e = 0; e < succ.length; e++) {
    const s = succ[e]!;
    if (s < 0 || s > e >> 1) continue;
    loopHeader[s] = 1;
    if (!dominates(idom, s, e >> 1)) reducible = false;
  }
  return { entry, order, succ, idom, childStart, children, loopHeader, merge, reducible };
}

/** Blocks reachable from `entry`, in reverse postorder (iterative depth-first search). */
function reversePostorder(cfg: ProgramCfg, entry: number, arena: Arena): Block[] {
  const seen = arena.uint8(cfg.blockAt.length);
  const post: Block[] = [];
  // the path from the entry, and per block on it how many successors it has tried
  const path: Block[] = [cfg.blockAt[entry]!];
  const tried: number[] = [0];
  seen[entry] = 1;
  while (path.length) {
    const top = path.length - 1;
    const s = successor(path[top]!, tried[top]++);
    if (s < 0) {
      post.push(path.pop()!);
      tried.pop();
    } else if (!seen[s]) {
      seen[s] = 1;
      path.push(cfg.blockAt[s]!);
      tried.push(0);
    }
  }
  return post.reverse();
}

/** Predecessor lists from the successor pairs, in compressed rows: preds[predStart[k] … predStart[k + 1]), increasing. */
function invert(succ: Int32Array, n: number, arena: Arena): [Int32Array, Int32Array] {
  const start = arena.int32(n + 1);
  for (const s of succ) if (s >= 0) start[s + 1]++;
  for (let k = 0; k < n; k++) start[k + 1] += start[k]!;
  const fill = arena.int32(n);
  fill.set(start.subarray(0, n));
  const preds = arena.int32(start[n]!);
  for (let e = 0; e < succ.length; e++) if (succ[e]! >= 0) preds[fill[succ[e]!]!++] = e >> 1;
  return [start, preds];
}

/** Dominator-tree children in compressed rows, each row increasing (the entry is no one's child). */
function domChildren(idom: Int32Array, arena: Arena): [Int32Array, Int32Array] {
  const n = idom.length;
  const start = arena.int32(n + 1);
  for (let k = 1; k < n; k++) start[idom[k]! + 1]++;
  for (let k = 0; k < n; k++) start[k + 1] += start[k]!;
  const fill = arena.int32(n);
  fill.set(start.subarray(0, n));
  const children = arena.int32(Math.max(n - 1, 0));
  for (let k = 1; k < n; k++) children[fill[idom[k]!]!++] = k;
  return [start, children];
}

/** Immediate dominators by the iterative algorithm of Cooper, Harvey and Kennedy; indices are RPO. */
function dominators(predStart: Int32Array, preds: Int32Array, arena: Arena): Int32Array {
  const n = predStart.length - 1;
  const idom = arena.int32(n).fill(-1);
  idom[0] = 0;
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = 1; k < n; k++) {
      let d = -1;
      for (let j = predStart[k]!; j < predStart[k + 1]!; j++) {
        const p = preds[j]!;
        if (idom[p] === -1) continue;
        if (d === -1) {
          d = p;
          continue;
        }
        let a = p;
        while (a !== d) {
          while (a > d) a = idom[a]!;
          while (d > a) d = idom[d]!;
        }
      }
      if (idom[k] !== d) {
        idom[k] = d;
        changed = true;
      }
    }
  }
  return idom;
}

function dominates(idom: Int32Array, a: number, b: number): boolean {
  for (let x = b; ; x = idom[x]!) {
    if (x === a) return true;
    if (x === 0) return a === 0;
  }
}
