import { BpfError } from '../errno.js';
import type { Btf } from './btf.js';
import { DeclWriter } from './decl.js';
import { typeError } from './describe.js';
import { BtfType, StructType, TypeOfKind } from './types.js';

/**
 * BTF as a C header, the text `bpftool btf dump file F format c` prints
 * (bpftool 7.1 / libbpf 1.1): every type is ordered so that C sees each
 * definition before a use that needs its size, with a forward declaration
 * (`struct foo;`) where a pointer is enough to break a cycle; anonymous
 * records and enums are written inline; bitfields, padding that the C
 * compiler would not reproduce by itself, and `__attribute__((packed))` are
 * written where the layout needs them; names that occur twice get a
 * `___N` suffix.
 */
export interface DumpCOptions {
  /** wrap the output in bpftool's `#ifndef __VMLINUX_H__` guard and preserve_access_index pragma (default true) */
  header?: boolean;
  /** dump only these types and what they need (default: every type, in id order) */
  roots?: readonly number[];
}

export function dumpC(btf: Btf, options: DumpCOptions = {}): string {
  const d = new CDumper(btf);
  const header = options.header ?? true;
  if (header) d.out += HEADER;
  const roots = options.roots ?? range(1, btf.types.length);
  for (const id of roots) d.dumpType(id);
  if (header) d.out += FOOTER;
  return d.out;
}

const HEADER =
  '#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n' +
  '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n' +
  '#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n';

const FOOTER = '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n#endif /* __VMLINUX_H__ */\n';

function range(from: number, to: number): number[] {
  const ids = new Array<number>(Math.max(0, to - from));
  for (let i = from; i < to; i++) ids[i - from] = i;
  return ids;
}

const enum Order { None, Ordering, Ordered }
const enum Emit { None, Emitting, Emitted }

/** C names the compiler provides that must not be redefined. */
const BUILTIN_TYPEDEFS = new Set(['__builtin_va_list']);

/** ARM NEON polynomial types are compiler built-ins that other compilers lack: libbpf typedefs them. */
const MISSING_BASE_TYPES = new Map([
  ['__Poly8_t', 'unsigned char'],
  ['__Poly16_t', 'unsigned short'],
  ['__Poly64_t', 'unsigned long long'],
  ['__Poly128_t', 'unsigned __int128'],
]);

const tabs = (n: number): string => '\t'.repeat(n);

/**
 * Limits on `long: 64;` lines, per gap and per dump, so that BTF claiming
 * absurd sizes cannot make the dump huge. vmlinux needs ~5000 in all, its
 * largest gap a few dozen.
 */
const MAX_GAP_LINES = 1 << 14;
const MAX_PAD_LINES = 1 << 18;
/** vmlinux prints as ~5 MiB of C in ~140 000 steps of emitType; far beyond is BTF built to blow the dump up. */
const MAX_OUTPUT = 64 << 20;
const MAX_STEPS = 1 << 22;

class CDumper extends DeclWriter {
  private readonly order: Uint8Array;
  private readonly emit: Uint8Array;
  private readonly fwdEmitted: Uint8Array;
  /** the type is used by another type (anonymous enums used nowhere are still printed) */
  private readonly referenced: Uint8Array;
  private readonly nameResolved: Uint8Array;
  private readonly renamed = new Map<number, string>();
  /** struct, union, enum and fwd names: one C tag namespace */
  private readonly typeNames = new Map<string, number>();
  /** typedef names and enumerators: the C ordinary identifier namespace */
  private readonly identNames = new Map<string, number>();
  private queue: number[] = [];
  /** padding lines this dump may still write (see MAX_PAD_LINES) */
  private padBudget = MAX_PAD_LINES;
  private stepBudget = MAX_STEPS;

  constructor(btf: Btf) {
    super(btf);
    const n = btf.types.length;
    this.order = new Uint8Array(n);
    this.emit = new Uint8Array(n);
    this.fwdEmitted = new Uint8Array(n);
    this.referenced = new Uint8Array(n);
    this.nameResolved = new Uint8Array(n);
    this.order[0] = Order.Ordered;
    this.emit[0] = Emit.Emitted;
    this.markReferenced();
  }

  private markReferenced(): void {
    for (const t of this.btf.types) {
      switch (t.kind) {
        case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict':
        case 'type_tag': case 'func': case 'var': case 'decl_tag':
          this.referenced[t.type] = 1;
          break;
        case 'array':
          this.referenced[t.type] = 1;
          this.referenced[t.indexType] = 1;
          break;
        case 'struct': case 'union':
          for (const m of t.members) this.referenced[m.type] = 1;
          break;
        case 'func_proto': // libbpf marks the parameters, not the return type
          for (const p of t.params) this.referenced[p.type] = 1;
          break;
        case 'datasec':
          for (const v of t.vars) this.referenced[v.type] = 1;
          break;
        default:
          break;
      }
    }
  }

