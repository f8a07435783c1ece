import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { Ctx, reject, reject2 } from './context.js';
import { memAccess } from './region.js';
import { Reg, setNotInit, setUnknown } from './reg.js';
import { VerifierState, allRegs, curFrame } from './state.js';
import { tnumIsConst } from './tnum.js';

/**
 * Direct packet access (XDP, tc): a pointer from ctx->data may only be
 * dereferenced within `range` bytes, and a range is only learned from a
 * comparison with ctx->data_end (Linux's find_good_pkt_pointers). Every
 * register with the same id — copies of the pointer, moved by the same
 * constant — learns it.
 */

/** Linux's MAX_PACKET_OFF: offsets beyond cannot be proven in range. */
const MAX_PACKET_OFF = 0xffff;
/** `range` values for a pointer known to be at or beyond data_end. */
export const AT_PKT_END = -1;
export const BEYOND_PKT_END = -2;

/** Program types that may read (and write) packet bytes directly (may_access_direct_pkt_data). */
export function directPacketAccess(ctx: Ctx): boolean {
  // socket filters see no packet pointers; tc and XDP may read and write them
  const name = ctx.progType?.name;
  return name === 'sched_cls' || name === 'xdp';
}

export function checkPacketAccess(regno: number, r: Reg, off: number, size: number, zeroOk: boolean): void {
  if (r.smin < 0n) {
    reject('EACCES', `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`, 'use an unsigned offset for packet pointers');
  }
  const hint = `compare the pointer plus ${off + size} with data_end (if (data + ${off + size} > data_end) return ...) before this access`;
  if (r.range < 0) reject('EINVAL', `R${regno} offset is outside of the packet`, hint);
  const err = memAccess(regno, r, off, size, r.range, zeroOk);
  if (err) reject2('EACCES', err, `R${regno} offset is outside of the packet`, hint);
}

/** Every register of the state that is the same packet pointer as `dst` learns that `range` bytes are in the packet. */
function findGoodPktPointers(st: VerifierState, dst: Reg, rightOpen: boolean): void {
  if (dst.off < 0 || (dst.off === 0 && rightOpen)) return;
  if (dst.umax > BigInt(MAX_PACKET_OFF) || dst.umax + BigInt(dst.off) > BigInt(MAX_PACKET_OFF)) return;
  const range = dst.off + (rightOpen ? 1 : 0);
  for (const r of allRegs(st)) {
    if (r.type === dst.type && r.id === dst.id) r.range = Math.max(r.range, range);
  }
}

/** The pointer in `regno` is known to be at (or beyond) data_end on this branch. */
function markPktEnd(st: VerifierState, regno: number, beyond: boolean): void {
  const r = curFrame(st).regs[regno]!;
  if (r.type !== 'pkt') return;
  r.range = beyond ? BEYOND_PKT_END : AT_PKT_END;
}

const initPkt = (r: Reg, type: string): boolean => r.type === type && r.off === 0 && tnumIsConst(r.varOff) && r.varOff.value === 0n;

/**
 * A comparison of two packet pointers (Linux's try_match_pkt_pointers):
 * `data + N > data_end` and its variants give the branch where the access is
 * safe a range of N. `fall` is the state continuing after the jump, `jump`
 * the state at its target. Returns whether it was such a comparison.
 */
export function matchPktPointers(ins: Insn, dst: Reg, src: Reg, fall: VerifierState, jump: VerifierState): boolean {
  if (o.srcBit(ins.code) !== o.BPF_X || o.cls(ins.code) === o.BPF_JMP32) return false;
  const left = (dst.type === 'pkt' && src.type === 'pkt_end') || (dst.type === 'pkt_meta' && initPkt(src, 'pkt'));
  const right = (dst.type === 'pkt_end' && src.type === 'pkt') || (initPkt(dst, 'pkt') && src.type === 'pkt_meta');
  if (!left && !right) return false;
  // For "ptr OP end": [the state where ptr is safe, rightOpen, the state where ptr is at/after end, beyond?]
  const p = left ? dst : src;
  const pr = left ? ins.dst : ins.src;
  switch (o.op(ins.code)) {
    case o.BPF_JGT: // ptr > end (or end > ptr)
      return left ? both(fall, p, false, jump, pr, true) : both(jump, p, true, fall, pr, false);
    case o.BPF_JLT: // ptr < end
      return left ? both(jump, p, true, fall, pr, false) : both(fall, p, false, jump, pr, true);
    case o.BPF_JGE: // ptr >= end
      return left ? both(fall, p, true, jump, pr, false) : both(jump, p, false, fall, pr, true);
    case o.BPF_JLE: // ptr <= end
      return left ? both(jump, p, false, fall, pr, true) : both(fall, p, true, jump, pr, false);
    default:
      return false;
  }
}

function both(good: VerifierState, p: Reg, rightOpen: boolean, end: VerifierState, regno: number, beyond: boolean): boolean {
  findGoodPktPointers(good, p, rightOpen);
  markPktEnd(end, regno, beyond);
  return true;
}

/** Whether a comparison of a packet pointer with data_end is decided by what is known (is_pkt_ptr_branch_taken). */
export function pktBranchTaken(dst: Reg, src: Reg, op: number): number {
  let pkt: Reg;
  if (src.type === 'pkt_end') pkt = dst;
  else if (dst.type === 'pkt_end') {
    pkt = src;
    op = flip(op);
  } else return -1;
  if (pkt.range >= 0) return -1;
  switch (op) {
    case o.BPF_JLE:
    case o.BPF_JGT:
      return pkt.range === BEYOND_PKT_END ? (op === o.BPF_JGT ? 1 : 0) : -1;
    case o.BPF_JLT:
    case o.BPF_JGE:
      return pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END ? (op === o.BPF_JGE ? 1 : 0) : -1;
    default:
      return -1;
  }
}

/** The comparison with its operands swapped. */
export function flip(op: number): number {
  switch (op) {
    case o.BPF_JGT: return o.BPF_JLT;
    case o.BPF_JLT: return o.BPF_JGT;
    case o.BPF_JGE: return o.BPF_JLE;
    case o.BPF_JLE: return o.BPF_JGE;
    case o.BPF_JSGT: return o.BPF_JSLT;
    case o.BPF_JSLT: return o.BPF_JSGT;
    case o.BPF_JSGE: return o.BPF_JSLE;
    case o.BPF_JSLE: return o.BPF_JSGE;
    default: return op;
  }
}

/** Helpers that may move or resize the packet: every packet pointer is invalid after them. */
export const CHANGES_PKT_DATA = new Set([9, 10, 11, 13, 18, 19, 31, 38, 39, 43, 44, 50, 54, 63, 65, 74, 75, 76, 90, 91]);

export function clearPacketPointers(ctx: Ctx): void {
  for (const r of allRegs(ctx.state)) {
    if (r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end') {
      if (ctx.priv) setUnknown(r);
      else setNotInit(r);
    }
  }
}
