import { BpfError } from '../errno.js';
import type { Btf } from './btf.js';
import { typeError } from './describe.js';
import { encodeName } from './strings.js';
import { BtfType, DatasecType, Member, StructType, TypeOfKind } from './types.js';

/**
 * The checks Linux's BTF verifier (kernel/bpf/btf.c) makes when BTF is
 * loaded with BPF_BTF_LOAD, in its order: every type's own fields first
 * ("meta": names, sizes, member offsets, section layout), then every type
 * resolved against the types it refers to (loops, sizes of members and array
 * elements, what a modifier or pointer may point to, prototypes), then the
 * placement of type tags. The first violation throws a BpfError naming the
 * type as the kernel's log does, then the rule in the kernel's words:
 * `BTF [12] STRUCT 'foo' size=8 vlen=2: member #1 'b' type_id=3
 * bits_offset=64: Member exceeds struct_size`. checkBtf and the kernel agree
 * on thousands of random and mutated BTF (test/btf-check.test.ts).
 *
 * BTF straight from clang breaks some of these rules until the loader fixes
 * it up as libbpf does (DATASEC sizes and offsets, extern FUNC/VAR linkage),
 * so parseBtf does not call this; the loader does, after the fixups.
 */
export function checkBtf(btf: Btf, options: { source?: string } = {}): void {
  try {
    checkAll(btf);
  } catch (e) {
    // the message already names the type; `source` says which BTF (`prog.o: .BTF`)
    if (e instanceof BpfError && options.source !== undefined) throw new BpfError(e.errno, `${options.source}: ${e.message}`);
    throw e;
  }
}

function checkAll(btf: Btf): void {
  const metas = new MetaChecker();
  for (let id = btf.startId; id < btf.types.length; id++) metas.check(id, btf.types[id]!);
  const resolver = new Resolver(btf);
  // From 1, not startId: split BTF refers to base types, resolved here as the kernel resolved them when it loaded the base.
  for (let id = 1; id < btf.types.length; id++) {
    const t = btf.types[id]!;
    if (needsResolve(t) && !resolver.isResolved(id)) resolver.resolve(id);
    if (t.kind === 'func_proto' && id >= btf.startId) resolver.checkProto(id, t);
  }
  checkTypeTags(btf);
}

/** KSYM_NAME_LEN: names are shorter than this many bytes. */
const MAX_NAME_LEN = 512;
/** Identifiers: C's, with dots anywhere (the kernel accepts `.data` or `a.b` as type names). */
const IDENTIFIER = /^[A-Za-z_.][A-Za-z0-9_.]*$/;
const ASCII = /^[\x00-\x7f]*$/;

/**
 * The kernel checks names byte by byte with its ctype table, which is
 * ISO 8859-1: 0xC0..0xFF (but 0xD7, 0xF7) are letters, 0xA0..0xFF printable.
 * Valid UTF-8 beyond ASCII always has a continuation byte (0x80..0xBF), never
 * a letter; a stray Latin-1 letter byte can pass.
 */
const latin1Letter = (b: number): boolean => b >= 0xc0 && b !== 0xd7 && b !== 0xf7;

function isIdentifier(s: string): boolean {
  if (IDENTIFIER.test(s)) return s.length < MAX_NAME_LEN;
  if (ASCII.test(s)) return false;
  const bytes = encodeName(s);
  if (bytes.length >= MAX_NAME_LEN) return false;
  return bytes.every((b, i) => (b < 0x80 ? IDENTIFIER.test(String.fromCharCode(b)) || (i > 0 && b >= 0x30 && b <= 0x39) : latin1Letter(b)));
}

/** DATASEC names are section names: any printable bytes (`.data.counters`, `.maps`). */
function isSectionName(s: string): boolean {
  const bytes = encodeName(s);
  return bytes.length > 0 && bytes.length < MAX_NAME_LEN && bytes.every((b) => (b >= 0x20 && b < 0x7f) || b >= 0xa0);
}

const ceilBytes = (bits: number): number => Math.ceil(bits / 8);
const isPowerOf2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

function memberText(t: StructType, i: number): string {
  const m = t.members[i]!;
  const bitfield = t.kindFlag ? ` bitfield_size=${m.bitfieldSize}` : '';
  return `member #${i} '${m.name || '(anon)'}' type_id=${m.type}${bitfield} bits_offset=${m.bitOffset}`;
}

