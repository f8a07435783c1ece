import { BpfError } from '../errno.js';
import type { Btf } from '../btf/btf.js';
import type { BtfType, Member, StructType } from '../btf/types.js';
import { Ctx, VerifierError, reject, reject2 } from './context.js';
import { tnumLog } from './log.js';
import { BtfRef, BtfTrust, Reg, assignReg, pointer, setUnknown } from './reg.js';
import { tnumIsConst } from './tnum.js';

/**
 * Tracing with types (Linux's PTR_TO_BTF_ID): a register may point to a
 * kernel-style object described by a BTF struct. Loads through it are
 * checked against the struct's members (btf_struct_walk): a scalar member
 * gives a scalar, a pointer to a struct gives PTR_TO_BTF_ID of that struct
 * again (`a->b->c`), anything else is refused with Linux's messages. Such
 * loads never fault at run time: Linux rewrites them into PROBE_MEM loads
 * that read zero where memory is missing, and the verifier reports them
 * (VerifyResult.probeLoads) so that an engine can do the same.
 *
 * Two kinds of context carry BTF (VerifyEnv.ctxBtf): tp_btf / raw_tp with
 * BTF, whose context is an array of u64 arguments of known types
 * (btf_ctx_access), and a context that is itself a BTF struct, read-only.
 */

/** A context described by BTF. */
export interface CtxBtf {
  btf: Btf;
  /** the context is an array of u64 arguments of these types (tp_btf: the tracepoint's, without `void *__data`) */
  args?: readonly number[];
  /** the function (tracepoint) the arguments are of, for messages */
  func?: string;
  /** the context is this BTF struct (read-only) */
  struct?: number;
}

/**
 * The arguments of tracepoint `name` as a tp_btf program sees them: the
 * parameters of vmlinux's `btf_trace_<name>` after its `void *__data`.
 */
export function tracepointArgs(btf: Btf, name: string): CtxBtf {
  const id = btf.find(`btf_trace_${name}`, 'typedef');
  if (id === undefined) throw new BpfError('ENOENT', `tracepoint ${name}: BTF has no typedef btf_trace_${name}`);
  const ptr = btf.type(btf.skipModsAndTypedefs(id));
  const proto = ptr.kind === 'ptr' ? btf.type(ptr.type) : ptr;
  if (proto.kind !== 'func_proto' || proto.params.length < 1) throw new BpfError('EINVAL', `tracepoint ${name}: btf_trace_${name} is not a pointer to a function taking void *__data`);
  return { btf, args: proto.params.slice(1).map((p) => p.type), func: name };
}

/** One BtfRef per (BTF, type id), so that registers can compare them by identity. */
const refs = new WeakMap<Btf, Map<number, BtfRef>>();

function btfRef(btf: Btf, id: number): BtfRef {
  let m = refs.get(btf);
  if (!m) refs.set(btf, (m = new Map()));
  let r = m.get(id);
  if (!r) m.set(id, (r = { id, name: btf.type(id).name }));
  return r;
}

/** A PTR_TO_BTF_ID register to struct `id`. */
export function btfPointer(btf: Btf, id: number, trust: BtfTrust, fields: Partial<Reg> = {}): Reg {
  return pointer('btf_id', { btf: btfRef(btf, id), trust, ...fields });
}

const BAD_CTX = (off: number, size: number): string => `invalid bpf_context access off=${off} size=${size}`;

/**
 * A load from a context of u64 arguments (tp_btf): which argument, and
 * what it holds — a scalar, or a trusted pointer to a struct.
 */
