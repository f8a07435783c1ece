/**
 * Opcode fields of the eBPF instruction set, with the values of Linux UAPI
 * (`linux/bpf.h`, `linux/bpf_common.h`) and RFC 9669.
 */

// Instruction classes (opcode & 0x07).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

// Load/store size (opcode & 0x18).
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

// Load/store mode (opcode & 0xe0).
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;

// Operand source (opcode & 0x08).
export const BPF_K = 0x00;
export const BPF_X = 0x08;

// ALU operations (opcode & 0xf0).
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;

// Byte-swap direction for BPF_END in the ALU class (the source bit).
export const BPF_TO_LE = 0x00;
export const BPF_TO_BE = 0x08;

// Jump operations (opcode & 0xf0).
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;
/** Linux's conditional pseudo-jump; `src_reg == BPF_MAY_GOTO` is `may_goto`. */
export const BPF_JCOND = 0xe0;
export const BPF_MAY_GOTO = 0;

// Atomic operations (imm of BPF_STX | BPF_ATOMIC).
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;
export const BPF_LOAD_ACQ = 0x100;
export const BPF_STORE_REL = 0x110;

// src_reg of `lddw` (BPF_LD | BPF_IMM | BPF_DW).
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

// src_reg of BPF_CALL.
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

/** `off` of ALU64 MOV X that marks Linux's arena `addr_space_cast`. */
export const BPF_ADDR_SPACE_CAST = 1;

export const BPF_REG_0 = 0;
export const BPF_REG_FP = 10;
export const MAX_BPF_REG = 11;

export const LDDW = BPF_LD | BPF_IMM | BPF_DW;

export const cls = (code: number): number => code & 0x07;
export const size = (code: number): number => code & 0x18;
export const mode = (code: number): number => code & 0xe0;
export const op = (code: number): number => code & 0xf0;
export const srcBit = (code: number): number => code & 0x08;

/** Bytes moved by a load/store of the given size field. */
export function sizeBytes(code: number): number {
  switch (size(code)) {
    case BPF_W:
      return 4;
    case BPF_H:
      return 2;
    case BPF_B:
      return 1;
    default:
      return 8;
  }
}

/** Whether the class computes in 64 bits (ALU64, JMP) rather than 32 (ALU, JMP32). */
export const is64 = (code: number): boolean => cls(code) === BPF_ALU64 || cls(code) === BPF_JMP;
