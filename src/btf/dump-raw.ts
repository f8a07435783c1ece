import type { Btf } from './btf.js';
import { KIND_NAMES, KindName, kindLabel } from './kinds.js';
import { encodeName } from './strings.js';
import type { BtfType } from './types.js';

/**
 * One record per type in the text `bpftool btf dump file F` (format raw)
 * prints: `[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED`,
 * members and parameters on indented lines below their type. Split BTF
 * prints its own types only, as bpftool does.
 */
export function dumpRaw(btf: Btf): string {
  const out = new TextSink();
  for (let id = btf.startId; id < btf.types.length; id++) rawLines(btf, id, out);
  return out.text();
}

/** The record of one type, its first line and the indented ones. */
export function rawType(btf: Btf, id: number): string {
  const out = new TextSink();
  rawLines(btf, id, out);
  return out.text().slice(0, -1);
}

const LABELS = Object.fromEntries(['void', ...KIND_NAMES.slice(1)].map((k) => [k, kindLabel(k as KindName)])) as Record<BtfType['kind'], string>;

function rawLines(btf: Btf, id: number, o: TextSink): void {
  const t = btf.types[id]!;
  o.s('[').n(id).s('] ').s(LABELS[t.kind]).s(' ').q(t.name);
  switch (t.kind) {
    case 'int':
      o.s(' size=').n(t.size).s(' bits_offset=').n(t.bitOffset).s(' nr_bits=').n(t.bits).s(' encoding=').s(t.encoding === 'none' ? '(none)' : t.encoding.toUpperCase()).nl();
      return;
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
      o.s(' type_id=').n(t.type).nl();
      return;
    case 'array':
      o.s(' type_id=').n(t.type).s(' index_type_id=').n(t.indexType).s(' nr_elems=').n(t.nelems).nl();
      return;
    case 'struct': case 'union':
      o.s(' size=').n(t.size).s(' vlen=').n(t.members.length).nl();
      for (const m of t.members) {
        o.s('\t').q(m.name).s(' type_id=').n(m.type).s(' bits_offset=').n(m.bitOffset);
        if (m.bitfieldSize) o.s(' bitfield_size=').n(m.bitfieldSize);
        o.nl();
      }
      return;
    case 'enum': case 'enum64': {
      o.s(' encoding=').s(t.signed ? 'SIGNED' : 'UNSIGNED').s(' size=').n(t.size).s(' vlen=').n(t.values.length).nl();
      const suffix = t.kind === 'enum64' ? (t.signed ? 'LL' : 'ULL') : '';
      for (const v of t.values) o.s('\t').q(v.name).s(' val=').s(String(v.value)).s(suffix).nl();
      return;
    }
    case 'fwd':
      o.s(' fwd_kind=').s(t.fwdKind).nl();
      return;
    case 'func':
      o.s(' type_id=').n(t.type).s(' linkage=').s(t.linkage).nl();
      return;
    case 'func_proto':
      o.s(' ret_type_id=').n(t.returnType).s(' vlen=').n(t.params.length).nl();
      for (const p of t.params) o.s('\t').q(p.name).s(' type_id=').n(p.type).nl();
      return;
    case 'var':
      o.s(' type_id=').n(t.type).s(', linkage=').s(t.linkage).nl();
      return;
    case 'datasec':
      o.s(' size=').n(t.size).s(' vlen=').n(t.vars.length).nl();
      for (const v of t.vars) {
        const vt = btf.types[v.type]!;
        o.s('\ttype_id=').n(v.type).s(' offset=').n(v.offset).s(' size=').n(v.size).s(' (').s(LABELS[vt.kind]).s(' ').q(vt.name).s(')').nl();
      }
      return;
    case 'float':
      o.s(' size=').n(t.size).nl();
      return;
    case 'decl_tag':
      o.s(' type_id=').n(t.type).s(' component_idx=').n(t.componentIdx).nl();
      return;
    case 'void':
      o.nl();
      return;
  }
}

/**
 * Text written as bytes into one growing buffer and decoded once: the raw
 * listing of vmlinux is 300 000 short lines, and a string per piece keeps
 * the garbage collector busier than the formatting.
 */
class TextSink {
  private buf = new Uint8Array(1 << 16);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }

  /** A string: ASCII copied as is, anything else as its name bytes. */
  s(text: string): this {
    this.room(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) return this.bytes(encodeName(text)); // overwrites what this loop wrote past len
      this.buf[this.len + i] = c;
    }
    this.len += text.length;
    return this;
  }

  private bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** A name in quotes, '(anon)' when empty. */
  q(name: string): this {
    return name === '' ? this.s("'(anon)'") : this.s("'").s(name).s("'");
  }

  /** A whole number in decimal. */
  n(value: number): this {
    if (value < 0 || value > 0xffffffff) return this.s(String(value));
    this.room(10);
    let digits = 1;
    for (let v = value; v >= 10; v = Math.floor(v / 10)) digits++;
    for (let i = digits - 1, v = value; i >= 0; i--, v = Math.floor(v / 10)) this.buf[this.len + i] = 0x30 + (v % 10);
    this.len += digits;
    return this;
  }

  nl(): this {
    this.room(1);
    this.buf[this.len++] = 0x0a;
    return this;
  }

  text(): string {
    return new TextDecoder().decode(this.buf.subarray(0, this.len));
  }
}
