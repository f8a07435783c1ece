import { BpfError } from '../errno.js';
import { describeType, typeError } from './describe.js';
import { MAX_NESTING, typeName } from './decl.js';
import { StringTable } from './strings.js';
import { BtfKind, BtfType, StructType, TypeOfKind, VOID, isModifier } from './types.js';

/**
 * A parsed (or built) BTF: `types[id]` is the type with that id (0 is void),
 * plus the string section that `.BTF.ext` records point into. Split BTF
 * (kernel module BTF over vmlinux) shares its base's types and strings: its
 * own types start at `startId`. The types are plain data, not to be changed
 * once in a Btf (lookups and alignments are remembered); to change BTF, build
 * a new one (BtfBuilder, or `new Btf(edited types, …)`).
 */
export class Btf {
  readonly types: readonly BtfType[];
  readonly strings: StringTable;
  readonly base: Btf | undefined;
  /** id of the first type this BTF defines itself (1, or the base's count for split BTF) */
  readonly startId: number;
  /** byte order of the blob it was parsed from (and of encodeBtf's default output) */
  readonly littleEndian: boolean;
  private byName: Map<string, number[]> | undefined;
  private ptrSize: number | undefined;
  private aligns: Int8Array | undefined;

  /**
   * `types` holds every type by id: void at 0, then (for split BTF) the
   * base's types, then this BTF's own.
   */
  constructor(types: readonly BtfType[], strings: StringTable, options: { base?: Btf; littleEndian?: boolean } = {}) {
    this.base = options.base;
    this.startId = this.base ? this.base.types.length : 1;
    if (types[0] !== VOID || types.length < this.startId) throw new BpfError('EINVAL', 'BTF: types must start with void (and the base types, for split BTF)');
    this.types = types;
    this.strings = strings;
    this.littleEndian = options.littleEndian ?? true;
  }

  /** Types this BTF defines itself, without void and without the base's. */
  get ownTypes(): readonly BtfType[] {
    return this.types.slice(this.startId);
  }

  type(id: number): BtfType {
    const t = this.types[id];
    if (t === undefined) throw new BpfError('ENOENT', `BTF: no type [${id}] (type ids go up to ${this.types.length - 1})`);
    return t;
  }

  /** The type with this id, which must be of `kind`. */
  typeOf<K extends BtfKind>(id: number, kind: K): TypeOfKind<K> {
    const t = this.type(id);
    if (t.kind !== kind) throw typeError(id, t, `expected ${kind.toUpperCase()}`);
    return t as TypeOfKind<K>;
  }

  /** The string at a string-section offset (for `.BTF.ext` records), or undefined when out of range. */
  str(offset: number): string | undefined {
    return this.strings.at(offset);
  }

  /** Ids of all types named `name`, optionally of one kind, in id order. */
  findAll(name: string, kind?: BtfKind): number[] {
    const ids = this.nameIndex().get(name) ?? [];
    return kind === undefined ? [...ids] : ids.filter((id) => this.types[id]!.kind === kind);
  }

  /** The first type named `name` (of `kind`, when given). */
  find(name: string, kind?: BtfKind): number | undefined {
    const ids = this.nameIndex().get(name);
    return ids?.find((id) => kind === undefined || this.types[id]!.kind === kind);
  }

  private nameIndex(): Map<string, number[]> {
    if (this.byName) return this.byName;
    const index = new Map<string, number[]>();
    this.types.forEach((t, id) => {
      if (t.name === '') return;
      const ids = index.get(t.name);
      if (ids) ids.push(id);
      else index.set(t.name, [id]);
    });
    this.byName = index;
    return index;
  }

  /** Follow const/volatile/restrict/type_tag to the qualified type. */
  skipModifiers(id: number): number {
    return this.skip(id, (t) => isModifier(t));
  }

  /** Follow modifiers and typedefs to the underlying type (libbpf's skip_mods_and_typedefs). */
  skipModsAndTypedefs(id: number): number {
    return this.skip(id, (t) => isModifier(t) || t.kind === 'typedef');
  }

  private skip(id: number, through: (t: BtfType) => boolean): number {
    const start = id;
    for (let depth = 0; depth <= MAX_CHAIN; depth++) {
      const t = this.type(id);
      if (!through(t)) return id;
      id = (t as { type: number }).type;
    }
    throw chainTooLong(start, this.type(start));
  }