  dumpType(id: number): void {
    this.btf.type(id);
    this.queue = [];
    this.orderType(id, false);
    for (const q of this.queue) this.emitType(q, 0);
  }

  /**
   * Topological order of the definitions `id` needs. An edge through a
   * pointer is weak (a forward declaration satisfies it) unless the pointee
   * is anonymous and must be defined inline. Returns whether `id` is a
   * strong definition (typedefs use it to know whether they may be emitted
   * before their target is complete).
   */
  private orderType(id: number, throughPtr: boolean): boolean {
    if (this.order[id] === Order.Ordered) return true;
    this.enter(id);
    const strong = this.orderUnordered(id, throughPtr);
    this.leave();
    return strong;
  }

  private orderUnordered(id: number, throughPtr: boolean): boolean {
    const t = this.btf.types[id]!;
    if (this.order[id] === Order.Ordering) {
      if ((t.kind === 'struct' || t.kind === 'union') && throughPtr && t.name !== '') return false;
      throw typeError(id, t, 'unsatisfiable type cycle', 'ELOOP');
    }
    switch (t.kind) {
      case 'int': case 'float':
        this.order[id] = Order.Ordered;
        return false;
      case 'ptr': {
        const strong = this.orderType(t.type, true);
        this.order[id] = Order.Ordered;
        return strong;
      }
      case 'array':
        return this.orderType(t.type, false);
      case 'struct': case 'union':
        return this.orderRecord(id, t, throughPtr);
      case 'enum': case 'enum64': case 'fwd':
        if (t.name !== '' || !this.referenced[id]) this.queue.push(id);
        this.order[id] = Order.Ordered;
        return true;
      case 'typedef': {
        const strong = this.orderType(t.type, throughPtr);
        if (throughPtr && !strong) return false;
        this.queue.push(id);
        this.order[id] = Order.Ordered;
        return true;
      }
      case 'volatile': case 'const': case 'restrict': case 'type_tag':
        return this.orderType(t.type, throughPtr);
      case 'func_proto': {
        let strong = this.orderType(t.returnType, throughPtr);
        for (const p of t.params) if (this.orderType(p.type, throughPtr)) strong = true;
        return strong;
      }
      default: // FUNC, VAR, DATASEC, DECL_TAG are not C type definitions
        this.order[id] = Order.Ordered;
        return false;
    }
  }

  private orderRecord(id: number, t: StructType, throughPtr: boolean): boolean {
    // A named record behind a pointer only needs a forward declaration.
    if (throughPtr && t.name !== '') return false;
    this.order[id] = Order.Ordering;
    for (const m of t.members) this.orderType(m.type, false);
    if (t.name !== '') this.queue.push(id);
    this.order[id] = Order.Ordered;
    return true;
  }

  /**
   * Print `id` and, before it, what its text refers to that is not yet
   * declared. `contId` is the record whose definition is being printed (0
   * at top level): a record referring to its container needs no forward
   * declaration.
   */
  private emitType(id: number, contId: number): void {
    if (this.emit[id] === Emit.Emitted) return;
    this.enter(id);
    this.emitUnemitted(id, contId);
    this.leave();
  }

  private emitUnemitted(id: number, contId: number): void {
    const t = this.btf.types[id]!;
    // Anonymous records are walked again at each use: nested and repeated, the walk can multiply without end.
    if (--this.stepBudget < 0) throw typeError(id, t, `the C dump takes more than ${MAX_STEPS} steps (anonymous records nested and repeated?)`, 'E2BIG');
    if (this.emit[id] === Emit.Emitting) return this.emitCycleBreaker(id, t, contId);
    switch (t.kind) {
      case 'int':
        this.emitMissingAlias(id);
        this.emit[id] = Emit.Emitted;
        break;
      case 'enum': case 'enum64':
        if (contId === 0) {
          this.enumDef(id, t, 0);
          this.out += ';\n\n';
        }
        this.emit[id] = Emit.Emitted;
        break;
      case 'ptr': case 'volatile': case 'const': case 'restrict': case 'type_tag': case 'array':
        this.emitType(t.type, contId);
        break;
      case 'fwd':
        this.out += `${this.fwdRef(id, t)};\n\n`;
        this.emit[id] = Emit.Emitted;
        break;
      case 'typedef':
        this.emit[id] = Emit.Emitting;
        this.emitType(t.type, id);
        if (!this.fwdEmitted[id] && !BUILTIN_TYPEDEFS.has(t.name)) this.emitTypedef(id, t);
        this.emit[id] = Emit.Emitted;
        break;
      case 'struct': case 'union':
        this.emitRecord(id, t, contId);
        break;
      case 'func_proto':
        this.emitType(t.returnType, contId);
        for (const p of t.params) this.emitType(p.type, contId);
        break;
      default:
        break;
    }
  }

