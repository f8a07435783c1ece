import { BpfError } from '../errno.js';
import type { Btf } from './btf.js';
import { CoreSpec, kindFamily } from './core-spec.js';
import type { CoreReloKind } from './kinds.js';
import { BtfType, isComposite } from './types.js';

/**
 * The value a relocation stands for in one BTF (libbpf's
 * bpf_core_calc_{field,type,enumval}_relo). Computed once on the local spec
 * (what the compiler put in the instruction) and once on the target spec
 * (what the instruction must hold instead). `undefined` spec: no target
 * has the field/type/enumerator.
 */
export interface Computed {
  value: bigint;
  /** byte size of the field a relocated load/store accesses (0: not such a relocation) */
  memSize: number;
  /** the field's type, for that load/store (meaningful when memSize > 0) */
  memTypeId: number;
  /** the instruction must hold the local value before patching (libbpf's "validate") */
  validate: boolean;
}

/** What a missing target means for a kind that has no "0" answer: poison the instruction. */
export const MISSING = 'missing';

export function computeValue(kind: CoreReloKind, spec: CoreSpec | undefined, littleEndian: boolean): Computed | typeof MISSING {
  switch (kindFamily(kind)) {
    case 'field':
      return fieldValue(kind, spec, littleEndian);
    case 'type':
      return typeValue(kind, spec);
    case 'enumval':
      return enumValue(kind, spec);
  }
}

const plain = (value: bigint | number | boolean, validate = true): Computed => ({ value: BigInt(value), memSize: 0, memTypeId: 0, validate });

function typeValue(kind: CoreReloKind, spec: CoreSpec | undefined): Computed {
  // a type missing from the target is an answer (0), never a poison
  if (!spec) return plain(0);
  switch (kind) {
    case 'type_id_target':
    case 'type_id_local':
      // ids are renumbered by linking, so the compiled id is not checked
      return plain(spec.rootId, false);
    case 'type_exists':
    case 'type_matches':
      return plain(1);
    case 'type_size':
      return plain(spec.btf.resolveSize(spec.rootId));
    default:
      throw new BpfError('EINVAL', `${kind} is not a type relocation`);
  }
}

function enumValue(kind: CoreReloKind, spec: CoreSpec | undefined): Computed | typeof MISSING {
  if (kind === 'enumval_exists') return plain(spec !== undefined);
  if (!spec) return MISSING;
  const acc = spec.accessors[0]!;
  const t = spec.btf.type(acc.typeId);
  if (t.kind === 'enum64') return plain(BigInt.asUintN(64, t.values[acc.idx]!.value));
  if (t.kind !== 'enum') throw new BpfError('EINVAL', `${spec.btf.typeName(acc.typeId)} is not an enum`);
  // a 32-bit enumerator is a signed 32-bit value, sign-extended to 64 bits as libbpf does
  return plain(BigInt.asUintN(64, BigInt(t.values[acc.idx]!.value | 0)));
}

function fieldValue(kind: CoreReloKind, spec: CoreSpec | undefined, le: boolean): Computed | typeof MISSING {
  if (kind === 'field_exists') return plain(spec !== undefined);
  if (!spec) return MISSING;
  const acc = spec.accessors[spec.accessors.length - 1]!;
  if (acc.name === undefined) return elementValue(kind, spec, acc.typeId);
  const owner = spec.btf.type(acc.typeId);
  if (!isComposite(owner)) throw new BpfError('EINVAL', `${spec.btf.typeName(acc.typeId)} has no members`);
  const m = owner.members[acc.idx]!;
  return memberValue(kind, spec, spec.btf.skipModsAndTypedefs(m.type), m.bitfieldSize, le);
}

/** The access ends at an array element (`&a[3]`): its offset or size only. */
function elementValue(kind: CoreReloKind, spec: CoreSpec, elemId: number): Computed {
  const size = spec.btf.resolveSize(elemId);
  if (kind === 'field_byte_offset') return { value: BigInt(Math.floor(spec.bitOffset / 8)), memSize: size, memTypeId: elemId, validate: true };
  if (kind === 'field_byte_size') return plain(size);
  throw new BpfError('EINVAL', `${kind} cannot be applied to an array element`);
}

