import { I32, I64, OP, ModuleBuilder, VOID } from './wasm.js';

/**
 * The WebAssembly text format (WAT) of a module the JIT built, read back from
 * the builder's own representation (wasm.ts): types, imports, globals,
 * functions and exports, each body decoded from its bytes. The code of each
 * eBPF instruction is preceded by a comment naming it (`;; 12: r0 += r1`),
 * from the marks the compiler left in the body (Code.mark).
 */
export interface WatListing {
  text: string;
  /** per eBPF slot that has code: the 1-based WAT line range of that code */
  ranges: { pc: number; first: number; last: number }[];
}

export interface WatNames {
  /** a name for wasm function `index` (imports first), without the `$` */
  func(index: number): string;
  /** the comment text for eBPF slot `pc` */
  insn(pc: number): string;
}

const NAMES: string[] = [];
for (const [k, v] of Object.entries(OP)) NAMES[v] = k.replace(/^(i32|i64|f64|local|global)_/, '$1.');

const typeName = (t: number): string => (t === I64 ? 'i64' : t === I32 ? 'i32' : `0x${t.toString(16)}`);

export function printWat(m: ModuleBuilder, names: WatNames): WatListing {
  const out: string[] = ['(module'];
  m.types.forEach((t, k) => {
    const params = t.params.length ? ` (param ${t.params.map(typeName).join(' ')})` : '';
    const results = t.results.length ? ` (result ${t.results.map(typeName).join(' ')})` : '';
    out.push(`  (type $t${k} (func${params}${results}))`);
  });
  if (m.memoryImport) out.push(`  (import "${m.memoryImport.module}" "${m.memoryImport.name}" (memory 0))`);
  if (m.tableImport) out.push(`  (import "${m.tableImport.module}" "${m.tableImport.name}" (table 0 funcref))`);
  m.imports.forEach((imp, k) => out.push(`  (import "${imp.module}" "${imp.name}" (func $${names.func(k)} (type $t${imp.type})))`));
  m.globals.forEach((g, k) => out.push(`  (global $g${k} (mut ${typeName(g.type)}) (${typeName(g.type)}.const ${g.init}))`));
  const ranges: WatListing['ranges'] = [];
  m.funcs.forEach((f, k) => {
    const index = m.imports.length + k;
    const locals = f.locals.length ? ` (local ${f.locals.map(typeName).join(' ')})` : '';
    out.push(`  (func $${names.func(index)} (type $t${f.type})${locals}`);
    body(f.body!.bytes.view(), f.body!.marks ?? [], names, out, ranges);
    out.push('  )');
  });
  for (const e of m.exports) out.push(`  (export "${e.name}" (func $${names.func(e.index)}))`);
  out.push(')');
  return { text: out.join('\n') + '\n', ranges };
}

/** Decode a body, one instruction a line, nested constructs indented, eBPF instructions marked. */
function body(bytes: Uint8Array, marks: readonly number[], names: WatNames, out: string[], ranges: WatListing['ranges']): void {
  const r = new Reader(bytes);
  let depth = 2;
  let mark = 0;
  let open: { pc: number; first: number } | undefined;
  const close = (): void => {
    if (open) ranges.push({ pc: open.pc, first: open.first, last: out.length });
    open = undefined;
  };
  while (r.at < bytes.length) {
    for (; mark < marks.length && marks[mark]! <= r.at; mark += 2) {
      close();
      out.push(`${'  '.repeat(depth)};; ${marks[mark + 1]}: ${names.insn(marks[mark + 1]!)}`);
      open = { pc: marks[mark + 1]!, first: out.length + 1 };
    }
    const op = r.byte();
    if (op === OP.end || op === OP.else) depth--;
    out.push(`${'  '.repeat(depth)}${NAMES[op] ?? `0x${op.toString(16)}`}${immediates(op, r, names)}`);
    if (op === OP.block || op === OP.loop || op === OP.if || op === OP.else) depth++;
  }
  close();
}

function immediates(op: number, r: Reader, names: WatNames): string {
  switch (op) {
    case OP.block:
    case OP.loop:
    case OP.if: {
      const t = r.byte();
      return t === VOID ? '' : ` (result ${typeName(t)})`;
    }
    case OP.br:
    case OP.br_if:
    case OP.local_get:
    case OP.local_set:
    case OP.local_tee:
      return ` ${r.uleb()}`;
    case OP.global_get:
    case OP.global_set:
      return ` $g${r.uleb()}`;
    case OP.call:
      return ` $${names.func(r.uleb())}`;
    case OP.call_indirect: {
      const type = r.uleb();
      r.byte();
      return ` (type $t${type})`;
    }
    case OP.br_table: {
      const n = r.uleb();
      const targets = Array.from({ length: n + 1 }, () => r.uleb());
      return ` ${targets.join(' ')}`;
    }
    case OP.i32_const:
    case OP.i64_const:
      return ` ${r.sleb()}`;
    default:
      return isMemory(op) ? memarg(r) : '';
  }
}

function isMemory(op: number): boolean {
  return (op >= OP.i64_load && op <= OP.i64_store32) || op === OP.f64_store;
}

function memarg(r: Reader): string {
  const align = r.uleb();
  const offset = r.uleb();
  return `${offset ? ` offset=${offset}` : ''} align=${1 << align}`;
}

class Reader {
  at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.at >= this.bytes.length) throw new Error('wat: a body ends inside an instruction');
    return this.bytes[this.at++]!;
  }

  uleb(): number {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.byte();
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return v;
    }
  }

  sleb(): bigint {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (!(b & 0x80)) return b & 0x40 ? v - (1n << shift) : v;
    }
  }
}
