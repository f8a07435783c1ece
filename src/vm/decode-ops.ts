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
  /** the slot after the last one: an unverified program that runs off its end stops here */
  FELL_OFF,
  // Superinstructions (see packOps): a load from rY + rZ, and a counter add followed by its jump.
  LDXB_IDX, LDXH_IDX, LDXW_IDX, LDXDW_IDX,
  ADD_JEQ64, ADD_JNE64, ADD_JGT64, ADD_JGE64, ADD_JLT64, ADD_JLE64, ADD_JSGT64, ADD_JSGE64, ADD_JSLT64, ADD_JSLE64, ADD_JSET64,
  ADD_JEQ32, ADD_JNE32, ADD_JGT32, ADD_JGE32, ADD_JLT32, ADD_JLE32, ADD_JSGT32, ADD_JSGE32, ADD_JSLT32, ADD_JSLE32, ADD_JSET32,
}

/** Number of operations (Op): the length of a table by Op. */
export const OP_COUNT = Op.ADD_JSET32 + 1;

/** A program in the interpreter's form: parallel arrays indexed by slot. */
export interface DecodedProgram {
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

/**
 * Decode validated slots into the interpreter's arrays, made zeroed by
 * `int32` (the JIT's come from its arena, jit/arena.ts).
 */
export function decodeOps(insns: readonly Insn[], int32 = (n: number): Int32Array => new Int32Array(n)): DecodedProgram {
  const n = insns.length;
  const p: DecodedProgram = {
    op: int32(n), dst: int32(n), src: int32(n), off: int32(n), imm: int32(n), imm2: int32(n), constLo: [], constHi: [],
  };
  for (let i = 0; i < n; i++) {
    const ins = insns[i]!;
    p.dst[i] = ins.dst;
    p.src[i] = ins.src;
    p.off[i] = ins.off;
    p.imm[i] = ins.imm;
    p.op[i] = decodeOne(insns, i, p, o.srcBit(ins.code) === o.BPF_K);
    if (ins.code === o.LDDW) i++;
  }
  return p;
}

/**
 * A new constant slot for the immediate operand of `ins`, sign-extended to
 * 64 bits as the ISA says. (A plain function, not a closure per
 * instruction: decoding is part of the JIT's compile time.)
 */
function immSlot(p: DecodedProgram, ins: Insn): number {
  p.constLo.push(ins.imm | 0);
  p.constHi.push(ins.imm >> 31);
  return 10 + p.constLo.length;
}

/** Int32s per slot in the packed form: word, src, off, imm. */
export const STRIDE = 4;

/**
 * The form the dispatch loop reads: STRIDE int32s per slot, so one array
 * serves every fetch. word = op | 2·dst << 8 | 2·first operand << 13 | slots
 * to advance << 18; register numbers are doubled because a register is two
 * adjacent int32 halves (lo, hi). ALU ops are three-address (dst = first op
 * src), which lets `mov rX, rY; rX op= Z` run as one operation.
 */
export function packOps(p: DecodedProgram): Int32Array {
  const n = p.op.length;
  const code = new Int32Array((n + 1) * STRIDE);
  code[n * STRIDE] = Op.FELL_OFF | (1 << 18);
  for (let i = 0; i < n; i++) {
    const plain: Packed = { op: p.op[i]!, a: p.dst[i]!, src: p.src[i]!, off: p.off[i]!, imm: p.imm[i]!, step: p.op[i] === Op.LDDW ? 2 : 1 };
    const f = fusedLoad(p, i) ?? fusedMove(p, i) ?? fusedCounterJump(p, i) ?? plain;
    code[i * STRIDE] = f.op | ((2 * p.dst[i]!) << 8) | ((2 * f.a) << 13) | (f.step << 18);
    code[i * STRIDE + 1] = 2 * f.src;
    code[i * STRIDE + 2] = f.off;
    code[i * STRIDE + 3] = f.imm;
  }
  return code;
}

/** One packed slot before encoding: registers still plain numbers. */
interface Packed {
  op: Op;
  /** first operand of a three-address ALU op */
  a: number;
  src: number;
  off: number;
  imm: number;
  /** slots the operation covers */
  step: number;
}

const LOAD_IDX: Partial<Record<Op, Op>> = { [Op.LDXB]: Op.LDXB_IDX, [Op.LDXH]: Op.LDXH_IDX, [Op.LDXW]: Op.LDXW_IDX, [Op.LDXDW]: Op.LDXDW_IDX };

/**
 * `rX = rY; rX += rZ; rX = *(size *)(rX + off)` — the array-indexing idiom —
 * as one load from rY + rZ + off into rX.
 */
function fusedLoad(p: DecodedProgram, i: number): Packed | undefined {
  const add = fusedMove(p, i);
  const load = LOAD_IDX[p.op[i + 2] as Op];
  const x = p.dst[i]!;
  if (!add || add.op !== Op.ADD64 || load === undefined || p.src[i + 2] !== x || p.dst[i + 2] !== x) return undefined;
  return { ...add, op: load, off: p.off[i + 2]!, step: 3 };
}

const COUNTER_JUMPS: Partial<Record<Op, Op>> = {
  [Op.JEQ64]: Op.ADD_JEQ64, [Op.JNE64]: Op.ADD_JNE64, [Op.JGT64]: Op.ADD_JGT64, [Op.JGE64]: Op.ADD_JGE64,
  [Op.JLT64]: Op.ADD_JLT64, [Op.JLE64]: Op.ADD_JLE64, [Op.JSGT64]: Op.ADD_JSGT64, [Op.JSGE64]: Op.ADD_JSGE64,
  [Op.JSLT64]: Op.ADD_JSLT64, [Op.JSLE64]: Op.ADD_JSLE64, [Op.JSET64]: Op.ADD_JSET64,
  [Op.JEQ32]: Op.ADD_JEQ32, [Op.JNE32]: Op.ADD_JNE32, [Op.JGT32]: Op.ADD_JGT32, [Op.JGE32]: Op.ADD_JGE32,
  [Op.JLT32]: Op.ADD_JLT32, [Op.JLE32]: Op.ADD_JLE32, [Op.JSGT32]: Op.ADD_JSGT32, [Op.JSGE32]: Op.ADD_JSGE32,
  [Op.JSLT32]: Op.ADD_JSLT32, [Op.JSLE32]: Op.ADD_JSLE32, [Op.JSET32]: Op.ADD_JSET32,
};

/**
 * `rX += Y; if rX <cond> Z goto T` — the loop-counter idiom — as one
 * operation: the add's operand goes in `imm`, the jump's in `src`. A 64-bit
 * add pairs with a 64-bit compare, a 32-bit add with a 32-bit one.
 */
function fusedCounterJump(p: DecodedProgram, i: number): Packed | undefined {
  if (i + 1 >= p.op.length) return undefined;
  const next = p.op[i + 1] as Op;
  const jump = COUNTER_JUMPS[next];
  const widthsMatch = p.op[i] === (next < Op.JEQ32 ? Op.ADD64 : Op.ADD32);
  if (jump === undefined || !widthsMatch || p.dst[i + 1] !== p.dst[i]) return undefined;
  return { op: jump, a: p.dst[i]!, src: p.src[i + 1]!, off: p.off[i + 1]!, imm: 2 * p.src[i]!, step: 2 };
}

const BINARY_64 = new Set([Op.ADD64, Op.SUB64, Op.MUL64, Op.DIV64, Op.SDIV64, Op.OR64, Op.AND64, Op.LSH64, Op.RSH64, Op.MOD64, Op.SMOD64, Op.XOR64, Op.ARSH64]);
const BINARY_32 = new Set([Op.ADD32, Op.SUB32, Op.MUL32, Op.DIV32, Op.SDIV32, Op.OR32, Op.AND32, Op.LSH32, Op.RSH32, Op.MOD32, Op.SMOD32, Op.XOR32, Op.ARSH32]);

/**
 * `rX = rY; rX op= Z` (Z not rX) as `rX = rY op Z`: [op, first operand, Z],
 * or undefined when slot i does not start such a pair. A 64-bit move feeds
 * either width; a 32-bit move only a 32-bit op, since its zero extension
 * matters to a 64-bit one. The second slot keeps its own meaning for jumps
 * that land on it.
 */
function fusedMove(p: DecodedProgram, i: number): Packed | undefined {
  if (i + 1 >= p.op.length) return undefined;
  const mov = p.op[i];
  const next = p.op[i + 1]!;
  const fits = (mov === Op.MOV64 && (BINARY_64.has(next) || BINARY_32.has(next))) || (mov === Op.MOV32 && BINARY_32.has(next));
  const x = p.dst[i]!;
  const y = p.src[i]!;
  if (!fits || y > 10 || p.dst[i + 1] !== x || p.src[i + 1] === x) return undefined;
  return { op: next, a: y, src: p.src[i + 1]!, off: 0, imm: 0, step: 2 };
}

function decodeOne(insns: readonly Insn[], i: number, p: DecodedProgram, k: boolean): Op {
  const ins = insns[i]!;
  const code = ins.code;
  const c = o.cls(code);
  switch (c) {
    case o.BPF_ALU:
    case o.BPF_ALU64:
      return decodeAlu(ins, i, p, k);
    case o.BPF_LDX:
      return LDX_OPS[o.mode(code) | o.size(code)]!;
    case o.BPF_ST:
      p.src[i] = immSlot(p, ins);
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
      return decodeJmp(ins, i, p, k);
  }
}

function decodeAlu(ins: Insn, i: number, p: DecodedProgram, k: boolean): Op {
  const alu64 = o.cls(ins.code) === o.BPF_ALU64;
  const op = o.op(ins.code);
  if (op === o.BPF_END) {
    p.src[i] = ins.dst; // le32 runs as a 32-bit move of dst onto itself
    return decodeSwap(ins, alu64);
  }
  if (op === o.BPF_MOV && !k && ins.off !== 0) return decodeMovsx(ins, alu64);
  if (op !== o.BPF_NEG && k) p.src[i] = immSlot(p, ins);
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

function decodeJmp(ins: Insn, i: number, p: DecodedProgram, k: boolean): Op {
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
  if (k) p.src[i] = immSlot(p, ins);
  return jmp32 ? ops[1] : ops[0];
}
