import { BpfError } from '../errno.js';
import { Insn } from './instruction.js';
import * as o from './opcodes.js';

/**
 * ISA-level validation, with the checks and the wording of the Linux verifier's
 * first pass: every opcode known, reserved fields zero, registers in range,
 * r10 never written, `lddw` whole, every jump inside the program and never into
 * the second slot of a `lddw`. Policy beyond the ISA (loops, helpers, memory)
 * belongs to the verifier.
 */
export function validate(insns: readonly Insn[]): void {
  if (insns.length === 0) throw new BpfError('EINVAL', 'program has no instructions');
  const tails = lddwTails(insns);
  for (let i = 0; i < insns.length; i++) {
    if (tails[i]) continue;
    const why = checkInsn(insns, i) ?? checkTarget(insns, i, tails);
    if (why) throw new BpfError('EINVAL', `insn ${i}: ${why}`);
  }
}

/** Marks the second slot of every `lddw`; a malformed one is reported by checkInsn. */
function lddwTails(insns: readonly Insn[]): Uint8Array {
  const tails = new Uint8Array(insns.length);
  for (let i = 0; i < insns.length; i++) {
    if (insns[i]!.code === o.LDDW && i + 1 < insns.length) tails[++i] = 1;
  }
  return tails;
}

/** Why the instruction at `i` is malformed, or undefined when it is well formed. */
export function checkInsn(insns: readonly Insn[], i: number): string | undefined {
  const ins = insns[i]!;
  switch (o.cls(ins.code)) {
    case o.BPF_ALU:
    case o.BPF_ALU64:
      return checkAlu(ins);
    case o.BPF_LD:
      return checkLd(insns, i);
    case o.BPF_LDX:
      return checkLdx(ins);
    case o.BPF_ST:
      return checkSt(ins);
    case o.BPF_STX:
      return checkStx(ins);
    default:
      return checkJmp(ins);
  }
}

const unknown = (ins: Insn): string => `unknown opcode ${hex2(ins.code)}`;
const hex2 = (v: number): string => v.toString(16).padStart(2, '0');

function badReg(r: number): string | undefined {
  return r >= o.MAX_BPF_REG ? `R${r} is invalid` : undefined;
}

/** Register checks for an instruction that writes dst (and reads src when `useSrc`). */
function regsWrite(ins: Insn, useSrc: boolean): string | undefined {
  return (
    badReg(ins.dst) ??
    (useSrc ? badReg(ins.src) : undefined) ??
    (ins.dst === o.BPF_REG_FP ? 'frame pointer is read only' : undefined)
  );
}

function regsRead(ins: Insn, useSrc: boolean): string | undefined {
  return badReg(ins.dst) ?? (useSrc ? badReg(ins.src) : undefined);
}

function reserved(what: string, fields: Partial<Record<'dst' | 'src' | 'off' | 'imm', number>>): string | undefined {
  // runs for every instruction the verifier loads: no arrays unless a field is set
  let set: string[] | undefined;
  for (const k in fields) {
    const v = fields[k as keyof typeof fields];
    if (v) (set ??= []).push(`${k}=${v}`);
  }
  return set && `${what} uses reserved fields (${set.join(', ')})`;
}

