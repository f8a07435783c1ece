import { BpfError } from '../errno.js';
import type { Btf } from './btf.js';
import { describeType } from './describe.js';
import { BTF_HEADER_SIZE, BTF_MAGIC, BTF_TYPE_SIZE, BTF_VERSION, INT_ENCODING_BITS, KIND_NUMBER, LINKAGES } from './kinds.js';
import { StringTable, encodeName } from './strings.js';
import type { BtfType } from './types.js';

/**
 * A Btf back to `.BTF` bytes: header, type section, string section, in the
 * layout parseBtf and the kernel read. Names are stored once each; split BTF
 * (a Btf with a base) encodes only its own types, and names the base already
 * holds keep their base offsets.
 */
export function encodeBtf(btf: Btf, options: { littleEndian?: boolean } = {}): Uint8Array {
  const le = options.littleEndian ?? btf.littleEndian;
  const own = btf.types.slice(btf.startId);
  const strings = buildStrings(own, btf.base?.strings);
  const typeLen = own.reduce((n, t) => n + recordSize(t), 0);
  const out = new Uint8Array(BTF_HEADER_SIZE + typeLen + strings.bytes.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, BTF_MAGIC, le);
  out[2] = BTF_VERSION;
  out[3] = 0;
  [BTF_HEADER_SIZE, 0, typeLen, typeLen, strings.bytes.length].forEach((v, i) => view.setUint32(4 + 4 * i, v, le));
  const w = new RecordWriter(view, le, BTF_HEADER_SIZE, strings.offsets);
  own.forEach((t, i) => w.write(btf.startId + i, t));
  out.set(strings.bytes, BTF_HEADER_SIZE + typeLen);
  return out;
}

export interface EncodedStrings {
  /** the string section */
  bytes: Uint8Array;
  /** offset of each name, base offsets included for split BTF */
  offsets: Map<string, number>;
}

/** Every name the types use, each once, after the empty string (or after the base's strings). */
export function buildStrings(types: readonly BtfType[], base?: StringTable): EncodedStrings {
  const offsets = base ? baseOffsets(base) : new Map([['', 0]]);
  const start = base ? base.end : 0;
  const chunks: Uint8Array[] = base ? [] : [new Uint8Array(1)];
  let end = base ? base.end : 1;
  const add = (s: string): void => {
    if (offsets.has(s)) return;
    if (s.includes('\0')) throw new BpfError('EINVAL', `BTF: the name ${JSON.stringify(s)} contains a NUL byte`);
    const bytes = encodeName(s);
    offsets.set(s, end);
    chunks.push(bytes, new Uint8Array(1));
    end += bytes.length + 1;
  };
  for (const t of types) for (const s of namesOf(t)) add(s);
  const bytes = new Uint8Array(end - start);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { bytes, offsets };
}

/** The strings of a base table (and its bases) by offset, so that split BTF reuses them. */
function baseOffsets(table: StringTable, offsets = new Map<string, number>([['', 0]])): Map<string, number> {
  if (table.base) baseOffsets(table.base, offsets);
  for (let local = 0; local < table.bytes.length;) {
    let end = table.bytes.indexOf(0, local);
    if (end < 0) end = table.bytes.length;
    const s = table.at(table.start + local)!;
    if (!offsets.has(s)) offsets.set(s, table.start + local);
    local = end + 1;
  }
  return offsets;
}

function namesOf(t: BtfType): string[] {
  switch (t.kind) {
    case 'struct': case 'union': return [t.name, ...t.members.map((m) => m.name)];
    case 'enum': case 'enum64': return [t.name, ...t.values.map((v) => v.name)];
    case 'func_proto': return [t.name, ...t.params.map((p) => p.name)];
    default: return [t.name];
  }
}

/** Bytes of a type record: the common 12 plus the kind's data. */
export function recordSize(t: BtfType): number {
  switch (t.kind) {
    case 'int': case 'var': case 'decl_tag': return BTF_TYPE_SIZE + 4;
    case 'array': return BTF_TYPE_SIZE + 12;
    case 'struct': case 'union': return BTF_TYPE_SIZE + 12 * t.members.length;
    case 'enum': return BTF_TYPE_SIZE + 8 * t.values.length;
    case 'enum64': return BTF_TYPE_SIZE + 12 * t.values.length;
    case 'func_proto': return BTF_TYPE_SIZE + 8 * t.params.length;
    case 'datasec': return BTF_TYPE_SIZE + 12 * t.vars.length;
    case 'void': throw new BpfError('EINVAL', 'BTF: void (type 0) is implicit and has no record');
    default: return BTF_TYPE_SIZE;
  }
}

class RecordWriter {
  private id = 0;
  private t: BtfType | undefined;

  constructor(
    private readonly view: DataView,
    private readonly le: boolean,
    private at: number,
    private readonly strings: Map<string, number>,
  ) {}

  private fail(msg: string): BpfError {
    return new BpfError('EINVAL', `BTF ${describeType(this.id, this.t!)}: cannot encode: ${msg}`);
  }