/**
 * Where a member lives, as the load that reads it: for a bitfield, the
 * smallest naturally aligned load (of at least the declared type's size)
 * that contains all its bits; for a plain member, the member itself.
 */
interface Storage {
  byteOffset: number;
  byteSize: number;
  /** bit offset of the member from the start of the root */
  bitOffset: number;
  bitSize: number;
  bitfield: boolean;
}

function storageOf(spec: CoreSpec, fieldType: BtfType, fieldId: number, bitfieldSize: number): Storage {
  const bitOffset = spec.bitOffset;
  if (bitfieldSize === 0) {
    const byteSize = spec.btf.resolveSize(fieldId);
    return { byteOffset: Math.floor(bitOffset / 8), byteSize, bitOffset, bitSize: byteSize * 8, bitfield: false };
  }
  let byteSize = 'size' in fieldType ? fieldType.size : spec.btf.resolveSize(fieldId);
  const alignedOffset = (size: number): number => Math.floor(Math.floor(bitOffset / 8) / size) * size;
  let byteOffset = alignedOffset(byteSize);
  // widen the load until it covers the last bit of the field
  while (bitOffset + bitfieldSize - byteOffset * 8 > byteSize * 8) {
    if (byteSize >= 8) throw new BpfError('E2BIG', `bitfield at bit ${bitOffset} (${bitfieldSize} bits) cannot be read with one 64-bit load`);
    byteSize *= 2;
    byteOffset = alignedOffset(byteSize);
  }
  return { byteOffset, byteSize, bitOffset, bitSize: bitfieldSize, bitfield: true };
}

function memberValue(kind: CoreReloKind, spec: CoreSpec, fieldId: number, bitfieldSize: number, le: boolean): Computed {
  const ft = spec.btf.type(fieldId);
  const s = storageOf(spec, ft, fieldId, bitfieldSize);
  // for bitfields the compiler and we may pick different loads: only shifts' facts are checked
  const validate = !s.bitfield;
  switch (kind) {
    case 'field_byte_offset':
      return s.bitfield ? plain(s.byteOffset, validate) : { value: BigInt(s.byteOffset), memSize: s.byteSize, memTypeId: fieldId, validate };
    case 'field_byte_size':
      return plain(s.byteSize, validate);
    case 'field_signed':
      return plain(isSigned(ft));
    case 'field_lshift_u64':
      return plain(leftShift(s, le), validate);
    case 'field_rshift_u64':
      // the width alone decides it
      return plain(64 - s.bitSize);
    default:
      throw new BpfError('EINVAL', `${kind} is not a field relocation`);
  }
}

function isSigned(t: BtfType): boolean {
  if (t.kind === 'enum' || t.kind === 'enum64') return t.signed;
  return t.kind === 'int' && t.encoding === 'signed';
}

/**
 * The left shift that puts the field's top bit at bit 63 of a u64 holding
 * the loaded bytes (then an arithmetic or logical right shift by
 * 64 − width extracts it). Bit offsets count from the low end on
 * little-endian targets and from the high end on big-endian ones.
 */
function leftShift(s: Storage, le: boolean): number {
  const inLoad = s.bitOffset - s.byteOffset * 8;
  return le ? 64 - (inLoad + s.bitSize) : (8 - s.byteSize) * 8 + inLoad;
}

/** Whether a load of a field may change width safely: pointers, and unsigned ints (zero-extended). */
export function resizableLoad(local: Btf, localType: number, target: Btf, targetType: number): boolean {
  const l = local.type(localType);
  const t = target.type(targetType);
  if (l.kind === 'ptr' && t.kind === 'ptr') return true;
  return l.kind === 'int' && t.kind === 'int' && l.encoding !== 'signed' && t.encoding !== 'signed';
}
