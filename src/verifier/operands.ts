import { Ctx, regs, reject, scratchReg } from './context.js';
import { Reg, isPointer, setUnknown } from './reg.js';

/**
 * Register operands (Linux's check_reg_arg): a register read must have been
 * written on every path to here ("R2 !read_ok"); r10, the frame pointer, is
 * never written.
 */

export function readReg(ctx: Ctx, regno: number): Reg {
  if (regno > 10) reject('EINVAL', `R${regno} is invalid`);
  const r = regs(ctx)[regno]!;
  scratchReg(ctx, regno);
  if (r.type === 'not_init') {
    reject('EACCES', `R${regno} !read_ok`, `give R${regno} a value on every path that reaches this instruction`);
  }
  return r;
}

/** Check that `regno` may be written; with `mark`, make it an unknown scalar (the caller fills it in). */
export function writeReg(ctx: Ctx, regno: number, mark = false): Reg {
  if (regno > 10) reject('EINVAL', `R${regno} is invalid`);
  if (regno === 10) reject('EACCES', 'frame pointer is read only', 'copy r10 into another register and change that one');
  const r = regs(ctx)[regno]!;
  scratchReg(ctx, regno);
  if (mark) setUnknown(r);
  return r;
}

/**
 * Whether a value may not be shown to the program as a number: a pointer,
 * when the loader is not privileged (Linux's is_pointer_value with
 * allow_ptr_leaks off).
 */
export function leaksPointer(ctx: Ctx, r: Reg): boolean {
  return !ctx.priv && isPointer(r);
}
