import { LINUX_HELPER_NAMES } from '../helpers/linux.js';
import { Insn } from '../isa/instruction.js';
import { MapFlags, MapType } from '../maps/map.js';
import { syncBounds } from './bounds.js';
import { Ctx, frameOf, preciseReg, regs, reject } from './context.js';
import { btfPtrAccess } from './btf-access.js';
import { checkPtrOffReg } from './ctx.js';
import { ArgSpec, COMPATIBLE, Proto, protoOf } from './helper-protos.js';
import { checkMapFuncCompat } from './map-compat.js';
import { mapAccessType } from './memory.js';
import { leaksPointer, readReg } from './operands.js';
import { CHANGES_PKT_DATA, checkPacketAccess, clearPacketPointers, directPacketAccess } from './packet.js';
import { regionAccess } from './region.js';
import { acquireRef, checkRefLeak, releaseRef } from './refs.js';
import { Reg, VerifierMap, isNull, pointer, setNotInit, setUnknown, typeStr } from './reg.js';
import { byteOf, spiOf, stackRangeForHelper } from './stack.js';
import { REG_SIZE, Slot, slotAt } from './state.js';
import { tnumIsConst } from './tnum.js';

/**
 * Helper calls (Linux's check_helper_call): the helper must exist and be
 * allowed for the program type; each argument register must match its
 * prototype — a map pointer, a pointer to initialised memory of the map's
 * key or value size, memory whose size is the next argument, the context,
 * a function …; then r1-r5 are clobbered and r0 gets the return type.
 */

/** What the arguments taught (Linux's bpf_call_arg_meta). */
interface Meta {
  map?: VerifierMap;
  /** the pointer argument of the last memory argument, checked when its size comes */
  memReg?: number;
  /** umax of the last size argument: bounds the return of *_str helpers */
  msizeMax: bigint;
  /** the constant key of a map lookup, when known (-1 otherwise) */
  constKey: bigint;
  memSize: number;
  refObjId: number;
  releaseRegno: number;
  /** the callback of bpf_loop / bpf_for_each_map_elem */
  subprog?: number;
}

/** Hook for helpers that call back into the program (calls.ts). */
export type CallbackHook = (ctx: Ctx, proto: Proto, meta: { map?: VerifierMap; subprog: number }) => void;

const MAX_ERRNO = 4095n;
const MAX_VAR_SIZ = 1n << 29n;

export function helperProto(ctx: Ctx, id: number): Proto {
  const name = id >= 0 && id < LINUX_HELPER_NAMES.length ? LINUX_HELPER_NAMES[id] : undefined;
  const label = `${name ? `bpf_${name}` : 'unknown'}#${id}`;
  if (!name) reject('EINVAL', `invalid func ${label}`);
  if (id === 0) reject('EINVAL', `program of this type cannot use helper ${label}`);
  if (ctx.progType && !ctx.progType.helpers.has(id)) {
    reject('EINVAL', `program of this type cannot use helper ${label}`, `${ctx.progType.name} programs may not call bpf_${name}`);
  }
  const def = ctx.helpers.get(id);
  const proto = def && protoOf(def);
  if (!proto) reject('EINVAL', `helper ${label} is not implemented by tsbpf`, 'tsbpf has no implementation of this Linux helper: do without it, or add it to src/helpers');
  return proto;
}

export function checkHelperCall(ctx: Ctx, ins: Insn, callback: CallbackHook): void {
  const proto = helperProto(ctx, ins.imm);
  const label = `bpf_${proto.name}#${proto.id}`;
  if (!ctx.gpl && proto.gplOnly) reject('EINVAL', 'cannot call GPL-restricted function from non-GPL compatible program', 'give the program a GPL-compatible license (e.g. char LICENSE[] SEC("license") = "GPL")');
  const meta: Meta = { msizeMax: 0n, constKey: -1n, memSize: 0, refObjId: 0, releaseRegno: 0 };
  for (let i = 0; i < 5; i++) {
    const arg = proto.args[i];
    if (arg) checkArg(ctx, proto, meta, arg, i + 1);
  }
  recordFuncMap(ctx, proto, meta);
  if (meta.releaseRegno) {
    const ok = meta.refObjId ? releaseRef(ctx, meta.refObjId) : isNull(regs(ctx)[meta.releaseRegno]!);
    if (!ok) reject('EINVAL', `func ${label} reference has not been acquired before`);
  }
  if (proto.id === 12) checkRefLeak(ctx, 'tail_call');
  if (meta.subprog !== undefined && (proto.id === 181 || proto.id === 164)) callback(ctx, proto, { map: meta.map, subprog: meta.subprog });
  const rs = regs(ctx);
  for (let r = 0; r <= 5; r++) {
    setNotInit(rs[r]!);
    ctx.scratch.regs |= 1 << r;
  }
  setReturn(ctx, proto, meta);
  if (meta.map) checkMapFuncCompat(meta.map, proto);
  if (CHANGES_PKT_DATA.has(proto.id)) clearPacketPointers(ctx);
}

