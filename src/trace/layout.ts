import { BpfError } from '../errno.js';
import { Btf, BtfBuilder } from '../btf/index.js';

/**
 * A tracepoint's record as a C struct — what Linux's TRACE_EVENT macros
 * make of TP_STRUCT__entry: the common header (`struct trace_entry`), then
 * the declared fields in order, each aligned to its natural alignment;
 * variable-length fields (`string`, `bytes`) are a u32 `__data_loc` in the
 * fixed part (offset of the bytes from the start of the record in the low 16
 * bits, their length in the high 16) with the bytes after the fixed part.
 * A string's length counts its NUL, as __assign_str stores it.
 */

export type ScalarType = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64' | 'bool';
/** A field's type: a scalar, a NUL-terminated string, a byte array, or a fixed struct of fields. */
export type FieldType = ScalarType | 'string' | 'bytes' | { struct: Record<string, FieldType> };

/** The common header of every record (struct trace_entry). */
export const COMMON_FIELDS = [
  { name: 'common_type', type: 'u16', offset: 0 },
  { name: 'common_flags', type: 'u8', offset: 2 },
  { name: 'common_preempt_count', type: 'u8', offset: 3 },
  { name: 'common_pid', type: 's32', offset: 4 },
] as const;
export const COMMON_SIZE = 8;

/** The largest record (PERF_MAX_TRACE_SIZE): the context a TRACEPOINT program may read. */
export const MAX_RECORD_SIZE = 8192;

/** One field as laid out; a struct's members are its `members`, dotted names (`addr.port`) in `leaves`. */
export interface FieldLayout {
  /** the name, dotted for a member of a nested struct */
  name: string;
  type: FieldType;
  offset: number;
  size: number;
  align: number;
  signed: boolean;
  /** the path of property names that reaches the value in the values object given to fire() */
  path: readonly string[];
  members?: readonly FieldLayout[];
}

/** The whole record: declared fields, their scalar and variable-length leaves, and the fixed part's size. */
export interface RecordLayout {
  fields: readonly FieldLayout[];
  /** every scalar and variable-length field, nested structs flattened, in record order */
  leaves: readonly FieldLayout[];
  /** bytes of the fixed part (header and fields, padded to the struct's alignment) */
  size: number;
}

const SCALARS: Record<ScalarType, { size: number; signed: boolean }> = {
  u8: { size: 1, signed: false }, u16: { size: 2, signed: false }, u32: { size: 4, signed: false }, u64: { size: 8, signed: false },
  s8: { size: 1, signed: true }, s16: { size: 2, signed: true }, s32: { size: 4, signed: true }, s64: { size: 8, signed: true },
  bool: { size: 1, signed: false },
};

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isScalar(t: FieldType): t is ScalarType {
  return typeof t === 'string' && t in SCALARS;
}

/** Variable-length: a `__data_loc` in the fixed part, the bytes after it. */
export function isDynamic(t: FieldType): t is 'string' | 'bytes' {
  return t === 'string' || t === 'bytes';
}

/** Lay out `fields` after the common header; EINVAL for a bad name or type, naming the tracepoint and field. */
export function layoutRecord(where: string, fields: Record<string, FieldType>): RecordLayout {
  const { members, size, align } = layoutStruct(where, fields, COMMON_SIZE, [], '');
  const leaves: FieldLayout[] = [];
  const flatten = (fs: readonly FieldLayout[]): void => fs.forEach((f) => (f.members ? flatten(f.members) : leaves.push(f)));
  flatten(members);
  return { fields: members, leaves, size: roundUp(size, Math.max(align, 4)) };
}

function layoutStruct(where: string, fields: Record<string, FieldType>, start: number, path: readonly string[], prefix: string) {
  if (typeof fields !== 'object' || fields === null) throw new BpfError('EINVAL', `${where}: fields must be an object of name: type`);
  let at = start;
  let align = 1;
  const members: FieldLayout[] = [];
  for (const [name, type] of Object.entries(fields)) {
    const full = prefix + name;
    if (!IDENT.test(name)) throw new BpfError('EINVAL', `${where}: field name '${full}' is not a C identifier`);
    if (!prefix && (name.startsWith('common_') || name === 'COMM' || name === 'CPU')) {
      throw new BpfError('EINVAL', `${where}: field name '${name}' is reserved (common header, COMM, CPU)`);
    }
    const f = layoutField(where, full, type, at, [...path, name]);
    at = f.offset + f.size;
    align = Math.max(align, f.align);
    members.push(f);
  }
  return { members, size: at, align };
}

function layoutField(where: string, name: string, type: FieldType, at: number, path: readonly string[]): FieldLayout {
  if (isScalar(type)) {
    const { size, signed } = SCALARS[type];
    return { name, type, offset: roundUp(at, size), size, align: size, signed, path };
  }
  if (isDynamic(type)) return { name, type, offset: roundUp(at, 4), size: 4, align: 4, signed: false, path };
  if (typeof type === 'object' && type !== null && 'struct' in type) {
    // the struct's alignment is its widest member's, so lay out at 0 first to learn it
    const probe = layoutStruct(where, type.struct, 0, path, `${name}.`);
    if (probe.members.some((m) => m.members ? hasDynamic(m) : isDynamic(m.type))) {
      throw new BpfError('EINVAL', `${where}: field '${name}': a nested struct holds fixed-size fields only (no string or bytes)`);
    }
    if (probe.members.length === 0) throw new BpfError('EINVAL', `${where}: field '${name}': an empty struct`);
    const offset = roundUp(at, probe.align);
    const { members } = layoutStruct(where, type.struct, offset, path, `${name}.`);
    return { name, type, offset, size: roundUp(probe.size, probe.align), align: probe.align, signed: false, path, members };
  }
  throw new BpfError('EINVAL', `${where}: field '${name}' has unknown type ${JSON.stringify(type)} (u8…u64, s8…s64, bool, string, bytes, {struct: {…}})`);
}

