import { Reg, cloneReg, notInit, pointer, setNotInit } from './reg.js';

/**
 * The abstract machine state on one path: a stack of call frames (each with
 * its registers and stack slots) and the references acquired and not yet
 * released. Branches copy it (cloneState); pruning compares copies of it
 * (prune.ts).
 */

/** What one byte of a stack slot holds, as Linux's STACK_* (the numbers index SLOT_CHAR). */
export const enum Slot {
  INVALID = 0,
  SPILL = 1,
  MISC = 2,
  ZERO = 3,
}

/** The letters Linux's log prints for each kind of byte: fp-8=mmmm0000. */
export const SLOT_CHAR = ['?', 'r', 'm', '0'];

export const REG_SIZE = 8;
export const MAX_BPF_STACK = 512;
export const MAX_CALL_FRAMES = 8;

/**
 * Eight bytes of stack, fp-8*(i+1) .. fp-8*i-1. `types[j]` is the byte at
 * fp - 8*i - 1 - j (Linux's order: j = 0 is the highest address). A spilled
 * register's state is in `spilled` when the bytes are SPILL.
 */
export interface StackSlot {
  types: Slot[];
  spilled: Reg;
}

export interface FuncState {
  regs: Reg[];
  stack: StackSlot[];
  frameno: number;
  /** the instruction after the call that made this frame (-1 for the main frame) */
  callsite: number;
  /** first instruction of the function running in this frame */
  subprog: number;
  /** a callback of bpf_loop / for_each_map_elem: R0 must lie in callbackRet at its exit */
  inCallback: boolean;
  callbackRet?: readonly [bigint, bigint];
  /** the deepest byte of this frame written or read: the frame's stack depth */
  depth: number;
  /** callbacks of the helper call at `callsite` simulated so far on this path (Linux's callback_depth) */
  callbackDepth: number;
}

export interface RefState {
  id: number;
  insn: number;
}

export interface VerifierState {
  frames: FuncState[];
  refs: RefState[];
  /** may_goto iterations taken on this path (Linux's may_goto_depth) */
  mayGotoDepth: number;
  /** callback runs started on this path (Linux's callback_unroll_depth): an iteration is not an endless loop */
  cbUnrollDepth: number;
}

export function newSlot(): StackSlot {
  return { types: [Slot.INVALID, Slot.INVALID, Slot.INVALID, Slot.INVALID, Slot.INVALID, Slot.INVALID, Slot.INVALID, Slot.INVALID], spilled: notInit() };
}

export function newFrame(frameno: number, callsite: number, subprog: number): FuncState {
  // (a loop, not Array.from({ length: 11 }, ...): that takes V8's generic
  // array-like path, through the runtime for every element, at every verify())
  const regs: Reg[] = [];
  for (let r = 0; r < 10; r++) regs.push(notInit());
  regs.push(pointer('stack', { frameno }));
  return { regs, stack: [], frameno, callsite, subprog, inCallback: false, depth: 0, callbackDepth: 0, callbackRet: undefined };
}

/** Field by field, in newFrame's order: one shape for every frame, and no spread (states are copied at every branch). */
export function cloneFrame(f: FuncState): FuncState {
  return {
    regs: f.regs.map(cloneReg),
    stack: f.stack.map((s) => ({ types: s.types.slice(), spilled: cloneReg(s.spilled) })),
    frameno: f.frameno,
    callsite: f.callsite,
    subprog: f.subprog,
    inCallback: f.inCallback,
    depth: f.depth,
    callbackDepth: f.callbackDepth,
    callbackRet: f.callbackRet,
  };
}

export function cloneState(s: VerifierState): VerifierState {
  return { frames: s.frames.map(cloneFrame), refs: s.refs.map((r) => ({ id: r.id, insn: r.insn })), mayGotoDepth: s.mayGotoDepth, cbUnrollDepth: s.cbUnrollDepth };
}

export const curFrame = (s: VerifierState): FuncState => s.frames[s.frames.length - 1]!;
export const curRegs = (s: VerifierState): Reg[] => curFrame(s).regs;

/** The slot of stack index `spi`, allocating up to it. */
export function slotAt(f: FuncState, spi: number): StackSlot {
  while (f.stack.length <= spi) f.stack.push(newSlot());
  return f.stack[spi]!;
}

/** Every register of every frame (and every spilled register), for marking by id. */
export function* allRegs(s: VerifierState): Generator<Reg> {
  for (const f of s.frames) {
    yield* f.regs;
    for (const slot of f.stack) if (slot.types[REG_SIZE - 1] === Slot.SPILL) yield slot.spilled;
  }
}

/** Forget a register: what happens to r1-r5 after a call. */
export function clobber(r: Reg): void {
  setNotInit(r);
}
