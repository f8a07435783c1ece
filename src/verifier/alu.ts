import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { coerceSubregToSizeSx, coerceToSize, coerceToSizeSx, markUnbounded, syncBounds, zext32to64 } from './bounds.js';
import { tnumBswap, tnumConstSubreg, tnumIsConst, tnumSubreg } from './tnum.js';
import { cloneState, curFrame } from './state.js';
import { Ctx, preciseReg, regs, reject } from './context.js';
import { ALU_STR } from './log-insn.js';
import { leaksPointer, readReg, writeReg } from './operands.js';
import { pointerAlu } from './ptr-alu.js';
import { Reg, cloneReg, constScalar, linkForCopy, setConst, setUnknown } from './reg.js';
import { scalarAlu } from './scalar-alu.js';

/**
 * ALU and ALU64 instructions (Linux's check_alu_op): reserved fields, operand
 * reads and writes, then the value of the result — a copy for moves, scalar
 * arithmetic (scalar-alu.ts), or pointer arithmetic (ptr-alu.ts).
 */
export function checkAlu(ctx: Ctx, ins: Insn): void {
  const op = o.op(ins.code);
  if (op === o.BPF_END || op === o.BPF_NEG) return endOrNeg(ctx, ins, op);
  if (op === o.BPF_MOV) return mov(ctx, ins);
  if (op > o.BPF_END) reject('EINVAL', `invalid BPF_ALU opcode ${op.toString(16)}`);
  binary(ctx, ins, op);
}

const alu64 = (ins: Insn): boolean => o.cls(ins.code) === o.BPF_ALU64;
const isX = (ins: Insn): boolean => o.srcBit(ins.code) === o.BPF_X;

function endOrNeg(ctx: Ctx, ins: Insn, op: number): void {
  if (op === o.BPF_NEG) {
    if (isX(ins) || ins.src !== 0 || ins.off !== 0 || ins.imm !== 0) reject('EINVAL', 'BPF_NEG uses reserved fields');
  } else if (ins.src !== 0 || ins.off !== 0 || (ins.imm !== 16 && ins.imm !== 32 && ins.imm !== 64) || (alu64(ins) && isX(ins))) {
    reject('EINVAL', 'BPF_END uses reserved fields');
  }
  const dst = readReg(ctx, ins.dst);
  if (leaksPointer(ctx, dst)) reject('EACCES', `R${ins.dst} pointer arithmetic prohibited`);
  if (dst.type !== 'scalar') {
    // the negation or byte swap of a pointer is a number nothing is known of
    writeReg(ctx, ins.dst, true);
    return;
  }
  writeReg(ctx, ins.dst);
  if (op === o.BPF_NEG) {
    scalarAlu(o.BPF_NEG, dst, dst, !alu64(ins));
    clearLink(dst);
  } else byteSwap(dst, ins);
}

/** A scalar whose value changed is no longer a copy of the others of its id. */
function clearLink(r: Reg): void {
  r.id = 0;
  r.addConst = 0;
  r.off = 0;
}

/**
 * be16/be32/be64, le16/le32/le64 and bswap (Linux's scalar_byte_swap, on a
 * little-endian machine): a swap moves the known bits with the bytes; the
 * 16- and 32-bit forms also keep only the low bytes.
 */
function byteSwap(r: Reg, ins: Insn): void {
  const swap = alu64(ins) || isX(ins);
  const width = ins.imm;
  if (swap || width !== 64) clearLink(r);
  if (swap) {
    r.varOff = tnumBswap(r.varOff, width);
    markUnbounded(r);
  }
  if (width === 16 || width === 32) coerceToSize(r, width / 8);
  syncBounds(r);
}

