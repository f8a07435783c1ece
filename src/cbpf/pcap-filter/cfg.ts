import { Bool, JumpOp, Test } from './bool.js';
import { Val, alu, isConst, rawKey } from './values.js';

/**
 * The filter as a graph of conditional jumps (blocks) ending in accept or
 * reject, and the first pass of libpcap's optimiser on it, reproduced step
 * by step for the effects it has on which packets pass.
 *
 * libpcap's optimiser assumes packet loads cannot fail. On a truncated
 * packet they can (the filter then returns 0), so a step that skips or
 * moves a load changes the result:
 *  - jump threading: a test whose outcome is known from the tests on every
 *    path to it is bypassed; it only re-tests a value already loaded, so by
 *    itself it changes nothing, but it reshapes the graph for the others;
 *  - a test whose two branches lead to the same block is removed with its
 *    loads (unless it is the first test: its statements then move to the
 *    new first test, see index.ts);
 *  - the "pullups" move a test of a value already loaded in front of the
 *    test of another value in a chain of `or`s or `and`s.
 * Its value numbering at this stage sees values as written, before constant
 * folding, with rewrites of the final comparison that take effect from its
 * second round (`passOne`). Its rounds run on the shape the round started
 * with (dominators, levels, predecessors even of blocks the round made
 * unreachable), and stop after 100 rounds that only moved branches; all of
 * that is reproduced, because on some graphs the steps undo each other and
 * the result depends on where the rounds stop. Against tcpdump 4.99 /
 * libpcap 1.10 the programs are mostly identical instruction for
 * instruction (see test/pcap-tcpdump.test.ts).
 */
export type Leaf = 'accept' | 'reject';
export type Node = Block | Leaf;

export interface Block {
  id: number;
  op: JumpOp;
  /** the value compared (A) */
  a: Val;
  /** what it is compared with: a constant (`#k`) or a value (through X) */
  b: Val;
  jt: Node;
  jf: Node;
  /** identity of the comparison for jump threading: op, operand form and value numbers */
  sig: string;
  aKey: string;
  bKey: string;
  /** the identity of A in libpcap's first round, when its rewrites have not yet removed a statement */
  early?: { sig: string; aKey: string };
  /** a comparison of constants, and the round from which libpcap knows its outcome */
  outcome?: { round: number; value: boolean };
}

/** The value number of A, and the comparison's signature, in a round. */
const aKeyIn = (b: Block, round: number): string => (round === 0 && b.early ? b.early.aKey : b.aKey);
const sigIn = (b: Block, round: number): string => (round === 0 && b.early ? b.early.sig : b.sig);

interface PassOne {
  op: JumpOp;
  a: Val;
  b: Val;
  /** branches swapped (`and #k; jeq #0` is `jset #k` with the branches exchanged) */
  negate: boolean;
  /** A as the first round sees it, before the rewrite removed the statement that computes it */
  early?: Val;
  outcome?: { round: number; value: boolean };
}

/**
 * The comparison as libpcap's first optimisation pass sees it. A comparison
 * of arithmetic is computed as `A = a - b; jeq #0` (for `=`), which its
 * first round rewrites to `jeq #b` (or `jeq x`), so from the second round A
 * is `a`; an `and #k; jeq #0` of its own primitives becomes `jset #k` with
 * the branches exchanged; `jset #0` never jumps and `jset #0xffffffff`
 * always does; a comparison of constants is decided (in the first round,
 * or in the second for `=` of arithmetic).
 */
export function passOne(t: Test): PassOne {
  const { op, a, b } = t;
  if (t.arith) {
    const early = op === 'jeq' ? alu('sub', a, b) : undefined;
    const decided = isConst(a) && isConst(b) ? { round: early ? 1 : 0, value: compare(op, a.k, b.k) } : undefined;
    return { op, a, b, negate: false, early, outcome: decided };
  }
  if (op === 'jeq' && isConst(b) && b.k === 0 && a.v === 'alu' && a.op === 'and' && a.form === 'k' && isConst(a.b)) {
    const m = a.b.k;
    const decided = m === 0 || m === 0xffffffff ? { round: 0, value: m !== 0 } : undefined;
    return { op: 'jset', a: a.a, b: a.b, negate: true, early: a, outcome: decided };
  }
  return { op, a, b, negate: false };
}

