import { BpfError } from '../errno.js';
import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';

/**
 * The interpreter's internal operation codes: one dense number per behaviour,
 * so the dispatch switch compiles to a jump table. Every immediate operand is
 * turned into a read-only register slot at decode time (the "K" forms become
 * "X" forms), which halves the number of cases.
 */
export const enum Op {
  ADD64, SUB64, MUL64, DIV64, SDIV64, OR64, AND64, LSH64, RSH64, NEG64, MOD64, SMOD64, XOR64, MOV64, ARSH64,
  MOVSX8_64, MOVSX16_64, MOVSX32_64, BSWAP16, BSWAP32, BSWAP64,
  ADD32, SUB32, MUL32, DIV32, SDIV32, OR32, AND32, LSH32, RSH32, NEG32, MOD32, SMOD32, XOR32, MOV32, ARSH32,
  MOVSX8_32, MOVSX16_32, LE16, NOP,
  LDXB, LDXH, LDXW, LDXDW, LDXSB, LDXSH, LDXSW,
  STB, STH, STW, STDW,
  ATOMIC, LDDW, LDPKT,
  JA, JEQ64, JNE64, JGT64, JGE64, JLT64, JLE64, JSGT64, JSGE64, JSLT64, JSLE64, JSET64,
  JEQ32, JNE32, JGT32, JGE32, JLT32, JLE32, JSGT32, JSGE32, JSLT32, JSLE32, JSET32,
  CALL, CALL_LOCAL, CALLX, KFUNC, EXIT, MAY_GOTO,
}

/** A program in the interpreter's form: parallel arrays indexed by slot. */
export interface DecodedProgram {
  /**
   * op | dst << 8 | first operand << 12 | slots to advance << 16. ALU ops are
   * three-address (dst = first op src), so `mov rX, rY; rX op= Z` runs as one
   * operation; the second slot keeps its own meaning for jumps that land on it.
   */
  word: Int32Array;
  op: Int32Array;
  dst: Int32Array;
  /** source register, or the constant slot (≥ 11) holding an immediate */
  src: Int32Array;
  /** memory offset, or absolute target slot of a jump / local call */
  off: Int32Array;
  /** helper id, byte-swap/atomic sub-operation, lddw low half, packet-load size */
  imm: Int32Array;
  /** lddw high half */
  imm2: Int32Array;
  /** low/high halves of the constant slots, indexed from 11 */
  constLo: number[];
  constHi: number[];
}

const ALU_OPS: Record<number, [Op, Op]> = {
  [o.BPF_ADD]: [Op.ADD64, Op.ADD32], [o.BPF_SUB]: [Op.SUB64, Op.SUB32], [o.BPF_MUL]: [Op.MUL64, Op.MUL32],
  [o.BPF_DIV]: [Op.DIV64, Op.DIV32], [o.BPF_OR]: [Op.OR64, Op.OR32], [o.BPF_AND]: [Op.AND64, Op.AND32],
  [o.BPF_LSH]: [Op.LSH64, Op.LSH32], [o.BPF_RSH]: [Op.RSH64, Op.RSH32], [o.BPF_NEG]: [Op.NEG64, Op.NEG32],
  [o.BPF_MOD]: [Op.MOD64, Op.MOD32], [o.BPF_XOR]: [Op.XOR64, Op.XOR32], [o.BPF_MOV]: [Op.MOV64, Op.MOV32],
  [o.BPF_ARSH]: [Op.ARSH64, Op.ARSH32],
};

const JMP_OPS: Record<number, [Op, Op]> = {
  [o.BPF_JEQ]: [Op.JEQ64, Op.JEQ32], [o.BPF_JNE]: [Op.JNE64, Op.JNE32], [o.BPF_JGT]: [Op.JGT64, Op.JGT32],
  [o.BPF_JGE]: [Op.JGE64, Op.JGE32], [o.BPF_JLT]: [Op.JLT64, Op.JLT32], [o.BPF_JLE]: [Op.JLE64, Op.JLE32],
  [o.BPF_JSGT]: [Op.JSGT64, Op.JSGT32], [o.BPF_JSGE]: [Op.JSGE64, Op.JSGE32], [o.BPF_JSLT]: [Op.JSLT64, Op.JSLT32],
  [o.BPF_JSLE]: [Op.JSLE64, Op.JSLE32], [o.BPF_JSET]: [Op.JSET64, Op.JSET32],
};

