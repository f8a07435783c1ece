import * as o from './opcodes.js';

/**
 * Tables shared by the assembler and the disassembler, so that the two read
 * and write the same names. `name` is the mnemonic of the conformance syntax
 * (`add %r0, 1`), `sym` the operator of the llvm-objdump / verifier-log syntax
 * (`r0 += 1`).
 */

export interface AluOp {
  readonly name: string;
  /** operation bits (opcode & 0xf0) */
  readonly op: number;
  /** the `off` field that selects the signed variant of DIV/MOD (1), else 0 */
  readonly off: number;
  readonly sym: string;
}

/** ALU / ALU64 operations with two operands (NEG, END and MOVSX have their own forms). */
export const ALU_OPS: readonly AluOp[] = [
  { name: 'add', op: o.BPF_ADD, off: 0, sym: '+=' },
  { name: 'sub', op: o.BPF_SUB, off: 0, sym: '-=' },
  { name: 'mul', op: o.BPF_MUL, off: 0, sym: '*=' },
  { name: 'div', op: o.BPF_DIV, off: 0, sym: '/=' },
  { name: 'sdiv', op: o.BPF_DIV, off: 1, sym: 's/=' },
  { name: 'or', op: o.BPF_OR, off: 0, sym: '|=' },
  { name: 'and', op: o.BPF_AND, off: 0, sym: '&=' },
  { name: 'lsh', op: o.BPF_LSH, off: 0, sym: '<<=' },
  { name: 'rsh', op: o.BPF_RSH, off: 0, sym: '>>=' },
  { name: 'mod', op: o.BPF_MOD, off: 0, sym: '%=' },
  { name: 'smod', op: o.BPF_MOD, off: 1, sym: 's%=' },
  { name: 'xor', op: o.BPF_XOR, off: 0, sym: '^=' },
  { name: 'mov', op: o.BPF_MOV, off: 0, sym: '=' },
  { name: 'arsh', op: o.BPF_ARSH, off: 0, sym: 's>>=' },
];

export interface JmpOp {
  readonly name: string;
  readonly op: number;
  readonly sym: string;
}

/** Conditional jumps (JMP and JMP32 classes). */
export const JMP_OPS: readonly JmpOp[] = [
  { name: 'jeq', op: o.BPF_JEQ, sym: '==' },
  { name: 'jgt', op: o.BPF_JGT, sym: '>' },
  { name: 'jge', op: o.BPF_JGE, sym: '>=' },
  { name: 'jset', op: o.BPF_JSET, sym: '&' },
  { name: 'jne', op: o.BPF_JNE, sym: '!=' },
  { name: 'jsgt', op: o.BPF_JSGT, sym: 's>' },
  { name: 'jsge', op: o.BPF_JSGE, sym: 's>=' },
  { name: 'jlt', op: o.BPF_JLT, sym: '<' },
  { name: 'jle', op: o.BPF_JLE, sym: '<=' },
  { name: 'jslt', op: o.BPF_JSLT, sym: 's<' },
  { name: 'jsle', op: o.BPF_JSLE, sym: 's<=' },
];

export interface SizeInfo {
  /** suffix of the conformance mnemonics: ldxw, stxdw, ... */
  readonly suffix: string;
  /** size field (opcode & 0x18) */
  readonly size: number;
  readonly bytes: number;
}

export const SIZES: readonly SizeInfo[] = [
  { suffix: 'w', size: o.BPF_W, bytes: 4 },
  { suffix: 'h', size: o.BPF_H, bytes: 2 },
  { suffix: 'b', size: o.BPF_B, bytes: 1 },
  { suffix: 'dw', size: o.BPF_DW, bytes: 8 },
];

export const sizeBySuffix = (s: string): SizeInfo | undefined => SIZES.find((z) => z.suffix === s);
export const sizeByBytes = (n: number): SizeInfo | undefined => SIZES.find((z) => z.bytes === n);

/** The C type of an access: `u32`, or `s32` for the sign-extending loads. */
export const ctype = (code: number, signed = false): string => `${signed ? 's' : 'u'}${o.sizeBytes(code) * 8}`;

export interface AtomicOp {
  readonly name: string;
  /** imm of BPF_STX | BPF_ATOMIC, without BPF_FETCH */
  readonly imm: number;
  readonly sym: string;
}

/** The arithmetic atomics; each also exists with BPF_FETCH. XCHG and CMPXCHG have their own forms. */
export const ATOMIC_OPS: readonly AtomicOp[] = [
  { name: 'add', imm: o.BPF_ADD, sym: '+=' },
  { name: 'or', imm: o.BPF_OR, sym: '|=' },
  { name: 'and', imm: o.BPF_AND, sym: '&=' },
  { name: 'xor', imm: o.BPF_XOR, sym: '^=' },
];

/** Byte swaps: name → opcode (the width goes in imm). */
export const ENDIAN_OPS: Readonly<Record<string, number>> = {
  le: o.BPF_ALU | o.BPF_END | o.BPF_TO_LE,
  be: o.BPF_ALU | o.BPF_END | o.BPF_TO_BE,
  bswap: o.BPF_ALU64 | o.BPF_END | o.BPF_TO_LE,
};

export const endianName = (code: number): string | undefined =>
  Object.keys(ENDIAN_OPS).find((k) => ENDIAN_OPS[k] === code);

/** Highest register number the syntax accepts (r10, the frame pointer). */
export const MAX_REG = 10;
