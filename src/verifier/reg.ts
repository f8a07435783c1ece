import { Bounds, S32_MAX, S32_MIN, S64_MAX, S64_MIN, copyBounds, markKnown, markUnknown, syncBounds } from './bounds.js';
import { TNUM_UNKNOWN, U32_MAX, U64_MAX } from './tnum.js';
import { tnumIsConst } from './tnum.js';

/**
 * The abstract value of one register, as Linux's `struct bpf_reg_state`:
 * a type, and for pointers a fixed offset `off` plus a variable offset (the
 * Bounds, which for a scalar are the value itself).
 */
export type RegType =
  | 'not_init'
  | 'scalar'
  | 'ctx'
  | 'stack'
  | 'map_ptr'
  | 'map_value'
  | 'map_key'
  | 'pkt'
  | 'pkt_meta'
  | 'pkt_end'
  | 'mem'
  | 'func'
  | 'sock_common'
  /** PTR_TO_BTF_ID: a kernel-style object described by a BTF struct (btf-access.ts) */
  | 'btf_id';

/** What the verifier knows of a map a register refers to. */
export interface VerifierMap {
  /** how the program named it: its index in the env's map list */
  index: number;
  /** the Runtime's id, when known */
  id?: number;
  name?: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** frozen (as libbpf freezes .rodata): with BPF_F_RDONLY_PROG, loads at constant offsets read `data` */
  frozen?: boolean;
  /** the value of element 0, for global-data maps */
  data?: Uint8Array;
  /** the map every element of a map-in-map must match */
  inner?: VerifierMap;
}

export type AddConst = 0 | 32 | 64;

/** The BTF struct a PTR_TO_BTF_ID points to: one object per type, so registers compare it by identity. */
export interface BtfRef {
  id: number;
  name: string;
}

/**
 * How far a PTR_TO_BTF_ID may be trusted, as the prefix Linux prints
 * (PTR_TRUSTED, MEM_RCU, PTR_UNTRUSTED, MEM_USER, MEM_PERCPU; '' for the
 * plain, "deprecated" kind that walking an unknown pointer gives).
 */
export type BtfTrust = '' | 'trusted_' | 'rcu_' | 'untrusted_' | 'user_' | 'percpu_';

export interface Reg extends Bounds {
  type: RegType;
  /** the `_or_null` variants: may be NULL until a null check */
  maybeNull: boolean;
  /** MEM_RDONLY: a pointer to memory the program may only read */
  rdonly: boolean;
  /** MEM_RINGBUF: a ring buffer reservation */
  ringbuf: boolean;
  /** the fixed part of a pointer's offset */
  off: number;
  /**
   * Pointers: registers with the same id are copies of one pointer (a null
   * check or a packet range check applies to all). Scalars: copies of one
   * value, so a comparison narrows all of them.
   */
  id: number;
  /** the id of the acquired reference this pointer is (ringbuf reservations) */
  refObjId: number;
  map: VerifierMap | undefined;
  /** PTR_TO_PACKET*: bytes past `off` known to be before data_end */
  range: number;
  /** PTR_TO_MEM: bytes of the region */
  memSize: number;
  /** PTR_TO_STACK: the frame it points into */
  frameno: number;
  /** PTR_TO_FUNC: the first instruction of the function */
  subprog: number;
  /** PTR_TO_BTF_ID: the struct pointed to, and how far it is trusted */
  btf: BtfRef | undefined;
  trust: BtfTrust;
  /** a scalar whose exact value decides a verdict: pruning compares it exactly */
  precise: boolean;
  /**
   * a scalar linked to the others of its id plus the constant `off`
   * (Linux's BPF_ADD_CONST64), or so in its low 32 bits with the high half
   * zero (BPF_ADD_CONST32, made by a 32-bit add); 0: a plain copy
   */
  addConst: AddConst;
}

/**
 * Every register is made by this one object literal (and copied by
 * cloneReg, which lists the same fields in the same order), so that all
 * registers share one hidden class: the verifier makes millions of them.
 */
function make(type: RegType, v: bigint | undefined): Reg {
  const k = v !== undefined;
  const x = k ? BigInt.asUintN(64, v) : 0n;
  return {
    varOff: k ? { value: x, mask: 0n } : TNUM_UNKNOWN,
    umin: x,
    umax: k ? x : U64_MAX,
    smin: k ? BigInt.asIntN(64, x) : S64_MIN,
    smax: k ? BigInt.asIntN(64, x) : S64_MAX,
    u32min: k ? BigInt.asUintN(32, x) : 0n,
    u32max: k ? BigInt.asUintN(32, x) : U32_MAX,
    s32min: k ? BigInt.asIntN(32, x) : S32_MIN,
    s32max: k ? BigInt.asIntN(32, x) : S32_MAX,
    type,
    maybeNull: false,
    rdonly: false,
    ringbuf: false,
    off: 0,
    id: 0,
    refObjId: 0,
    map: undefined,
    range: 0,
    memSize: 0,
    frameno: 0,
    subprog: 0,
    btf: undefined,
    trust: '',
    precise: false,
    addConst: 0,
  };
}

