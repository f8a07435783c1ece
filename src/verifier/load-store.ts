import { Insn, lddwValue } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { Ctx, regs, reject } from './context.js';
import { checkMemAccess } from './memory.js';
import { leaksPointer, readReg, writeReg } from './operands.js';
import { checkPtrOffReg } from './ctx.js';
import { RegType, pointer, setConst, setNotInit, setUnknown, typeStr } from './reg.js';
import { checkRefLeak } from './refs.js';

/**
 * Loads, stores, atomics, `lddw` and the legacy packet loads: operand
 * checks, then the memory access (memory.ts). A load or store instruction
 * must see the same kind of pointer on every path when one of them is the
 * context, since Linux rewrites context accesses per instruction.
 */

/** The pointer type each load/store instruction was first checked with. */
export type PtrTypes = Map<number, RegType>;

function samePointerKind(ctx: Ctx, seen: PtrTypes, t: RegType): void {
  const prev = seen.get(ctx.insnIdx);
  if (prev === undefined) {
    seen.set(ctx.insnIdx, t);
    return;
  }
  // Linux rewrites context loads per field, and BTF pointer loads into probe reads
  if (prev !== t && (prev === 'ctx' || t === 'ctx' || prev === 'btf_id' || t === 'btf_id')) reject('EINVAL', 'same insn cannot be used with different pointers', 'use separate load/store instructions for the context and for other memory');
}

export function checkLdx(ctx: Ctx, ins: Insn, seen: PtrTypes): void {
  const src = readReg(ctx, ins.src);
  writeReg(ctx, ins.dst);
  const t = src.type;
  checkMemAccess(ctx, ins.src, ins.off, o.sizeBytes(ins.code), false, ins.dst, { sx: o.mode(ins.code) === o.BPF_MEMSX });
  samePointerKind(ctx, seen, t);
}

export function checkStx(ctx: Ctx, ins: Insn, seen: PtrTypes): void {
  if (o.mode(ins.code) === o.BPF_ATOMIC) return checkAtomic(ctx, ins);
  if (o.mode(ins.code) !== o.BPF_MEM || ins.imm !== 0) reject('EINVAL', 'BPF_STX uses reserved fields');
  readReg(ctx, ins.src);
  const dst = readReg(ctx, ins.dst);
  const t = dst.type;
  checkMemAccess(ctx, ins.dst, ins.off, o.sizeBytes(ins.code), true, ins.src);
  samePointerKind(ctx, seen, t);
}

export function checkSt(ctx: Ctx, ins: Insn, seen: PtrTypes): void {
  if (o.mode(ins.code) !== o.BPF_MEM || ins.src !== 0) reject('EINVAL', 'BPF_ST uses reserved fields');
  const dst = readReg(ctx, ins.dst);
  const t = dst.type;
  checkMemAccess(ctx, ins.dst, ins.off, o.sizeBytes(ins.code), true, -1, { imm: ins.imm });
  samePointerKind(ctx, seen, t);
}

const ATOMIC_OPS = new Set([o.BPF_ADD, o.BPF_OR, o.BPF_AND, o.BPF_XOR, o.BPF_ADD | o.BPF_FETCH, o.BPF_OR | o.BPF_FETCH, o.BPF_AND | o.BPF_FETCH, o.BPF_XOR | o.BPF_FETCH, o.BPF_XCHG, o.BPF_CMPXCHG]);

function checkAtomic(ctx: Ctx, ins: Insn): void {
  if (ins.imm === o.BPF_LOAD_ACQ) return loadAcquire(ctx, ins);
  if (ins.imm === o.BPF_STORE_REL) return storeRelease(ctx, ins);
  if (!ATOMIC_OPS.has(ins.imm)) reject('EINVAL', `BPF_ATOMIC uses invalid atomic opcode ${(ins.imm >>> 0).toString(16).padStart(2, '0')}`);
  const size = o.sizeBytes(ins.code);
  if (size !== 4 && size !== 8) reject('EINVAL', 'invalid atomic operand size');
  const src = readReg(ctx, ins.src);
  const dst = readReg(ctx, ins.dst);
  if (ins.imm === o.BPF_CMPXCHG) {
    const r0 = readReg(ctx, 0);
    if (leaksPointer(ctx, r0)) reject('EACCES', 'R0 leaks addr into mem');
  }
  if (leaksPointer(ctx, src)) reject('EACCES', `R${ins.src} leaks addr into mem`);
  if (dst.type === 'ctx' || dst.type === 'pkt' || dst.type === 'pkt_meta' || dst.type === 'sock_common') {
    reject('EACCES', `BPF_ATOMIC stores into R${ins.dst} ${typeStr(dst)} is not allowed`);
  }
  let load = -1;
  if (ins.imm & o.BPF_FETCH) {
    load = ins.imm === o.BPF_CMPXCHG ? 0 : ins.src;
    writeReg(ctx, load, true);
  }
  checkMemAccess(ctx, ins.dst, ins.off, size, false, -1, { strict: true });
  if (load >= 0) checkMemAccess(ctx, ins.dst, ins.off, size, false, load, { strict: true });
  checkMemAccess(ctx, ins.dst, ins.off, size, true, -1, { strict: true });
}