/** btf_check_meta: what each type record must satisfy on its own. */
class MetaChecker {
  check(id: number, t: BtfType): void {
    const fail = (rule: string): BpfError => typeError(id, t, rule);
    switch (t.kind) {
      case 'int':
        if (t.bits + t.bitOffset > 128) throw fail('nr_bits exceeds 128');
        if (ceilBytes(t.bits + t.bitOffset) > t.size) throw fail('nr_bits exceeds type_size');
        return;
      case 'ptr': case 'volatile': case 'const': case 'restrict':
        if (t.name !== '') throw fail(`Invalid name: a ${t.kind.toUpperCase()} has no name`);
        return;
      case 'typedef': case 'fwd': case 'func':
        if (!isIdentifier(t.name)) throw fail('Invalid name: not an identifier');
        if (t.kind === 'func' && t.linkage === 'extern') throw fail('Invalid func linkage: extern (the kernel takes static or global)');
        return;
      case 'type_tag':
        if (t.name === '') throw fail('Invalid name: a type tag needs a value');
        return;
      case 'array':
        if (t.name !== '') throw fail('Invalid name: an ARRAY has no name');
        if (t.type === 0) throw fail('Invalid elem: void');
        if (t.indexType === 0) throw fail('Invalid index: void');
        return;
      case 'struct': case 'union':
        return this.record(id, t);
      case 'enum': case 'enum64':
        if (t.size > 8 || !isPowerOf2(t.size)) throw fail('Unexpected size');
        if (t.name !== '' && !isIdentifier(t.name)) throw fail('Invalid name: not an identifier');
        t.values.forEach((v, i) => {
          if (!isIdentifier(v.name)) throw fail(`enumerator #${i} '${v.name}': Invalid name`);
        });
        return;
      case 'func_proto':
        if (t.name !== '') throw fail('Invalid name: a FUNC_PROTO has no name');
        return;
      case 'var':
        if (!isIdentifier(t.name)) throw fail('Invalid name: not an identifier');
        if (t.type === 0) throw fail('Invalid type_id: a variable cannot be void');
        if (t.linkage === 'extern') throw fail('Linkage not supported: extern');
        return;
      case 'datasec':
        return this.datasec(id, t);
      case 'float':
        if (![2, 4, 8, 12, 16].includes(t.size)) throw fail('Invalid type_size');
        return;
      case 'decl_tag':
        if (t.name === '') throw fail('Invalid value: a decl tag needs a value');
        if (t.componentIdx < -1) throw fail('Invalid component_idx');
        return;
      case 'void':
        return;
    }
  }

  private record(id: number, t: StructType): void {
    if (t.name !== '' && !isIdentifier(t.name)) throw typeError(id, t, 'Invalid name: not an identifier');
    let last = 0;
    t.members.forEach((m, i) => {
      const fail = (rule: string): BpfError => typeError(id, t, `${memberText(t, i)}: ${rule}`);
      if (m.name !== '' && !isIdentifier(m.name)) throw fail('Invalid name');
      if (m.type === 0) throw fail('Invalid type_id: a member cannot be void');
      if (t.kind === 'union' && m.bitOffset !== 0) throw fail('Invalid member bits_offset: union members start at 0');
      // ">" not ">=": a flexible array member may share the offset of the end.
      if (last > m.bitOffset) throw fail(`Invalid member bits_offset: below the previous member's ${last}`);
      if (ceilBytes(m.bitOffset) > t.size) throw fail('Member bits_offset exceeds its struct size');
      last = m.bitOffset;
    });
  }

  private datasec(id: number, t: DatasecType): void {
    const fail = (rule: string): BpfError => typeError(id, t, rule);
    if (t.size === 0) throw fail('size == 0');
    if (!isSectionName(t.name)) throw fail('Invalid name: not a section name');
    let lastEnd = 0;
    let sum = 0;
    t.vars.forEach((v, i) => {
      const vfail = (rule: string): BpfError => fail(`var #${i} type_id=${v.type} offset=${v.offset} size=${v.size}: ${rule}`);
      if (v.type === 0) throw vfail('Invalid type_id');
      if (v.offset < lastEnd || v.offset >= t.size) throw vfail(v.offset < lastEnd ? 'Invalid offset: overlaps the previous variable' : 'Invalid offset: past the section size');
      if (v.size === 0 || v.size > t.size) throw vfail('Invalid size');
      lastEnd = v.offset + v.size;
      if (lastEnd > t.size) throw vfail('Invalid offset+size: ends past the section size');
      sum += v.size;
    });
    if (t.size < sum) throw fail('Invalid btf_info size');
  }
}

