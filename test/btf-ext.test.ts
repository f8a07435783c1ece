import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BpfError } from '../src/errno.js';
import { BtfBuilder } from '../src/btf/builder.js';
import { BtfExt, parseBtfExt } from '../src/btf/ext.js';
import { parseBtf } from '../src/btf/parse.js';
import { elfSection } from '../src/elf/elf.js';
import { FIXTURES, bpftool, fixture, noBpftool, noClang } from './btf-helpers.js';

/**
 * `.BTF.ext` of test/btf-fixtures/core.c: func_info against the ELF symbol
 * table, line_info against the source text and the DWARF line table
 * (llvm-dwarfdump), CO-RE relocations against what the C source asks for and
 * the values clang already put in the instructions.
 */

function coreExt(target: 'bpfel' | 'bpfeb' = 'bpfel'): { ext: BtfExt; f: ReturnType<typeof fixture> } {
  const f = fixture('core', target);
  return { ext: parseBtfExt(f.ext!, parseBtf(f.btf)), f };
}

const noDwarfdump = spawnSync('llvm-dwarfdump', ['--version'], { stdio: 'ignore' }).status === 0 ? undefined : 'llvm-dwarfdump is not installed';

test('func_info: each record is the function the symbol table puts at that offset', { skip: noClang }, () => {
  const { ext, f } = coreExt();
  const btf = parseBtf(f.btf);
  const seen: string[] = [];
  for (const { section, records } of ext.funcInfo) {
    const shndx = elfSection(f.elf, section)!.index;
    for (const r of records) {
      const sym = f.elf.symbols.find((s) => s.shndx === shndx && s.value === r.insnOff && s.type === 2);
      assert.ok(sym, `a function symbol at ${section}+${r.insnOff}`);
      assert.equal(btf.typeOf(r.typeId, 'func').name, sym.name);
      seen.push(sym.name);
    }
  }
  assert.deepEqual(seen.sort(), ['probe', 'second']);
});

test('line_info: the source line text, and the line and column DWARF gives the instruction', { skip: noClang ?? noDwarfdump }, () => {
  const { ext, f } = coreExt();
  const source = readFileSync(path.join(FIXTURES, 'core.c'), 'utf8').split('\n');
  const rows = new Set(execFileSync('llvm-dwarfdump', ['--debug-line', f.object], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^0x([0-9a-f]{16})\s+(\d+)\s+(\d+)/.exec(l))
    .filter((m) => m !== null)
    .map((m) => `${parseInt(m[1]!, 16)}:${m[2]}:${m[3]}`));
  let count = 0;
  for (const { section, records } of ext.lineInfo) {
    for (const r of records) {
      assert.equal(path.basename(r.fileName), 'core.c');
      assert.equal(r.line, source[r.lineNum - 1], `${section}+${r.insnOff}: line ${r.lineNum}`);
      assert.ok(rows.has(`${r.insnOff}:${r.lineNum}:${r.column}`), `${section}+${r.insnOff}: line ${r.lineNum} column ${r.column} in DWARF`);
      count++;
    }
  }
  assert.ok(count >= 8, `${count} line records`);
});

/** The instruction at a byte offset of a section: [off, imm] (little-endian object). */
function insnAt(f: ReturnType<typeof fixture>, section: string, at: number): { off: number; imm: number } {
  const data = elfSection(f.elf, section)!.data;
  const v = new DataView(data.buffer, data.byteOffset + at, 8);
  return { off: v.getInt16(2, true), imm: v.getInt32(4, true) };
}

/** `[id] KIND 'name'` in bpftool's listing: the name of a type id, independently of parseBtf. */
function bpftoolName(object: string, id: number): string {
  const m = new RegExp(`^\\[${id}\\] \\w+ '([^']*)'`, 'm').exec(bpftool('btf', 'dump', 'file', object));
  return m![1]!;
}