  /** An unsigned field of `bits` bits. */
  private field(value: number, bits: number, what: string): number {
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) throw this.fail(`${what} ${value} does not fit in ${bits} bits`);
    return value;
  }

  private u32(value: number, what: string): void {
    this.view.setUint32(this.at, this.field(value, 32, what), this.le);
    this.at += 4;
  }

  private name(s: string): number {
    return this.strings.get(s)!;
  }

  private head(t: BtfType, vlen: number, kflag: boolean, sizeOrType: number): void {
    const kind = KIND_NUMBER[t.kind as keyof typeof KIND_NUMBER];
    this.u32(this.name(t.name), 'name offset');
    const info = ((kflag ? 1 : 0) << 31) | (kind << 24) | this.field(vlen, 16, 'vlen');
    this.view.setUint32(this.at, info >>> 0, this.le);
    this.at += 4;
    this.u32(sizeOrType, 'size/type');
  }

  write(id: number, t: BtfType): void {
    this.id = id;
    this.t = t;
    switch (t.kind) {
      case 'int': {
        this.head(t, 0, false, t.size);
        const data = (INT_ENCODING_BITS[t.encoding] << 24) | (this.field(t.bitOffset, 8, 'bit offset') << 16) | this.field(t.bits, 8, 'bits');
        return this.u32(data >>> 0, 'int data');
      }
      case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict':
        return this.head(t, 0, false, t.type);
      case 'type_tag':
        return this.head(t, 0, t.attr, t.type);
      case 'array':
        this.head(t, 0, false, 0);
        this.u32(t.type, 'element type');
        this.u32(t.indexType, 'index type');
        return this.u32(t.nelems, 'nelems');
      case 'struct': case 'union':
        return this.record(t);
      case 'enum': case 'enum64':
        return this.enumValues(t);
      case 'fwd':
        return this.head(t, 0, t.fwdKind === 'union', 0);
      case 'func':
        return this.head(t, LINKAGES.indexOf(t.linkage), false, t.type);
      case 'func_proto':
        this.head(t, t.params.length, false, t.returnType);
        for (const p of t.params) {
          this.u32(this.name(p.name), 'name offset');
          this.u32(p.type, 'param type');
        }
        return;
      case 'var':
        this.head(t, 0, false, t.type);
        return this.u32(LINKAGES.indexOf(t.linkage), 'linkage');
      case 'datasec':
        this.head(t, t.vars.length, false, t.size);
        for (const v of t.vars) {
          this.u32(v.type, 'var type');
          this.u32(v.offset, 'var offset');
          this.u32(v.size, 'var size');
        }
        return;
      case 'float':
        return this.head(t, 0, false, t.size);
      case 'decl_tag':
        this.head(t, 0, t.attr, t.type);
        if (!Number.isInteger(t.componentIdx) || t.componentIdx < -(2 ** 31) || t.componentIdx >= 2 ** 31) throw this.fail(`component_idx ${t.componentIdx}`);
        this.view.setInt32(this.at, t.componentIdx, this.le);
        this.at += 4;
        return;
      case 'void':
        throw this.fail('void has no record');
    }
  }

  private record(t: BtfType & { kind: 'struct' | 'union' }): void {
    this.head(t, t.members.length, t.kindFlag, t.size);
    for (const m of t.members) {
      this.u32(this.name(m.name), 'name offset');
      this.u32(m.type, 'member type');
      if (t.kindFlag) {
        this.u32(((this.field(m.bitfieldSize, 8, 'bitfield size') << 24) | this.field(m.bitOffset, 24, 'member bit offset')) >>> 0, 'member offset');
      } else {
        if (m.bitfieldSize !== 0) throw this.fail(`member '${m.name}' is a bitfield, which needs kindFlag`);
        this.u32(m.bitOffset, 'member bit offset');
      }
    }
  }

  private enumValues(t: BtfType & { kind: 'enum' | 'enum64' }): void {
    this.head(t, t.values.length, t.signed, t.size);
    if (t.kind === 'enum') {
      for (const v of t.values) {
        this.u32(this.name(v.name), 'name offset');
        const lo = t.signed ? -(2 ** 31) : 0;
        if (!Number.isInteger(v.value) || v.value < lo || v.value >= lo + 2 ** 32) throw this.fail(`enumerator ${v.name} = ${v.value} does not fit in 32 bits`);
        this.u32(v.value >>> 0, 'value');
      }
      return;
    }
    for (const v of t.values) {
      this.u32(this.name(v.name), 'name offset');
      const lo = t.signed ? -(2n ** 63n) : 0n;
      if (v.value < lo || v.value >= lo + 2n ** 64n) throw this.fail(`enumerator ${v.name} = ${v.value} does not fit in 64 bits`);
      const bits = BigInt.asUintN(64, v.value);
      this.u32(Number(bits & 0xffffffffn), 'value');
      this.u32(Number(bits >> 32n), 'value');
    }
  }
}