/** Kinds whose validity depends on the types they refer to (btf_type_needs_resolve). */
function needsResolve(t: BtfType): boolean {
  switch (t.kind) {
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
    case 'struct': case 'union': case 'array': case 'var': case 'func': case 'decl_tag': case 'datasec':
      return true;
    default:
      return false;
  }
}

/** The kernel's "modifiers": typedef and type tags included. */
function isKernelModifier(t: BtfType): boolean {
  switch (t.kind) {
    case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
      return true;
    default:
      return false;
  }
}

/** Types that describe declarations, not values: nothing may have them as its type. */
const isSourceOnly = (t: BtfType): boolean => t.kind === 'var' || t.kind === 'datasec' || t.kind === 'decl_tag';
/** Types without a size: void, FWD, FUNC, FUNC_PROTO. */
const hasNoSize = (t: BtfType): boolean => t.kind === 'void' || t.kind === 'fwd' || t.kind === 'func' || t.kind === 'func_proto';

/** btf_type_int_is_regular: whole bytes (1, 2, 4, 8 or 16 of them) from bit 0; the type's size is not consulted. */
function isRegularInt(t: BtfType): boolean {
  if (t.kind !== 'int') return false;
  return t.bits % 8 === 0 && t.bitOffset === 0 && [1, 2, 4, 8, 16].includes(t.bits / 8);
}

/** What the kernel's pointer-sized things take on a 64-bit host. */
const PTR_SIZE = 8;
/** MAX_RESOLVE_DEPTH */
const MAX_DEPTH = 32;
const enum Visit { None, Visiting, Resolved }
/** The kernel resolves a chain in one of three modes, fixed by the first pointer or record on it. */
const enum Mode { Tbd, Ptr, StructOrArray }

/**
 * btf_resolve: a depth-first walk from each type to what gives it a size,
 * that records for modifiers and pointers the sized type they stand for. A
 * type met again on the current walk is a loop, except where the walk's mode
 * makes it a "sink": a pointer inside a struct (or a struct behind a
 * pointer) ends the walk, which is how `struct list { struct list *next; }`
 * is fine and `const → typedef → const` is not.
 */
class Resolver {
  private readonly visit: Uint8Array;
  private readonly resolvedId: Uint32Array;
  private readonly resolvedSize: Float64Array;
  private mode = Mode.Tbd;
  private depth = 0;
  private top = 0;

  constructor(private readonly btf: Btf) {
    const n = btf.types.length;
    this.visit = new Uint8Array(n);
    this.resolvedId = new Uint32Array(n);
    this.resolvedSize = new Float64Array(n);
  }

  isResolved(id: number): boolean {
    return this.visit[id] === Visit.Resolved;
  }

  resolve(id: number): void {
    this.mode = Mode.Tbd;
    this.depth = 0;
    this.top = id;
    this.enter(id);
  }

  private type(id: number): BtfType {
    return this.btf.types[id]!;
  }

  private isSink(t: BtfType): boolean {
    switch (this.mode) {
      case Mode.Tbd: return !needsResolve(t);
      case Mode.Ptr: return !isKernelModifier(t) && t.kind !== 'ptr';
      case Mode.StructOrArray: return !isKernelModifier(t) && t.kind !== 'array' && t.kind !== 'struct' && t.kind !== 'union';
    }
  }

  /** Resolve `id` first if the walk must go through it. */
  private through(id: number): void {
    if (!this.isSink(this.type(id)) && !this.isResolved(id)) this.enter(id);
  }

  private enter(id: number): void {
    const t = this.type(id);
    if (this.depth === MAX_DEPTH) throw typeError(this.top, this.type(this.top), `Exceeded max resolving depth:${MAX_DEPTH} (at [${id}])`, 'E2BIG');
    if (this.visit[id] !== Visit.None) throw typeError(this.top, this.type(this.top), `Loop detected (through [${id}])`, 'ELOOP');
    this.visit[id] = Visit.Visiting;
    this.depth++;
    if (this.mode === Mode.Tbd) {
      if (t.kind === 'ptr') this.mode = Mode.Ptr;
      else if (t.kind === 'struct' || t.kind === 'union' || t.kind === 'array') this.mode = Mode.StructOrArray;
    }
    const [rid, size] = this.resolveKind(id, t);
    this.resolvedId[id] = rid;
    this.resolvedSize[id] = size;
    this.visit[id] = Visit.Resolved;
    this.depth--;
  }

