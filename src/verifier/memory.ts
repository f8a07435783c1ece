import { coerceToSize, coerceToSizeSx } from './bounds.js';
import { Ctx, frameOf, preciseReg, regs, reject } from './context.js';
import { btfPtrAccess } from './btf-access.js';
import { checkCtxAccess } from './ctx.js';
import { tnumLog } from './log.js';
import { leaksPointer } from './operands.js';
import { checkPacketAccess, directPacketAccess } from './packet.js';
import { regionAccess } from './region.js';
import { Reg, constScalar, setConst, setUnknown, typeStr } from './reg.js';
import { stackAccessBounds, stackReadFixed, stackReadVar, stackWriteFixed, stackWriteVar } from './stack.js';
import { tnumAdd, tnumConst, tnumIsAligned, tnumIsConst } from './tnum.js';
import { MapFlags } from '../maps/map.js';

/**
 * Every load and store (Linux's check_mem_access): the pointer's type
 * decides the region and its rules — stack, map value or key, context,
 * packet, ring buffer memory; anything else (a scalar, a map pointer, a
 * pointer that may be NULL) cannot be dereferenced.
 */
export interface MemOpts {
  /** a sign-extending load */
  sx?: boolean;
  /** alignment checked whatever the pointer (atomics) */
  strict?: boolean;
  /** BPF_ST: the immediate stored */
  imm?: number;
}

export function checkMemAccess(ctx: Ctx, regno: number, insnOff: number, size: number, write: boolean, valueRegno: number, opts: MemOpts = {}): void {
  const rs = regs(ctx);
  const r = rs[regno]!;
  checkAlignment(r, insnOff, size, opts.strict ?? false);
  const off = insnOff + r.off;
  const value = write && valueRegno >= 0 ? rs[valueRegno] : undefined;
  const dst = !write && valueRegno >= 0 ? constScalar(0n) : undefined;
  if (r.maybeNull) reject('EACCES', `R${regno} invalid mem access '${typeStr(r)}'`, invalidAccessHint(r, regno));
  switch (r.type) {
    case 'map_key':
      if (write) reject('EACCES', `write to change key R${regno} not allowed`);
      regionAccess(regno, r, off, size, r.map!.keySize, false, 'map key');
      if (dst) setUnknown(dst);
      break;
    case 'map_value':
      if (value && leaksPointer(ctx, value)) reject('EACCES', `R${valueRegno} leaks addr into map`);
      mapAccessType(r, off, size, write, regno);
      regionAccess(regno, r, off, size, r.map!.valueSize, false, 'map value');
      if (dst) mapValueRead(r, off, size, dst);
      break;
    case 'mem':
      memAccess(ctx, regno, r, off, size, write, value, dst, valueRegno);
      break;
    case 'ctx':
      if (value && leaksPointer(ctx, value)) reject('EACCES', `R${valueRegno} leaks addr into ctx`);
      checkCtxAccess(ctx, regno, r, off, size, write, dst);
      break;
    case 'stack':
      stackAccess(ctx, regno, r, off, size, write, value, dst, opts.imm, valueRegno);
      break;
    case 'pkt':
    case 'pkt_meta':
      if (write && !directPacketAccess(ctx)) reject('EACCES', 'cannot write into packet');
      if (value && leaksPointer(ctx, value)) reject('EACCES', `R${valueRegno} leaks addr into packet`);
      checkPacketAccess(regno, r, off, size, false);
      if (dst) setUnknown(dst);
      break;
    case 'btf_id':
      btfPtrAccess(ctx, regno, r, off, size, write, dst, ctx.ctxBtf!.btf);
      break;
    default:
      reject('EACCES', `R${regno} invalid mem access '${typeStr(r)}'`, invalidAccessHint(r, regno));
  }
  if (!dst) return;
  if (size < 8 && dst.type === 'scalar') {
    if (opts.sx) coerceToSizeSx(dst, size);
    else coerceToSize(dst, size);
  }
  rs[valueRegno] = dst;
}

function invalidAccessHint(r: Reg, regno: number): string {
  if (r.maybeNull) return `R${regno} may be NULL here: check it (if (!p) return ...) before the access`;
  if (r.type === 'scalar') return `R${regno} holds a number, not a pointer: load or store through a pointer to stack, map value, context or packet`;
  if (r.type === 'pkt_end') return 'data_end marks the end of the packet and cannot be dereferenced; compare pointers with it instead';
  return `a ${typeStr(r)} pointer cannot be dereferenced`;
}

