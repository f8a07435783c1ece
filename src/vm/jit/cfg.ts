import { Insn } from '../../isa/instruction.js';
import { LDDW } from '../../isa/opcodes.js';
import { callbackTargets } from '../callback.js';
import { DecodedProgram, Op } from '../decode-ops.js';

/**
 * The control-flow graph the JIT compiles from: basic blocks over slots, the
 * functions (slot 0, every local-call target and every function a `lddw rX,
 * func` points at, which a helper may call back; each compiles the blocks
 * reachable from its entry without following calls, so an unverified
 * program whose code is shared between functions still compiles, the shared
 * blocks twice), and per function the facts the structuring needs: reverse
 * postorder, dominator tree, loop headers, merge nodes, reducibility.
 */

/** How a block ends. Two-way ends (`cond`, `maygoto`) fall through to `end` when not taken. */
export type Term =
  | { kind: 'fall' }
  | { kind: 'ja'; target: number }
  | { kind: 'cond'; target: number }
  | { kind: 'maygoto'; target: number }
  | { kind: 'call'; callee: number }
  | { kind: 'exit' }
  /** the pseudo-block at slot n: an unverified program ran off its end */
  | { kind: 'felloff' };

export interface Block {
  start: number;
  /** one past the last slot: the fall-through successor */
  end: number;
  /** first slot of the last instruction (the terminator unless `fall`) */
  last: number;
  term: Term;
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
  /** successor indices (into `order`) of each block */
  succ: number[][];
  /** immediate dominator index (the entry's is itself) */
  idom: Int32Array;
  /** dominator-tree children, in increasing order */
  children: number[][];
  loopHeader: boolean[];
  /** two or more forward in-edges */
  merge: boolean[];
  /** every retreating edge goes to a block that dominates its source */
  reducible: boolean;
}

const JUMPS = new Set<Op>([
  Op.JA, Op.JEQ64, Op.JNE64, Op.JGT64, Op.JGE64, Op.JLT64, Op.JLE64, Op.JSGT64, Op.JSGE64, Op.JSLT64, Op.JSLE64, Op.JSET64,
  Op.JEQ32, Op.JNE32, Op.JGT32, Op.JGE32, Op.JLT32, Op.JLE32, Op.JSGT32, Op.JSGE32, Op.JSLT32, Op.JSLE32, Op.JSET32,
  Op.MAY_GOTO,
]);

/** Whether the instruction at `i` ends a block; its targets are block starts. */
function endsBlock(op: Op): boolean {
  return JUMPS.has(op) || op === Op.EXIT || op === Op.CALL_LOCAL;
}

/** Slots of the instruction at `i`: 2 for an lddw. */
export const width = (insns: readonly Insn[], i: number): number => (insns[i]!.code === LDDW ? 2 : 1);

export function buildCfg(insns: readonly Insn[], prog: DecodedProgram): ProgramCfg {
  const n = insns.length;
  const leader = new Uint8Array(n + 1);
  leader[0] = leader[n] = 1;
  const callbacks = callbackTargets(insns);
  const entries = new Set<number>([0, ...callbacks]);
  for (const t of callbacks) leader[t] = 1;
  for (let i = 0; i < n; i += width(insns, i)) {
    const op = prog.op[i] as Op;
    if (!endsBlock(op)) continue;
    leader[i + 1] = 1;
    if (op !== Op.EXIT) leader[prog.off[i]!] = 1;
    if (op === Op.CALL_LOCAL) entries.add(prog.off[i]!);
  }
  const blockAt: (Block | undefined)[] = new Array(n + 1);
  let start = 0;
  for (let i = 0; i < n; i += width(insns, i)) {
    const next = i + width(insns, i);
    if (!leader[next]) continue;
    blockAt[start] = { start, end: next, last: i, term: terminator(prog, i) };
    start = next;
  }
  blockAt[n] = { start: n, end: n, last: n, term: { kind: 'felloff' } };
  return { blockAt, entries: [...entries].sort((a, b) => a - b), callbacks };
}

function terminator(prog: DecodedProgram, i: number): Term {
  const op = prog.op[i] as Op;
  const target = prog.off[i]!;
  if (op === Op.JA) return { kind: 'ja', target };
  if (op === Op.MAY_GOTO) return { kind: 'maygoto', target };
  if (op === Op.EXIT) return { kind: 'exit' };
  if (op === Op.CALL_LOCAL) return { kind: 'call', callee: target };
  return JUMPS.has(op) ? { kind: 'cond', target } : { kind: 'fall' };
}

/** Successor slots of a block, inside its function (a local call continues after the call). */
export function successors(b: Block): number[] {
  switch (b.term.kind) {
    case 'ja':
      return [b.term.target];
    case 'cond':
    case 'maygoto':
      return [b.term.target, b.end];
    case 'exit':
    case 'felloff':
      return [];
    default:
      return [b.end];
  }
}

// Compile time is a target (≤ 1 ms per 1,000 instructions), so these passes
// index by slot in typed arrays and allocate little.

export function functionCfg(cfg: ProgramCfg, entry: number): FunctionCfg {
  const order = reversePostorder(cfg, entry);
  const index = new Int32Array(cfg.blockAt.length);
  for (let k = 0; k < order.length; k++) index[order[k]!.start] = k;
  const succ = order.map((b) => successors(b).map((s) => index[s]!));
  const preds: number[][] = order.map(() => []);
  for (let k = 0; k < succ.length; k++) for (const s of succ[k]!) preds[s]!.push(k);
  const idom = dominators(preds);
  const children: number[][] = order.map(() => []);
  for (let k = 1; k < order.length; k++) children[idom[k]!]!.push(k);
  const loopHeader = order.map(() => false);
  const merge = preds.map((ps, k) => {
    let forward = 0;
    for (const p of ps) if (p < k) forward++;
    return forward >= 2;
  });
  let reducible = true;
  for (let k = 0; k < succ.length; k++) {
    for (const s of succ[k]!) {
      if (s > k) continue;
      loopHeader[s] = true;
      if (!dominates(idom, s, k)) reducible = false;
    }
  }
  return { entry, order, succ, idom, children, loopHeader, merge, reducible };
}

/** Blocks reachable from `entry`, in reverse postorder (iterative depth-first search). */
function reversePostorder(cfg: ProgramCfg, entry: number): Block[] {
  const seen = new Uint8Array(cfg.blockAt.length);
  const post: Block[] = [];
  const blocks: Block[] = [cfg.blockAt[entry]!];
  const succs: number[][] = [successors(blocks[0]!)];
  const next: number[] = [0];
  seen[entry] = 1;
  while (blocks.length) {
    const top = blocks.length - 1;
    const ss = succs[top]!;
    if (next[top] === ss.length) {
      post.push(blocks.pop()!);
      succs.pop();
      next.pop();
      continue;
    }
    const s = ss[next[top]++]!;
    if (seen[s]) continue;
    seen[s] = 1;
    blocks.push(cfg.blockAt[s]!);
    succs.push(successors(cfg.blockAt[s]!));
    next.push(0);
  }
  return post.reverse();
}

/** Immediate dominators by the iterative algorithm of Cooper, Harvey and Kennedy; indices are RPO. */
function dominators(preds: readonly number[][]): Int32Array {
  const idom = new Int32Array(preds.length).fill(-1);
  idom[0] = 0;
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = 1; k < preds.length; k++) {
      let d = -1;
      for (const p of preds[k]!) {
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