export function ctxArgAccess(ctx: Ctx, cb: CtxBtf, off: number, size: number, write: boolean, dst: Reg | undefined): void {
  const args = cb.args!;
  const fn = cb.func ?? '';
  if (write || off < 0 || off >= 8 * 12 || off % size !== 0) reject('EACCES', BAD_CTX(off, size), 'tracing contexts are read-only: read the arguments with loads aligned to their size');
  const arg = argIndex(cb.btf, args, off);
  if (arg >= args.length) {
    reject2('EACCES', `func '${fn}' doesn't have ${arg + 1}-th argument`, BAD_CTX(off, size), `the function has ${args.length} arguments, at offsets 0 to ${8 * args.length - 8}`);
  }
  const btf = cb.btf;
  const t = btf.type(btf.skipModsAndTypedefs(args[arg]!));
  if (t.kind !== 'ptr') {
    if (dst) setUnknown(dst);
    return;
  }
  const target = btf.skipModsAndTypedefs(t.type);
  const tt = btf.type(target);
  // void * and pointers to integers are numbers to the verifier
  if (t.type === 0 || tt.kind === 'int' || tt.kind === 'enum' || tt.kind === 'enum64') {
    if (dst) setUnknown(dst);
    return;
  }
  if (tt.kind !== 'struct' && tt.kind !== 'union') {
    reject2('EACCES', `func '${fn}' arg${arg} type ${kindStr(t)} is not a struct`, BAD_CTX(off, size));
  }
  if (size !== 8) reject2('EACCES', `func '${fn}' size ${size} must be 8`, BAD_CTX(off, size), 'load a pointer argument with an 8-byte load');
  ctx.log.write(`func '${fn}' arg${arg} has btf_id ${target} type ${kindStr(tt)} '${tt.name}'\n`);
  if (dst) assignReg(dst, btfPointer(btf, target, 'trusted_'));
}

/**
 * The argument at byte `off` (Linux's get_ctx_arg_idx over the prototype
 * with its `void *__data`, each argument taking whole u64 slots): an index
 * into `args`, or one past the arguments and the return value when beyond.
 */
function argIndex(btf: Btf, args: readonly number[], off: number): number {
  let end = 8;
  if (off < end) return 0;
  for (let i = 0; i < args.length; i++) {
    end += slotBytes(btf, args[i]!);
    if (off < end) return i + 1;
  }
  return args.length + 2;
}

function slotBytes(btf: Btf, id: number): number {
  const t = btf.type(btf.skipModsAndTypedefs(id));
  return t.kind === 'ptr' ? 8 : Math.ceil(btf.resolveSize(id) / 8) * 8;
}

/**
 * A context description must name types its BTF has, with sizes (checked
 * once, before verification, so that no walk meets a missing type).
 */
export function checkCtxBtf(cb: CtxBtf): void {
  const bad = (what: string, e: unknown): never => {
    throw new VerifierError('EINVAL', `ctxBtf: ${what}: ${(e as Error).message}`, 'describe the context with types of the BTF given');
  };
  cb.args?.forEach((id, i) => {
    try {
      slotBytes(cb.btf, id);
    } catch (e) {
      bad(`argument ${i} (type [${id}])`, e);
    }
  });
  if (cb.struct === undefined) return;
  try {
    const t = cb.btf.type(cb.btf.skipModsAndTypedefs(cb.struct));
    if (t.kind !== 'struct' && t.kind !== 'union') throw new Error(`[${cb.struct}] is a ${t.kind}, not a struct`);
  } catch (e) {
    bad(`context struct [${cb.struct}]`, e);
  }
}

const kindStr = (t: BtfType): string => t.kind.toUpperCase();

/**
 * A load from a context that is a BTF struct: the struct's members, read
 * only; pointers to structs in it are trusted like a tracepoint's arguments.
 */
export function ctxStructAccess(cb: CtxBtf, off: number, size: number, write: boolean, dst: Reg | undefined): void {
  if (write) reject('EACCES', BAD_CTX(off, size), 'this context is read-only');
  const found = structAccess(cb.btf, cb.struct!, off, size, false);
  if (!dst) return;
  if (found.kind === 'scalar') setUnknown(dst);
  else assignReg(dst, btfPointer(cb.btf, found.id, 'trusted_'));
}

