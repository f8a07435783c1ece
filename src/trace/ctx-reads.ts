import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';

/**
 * Which bytes of its context a program may read: the (offset, size) of
 * every load whose base register may hold the context pointer, found by a
 * small forward data-flow over the instructions (what each register may
 * hold, joined by union at branch targets, iterated to a fixed point). When
 * the pointer escapes — arithmetic on it, a store of it, a call that takes
 * it (helper or sub-program) — any byte may be read, and the answer is
 * 'all'. The tracepoint then copies only the fields these loads touch.
 *
 * One kind of arithmetic is followed, because it is how a handler reads a
 * string: `ctx + (ctx->__data_loc_x & 0xffff)`, the address of field x's
 * bytes, loaded from or handed to bpf_probe_read_kernel_str. The sum points
 * into x's data, whose `__data_loc` word the program has loaded, so x is
 * among the fields read and nothing else is.
 */
export type CtxReads = ReadonlyArray<{ off: number; size: number }> | 'all';

/** What a register may hold, as bits: the context pointer, a value from a __data_loc word, the address of a field's data. */
const CTX = 1;
const LOC = 2;
const DATA = 4;
/** r0–r9 (r10 is the frame pointer: it never holds any of these), 10 bits per kind */
const REGS = 10;
const KINDS = 3;
/** r1–r5 */
const ARGS = 0b111110;

/** The kinds register `r` may hold in `state`. */
function kinds(state: number, r: number): number {
  let k = 0;
  for (let kind = 0; kind < KINDS; kind++) if (r < REGS && state & (1 << (kind * REGS + r))) k |= 1 << kind;
  return k;
}

/** `state` with register `r` holding the kinds `k` (none: a plain scalar). */
function withKinds(state: number, r: number, k: number): number {
  for (let kind = 0; kind < KINDS; kind++) {
    const bit = 1 << (kind * REGS + r);
    state = k & (1 << kind) ? state | bit : state & ~bit;
  }
  return state;
}

/** `state` with registers `mask` (bit r for register r) holding nothing tracked. */
function cleared(state: number, mask: number): number {
  for (let kind = 0; kind < KINDS; kind++) state &= ~(mask << (kind * REGS));
  return state;
}

/**
 * `args(id)`: how many arguments helper `id` takes (from its prototype); a
 * call passes the context only if it sits in one of those registers.
 * Without it, or for a call of a sub-program, all of r1–r5 count.
 * `isLoc(off, size)`: whether a load of `size` bytes at `off` reads within
 * a variable-length field's `__data_loc` word (none without it).
 */
export function ctxReads(
  insns: readonly Insn[],
  args: (helperId: number) => number | undefined = () => undefined,
  isLoc: (off: number, size: number) => boolean = () => false,
): CtxReads {
  const n = insns.length;
  // into[pc]: what registers may hold on entry to pc; -1: not reached yet
  const into = new Int32Array(n).fill(-1);
  into[0] = withKinds(0, 1, CTX);
  const work = [0];
  const reads = new Map<string, { off: number; size: number }>();
  const flow = (pc: number, state: number): void => {
    if (pc < 0 || pc >= n) return;
    const old = into[pc]!;
    const merged = old < 0 ? state : old | state;
    if (merged !== old) {
      into[pc] = merged;
      work.push(pc);
    }
  };
  while (work.length) {
    const pc = work.pop()!;
    const ins = insns[pc]!;
    const state = into[pc]!;
    const cls = ins.code & 0x07;
    const mode = ins.code & 0xe0;
    if (ins.code === o.LDDW) {
      flow(pc + 2, withKinds(state, ins.dst, 0));
      continue;
    }
    if (cls === o.BPF_LDX) {
      const base = kinds(state, ins.src);
      const size = o.sizeBytes(ins.code);
      let loaded = 0;
      if (base & CTX && (mode === o.BPF_MEM || mode === o.BPF_MEMSX)) {
        reads.set(`${ins.off}:${size}`, { off: ins.off, size });
        if (isLoc(ins.off, size)) loaded = LOC;
      }
      flow(pc + 1, withKinds(state, ins.dst, loaded));
      continue;
    }
    if (cls === o.BPF_STX) {
      if (kinds(state, ins.src) & (CTX | DATA)) return 'all'; // the pointer is stored (or an atomic takes it)
      const fetch = mode === o.BPF_ATOMIC && (ins.imm & o.BPF_FETCH) !== 0;
      flow(pc + 1, fetch ? withKinds(state, ins.imm === o.BPF_CMPXCHG ? 0 : ins.src, 0) : state);
      continue;
    }
    if (cls === o.BPF_ST || cls === o.BPF_LD) {
      // BPF_LD here is legacy LD_ABS/IND: r0 and r1–r5 are clobbered
      flow(pc + 1, cls === o.BPF_LD ? cleared(state, 0b111111) : state);
      continue;
    }
    if (cls === o.BPF_ALU || cls === o.BPF_ALU64) {
      const after = alu(ins, cls, state);
      if (after === undefined) return 'all';
      flow(pc + 1, after);
      continue;
    }
    // jumps
    const op = ins.code & 0xf0;
    if (op === o.BPF_EXIT) continue;
    if (op === o.BPF_CALL) {
      const helper = ins.src === 0;
      const passed = ARGS & (((1 << (helper ? args(ins.imm) ?? 5 : 5)) - 1) << 1);
      // a helper may be given the address of a field's data (it reads what a load could); a sub-program may not, as it is not followed
      if (state & passed || (!helper && (state >> (2 * REGS)) & passed)) return 'all';
      flow(pc + 1, cleared(state, 0b111111));
      continue;
    }
    if (op === o.BPF_JA) {
      flow(pc + 1 + (cls === o.BPF_JMP32 ? ins.imm : ins.off), state);
      continue;
    }
    flow(pc + 1, state);
    flow(pc + 1 + ins.off, state);
  }
  return [...reads.values()];
}

/** The state after an ALU instruction, or undefined when it lets the context pointer escape. */
function alu(ins: Insn, cls: number, state: number): number | undefined {
  const op = ins.code & 0xf0;
  const fromReg = (ins.code & o.BPF_X) !== 0;
  const dst = kinds(state, ins.dst);
  const src = fromReg ? kinds(state, ins.src) : 0;
  if (op === o.BPF_MOV) {
    if (cls === o.BPF_ALU64 && fromReg && ins.off === 0) return withKinds(state, ins.dst, src);
    if (src & (CTX | DATA)) return undefined; // the pointer as a number
    return withKinds(state, ins.dst, fromReg ? src & LOC : 0);
  }
  if (op === o.BPF_ADD && cls === o.BPF_ALU64 && fromReg && isCtxPlusLoc(dst, src)) return withKinds(state, ins.dst, DATA);
  // arithmetic on a pointer: where the sum points is not followed (a field's data moved may reach another field)
  if ((dst | src) & (CTX | DATA)) return undefined;
  // a __data_loc value stays one through masks and shifts by constants; with another register it is a plain scalar
  return withKinds(state, ins.dst, fromReg ? 0 : dst & LOC);
}

/** ctx + loc or loc + ctx, each operand surely one kind */
function isCtxPlusLoc(a: number, b: number): boolean {
  return (a === CTX && b === LOC) || (a === LOC && b === CTX);
}