function mov(ctx: Ctx, ins: Insn): void {
  if (isX(ins)) {
    if (!alu64(ins)) {
      if ((ins.off !== 0 && ins.off !== 8 && ins.off !== 16) || ins.imm) reject('EINVAL', 'BPF_MOV uses reserved fields');
    } else if (ins.off === o.BPF_ADDR_SPACE_CAST) {
      if (ins.imm !== 1 && ins.imm !== 1 << 16) reject('EINVAL', 'addr_space_cast insn can only convert between address space 1 and 0');
      reject('EINVAL', 'addr_space_cast insn can only be used in a program that has an associated arena');
    } else if ((ins.off !== 0 && ins.off !== 8 && ins.off !== 16 && ins.off !== 32) || ins.imm) {
      reject('EINVAL', 'BPF_MOV uses reserved fields');
    }
    readReg(ctx, ins.src);
  } else if (ins.src !== 0 || ins.off !== 0) {
    reject('EINVAL', 'BPF_MOV uses reserved fields');
  }
  writeReg(ctx, ins.dst);
  const rs = regs(ctx);
  if (!isX(ins)) {
    setConst(rs[ins.dst]!, alu64(ins) ? BigInt(ins.imm) : BigInt(ins.imm >>> 0));
    return;
  }
  const src = rs[ins.src]!;
  if (alu64(ins)) movReg64(ctx, ins, src);
  else movReg32(ctx, ins, src);
}

/** A scalar copied to another register gets an id, so that a later comparison narrows both. */
export function assignScalarId(ctx: Ctx, r: Reg): void {
  linkForCopy(r, ctx);
}

/** Bits needed for the largest unsigned value (Linux's get_reg_width). */
export const regWidth = (r: Reg): number => (r.umax === 0n ? 0 : r.umax.toString(2).length);

function movReg64(ctx: Ctx, ins: Insn, src: Reg): void {
  const rs = regs(ctx);
  if (ins.off === 0) {
    assignScalarId(ctx, src);
    rs[ins.dst] = cloneReg(src);
    return;
  }
  if (leaksPointer(ctx, src)) reject('EACCES', `R${ins.src} sign-extension part of pointer`);
  if (src.type !== 'scalar') {
    setUnknown(rs[ins.dst]!);
    return;
  }
  const noSext = src.umax < 1n << BigInt(ins.off - 1);
  if (noSext) assignScalarId(ctx, src);
  const d = cloneReg(src);
  if (!noSext) d.id = 0;
  coerceToSizeSx(d, ins.off >> 3);
  rs[ins.dst] = d;
}

function movReg32(ctx: Ctx, ins: Insn, src: Reg): void {
  const rs = regs(ctx);
  if (leaksPointer(ctx, src)) reject('EACCES', `R${ins.src} partial copy of pointer`);
  let d: Reg;
  if (src.type !== 'scalar') {
    d = constScalar(0n);
    setUnknown(d);
  } else if (ins.off === 0) {
    const fits = regWidth(src) <= 32;
    if (fits) assignScalarId(ctx, src);
    d = cloneReg(src);
    if (!fits) d.id = 0;
  } else {
    const noSext = src.umax < 1n << BigInt(ins.off - 1);
    if (noSext) assignScalarId(ctx, src);
    d = cloneReg(src);
    if (!noSext) d.id = 0;
    coerceSubregToSizeSx(d, ins.off >> 3);
  }
  zext32to64(d);
  syncBounds(d);
  rs[ins.dst] = d;
}

function binary(ctx: Ctx, ins: Insn, op: number): void {
  const x = isX(ins);
  const offOk = ins.off === 0 || (ins.off === 1 && (op === o.BPF_DIV || op === o.BPF_MOD));
  if (x ? ins.imm !== 0 || !offOk : ins.src !== 0 || !offOk) reject('EINVAL', 'BPF_ALU uses reserved fields');
  if (x) readReg(ctx, ins.src);
  readReg(ctx, ins.dst);
  if ((op === o.BPF_MOD || op === o.BPF_DIV) && !x && ins.imm === 0) reject('EINVAL', 'div by zero');
  if ((op === o.BPF_LSH || op === o.BPF_RSH || op === o.BPF_ARSH) && !x) {
    const size = alu64(ins) ? 64 : 32;
    if (ins.imm < 0 || ins.imm >= size) reject('EINVAL', `invalid shift ${ins.imm}`);
  }
  writeReg(ctx, ins.dst);
  adjustRegMinMax(ctx, ins, op);
}

