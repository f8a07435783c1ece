import { BpfError } from '../../errno.js';
import { SockFilter, sockFilter } from '../instruction.js';
import * as c from '../opcodes.js';
import { JumpOp } from './bool.js';
import { Block, Node, compare, isBlock, topological } from './cfg.js';
import { Val, canonical, isConst, konst, rawKey } from './values.js';

/**
 * From the graph of tests to classic BPF. Each test becomes the statements
 * that compute its operands and one conditional jump; tests are laid out so
 * that every jump goes forward, with an unconditional `ja` trampoline where
 * a target is more than 255 instructions away. In optimised form, values
 * are simplified (values.ts `canonical`), a load whose value is already in A
 * or X on every path into a test is not repeated, and identical tests are
 * shared.
 */

/** What tcpdump's filters return to accept a packet: its default snapshot length. */
export const ACCEPT_LENGTH = 262144;

const JUMP_OP: Readonly<Record<JumpOp, number>> = { jeq: c.BPF_JEQ, jgt: c.BPF_JGT, jge: c.BPF_JGE, jset: c.BPF_JSET };
const ALU_OP = { add: c.BPF_ADD, sub: c.BPF_SUB, mul: c.BPF_MUL, div: c.BPF_DIV, mod: c.BPF_MOD, and: c.BPF_AND, or: c.BPF_OR, xor: c.BPF_XOR, lsh: c.BPF_LSH, rsh: c.BPF_RSH } as const;
const SIZE = { 1: c.BPF_B, 2: c.BPF_H, 4: c.BPF_W } as const;

/** A test ready to emit: the value to compute into A (none when no statement is needed) and the jump. */
interface Step {
  a: Val | undefined;
  op: JumpOp;
  b: Val;
  jt: Node;
  jf: Node;
}

/** What A and X are known to hold (value keys), for skipping repeated loads. */
interface Regs {
  a: string | undefined;
  x: string | undefined;
}

const UNKNOWN: Regs = { a: undefined, x: undefined };

export interface EmitOptions {
  optimize: boolean;
}

/**
 * Emit the program for a graph. With `optimize`, `prefix` holds values whose
 * loads must run first (statements of removed leading tests, as libpcap keeps
 * them).
 */
export function emitProgram(root: Node, prefix: readonly Val[], options: EmitOptions): SockFilter[] {
  const steps = new Map<Block, Step>();
  for (const b of topological(root)) steps.set(b, options.optimize ? simplify(b) : { a: b.a, op: b.op, b: b.b, jt: b.jt, jf: b.jf });
  const start = options.optimize ? skipEmpty(root, steps) : root;
  return layout(start, prefix, steps, options.optimize);
}

/**
 * The test as libpcap's second optimisation pass leaves it: values
 * simplified, `sub #k; jeq` folded, `and #k; jeq #0` as `jset`. A test of
 * constants needs no statement and goes one way; a `jset` with no or all
 * bits goes one way but keeps its loads (libpcap leaves them in place, and
 * a load outside the packet still rejects it).
 */
export function simplify(b: Block): Step {
  let a = canonical(b.a);
  let bv = canonical(b.b);
  let op = b.op;
  let [jt, jf] = [b.jt, b.jf];
  if (op === 'jeq' && isConst(bv)) {
    let k = bv.k;
    while (a.v === 'alu' && a.op === 'sub' && isConst(a.b)) {
      k = (k + a.b.k) >>> 0;
      a = a.a;
    }
    bv = konst(k);
    if (k === 0 && a.v === 'alu' && a.op === 'and' && isConst(a.b)) {
      [op, bv, a, jt, jf] = ['jset', a.b, a.a, jf, jt];
    }
  }
  if (isConst(bv) && isConst(a)) {
    const to = compare(op, a.k, bv.k) ? jt : jf;
    return { a: undefined, op, b: bv, jt: to, jf: to };
  }
  if (op === 'jset' && isConst(bv) && (bv.k === 0 || bv.k === 0xffffffff)) {
    const to = bv.k === 0 ? jf : jt;
    return { a, op, b: bv, jt: to, jf: to };
  }
  return { a, op, b: bv, jt, jf };
}

/** Jumps to a statement-less plain jump go straight to its target. */
function skipEmpty(root: Node, steps: Map<Block, Step>): Node {
  const through = (n: Node): Node => {
    for (let s = isBlock(n) ? steps.get(n) : undefined; s && s.a === undefined && s.jt === s.jf; s = isBlock(n) ? steps.get(n) : undefined) n = s.jt;
    return n;
  };
  for (const s of steps.values()) {
    s.jt = through(s.jt);
    s.jf = through(s.jf);
  }
  return through(root);
}

// ── statements ───────────────────────────────────────────────────────────

class Statements {
  readonly code: SockFilter[] = [];
  regs: Regs;

  constructor(entry: Regs, private readonly reuse: boolean) {
    this.regs = { ...entry };
  }

  private push(code: number, k = 0): void {
    this.code.push(sockFilter(code, 0, 0, k));
  }