  /** A type reached again while its own dependencies are printed: declare it so the cycle compiles. */
  private emitCycleBreaker(id: number, t: BtfType, contId: number): void {
    if (this.fwdEmitted[id]) return;
    if (t.kind === 'struct' || t.kind === 'union') {
      if (id === contId) return;
      if (t.name === '') return; // libbpf warns "anonymous struct/union loop" and prints nothing
      this.out += `${this.recordRef(id, t)};\n\n`;
      this.fwdEmitted[id] = 1;
    } else if (t.kind === 'typedef') {
      // Only pointers can reach a typedef in this state, so its definition may come first.
      if (!BUILTIN_TYPEDEFS.has(t.name)) this.emitTypedef(id, t);
      this.fwdEmitted[id] = 1;
    }
  }

  private emitRecord(id: number, t: StructType, contId: number): void {
    this.emit[id] = Emit.Emitting;
    const topLevel = contId === 0;
    if (topLevel || t.name === '') {
      // The members' declarations will be printed in full: declare what they need.
      const cont = t.name === '' ? contId : id;
      for (const m of t.members) this.emitType(m.type, cont);
    } else if (!this.fwdEmitted[id] && id !== contId) {
      this.out += `${this.recordRef(id, t)};\n\n`;
      this.fwdEmitted[id] = 1;
    }
    if (topLevel) {
      this.recordDef(id, t, 0);
      this.out += ';\n\n';
      this.emit[id] = Emit.Emitted;
    } else {
      this.emit[id] = Emit.None;
    }
  }

  private emitTypedef(id: number, t: TypeOfKind<'typedef'>): void {
    const name = this.identName(id);
    if (t.type === 0 && name === '__gnuc_va_list') {
      // old GCC emits this typedef to void; the valid C is the built-in
      this.out += 'typedef __builtin_va_list __gnuc_va_list;\n\n';
      return;
    }
    this.out += 'typedef ';
    this.decl(t.type, name, 0);
    this.out += ';\n\n';
  }

  private emitMissingAlias(id: number): void {
    const name = this.typeName(id);
    const base = MISSING_BASE_TYPES.get(name);
    if (base !== undefined) this.out += `typedef ${base} ${name};\n\n`;
  }

  // ---- names -------------------------------------------------------------

  /** How often `name` has been claimed in `names`, counting this claim. */
  private claim(names: Map<string, number>, name: string): number {
    const n = (names.get(name) ?? 0) + 1;
    names.set(name, n);
    return n;
  }

  /** The C name of type `id`, renamed `name___N` when another type already used it. */
  private resolveName(id: number, names: Map<string, number>): string {
    const t = this.btf.types[id]!;
    if (t.name === '') return '';
    if (this.nameResolved[id]) return this.renamed.get(id) ?? t.name;
    this.nameResolved[id] = 1;
    // Forward declarations and empty enums may repeat: they declare, not define.
    if (t.kind === 'fwd' || (t.kind === 'enum' && t.values.length === 0)) return t.name;
    const n = this.claim(names, t.name);
    if (n > 1) this.renamed.set(id, `${t.name}___${n}`);
    return this.renamed.get(id) ?? t.name;
  }

  private typeName(id: number): string {
    return this.resolveName(id, this.typeNames);
  }

  private identName(id: number): string {
    return this.resolveName(id, this.identNames);
  }

  override recordRef(id: number, t: StructType): string {
    const name = this.typeName(id);
    return t.name === '' ? t.kind : `${t.kind} ${name}`;
  }

  override anonRecord(id: number, t: StructType, lvl: number): void {
    this.enter(id);
    this.recordDef(id, t, lvl);
    this.leave();
  }

  override enumRef(id: number): string {
    return `enum ${this.typeName(id)}`;
  }

  override anonEnum(id: number, t: TypeOfKind<'enum'> | TypeOfKind<'enum64'>, lvl: number): void {
    this.enumDef(id, t, lvl);
  }

  override fwdRef(id: number, t: TypeOfKind<'fwd'>): string {
    return `${t.fwdKind} ${this.typeName(id)}`;
  }

  override typedefRef(id: number): string {
    return this.identName(id);
  }

  // ---- definitions -------------------------------------------------------