  /**
   * Size in bytes of a value of type `id`, through typedefs, modifiers, vars
   * and arrays (libbpf's btf__resolve_size). Void, FWD, FUNC and FUNC_PROTO
   * have no size: EINVAL.
   */
  resolveSize(id: number): number {
    const start = id;
    let nelems = 1;
    for (let depth = 0; depth <= MAX_CHAIN; depth++) {
      const t = this.type(id);
      switch (t.kind) {
        case 'int': case 'struct': case 'union': case 'enum': case 'enum64': case 'datasec': case 'float':
          return checkedSize(start, this.type(start), nelems * t.size);
        case 'ptr':
          return checkedSize(start, this.type(start), nelems * this.pointerSize);
        case 'typedef': case 'volatile': case 'const': case 'restrict': case 'var': case 'decl_tag': case 'type_tag':
          id = t.type;
          break;
        case 'array':
          nelems *= t.nelems;
          id = t.type;
          break;
        default:
          throw typeError(start, this.type(start), `has no size (reaches ${describeType(id, t)})`);
      }
    }
    throw chainTooLong(start, this.type(start));
  }

  /**
   * Natural alignment in bytes, as libbpf's btf__align_of computes it: a
   * struct whose members are not at their natural offsets, or whose size is
   * not a multiple of its alignment, was packed and aligns to 1. 0 for types
   * without alignment (void, FWD, FUNC_PROTO…).
   */
  alignOf(id: number, depth = 0): number {
    if (depth > MAX_NESTING) throw typeError(id, this.type(id), `types nest more than ${MAX_NESTING} deep (a loop?)`, 'ELOOP');
    const t = this.type(id);
    // The C dump asks for every member of every record: remembered (alignments are below 128).
    this.aligns ??= new Int8Array(this.types.length).fill(-1);
    if (this.aligns[id]! >= 0) return this.aligns[id]!;
    const align = this.computeAlign(t, depth);
    this.aligns[id] = align;
    return align;
  }

  private computeAlign(t: BtfType, depth: number): number {
    switch (t.kind) {
      case 'int': case 'enum': case 'enum64': case 'float':
        return Math.min(this.pointerSize, t.size);
      case 'ptr':
        return this.pointerSize;
      case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag': case 'array':
        return this.alignOf(t.type, depth + 1);
      case 'struct': case 'union':
        return this.recordAlign(t, depth);
      default:
        return 0;
    }
  }

  private recordAlign(t: StructType, depth: number): number {
    let max = 1;
    for (const m of t.members) {
      const align = this.alignOf(m.type, depth + 1);
      if (align <= 0) return 0;
      if (m.bitfieldSize === 0 && m.bitOffset % (8 * align) !== 0) return 1;
      max = Math.max(max, align);
    }
    return t.size % max === 0 ? max : 1;
  }

  /**
   * Pointer size of the target the BTF describes: the size of its `long`
   * (libbpf's determine_ptr_size), else the base's, else 8.
   */
  get pointerSize(): number {
    if (this.ptrSize === undefined) this.ptrSize = this.base?.pointerSize ?? guessPointerSize(this.types) ?? 8;
    return this.ptrSize;
  }

  /** The type as C spells it in a declaration without a name: `const char *`, `int[4]`, `struct foo`. */
  typeName(id: number): string {
    return typeName(this, id);
  }
}

/** libbpf's MAX_RESOLVE_DEPTH: longer modifier chains are treated as loops. */
export const MAX_CHAIN = 32;

function chainTooLong(id: number, t: BtfType): BpfError {
  return typeError(id, t, `type chain longer than ${MAX_CHAIN} (a loop?)`, 'ELOOP');
}

function checkedSize(id: number, t: BtfType, size: number): number {
  if (size > 0xffffffff) throw typeError(id, t, `size ${size} does not fit in 32 bits`, 'E2BIG');
  return size;
}

const LONG_NAMES = new Set([
  'long', 'long int', 'int long', 'unsigned long', 'long unsigned', 'unsigned long int',
  'unsigned int long', 'long unsigned int', 'long int unsigned', 'int unsigned long', 'int long unsigned',
]);

function guessPointerSize(types: readonly BtfType[]): number | undefined {
  for (const t of types) {
    if (t.kind === 'int' && (t.size === 4 || t.size === 8) && LONG_NAMES.has(t.name)) return t.size;
  }
  return undefined;
}
