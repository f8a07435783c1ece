/**
 * A small WebAssembly binary encoder: just what the eBPF compiler needs
 * (function types, imported functions and memory, mutable globals, functions
 * with locals, exports, and the MVP + sign-extension + multi-value opcodes it
 * emits). Written from the WebAssembly core specification, binary format.
 */

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;
export type ValType = typeof I32 | typeof I64;

/** The block type of a block, loop or if that takes and leaves nothing. */
export const VOID = 0x40;

/** Opcodes, by their text-format names with `.` written `_`. */
export const OP = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b,
  br: 0x0c, br_if: 0x0d, br_table: 0x0e, return: 0x0f, call: 0x10, call_indirect: 0x11, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i64_load: 0x29, i64_load8_s: 0x30, i64_load8_u: 0x31, i64_load16_s: 0x32, i64_load16_u: 0x33,
  i64_load32_s: 0x34, i64_load32_u: 0x35, i64_store: 0x37, i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  i32_load8_u: 0x2d, i32_store8: 0x3a,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a, i32_gt_u: 0x4b,
  i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55, i64_gt_u: 0x56,
  i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_div_s: 0x6d, i32_div_u: 0x6e, i32_rem_s: 0x6f, i32_rem_u: 0x70,
  i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76, i32_rotl: 0x77, i32_rotr: 0x78,
  i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_div_s: 0x7f, i64_div_u: 0x80, i64_rem_s: 0x81, i64_rem_u: 0x82,
  i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85, i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  f64_store: 0x39, f64_convert_i64_s: 0xb9,
  i32_extend8_s: 0xc0, i32_extend16_s: 0xc1, i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4,
} as const;

export type Opcode = (typeof OP)[keyof typeof OP];

/** A growable byte buffer. */
export class Bytes {
  private buf: Uint8Array<ArrayBuffer>;
  length = 0;

  constructor(capacity = 64) {
    this.buf = new Uint8Array(capacity);
  }

  /** Bytes the buffer holds without growing. */
  get capacity(): number {
    return this.buf.length;
  }

  push(b: number): void {
    if (this.length === this.buf.length) this.reserve(1);
    this.buf[this.length++] = b;
  }

  /** Overwrite the byte at `at` (already written). */
  patch(at: number, b: number): void {
    this.buf[at] = b;
  }

  append(src: Uint8Array): void {
    this.reserve(src.length);
    this.buf.set(src, this.length);
    this.length += src.length;
  }

  /**
   * Insert the unsigned LEB128 of `v` at `at`, moving the bytes after it: a
   * size written after the content it measures, so the content is written
   * once, in place.
   */
  insertUleb(at: number, v: number): void {
    const n = ulebLength(v);
    this.reserve(n);
    this.buf.copyWithin(at + n, at, this.length);
    this.length += n;
    for (let k = 0, x = v >>> 0; k < n; k++, x >>>= 7) this.buf[at + k] = k < n - 1 ? (x & 0x7f) | 0x80 : x & 0x7f;
  }

  /** The bytes written so far (a view, valid until the next write). */
  view(): Uint8Array<ArrayBuffer> {
    return this.buf.subarray(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(2 * this.buf.length, this.length + n));
    bigger.set(this.view());
    this.buf = bigger;
  }
}

/** Unsigned LEB128 of a non-negative integer below 2^32. */
export function uleb(out: Bytes, v: number): void {
  let x = v >>> 0;
  do {
    const b = x & 0x7f;
    x >>>= 7;
    out.push(x === 0 ? b : b | 0x80);
  } while (x !== 0);
}

function ulebLength(v: number): number {
  let n = 1;
  for (let x = v >>> 7; x !== 0; x >>>= 7) n++;
  return n;
}

