import { helperName } from '../helpers/linux.js';
import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';

/**
 * One instruction as Linux's verifier log prints it (kernel/bpf/disasm.c
 * syntax): `(b7) r0 = 0`, `(61) r3 = *(u32 *)(r1 +0)`, `(15) if r0 == 0x0
 * goto pc+1`, `(85) call bpf_map_lookup_elem#1`. This differs in small ways
 * from the llvm-objdump syntax of isa/disasm.ts (offsets `+0` without a
 * space, jump targets `pc+1`, helper names), and the log must read like the
 * kernel's.
 */

/** Linux's bpf_alu_string: the operator of each ALU op, as messages name it. */
export const ALU_STR = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];
const JMP = ['jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<='];
const SIZE: Record<number, string> = { [o.BPF_W]: 'u32', [o.BPF_H]: 'u16', [o.BPF_B]: 'u8', [o.BPF_DW]: 'u64' };
const SSIZE: Record<number, string> = { [o.BPF_W]: 's32', [o.BPF_H]: 's16', [o.BPF_B]: 's8', [o.BPF_DW]: 's64' };

const hex2 = (c: number): string => c.toString(16).padStart(2, '0');
/** `%+d` */
const sgn = (n: number): string => (n < 0 ? `${n}` : `+${n}`);

/** How `lddw` operands that name objects are shown; the map's index or id, never an address. */
export interface LddwNames {
  map?(src: number, imm: number): string | undefined;
}

export function formatInsnLog(insns: readonly Insn[], i: number, names: LddwNames = {}): string {
  const ins = insns[i]!;
  return `(${hex2(ins.code)}) ${body(insns, i, names)}`;
}

function body(insns: readonly Insn[], i: number, names: LddwNames): string {
  const ins = insns[i]!;
  switch (o.cls(ins.code)) {
    case o.BPF_ALU:
    case o.BPF_ALU64:
      return alu(ins);
    case o.BPF_STX:
      return stx(ins);
    case o.BPF_ST:
      return o.mode(ins.code) === o.BPF_MEM ? `*(${SIZE[o.size(ins.code)]} *)(r${ins.dst} ${sgn(ins.off)}) = ${ins.imm}` : `BUG_st_${hex2(ins.code)}`;
    case o.BPF_LDX: {
      const sx = o.mode(ins.code) === o.BPF_MEMSX;
      return `r${ins.dst} = *(${(sx ? SSIZE : SIZE)[o.size(ins.code)]} *)(r${ins.src} ${sgn(ins.off)})`;
    }
    case o.BPF_LD:
      return ld(insns, i, names);
    default:
      return jmp(ins);
  }
}

function alu(ins: Insn): string {
  const r = o.cls(ins.code) === o.BPF_ALU64 ? 'r' : 'w';
  const op = o.op(ins.code);
  const x = o.srcBit(ins.code) === o.BPF_X;
  if (op === o.BPF_END) {
    if (o.cls(ins.code) === o.BPF_ALU64) return `r${ins.dst} = bswap${ins.imm} r${ins.dst}`;
    return `r${ins.dst} = ${x ? 'be' : 'le'}${ins.imm} r${ins.dst}`;
  }
  if (op === o.BPF_NEG) return `${r}${ins.dst} = -${r}${ins.dst}`;
  if (op === o.BPF_MOV && x && ins.off !== 0 && ins.off !== o.BPF_ADDR_SPACE_CAST) return `${r}${ins.dst} = (s${ins.off})${r}${ins.src}`;
  let sym = ALU_STR[op >> 4] ?? '?';
  if ((op === o.BPF_DIV || op === o.BPF_MOD) && ins.off === 1) sym = `s${sym}`;
  return x ? `${r}${ins.dst} ${sym} ${r}${ins.src}` : `${r}${ins.dst} ${sym} ${ins.imm}`;
}

