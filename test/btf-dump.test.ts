import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { dumpC } from '../src/btf/dump-c.js';
import { dumpRaw } from '../src/btf/dump-raw.js';
import { parseBtf } from '../src/btf/parse.js';
import { BtfBuilder } from '../src/btf/builder.js';
import { BpfError } from '../src/errno.js';
import { FIXTURE_NAMES, VMLINUX, bpftool, fixture, noBpftool, noClang, noVmlinux, tempFile } from './btf-helpers.js';

/**
 * dumpC and dumpRaw against bpftool (`btf dump file F format c|raw`) on
 * objects clang builds from test/btf-fixtures/*.c, in both byte orders, and
 * on the running kernel's vmlinux BTF. The target is bpftool's exact text;
 * where that fails, the same declarations in another order is the fallback
 * the comparison reports.
 */

const needTools = noClang ?? noBpftool;

/** Top-level declarations (blocks separated by a blank line), whitespace normalised, sorted. */
function declarations(text: string): string[] {
  return text.split('\n\n').map((d) => d.replace(/\s+/g, ' ').trim()).filter((d) => d !== '').sort();
}

function assertSameDump(ours: string, theirs: string, what: string): void {
  if (ours === theirs) return;
  // Not identical: report whether at least the declarations agree, and fail either way.
  const sameSet = JSON.stringify(declarations(ours)) === JSON.stringify(declarations(theirs));
  const line = ours.split('\n').findIndex((l, i) => l !== theirs.split('\n')[i]);
  assert.fail(`${what}: differs from bpftool from line ${line + 1}${sameSet ? ' (same declarations, other order)' : ''}`);
}

for (const name of FIXTURE_NAMES) {
  for (const target of ['bpfel', 'bpfeb'] as const) {
    test(`${name}.c (${target}): dumpC is bpftool's format c`, { skip: needTools }, () => {
      const f = fixture(name, target);
      assertSameDump(dumpC(parseBtf(f.btf)), bpftool('btf', 'dump', 'file', f.object, 'format', 'c'), `${name}.${target}`);
    });

    test(`${name}.c (${target}): dumpRaw is bpftool's raw listing`, { skip: needTools }, () => {
      const f = fixture(name, target);
      assertSameDump(dumpRaw(parseBtf(f.btf)), bpftool('btf', 'dump', 'file', f.object), `${name}.${target}`);
    });
  }
}

