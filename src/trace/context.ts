import type { AddressSpace, Region } from '../vm/memory.js';
import type { CtxReads } from './ctx-reads.js';
import { FieldLayout, MAX_RECORD_SIZE, isDynamic } from './layout.js';
import type { Tracepoint } from './tracepoint.js';

/**
 * A tracepoint's record, written into a Runtime's address space for the
 * programs that read it — and only as much of it as they read.
 *
 * The writer owns one MAX_RECORD_SIZE buffer (the context a TRACEPOINT
 * program sees). The common header never changes (the tracepoint's id, flags
 * and preempt count 0, the host's pid), so it is written once. Per event,
 * `writeFixed` stores the scalar fields the programs read; `writeDynamic`
 * stores the variable-length ones they read (their `__data_loc` words and
 * their bytes after the fixed part), and `clearDynamic` marks them unwritten
 * again. Callers decide when: eagerly for a program handler, or only when a
 * filter reaches them (filter-host.ts).
 *
 * Strings are the expensive part, so: an ASCII fast path (charCodeAt into
 * the bytes, no encoder call), and a string equal to the one this field
 * last wrote at the same place is not written again (the process name, a
 * route, a method).
 */

/** Which leaves of the record the readers need, from their loads (ctx-reads.ts). */
export function neededLeaves(tp: Tracepoint, reads: CtxReads): FieldLayout[] {
  if (reads === 'all') return [...tp.layout.leaves];
  return tp.layout.leaves.filter((f) => reads.some((r) => r.off < f.offset + f.size && f.offset < r.off + r.size));
}

const encoder = new TextEncoder();

/** Scalar leaf kinds, by how they are stored. */
const enum Kind { U8, U16, U32, U64, Bool }

/**
 * How a source reads one field of its events: from the event's message
 * (`m`: what the source was given, Node's request for a diagnostics_channel
 * source) and the event's own state (`ev`: its duration).
 */
export type FieldRead = (m: any, ev: any) => unknown;

/** `key`: the property of a top-level field, read without walking its path; `read`: the bound source's (readFrom) */
interface Scalar { kind: Kind; at: number; key: string | undefined; path: readonly string[]; read: FieldRead }
interface Dynamic { at: number; path: readonly string[]; read: FieldRead; string: boolean; last: unknown; lastAt: number; lastLen: number }

/** the read of a field no source has bound, or a source does not have */
export const unbound: FieldRead = () => undefined;

/** A fixed place for a variable-length field (offsets from the record's start); see filter-compile.ts's StringSlot. */
export interface Slot {
  head: number;
  size: number;
  /** where a copy of the string's last bytes (at most `size`, no NUL) ends */
  tailEnd?: number;
}

export class ContextWriter {
  /** the record's address */
  readonly base: number;
  /** the record as a read-only region of the run */
  readonly region: Region;
  private readonly scalars: Scalar[];
  private readonly dynamics: Dynamic[];
  private readonly fixedSize: number;
  private u8: Uint8Array;
  private u16: Uint16Array;
  private i32: Int32Array;

  /**
   * `leaves`: the fields to write. With `slots`, the i-th variable-length
   * field goes where slots[i] says, and a tail copy of its last bytes too
   * when asked: the constant offsets a compiled filter reads
   * (filter-compile.ts). Without, they follow the fixed part in order.
   */
  constructor(private readonly space: AddressSpace, tp: Tracepoint, leaves: readonly FieldLayout[], pid: number, private readonly slots?: readonly Slot[]) {
    this.base = space.alloc(MAX_RECORD_SIZE, 8);
    this.region = { start: this.base, end: this.base + MAX_RECORD_SIZE, writable: false, name: `${tp.name} record` };
    this.fixedSize = tp.layout.size;
    this.scalars = leaves.filter((f) => !isDynamic(f.type)).map((f) => ({ kind: kindOf(f), at: this.base + f.offset, key: f.path.length === 1 ? f.path[0] : undefined, path: f.path, read: unbound }));
    this.dynamics = leaves.filter((f) => isDynamic(f.type)).map((f) => ({ at: this.base + f.offset, path: f.path, read: unbound, string: f.type === 'string', last: undefined, lastAt: -1, lastLen: 0 }));
    [this.u8, this.u16, this.i32] = this.views();
    this.u16[this.base >> 1] = tp.id;
    this.i32[(this.base + 4) >> 2] = pid;
  }