function checkAlu(ins: Insn): string | undefined {
  const alu64 = o.cls(ins.code) === o.BPF_ALU64;
  const x = o.srcBit(ins.code) === o.BPF_X;
  const op = o.op(ins.code);
  switch (op) {
    case 0xe0:
    case 0xf0:
      return unknown(ins);
    case o.BPF_NEG:
      if (x) return unknown(ins);
      return reserved('BPF_NEG', { src: ins.src, off: ins.off, imm: ins.imm }) ?? regsWrite(ins, false);
    case o.BPF_END:
      if (alu64 && x) return unknown(ins);
      return (
        reserved('BPF_END', { src: ins.src, off: ins.off }) ??
        (ins.imm === 16 || ins.imm === 32 || ins.imm === 64 ? undefined : `BPF_END uses reserved fields (imm=${ins.imm}, must be 16, 32 or 64)`) ??
        regsWrite(ins, false)
      );
    case o.BPF_MOV:
      if (!x) return reserved('BPF_MOV', { src: ins.src, off: ins.off }) ?? regsWrite(ins, false);
      if (alu64 && ins.off === o.BPF_ADDR_SPACE_CAST) {
        if (ins.imm !== 1 && ins.imm !== 1 << 16) return 'addr_space_cast insn can only convert between address space 1 and 0';
        return regsWrite(ins, true);
      }
      if (ins.off !== 0 && ins.off !== 8 && ins.off !== 16 && !(alu64 && ins.off === 32)) {
        return `BPF_MOV uses reserved fields (off=${ins.off}, sign extension width must be 8, 16${alu64 ? ' or 32' : ''})`;
      }
      return reserved('BPF_MOV', { imm: ins.imm }) ?? regsWrite(ins, true);
    default: {
      const offOk = ins.off === 0 || ((op === o.BPF_DIV || op === o.BPF_MOD) && ins.off === 1);
      const name = alu64 ? 'BPF_ALU64' : 'BPF_ALU';
      if (!offOk) return `${name} uses reserved fields (off=${ins.off})`;
      return (x ? reserved(name, { imm: ins.imm }) : reserved(name, { src: ins.src })) ?? regsWrite(ins, x);
    }
  }
}

function checkLd(insns: readonly Insn[], i: number): string | undefined {
  const ins = insns[i]!;
  if (ins.code === o.LDDW) {
    const next = insns[i + 1];
    if (!next) return 'invalid bpf_ld_imm64 insn (no second slot: the program ends)';
    if (next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
      return `invalid bpf_ld_imm64 insn (second slot must be code 0, dst 0, src 0, off 0; has code ${hex2(next.code)}, dst ${next.dst}, src ${next.src}, off ${next.off})`;
    }
    if (ins.src > o.BPF_PSEUDO_MAP_IDX_VALUE) return `unrecognized bpf_ld_imm64 insn (src=${ins.src})`;
    return reserved('BPF_LD_IMM64', { off: ins.off }) ?? regsWrite(ins, false);
  }
  const mode = o.mode(ins.code);
  if ((mode !== o.BPF_ABS && mode !== o.BPF_IND) || o.size(ins.code) === o.BPF_DW) return unknown(ins);
  return (
    reserved('BPF_LD_[ABS|IND]', { dst: ins.dst, off: ins.off, ...(mode === o.BPF_ABS ? { src: ins.src } : {}) }) ??
    badReg(ins.src)
  );
}

function checkLdx(ins: Insn): string | undefined {
  const mode = o.mode(ins.code);
  if (mode !== o.BPF_MEM && !(mode === o.BPF_MEMSX && o.size(ins.code) !== o.BPF_DW)) return unknown(ins);
  return reserved('BPF_LDX', { imm: ins.imm }) ?? regsWrite(ins, true);
}

function checkSt(ins: Insn): string | undefined {
  if (o.mode(ins.code) !== o.BPF_MEM) return unknown(ins);
  return reserved('BPF_ST', { src: ins.src }) ?? regsRead(ins, false);
}

const ATOMIC_OPS = new Set([
  o.BPF_ADD, o.BPF_OR, o.BPF_AND, o.BPF_XOR,
  o.BPF_ADD | o.BPF_FETCH, o.BPF_OR | o.BPF_FETCH, o.BPF_AND | o.BPF_FETCH, o.BPF_XOR | o.BPF_FETCH,
  o.BPF_XCHG, o.BPF_CMPXCHG,
]);