  /** The resolved type id and size of `t` (what btf_resolved_type_id/size hold). */
  private resolveKind(id: number, t: BtfType): [number, number] {
    switch (t.kind) {
      case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
        return [this.refTarget(id, t, t.type, false), 0];
      case 'ptr':
        return [this.refTarget(id, t, t.type, true), 0];
      case 'var':
        return [this.varTarget(id, t), 0];
      case 'struct': case 'union':
        this.record(id, t);
        return [0, 0];
      case 'array':
        return this.array(id, t);
      case 'func':
        this.func(id, t);
        return [t.type, 0];
      case 'decl_tag':
        this.declTag(id, t);
        return [t.type, 0];
      case 'datasec':
        this.datasec(id, t);
        return [0, 0];
      default:
        throw typeError(id, t, 'Unsupported resolve');
    }
  }

  /**
   * btf_type_id_size: the sized type `id` stands for and its size, or
   * undefined for void, FWD, FUNC and FUNC_PROTO (and what leads to them).
   */
  private idSize(id: number): [number, number] | undefined {
    let t = this.type(id);
    if (isKernelModifier(t) || t.kind === 'var') {
      id = this.resolvedId[id]!;
      t = this.type(id);
    }
    switch (t.kind) {
      case 'int': case 'struct': case 'union': case 'enum': case 'enum64': case 'datasec': case 'float':
        return [id, t.size];
      case 'array':
        return [id, this.resolvedSize[id]!];
      case 'ptr':
        return [id, PTR_SIZE];
      default:
        return undefined;
    }
  }

  /** A modifier, typedef or pointer: what it may refer to and the type it resolves to. */
  private refTarget(id: number, t: BtfType, next: number, isPtr: boolean): number {
    const nt = this.type(next);
    if (isSourceOnly(nt)) throw typeError(id, t, `Invalid type_id: [${next}] is a ${nt.kind.toUpperCase()}`);
    this.through(next);
    if (isPtr) this.throughResolvedPtr(next);
    const sized = this.idSize(next);
    if (sized) return sized[0];
    // A resolved FUNC stands for its prototype: `const` of a FUNC is accepted as of a FUNC_PROTO.
    const final = this.isResolved(next) ? this.resolvedId[next]! : next;
    const ft = this.type(final);
    // `typedef void new_void`, `const void`, pointers to incomplete types and prototypes are fine.
    if (ft.kind !== 'void' && ft.kind !== 'fwd' && ft.kind !== 'func_proto') {
      throw typeError(id, t, `Invalid type_id: [${next}] resolves to a ${ft.kind.toUpperCase()}`);
    }
    return final;
  }

  /** A modifier resolved earlier may have stopped at a pointer that still leads back here. */
  private throughResolvedPtr(next: number): void {
    if (!isKernelModifier(this.type(next))) return;
    const r = this.resolvedId[next]!;
    if (this.type(r).kind === 'ptr') this.through(r);
  }

  private varTarget(id: number, t: TypeOfKind<'var'>): number {
    const nt = this.type(t.type);
    if (isSourceOnly(nt)) throw typeError(id, t, `Invalid type_id: [${t.type}] is a ${nt.kind.toUpperCase()}`);
    this.through(t.type);
    this.throughResolvedPtr(t.type);
    const sized = this.idSize(t.type);
    if (!sized) throw typeError(id, t, `Invalid type_id: [${t.type}] has no size`);
    return sized[0];
  }

  private record(id: number, t: StructType): void {
    t.members.forEach((m, i) => {
      const mt = this.type(m.type);
      if (hasNoSize(mt) || isSourceOnly(mt)) throw typeError(id, t, `${memberText(t, i)}: Invalid member: a ${mt.kind.toUpperCase()} has no size`);
      this.through(m.type);
      const rule = this.memberRule(t, m, m.type);
      if (rule) throw typeError(id, t, `${memberText(t, i)}: ${rule}`);
    });
  }

