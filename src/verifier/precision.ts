import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';

/**
 * Precision tracking (Linux's backtracking, __mark_chain_precision): when
 * the exact value of a scalar decides a verdict — a branch taken for sure,
 * an offset added to a pointer, a helper's size argument — that scalar, and
 * every register and stack slot it was computed from, must be compared
 * exactly when pruning; every other scalar may differ (prune.ts). The
 * sources are found by walking the instructions of the path backwards
 * through its history and applying, for each, which of its inputs the
 * wanted outputs depend on.
 */

/**
 * One instruction executed on a path: where it ran and which stack slot it
 * read or wrote. Every field is set when the entry is made (histEntry), so
 * that all entries share one shape: backtracking reads millions of them.
 */
export interface HistEntry {
  idx: number;
  /** the call frame it ran in */
  frame: number;
  /** a load or store at a constant stack offset: the slot and whose frame it is */
  stack: { frame: number; spi: number } | undefined;
  /** a conditional jump: the scalars linked (same id) to its operands, which it narrowed together */
  linked: Loc[] | undefined;
  /** the exit of a callback, back to the helper that calls it (no value passes back) */
  cbExit: boolean;
}

export const histEntry = (idx: number, frame: number): HistEntry => ({ idx, frame, stack: undefined, linked: undefined, cbExit: false });

/** A register (regno) or a spilled stack slot (spi) of a frame. */
export interface Loc {
  frame: number;
  regno?: number;
  spi?: number;
}

/** What is still wanted precise, frame by frame (Linux's backtrack_state). */
export class Backtrack {
  /** a register mask per frame */
  readonly regs: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  /** spilled slots, as frame * 64 + slot */
  private slots: Set<number> | undefined;
  constructor(public frame: number) {}

  /** Want nothing, from frame `frame` on. */
  clear(frame: number): this {
    this.frame = frame;
    // (a loop: Array.prototype.fill is a call into the runtime, and this runs at every decided branch)
    for (let f = 0; f < this.regs.length; f++) this.regs[f] = 0;
    this.slots = undefined;
    return this;
  }

  hasReg(r: number, f = this.frame): boolean {
    return (this.regs[f]! & (1 << r)) !== 0;
  }
  setReg(r: number, f = this.frame): void {
    this.regs[f]! |= 1 << r;
  }
  clearReg(r: number, f = this.frame): void {
    this.regs[f]! &= ~(1 << r);
  }
  hasSlot(f: number, spi: number): boolean {
    return this.slots?.has(f * 64 + spi) ?? false;
  }
  setSlot(f: number, spi: number): void {
    (this.slots ??= new Set()).add(f * 64 + spi);
  }
  clearSlot(f: number, spi: number): void {
    this.slots?.delete(f * 64 + spi);
  }
  /** the wanted slots of frame `f` */
  slotsOf(f: number): number[] {
    return this.slots ? [...this.slots].filter((k) => k >> 6 === f).map((k) => k & 63) : [];
  }
  hasSlots(f: number): boolean {
    return this.slotsOf(f).length > 0;
  }
  /** Make this a copy of `b`. */
  assign(b: Backtrack): void {
    this.frame = b.frame;
    for (let f = 0; f < this.regs.length; f++) this.regs[f] = b.regs[f]!;
    this.slots = b.slots?.size ? new Set(b.slots) : undefined;
  }
  /** Whether everything wanted here is wanted by `b` too, in the same frame. */
  within(b: Backtrack): boolean {
    if (this.frame !== b.frame) return false;
    for (let f = 0; f < this.regs.length; f++) if (this.regs[f]! & ~b.regs[f]!) return false;
    if (this.slots) for (const k of this.slots) if (!b.slots?.has(k)) return false;
    return true;
  }
  empty(): boolean {
    // asked after every instruction walked back: a plain loop
    for (const m of this.regs) if (m) return false;
    return !this.slots?.size;
  }
  has(l: Loc): boolean {
    return l.regno !== undefined ? this.hasReg(l.regno, l.frame) : this.hasSlot(l.frame, l.spi!);
  }
  set(l: Loc): void {
    if (l.regno !== undefined) this.setReg(l.regno, l.frame);
    else this.setSlot(l.frame, l.spi!);
  }
  /** "r1,r6" */
  regList(f = this.frame): string {
    return [...Array(11).keys()].filter((r) => this.hasReg(r, f)).map((r) => `r${r}`).join(',');
  }
  /** "-8,-16" */
  stackList(f = this.frame): string {
    return this.slotsOf(f).sort((a, b) => a - b).map((s) => `${-(s + 1) * 8}`).join(',');
  }
}

/** Thrown when an instruction's dependencies are not understood: everything is then made precise. */
export class GiveUp extends Error {}

const ARGS = 0b111110; // r1..r5

/**
 * Step backwards over one instruction: replace what its outputs needed by
 * what it needed of its inputs. Frame changes (calls, returns) move the
 * wanted registers between frames.
 */