export function cloneReg(r: Reg): Reg {
  return {
    varOff: r.varOff,
    umin: r.umin,
    umax: r.umax,
    smin: r.smin,
    smax: r.smax,
    u32min: r.u32min,
    u32max: r.u32max,
    s32min: r.s32min,
    s32max: r.s32max,
    type: r.type,
    maybeNull: r.maybeNull,
    rdonly: r.rdonly,
    ringbuf: r.ringbuf,
    off: r.off,
    id: r.id,
    refObjId: r.refObjId,
    map: r.map,
    range: r.range,
    memSize: r.memSize,
    frameno: r.frameno,
    subprog: r.subprog,
    btf: r.btf,
    trust: r.trust,
    precise: r.precise,
    addConst: r.addConst,
  };
}

/** Make `to` a copy of `from` (Linux's copy_register_state). */
export function assignReg(to: Reg, from: Reg): void {
  copyBounds(to, from);
  to.type = from.type;
  to.maybeNull = from.maybeNull;
  to.rdonly = from.rdonly;
  to.ringbuf = from.ringbuf;
  to.off = from.off;
  to.id = from.id;
  to.refObjId = from.refObjId;
  to.map = from.map;
  to.range = from.range;
  to.memSize = from.memSize;
  to.frameno = from.frameno;
  to.subprog = from.subprog;
  to.btf = from.btf;
  to.trust = from.trust;
  to.precise = from.precise;
  to.addConst = from.addConst;
}

export function notInit(): Reg {
  return make('not_init', undefined);
}

export function unknownScalar(): Reg {
  return make('scalar', undefined);
}

export function constScalar(v: bigint): Reg {
  return make('scalar', v);
}

/** A pointer of `type` at fixed offset `off`, with no variable part. */
export function pointer(type: RegType, fields: Partial<Reg> = {}): Reg {
  const r = make(type, 0n);
  Object.assign(r, fields);
  return r;
}

/** Clear everything but the bounds (which the caller sets). */
function reset(r: Reg, type: RegType): void {
  r.type = type;
  r.maybeNull = false;
  r.rdonly = false;
  r.ringbuf = false;
  r.off = 0;
  r.id = 0;
  r.refObjId = 0;
  r.map = undefined;
  r.range = 0;
  r.memSize = 0;
  r.frameno = 0;
  r.subprog = 0;
  r.btf = undefined;
  r.trust = '';
  r.precise = false;
  r.addConst = 0;
}

export function setUnknown(r: Reg): void {
  reset(r, 'scalar');
  markUnknown(r);
}

export function setConst(r: Reg, v: bigint): void {
  reset(r, 'scalar');
  markKnown(r, v);
}

export function setNotInit(r: Reg): void {
  reset(r, 'not_init');
  markUnknown(r);
}

export const isScalar = (r: Reg): boolean => r.type === 'scalar';
export const isPointer = (r: Reg): boolean => r.type !== 'scalar' && r.type !== 'not_init';
export const isConstReg = (r: Reg): boolean => r.type === 'scalar' && tnumIsConst(r.varOff);
export const isPkt = (r: Reg): boolean => r.type === 'pkt' || r.type === 'pkt_meta';
/** A scalar known to be zero: NULL, as a helper argument or a comparison operand. */
export const isNull = (r: Reg): boolean => r.type === 'scalar' && tnumIsConst(r.varOff) && r.varOff.value === 0n;

const TYPE_STR: Record<RegType, string> = {
  not_init: '?',
  scalar: 'scalar',
  ctx: 'ctx',
  stack: 'fp',
  map_ptr: 'map_ptr',
  map_value: 'map_value',
  map_key: 'map_key',
  pkt: 'pkt',
  pkt_meta: 'pkt_meta',
  pkt_end: 'pkt_end',
  mem: 'mem',
  func: 'func',
  sock_common: 'sock_common',
  btf_id: 'ptr_',
};

/** The type as Linux's reg_type_str names it: 'map_value_or_null', 'rdonly_mem', 'ringbuf_mem_or_null'. */
export function typeStr(r: Pick<Reg, 'type' | 'maybeNull' | 'rdonly' | 'ringbuf'> & Partial<Pick<Reg, 'trust'>>): string {
  // a BTF pointer: "trusted_ptr_", "rcu_ptr_or_null_" (the state log adds the struct's name)
  if (r.type === 'btf_id') return `${r.trust ?? ''}ptr_${r.maybeNull ? 'or_null_' : ''}`;
  return `${r.rdonly ? 'rdonly_' : ''}${r.ringbuf ? 'ringbuf_' : ''}${TYPE_STR[r.type]}${r.maybeNull ? '_or_null' : ''}`;
}

/** Re-derive all bounds of a register after editing some of them. */
export function syncReg(r: Reg): void {
  syncBounds(r);
}

/**
 * Before a scalar is copied (mov, spill, fill): give it an id its copies
 * share (Linux's assign_scalar_id_before_mov). A register already linked
 * with a constant offset starts a new link, as only one offset is tracked.
 */
export function linkForCopy(r: Reg, ids: { newId(): number }): void {
  if (r.type !== 'scalar') return;
  if (r.addConst) {
    r.id = 0;
    r.off = 0;
    r.addConst = 0;
  }
  if (!r.id && !tnumIsConst(r.varOff)) r.id = ids.newId();
}
