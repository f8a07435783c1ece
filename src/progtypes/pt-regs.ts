import { BpfError } from '../errno.js';

/**
 * `struct pt_regs` of x86-64 (asm/ptrace.h): the registers a kprobe or a
 * perf event sees, 21 unsigned longs in this order.
 */
export const PT_REGS = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
  'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss',
] as const;

export type PtReg = (typeof PT_REGS)[number];

/** sizeof(struct pt_regs) */
export const PT_REGS_SIZE = 8 * PT_REGS.length;

/** The offset of a register in struct pt_regs. */
export const ptRegOffset = (reg: PtReg): number => 8 * PT_REGS.indexOf(reg);

/**
 * The registers of libbpf's PT_REGS_* macros for x86-64 (bpf_tracing.h):
 * the System V calling convention's arguments, return value, stack, frame
 * and instruction pointers.
 */
export const PT_REGS_ALIAS: Readonly<Record<string, PtReg>> = {
  parm1: 'rdi', parm2: 'rsi', parm3: 'rdx', parm4: 'rcx', parm5: 'r8', parm6: 'r9',
  fp: 'rbp', rc: 'rax', sp: 'rsp', ip: 'rip',
  // the kernel's own names (arch/x86/include/asm/ptrace.h)
  bp: 'rbp', bx: 'rbx', ax: 'rax', cx: 'rcx', dx: 'rdx', si: 'rsi', di: 'rdi', orig_ax: 'orig_rax', flags: 'eflags',
};

/**
 * A struct pt_regs from recorded register values, by UAPI name (`rdi`),
 * kernel name (`di`) or PT_REGS_* name (`parm1`); registers not given are 0.
 */
export function ptRegs(values: Readonly<Record<string, bigint | number>>): Uint8Array {
  const out = new Uint8Array(PT_REGS_SIZE);
  const dv = new DataView(out.buffer);
  for (const [name, v] of Object.entries(values)) {
    const reg = (PT_REGS as readonly string[]).includes(name) ? (name as PtReg) : PT_REGS_ALIAS[name.toLowerCase()];
    if (!reg) throw new BpfError('EINVAL', `pt_regs has no register '${name}' (x86-64: ${PT_REGS.join(', ')}, or parm1..parm6, rc, sp, fp, ip)`);
    dv.setBigUint64(ptRegOffset(reg), BigInt.asUintN(64, BigInt(v)), true);
  }
  return out;
}
