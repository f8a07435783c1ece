import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';

/**
 * Which bytes of its context a program may read: the (offset, size) of
 * every load whose base register may hold the context pointer, found by a
 * small forward data-flow over the instructions (may-hold-ctx per register,
 * joined by union at branch targets, iterated to a fixed point). When the
 * pointer escapes — arithmetic on it, a store of it, a call that takes it
 * (helper or sub-program) — any byte may be read, and the answer is 'all'.
 * The tracepoint then copies only the fields these loads touch.
 */
export type CtxReads = ReadonlyArray<{ off: number; size: number }> | 'all';

const R1 = 1 << 1;
const ARGS = 0b111110; // r1–r5

/**
 * `args(id)`: how many arguments helper `id` takes (from its prototype); a
 * call passes the context only if it sits in one of those registers.
 * Without it, or for a call of a sub-program, all of r1–r5 count.
 */
export function ctxReads(insns: readonly Insn[], args: (helperId: number) => number | undefined = () => undefined): CtxReads {
  const n = insns.length;
  // in[pc]: registers that may hold ctx on entry to pc; -1: not reached yet
  const into = new Int32Array(n).fill(-1);
  into[0] = R1;
  const work = [0];
  const reads = new Map<string, { off: number; size: number }>();
  const flow = (pc: number, regs: number): void => {
    if (pc < 0 || pc >= n) return;
    const old = into[pc]!;
    const merged = old < 0 ? regs : old | regs;
    if (merged !== old) {
      into[pc] = merged;
      work.push(pc);
    }
  };
  while (work.length) {
    const pc = work.pop()!;
    const ins = insns[pc]!;
    const regs = into[pc]!;
    const has = (r: number): boolean => (regs & (1 << r)) !== 0;
    const cls = ins.code & 0x07;
    const mode = ins.code & 0xe0;
    if (ins.code === o.LDDW) {
      flow(pc + 2, regs & ~(1 << ins.dst));
      continue;
    }
    if (cls === o.BPF_LDX) {
      if (has(ins.src) && (mode === o.BPF_MEM || mode === o.BPF_MEMSX)) {
        const size = o.sizeBytes(ins.code);
        reads.set(`${ins.off}:${size}`, { off: ins.off, size });
      }
      flow(pc + 1, regs & ~(1 << ins.dst));
      continue;
    }
    if (cls === o.BPF_STX) {
      if (has(ins.src)) return 'all'; // the pointer is stored (or an atomic takes it)
      const fetch = mode === o.BPF_ATOMIC && (ins.imm & o.BPF_FETCH) !== 0;
      flow(pc + 1, fetch ? regs & ~(1 << (ins.imm === o.BPF_CMPXCHG ? 0 : ins.src)) : regs);
      continue;
    }
    if (cls === o.BPF_ST || cls === o.BPF_LD) {
      // BPF_LD here is legacy LD_ABS/IND: r0 and r1–r5 are clobbered
      flow(pc + 1, cls === o.BPF_LD ? regs & ~(0b111111) : regs);
      continue;
    }
    if (cls === o.BPF_ALU || cls === o.BPF_ALU64) {
      const op = ins.code & 0xf0;
      const fromReg = (ins.code & o.BPF_X) !== 0;
      if (op === o.BPF_MOV && cls === o.BPF_ALU64 && fromReg && ins.off === 0) {
        flow(pc + 1, has(ins.src) ? regs | (1 << ins.dst) : regs & ~(1 << ins.dst));
        continue;
      }
      if (has(ins.dst) && op !== o.BPF_MOV) return 'all'; // arithmetic on the pointer
      if (fromReg && has(ins.src)) return 'all'; // the pointer as a number
      flow(pc + 1, regs & ~(1 << ins.dst));
      continue;
    }
    // jumps
    const op = ins.code & 0xf0;
    if (op === o.BPF_EXIT) continue;
    if (op === o.BPF_CALL) {
      const n = ins.src === 0 ? args(ins.imm) ?? 5 : 5;
      if (regs & ARGS & (((1 << n) - 1) << 1)) return 'all';
      flow(pc + 1, regs & ~0b111111);
      continue;
    }
    if (op === o.BPF_JA) {
      flow(pc + 1 + (cls === o.BPF_JMP32 ? ins.imm : ins.off), regs);
      continue;
    }
    flow(pc + 1, regs);
    flow(pc + 1 + ins.off, regs);
  }
  return [...reads.values()];
}