/** A load or store through a PTR_TO_BTF_ID register (Linux's check_ptr_to_btf_access). */
export function btfPtrAccess(ctx: Ctx, regno: number, r: Reg, off: number, size: number, write: boolean, dst: Reg | undefined, btf: Btf): void {
  const name = r.btf!.name;
  if (!ctx.priv) reject('EPERM', `'struct ${name}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN`);
  if (!ctx.gpl) reject('EINVAL', `Cannot access kernel 'struct ${name}' from non-GPL compatible program`, 'give the program a GPL-compatible license (char LICENSE[] SEC("license") = "GPL")');
  if (off < 0) reject('EACCES', `R${regno} is ptr_${name} invalid negative access: off=${off}`, 'fields of a struct are at offsets from 0 up');
  if (!tnumIsConst(r.varOff) || r.varOff.value) {
    reject('EACCES', `R${regno} is ptr_${name} invalid variable offset: off=${off}, var_off=${tnumLog(r.varOff)}`, 'access struct fields at constant offsets');
  }
  if (r.trust === 'user_') reject('EACCES', `R${regno} is ptr_${name} access user memory: off=${off}`, 'read user memory with bpf_probe_read_user()');
  if (r.trust === 'percpu_') reject('EACCES', `R${regno} is ptr_${name} access percpu memory: off=${off}`);
  if (write) reject('EACCES', 'only read is supported', 'kernel objects seen through BTF are read-only to tracing programs');
  const found = structAccess(btf, r.btf!.id, off, size, r.trust === 'untrusted_');
  // (a helper's read is its own business: only the program's loads become probe reads)
  if (!dst) return;
  ctx.noteProbeLoad();
  if (found.kind === 'scalar') {
    setUnknown(dst);
    return;
  }
  const trust = memberTrust(btf, r, found);
  assignReg(dst, btfPointer(btf, found.id, trust.flag, trust.maybeNull ? { maybeNull: true, id: ctx.newId() } : {}));
}

/** What a walk found at the accessed bytes: a scalar, or a pointer to struct `id` from member `field`. */
type Found = { kind: 'scalar' } | { kind: 'ptr'; id: number; field: string; tag: BtfTrust };

/**
 * Linux's btf_struct_walk: find the member the access lands in, diving into
 * embedded structs and arrays; the access must stay within one scalar
 * member, or be exactly one pointer member.
 */
export function structAccess(btf: Btf, id: number, off: number, size: number, untrusted: boolean): Found {
  let t = btf.type(btf.skipModsAndTypedefs(id));
  for (let depth = 0; depth < 64; depth++) {
    if (t.kind !== 'struct' && t.kind !== 'union') reject('EINVAL', `Type '${t.name}' is not a struct`);
    const step = walkStep(btf, t, off, size, untrusted);
    if (step.kind !== 'struct') return step;
    t = btf.type(step.id);
    off = step.off;
  }
  return reject('EINVAL', `struct ${t.name} nests too deep`);
}

type Step = Found | { kind: 'struct'; id: number; off: number };

function walkStep(btf: Btf, t: StructType, off: number, size: number, untrusted: boolean): Step {
  if (off + size > t.size) reject('EACCES', `access beyond struct ${t.name} at off ${off} size ${size}`, `read inside the struct: struct ${t.name} has ${t.size} bytes`);
  for (const m of t.members) {
    const moff = Math.floor(m.bitOffset / 8);
    if (off + size <= moff) break;
    if (m.bitfieldSize) {
      // a load that covers the whole bitfield reads it; else it may be the next member's
      if (off <= moff && Math.ceil((m.bitOffset + m.bitfieldSize) / 8) <= off + size) return { kind: 'scalar' };
      continue;
    }
    // a hole before this member
    if (off < moff) break;
    const step = memberStep(btf, t, m, moff, off, size, untrusted);
    if (step) return step;
  }
  return reject('EINVAL', `struct ${t.name} doesn't have field at offset ${off}`);
}

