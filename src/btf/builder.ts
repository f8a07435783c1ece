import { BpfError } from '../errno.js';
import { Btf } from './btf.js';
import { buildStrings, encodeBtf } from './encode.js';
import type { Linkage } from './kinds.js';
import { StringTable } from './strings.js';
import { BtfType, EnumValue, Enum64Value, Member, Param, StructType, VOID, VarSecinfo } from './types.js';

/** A struct or union member to add; see BtfBuilder.struct. */
export interface MemberSpec {
  name: string;
  type: number;
  /** bit offset; omitted: laid out after the previous member as a C compiler would */
  bitOffset?: number;
  /** bits of a bitfield (the record is then encoded with kind_flag) */
  bitfieldSize?: number;
}

/**
 * Building BTF in code — the Runtime's own context types, tracepoint
 * argument types, test fixtures. Each method appends one type and returns
 * its id; ids may be used before the type they name is added (a struct
 * that points to itself), since only `build` needs the graph complete.
 *
 * ```ts
 * const b = new BtfBuilder();
 * const u32 = b.int('unsigned int', 4);
 * const ctx = b.struct('ctx', [{ name: 'len', type: u32 }, { name: 'mark', type: u32 }]);
 * const bytes = b.encode();      // .BTF bytes parseBtf reads back
 * ```
 */
export class BtfBuilder {
  private readonly types: BtfType[];
  private readonly base: Btf | undefined;
  private arrayIndex = 0;

  /** With a base, the result is split BTF whose ids continue the base's. */
  constructor(base?: Btf) {
    this.base = base;
    this.types = base ? base.types.slice() : [VOID];
  }

  /** Append any type as plain data; returns its id. */
  add(t: BtfType): number {
    if (t.kind === 'void') throw new BpfError('EINVAL', 'BTF: void is type 0 and cannot be added');
    this.types.push(t);
    return this.types.length - 1;
  }

  /** The next id `add` will return (for types that refer to themselves). */
  get nextId(): number {
    return this.types.length;
  }

  int(name: string, size: number, o: { signed?: boolean; char?: boolean; bool?: boolean; bits?: number } = {}): number {
    const encoding = o.bool ? 'bool' : o.char ? 'char' : o.signed ? 'signed' : 'none';
    return this.add({ kind: 'int', name, size, bitOffset: 0, bits: o.bits ?? size * 8, encoding });
  }

  float(name: string, size: number): number {
    return this.add({ kind: 'float', name, size });
  }

  ptr(type: number): number {
    return this.add({ kind: 'ptr', name: '', type });
  }

  const(type: number): number {
    return this.add({ kind: 'const', name: '', type });
  }

  volatile(type: number): number {
    return this.add({ kind: 'volatile', name: '', type });
  }

  restrict(type: number): number {
    return this.add({ kind: 'restrict', name: '', type });
  }

  typedef(name: string, type: number): number {
    return this.add({ kind: 'typedef', name, type });
  }

  typeTag(value: string, type: number): number {
    return this.add({ kind: 'type_tag', name: value, type, attr: false });
  }

  declTag(value: string, type: number, componentIdx = -1): number {
    return this.add({ kind: 'decl_tag', name: value, type, componentIdx, attr: false });
  }

  /** `elem[nelems]`; the index type defaults to clang's `__ARRAY_SIZE_TYPE__`. */
  array(type: number, nelems: number, indexType?: number): number {
    if (indexType === undefined) {
      if (this.arrayIndex === 0) this.arrayIndex = this.int('__ARRAY_SIZE_TYPE__', 4);
      indexType = this.arrayIndex;
    }
    return this.add({ kind: 'array', name: '', type, indexType, nelems });
  }

  fwd(name: string, fwdKind: 'struct' | 'union' = 'struct'): number {
    return this.add({ kind: 'fwd', name, fwdKind });
  }

  /**
   * A struct; members without a bitOffset are placed as a C compiler places
   * them (aligned to their type, bitfields packed into their storage unit),
   * and the size defaults to the end of the last member rounded up to the
   * struct's alignment. Member types must already be added for that.
   */
  struct(name: string, members: MemberSpec[], size?: number): number {
    return this.add(this.record('struct', name, members, size));
  }

  union(name: string, members: MemberSpec[], size?: number): number {
    return this.add(this.record('union', name, members, size));
  }