const LDX_OPS: Record<number, Op> = {
  [o.BPF_MEM | o.BPF_B]: Op.LDXB, [o.BPF_MEM | o.BPF_H]: Op.LDXH, [o.BPF_MEM | o.BPF_W]: Op.LDXW,
  [o.BPF_MEM | o.BPF_DW]: Op.LDXDW, [o.BPF_MEMSX | o.BPF_B]: Op.LDXSB, [o.BPF_MEMSX | o.BPF_H]: Op.LDXSH,
  [o.BPF_MEMSX | o.BPF_W]: Op.LDXSW,
};

const ST_OPS: Record<number, Op> = { [o.BPF_B]: Op.STB, [o.BPF_H]: Op.STH, [o.BPF_W]: Op.STW, [o.BPF_DW]: Op.STDW };

/** Decode validated slots into the interpreter's arrays. */
export function decodeOps(insns: readonly Insn[]): DecodedProgram {
  const n = insns.length;
  const p: DecodedProgram = {
    word: new Int32Array(n), op: new Int32Array(n), dst: new Int32Array(n), src: new Int32Array(n), off: new Int32Array(n),
    imm: new Int32Array(n), imm2: new Int32Array(n), constLo: [], constHi: [],
  };
  const constant = (lo: number, hi: number): number => {
    p.constLo.push(lo | 0);
    p.constHi.push(hi | 0);
    return 10 + p.constLo.length;
  };
  for (let i = 0; i < n; i++) {
    const ins = insns[i]!;
    p.dst[i] = ins.dst;
    p.src[i] = ins.src;
    p.off[i] = ins.off;
    p.imm[i] = ins.imm;
    const k = o.srcBit(ins.code) === o.BPF_K;
    // An immediate operand becomes a constant slot, sign-extended to 64 bits as the ISA says.
    const immSlot = (): number => constant(ins.imm, ins.imm >> 31);
    p.op[i] = decodeOne(insns, i, p, k, immSlot);
    const step = ins.code === o.LDDW ? 2 : 1;
    p.word[i] = p.op[i]! | (p.dst[i]! << 8) | (p.dst[i]! << 12) | (step << 16);
    i += step - 1;
  }
  fuseMoves(p, n);
  return p;
}

const BINARY_64 = new Set([Op.ADD64, Op.SUB64, Op.MUL64, Op.DIV64, Op.SDIV64, Op.OR64, Op.AND64, Op.LSH64, Op.RSH64, Op.MOD64, Op.SMOD64, Op.XOR64, Op.ARSH64]);
const BINARY_32 = new Set([Op.ADD32, Op.SUB32, Op.MUL32, Op.DIV32, Op.SDIV32, Op.OR32, Op.AND32, Op.LSH32, Op.RSH32, Op.MOD32, Op.SMOD32, Op.XOR32, Op.ARSH32]);

/**
 * `rX = rY; rX op= Z` (Z not rX) becomes `rX = rY op Z` at the first slot.
 * A 64-bit move feeds either width; a 32-bit move only a 32-bit op, since
 * the move's zero extension matters to a 64-bit one.
 */
function fuseMoves(p: DecodedProgram, n: number): void {
  for (let i = 0; i + 1 < n; i++) {
    const mov = p.op[i];
    const next = p.op[i + 1]!;
    const fits = (mov === Op.MOV64 && (BINARY_64.has(next) || BINARY_32.has(next))) || (mov === Op.MOV32 && BINARY_32.has(next));
    const x = p.dst[i]!;
    const y = p.src[i]!;
    if (!fits || y > 10 || p.dst[i + 1] !== x || p.src[i + 1] === x) continue;
    p.word[i] = next | (x << 8) | (y << 12) | (2 << 16);
    p.src[i] = p.src[i + 1]!;
  }
}