/** The access within member `m` (at byte `moff`), or undefined when it lies past the member. */
function memberStep(btf: Btf, t: StructType, m: Member, moff: number, off: number, size: number, untrusted: boolean): Step | undefined {
  let msize: number;
  try {
    msize = btf.resolveSize(m.type);
  } catch {
    return reject('EFAULT', `field ${m.name} doesn't have size`);
  }
  const mend = moff + msize;
  if (off >= mend) return undefined;
  let mid = btf.skipModsAndTypedefs(m.type);
  let mt = btf.type(mid);
  let start = moff;
  if (mt.kind === 'array') {
    // an array: the element the access starts in (arrays of arrays flattened)
    let elems = 1;
    while (mt.kind === 'array') {
      elems *= mt.nelems;
      mid = btf.skipModsAndTypedefs(mt.type);
      mt = btf.type(mid);
    }
    if (moff === mend || elems === 0) return undefined;
    const esize = msize / elems;
    start = moff + Math.floor((off - moff) / esize) * esize;
  }
  if (mt.kind === 'struct' || mt.kind === 'union') return { kind: 'struct', id: mid, off: off - start };
  if (mt.kind === 'ptr') {
    const psize = btf.pointerSize;
    if (size !== psize || off !== start) {
      reject('EACCES', `cannot access ptr member ${m.name} with moff ${start} in struct ${t.name} with off ${off} size ${size}`, 'load a pointer member whole, with an 8-byte load at its offset');
    }
    const tag = pointeeTag(btf, mt.type);
    const target = btf.skipModsAndTypedefs(mt.type);
    const tt = btf.type(target);
    if (tt.kind === 'struct' || tt.kind === 'union') return { kind: 'ptr', id: target, field: m.name, tag };
    return { kind: 'scalar' };
  }
  if (off + size > mend && !untrusted) {
    reject('EACCES', `access beyond the end of member ${m.name} (mend:${mend}) in struct ${t.name} with off ${off} size ${size}`, `read within one member: ${m.name} has ${msize} bytes, from offset ${moff}`);
  }
  return { kind: 'scalar' };
}

/** The `__rcu` / `__user` / `__percpu` tag of a pointer's target (btf_type_tag), as a trust flag. */
function pointeeTag(btf: Btf, id: number): BtfTrust {
  const t = btf.type(id);
  if (t.kind !== 'type_tag' || t.attr) return '';
  return t.name === 'rcu' ? 'rcu_' : t.name === 'user' ? 'user_' : t.name === 'percpu' ? 'percpu_' : '';
}

/**
 * How far a pointer loaded from a struct is trusted (Linux's rules in
 * check_ptr_to_btf_access). Walking a trusted or RCU pointer keeps trust
 * only for members Linux lists as safe — the kernel's BTF carries the lists
 * as structs named `<struct>__safe_trusted`, `__safe_trusted_or_null`,
 * `__safe_rcu`, `__safe_rcu_or_null` — or for `__rcu` members (which may be
 * NULL); an untrusted pointer stays untrusted; anything else gives the
 * plain pointer of old. Tracing programs run in an RCU read section (they
 * do not sleep), which these rules assume.
 */
function memberTrust(btf: Btf, parent: Reg, found: Extract<Found, { kind: 'ptr' }>): { flag: BtfTrust; maybeNull: boolean } {
  if (parent.trust === 'untrusted_') return { flag: 'untrusted_', maybeNull: false };
  if (parent.trust !== 'trusted_' && parent.trust !== 'rcu_') return { flag: '', maybeNull: false };
  const listed = (suffix: string): boolean => safeMember(btf, parent.btf!, `__safe_${suffix}`, found.field, found.id);
  if (listed('trusted')) return { flag: 'trusted_', maybeNull: false };
  if (listed('trusted_or_null')) return { flag: 'trusted_', maybeNull: true };
  if (listed('rcu')) return { flag: 'rcu_', maybeNull: false };
  if (found.tag === 'rcu_' || listed('rcu_or_null')) return { flag: 'rcu_', maybeNull: true };
  if (found.tag === 'user_' || found.tag === 'percpu_') return { flag: found.tag, maybeNull: false };
  return { flag: '', maybeNull: false };
}

/** Whether `<parent name><suffix>` has a pointer member `field` to struct `id` (btf_nested_type_is_trusted). */
function safeMember(btf: Btf, parent: BtfRef, suffix: string, field: string, id: number): boolean {
  const safe = btf.find(`${parent.name}${suffix}`, btf.type(parent.id).kind);
  if (safe === undefined) return false;
  const st = btf.type(safe);
  if (st.kind !== 'struct' && st.kind !== 'union') return false;
  return st.members.some((m) => {
    const mt = btf.type(m.type);
    return m.name === field && mt.kind === 'ptr' && btf.skipModsAndTypedefs(mt.type) === id;
  });
}
