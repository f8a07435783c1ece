import { TRACING_HELPERS } from './helper-lists.js';
import { ANY_RETVAL, ProgramType, f } from './progtype.js';
import { PT_REGS, PT_REGS_SIZE } from './pt-regs.js';
import { ctxTestRun } from './tracing.js';

/**
 * BPF_PROG_TYPE_KPROBE (2): a program on a probe (kprobe, uprobe, and their
 * return probes). Its context is the probed task's registers, an x86-64
 * `struct pt_regs`; kprobe_prog_is_valid_access: reads only, of any size
 * aligned to it, anywhere in the struct. Arguments are PT_REGS_PARM1..6 =
 * rdi, rsi, rdx, rcx, r8, r9; the return value (a return probe) is rax.
 *
 * Test run: Linux has none for kprobes (ENOTSUPP); tsbpf runs the program on
 * recorded registers given as ctx (a pt_regs, see ptRegs(); shorter input is
 * zero-extended).
 */
export const kprobe: ProgramType = {
  type: 2,
  name: 'kprobe',
  ctxType: 'struct pt_regs',
  ctxSize: PT_REGS_SIZE,
  fields: PT_REGS.map((r, i) => f(r, 8 * i, 8, [1, 2, 4, 8])),
  helpers: TRACING_HELPERS,
  retval: ANY_RETVAL,
  testRun: ctxTestRun({ name: 'kprobe', ctxType: 'struct pt_regs', max: PT_REGS_SIZE, fixed: true }),
};