/** What Linux checks once the map argument is known (record_func_map, record_func_key). */
function recordFuncMap(ctx: Ctx, proto: Proto, meta: Meta): void {
  const m = meta.map;
  if (m) ctx.noteCallMap(m);
  if (m && m.flags & MapFlags.RDONLY_PROG && [2, 3, 87, 88].includes(proto.id)) {
    reject('EACCES', 'write into map forbidden', 'the map was created with BPF_F_RDONLY_PROG: programs may only read it');
  }
  if (proto.id === 12 && (!m || m.type !== MapType.PROG_ARRAY)) {
    reject('EINVAL', 'expected prog array map for tail call', 'bpf_tail_call takes a BPF_MAP_TYPE_PROG_ARRAY map');
  }
}

function argMismatch(regno: number, r: Reg, kind: ArgSpec['kind']): never {
  reject('EACCES', `R${regno} type=${typeStr(r)} expected=${(COMPATIBLE[kind] ?? []).join(', ')}`, argHint(kind, regno));
}

function argHint(kind: ArgSpec['kind'], regno: number): string {
  switch (kind) {
    case 'CONST_MAP_PTR':
      return `pass the map (lddw r${regno}, map) as argument ${regno}`;
    case 'PTR_TO_MAP_KEY':
    case 'PTR_TO_MAP_VALUE':
    case 'PTR_TO_MEM':
    case 'PTR_TO_UNINIT_MEM':
      return `argument ${regno} must point to memory: usually a buffer on the stack (r${regno} = r10; r${regno} += -N)`;
    case 'PTR_TO_CTX':
      return `pass the context pointer (r1 at entry) as argument ${regno}`;
    case 'PTR_TO_ALLOC_MEM':
      return `pass the pointer bpf_ringbuf_reserve() returned (after its NULL check)`;
    default:
      return `argument ${regno} has the wrong type for this helper`;
  }
}

function checkArg(ctx: Ctx, proto: Proto, meta: Meta, arg: ArgSpec, regno: number): void {
  const r = readReg(ctx, regno);
  if (arg.kind === 'ANYTHING') {
    if (leaksPointer(ctx, r)) reject('EACCES', `R${regno} leaks addr into helper function`);
    return;
  }
  if ((r.type === 'pkt' || r.type === 'pkt_meta') && !directPacketAccess(ctx)) reject('EACCES', 'helper access to the packet is not allowed');
  if (isNull(r) && arg.maybeNull) preciseReg(ctx, regno);
  if (!(isNull(r) && arg.maybeNull)) {
    const ok = COMPATIBLE[arg.kind] ?? [];
    if (!ok.includes(typeStr(r))) argMismatch(regno, r, arg.kind);
    if (r.type === 'btf_id' && helperMayWrite(arg)) {
      reject('EACCES', `bpf_${proto.name}() may write into memory pointed by R${regno} type=${typeStr(r)}`, 'copy the kernel object\'s bytes to the stack first (bpf_probe_read_kernel) and pass the copy');
    }
    argRegOff(r, regno, arg);
  }
  if (arg.release) {
    if (!r.refObjId && !isNull(r)) reject('EINVAL', `R${regno} must be referenced when passed to release function`);
    meta.releaseRegno = regno;
  }
  if (r.refObjId) {
    if (meta.refObjId) reject('EFAULT', `more than one arg with ref_obj_id R${regno} ${r.refObjId} ${meta.refObjId}`);
    meta.refObjId = r.refObjId;
  }
  argValue(ctx, proto, meta, arg, regno, r);
}

/** Memory arguments a helper may write (all but read-only memory: Linux's mem args without MEM_RDONLY). */
const helperMayWrite = (arg: ArgSpec): boolean =>
  arg.kind === 'PTR_TO_MAP_KEY' || arg.kind === 'PTR_TO_MAP_VALUE' || arg.kind === 'PTR_TO_UNINIT_MEM' || (arg.kind === 'PTR_TO_MEM' && arg.write);