export function compare(op: JumpOp, a: number, b: number): boolean {
  switch (op) {
    case 'jeq':
      return a === b;
    case 'jgt':
      return a > b;
    case 'jge':
      return a >= b;
    case 'jset':
      return (a & b) !== 0;
  }
}

/**
 * Build the graph of `expr` with short-circuit evaluation, each test before
 * the rest (so loads happen in the order libpcap performs them). With
 * `optimize`, comparisons are taken in their first-pass form (passOne).
 */
export function lower(expr: Bool, optimize: boolean): Lowered {
  let next = 0;
  let rewritten = false;
  let arith = false;
  const build = (e: Bool, t: Node, f: Node): Node => {
    switch (e.kind) {
      case 'and':
        return build(e.left, build(e.right, t, f), f);
      case 'or':
        return build(e.left, t, build(e.right, t, f));
      case 'not':
        return build(e.expr, f, t);
      case 'test': {
        const p: PassOne = optimize ? passOne(e.test) : { ...e.test, negate: false };
        const [jt, jf] = p.negate ? [f, t] : [t, f];
        arith ||= e.test.arith === true;
        rewritten ||= e.test.arith === true || p.negate;
        const block = makeBlock(next++, p.op, p.a, p.b, jt, jf);
        if (p.early) block.early = { aKey: rawKey(p.early), sig: signature(p.op, rawKey(p.early), p.b) };
        if (p.outcome) block.outcome = p.outcome;
        return block;
      }
    }
  };
  const root = build(expr, 'accept', 'reject');
  return { root, rewritten, arith };
}

/**
 * A built graph, and whether libpcap's first optimisation round rewrites
 * statements in it (which restarts its count of rounds that only move
 * branches; see optimizeGraph).
 */
export interface Lowered {
  root: Node;
  rewritten: boolean;
  /**
   * comparisons of arithmetic, whose scratch-memory statements libpcap keeps
   * simplifying for a few rounds (each such round restarts its count)
   */
  arith: boolean;
}

const signature = (op: JumpOp, aKey: string, b: Val): string => `${op}${isConst(b) ? 'k' : 'x'}|${aKey}`;

export function makeBlock(id: number, op: JumpOp, a: Val, b: Val, jt: Node, jf: Node): Block {
  const aKey = rawKey(a);
  return { id, op, a, b, jt, jf, aKey, bKey: rawKey(b), sig: signature(op, aKey, b) };
}

export const isBlock = (n: Node): n is Block => typeof n !== 'string';

/** Blocks reachable from `root`, each before every block it jumps to (`next` gives a block's targets). */
export function topological(root: Node, next: (b: Block) => readonly Node[] = (b) => [b.jt, b.jf]): Block[] {
  const seen = new Set<Block>();
  const post: Block[] = [];
  // Depth first without recursion (graphs of long expressions are deep): a block is
  // finished when the cursor of its successors runs out.
  const stack: { b: Block; succ: readonly Node[]; at: number }[] = [];
  const enter = (n: Node): void => {
    if (!isBlock(n) || seen.has(n)) return;
    seen.add(n);
    stack.push({ b: n, succ: next(n), at: 0 });
  };
  enter(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.at < top.succ.length) enter(top.succ[top.at++]!);
    else post.push(stack.pop()!.b);
  }
  return post.reverse();
}

/** An edge of the graph: a block and the branch taken. */
interface Edge {
  from: Block;
  taken: boolean;
}

/**
 * The shape of the graph at the start of an optimisation round: blocks by
 * level (distance to the leaves, in libpcap's visiting order), block
 * dominators, and for each block the edges on every path to it.
 */
interface Shape {
  /** the blocks, each before the blocks it jumps to */
  order: Block[];
  levels: Block[][];
  /** whether block `a` is on every path from the root to block `b` */
  dominates(a: Block, b: Block): boolean;
  /** the edges on every path from the root to a block */
  edgesInto(b: Block): Edge[];
}

/** Sets of small numbers as bit vectors. */
const words = (n: number): number => (n + 31) >>> 5;
const hasBit = (set: Uint32Array, i: number): boolean => (set[i >>> 5]! & (1 << (i & 31))) !== 0;
const withBit = (set: Uint32Array, i: number): Uint32Array => {
  const out = set.slice();
  out[i >>> 5]! |= 1 << (i & 31);
  return out;
};
function intersect(into: Uint32Array | undefined, other: Uint32Array): Uint32Array {
  if (!into) return other.slice();
  for (let w = 0; w < into.length; w++) into[w]! &= other[w]!;
  return into;
}

