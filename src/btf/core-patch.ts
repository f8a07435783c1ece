import { BpfError } from '../errno.js';
import { Insn, isLddw } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';

/**
 * Writing a CO-RE result into the instruction that uses it, with libbpf's
 * rules (bpf_core_patch_insn):
 *
 * - ALU/ALU64 with an immediate: `imm` becomes the value;
 * - LDX/ST/STX: `off` becomes the value (a field offset), and when the
 *   field changed size the access width follows, if that is safe;
 * - `lddw` with a plain constant: the 64-bit constant becomes the value.
 *
 * Before patching, the instruction must hold what the relocation computes
 * against the program's own BTF (unless that value is ambiguous), so a
 * relocation record pointing at the wrong instruction is caught.
 *
 * An instruction whose relocation cannot be resolved is poisoned: replaced
 * by a call to helper 0xbad2310 ("bad relo"), which fails only if reached.
 */
export const CORE_POISON_HELPER_ID = 0xbad2310; // 195896080

/** What a relocation resolved to, as the patcher needs it. */
export interface PatchPlan {
  /** why the instruction is poisoned, when it is */
  poison?: string;
  /** the value computed against the local BTF, expected in the instruction */
  localValue: bigint;
  value: bigint;
  validate: boolean;
  /** byte sizes of the field a load/store accesses, locally and in the target (0: not a field offset) */
  localMemSize: number;
  memSize: number;
  /** the field changed size and is not an unsigned int or a pointer: a load/store of it must not be resized */
  unsafeResize: boolean;
}

export function isPoisoned(ins: Insn): boolean {
  return ins.code === (o.BPF_JMP | o.BPF_CALL) && ins.src === 0 && ins.imm === CORE_POISON_HELPER_ID;
}

function poisonSlot(insns: Insn[], at: number): void {
  insns[at] = { code: o.BPF_JMP | o.BPF_CALL, dst: 0, src: 0, off: 0, imm: CORE_POISON_HELPER_ID };
}

/** Poison `at`; a `lddw` loses both slots, so no half instruction is left behind. */
export function poison(insns: Insn[], at: number): void {
  if (isLddw(insns[at]!) && at + 1 < insns.length) poisonSlot(insns, at + 1);
  poisonSlot(insns, at);
}

/**
 * Patch `insns[at]` in place. Returns the poison reason when the
 * instruction ends up poisoned; throws EINVAL/ERANGE when it cannot be patched.
 */
export function patchInsn(insns: Insn[], at: number, plan: PatchPlan): string | undefined {
  const ins = insns[at];
  if (!ins) throw new BpfError('EINVAL', `the relocated instruction is outside the program (${insns.length} instructions)`);
  if (plan.poison !== undefined) {
    poison(insns, at);
    return plan.poison;
  }
  switch (o.cls(ins.code)) {
    case o.BPF_ALU: case o.BPF_ALU64:
      patchImm(ins, plan);
      return undefined;
    case o.BPF_LDX: case o.BPF_ST: case o.BPF_STX:
      return patchMemory(insns, at, plan);
    case o.BPF_LD:
      patchLddw(insns, at, plan);
      return undefined;
    default:
      throw new BpfError('EINVAL', `instruction (code 0x${ins.code.toString(16)}) is not one a CO-RE relocation can patch`);
  }
}

/** The instruction's field read as libbpf compares it: sign-extended to 64 bits. */
const asU64 = (n: number): bigint => BigInt.asUintN(64, BigInt(n));

function checkHolds(what: string, got: bigint, plan: PatchPlan): void {
  if (plan.validate && got !== plan.localValue) {
    throw new BpfError('EINVAL', `${what} is ${BigInt.asIntN(64, got)}, expected ${plan.localValue} (the value for the program's own types) before relocating to ${plan.value}`);
  }
}

function patchImm(ins: Insn, plan: PatchPlan): void {
  if (o.srcBit(ins.code) !== o.BPF_K) throw new BpfError('EINVAL', 'ALU instruction takes a register, not an immediate to relocate');
  checkHolds('ALU immediate', asU64(ins.imm), plan);
  ins.imm = Number(BigInt.asIntN(32, plan.value));
}

const MEM_SIZES: Readonly<Record<number, number>> = { 1: o.BPF_B, 2: o.BPF_H, 4: o.BPF_W, 8: o.BPF_DW };

function patchMemory(insns: Insn[], at: number, plan: PatchPlan): string | undefined {
  const ins = insns[at]!;
  checkHolds('load/store offset', asU64(ins.off), plan);
  if (plan.value > 0x7fffn) throw new BpfError('ERANGE', `offset ${plan.value} does not fit the instruction's 16-bit offset`);
  if (plan.unsafeResize) {
    const why = `the field is ${plan.memSize} bytes in the target, ${plan.localMemSize} in the program, and is not an unsigned integer or a pointer: a resized load would read a wrong value`;
    poison(insns, at);
    return why;
  }
  ins.off = Number(plan.value);
  if (plan.memSize !== plan.localMemSize) resizeAccess(ins, plan);
  return undefined;
}

/** Make a load/store of a resized field move the target's number of bytes. */
function resizeAccess(ins: Insn, plan: PatchPlan): void {
  const width = o.sizeBytes(ins.code);
  if (width !== plan.localMemSize) throw new BpfError('EINVAL', `the instruction moves ${width} bytes, but the field is ${plan.localMemSize}`);
  const size = MEM_SIZES[plan.memSize];
  if (size === undefined) throw new BpfError('EINVAL', `the field is ${plan.memSize} bytes in the target: no load/store has that width`);
  ins.code = o.mode(ins.code) | size | o.cls(ins.code);
}

function patchLddw(insns: Insn[], at: number, plan: PatchPlan): void {
  const lo = insns[at]!;
  const hi = insns[at + 1];
  const plainConstant = isLddw(lo) && lo.src === 0 && lo.off === 0 && hi !== undefined && hi.code === 0 && hi.dst === 0 && hi.src === 0 && hi.off === 0;
  if (!plainConstant) throw new BpfError('EINVAL', 'only a lddw of a plain 64-bit constant can be relocated');
  checkHolds('lddw constant', (BigInt(hi.imm >>> 0) << 32n) | BigInt(lo.imm >>> 0), plan);
  lo.imm = Number(BigInt.asIntN(32, plan.value));
  hi.imm = Number(BigInt.asIntN(32, plan.value >> 32n));
}