  /** check_member / check_kflag_member of the member's type: what breaks, or undefined. */
  private memberRule(s: StructType, m: Member, typeId: number): string | undefined {
    const mt = this.type(typeId);
    if (isKernelModifier(mt)) return this.memberRule(s, m, this.resolvedId[typeId]!);
    if (mt.kind === 'int') return s.kindFlag ? intKflagMemberRule(s, m, mt) : intMemberRule(s, m, mt);
    if (mt.kind === 'enum' || mt.kind === 'enum64') return enumMemberRule(s, m, mt.size);
    if (s.kindFlag && m.bitfieldSize !== 0) return 'Invalid member bitfield_size: only ints and enums can be bitfields';
    const bytes = Math.floor(m.bitOffset / 8);
    switch (mt.kind) {
      case 'ptr': case 'array': case 'struct': case 'union': {
        if (m.bitOffset % 8 !== 0) return 'Member is not byte aligned';
        const size = mt.kind === 'ptr' ? PTR_SIZE : mt.kind === 'array' ? this.resolvedSize[typeId]! : mt.size;
        return s.size - bytes < size ? 'Member exceeds struct_size' : undefined;
      }
      case 'float': {
        const align = Math.min(PTR_SIZE, mt.size) * 8;
        if (m.bitOffset % align !== 0) return 'Member is not properly aligned';
        return bytes + mt.size > s.size ? 'Member exceeds struct_size' : undefined;
      }
      default:
        return `Unsupported check_member: a ${mt.kind.toUpperCase()} member`;
    }
  }

  private array(id: number, t: TypeOfKind<'array'>): [number, number] {
    const it = this.type(t.indexType);
    if (hasNoSize(it) || isSourceOnly(it)) throw typeError(id, t, 'Invalid index');
    this.through(t.indexType);
    const index = this.idSize(t.indexType);
    if (!index || !isRegularInt(this.type(index[0]))) throw typeError(id, t, 'Invalid index: not a regular int');
    const et = this.type(t.type);
    if (hasNoSize(et) || isSourceOnly(et)) throw typeError(id, t, `Invalid elem: a ${et.kind.toUpperCase()} has no size`);
    this.through(t.type);
    const elem = this.idSize(t.type);
    if (!elem) throw typeError(id, t, 'Invalid elem');
    const [elemId, elemSize] = elem;
    const e = this.type(elemId);
    if (e.kind === 'int' && !isRegularInt(e)) throw typeError(id, t, 'Invalid array of int');
    if (t.nelems !== 0 && elemSize > Math.floor(0xffffffff / t.nelems)) throw typeError(id, t, 'Array size overflows U32_MAX');
    return [elemId, elemSize * t.nelems];
  }

  private func(id: number, t: TypeOfKind<'func'>): void {
    const proto = this.type(t.type);
    if (proto.kind !== 'func_proto') throw typeError(id, t, `Invalid type_id: [${t.type}] is not a FUNC_PROTO`);
    proto.params.forEach((p, i) => {
      if (p.name === '' && p.type !== 0) throw typeError(id, t, `Invalid arg#${i + 1}: a function's parameters need names`);
    });
  }

  private declTag(id: number, t: TypeOfKind<'decl_tag'>): void {
    const target = this.type(t.type);
    const kinds = ['struct', 'union', 'var', 'func', 'typedef'];
    if (!kinds.includes(target.kind)) throw typeError(id, t, `Invalid type_id: a tag cannot annotate a ${target.kind.toUpperCase()}`);
    this.through(t.type);
    if (t.componentIdx === -1) return;
    if (target.kind === 'var' || target.kind === 'typedef') throw typeError(id, t, `Invalid component_idx: a ${target.kind.toUpperCase()} has no components`);
    const count = target.kind === 'struct' || target.kind === 'union'
      ? target.members.length
      : (this.type((target as TypeOfKind<'func'>).type) as TypeOfKind<'func_proto'>).params.length;
    if (t.componentIdx >= count) throw typeError(id, t, `Invalid component_idx: [${t.type}] has ${count}`);
  }

  private datasec(id: number, t: DatasecType): void {
    this.mode = Mode.Tbd;
    t.vars.forEach((v, i) => {
      const where = `var #${i} type_id=${v.type} offset=${v.offset} size=${v.size}`;
      const vt = this.type(v.type);
      if (vt.kind !== 'var') throw typeError(id, t, `${where}: Not a VAR kind member`);
      this.through(v.type);
      const sized = this.idSize(vt.type);
      if (!sized) throw typeError(id, t, `${where}: Invalid type`);
      if (v.size < sized[1]) throw typeError(id, t, `${where}: Invalid size: the variable takes ${sized[1]} bytes`);
    });
  }