test('the C dump of the fixtures compiles again with clang', { skip: needTools }, () => {
  for (const name of FIXTURE_NAMES) {
    const c = dumpC(parseBtf(fixture(name).btf));
    const source = tempFile(`${name}-uses-header.c`, new TextEncoder().encode(`${c}\nint main_anchor;\n`));
    const r = spawnSync('clang', ['-target', 'bpf', '-fsyntax-only', '-x', 'c', source], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  }
});

test('vmlinux: dumpC is bpftool format c, dumpRaw is its raw listing', { skip: noVmlinux ?? noBpftool }, () => {
  const btf = parseBtf(new Uint8Array(readFileSync(VMLINUX)));
  assertSameDump(dumpC(btf), bpftool('btf', 'dump', 'file', VMLINUX, 'format', 'c'), 'vmlinux format c');
  assertSameDump(dumpRaw(btf), bpftool('btf', 'dump', 'file', VMLINUX), 'vmlinux raw');
});

test('names used twice get the ___N suffix, in the order bpftool gives them', { skip: noBpftool }, () => {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const first = b.struct('dup', [{ name: 'a', type: int }]);
  const second = b.struct('dup', [{ name: 'b', type: int }, { name: 'c', type: int }]);
  b.struct('user', [{ name: 'x', type: first }, { name: 'y', type: second }, { name: 'p', type: b.ptr(second) }]);
  b.enum('e1', [{ name: 'ONE', value: 1 }]);
  b.enum('e2', [{ name: 'ONE', value: 2 }]);
  b.typedef('ONE', int);
  const file = tempFile('dups.btf', b.encode());
  const ours = dumpC(b.build());
  assert.match(ours, /struct dup___2 \{/);
  assert.match(ours, /ONE___2 = 2/);
  assertSameDump(ours, bpftool('btf', 'dump', 'file', file, 'format', 'c'), 'duplicate names');
});

test('hand-built corner cases print as bpftool prints them', { skip: noBpftool }, () => {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const u64 = b.int('long unsigned int', 8);
  // a cycle through a typedef'd pointer, an anonymous enum used nowhere, a 64-bit enum,
  // a function pointer returning a pointer to an array, a signed enum, old-style bitfields
  const node = b.nextId;
  b.add({ kind: 'struct', name: 'node', size: 16, kindFlag: false, members: [{ name: 'next', type: node + 2, bitOffset: 0, bitfieldSize: 0 }, { name: 'v', type: int, bitOffset: 64, bitfieldSize: 0 }] });
  b.typedef('node_t', node);
  b.ptr(node + 1);
  b.enum('', [{ name: 'LONELY', value: 7 }]);
  b.enum64('wide', [{ name: 'W_SMALL', value: 1n }, { name: 'W_BIG', value: 1n << 40n }]);
  b.enum64('swide', [{ name: 'S_NEG', value: -5n }]);
  b.enum('neg', [{ name: 'MINUS', value: -1 }, { name: 'PLUS', value: 1 }]);
  const arr = b.array(int, 3);
  const fp = b.ptr(b.funcProto(b.ptr(arr), [{ name: 'x', type: u64 }]));
  const bits3 = b.add({ kind: 'int', name: 'int', size: 4, bitOffset: 0, bits: 3, encoding: 'signed' });
  b.add({ kind: 'struct', name: 'holder', size: 16, kindFlag: false, members: [{ name: 'fp', type: fp, bitOffset: 0, bitfieldSize: 0 }, { name: 'old', type: bits3, bitOffset: 64, bitfieldSize: 0 }] });
  b.add({ kind: 'fwd', name: 'only_declared', fwdKind: 'union' });
  b.float('double', 8);
  b.var('some_var', int);
  b.typedef('café_t', int); // UTF-8 names are printed as they are
  const file = tempFile('corners.btf', b.encode());
  assertSameDump(dumpC(b.build()), bpftool('btf', 'dump', 'file', file, 'format', 'c'), 'corner cases');
  assertSameDump(dumpRaw(b.build()), bpftool('btf', 'dump', 'file', file), 'corner cases raw');
});

test('BTF built to blow the C dump up is refused, not printed for ever', () => {
  // 40 anonymous structs, each holding two of the next: printed inline, 2^40 copies
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const first = b.nextId;
  for (let i = 0; i < 40; i++) {
    const next = i === 39 ? int : first + i + 1;
    b.add({ kind: 'struct', name: '', size: 8, kindFlag: false, members: [{ name: 'a', type: next, bitOffset: 0, bitfieldSize: 0 }, { name: 'b', type: next, bitOffset: 32, bitfieldSize: 0 }] });
  }
  b.struct('top', [{ name: 'x', type: first, bitOffset: 0 }], 8);
  const start = performance.now();
  assert.throws(() => dumpC(b.build()), (e: unknown) => e instanceof BpfError && e.errno === 'E2BIG');
  assert.ok(performance.now() - start < 60_000, 'refused in bounded time');
  const huge = new BtfBuilder();
  const c = huge.int('char', 1, { signed: true });
  huge.struct('gap', [{ name: 'a', type: c, bitOffset: 0 }, { name: 'b', type: c, bitOffset: 8 * 0x40000000 }], 0x40000001);
  assert.match(dumpC(huge.build()), /\/\* \d+ bits of padding not written out \*\//);
});

// ---- the command line ------------------------------------------------------

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** `tsbpf btf …` through btfCommand, as main.ts will wire it. */
function tsbpfBtf(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const script = "import { Command } from 'commander'; import { btfCommand } from './dist/src/cli/btf.js';" +
    "const p = new Command('tsbpf'); btfCommand(p); p.parse(process.argv.slice(1), { from: 'user' });";
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, 'btf', ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('tsbpf btf dump FILE.o [format c|raw] prints what bpftool prints', { skip: needTools }, () => {
  const f = fixture('types');
  const c = tsbpfBtf('dump', f.object, 'format', 'c');
  assert.equal(c.status, 0, c.stderr);
  assert.equal(c.stdout, bpftool('btf', 'dump', 'file', f.object, 'format', 'c'));
  const raw = tsbpfBtf('dump', f.object);
  assert.equal(raw.stdout, bpftool('btf', 'dump', 'file', f.object));
  assert.equal(tsbpfBtf('dump', f.object, 'format', 'raw').stdout, raw.stdout);
});

test('tsbpf btf dump reads raw BTF files too, and --base for split BTF', { skip: needTools }, () => {
  const f = fixture('maps');
  const file = tempFile('maps.raw.btf', f.btf);
  assert.equal(tsbpfBtf('dump', file, 'format', 'c').stdout, bpftool('btf', 'dump', 'file', f.object, 'format', 'c'));
  const base = new BtfBuilder();
  const int = base.int('int', 4, { signed: true });
  const baseBtf = base.build();
  const split = new BtfBuilder(baseBtf);
  split.typedef('my_int', int);
  const baseFile = tempFile('cli-base.btf', base.encode());
  const splitFile = tempFile('cli-split.btf', split.encode());
  const r = tsbpfBtf('dump', splitFile, '--base', baseFile);
  assert.equal(r.stdout, bpftool('btf', 'dump', '-B', baseFile, 'file', splitFile));
});

test('tsbpf btf dump --json gives the types as data, enum64 values as strings', () => {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  b.enum64('big', [{ name: 'HUGE', value: 1n << 40n }]);
  b.struct('s', [{ name: 'a', type: int }]);
  const file = tempFile('json.btf', b.encode());
  const r = tsbpfBtf('dump', file, '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { file: string; types: { id: number; kind: string; name: string }[] };
  assert.equal(out.file, file);
  assert.deepEqual(out.types.map((t) => [t.id, t.kind, t.name]), [[1, 'int', 'int'], [2, 'enum64', 'big'], [3, 'struct', 's']]);
  assert.deepEqual(out.types[1], { id: 2, kind: 'enum64', name: 'big', size: 8, signed: false, values: [{ name: 'HUGE', value: String(1n << 40n) }] });
});

test('tsbpf btf dump: bad input is an error on stderr and a non-zero exit', () => {
  const notBtf = tempFile('not-btf.bin', new TextEncoder().encode('hello, world'));
  const r = tsbpfBtf('dump', notBtf);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /not-btf\.bin: .*Invalid magic.*\(EINVAL\)/);
  const missing = tsbpfBtf('dump', tempFile('missing.o'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /\(ENOENT\)/);
  const format = tsbpfBtf('dump', notBtf, 'format', 'pdf');
  assert.equal(format.status, 1);
  assert.match(format.stderr, /expected 'format c' or 'format raw'/);
});