function loadAcquire(ctx: Ctx, ins: Insn): void {
  readReg(ctx, ins.src);
  writeReg(ctx, ins.dst);
  checkMemAccess(ctx, ins.src, ins.off, o.sizeBytes(ins.code), false, ins.dst, { strict: true });
}

function storeRelease(ctx: Ctx, ins: Insn): void {
  readReg(ctx, ins.src);
  readReg(ctx, ins.dst);
  checkMemAccess(ctx, ins.dst, ins.off, o.sizeBytes(ins.code), true, ins.src, { strict: true });
}

/** `lddw`: a 64-bit constant, a map, a map value, or a function (callbacks). */
export function checkLdImm64(ctx: Ctx, ins: Insn, funcInfo: boolean): void {
  if (o.size(ins.code) !== o.BPF_DW) reject('EINVAL', 'invalid BPF_LD_IMM insn');
  if (ins.off !== 0) reject('EINVAL', 'BPF_LD_IMM64 uses reserved fields');
  const d = writeReg(ctx, ins.dst, true);
  if (ins.src === 0) {
    setConst(d, lddwValue(ctx.insns, ctx.insnIdx));
    return;
  }
  if (ins.src === o.BPF_PSEUDO_FUNC) {
    if (!funcInfo) reject('EINVAL', 'missing btf func_info', 'callbacks need BTF func info: build the program with clang -g, as an ELF object');
    regs(ctx)[ins.dst] = pointer('func', { subprog: ctx.insnIdx + 1 + ins.imm });
    return;
  }
  if (ins.src === o.BPF_PSEUDO_BTF_ID) reject('EINVAL', 'kernel BTF objects (ksyms) are not supported by tsbpf');
  const map = ctx.resolveMap(ins.src, ins.imm)!;
  if (ins.src === o.BPF_PSEUDO_MAP_VALUE || ins.src === o.BPF_PSEUDO_MAP_IDX_VALUE) {
    regs(ctx)[ins.dst] = pointer('map_value', { map, off: ctx.insns[ctx.insnIdx + 1]!.imm >>> 0 });
  } else {
    regs(ctx)[ins.dst] = pointer('map_ptr', { map });
  }
}

const LD_ABS_TYPES = new Set(['socket_filter', 'sched_cls']);

/** LD_ABS / LD_IND: packet loads relative to the skb in r6; they clobber r1-r5 like a call. */
export function checkLdAbs(ctx: Ctx, ins: Insn): void {
  if (!LD_ABS_TYPES.has(ctx.progType?.name ?? '')) reject('EINVAL', 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
  const mode = o.mode(ins.code);
  if (ins.dst !== 0 || ins.off !== 0 || o.size(ins.code) === o.BPF_DW || (mode === o.BPF_ABS && ins.src !== 0)) {
    reject('EINVAL', 'BPF_LD_[ABS|IND] uses reserved fields');
  }
  const r6 = readReg(ctx, 6);
  checkRefLeak(ctx, 'BPF_LD_[ABS|IND]');
  if (r6.type !== 'ctx') reject('EINVAL', 'at the time of BPF_LD_ABS|IND R6 != pointer to skb', 'keep the context pointer (r1 at entry) in r6 for LD_ABS/LD_IND');
  if (mode === o.BPF_IND) readReg(ctx, ins.src);
  checkPtrOffReg(r6, 6);
  const rs = regs(ctx);
  for (let i = 0; i <= 5; i++) {
    setNotInit(rs[i]!);
    ctx.scratch.regs |= 1 << i;
  }
  setUnknown(rs[0]!);
}