export function backtrackInsn(insns: readonly Insn[], e: HistEntry, bt: Backtrack): void {
  const ins = insns[e.idx]!;
  const cls = o.cls(ins.code);
  const d = ins.dst;
  const s = ins.src;
  const x = o.srcBit(ins.code) === o.BPF_X;
  if (e.frame !== bt.frame) return crossFrame(ins, e, bt);
  switch (cls) {
    case o.BPF_ALU:
    case o.BPF_ALU64: {
      if (!bt.hasReg(d)) break;
      const op = o.op(ins.code);
      if (op === o.BPF_END || op === o.BPF_NEG) break;
      if (op === o.BPF_MOV) {
        bt.clearReg(d);
        if (x && s !== 10) bt.setReg(s);
      } else if (x && s !== 10) bt.setReg(s);
      break;
    }
    case o.BPF_LDX:
      if (!bt.hasReg(d)) break;
      bt.clearReg(d);
      if (e.stack) bt.setSlot(e.stack.frame, e.stack.spi);
      break;
    case o.BPF_STX:
    case o.BPF_ST:
      stores(ins, e, bt);
      break;
    case o.BPF_LD:
      if (ins.code === o.LDDW) {
        bt.clearReg(d);
        break;
      }
      if (bt.regs[bt.frame]! & 0b111111) throw new GiveUp();
      break;
    default:
      jumps(ins, bt, x);
  }
  if (e.linked?.some((l) => bt.has(l))) for (const l of e.linked) bt.set(l);
}

function stores(ins: Insn, e: HistEntry, bt: Backtrack): void {
  if (bt.hasReg(ins.dst)) throw new GiveUp();
  if (o.mode(ins.code) === o.BPF_ATOMIC) {
    // the fetch forms load the old value: give up when it or the slot matters
    const load = ins.imm === o.BPF_CMPXCHG ? 0 : ins.src;
    if ((ins.imm & o.BPF_FETCH && bt.hasReg(load)) || (e.stack && bt.hasSlot(e.stack.frame, e.stack.spi))) throw new GiveUp();
    return;
  }
  if (!e.stack || !bt.hasSlot(e.stack.frame, e.stack.spi)) return;
  bt.clearSlot(e.stack.frame, e.stack.spi);
  if (o.cls(ins.code) === o.BPF_STX) bt.setReg(ins.src);
}

function jumps(ins: Insn, bt: Backtrack, x: boolean): void {
  const op = o.op(ins.code);
  if (op === o.BPF_CALL) {
    // a helper sets r0; its arguments cannot be wanted after it (they are gone)
    bt.clearReg(0);
    if (bt.regs[bt.frame]! & ARGS) throw new GiveUp();
    return;
  }
  if (op === o.BPF_JA || op === o.BPF_EXIT || op === o.BPF_JCOND) return;
  if (x && (bt.hasReg(ins.dst) || bt.hasReg(ins.src))) {
    bt.setReg(ins.dst);
    bt.setReg(ins.src);
  }
}

/**
 * An instruction of another frame than the one backtracked: going back over
 * a call into the caller (the callee's r1-r5 were the caller's), or over a
 * return into the callee (the caller's r0 was the callee's).
 */
function crossFrame(ins: Insn, e: HistEntry, bt: Backtrack): void {
  const pseudoCall = ins.code === (o.BPF_JMP | o.BPF_CALL) && ins.src === o.BPF_PSEUDO_CALL;
  if (pseudoCall && e.frame === bt.frame - 1) {
    const callee = bt.frame;
    if (bt.regs[callee]! & ~ARGS || bt.hasSlots(callee)) throw new GiveUp();
    bt.regs[e.frame]! |= bt.regs[callee]! & ARGS;
    bt.regs[callee] = 0;
    bt.frame = e.frame;
    return;
  }
  if (e.cbExit && e.frame === bt.frame + 1) {
    // the caller's registers are those it had at the helper call; the callback returned nothing to them
    bt.frame = e.frame;
    return;
  }
  if (ins.code === (o.BPF_JMP | o.BPF_EXIT) && e.frame === bt.frame + 1) {
    const r0 = bt.hasReg(0);
    if (bt.regs[bt.frame]! & ARGS) throw new GiveUp();
    bt.clearReg(0);
    bt.frame = e.frame;
    if (r0) bt.setReg(0);
    return;
  }
  // the helper call that entered a callback (bpf_loop, for_each_map_elem): its
  // arguments are not the caller's registers, but the caller's own are kept
  const helper = ins.code === (o.BPF_JMP | o.BPF_CALL) && ins.src === 0 && (ins.imm === 181 || ins.imm === 164);
  if (helper && e.frame === bt.frame - 1) {
    if (bt.regs[bt.frame] || bt.hasSlots(bt.frame)) throw new GiveUp();
    bt.frame = e.frame;
    return;
  }
  throw new GiveUp();
}