function stx(ins: Insn): string {
  const t = SIZE[o.size(ins.code)];
  const at = `r${ins.dst} ${sgn(ins.off)}`;
  if (o.mode(ins.code) === o.BPF_MEM) return `*(${t} *)(${at}) = r${ins.src}`;
  const w = o.size(ins.code) === o.BPF_DW ? '64' : '';
  switch (ins.imm) {
    case o.BPF_ADD:
    case o.BPF_OR:
    case o.BPF_AND:
    case o.BPF_XOR:
      return `lock *(${t} *)(${at}) ${ALU_STR[ins.imm >> 4]} r${ins.src}`;
    case o.BPF_ADD | o.BPF_FETCH:
    case o.BPF_OR | o.BPF_FETCH:
    case o.BPF_AND | o.BPF_FETCH:
    case o.BPF_XOR | o.BPF_FETCH: {
      const name = ['add', '', '', '', 'or', 'and', '', '', '', '', 'xor'][ins.imm >> 4];
      return `r${ins.src} = atomic${w}_fetch_${name}((${t} *)(${at}), r${ins.src})`;
    }
    case o.BPF_XCHG:
      return `r${ins.src} = atomic${w}_xchg((${t} *)(${at}), r${ins.src})`;
    case o.BPF_CMPXCHG:
      return `r0 = atomic${w}_cmpxchg((${t} *)(${at}), r0, r${ins.src})`;
    case o.BPF_LOAD_ACQ:
      return `r${ins.dst} = load_acquire((${t} *)(r${ins.src} ${sgn(ins.off)}))`;
    case o.BPF_STORE_REL:
      return `store_release((${t} *)(${at}), r${ins.src})`;
    default:
      return `BUG_${hex2(ins.imm)}`;
  }
}

function ld(insns: readonly Insn[], i: number, names: LddwNames): string {
  const ins = insns[i]!;
  const t = SIZE[o.size(ins.code)];
  if (o.mode(ins.code) === o.BPF_ABS) return `r0 = *(${t} *)skb[${ins.imm}]`;
  if (o.mode(ins.code) === o.BPF_IND) return `r0 = *(${t} *)skb[r${ins.src} + ${ins.imm}]`;
  const next = insns[i + 1]?.imm ?? 0;
  const named = names.map?.(ins.src, ins.imm);
  switch (ins.src) {
    case o.BPF_PSEUDO_MAP_FD:
    case o.BPF_PSEUDO_MAP_IDX:
      return `r${ins.dst} = ${named ?? `map[${ins.src === o.BPF_PSEUDO_MAP_IDX ? 'idx' : 'id'}:${ins.imm}]`}`;
    case o.BPF_PSEUDO_MAP_VALUE:
    case o.BPF_PSEUDO_MAP_IDX_VALUE:
      return `r${ins.dst} = ${named ?? `map[${ins.src === o.BPF_PSEUDO_MAP_IDX_VALUE ? 'idx' : 'id'}:${ins.imm}]`}[0]+${next}`;
    case o.BPF_PSEUDO_FUNC:
      return `r${ins.dst} = func#${i + 1 + ins.imm}`;
    default: {
      const v = (BigInt(next >>> 0) << 32n) | BigInt(ins.imm >>> 0);
      return `r${ins.dst} = 0x${v.toString(16)}`;
    }
  }
}

function jmp(ins: Insn): string {
  const op = o.op(ins.code);
  const j32 = o.cls(ins.code) === o.BPF_JMP32;
  const r = j32 ? 'w' : 'r';
  switch (op) {
    case o.BPF_CALL:
      if (o.srcBit(ins.code) === o.BPF_X) return `callx r${ins.dst}`;
      if (ins.src === o.BPF_PSEUDO_CALL) return `call pc${sgn(ins.imm)}`;
      if (ins.src === o.BPF_PSEUDO_KFUNC_CALL) return `call kernel-function`;
      return `call ${helperName(ins.imm) ? `bpf_${helperName(ins.imm)}` : 'unknown'}#${ins.imm}`;
    case o.BPF_EXIT:
      return 'exit';
    case o.BPF_JA:
      return j32 ? `gotol pc${sgn(ins.imm)}` : `goto pc${sgn(ins.off)}`;
    case o.BPF_JCOND:
      return `may_goto pc${sgn(ins.off)}`;
    default: {
      const rhs = o.srcBit(ins.code) === o.BPF_X ? `${r}${ins.src}` : `0x${(ins.imm >>> 0).toString(16)}`;
      return `if ${r}${ins.dst} ${JMP[op >> 4]} ${rhs} goto pc${sgn(ins.off)}`;
    }
  }
}
