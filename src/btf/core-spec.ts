import { BpfError } from '../errno.js';
import type { Btf } from './btf.js';
import type { CoreReloKind } from './kinds.js';
import { BtfType, isComposite } from './types.js';

/**
 * A CO-RE access spec: what a relocation's access string (`0:1:2`) means
 * in one BTF, with libbpf's semantics. The first number indexes an array of
 * the root type (`&s->x` is `&s[0].x`); each later number is a member index
 * of a struct/union or an element index of an array.
 *
 * Two views are kept, as libbpf keeps them: `raw`, every step of the path
 * (including members of anonymous structs walked through), and `accessors`,
 * only the steps that carry meaning across BTFs — named members and array
 * indexes — which are what gets matched against another BTF.
 */
export interface Accessor {
  /** named member: the (modifier-free) struct/union; array step: the element type */
  typeId: number;
  /** member index or array index */
  idx: number;
  /** member (or, for enum relocations, enumerator) name; undefined for array steps */
  name?: string;
}

export interface CoreSpec {
  btf: Btf;
  /** the type the access starts from, as the relocation names it */
  rootId: number;
  kind: CoreReloKind;
  accessors: Accessor[];
  raw: number[];
  /** bit offset of the accessed field from the start of the root (field kinds) */
  bitOffset: number;
}

/** libbpf's BPF_CORE_SPEC_MAX_LEN: deeper access paths are refused. */
export const MAX_SPEC_LEN = 64;

export type KindFamily = 'field' | 'type' | 'enumval';

export function kindFamily(kind: CoreReloKind): KindFamily {
  if (kind.startsWith('field_')) return 'field';
  if (kind.startsWith('enumval_')) return 'enumval';
  return 'type';
}

/** `FIELD_BYTE_OFFSET`: the spelling of `enum bpf_core_relo_kind` without its BPF_CORE_ prefix. */
export function kindLabel(kind: CoreReloKind): string {
  return kind.toUpperCase();
}

function invalid(msg: string): BpfError {
  return new BpfError('EINVAL', msg);
}

/** `0:1:2` as numbers; anything but colon-separated decimal indexes is refused. */
function parseAccessString(access: string): number[] {
  if (!/^\d+(:\d+)*$/.test(access)) throw invalid(`access string '${access}' is not a list of indexes like 0:1:2`);
  const raw = access.split(':').map(Number);
  if (raw.length > MAX_SPEC_LEN) throw new BpfError('E2BIG', `access string '${access}' has ${raw.length} steps, more than ${MAX_SPEC_LEN}`);
  return raw;
}

/** The spec a relocation's access string denotes in the local (program's) BTF. */
export function parseLocalSpec(btf: Btf, rootId: number, access: string, kind: CoreReloKind): CoreSpec {
  const spec: CoreSpec = { btf, rootId, kind, accessors: [], raw: [], bitOffset: 0 };
  const family = kindFamily(kind);
  if (family === 'type') {
    // type relocations carry no path; clang always writes "0"
    if (access !== '0') throw invalid(`a type relocation's access string must be '0', not '${access}'`);
    return spec;
  }
  spec.raw = parseAccessString(access);
  const id = btf.skipModsAndTypedefs(rootId);
  if (family === 'enumval') return enumSpec(spec, id);
  const first = spec.raw[0]!;
  spec.accessors.push({ typeId: id, idx: first });
  spec.bitOffset = first * btf.resolveSize(id) * 8;
  let cur = id;
  for (let i = 1; i < spec.raw.length; i++) cur = step(spec, btf.skipModsAndTypedefs(cur), spec.raw[i]!, i);
  return spec;
}

function enumSpec(spec: CoreSpec, id: number): CoreSpec {
  const t = spec.btf.type(id);
  if (t.kind !== 'enum' && t.kind !== 'enum64') throw invalid(`an enum value relocation must start from an enum, not ${spec.btf.typeName(id)}`);
  const idx = spec.raw[0]!;
  if (spec.raw.length > 1 || idx >= t.values.length) {
    throw invalid(`enumerator index '${spec.raw.join(':')}' is out of range: ${spec.btf.typeName(id)} has ${t.values.length}`);
  }
  spec.accessors.push({ typeId: id, idx, name: t.values[idx]!.name });
  return spec;
}

/** One step of the local path from type `id`; returns the type the step reaches. */
function step(spec: CoreSpec, id: number, idx: number, at: number): number {
  const t = spec.btf.type(id);
  if (isComposite(t)) {
    const m = t.members[idx];
    if (m === undefined) throw invalid(`step ${at}: ${spec.btf.typeName(id)} has ${t.members.length} members, no member #${idx}`);
    spec.bitOffset += m.bitOffset;
    // anonymous members are walked through: only named ones are matched by name
    if (m.name !== '') spec.accessors.push({ typeId: id, idx, name: m.name });
    return m.type;
  }
  if (t.kind === 'array') {
    const elem = spec.btf.skipModsAndTypedefs(t.type);
    if (!isFlexArray(spec.btf, spec.accessors[spec.accessors.length - 1], t.nelems) && idx >= t.nelems) {
      throw invalid(`step ${at}: index ${idx} is outside ${spec.btf.typeName(id)}`);
    }
    spec.accessors.push({ typeId: elem, idx });
    spec.bitOffset += idx * spec.btf.resolveSize(elem) * 8;
    return elem;
  }
  throw invalid(`step ${at}: ${spec.btf.typeName(id)} has neither members nor elements`);
}

/**
 * A flexible array (`int data[];`, any index allowed): zero elements and the
 * last member of the struct the previous accessor named.
 */
export function isFlexArray(btf: Btf, prev: Accessor | undefined, nelems: number): boolean {
  if (prev?.name === undefined || nelems > 0) return false;
  const owner: BtfType = btf.type(prev.typeId);
  return isComposite(owner) && prev.idx === owner.members.length - 1;
}

/**
 * A spec in C terms, for messages: `struct task_struct.pid`,
 * `struct s[2].a[3]`, `enum color::RED`, or the bare type for type relocations.
 */
export function formatSpec(spec: CoreSpec): string {
  const root = spec.btf.typeName(spec.rootId);
  const family = kindFamily(spec.kind);
  if (family === 'type') return root;
  if (family === 'enumval') return `${root}::${spec.accessors[0]?.name ?? '?'}`;
  const path = spec.accessors.map((a, i) => (a.name !== undefined ? `.${a.name}` : i > 0 || a.idx > 0 ? `[${a.idx}]` : '')).join('');
  return `${root}${path}`;
}