  /** Give back the record's memory (the writer writes no more). */
  dispose(): void {
    this.space.free(this.base, MAX_RECORD_SIZE);
  }

  /** whether any variable-length field is read */
  get hasDynamic(): boolean {
    return this.dynamics.length > 0;
  }

  /**
   * Take each field's value from a source's reads from now on, in
   * writeFixedFrom and writeDynamicFrom: `readOf` gives a top-level field's
   * read (a nested member's is its struct's, then the member's path). The
   * source that delivers to this writer binds it once, so each event's
   * record is written straight from the event's message, with no values
   * object between (a writer is one sink's, on one tracepoint: one source).
   */
  readFrom(readOf: (field: string) => FieldRead): void {
    const read = (path: readonly string[]): FieldRead => {
      const top = readOf(path[0]!);
      return path.length === 1 ? top : (m, ev) => memberAt(top(m, ev), path, 1);
    };
    for (const f of this.scalars) f.read = read(f.path);
    for (const d of this.dynamics) d.read = read(d.path);
  }

  private views(): [Uint8Array, Uint16Array, Int32Array] {
    const b = this.space.memory.buffer;
    return [new Uint8Array(b), new Uint16Array(b), new Int32Array(b)];
  }

  /** Fresh views after the memory grew (growth detaches the old buffer). */
  private fresh(): void {
    if (this.u8.length === 0) [this.u8, this.u16, this.i32] = this.views();
  }

  /** Store the scalar fields read; a missing or non-numeric value stores 0. */
  writeFixed(values: Record<string, unknown>): void {
    this.fresh();
    const s = this.scalars;
    for (let i = 0; i < s.length; i++) {
      const f = s[i]!;
      this.store(f.kind, f.at, f.key !== undefined ? values[f.key] : valueAt(values, f.path));
    }
  }

  /** writeFixed, each field's value read by the bound source (readFrom) from the event's message `m` and state `ev` */
  writeFixedFrom(m: unknown, ev: unknown): void {
    this.fresh();
    const s = this.scalars;
    for (let i = 0; i < s.length; i++) {
      const f = s[i]!;
      this.store(f.kind, f.at, f.read(m, ev));
    }
  }

  private store(kind: Kind, at: number, v: unknown): void {
    if (kind === Kind.U64) return this.store64(at, v);
    if (kind === Kind.Bool) this.u8[at] = boolOf(v) ? 1 : 0;
    else if (kind === Kind.U32) this.i32[at >> 2] = int32Of(v);
    else if (kind === Kind.U16) this.u16[at >> 1] = int32Of(v);
    else this.u8[at] = int32Of(v);
  }

  private store64(at: number, v: unknown): void {
    let lo: number;
    let hi: number;
    if (typeof v === 'bigint') {
      const u = BigInt.asUintN(64, v);
      lo = Number(u & 0xffffffffn);
      hi = Number(u >> 32n);
    } else {
      const n = typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : v === true ? 1 : 0;
      lo = n >>> 0;
      hi = Math.floor(n / 4294967296);
    }
    this.i32[at >> 2] = lo;
    this.i32[(at >> 2) + 1] = hi;
  }

  /**
   * Store the variable-length fields read: each one's bytes after the fixed
   * part, in field order, and its `__data_loc` (offset | length << 16). What
   * does not fit in the record is cut short (a string keeps its NUL).
   */
  writeDynamic(values: Record<string, unknown>): void {
    this.putDynamics(values, undefined, false);
  }

  /** writeDynamic, each field's value read by the bound source (readFrom) from the event's message `m` and state `ev` */
  writeDynamicFrom(m: unknown, ev: unknown): void {
    this.putDynamics(m, ev, true);
  }

  /** The variable-length fields from the values object `m`, or (`bound`) by the bound source's reads from its message and event. */
  private putDynamics(m: unknown, ev: unknown, bound: boolean): void {
    this.fresh();
    let at = this.base + this.fixedSize;
    let end = this.base + MAX_RECORD_SIZE;
    for (let i = 0; i < this.dynamics.length; i++) {
      const d = this.dynamics[i]!;
      const slot = this.slots?.[i];
      if (slot) {
        at = this.base + slot.head;
        end = at + slot.size;
      }
      const v = bound ? d.read(m, ev) : valueAt(m as Record<string, unknown>, d.path);
      const same = v === d.last && at === d.lastAt;
      const len = same ? d.lastLen : d.string ? this.putString(v, at, end - at) : this.putBytes(v, at, end - at);
      if (!same && slot?.tailEnd !== undefined) this.putTail(stringOf(v), this.base + slot.tailEnd, slot.size);
      d.last = v;
      d.lastAt = at;
      d.lastLen = len;
      this.i32[d.at >> 2] = (at - this.base) | (len << 16);
      at += len;
    }
  }