function decodeOne(insns: readonly Insn[], i: number, p: DecodedProgram, k: boolean, immSlot: () => number): Op {
  const ins = insns[i]!;
  const code = ins.code;
  const c = o.cls(code);
  switch (c) {
    case o.BPF_ALU:
    case o.BPF_ALU64:
      return decodeAlu(ins, i, p, k, immSlot);
    case o.BPF_LDX:
      return LDX_OPS[o.mode(code) | o.size(code)]!;
    case o.BPF_ST:
      p.src[i] = immSlot();
      return ST_OPS[o.size(code)]!;
    case o.BPF_STX:
      return o.mode(code) === o.BPF_ATOMIC ? Op.ATOMIC : ST_OPS[o.size(code)]!;
    case o.BPF_LD:
      if (code === o.LDDW) {
        p.imm2[i] = insns[i + 1]!.imm;
        // A function pointer (src=4) holds the index of the function's first slot.
        if (ins.src === o.BPF_PSEUDO_FUNC) [p.imm[i], p.imm2[i]] = [i + 1 + ins.imm, 0];
        return Op.LDDW;
      }
      return Op.LDPKT;
    default:
      return decodeJmp(ins, i, p, k, immSlot);
  }
}

function decodeAlu(ins: Insn, i: number, p: DecodedProgram, k: boolean, immSlot: () => number): Op {
  const alu64 = o.cls(ins.code) === o.BPF_ALU64;
  const op = o.op(ins.code);
  if (op === o.BPF_END) return decodeSwap(ins, alu64);
  if (op === o.BPF_MOV && !k && ins.off !== 0) return decodeMovsx(ins, alu64);
  if (op !== o.BPF_NEG && k) p.src[i] = immSlot();
  const [op64, op32] = ALU_OPS[op]!;
  const signed = ins.off === 1 && (op === o.BPF_DIV || op === o.BPF_MOD);
  if (signed) {
    if (op === o.BPF_DIV) return alu64 ? Op.SDIV64 : Op.SDIV32;
    return alu64 ? Op.SMOD64 : Op.SMOD32;
  }
  return alu64 ? op64 : op32;
}

function decodeSwap(ins: Insn, alu64: boolean): Op {
  const swap = ins.imm === 16 ? Op.BSWAP16 : ins.imm === 32 ? Op.BSWAP32 : Op.BSWAP64;
  // The host is little-endian: to-LE only truncates, to-BE and bswap reverse.
  if (alu64 || o.srcBit(ins.code) === o.BPF_TO_BE) return swap;
  return ins.imm === 16 ? Op.LE16 : ins.imm === 32 ? Op.MOV32 : Op.NOP;
}

function decodeMovsx(ins: Insn, alu64: boolean): Op {
  // addr_space_cast: the arena and the program share one flat space, so both
  // directions keep the low 32 bits (a 32-bit move).
  if (alu64 && ins.off === o.BPF_ADDR_SPACE_CAST) return Op.MOV32;
  if (ins.off === 8) return alu64 ? Op.MOVSX8_64 : Op.MOVSX8_32;
  if (ins.off === 16) return alu64 ? Op.MOVSX16_64 : Op.MOVSX16_32;
  return Op.MOVSX32_64;
}

function decodeJmp(ins: Insn, i: number, p: DecodedProgram, k: boolean, immSlot: () => number): Op {
  const jmp32 = o.cls(ins.code) === o.BPF_JMP32;
  const op = o.op(ins.code);
  p.off[i] = i + 1 + ins.off;
  switch (op) {
    case o.BPF_JA:
      if (jmp32) p.off[i] = i + 1 + ins.imm;
      return Op.JA;
    case o.BPF_EXIT:
      return Op.EXIT;
    case o.BPF_JCOND:
      return Op.MAY_GOTO;
    case o.BPF_CALL:
      if (!k) return Op.CALLX;
      if (ins.src === o.BPF_PSEUDO_CALL) {
        p.off[i] = i + 1 + ins.imm;
        return Op.CALL_LOCAL;
      }
      return ins.src === o.BPF_PSEUDO_KFUNC_CALL ? Op.KFUNC : Op.CALL;
  }
  const ops = JMP_OPS[op];
  if (!ops) throw new BpfError('EINVAL', `insn ${i}: unknown opcode ${ins.code.toString(16)}`);
  if (k) p.src[i] = immSlot();
  return jmp32 ? ops[1] : ops[0];
}