  private recordDef(id: number, t: StructType, lvl: number): void {
    // Anonymous records are printed inline wherever they are used: nested ones can multiply without end.
    if (this.out.length > MAX_OUTPUT) throw typeError(id, t, `the C dump grows past ${MAX_OUTPUT >> 20} MiB (anonymous records nested and repeated?)`, 'E2BIG');
    const align = this.btf.alignOf(id);
    const packed = t.kind === 'struct' && this.isPacked(t);
    this.out += `${this.recordRef(id, t)} {`;
    let off = 0;
    let prevBitfield = false;
    for (const m of t.members) {
      const mAlign = packed ? 1 : this.btf.alignOf(m.type);
      this.padding(off, m.bitOffset, mAlign, prevBitfield && m.bitfieldSize !== 0, lvl + 1);
      this.out += `\n${tabs(lvl + 1)}`;
      this.decl(m.type, m.name, lvl + 1);
      if (m.bitfieldSize !== 0) {
        this.out += `: ${m.bitfieldSize}`;
        off = m.bitOffset + m.bitfieldSize;
        prevBitfield = true;
      } else {
        off = m.bitOffset + this.sizeOrZero(m.type) * 8;
        prevBitfield = false;
      }
      this.out += ';';
    }
    if (t.kind === 'struct') this.padding(off, t.size * 8, align, false, lvl + 1);
    // `struct empty {}` stays on one line.
    this.out += t.members.length > 0 || t.size > 0 ? `\n${tabs(lvl)}}` : '}';
    if (packed) this.out += ' __attribute__((packed))';
  }

  private sizeOrZero(id: number): number {
    try {
      return this.btf.resolveSize(id);
    } catch (e) {
      if (e instanceof BpfError) return 0;
      throw e;
    }
  }

  /** A member off its natural alignment, or a size that is no multiple of the alignment, means `packed`. */
  private isPacked(t: StructType): boolean {
    let maxAlign = 1;
    for (const m of t.members) {
      const align = this.btf.alignOf(m.type);
      if (align !== 0 && m.bitfieldSize === 0 && m.bitOffset % (8 * align) !== 0) return true;
      maxAlign = Math.max(maxAlign, align);
    }
    return t.size % maxAlign !== 0;
  }

  /**
   * Fill the bits between `cur` and `next` with anonymous bitfields
   * (`long: 64;`) where the compiler would not leave the same gap by itself:
   * first align to the largest of long/int/short/char that fits, marking the
   * alignment with `<type>: 0` where the next member's own alignment would
   * not reach it, then fill whole units and a smallest-type remainder.
   */
  private padding(cur: number, next: number, nextAlign: number, inBitfield: boolean, lvl: number): void {
    if (cur >= next) return;
    // BTF can claim gigabyte-sized gaps; bpftool would print them line by line, the dump says so instead.
    const lines = (next - cur) / (this.btf.pointerSize * 8);
    if (lines > MAX_GAP_LINES || lines > this.padBudget) {
      this.out += `\n${tabs(lvl)}/* ${next - cur} bits of padding not written out */`;
      return;
    }
    this.padBudget -= lines;
    const pads: [string, number][] = [['long', this.btf.pointerSize * 8], ['int', 32], ['short', 16], ['char', 8]];
    let [padType, padBits] = pads[pads.length - 1]!;
    let aligned = cur;
    for (const [type, bits] of pads) {
      [padType, padBits] = [type, bits];
      aligned = roundUp(cur, bits);
      if (aligned <= next) break;
    }
    if (aligned > cur && aligned <= next) {
      const compilerAligns = roundUp(cur, nextAlign * 8) === aligned;
      if (inBitfield || (aligned === next && !compilerAligns) || (aligned !== next && next - aligned <= aligned - cur)) {
        this.out += `\n${tabs(lvl)}${padType}: ${inBitfield ? aligned - cur : 0};`;
      }
      cur = aligned;
    }
    while (cur !== next) {
      const bits = Math.min(next - cur, padBits);
      if (bits === padBits) {
        this.out += `\n${tabs(lvl)}${padType}: ${padBits};`;
        cur += bits;
        continue;
      }
      // The remainder: the smallest type that holds it.
      const [type] = [...pads].reverse().find(([, b]) => b >= bits)!;
      this.out += `\n${tabs(lvl)}${type}: ${bits};`;
      cur += bits;
    }
  }

  private enumDef(id: number, t: TypeOfKind<'enum'> | TypeOfKind<'enum64'>, lvl: number): void {
    this.out += t.name === '' ? 'enum' : `enum ${this.typeName(id)}`;
    if (t.values.length === 0) return;
    this.out += ' {';
    const suffix = t.kind === 'enum64' ? (t.signed ? 'LL' : 'ULL') : '';
    for (const v of t.values) {
      // Enumerators share the ordinary identifier namespace with typedefs.
      const n = this.claim(this.identNames, v.name);
      const name = n > 1 ? `${v.name}___${n}` : v.name;
      this.out += `\n${tabs(lvl + 1)}${name} = ${v.value}${suffix},`;
    }
    this.out += `\n${tabs(lvl)}}`;
  }
}

/** x rounded up to a multiple of `to` (x itself when `to` is 0, where libbpf would divide by zero). */
function roundUp(x: number, to: number): number {
  return to === 0 ? x : Math.ceil(x / to) * to;
}