/** Linux's adjust_reg_min_max_vals: which of the operands is a pointer decides the arithmetic. */
function adjustRegMinMax(ctx: Ctx, ins: Insn, op: number): void {
  const rs = regs(ctx);
  const dst = rs[ins.dst]!;
  const src: Reg = isX(ins) ? rs[ins.src]! : ctx.immOperand();
  if (isX(ins) && src.type !== 'scalar') {
    if (dst.type === 'scalar') preciseReg(ctx, ins.dst);
    if (dst.type !== 'scalar') {
      // Two pointers combine into a number: only their difference, and only for root.
      if (op === o.BPF_SUB && ctx.priv) {
        setUnknown(dst);
        return;
      }
      reject('EACCES', `R${ins.dst} pointer ${ALU_STR[op >> 4]} pointer prohibited`);
    }
    rs[ins.dst] = pointerAlu(ctx, ins, op, src, dst, true);
    return;
  }
  if (dst.type !== 'scalar') {
    if (isX(ins)) preciseReg(ctx, ins.src);
    rs[ins.dst] = pointerAlu(ctx, ins, op, dst, src, false);
    return;
  }
  const dstUmax = dst.umax;
  if ((op === o.BPF_AND || op === o.BPF_OR) && src.type === 'scalar' && tnumIsConst(src.varOff)) forkMinusOneOrZero(ctx, ins, dst);
  scalarAlu(op, dst, src, !alu64(ins));
  linkAfterAdd(ctx, ins, dst, src, op, dstUmax);
}

/**
 * A value known to be -1 or 0 (what `x s>>= 63` leaves) masked or or-ed
 * with a constant: compilers use it as a select, and its range alone loses
 * which of the two constants results. Linux explores the two values
 * apart: this path goes on with -1, a queued one runs the instruction
 * again with 0 (maybe_fork_scalars).
 */
function forkMinusOneOrZero(ctx: Ctx, ins: Insn, dst: Reg): void {
  let half: boolean;
  if (dst.smin === -1n && dst.smax === 0n) half = false;
  else if (dst.s32min === -1n && dst.s32max === 0n) half = true;
  else return;
  const other = cloneState(ctx.state);
  const zero = curFrame(other).regs[ins.dst]!;
  if (half) {
    setConst32(zero, 0n);
    setConst32(dst, 0xffffffffn);
  } else {
    setConst(zero, 0n);
    setConst(dst, 0xffffffffffffffffn);
  }
  ctx.push(other, ctx.insnIdx, true);
}

/** The low 32 bits known, the high half as it was (Linux's __mark_reg32_known). */
function setConst32(r: Reg, v: bigint): void {
  r.varOff = tnumConstSubreg(r.varOff, v);
  r.s32min = r.s32max = BigInt.asIntN(32, v);
  r.u32min = r.u32max = BigInt.asUintN(32, v);
}

/**
 * `r2 = r1; r2 += 5` keeps r2 linked to r1 with a constant offset, so a
 * later comparison of r1 bounds r2 too (Linux's BPF_ADD_CONST): also a
 * subtraction, and a 32-bit add or subtract of a value whose high half is
 * zero (the link then also zero-extends). Any other change ends the link.
 */
function linkAfterAdd(ctx: Ctx, ins: Insn, dst: Reg, src: Reg, op: number, dstUmax: bigint): void {
  const wide = alu64(ins);
  const sameReg = isX(ins) && ins.src === ins.dst;
  const val = src.type === 'scalar' ? (wide ? src.varOff : tnumSubreg(src.varOff)) : undefined;
  if (!ctx.priv || (op !== o.BPF_ADD && op !== o.BPF_SUB) || !dst.id || !val || !tnumIsConst(val) || sameReg) return clearLink(dst);
  const v = BigInt.asIntN(64, val.value);
  if (wide && (v < -(1n << 31n) || v >= 1n << 31n)) return clearLink(dst);
  if (!wide && dstUmax > 0xffffffffn) return clearLink(dst);
  let off = Number(BigInt.asIntN(32, v));
  if (op === o.BPF_SUB) {
    if (off === -(2 ** 31)) return clearLink(dst);
    off = -off;
  }
  // only one constant can be tracked: a second add ends the link
  if (dst.addConst) return clearLink(dst);
  dst.addConst = wide ? 64 : 32;
  dst.off = off;
}