  enum(name: string, values: EnumValue[], o: { size?: number; signed?: boolean } = {}): number {
    return this.add({ kind: 'enum', name, size: o.size ?? 4, signed: o.signed ?? values.some((v) => v.value < 0), values });
  }

  enum64(name: string, values: Enum64Value[], o: { size?: number; signed?: boolean } = {}): number {
    return this.add({ kind: 'enum64', name, size: o.size ?? 8, signed: o.signed ?? values.some((v) => v.value < 0n), values });
  }

  funcProto(returnType: number, params: (Param | number)[]): number {
    const ps = params.map((p) => (typeof p === 'number' ? { name: '', type: p } : p));
    return this.add({ kind: 'func_proto', name: '', returnType, params: ps });
  }

  func(name: string, proto: number, linkage: Linkage = 'global'): number {
    return this.add({ kind: 'func', name, type: proto, linkage });
  }

  var(name: string, type: number, linkage: Linkage = 'global'): number {
    return this.add({ kind: 'var', name, type, linkage });
  }

  /** A data section; the size defaults to the end of the last variable. */
  datasec(name: string, vars: VarSecinfo[], size?: number): number {
    const end = vars.reduce((n, v) => Math.max(n, v.offset + v.size), 0);
    return this.add({ kind: 'datasec', name, size: size ?? end, vars });
  }

  /** The types so far as a Btf (with the string table `encode` would write). */
  build(options: { littleEndian?: boolean } = {}): Btf {
    const types = this.types.slice();
    const strings = buildStrings(types.slice(this.base ? this.base.types.length : 1), this.base?.strings);
    return new Btf(types, new StringTable(strings.bytes, this.base?.strings), { base: this.base, littleEndian: options.littleEndian });
  }

  encode(options: { littleEndian?: boolean } = {}): Uint8Array {
    return encodeBtf(this.build(options));
  }

  private record(kind: 'struct' | 'union', name: string, specs: MemberSpec[], size?: number): StructType {
    // alignments and sizes of the members come from the types added so far
    const layout = new Layout(new Btf(this.types, new StringTable(new Uint8Array(1)), { base: this.base }), kind === 'union');
    const members = specs.map((m) => layout.place(m));
    const kindFlag = members.some((m) => m.bitfieldSize !== 0);
    return { kind, name, size: size ?? layout.size(), kindFlag, members };
  }
}

/** C's layout rules, as much as BTF needs: natural alignment, bitfields that do not straddle their unit. */
class Layout {
  private bit = 0;
  private end = 0;
  private align = 1;

  constructor(private readonly btf: Btf, private readonly union: boolean) {}

  place(m: MemberSpec): Member {
    const bitfieldSize = m.bitfieldSize ?? 0;
    let bitOffset = m.bitOffset;
    if (bitOffset === undefined) {
      const unit = this.btf.resolveSize(m.type) * 8;
      const align = Math.max(1, this.btf.alignOf(m.type));
      this.align = Math.max(this.align, align);
      bitOffset = this.union ? 0 : this.next(bitfieldSize, unit, align);
      this.bit = bitOffset + (bitfieldSize !== 0 ? bitfieldSize : unit);
    } else {
      // an explicit offset may be of a type without a size (a test of the checker): count no bits then
      this.bit = bitOffset + (bitfieldSize !== 0 ? bitfieldSize : this.sizeOrZero(m.type) * 8);
    }
    this.end = Math.max(this.end, this.bit);
    return { name: m.name, type: m.type, bitOffset, bitfieldSize };
  }

  private sizeOrZero(id: number): number {
    try {
      return this.btf.resolveSize(id);
    } catch (e) {
      if (e instanceof BpfError) return 0;
      throw e;
    }
  }

  private next(bitfieldSize: number, unit: number, align: number): number {
    if (bitfieldSize === 0) return roundUp(this.bit, align * 8);
    // a bitfield that would cross a boundary of its type's storage unit starts the next unit
    const crosses = unit > 0 && Math.floor(this.bit / unit) !== Math.floor((this.bit + bitfieldSize - 1) / unit);
    return crosses ? roundUp(this.bit, unit) : this.bit;
  }

  size(): number {
    return roundUp(Math.ceil(this.end / 8), this.align);
  }
}

const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;