function shape(root: Node): Shape {
  // Levels (longest distance to a leaf) in libpcap's order: a depth-first walk,
  // true branch first, puts each block in front of its level's list when it is done.
  const order = topological(root);
  const level = new Map<Block, number>();
  const levels: Block[][] = [];
  for (const b of [...order].reverse()) {
    const l = Math.max(isBlock(b.jt) ? level.get(b.jt)! : 0, isBlock(b.jf) ? level.get(b.jf)! : 0) + 1;
    level.set(b, l);
    (levels[l] ??= []).push(b);
  }
  for (const list of levels) list?.reverse();
  // Blocks numbered in topological order; edge 2i is block i's true branch, 2i + 1 its false one.
  const index = new Map(order.map((b, i) => [b, i]));
  const edges = order.flatMap((b) => [{ from: b, taken: true }, { from: b, taken: false }]);
  const dom: (Uint32Array | undefined)[] = [];
  const into: (Uint32Array | undefined)[] = [];
  order.forEach((b, i) => {
    const mine = withBit(dom[i] ?? new Uint32Array(words(order.length)), i);
    dom[i] = mine;
    const reaching = into[i] ?? new Uint32Array(words(edges.length));
    into[i] = reaching;
    for (const [succ, e] of [[b.jt, 2 * i], [b.jf, 2 * i + 1]] as const) {
      if (!isBlock(succ)) continue;
      const j = index.get(succ)!;
      dom[j] = intersect(dom[j], mine);
      into[j] = intersect(into[j], withBit(reaching, e));
    }
  });
  const listed = new Map<Block, Edge[]>();
  return {
    order,
    levels,
    dominates: (a, b) => hasBit(dom[index.get(b)!]!, index.get(a)!),
    edgesInto: (b) => {
      let list = listed.get(b);
      if (!list) {
        const bits = into[index.get(b)!]!;
        list = [];
        for (let w = 0; w < bits.length; w++) {
          for (let x = bits[w]!; x !== 0; x &= x - 1) list.push(edges[32 * w + 31 - Math.clz32(x & -x)]!);
        }
        listed.set(b, list);
      }
      return list;
    },
  };
}

/** Where a jump to `child` goes when the facts of `known` hold, or undefined if they do not decide it. */
function foldEdge(child: Block, known: readonly Edge[], round: number): Node | undefined {
  for (const e of known) {
    const p = e.from;
    if (sigIn(p, round) !== sigIn(child, round)) continue;
    if (p.bKey === child.bKey) return e.taken ? child.jt : child.jf;
    // A value equal to one constant is not equal to another.
    if (e.taken && child.op === 'jeq' && isConst(child.b)) return child.jf;
  }
  return undefined;
}

/** What a round of optimisation did: moved branches, and whether it also removed tests. */
interface Progress {
  moved: boolean;
  removed: boolean;
}

/**
 * Thread both out-edges of `b`, as libpcap's opt_j does: past one test
 * whose branches meet (which removes that test), then past tests the
 * dominating edges decide, until a leaf or an undecided test.
 */
function thread(b: Block, s: Shape, progress: Progress, round: number): void {
  for (const taken of [true, false]) {
    const known = [...s.edgesInto(b), { from: b, taken }];
    let succ = taken ? b.jt : b.jf;
    if (!isBlock(succ)) continue;
    if (succ.jt === succ.jf) {
      succ = succ.jt;
      progress.moved = progress.removed = true;
    }
    for (let hop = isBlock(succ) ? foldEdge(succ, known, round) : undefined; hop !== undefined; hop = isBlock(succ) ? foldEdge(succ, known, round) : undefined) {
      succ = hop;
      progress.moved = true;
    }
    if (taken) b.jt = succ;
    else b.jf = succ;
  }
}

/**
 * For each block, the blocks that jump to it and on which branch, among the
 * blocks of the round's start (libpcap counts jumps from blocks that this
 * round's threading made unreachable).
 */