/** Signed LEB128 of a 64-bit integer. */
export function sleb(out: Bytes, v: bigint): void {
  let x = BigInt.asIntN(64, v);
  if (x >= -0x80000000n && x <= 0x7fffffffn) return sleb32(out, Number(x));
  for (;;) {
    const b = Number(x & 0x7fn);
    x >>= 7n;
    const done = (x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return;
  }
}

/** Signed LEB128 of a 32-bit integer. */
function sleb32(out: Bytes, v: number): void {
  let x = v | 0;
  for (;;) {
    const b = x & 0x7f;
    x >>= 7;
    const done = (x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return;
  }
}

const utf8 = new TextEncoder();

function name(out: Bytes, s: string): void {
  const b = utf8.encode(s);
  uleb(out, b.length);
  out.append(b);
}

/** A function body under construction: instructions appended in order. */
export class Code {
  readonly bytes: Bytes;
  /**
   * (byte offset, eBPF slot) pairs: where the code of each eBPF instruction
   * starts, for the text listing (wat.ts); undefined when not recorded (two
   * array pushes per instruction were ~10% of a compile that only runs).
   */
  readonly marks: number[] | undefined;
  /** the last local.set: where it starts and ends, and its local (-1: none to turn into a tee) */
  private setAt = 0;
  private setEnd = -1;
  private setLocal = -1;

  /** `capacity`: the bytes expected, to spare the buffer's regrowth; `marked`: record marks. */
  constructor(capacity?: number, marked = false) {
    this.bytes = new Bytes(capacity);
    this.marks = marked ? [] : undefined;
  }

  /** The code from here on is eBPF instruction `pc`'s. */
  mark(pc: number): this {
    this.marks?.push(this.bytes.length, pc);
    return this;
  }

  /** One to three instructions without immediates (fixed arity: a rest array per call showed up in the compile profile). */
  op(a: Opcode, b?: Opcode, c?: Opcode): this {
    this.bytes.push(a);
    if (b !== undefined) this.bytes.push(b);
    if (c !== undefined) this.bytes.push(c);
    return this;
  }

  i32(v: number): this {
    this.bytes.push(OP.i32_const);
    sleb32(this.bytes, v);
    return this;
  }

  i64(v: bigint | number): this {
    this.bytes.push(OP.i64_const);
    if (typeof v === 'number' && (v | 0) === v) sleb32(this.bytes, v);
    else sleb(this.bytes, BigInt(v));
    return this;
  }

  /**
   * local.get; right after a local.set of the same local, that set becomes
   * a local.tee instead (nothing can branch between two adjacent
   * instructions): eBPF code reads the register it just wrote at every turn,
   * and each instruction saved is one less for V8 to validate and compile.
   */
  get(local: number): this {
    if (local === this.setLocal && this.bytes.length === this.setEnd) {
      this.bytes.patch(this.setAt, OP.local_tee);
      this.setLocal = -1;
      return this;
    }
    return this.withIndex(OP.local_get, local);
  }

  set(local: number): this {
    this.setAt = this.bytes.length;
    this.withIndex(OP.local_set, local);
    this.setLocal = local;
    this.setEnd = this.bytes.length;
    return this;
  }

  tee(local: number): this {
    return this.withIndex(OP.local_tee, local);
  }

  globalGet(g: number): this {
    return this.withIndex(OP.global_get, g);
  }

  globalSet(g: number): this {
    return this.withIndex(OP.global_set, g);
  }

  call(f: number): this {
    return this.withIndex(OP.call, f);
  }

  /** call_indirect of function type `type` through table 0. */
  callIndirect(type: number): this {
    this.withIndex(OP.call_indirect, type);
    this.bytes.push(0);
    return this;
  }

  /** block, loop or if; `type` is VOID or a value type the construct leaves. */
  open(kind: typeof OP.block | typeof OP.loop | typeof OP.if, type: number = VOID): this {
    this.bytes.push(kind);
    this.bytes.push(type);
    return this;
  }

  br(depth: number): this {
    return this.withIndex(OP.br, depth);
  }

  brIf(depth: number): this {
    return this.withIndex(OP.br_if, depth);
  }

  brTable(depths: readonly number[], fallback: number): this {
    this.bytes.push(OP.br_table);
    uleb(this.bytes, depths.length);
    for (const d of depths) uleb(this.bytes, d);
    uleb(this.bytes, fallback);
    return this;
  }

  /** A load or store with alignment hint 1 byte (eBPF accesses may be unaligned) and a constant offset. */
  mem(op: Opcode, offset = 0): this {
    this.bytes.push(op);
    this.bytes.push(0);
    uleb(this.bytes, offset);
    return this;
  }

  private withIndex(op: Opcode, index: number): this {
    this.bytes.push(op);
    uleb(this.bytes, index);
    return this;
  }
}

export interface FuncType {
  params: readonly ValType[];
  results: readonly ValType[];
}

export interface Func {
  type: number;
  locals: readonly ValType[];
  body?: Code;
}

export interface Global {
  type: ValType;
  init: bigint;
}

export interface Export {
  name: string;
  kind: number;
  index: number;
}

const KIND_FUNC = 0x00;
const KIND_TABLE = 0x01;
const KIND_MEMORY = 0x02;
const FUNCREF = 0x70;

/**
 * A module: declare imports first (their indices come first), then
 * functions (declared before their bodies, so bodies can call any of them),
 * globals and exports; `encode()` gives the binary.
 */
export class ModuleBuilder {
  // readable, for the text printer (wat.ts)
  readonly types: FuncType[] = [];
  private readonly typeIndex = new Map<string, number>();
  readonly imports: { module: string; name: string; type: number }[] = [];
  memoryImport: { module: string; name: string } | undefined;
  tableImport: { module: string; name: string } | undefined;
  readonly funcs: Func[] = [];
  readonly globals: Global[] = [];
  readonly exports: Export[] = [];

  type(params: readonly ValType[], results: readonly ValType[]): number {
    const key = String.fromCharCode(...params, 0, ...results);
    let index = this.typeIndex.get(key);
    if (index === undefined) {
      index = this.types.push({ params, results }) - 1;
      this.typeIndex.set(key, index);
    }
    return index;
  }

  importMemory(module: string, name: string): void {
    this.memoryImport = { module, name };
  }

  /** A table of function references (table 0), any size. */
  importTable(module: string, name: string): void {
    this.tableImport = { module, name };
  }

  importFunc(module: string, name: string, type: number): number {
    if (this.funcs.length) throw new Error('wasm: imports must come before functions');
    this.imports.push({ module, name, type });
    return this.imports.length - 1;
  }

  declareFunc(type: number, locals: readonly ValType[]): number {
    this.funcs.push({ type, locals });
    return this.imports.length + this.funcs.length - 1;
  }

  defineFunc(index: number, body: Code): void {
    this.funcs[index - this.imports.length]!.body = body;
  }

  global(type: ValType, init: bigint | number = 0): number {
    this.globals.push({ type, init: BigInt(init) });
    return this.globals.length - 1;
  }

  exportFunc(name: string, index: number): void {
    this.exports.push({ name, kind: KIND_FUNC, index });
  }

  /**
   * The buffer modules are encoded in (each section's size inserted after its
   * content), kept from one encode to the next while below KEEP_ENCODER
   * bytes: the result is a copy, and a buffer outside the JS heap per module
   * was a good part of the garbage a JIT compile leaves.
   */
  private static encoder = new Bytes(1 << 16);
  private static readonly KEEP_ENCODER = 1 << 20;

  encode(): Uint8Array<ArrayBuffer> {
    const out = ModuleBuilder.encoder;
    out.length = 0;
    out.append(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00));
    section(out, 1, () => this.typeSection(out));
    section(out, 2, () => this.importSection(out));
    section(out, 3, () => vector(out, this.funcs, (f) => uleb(out, f.type)));
    section(out, 6, () => this.globalSection(out));
    section(out, 7, () => vector(out, this.exports, (e) => {
      name(out, e.name);
      out.push(e.kind);
      uleb(out, e.index);
    }));
    section(out, 10, () => vector(out, this.funcs, (f) => codeEntry(out, f)));
    const bytes = out.view().slice();
    if (out.capacity > ModuleBuilder.KEEP_ENCODER) ModuleBuilder.encoder = new Bytes(1 << 16);
    return bytes;
  }

  private typeSection(out: Bytes): void {
    vector(out, this.types, (t) => {
      out.push(0x60);
      uleb(out, t.params.length);
      for (const p of t.params) out.push(p);
      uleb(out, t.results.length);
      for (const r of t.results) out.push(r);
    });
  }

  private importSection(out: Bytes): void {
    const mem = this.memoryImport;
    const table = this.tableImport;
    uleb(out, (mem ? 1 : 0) + (table ? 1 : 0) + this.imports.length);
    if (mem) {
      name(out, mem.module);
      name(out, mem.name);
      out.append(Uint8Array.of(KIND_MEMORY, 0x00, 0x00)); // limits: min 0, no max: any memory fits
    }
    if (table) {
      name(out, table.module);
      name(out, table.name);
      out.append(Uint8Array.of(KIND_TABLE, FUNCREF, 0x00, 0x00)); // limits: min 0, no max
    }
    for (const imp of this.imports) {
      name(out, imp.module);
      name(out, imp.name);
      out.push(KIND_FUNC);
      uleb(out, imp.type);
    }
  }

  private globalSection(out: Bytes): void {
    vector(out, this.globals, (g) => {
      out.push(g.type);
      out.push(0x01); // mutable
      if (g.type === I32) {
        out.push(OP.i32_const);
        sleb32(out, Number(BigInt.asIntN(32, g.init)));
      } else {
        out.push(OP.i64_const);
        sleb(out, g.init);
      }
      out.push(OP.end);
    });
  }
}

function vector<T>(out: Bytes, items: readonly T[], each: (item: T) => void): void {
  uleb(out, items.length);
  for (const it of items) each(it);
}

function section(out: Bytes, id: number, content: () => void): void {
  out.push(id);
  const at = out.length;
  content();
  out.insertUleb(at, out.length - at);
}

/** One code-section entry: its size, locals grouped by runs of the same type, then the body and `end`. */
function codeEntry(out: Bytes, f: Func): void {
  if (!f.body) throw new Error('wasm: a declared function has no body');
  const at = out.length;
  const { locals } = f;
  let groups = 0;
  for (let k = 0; k < locals.length; k++) if (k === 0 || locals[k] !== locals[k - 1]) groups++;
  uleb(out, groups);
  for (let k = 0; k < locals.length; ) {
    let j = k;
    while (j < locals.length && locals[j] === locals[k]) j++;
    uleb(out, j - k);
    out.push(locals[k]!);
    k = j;
  }
  // the size goes before the locals: only they move, not the body
  out.insertUleb(at, out.length - at + f.body.bytes.length + 1);
  out.append(f.body.bytes.view());
  out.push(OP.end);
}
