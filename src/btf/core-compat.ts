import { BpfError } from '../errno.js';
import type { Btf } from './btf.js';
import { BtfType, isComposite } from './types.js';

/**
 * libbpf's CO-RE compatibility rules between a local (program) type and a
 * target type. Three relations, each for its own relocation family:
 *
 * - kindsCompatible: may a target type be a candidate at all (same kind;
 *   enum and enum64 count as one kind).
 * - fieldsAreCompat: may a field access go through these types (field
 *   relocations): structs and unions mix, ints of any size and sign are
 *   fine, enums and fwds need equal essential names.
 * - typesAreCompat: the shape check of type relocations (TYPE_EXISTS,
 *   TYPE_SIZE, TYPE_ID_TARGET): kinds must agree all the way through
 *   pointers, arrays and function prototypes.
 * - typesMatch: the stricter TYPE_MATCHES: members by name, int sizes and
 *   signedness, enumerators by name.
 */

/** libbpf's flavor separator test: `X___Y` where X and Y are not underscores. */
function isFlavorSeparator(name: string, i: number): boolean {
  return name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_';
}

/**
 * A name without its `___flavor` suffix: `task_struct___old` is
 * `task_struct`. Only the last separator counts, and it must have a
 * non-underscore on each side (so `a____b` has no flavor).
 */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (isFlavorSeparator(name, i)) return name.slice(0, i + 1);
  }
  return name;
}

const isAnyEnum = (t: BtfType): boolean => t.kind === 'enum' || t.kind === 'enum64';

export function kindsCompatible(a: BtfType, b: BtfType): boolean {
  return a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));
}

/** Old-style bitfield ints (BTF_INT_OFFSET ≠ 0) are never relocated. */
function plainInts(a: BtfType, b: BtfType): boolean {
  return a.kind === 'int' && b.kind === 'int' && a.bitOffset === 0 && b.bitOffset === 0;
}

/** libbpf bounds modifier/pointer chains walked in one comparison. */
const MAX_DEPTH = 32;
/** libbpf's nesting budget for recursive comparisons (function parameters, members). */
export const MAX_LEVEL = 32;

function tooDeep(local: Btf, id: number): BpfError {
  return new BpfError('EINVAL', `comparing ${local.typeName(id)} with its candidate went deeper than ${MAX_DEPTH} types (a loop?)`);
}

/**
 * May a member of local type `lid` be accessed as a member of target type
 * `tid`? (libbpf's bpf_core_fields_are_compat.)
 */
export function fieldsAreCompat(local: Btf, lid: number, target: Btf, tid: number): boolean {
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    lid = local.skipModsAndTypedefs(lid);
    tid = target.skipModsAndTypedefs(tid);
    const l = local.type(lid);
    const t = target.type(tid);
    if (isComposite(l) && isComposite(t)) return true;
    if (!kindsCompatible(l, t)) return false;
    switch (l.kind) {
      case 'ptr': case 'float':
        return true;
      case 'fwd': case 'enum': case 'enum64': {
        // anonymous on either side, or the same name up to flavors
        const ln = essentialName(l.name);
        const tn = essentialName(t.name);
        return ln === '' || tn === '' || ln === tn;
      }
      case 'int':
        return plainInts(l, t);
      case 'array':
        lid = l.type;
        tid = (t as { type: number }).type;
        continue;
      default:
        return false;
    }
  }
  throw tooDeep(local, lid);
}

/**
 * Are local type `lid` and target type `tid` (whose names already agree) of
 * the same shape? (libbpf's bpf_core_types_are_compat.)
 */
export function typesAreCompat(local: Btf, lid: number, target: Btf, tid: number, level = MAX_LEVEL): boolean {
  // the root kinds are compared before typedefs are skipped: a typedef candidate must be a typedef
  if (!kindsCompatible(local.type(lid), target.type(tid))) return false;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    lid = local.skipModsAndTypedefs(lid);
    tid = target.skipModsAndTypedefs(tid);
    const l = local.type(lid);
    const t = target.type(tid);
    if (!kindsCompatible(l, t)) return false;
    switch (l.kind) {
      case 'void': case 'struct': case 'union': case 'enum': case 'enum64': case 'fwd':
        return true;
      case 'int':
        return plainInts(l, t);
      case 'ptr': case 'array':
        lid = l.type;
        tid = (t as { type: number }).type;
        continue;
      case 'func_proto': {
        const tp = t as typeof l;
        if (!protoParamsCompat(local, l.params, target, tp.params, level)) return false;
        lid = l.returnType;
        tid = tp.returnType;
        continue;
      }
      default:
        // floats, funcs, vars…: libbpf never relocates these
        return false;
    }
  }
  throw tooDeep(local, lid);
}

