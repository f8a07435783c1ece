import { BpfError } from '../errno.js';
import { Btf } from '../btf/btf.js';
import { StructType } from '../btf/types.js';

/**
 * BTF-defined maps, libbpf's `SEC(".maps")` convention: each map is a
 * variable whose type is a struct describing it through its members' types:
 * `__uint(name, N)` is `int (*name)[N]`, `__type(name, T)` is `T *name`, and
 * `__array(values, T)` is `T *values[]` (inner map template or program
 * prototype, with initial values given by relocations).
 */

/** A map definition read from its BTF struct. */
export interface BtfMapDef {
  type?: number;
  keySize?: number;
  valueSize?: number;
  maxEntries?: number;
  flags?: number;
  numaNode?: number;
  pinning?: number;
  extra?: number;
  /** the BTF ids of the key and value types, when given by __type */
  keyType?: number;
  valueType?: number;
  /** __array(values, …): the inner map definition (map-in-map) or, for a program array, none */
  values?: { inner?: BtfMapDef; bitOffset: number };
}

const UINT_FIELDS = {
  type: 'type',
  max_entries: 'maxEntries',
  map_flags: 'flags',
  numa_node: 'numaNode',
  key_size: 'keySize',
  value_size: 'valueSize',
  pinning: 'pinning',
  map_extra: 'extra',
} as const;

/** libbpf's pinning values. */
export const LIBBPF_PIN_NONE = 0;
export const LIBBPF_PIN_BY_NAME = 1;

/**
 * Read the map definition struct `typeId` of map `name`. `inner` marks the
 * template inside `__array(values, …)`, which may not nest further.
 */
export function readBtfMapDef(btf: Btf, typeId: number, name: string, inner = false): BtfMapDef {
  const fail = (why: string): never => {
    throw new BpfError('EINVAL', `map '${name}'${inner ? ' (inner map)' : ''}: ${why}`);
  };
  const t = btf.type(btf.skipModsAndTypedefs(typeId));
  if (t.kind !== 'struct') fail(`its BTF type is ${t.kind.toUpperCase()}, not a struct describing a map`);
  const def: BtfMapDef = {};
  for (const m of (t as StructType).members) {
    if (m.name in UINT_FIELDS) {
      setOnce(def, UINT_FIELDS[m.name as keyof typeof UINT_FIELDS], uintField(btf, m.type, m.name, fail), m.name, fail);
    } else if (m.name === 'key' || m.name === 'value') {
      const target = pointee(btf, m.type, m.name, fail);
      const size = btf.resolveSize(target);
      const sizeField = m.name === 'key' ? 'keySize' : 'valueSize';
      if (def[sizeField] !== undefined && def[sizeField] !== size) fail(`${m.name} type is ${size} bytes, but ${m.name}_size says ${def[sizeField]}`);
      def[sizeField] = size;
      def[m.name === 'key' ? 'keyType' : 'valueType'] = target;
    } else if (m.name === 'values') {
      if (inner) fail('an inner map cannot have values of its own');
      def.values = { bitOffset: m.bitOffset, inner: valuesTemplate(btf, m.type, name, fail) };
    } else {
      fail(`unknown field '${m.name}' in its definition`);
    }
  }
  return def;
}

function setOnce(def: BtfMapDef, field: (typeof UINT_FIELDS)[keyof typeof UINT_FIELDS], value: number, member: string, fail: (why: string) => never): void {
  if (def[field] !== undefined && def[field] !== value) fail(`${member} is given twice (${def[field]} and ${value})`);
  def[field] = value;
}

/** `int (*name)[N]` → N. */
function uintField(btf: Btf, typeId: number, member: string, fail: (why: string) => never): number {
  const arr = btf.type(btf.skipModsAndTypedefs(pointee(btf, typeId, member, fail)));
  if (arr.kind !== 'array') fail(`field '${member}' is not __uint(${member}, N): it points to ${arr.kind.toUpperCase()}, not an array`);
  return arr.nelems;
}

function pointee(btf: Btf, typeId: number, member: string, fail: (why: string) => never): number {
  const ptr = btf.type(btf.skipModsAndTypedefs(typeId));
  if (ptr.kind !== 'ptr') fail(`field '${member}' is ${ptr.kind.toUpperCase()}, not a pointer as __uint/__type make it`);
  return ptr.type;
}

/** `T *values[]`: T is an inner map definition (a struct) or a program prototype (FUNC_PROTO). */
function valuesTemplate(btf: Btf, typeId: number, name: string, fail: (why: string) => never): BtfMapDef | undefined {
  const arr = btf.type(btf.skipModsAndTypedefs(typeId));
  if (arr.kind !== 'array') fail(`field 'values' is ${arr.kind.toUpperCase()}, not an array as __array makes it`);
  const elem = pointee(btf, arr.type, 'values', fail);
  const target = btf.type(btf.skipModsAndTypedefs(elem));
  if (target.kind === 'func_proto') return undefined;
  if (target.kind !== 'struct') fail(`'values' holds pointers to ${target.kind.toUpperCase()}, neither an inner map definition nor a program`);
  return readBtfMapDef(btf, elem, name, true);
}
