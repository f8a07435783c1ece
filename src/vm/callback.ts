import { BpfError } from '../errno.js';
import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';

/**
 * What both engines share to run a callback: a helper such as bpf_loop
 * calling back into the program (HelperEnv.callback).
 *
 * A function pointer (`lddw rX, func`, src_reg BPF_PSEUDO_FUNC) holds the
 * slot where the function starts (decode-ops.ts); Linux puts a kernel
 * address there, which programs can only pass on. A callback runs as a new
 * frame on the stack of frames: its own STACK_SIZE bytes below the caller's,
 * counted against MAX_CALL_FRAMES, and charged to the run's instruction
 * budget. It starts with r1–r5 = the helper's arguments, r10 = its frame and
 * r0, r6–r9 = 0 (Linux leaves them uninitialized, so no verified program
 * reads them); the caller's registers are as they were when the helper
 * returns.
 */

/** The slots `lddw rX, func` instructions point at, ascending: the functions a program can pass to a helper. */
export function callbackTargets(insns: readonly Insn[]): number[] {
  const targets = new Set<number>();
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i]!;
    if (ins.code !== o.LDDW) continue;
    if (ins.src === o.BPF_PSEUDO_FUNC) targets.add(i + 1 + ins.imm);
    i++;
  }
  return [...targets].sort((a, b) => a - b);
}

/**
 * The index in `targets` of the function pointer `fn`. An unverified program
 * may pass any number: one that no `lddw rX, func` loaded faults at the
 * helper call (the verifier's "R2 type=scalar expected=func").
 */
export function callbackIndex(targets: readonly number[], fn: bigint, pc: number): number {
  const k = fn < 0x80000000n ? targets.indexOf(Number(fn)) : -1;
  if (k < 0) throw new BpfError('EINVAL', `pc ${pc}: callback 0x${fn.toString(16)} is not a function of this program (pass one loaded with lddw rX, func)`);
  return k;
}

export function tooDeep(pc: number, frames: number, limit: number): BpfError {
  return new BpfError('E2BIG', `pc ${pc}: the call stack of ${frames} frames is too deep (at most ${limit})`);
}

export function outOfBudget(pc: number, budget: number): BpfError {
  return new BpfError('E2BIG', `pc ${pc}: instruction budget of ${budget} exhausted (runaway program?)`);
}
