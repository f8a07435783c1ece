import { BpfError, ErrnoName } from '../errno.js';
import type { HelperRegistry } from '../helpers/registry.js';
import type { Insn } from '../isa/instruction.js';
import type { ProgramType } from '../progtypes/progtype.js';
import type { Log, Scratch } from './log.js';
import type { Reg, VerifierMap } from './reg.js';
import type { FuncState, VerifierState } from './state.js';
import type { Loc } from './precision.js';
import type { CtxBtf } from './btf-access.js';

/**
 * What every check needs from the verifier run: the program, the options,
 * the current state and instruction, the log, and fresh ids. Implemented by
 * the Verifier of explore.ts; the checks (alu.ts, memory.ts, …) see only this.
 */
export interface Ctx {
  readonly insns: readonly Insn[];
  readonly progType: ProgramType | undefined;
  readonly helpers: HelperRegistry;
  /** privileged: what root gets (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN) */
  readonly priv: boolean;
  readonly log: Log;
  /** the state of the path being explored */
  state: VerifierState;
  /** the instruction being checked */
  insnIdx: number;
  /** registers and stack slots touched by this instruction, for the log */
  readonly scratch: Scratch;
  newId(): number;
  /**
   * The current instruction's immediate as a constant scalar: made once per
   * instruction and shared by every path through it, so callers only read it.
   */
  immOperand(): Reg;
  /** the map a `lddw` with this src (1, 2, 5, 6) and imm names */
  resolveMap(src: number, imm: number): VerifierMap | undefined;
  /** function starts (sorted; the main program is 0) */
  readonly subprogStarts: readonly number[];
  /** record the stack depth a function reached */
  noteStackDepth(frame: FuncState, depth: number): void;
  /** queue a state to explore from instruction `insn` (a branch, a callback) */
  /** queue another path; `again`: it runs the current instruction again (its history does not hold it yet) */
  push(state: VerifierState, insn: number, again?: boolean): void;
  /** the exact values of these registers / spilled slots decide a verdict (precision.ts) */
  markPrecise(locs: Loc[]): void;
  /** the instruction being checked loads or stores this stack slot at a constant offset */
  noteStack(frame: number, spi: number): void;
  /** the conditional jump being checked narrows these linked scalars together */
  noteLinked(locs: Loc[]): void;
  /** a stack slot is read: states explored earlier on this path must keep it when pruning */
  noteStackRead(frame: number, spi: number): void;
  /** a whole stack slot is overwritten: a later read does not see what was there before */
  noteStackWrite(frame: number, spi: number): void;
  /** the registers that may be read before being written, from instruction `insn` on (liveness.ts) */
  liveRegs(insn: number): number;
  /** the program's license is GPL-compatible */
  readonly gpl: boolean;
  /** the BTF that describes the context (tracing with types), when given */
  readonly ctxBtf: CtxBtf | undefined;
  /** the instruction being checked loads through a BTF pointer: it must run as a probe read */
  noteProbeLoad(): void;
  /** the helper call being checked is given `map` (record_func_map's map_ptr_state) */
  noteCallMap(map: VerifierMap): void;
}

/** Make register `regno` of the current frame precise (when it holds a scalar). */
export function preciseReg(ctx: Ctx, regno: number): void {
  const f = ctx.state.frames.length - 1;
  if (ctx.state.frames[f]!.regs[regno]!.type === 'scalar') ctx.markPrecise([{ frame: f, regno }]);
}

/** A rejection: the kernel's message and errno, and what would make the program safe. */
export class VerifierError extends BpfError {
  /** the instruction the error is about, when it is not the one being checked (static checks) */
  at?: number;
  /** log lines Linux prints after the message */
  readonly after: string[];

  constructor(
    errno: ErrnoName,
    message: string,
    readonly hint?: string,
    /** log lines Linux prints before the message */
    readonly before: string[] = [],
    extra: { after?: string[]; at?: number } = {},
  ) {
    super(errno, message);
    this.name = 'VerifierError';
    this.after = extra.after ?? [];
    this.at = extra.at;
  }
}

export function reject(errno: ErrnoName, message: string, hint?: string): never {
  throw new VerifierError(errno, message, hint);
}

/** A rejection Linux reports in two lines (e.g. the access, then "R1 max value is outside ..."). */
export function reject2(errno: ErrnoName, first: string, message: string, hint?: string): never {
  throw new VerifierError(errno, message, hint, [first]);
}

export const regs = (ctx: Ctx): Reg[] => {
  const f = ctx.state.frames[ctx.state.frames.length - 1]!;
  return f.regs;
};

export const frame = (ctx: Ctx): FuncState => ctx.state.frames[ctx.state.frames.length - 1]!;

/** The frame a stack pointer points into. */
export const frameOf = (ctx: Ctx, r: Reg): FuncState => ctx.state.frames[r.frameno]!;

export function scratchReg(ctx: Ctx, regno: number): void {
  ctx.scratch.regs |= 1 << regno;
}