  /** A = v */
  toA(v: Val, depth = 0): void {
    const key = rawKey(v);
    if (this.reuse && this.regs.a === key) return;
    switch (v.v) {
      case 'const':
        this.push(c.BPF_LD | c.BPF_IMM, v.k);
        break;
      case 'abs':
        this.push(c.BPF_LD | SIZE[v.size] | c.BPF_ABS, v.off);
        break;
      case 'len':
        this.push(c.BPF_LD | c.BPF_W | c.BPF_LEN);
        break;
      case 'msh':
        this.toX(v, depth);
        this.push(c.BPF_MISC | c.BPF_TXA);
        break;
      case 'ind':
        this.toX(v.idx, depth);
        this.push(c.BPF_LD | SIZE[v.size] | c.BPF_IND, v.off);
        break;
      case 'alu':
        this.toA(v.a, depth);
        if (isConst(v.b)) this.push(c.BPF_ALU | ALU_OP[v.op] | c.BPF_K, v.b.k);
        else {
          this.operandToX(v.b, depth);
          this.push(c.BPF_ALU | ALU_OP[v.op] | c.BPF_X);
        }
        break;
      case 'neg':
        this.toA(v.a, depth);
        this.push(c.BPF_ALU | c.BPF_NEG);
        break;
    }
    this.regs.a = key;
  }

  /** X = v; A may change. */
  toX(v: Val, depth: number): void {
    const key = rawKey(v);
    if (this.reuse && this.regs.x === key) return;
    if (v.v === 'const') this.push(c.BPF_LDX | c.BPF_IMM, v.k);
    else if (v.v === 'msh') this.push(c.BPF_LDX | c.BPF_B | c.BPF_MSH, v.off);
    else if (v.v === 'len') this.push(c.BPF_LDX | c.BPF_W | c.BPF_LEN);
    else {
      this.toA(v, depth);
      this.push(c.BPF_MISC | c.BPF_TAX);
    }
    this.regs.x = key;
  }

  /** X = v, keeping A (through scratch memory when v needs A to be computed). */
  operandToX(v: Val, depth: number): void {
    if ((this.reuse && this.regs.x === rawKey(v)) || v.v === 'const' || v.v === 'msh' || v.v === 'len') return this.toX(v, depth);
    if (depth >= c.BPF_MEMWORDS) throw new BpfError('E2BIG', `expression too complex: it needs more than ${c.BPF_MEMWORDS} scratch memory words`);
    const saved = this.regs.a;
    this.push(c.BPF_ST, depth);
    this.toA(v, depth + 1);
    this.push(c.BPF_MISC | c.BPF_TAX);
    this.regs.x = this.regs.a;
    this.push(c.BPF_LD | c.BPF_MEM, depth);
    this.regs.a = saved;
  }
}

// ── layout ───────────────────────────────────────────────────────────────

interface Item {
  block: Block;
  code: SockFilter[];
  step: Step;
  /** trampolines after the jump for a far true / false target */
  farT: boolean;
  farF: boolean;
}

/** A place in the program: a test, or one of the two returns. */
type Slot = Item | 'accept' | 'reject';

/**
 * Tests and returns in libpcap's order: each test before what it jumps to,
 * its true branch right after it when possible (a depth-first walk, false
 * branch first, reversed).
 */
function sequence(root: Node, steps: Map<Block, Step>): Node[] {
  const seen = new Set<Node>();
  const post: Node[] = [];
  const visit = (n: Node): void => {
    if (seen.has(n)) return;
    seen.add(n);
    if (isBlock(n)) {
      visit(steps.get(n)!.jf);
      visit(steps.get(n)!.jt);
    }
    post.push(n);
  };
  visit(root);
  return post.reverse();
}

function layout(root: Node, prefixVals: readonly Val[], steps: Map<Block, Step>, optimize: boolean): SockFilter[] {
  const prefix = new Statements(UNKNOWN, optimize);
  for (const v of prefixVals) prefix.toA(v);
  let items = statementsOf(sequence(root, steps).filter(isBlock), steps, prefix.regs, optimize);
  if (optimize) root = shareIdentical(root, items, steps);
  const order = sequence(root, steps);
  items = items.filter((it) => order.includes(it.block));
  const slots: Slot[] = order.map((n) => (isBlock(n) ? items.find((it) => it.block === n)! : n));
  for (;;) {
    const pos = positions(prefix.code.length, slots);
    if (!markFar(items, pos)) return assemble(prefix.code, slots, pos);
  }
}