function protoParamsCompat(local: Btf, lp: { type: number }[], target: Btf, tp: { type: number }[], level: number): boolean {
  if (lp.length !== tp.length) return false;
  return lp.every((p, i) => {
    if (level <= 0) throw new BpfError('EINVAL', 'function prototypes nest too deep to compare');
    return typesAreCompat(local, local.skipModsAndTypedefs(p.type), target, target.skipModsAndTypedefs(tp[i]!.type), level - 1);
  });
}

/**
 * Do two names agree for TYPE_MATCHES: an anonymous target matches only an
 * anonymous local; else the essential names must be equal.
 */
export function namesMatch(local: string, target: string): boolean {
  if (target === '') return local === '';
  return essentialName(local) === essentialName(target);
}

/**
 * TYPE_MATCHES (libbpf's bpf_core_types_match): the local type could have
 * been written against the target. `behindPtr` relaxes checks for what is
 * only pointed to (a struct may then match a forward declaration).
 */
export function typesMatch(local: Btf, lid: number, target: Btf, tid: number, behindPtr = false, level = MAX_LEVEL): boolean {
  if (level <= 0) throw new BpfError('EINVAL', 'types nest too deep to match');
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    lid = local.skipModsAndTypedefs(lid);
    tid = target.skipModsAndTypedefs(tid);
    const l = local.type(lid);
    const t = target.type(tid);
    if (!namesMatch(l.name, t.name)) return false;
    switch (l.kind) {
      case 'void':
        return t.kind === 'void';
      case 'fwd':
        return fwdMatches(l.fwdKind, t, behindPtr);
      case 'enum': case 'enum64':
        return isAnyEnum(t) && enumsMatch(l, t as typeof l);
      case 'struct': case 'union':
        return compositeMatches(local, l, target, t, behindPtr, level);
      case 'int':
        return t.kind === 'int' && l.size === t.size && (l.encoding === 'signed') === (t.encoding === 'signed');
      case 'ptr':
        if (t.kind !== 'ptr') return false;
        behindPtr = true;
        lid = l.type;
        tid = t.type;
        continue;
      case 'array':
        if (t.kind !== 'array' || l.nelems !== t.nelems) return false;
        lid = l.type;
        tid = t.type;
        continue;
      case 'func_proto':
        if (t.kind !== 'func_proto' || !protoParamsMatch(local, l.params, target, t.params, behindPtr, level)) return false;
        lid = l.returnType;
        tid = t.returnType;
        continue;
      default:
        return false;
    }
  }
  throw tooDeep(local, lid);
}

function fwdMatches(fwdKind: 'struct' | 'union', t: BtfType, behindPtr: boolean): boolean {
  if (t.kind === 'fwd') return t.fwdKind === fwdKind;
  // behind a pointer, `struct foo;` may stand for the full definition
  return behindPtr && t.kind === fwdKind;
}

function enumsMatch(l: { size: number; values: { name: string }[] }, t: { size: number; values: { name: string }[] }): boolean {
  if (l.size !== t.size || l.values.length > t.values.length) return false;
  // every local enumerator has a namesake in the target; values may differ
  return l.values.every((lv) => t.values.some((tv) => namesMatch(lv.name, tv.name)));
}

function compositeMatches(local: Btf, l: BtfType & { kind: 'struct' | 'union' }, target: Btf, t: BtfType, behindPtr: boolean, level: number): boolean {
  if (behindPtr) {
    if (t.kind === l.kind) return true;
    return t.kind === 'fwd' && t.fwdKind === l.kind;
  }
  if (!isComposite(t) || t.kind !== l.kind || l.members.length > t.members.length) return false;
  // each local member has a target member of the same name whose type matches
  return l.members.every((lm) =>
    t.members.some((tm) => namesMatch(lm.name, tm.name) && typesMatch(local, lm.type, target, tm.type, behindPtr, level - 1)));
}

function protoParamsMatch(local: Btf, lp: { type: number }[], target: Btf, tp: { type: number }[], behindPtr: boolean, level: number): boolean {
  return lp.length === tp.length && lp.every((p, i) => typesMatch(local, p.type, target, tp[i]!.type, behindPtr, level - 1));
}
