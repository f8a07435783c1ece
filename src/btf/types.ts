import type { IntEncoding, Linkage } from './kinds.js';

/**
 * BTF types as plain data: one object per type, discriminated by `kind`.
 * References to other types are type ids (numbers), so a type graph is an
 * array indexed by id and walks are loops over numbers. Every type has a
 * `name` ('' when anonymous) so that printers and lookups need no cases.
 */

export interface VoidType {
  kind: 'void';
  name: '';
}

export interface IntType {
  kind: 'int';
  name: string;
  /** bytes */
  size: number;
  /** BTF_INT_OFFSET: bit offset of the value inside its storage (old-style bitfields). */
  bitOffset: number;
  /** BTF_INT_BITS */
  bits: number;
  encoding: IntEncoding;
}

/** PTR, TYPEDEF, VOLATILE, CONST, RESTRICT: a name (typedef only) and the type they refer to. */
export type RefKind = 'ptr' | 'typedef' | 'volatile' | 'const' | 'restrict';

export interface RefType<K extends RefKind = RefKind> {
  kind: K;
  name: string;
  type: number;
}

export interface TypeTagType {
  kind: 'type_tag';
  /** the tag value, e.g. `user` or `rcu` */
  name: string;
  type: number;
  /** kind_flag: the tag is a plain `__attribute__((…))`, not `btf_type_tag(…)` (Linux 6.14+). */
  attr: boolean;
}

export interface ArrayType {
  kind: 'array';
  name: string;
  type: number;
  indexType: number;
  nelems: number;
}

export interface Member {
  name: string;
  type: number;
  /** bit offset from the start of the struct */
  bitOffset: number;
  /** bits of a bitfield, 0 for a plain member; always 0 when the struct has no kind_flag */
  bitfieldSize: number;
}

export interface StructType<K extends 'struct' | 'union' = 'struct' | 'union'> {
  kind: K;
  name: string;
  size: number;
  /**
   * kind_flag: member offsets were encoded as 24-bit offset + 8-bit bitfield
   * size. Without it, a bitfield is told by its INT type's bits/offset.
   */
  kindFlag: boolean;
  members: Member[];
}

export interface EnumValue {
  name: string;
  value: number;
}

export interface EnumType {
  kind: 'enum';
  name: string;
  size: number;
  /** kind_flag: values are signed (printed with %d, not %u) */
  signed: boolean;
  values: EnumValue[];
}

export interface Enum64Value {
  name: string;
  value: bigint;
}

export interface Enum64Type {
  kind: 'enum64';
  name: string;
  size: number;
  signed: boolean;
  values: Enum64Value[];
}

export interface FwdType {
  kind: 'fwd';
  name: string;
  fwdKind: 'struct' | 'union';
}

export interface FuncType {
  kind: 'func';
  name: string;
  /** a FUNC_PROTO */
  type: number;
  linkage: Linkage;
}

export interface Param {
  name: string;
  /** 0 in the last position means `...` */
  type: number;
}

export interface FuncProtoType {
  kind: 'func_proto';
  name: string;
  returnType: number;
  params: Param[];
}

export interface VarType {
  kind: 'var';
  name: string;
  type: number;
  /** static, global (allocated) or extern */
  linkage: Linkage;
}

export interface VarSecinfo {
  /** a VAR (or FUNC, for extern functions in `.ksyms`) */
  type: number;
  offset: number;
  size: number;
}

export interface DatasecType {
  kind: 'datasec';
  name: string;
  size: number;
  vars: VarSecinfo[];
}

export interface FloatType {
  kind: 'float';
  name: string;
  size: number;
}

export interface DeclTagType {
  kind: 'decl_tag';
  /** the tag value */
  name: string;
  type: number;
  /** -1: the tag is on the type itself; else the member or parameter index */
  componentIdx: number;
  attr: boolean;
}

export type BtfType =
  | VoidType
  | IntType
  | RefType<'ptr'>
  | RefType<'typedef'>
  | RefType<'volatile'>
  | RefType<'const'>
  | RefType<'restrict'>
  | TypeTagType
  | ArrayType
  | StructType<'struct'>
  | StructType<'union'>
  | EnumType
  | Enum64Type
  | FwdType
  | FuncType
  | FuncProtoType
  | VarType
  | DatasecType
  | FloatType
  | DeclTagType;

export type BtfKind = BtfType['kind'];

/** The type of one kind: `TypeOfKind<'typedef'>` is `RefType<'typedef'>`. */
export type TypeOfKind<K extends BtfKind> = Extract<BtfType, { kind: K }>;

export const VOID: VoidType = Object.freeze({ kind: 'void', name: '' });

/** Kinds that only qualify the type they refer to (libbpf's btf_is_mod). */
export function isModifier(t: BtfType): boolean {
  return t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag';
}

export function isComposite(t: BtfType): t is StructType {
  return t.kind === 'struct' || t.kind === 'union';
}

/**
 * Every type id `t` refers to, in encoding order (for walks: reachability,
 * dedup, validation). Param type 0 (vararg) and return type 0 (void) are included.
 */
export function referencedIds(t: BtfType): number[] {
  switch (t.kind) {
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict':
    case 'type_tag': case 'func': case 'var': case 'decl_tag':
      return [t.type];
    case 'array':
      return [t.type, t.indexType];
    case 'struct': case 'union':
      return t.members.map((m) => m.type);
    case 'func_proto':
      return [t.returnType, ...t.params.map((p) => p.type)];
    case 'datasec':
      return t.vars.map((v) => v.type);
    default:
      return [];
  }
}