  /** Zero the variable-length fields' `__data_loc` words: length 0, which no written string has (its NUL counts). */
  clearDynamic(): void {
    this.fresh();
    const d = this.dynamics;
    for (let i = 0; i < d.length; i++) this.i32[d[i]!.at >> 2] = 0;
  }

  /** The string (or '' for a non-string) and its NUL at `at`: bytes written. ASCII is copied by hand. */
  private putString(v: unknown, at: number, room: number): number {
    const s = stringOf(v);
    const n = s.length;
    const u8 = this.u8;
    if (n < room) {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        u8[at + i] = c;
      }
      if (i === n) {
        u8[at + n] = 0;
        return n + 1;
      }
    }
    if (room <= 0) return 0;
    const { written } = encoder.encodeInto(s, u8.subarray(at, at + room - 1));
    u8[at + written] = 0;
    return written + 1;
  }

  /** The last bytes of `s` (at most `room`), ending at `end`. */
  private putTail(s: string, end: number, room: number): void {
    const u8 = this.u8;
    const n = Math.min(s.length, room);
    let i = 1;
    for (; i <= n; i++) {
      const c = s.charCodeAt(s.length - i);
      if (c > 0x7f) break;
      u8[end - i] = c;
    }
    if (i > n) return;
    const bytes = encoder.encode(s);
    const m = Math.min(bytes.length, room);
    u8.set(bytes.subarray(bytes.length - m), end - m);
  }

  private putBytes(v: unknown, at: number, room: number): number {
    const b = v instanceof Uint8Array ? v : new Uint8Array(0);
    const n = Math.min(b.length, room);
    this.u8.set(n === b.length ? b : b.subarray(0, n), at);
    return n;
  }
}

function kindOf(f: FieldLayout): Kind {
  if (f.type === 'bool') return Kind.Bool;
  return f.size === 1 ? Kind.U8 : f.size === 2 ? Kind.U16 : f.size === 4 ? Kind.U32 : Kind.U64;
}

/** A value as a field of up to 32 bits stores it (before cutting to the width): ToInt32 of a number, the low bits of a BigInt, true as 1. */
export function int32Of(v: unknown): number {
  return typeof v === 'number' ? v | 0 : typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : v === true ? 1 : 0;
}

/** A value as a bool field stores it. */
export function boolOf(v: unknown): boolean {
  return v === true || (typeof v === 'number' && v !== 0 && v === v) || (typeof v === 'bigint' && v !== 0n);
}

/** A value as a string field stores it: a string as is, nothing as '', anything else as String() gives it. */
export function stringOf(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** A scalar field's value as the record holds it: cut to its width, signed or not (BigInt for 64 bits). */
export function scalarValue(f: FieldLayout, v: unknown): number | bigint {
  if (f.type === 'bool') return boolOf(v) ? 1 : 0;
  if (f.size === 8) {
    const n = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isFinite(v) ? BigInt(Math.trunc(v)) : v === true ? 1n : 0n;
    return f.signed ? BigInt.asIntN(64, n) : BigInt.asUintN(64, n);
  }
  const n = int32Of(v);
  switch (f.size) {
    case 1: return f.signed ? (n << 24) >> 24 : n & 0xff;
    case 2: return f.signed ? (n << 16) >> 16 : n & 0xffff;
    default: return f.signed ? n : n >>> 0;
  }
}

/** The value at a path of property names (a top-level field, or a nested struct's member), or undefined. */
export function valueAt(values: Record<string, unknown>, path: readonly string[]): unknown {
  return path.length === 1 ? values[path[0]!] : memberAt(values, path, 0);
}

/** The value at `path` from its element `from` on, in `v`; undefined where a step finds no object. */
function memberAt(v: unknown, path: readonly string[], from: number): unknown {
  for (let i = from; i < path.length; i++) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[path[i]!];
  }
  return v;
}