  /** btf_func_proto_check: the return and parameter types must have sizes. */
  checkProto(id: number, t: TypeOfKind<'func_proto'>): void {
    if (t.returnType !== 0) {
      const rt = this.type(t.returnType);
      if (isSourceOnly(rt)) throw typeError(id, t, 'Invalid return type');
      if (needsResolve(rt) && !this.isResolved(t.returnType)) this.resolve(t.returnType);
      if (!this.idSize(t.returnType)) throw typeError(id, t, `Invalid return type: [${t.returnType}] has no size`);
    }
    let n = t.params.length;
    if (n > 0 && t.params[n - 1]!.type === 0) {
      if (t.params[n - 1]!.name !== '') throw typeError(id, t, `Invalid arg#${n}: a vararg has no name`);
      n--;
    }
    for (let i = 0; i < n; i++) {
      const p = t.params[i]!;
      const pt = this.type(p.type);
      if (isSourceOnly(pt)) throw typeError(id, t, `Invalid arg#${i + 1}`);
      if (p.name !== '' && !isIdentifier(p.name)) throw typeError(id, t, `Invalid arg#${i + 1}: name is not an identifier`);
      if (needsResolve(pt) && !this.isResolved(p.type)) this.resolve(p.type);
      if (!this.idSize(p.type)) throw typeError(id, t, `Invalid arg#${i + 1}: [${p.type}] has no size`);
    }
  }
}

function intMemberRule(s: StructType, m: Member, mt: TypeOfKind<'int'>): string | undefined {
  const off = m.bitOffset + mt.bitOffset;
  if (off > 0xffffffff) return 'bits_offset exceeds U32_MAX';
  const bytes = Math.floor(off / 8);
  const copyBits = mt.bits + (off % 8);
  if (copyBits > 128) return 'nr_copy_bits exceeds 128';
  return s.size < bytes || s.size - bytes < ceilBytes(copyBits) ? 'Member exceeds struct_size' : undefined;
}

function intKflagMemberRule(s: StructType, m: Member, mt: TypeOfKind<'int'>): string | undefined {
  if (!isRegularInt(mt)) return 'Invalid member base type: a bitfield needs a regular int';
  let bits = m.bitfieldSize;
  if (bits === 0) {
    if (m.bitOffset % 8 !== 0) return 'Invalid member offset: not a bitfield, not byte aligned';
    bits = mt.bits;
  } else if (bits > mt.bits) {
    return 'Invalid member bitfield_size: wider than its int';
  }
  const bytes = Math.floor(m.bitOffset / 8);
  const copyBits = bits + (m.bitOffset % 8);
  if (copyBits > 128) return 'nr_copy_bits exceeds 128';
  return s.size < bytes || s.size - bytes < ceilBytes(copyBits) ? 'Member exceeds struct_size' : undefined;
}

function enumMemberRule(s: StructType, m: Member, size: number): string | undefined {
  let bits = s.kindFlag ? m.bitfieldSize : 0;
  if (bits === 0) {
    if (m.bitOffset % 8 !== 0) return 'Member is not byte aligned';
    bits = size * 8;
  } else if (bits > size * 8) {
    return 'Invalid member bitfield_size: wider than its enum';
  }
  return ceilBytes(m.bitOffset + bits) > s.size ? 'Member exceeds struct_size' : undefined;
}

/**
 * btf_check_type_tags: in a chain of modifiers, type tags come first
 * (`ptr → type_tag → const → int`, never `const → type_tag`), and no chain
 * is longer than 32.
 */
function checkTypeTags(btf: Btf): void {
  let good = btf.startId - 1;
  for (let id = btf.startId; id < btf.types.length; id++) {
    let t = btf.types[id]!;
    if (!isKernelModifier(t)) continue;
    let inTags = t.kind === 'type_tag';
    let cur = id;
    for (let limit = MAX_DEPTH; isKernelModifier(t); limit--) {
      if (limit === 0) throw typeError(id, btf.types[id]!, 'Max chain length or cycle detected', 'ELOOP');
      if (t.kind === 'type_tag') {
        if (!inTags) throw typeError(id, btf.types[id]!, `Type tags don't precede modifiers (tag [${cur}])`);
      } else {
        inTags = false;
      }
      if (cur <= good) break;
      cur = (t as TypeOfKind<'const'>).type;
      t = btf.types[cur]!;
    }
    good = id;
  }
}