test('CO-RE relocations: the accesses core.c makes, on the instructions that make them', { skip: noClang ?? noBpftool }, () => {
  const { ext, f } = coreExt();
  const records = ext.coreRelos.flatMap(({ section, records: rs }) => rs.map((r) => ({ section, ...r, type: bpftoolName(f.object, r.typeId) })));
  const summary = records.map((r) => `${r.section} ${r.kind} ${r.type} ${r.accessStr}`);
  // From the source: t->pid, field_info(t->state, BYTE_SIZE), field_info(t->flags, EXISTS),
  // type_info(*t, SIZEOF), enum_value(MODE_B, VALUE); in second(): t->mm[1].end.
  assert.deepEqual(summary, [
    'kprobe/sys field_byte_offset task 0:0',
    'kprobe/sys field_byte_size task 0:3',
    'kprobe/sys field_exists task 0:2',
    'kprobe/sys type_size task 0',
    'kprobe/sys enumval_value mode 1',
    '.text field_byte_offset task 0:1:1:1',
  ]);
  const at = (i: number): { off: number; imm: number } => insnAt(f, records[i]!.section, records[i]!.insnOff);
  assert.equal(at(0).off, 0, 'pid is at offset 0');
  assert.equal(at(2).imm, 1, 'flags exists');
  const taskSize = Number(/^\[\d+\] STRUCT 'task' size=(\d+)/m.exec(bpftool('btf', 'dump', 'file', f.object))![1]);
  assert.equal(at(3).imm, taskSize, 'sizeof(struct task)');
  assert.equal(at(4).imm, 2, 'MODE_B = 2');
  // mm starts after int pid at long alignment (8); each element is two longs (16); end is the second long
  assert.equal(at(5).off, 8 + 16 + 8, 't->mm[1].end');
});

test('a big-endian object has the same .BTF.ext records', { skip: noClang }, () => {
  assert.deepEqual(coreExt('bpfeb').ext, coreExt('bpfel').ext);
});

// ---- malformed .BTF.ext ------------------------------------------------------

/** A .BTF.ext with one func_info section over a small BTF; `edit` breaks it. */
function extBlob(edit?: (v: DataView, bytes: Uint8Array) => void): { ext: Uint8Array; btf: ReturnType<typeof parseBtf> } {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  b.func('main', b.funcProto(int, []));
  const btf = b.build();
  const bytes = new Uint8Array(32 + 4 + 8 + 8);
  const v = new DataView(bytes.buffer);
  v.setUint16(0, 0xeb9f, true);
  bytes[2] = 1;
  [32, 0, 20, 0, 0, 0, 0].forEach((x, i) => v.setUint32(4 + 4 * i, x, true));
  // record size 8; section name at offset 1 ('int'); 1 record: insn 0, type 3 (FUNC main)
  [8, 1, 1, 0, 3].forEach((x, i) => v.setUint32(32 + 4 * i, x, true));
  edit?.(v, bytes);
  return { ext: bytes, btf };
}

test('a well-formed hand-made .BTF.ext parses', () => {
  const { ext, btf } = extBlob();
  assert.deepEqual(parseBtfExt(ext, btf), { funcInfo: [{ section: 'int', records: [{ insnOff: 0, typeId: 3 }] }], lineInfo: [], coreRelos: [] });
});

test('malformed .BTF.ext is refused, naming the block and the section', () => {
  const cases: [string, (v: DataView, b: Uint8Array) => void, RegExp][] = [
    ['magic', (v) => v.setUint16(0, 0x1234, true), /Invalid magic/],
    ['version', (_v, b) => { b[2] = 9; }, /Unsupported version/],
    ['hdr_len', (v) => v.setUint32(4, 8, true), /hdr_len 8/],
    ['past the end', (v) => v.setUint32(12, 200, true), /func_info: .*runs past/],
    ['unaligned', (v) => v.setUint32(8, 2, true), /func_info: offset 2 is not aligned/],
    ['record size', (v) => v.setUint32(32, 4, true), /bad record size 4/],
    ['no records', (v) => v.setUint32(40, 0, true), /func_info of section 'int': section has no records/],
    ['too many records', (v) => v.setUint32(40, 9, true), /9 records of 8 bytes run past/],
    ['section name', (v) => v.setUint32(36, 999, true), /section name offset 999 is outside/],
    ['type id', (v) => v.setUint32(48, 77, true), /type id 77 is outside/],
  ];
  for (const [what, edit, message] of cases) {
    const { ext, btf } = extBlob(edit);
    assert.throws(() => parseBtfExt(ext, btf), (e: unknown) => e instanceof BpfError && message.test(e.message), what);
  }
});