function statementsOf(order: readonly Block[], steps: Map<Block, Step>, rootRegs: Regs, reuse: boolean): Item[] {
  const entry = new Map<Block, Regs>();
  const items: Item[] = [];
  order.forEach((block, i) => {
    const step = steps.get(block)!;
    const s = new Statements(i === 0 ? rootRegs : entry.get(block) ?? UNKNOWN, reuse);
    if (step.a) s.toA(step.a);
    if (step.a && !isConst(step.b)) s.operandToX(step.b, 0);
    for (const succ of new Set([step.jt, step.jf])) {
      if (!isBlock(succ)) continue;
      const have = entry.get(succ);
      entry.set(succ, have ? { a: have.a === s.regs.a ? have.a : undefined, x: have.x === s.regs.x ? have.x : undefined } : { ...s.regs });
    }
    items.push({ block, code: s.code, step, farT: false, farF: false });
  });
  return items;
}

/**
 * Merge tests whose instructions and targets are the same, as libpcap does
 * after removing repeated loads: two tests that compare what is already in A
 * become one, even when A was loaded from different places on the way.
 * Returns the root.
 */
function shareIdentical(root: Node, items: readonly Item[], steps: Map<Block, Step>): Node {
  const code = new Map(items.map((it) => [it.block, it.code.map((f) => `${f.code},${f.k}`).join(';')]));
  const rep = new Map<Block, Block>();
  const find = (n: Node): Node => {
    while (isBlock(n) && rep.has(n)) n = rep.get(n)!;
    return n;
  };
  for (let merged = true; merged; ) {
    merged = false;
    const seen = new Map<string, Block>();
    for (const it of [...items].reverse()) {
      if (rep.has(it.block)) continue;
      const s = steps.get(it.block)!;
      s.jt = find(s.jt);
      s.jf = find(s.jf);
      const id = (n: Node): string => (isBlock(n) ? String(n.id) : n);
      const key = `${code.get(it.block)}|${s.jt === s.jf ? 'goto' : `${s.op},${isConst(s.b) ? s.b.k : 'x'}`}|${id(s.jt)}|${id(s.jf)}`;
      const same = seen.get(key);
      if (same) {
        rep.set(it.block, same);
        merged = true;
      } else seen.set(key, it.block);
    }
  }
  return find(root);
}

/** Where each test starts, where its jump is, and where each return is. */
interface Positions {
  start: Map<Node, number>;
  jump: Map<Item, number>;
}

/**
 * Every test that computes a value ends in its conditional jump, even when
 * both branches go to the same place (libpcap leaves such jumps in place).
 */
const isJump = (it: Item): boolean => it.step.a !== undefined;

/**
 * Instructions an item's ending takes: the jump and its trampolines; a jump
 * to one place is a plain `ja`, or nothing when that place comes next.
 */
function endingSize(it: Item, next: Slot | undefined): number {
  if (isJump(it)) return 1 + Number(it.farT) + Number(it.farF);
  const to = it.step.jt;
  const following = typeof next === 'string' ? next : next?.block;
  return following === to ? 0 : 1;
}

function positions(start: number, slots: readonly Slot[]): Positions {
  const pos: Positions = { start: new Map(), jump: new Map() };
  let pc = start;
  slots.forEach((slot, i) => {
    if (typeof slot === 'string') {
      pos.start.set(slot, pc++);
      return;
    }
    pos.start.set(slot.block, pc);
    pos.jump.set(slot, pc + slot.code.length);
    pc += slot.code.length + endingSize(slot, slots[i + 1]);
  });
  return pos;
}

/** Mark jumps whose offsets do not fit in 8 bits; true if any was newly marked. */
function markFar(items: readonly Item[], pos: Positions): boolean {
  let marked = false;
  for (const it of items.filter(isJump)) {
    const from = pos.jump.get(it)! + 1;
    if (!it.farT && pos.start.get(it.step.jt)! - from > 255) marked = it.farT = true;
    if (!it.farF && pos.start.get(it.step.jf)! - from > 255) marked = it.farF = true;
  }
  return marked;
}

function assemble(prefix: SockFilter[], slots: readonly Slot[], pos: Positions): SockFilter[] {
  const out = [...prefix];
  const target = (n: Node): number => pos.start.get(n)!;
  const ja = (to: Node): SockFilter => sockFilter(c.BPF_JMP | c.BPF_JA, 0, 0, target(to) - (out.length + 1));
  slots.forEach((slot, i) => {
    if (typeof slot === 'string') {
      out.push(sockFilter(c.BPF_RET | c.BPF_K, 0, 0, slot === 'accept' ? ACCEPT_LENGTH : 0));
      return;
    }
    out.push(...slot.code);
    const { step } = slot;
    if (!isJump(slot)) {
      if (endingSize(slot, slots[i + 1]) > 0) out.push(ja(step.jt));
      return;
    }
    const at = out.length;
    const jt = slot.farT ? 0 : target(step.jt) - (at + 1);
    const jf = slot.farF ? Number(slot.farT) : target(step.jf) - (at + 1);
    const src = isConst(step.b) ? c.BPF_K : c.BPF_X;
    out.push(sockFilter(c.BPF_JMP | JUMP_OP[step.op] | src, jt, jf, isConst(step.b) ? step.b.k : 0));
    if (slot.farT) out.push(ja(step.jt));
    if (slot.farF) out.push(ja(step.jf));
  });
  return out;
}