/** The region's word in a misalignment message (built once: checkAlignment runs at every load and store). */
const ALIGN_DESC: Record<string, string> = { map_key: 'key ', map_value: 'value ', ctx: 'context ', stack: 'stack ' };

/** Misaligned access (Linux's check_ptr_alignment): always checked on the stack, elsewhere only when strict. */
function checkAlignment(r: Reg, off: number, size: number, strict: boolean): void {
  if (r.type === 'pkt' || r.type === 'pkt_meta') {
    if (!strict || size === 1) return;
    const at = tnumAdd(r.varOff, tnumConst(BigInt(2 + r.off + off)));
    if (!tnumIsAligned(at, size)) reject('EACCES', `misaligned packet access off 2+${tnumLog(r.varOff)}+${r.off}+${off} size ${size}`);
    return;
  }
  if (r.type === 'stack') strict = true;
  if (!strict || size === 1) return;
  const at = tnumAdd(r.varOff, tnumConst(BigInt(r.off + off)));
  if (!tnumIsAligned(at, size)) {
    reject('EACCES', `misaligned ${ALIGN_DESC[r.type] ?? ''}access off ${tnumLog(r.varOff)}+${r.off}+${off} size ${size}`, `align ${size}-byte accesses to a multiple of ${size}`);
  }
}

/** Read-only (BPF_F_RDONLY_PROG) and write-only (BPF_F_WRONLY_PROG) maps. */
export function mapAccessType(r: Reg, off: number, size: number, write: boolean, _regno: number): void {
  const flags = r.map!.flags;
  const at = Number(r.smin) + off;
  if (write && flags & MapFlags.RDONLY_PROG) {
    reject('EACCES', `write into map forbidden, value_size=${r.map!.valueSize} off=${at} size=${size}`, 'the map was created with BPF_F_RDONLY_PROG: programs may only read it');
  }
  if (!write && flags & MapFlags.WRONLY_PROG) {
    reject('EACCES', `read from map forbidden, value_size=${r.map!.valueSize} off=${at} size=${size}`, 'the map was created with BPF_F_WRONLY_PROG: programs may only write it');
  }
}

/** A load from a map value: a constant when the map is frozen read-only and its contents are known. */
function mapValueRead(r: Reg, off: number, size: number, dst: Reg): void {
  const m = r.map!;
  const frozen = m.frozen && m.flags & MapFlags.RDONLY_PROG && m.data && tnumIsConst(r.varOff);
  if (!frozen) {
    setUnknown(dst);
    return;
  }
  const at = Number(r.varOff.value) + off;
  const bytes = m.data!.subarray(at, at + size);
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  setConst(dst, v);
}

function memAccess(ctx: Ctx, regno: number, r: Reg, off: number, size: number, write: boolean, value: Reg | undefined, dst: Reg | undefined, valueRegno: number): void {
  if (r.maybeNull) reject('EACCES', `R${regno} invalid mem access '${typeStr(r)}'`, invalidAccessHint(r, regno));
  if (write && r.rdonly) reject('EACCES', `R${regno} cannot write into ${typeStr(r)}`);
  if (value && leaksPointer(ctx, value)) reject('EACCES', `R${valueRegno} leaks addr into mem`);
  regionAccess(regno, r, off, size, r.memSize, false, 'memory region');
  if (dst) setUnknown(dst);
}

function stackAccess(ctx: Ctx, regno: number, r: Reg, off: number, size: number, write: boolean, value: Reg | undefined, dst: Reg | undefined, imm: number | undefined, valueRegno: number): void {
  const minOff = stackAccessBounds(ctx, regno, r, off, size, write ? 'write' : 'read');
  const f = frameOf(ctx, r);
  if (tnumIsConst(r.varOff)) {
    // a zero stored unaligned becomes ZERO bytes: the zero must stay exact (Linux marks it precise)
    if (value && valueRegno >= 0 && minOff % 8 !== 0 && value.type === 'scalar' && tnumIsConst(value.varOff) && value.varOff.value === 0n) preciseReg(ctx, valueRegno);
    if (write) stackWriteFixed(ctx, f, minOff, size, value, imm);
    else stackReadFixed(ctx, f, minOff, size, dst);
    return;
  }
  if (write) stackWriteVar(ctx, f, minOff, Number(r.smax) + off + size, value, imm);
  else stackReadVar(ctx, regno, r, off, size, dst);
}