/** Offsets a pointer argument may carry (Linux's check_func_arg_reg_off). */
function argRegOff(r: Reg, regno: number, arg: ArgSpec): void {
  if (arg.release) {
    if (r.off) reject('EINVAL', `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
    checkPtrOffReg(r, regno);
    return;
  }
  if (['stack', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'scalar'].includes(r.type)) return;
  // a BTF pointer may point into its struct (a field), at a constant offset
  checkPtrOffReg(r, regno, r.type === 'btf_id');
}

function argValue(ctx: Ctx, proto: Proto, meta: Meta, arg: ArgSpec, regno: number, r: Reg): void {
  switch (arg.kind) {
    case 'CONST_MAP_PTR':
      meta.map = r.map;
      return;
    case 'PTR_TO_MAP_KEY':
      if (!meta.map) reject('EACCES', 'invalid map_ptr to access map->key');
      helperMemAccess(ctx, regno, meta.map.keySize, false, false, false);
      if (meta.map.type === MapType.ARRAY || meta.map.type === MapType.PERCPU_ARRAY) meta.constKey = constantMapKey(ctx, r, meta.map.keySize);
      return;
    case 'PTR_TO_MAP_VALUE':
      if (arg.maybeNull && isNull(r)) return;
      if (!meta.map) reject('EACCES', 'invalid map_ptr to access map->value');
      helperMemAccess(ctx, regno, meta.map.valueSize, arg.write, false, arg.uninit);
      return;
    case 'PTR_TO_FUNC':
      meta.subprog = r.subprog;
      return;
    case 'PTR_TO_MEM':
    case 'PTR_TO_UNINIT_MEM':
      meta.memReg = regno;
      return;
    case 'CONST_SIZE':
    case 'CONST_SIZE_OR_ZERO':
      return sizeArg(ctx, proto, meta, regno, r, arg.kind === 'CONST_SIZE_OR_ZERO');
    case 'CONST_ALLOC_SIZE_OR_ZERO':
      if (!tnumIsConst(r.varOff)) reject('EACCES', `R${regno} is not a known constant'`, 'reserve a constant number of bytes');
      meta.memSize = Number(r.varOff.value);
      preciseReg(ctx, regno);
      return;
    case 'PTR_TO_LONG':
      helperMemAccess(ctx, regno, 8, true, false, true);
      return;
    case 'PTR_TO_CONST_STR':
      return constString(r, regno);
    default:
      return;
  }
}

/** A size argument: bounded, non-negative, and the memory before it must be accessible for all of it. */
function sizeArg(ctx: Ctx, proto: Proto, meta: Meta, regno: number, r: Reg, zeroOk: boolean): void {
  meta.msizeMax = r.umax;
  if (r.smin < 0n) reject('EACCES', `R${regno} min value is negative, either use unsigned or 'var &= const'`, `make the size in R${regno} unsigned, or bound it with \`size &= MAX\``);
  if (r.umin === 0n && !zeroOk) {
    reject('EACCES', `R${regno} invalid zero-sized read: u64=[${r.umin},${r.umax}]`, `this helper needs a size of at least 1: check \`if (size == 0) return\` or make it a constant`);
  }
  if (r.umax >= MAX_VAR_SIZ) reject('EACCES', `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`, `bound the size in R${regno} before the call, e.g. \`if (size > sizeof(buf)) return\``);
  const mem = proto.args[regno - 2];
  const exact = tnumIsConst(r.varOff);
  helperMemAccess(ctx, regno - 1, Number(r.umax), mem?.write ?? false, zeroOk, (mem?.uninit ?? false) && exact);
  // the access was checked for the largest size only: the size's bounds decided it
  preciseReg(ctx, regno);
}

/**
 * Memory a helper reads or writes through the pointer in `regno` (Linux's
 * check_helper_mem_access): within the pointer's region, and on the stack
 * initialised unless the helper only writes it.
 */
function helperMemAccess(ctx: Ctx, regno: number, size: number, write: boolean, zeroOk: boolean, uninit: boolean): void {
  const r = regs(ctx)[regno]!;
  switch (r.type) {
    case 'pkt':
    case 'pkt_meta':
      return checkPacketAccess(regno, r, r.off, size, zeroOk);
    case 'map_key':
      if (write) reject('EACCES', `R${regno} cannot write into ${typeStr(r)}`);
      return regionAccess(regno, r, r.off, size, r.map!.keySize, false, 'map key');
    case 'map_value':
      mapAccessType(r, r.off, size, write, regno);
      return regionAccess(regno, r, r.off, size, r.map!.valueSize, zeroOk, 'map value');
    case 'mem':
      if (r.rdonly && write) reject('EACCES', `R${regno} cannot write into ${typeStr(r)}`);
      return regionAccess(regno, r, r.off, size, r.memSize, zeroOk, 'memory region');
    case 'stack':
      return stackRangeForHelper(ctx, regno, r, size, zeroOk, write, uninit);
    case 'btf_id':
      return btfPtrAccess(ctx, regno, r, r.off, size, write, undefined, ctx.ctxBtf!.btf);
    default:
      if (zeroOk && size === 0 && isNull(r)) return;
      reject('EACCES', `R${regno} type=${typeStr(r)} expected=fp`);
  }
}

/** The key of an array lookup when it is a known constant on the stack (Linux's get_constant_map_key). */
function constantMapKey(ctx: Ctx, key: Reg, keySize: number): bigint {
  if (!ctx.priv || key.type !== 'stack' || !tnumIsConst(key.varOff)) return -1n;
  const off = key.off + Number(BigInt.asIntN(64, key.varOff.value));
  const spi = spiOf(off);
  const j = byteOf(off);
  const s = slotAt(frameOf(ctx, key), spi);
  ctx.noteStackRead(key.frameno, spi);
  let zeros = 0;
  for (let i = j; i >= 0 && s.types[i] === Slot.ZERO; i--) zeros++;
  if (zeros >= keySize) return 0n;
  if (s.types[REG_SIZE - 1] !== Slot.SPILL || s.spilled.type !== 'scalar') return -1n;
  let spill = 0;
  for (let i = j; i >= 0 && s.types[i] === Slot.SPILL; i--) spill++;
  if (spill !== keySize || !tnumIsConst(s.spilled.varOff)) return -1n;
  ctx.markPrecise([{ frame: key.frameno, spi }]);
  return BigInt.asIntN(64, s.spilled.varOff.value);
}

/** A format string argument: in a read-only, frozen map, at a constant offset, NUL-terminated. */
function constString(r: Reg, regno: number): void {
  const m = r.map!;
  if (!(m.frozen && m.flags & 0x80)) reject('EACCES', `R${regno} does not point to a readonly map'`, 'put the format string in a const global (.rodata), which libbpf freezes');
  if (!tnumIsConst(r.varOff)) reject('EACCES', `R${regno} is not a constant address'`);
  const at = r.off + Number(r.varOff.value);
  if (!m.data) return;
  if (at >= m.valueSize || m.data.subarray(at).indexOf(0) < 0) reject('EINVAL', 'string is not zero-terminated');
}

function setReturn(ctx: Ctx, proto: Proto, meta: Meta): void {
  const rs = regs(ctx);
  switch (proto.ret) {
    case 'INTEGER':
      setUnknown(rs[0]!);
      refineReturn(rs[0]!, proto, meta);
      return;
    case 'VOID':
      setNotInit(rs[0]!);
      return;
    case 'PTR_TO_MAP_VALUE_OR_NULL': {
      const m = meta.map!;
      const known = proto.id === 1 && meta.constKey >= 0n && meta.constKey < BigInt(m.maxEntries) && (m.type === MapType.ARRAY || m.type === MapType.PERCPU_ARRAY);
      rs[0] = pointer('map_value', { map: m, maybeNull: !known });
      if (!known) rs[0]!.id = ctx.newId();
      return;
    }
    case 'PTR_TO_ALLOC_MEM_OR_NULL': {
      const r = pointer('mem', { ringbuf: true, maybeNull: true, memSize: meta.memSize });
      r.id = ctx.newId();
      const id = acquireRef(ctx);
      r.id = id;
      r.refObjId = id;
      rs[0] = r;
      return;
    }
    default:
      reject('EINVAL', `helper bpf_${proto.name}#${proto.id}: return type ${proto.ret} is not supported by tsbpf's verifier`);
  }
}

/** Helpers whose result is bounded by their size argument, or is an errno. */
function refineReturn(r: Reg, proto: Proto, meta: Meta): void {
  if (![45, 67, 114, 115, 141].includes(proto.id)) return;
  r.smax = BigInt.asIntN(64, meta.msizeMax);
  r.s32max = BigInt.asIntN(32, meta.msizeMax);
  r.smin = -MAX_ERRNO;
  r.s32min = -MAX_ERRNO;
  syncBounds(r);
}