function hasDynamic(f: FieldLayout): boolean {
  return f.members ? f.members.some(hasDynamic) : isDynamic(f.type);
}

function roundUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** The C type Linux's format file shows for a field. */
function cType(f: FieldLayout, structName: (f: FieldLayout) => string): string {
  if (f.type === 'string') return '__data_loc char[]';
  if (f.type === 'bytes') return '__data_loc u8[]';
  if (f.members) return `struct ${structName(f)}`;
  return f.type as string;
}

/**
 * The text of Linux's events/<provider>/<event>/format: name, ID, the
 * common fields, a blank line, the event's fields, and the print format
 * (field=value pairs, as a dynamic event prints them).
 */
export function formatText(event: string, id: number, layout: RecordLayout): string {
  const line = (type: string, name: string, offset: number, size: number, signed: boolean): string =>
    `\tfield:${type} ${name};\toffset:${offset};\tsize:${size};\tsigned:${signed ? 1 : 0};\n`;
  const common = COMMON_FIELDS.map((c) => line(c.type === 'u16' ? 'unsigned short' : c.type === 'u8' ? 'unsigned char' : 'int', c.name, c.offset, SCALARS[c.type].size, SCALARS[c.type].signed)).join('');
  const own = layout.fields.map((f) => line(cType(f, (s) => structTypeName(event, s)), f.name, f.offset, f.size, f.signed)).join('');
  const fmt = layout.leaves.map((f) => `${f.name}=${printConversion(f)}`).join(' ');
  const args = layout.leaves.map((f) => (isDynamic(f.type) ? `__get_${f.type === 'string' ? 'str' : 'dynamic_array'}(${f.name})` : `REC->${f.name}`));
  return `name: ${event}\nID: ${id}\nformat:\n${common}\n${own}\nprint fmt: "${fmt}"${args.map((a) => `, ${a}`).join('')}\n`;
}

/** The printf conversion a field prints with in the print format. */
function printConversion(f: FieldLayout): string {
  if (f.type === 'string') return '%s';
  if (f.type === 'bytes') return '%s';
  if (f.type === 'u64') return '%llu';
  if (f.type === 's64') return '%lld';
  return f.signed ? '%d' : '%u';
}

function structTypeName(event: string, f: FieldLayout): string {
  return `${event}_${f.name.replace(/\./g, '_')}`;
}

/**
 * The record as BTF: `struct trace_entry` and `struct trace_event_raw_<event>`
 * { struct trace_entry ent; <fields>; char __data[]; }, with `u32
 * __data_loc_<name>` for a variable-length field, as Linux's own BTF has
 * them. Returns the BTF and the id of the record struct.
 */
export function recordBtf(event: string, layout: RecordLayout): { btf: Btf; typeId: number } {
  const b = new BtfBuilder();
  const ints = new Map<string, number>();
  const int = (name: string, size: number, signed: boolean, bool = false): number => {
    let id = ints.get(name);
    if (id === undefined) ints.set(name, (id = b.int(name, size, { signed, bool })));
    return id;
  };
  const scalar = (t: ScalarType): number =>
    t === 'bool' ? int('_Bool', 1, false, true) : int(C_INT[t], SCALARS[t].size, SCALARS[t].signed);
  const entry = b.struct('trace_entry', [
    { name: 'type', type: int('unsigned short', 2, false) },
    { name: 'flags', type: int('unsigned char', 1, false) },
    { name: 'preempt_count', type: int('unsigned char', 1, false) },
    { name: 'pid', type: int('int', 4, true) },
  ]);
  const memberOf = (f: FieldLayout, base: number): { name: string; type: number; bitOffset: number } => {
    const local = f.name.slice(f.name.lastIndexOf('.') + 1);
    const bitOffset = (f.offset - base) * 8;
    if (isDynamic(f.type)) return { name: `__data_loc_${local}`, type: int('unsigned int', 4, false), bitOffset };
    if (f.members) {
      const type = b.struct(structTypeName(event, f), f.members.map((m) => memberOf(m, f.offset)), f.size);
      return { name: local, type, bitOffset };
    }
    return { name: local, type: scalar(f.type as ScalarType), bitOffset };
  };
  const members = [{ name: 'ent', type: entry, bitOffset: 0 }, ...layout.fields.map((f) => memberOf(f, 0))];
  members.push({ name: '__data', type: b.array(int('char', 1, true), 0), bitOffset: layout.size * 8 });
  const typeId = b.struct(`trace_event_raw_${event}`, members, layout.size);
  return { btf: b.build(), typeId };
}

const C_INT: Record<Exclude<ScalarType, 'bool'>, string> = {
  u8: 'unsigned char', u16: 'unsigned short', u32: 'unsigned int', u64: 'unsigned long long',
  s8: 'signed char', s16: 'short', s32: 'int', s64: 'long long',
};