function checkStx(ins: Insn): string | undefined {
  const mode = o.mode(ins.code);
  if (mode === o.BPF_MEM) return reserved('BPF_STX', { imm: ins.imm }) ?? regsRead(ins, true);
  if (mode !== o.BPF_ATOMIC) return unknown(ins);
  const wide = o.size(ins.code) === o.BPF_W || o.size(ins.code) === o.BPF_DW;
  if (ins.imm === o.BPF_LOAD_ACQ) {
    return regsWrite(ins, true);
  }
  if (ins.imm === o.BPF_STORE_REL) return regsRead(ins, true);
  if (!wide) return `BPF_ATOMIC uses invalid size (only u32 and u64 atomics; imm=${hexImm(ins.imm)})`;
  if (!ATOMIC_OPS.has(ins.imm)) return `BPF_ATOMIC uses invalid atomic opcode ${hexImm(ins.imm)}`;
  const err = regsRead(ins, true);
  if (err) return err;
  // The fetch forms write the old value into src.
  if ((ins.imm & o.BPF_FETCH) && ins.imm !== o.BPF_CMPXCHG && ins.src === o.BPF_REG_FP) return 'frame pointer is read only';
  return undefined;
}

const hexImm = (v: number): string => `0x${(v >>> 0).toString(16)}`;

function checkJmp(ins: Insn): string | undefined {
  const jmp32 = o.cls(ins.code) === o.BPF_JMP32;
  const x = o.srcBit(ins.code) === o.BPF_X;
  switch (o.op(ins.code)) {
    case o.BPF_JA:
      if (x) return unknown(ins);
      return jmp32
        ? reserved('BPF_JA', { dst: ins.dst, src: ins.src, off: ins.off })
        : reserved('BPF_JA', { dst: ins.dst, src: ins.src, imm: ins.imm });
    case o.BPF_CALL:
      if (jmp32) return unknown(ins);
      if (x) return reserved('BPF_CALLX', { src: ins.src, off: ins.off, imm: ins.imm }) ?? badReg(ins.dst);
      if (ins.src > o.BPF_PSEUDO_KFUNC_CALL) return `BPF_CALL uses reserved fields (src=${ins.src})`;
      // Linux lets a kfunc call pick a module's BTF through off.
      return reserved('BPF_CALL', { dst: ins.dst, ...(ins.src === o.BPF_PSEUDO_KFUNC_CALL ? {} : { off: ins.off }) });
    case o.BPF_EXIT:
      if (jmp32 || x) return unknown(ins);
      return reserved('BPF_EXIT', { dst: ins.dst, src: ins.src, off: ins.off, imm: ins.imm });
    case o.BPF_JCOND:
      if (jmp32 || x) return unknown(ins);
      if (ins.src !== o.BPF_MAY_GOTO) return `unknown conditional jump src=${ins.src}`;
      return reserved('may_goto', { dst: ins.dst, imm: ins.imm });
    case 0xf0:
      return unknown(ins);
    default:
      return (x ? reserved('BPF_JMP/JMP32', { imm: ins.imm }) : reserved('BPF_JMP/JMP32', { src: ins.src })) ?? regsRead(ins, x);
  }
}

/**
 * The slot a control transfer at `i` goes to, or undefined for instructions
 * that do not transfer control (exit and helper calls included).
 */
export function jumpTarget(ins: Insn, i: number): number | undefined {
  const c = o.cls(ins.code);
  if (c === o.BPF_LD) {
    return ins.code === o.LDDW && ins.src === o.BPF_PSEUDO_FUNC ? i + 1 + ins.imm : undefined;
  }
  if (c !== o.BPF_JMP && c !== o.BPF_JMP32) return undefined;
  const op = o.op(ins.code);
  if (op === o.BPF_EXIT) return undefined;
  if (op === o.BPF_CALL) return ins.src === o.BPF_PSEUDO_CALL && c === o.BPF_JMP && o.srcBit(ins.code) === 0 ? i + 1 + ins.imm : undefined;
  if (op === o.BPF_JA && c === o.BPF_JMP32) return i + 1 + ins.imm;
  return i + 1 + ins.off;
}

function checkTarget(insns: readonly Insn[], i: number, tails: Uint8Array): string | undefined {
  const t = jumpTarget(insns[i]!, i);
  if (t === undefined) return undefined;
  if (t < 0 || t >= insns.length) return `jump out of range from insn ${i} to ${t}`;
  if (tails[t]) return `jump into the middle of ldimm64 insn ${t - 1} (from insn ${i} to ${t})`;
  return undefined;
}