function predecessors(s: Shape): Map<Block, Edge[]> {
  const preds = new Map<Block, Edge[]>();
  for (const level of [...s.levels].reverse()) {
    for (const b of level ?? []) {
      for (const [succ, taken] of [[b.jt, true], [b.jf, false]] as const) {
        if (isBlock(succ)) preds.set(succ, [{ from: b, taken }, ...(preds.get(succ) ?? [])]);
      }
    }
  }
  return preds;
}

const branch = (b: Block, taken: boolean): Node => (taken ? b.jt : b.jf);

function setBranch(b: Block, taken: boolean, to: Node): void {
  if (taken) b.jt = to;
  else b.jf = to;
}

/**
 * libpcap's "pullup" of a chain of tests that share one exit: in a chain of
 * `or`s (false branches, same true target; `along` = false) or of `and`s
 * (true branches, same false target; `along` = true) below `b`, a test of
 * the value the predecessors of `b` left in A is moved up in front of the
 * first test of another value, so it runs without a new load. This changes
 * the order of loads, hence which truncated packets pass.
 */
function pullup(b: Block, along: boolean, preds: Map<Block, Edge[]>, s: Shape, round: number): boolean {
  const into = preds.get(b);
  if (!into?.length) return false;
  const val = aKeyIn(into[0]!.from, round);
  if (into.some((e) => aKeyIn(e.from, round) !== val)) return false;
  const exit = branch(b, !along);
  const inChain = (n: Node): n is Block => isBlock(n) && branch(n, !along) === exit && s.dominates(b, n);
  let above: Block | undefined;
  let diff: Node = b;
  for (; ; diff = branch(diff, along)) {
    if (!inChain(diff)) return false;
    if (aKeyIn(diff, round) !== val) break;
    above = diff;
  }
  let before: Block = diff;
  let same: Node = branch(diff, along);
  for (; ; same = branch(same, along)) {
    if (!inChain(same)) return false;
    if (aKeyIn(same, round) === val) break;
    before = same;
  }
  setBranch(before, along, branch(same, along));
  setBranch(same, along, diff);
  if (above) setBranch(above, along, same);
  // The predecessors were listed before this round's pullups; like libpcap, a
  // predecessor that no longer jumps to b on its true branch gets `same` on its false one.
  else for (const e of into) setBranch(e.from, e.from.jt === b, same);
  return true;
}

/** A comparison whose outcome is known from this round jumps one way (the test then goes, see thread). */
function decide(b: Block, round: number, progress: Progress): void {
  if (!b.outcome || round < b.outcome.round || b.jt === b.jf) return;
  const to = b.outcome.value ? b.jt : b.jf;
  b.jt = b.jf = to;
  progress.removed = true;
}

/**
 * Rounds in which libpcap is still simplifying the scratch-memory statements
 * of arithmetic comparisons (its peephole rewrites take two rounds to settle
 * for simple comparisons; this is the one approximation of the emulation: it
 * only matters for filters whose optimisation cycles, see optimizeGraph).
 */
const ARITH_ROUNDS = 2;

/** libpcap stops after this many rounds in a row that only moved branches: it is then going in circles. */
const MAX_MOVING_ROUNDS = 100;

/**
 * The first optimisation pass of libpcap: rounds of jump threading (with
 * removal of tests whose branches meet), then the pullups, level by level
 * from the leaves up, each round on the shape it started with; until a
 * round changes nothing, or until 100 rounds in a row only moved branches
 * (some graphs make the pullups and the threading undo each other forever;
 * libpcap then keeps the graph of the last round, and so does this).
 */
export function optimizeGraph(lowered: Lowered): Node {
  const root = lowered.root;
  let moving = 0;
  for (let round = 0; ; round++) {
    const progress: Progress = { moved: false, removed: (round === 0 && lowered.rewritten) || (round < ARITH_ROUNDS && lowered.arith) };
    const s = shape(root);
    for (const b of s.order) decide(b, round, progress);
    for (const level of s.levels.slice(1)) for (const b of level ?? []) thread(b, s, progress, round);
    const preds = predecessors(s);
    for (const level of s.levels.slice(1)) {
      for (const b of level ?? []) {
        if (pullup(b, false, preds, s, round)) progress.moved = true;
        if (pullup(b, true, preds, s, round)) progress.moved = true;
      }
    }
    if (!progress.moved && !progress.removed) return root;
    moving = progress.removed ? 0 : moving + 1;
    if (moving >= MAX_MOVING_ROUNDS) return root;
  }
}
