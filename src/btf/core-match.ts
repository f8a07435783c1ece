import { BpfError } from '../errno.js';
import type { Btf } from './btf.js';
import { essentialName, fieldsAreCompat, typesAreCompat, typesMatch } from './core-compat.js';
import { Accessor, CoreSpec, MAX_SPEC_LEN, isFlexArray, kindFamily } from './core-spec.js';
import { isComposite } from './types.js';

/**
 * Matching a local spec against one candidate target type (libbpf's
 * bpf_core_spec_match): the same access, expressed in the target BTF.
 * Named members are found by name (through anonymous structs and unions),
 * array indexes must be in the target's bounds, and the types met on the
 * way must be compatible. A candidate that does not fit gives a Mismatch
 * saying why, so a poisoned relocation can explain itself.
 */
export interface Mismatch {
  why: string;
  /** a member of the wanted name exists but its type does not fit */
  incompatible?: boolean;
}

export const isMismatch = (m: CoreSpec | Mismatch): m is Mismatch => 'why' in m;

export function matchSpec(local: CoreSpec, target: Btf, targId: number): CoreSpec | Mismatch {
  const spec: CoreSpec = { btf: target, rootId: targId, kind: local.kind, accessors: [], raw: [], bitOffset: 0 };
  const name = target.typeName(targId);
  switch (kindFamily(local.kind)) {
    case 'type':
      return matchType(local, spec) ? spec : { why: `${name} [${targId}] ${local.kind === 'type_matches' ? 'does not match' : 'has a different shape'}` };
    case 'enumval':
      return matchEnumerator(local, spec);
    case 'field':
      return matchField(local, spec);
  }
}

function matchType(local: CoreSpec, spec: CoreSpec): boolean {
  if (local.kind === 'type_matches') return typesMatch(local.btf, local.rootId, spec.btf, spec.rootId);
  return typesAreCompat(local.btf, local.rootId, spec.btf, spec.rootId);
}

/** The target enumerator with the local one's essential name. */
function matchEnumerator(local: CoreSpec, spec: CoreSpec): CoreSpec | Mismatch {
  const target = spec.btf;
  const id = target.skipModsAndTypedefs(spec.rootId);
  const t = target.type(id);
  if (t.kind !== 'enum' && t.kind !== 'enum64') return { why: `${target.typeName(id)} [${id}] is not an enum` };
  const want = essentialName(local.accessors[0]!.name!);
  const idx = t.values.findIndex((v) => essentialName(v.name) === want);
  if (idx < 0) return { why: `${target.typeName(id)} [${id}] has no enumerator ${want}` };
  spec.accessors.push({ typeId: id, idx, name: t.values[idx]!.name });
  spec.raw.push(idx);
  return spec;
}

function matchField(local: CoreSpec, spec: CoreSpec): CoreSpec | Mismatch {
  let id = spec.rootId;
  for (let i = 0; i < local.accessors.length; i++) {
    id = spec.btf.skipModsAndTypedefs(id);
    const acc = local.accessors[i]!;
    const next = acc.name !== undefined ? matchNamedMember(local.btf, acc, spec, id) : matchIndex(acc, spec, id, i);
    if (typeof next !== 'number') return next;
    id = next;
  }
  return spec;
}

/** An array step (or the root's index): the same index, within the target's bounds. */
function matchIndex(acc: Accessor, spec: CoreSpec, id: number, i: number): number | Mismatch {
  const target = spec.btf;
  if (i > 0) {
    // after the root, an index step must meet an array in the target too
    const t = target.type(id);
    if (t.kind !== 'array') return { why: `${target.typeName(id)} [${id}] is not an array` };
    if (!isFlexArray(target, spec.accessors[spec.accessors.length - 1], t.nelems) && acc.idx >= t.nelems) {
      return { why: `index ${acc.idx} is outside ${target.typeName(id)}` };
    }
    id = target.skipModsAndTypedefs(t.type);
  }
  pushRaw(spec, acc.idx);
  spec.accessors.push({ typeId: id, idx: acc.idx });
  spec.bitOffset += acc.idx * target.resolveSize(id) * 8;
  return id;
}

function pushRaw(spec: CoreSpec, idx: number): void {
  if (spec.raw.length >= MAX_SPEC_LEN) throw new BpfError('E2BIG', `the access path in the target is deeper than ${MAX_SPEC_LEN} steps`);
  spec.raw.push(idx);
}

/** A member found by name in a target struct/union, with the path that reaches it. */
interface Found {
  raw: number[];
  bitOffset: number;
  acc: Accessor;
  type: number;
}

/** A named member step: the member of that name in the target, if its type is compatible. */
function matchNamedMember(local: Btf, acc: Accessor, spec: CoreSpec, id: number): number | Mismatch {
  const owner = local.type(acc.typeId);
  const member = isComposite(owner) ? owner.members[acc.idx] : undefined;
  if (!member) throw new BpfError('EINVAL', `local accessor ${acc.name} does not name a member`);
  const found = findMember(local, member, spec.btf, id, spec.raw.length);
  if ('why' in found) return found;
  for (const r of found.raw) pushRaw(spec, r);
  spec.bitOffset += found.bitOffset;
  spec.accessors.push(found.acc);
  return found.type;
}

/**
 * Search struct/union `id` for a member named like `member`, descending into
 * anonymous members (a field of an embedded anonymous struct is reached
 * by its own name in C). The first member of that name decides: if its
 * type is incompatible, the search fails at that level.
 */
function findMember(local: Btf, member: { name: string; type: number }, target: Btf, id: number, depth: number): Found | Mismatch {
  id = target.skipModsAndTypedefs(id);
  const t = target.type(id);
  if (!isComposite(t)) return { why: `${target.typeName(id)} [${id}] has no members (looking for '${member.name}')` };
  let incompatible: Mismatch | undefined;
  for (let i = 0; i < t.members.length; i++) {
    if (depth >= MAX_SPEC_LEN) throw new BpfError('E2BIG', `the access path in the target is deeper than ${MAX_SPEC_LEN} steps`);
    const m = t.members[i]!;
    if (m.name === '') {
      const inner = findMember(local, member, target, m.type, depth + 1);
      if (!('why' in inner)) return { ...inner, raw: [i, ...inner.raw], bitOffset: m.bitOffset + inner.bitOffset };
      if (inner.incompatible) incompatible ??= inner;
      continue;
    }
    if (m.name !== member.name) continue;
    if (!fieldsAreCompat(local, member.type, target, m.type)) {
      const why = `member '${m.name}' of ${target.typeName(id)} [${id}] is ${target.typeName(m.type)}, incompatible with local ${local.typeName(member.type)}`;
      return { why, incompatible: true };
    }
    return { raw: [i], bitOffset: m.bitOffset, acc: { typeId: id, idx: i, name: m.name }, type: m.type };
  }
  return incompatible ?? { why: `${target.typeName(id)} [${id}] has no member '${member.name}'` };
}
