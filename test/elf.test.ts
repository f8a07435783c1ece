import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { BpfError } from '../src/errno.js';
import { parseElf, STB_GLOBAL, STT_FUNC } from '../src/elf/elf.js';
import { readCollectionSpec } from '../src/elf/collection.js';
import { buildObject } from './objects/build.js';

/** The object every test here reads: global data, legacy and BTF maps, sub-programs. */
const LE = buildObject('globals');
const BE = buildObject('globals', { bigEndian: true });

/** llvm-readelf's view of the section headers: [index, name, type] rows. */
function readelfSections(path: string): [number, string, string][] {
  const out = execFileSync('llvm-readelf', ['-S', '--wide', path], { encoding: 'utf8' });
  const rows: [number, string, string][] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*\[\s*(\d+)\]\s+(\S*)\s+([A-Z_]+)\s+[0-9a-f]{16}/.exec(line);
    if (m) rows.push([Number(m[1]), m[2] === 'NULL' ? '' : m[2]!, m[3]!]);
    else if (/^\s*\[\s*0\]\s+NULL/.test(line)) rows.push([0, '', 'NULL']);
  }
  return rows;
}

/** llvm-readelf's symbol table: name → {value, size, type, bind, ndx}. */
function readelfSymbols(path: string): Map<string, { value: number; size: number; type: string; bind: string }> {
  const out = execFileSync('llvm-readelf', ['-s', '--wide', path], { encoding: 'utf8' });
  const map = new Map<string, { value: number; size: number; type: string; bind: string }>();
  for (const line of out.split('\n')) {
    const m = /^\s*\d+:\s+([0-9a-f]+)\s+(\d+)\s+(\w+)\s+(\w+)\s+\w+\s+\S+\s+(\S+)$/.exec(line);
    if (m) map.set(m[5]!, { value: parseInt(m[1]!, 16), size: Number(m[2]), type: m[3]!, bind: m[4]! });
  }
  return map;
}

const TYPE_NAMES: Record<number, string> = { 0: 'NULL', 1: 'PROGBITS', 2: 'SYMTAB', 3: 'STRTAB', 8: 'NOBITS', 9: 'REL' };

for (const [label, path] of [['little-endian', LE], ['big-endian', BE]] as const) {
  test(`ELF: sections of a ${label} clang object match llvm-readelf`, () => {
    const elf = parseElf(readFileSync(path), path);
    assert.equal(elf.littleEndian, label === 'little-endian');
    const theirs = readelfSections(path);
    assert.equal(elf.sections.length, theirs.length);
    for (const [index, name, type] of theirs) {
      assert.equal(elf.sections[index]!.name, name, `section ${index}`);
      const ours = TYPE_NAMES[elf.sections[index]!.type];
      if (ours) assert.equal(ours, type, `section ${index} (${name}) type`);
    }
  });

  test(`ELF: symbols of a ${label} clang object match llvm-readelf`, () => {
    const elf = parseElf(readFileSync(path), path);
    const theirs = readelfSymbols(path);
    const named = elf.symbols.filter((s) => s.name && s.type !== 3);
    assert.ok(named.length > 5);
    for (const s of named) {
      const t = theirs.get(s.name);
      assert.ok(t, `llvm-readelf lists symbol ${s.name}`);
      assert.equal(s.value, t.value, `${s.name} value`);
      assert.equal(s.size, t.size, `${s.name} size`);
      assert.equal(s.type === STT_FUNC, t.type === 'FUNC', `${s.name} type`);
      assert.equal(s.bind === STB_GLOBAL, t.bind === 'GLOBAL', `${s.name} bind`);
    }
  });
}

test('ELF: relocations of both byte orders agree', () => {
  const le = parseElf(readFileSync(LE));
  const be = parseElf(readFileSync(BE));
  const summary = (e: typeof le): string[] => e.relocations.map((r) => `${r.section.name}->${r.target.name}:` + r.entries.map((x) => `${x.offset}/${e.symbols[x.symbol]!.name}/${x.type}`).join(','));
  assert.deepEqual(summary(be), summary(le));
  assert.ok(le.relocations.length > 0);
});

/** Expect a BpfError(EINVAL) whose message matches `pattern`. */
function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => parseElf(bytes, 'bad.o'), (e: unknown) => e instanceof BpfError && e.errno === 'EINVAL' && pattern.test(e.message));
}

function patched(offset: number, bytes: number[]): Uint8Array {
  const copy = new Uint8Array(readFileSync(LE));
  copy.set(bytes, offset);
  return copy;
}

test('ELF: malformed headers are named precisely', () => {
  const good = new Uint8Array(readFileSync(LE));
  const view = new DataView(good.buffer, good.byteOffset);
  const shoff = Number(view.getBigUint64(40, true));
  const shnum = view.getUint16(60, true);
  rejects(good.subarray(0, 10), /shorter than an ELF identification/);
  rejects(good.subarray(0, 40), /ELF header at offset 0x0/);
  rejects(patched(0, [0x7f, 0x45, 0x4c, 0x47]), /no ELF magic/);
  rejects(patched(4, [1]), /ELF class 1 .*ELF64/);
  rejects(patched(5, [3]), /data encoding 3/);
  rejects(patched(58, [32, 0]), /e_shentsize is 32/);
  rejects(good.subarray(0, good.length - 1), /runs past the end of the file/);
  rejects(patched(60, [0xff, 0x7f]), /section header table .* runs past the end/);
  rejects(patched(62, [shnum & 0xff, shnum >> 8]), /e_shstrndx/);
  // Section 1's name offset far outside the name table.
  rejects(patched(shoff + 64, [0xff, 0xff, 0xff, 0x00]), /section 1: name offset 16777215 is outside string table/);
  // Section 1's size runs past the file.
  rejects(patched(shoff + 64 + 32, [0, 0, 0, 0x40]), /section 1: contents at offset 0x[0-9a-f]+, size 1073741824, run past the end of the file/);
});

test('ELF: overlapping sections are refused', () => {
  const good = new Uint8Array(readFileSync(LE));
  const elf = parseElf(good);
  const view = new DataView(good.buffer, good.byteOffset);
  const shoff = Number(view.getBigUint64(40, true));
  const [a, b] = elf.sections.filter((s) => s.size >= 8 && s.type !== 8);
  const copy = good.slice();
  // Point b's contents at a's.
  new DataView(copy.buffer).setBigUint64(shoff + b!.index * 64 + 24, BigInt(a!.offset), true);
  rejects(copy, /overlaps/);
});

test('ELF: a relocation naming a missing symbol is refused', () => {
  const good = new Uint8Array(readFileSync(LE));
  const elf = parseElf(good);
  const rel = elf.relocations[0]!;
  const copy = good.slice();
  new DataView(copy.buffer).setUint32(rel.section.offset + 12, 0xfffff, true);
  rejects(copy, /names symbol 1048575, but the symbol table has/);
});

/** Mutations of a real object: parsing either works or says what is wrong, never anything else. */
test('ELF fuzz: 3000 mutated objects give a result or a BpfError', () => {
  const good = new Uint8Array(readFileSync(LE));
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('bytes' as const), at: fc.nat(good.length - 1), values: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(good.length - 1), values: fc.constant(new Uint8Array(0)) }),
    // Header fields are where damage does the most: aim a share of the mutations there.
    fc.record({ kind: fc.constant('bytes' as const), at: fc.nat(63), values: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
  );
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
      let bytes = good.slice();
      for (const m of mutations) {
        if (m.kind === 'truncate') bytes = bytes.slice(0, m.at);
        else bytes.set(m.values.subarray(0, Math.max(0, bytes.length - m.at)), Math.min(m.at, bytes.length));
      }
      try {
        readCollectionSpec(bytes, { fileName: 'fuzz.o' });
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        assert.ok(e.message.length > 0);
      }
    }),
    { numRuns: 3000, seed: 20261122 },
  );
});

test('ELF: a .bss larger than a map value may be is E2BIG, not an allocation of its size', () => {
  const good = new Uint8Array(readFileSync(LE));
  const bss = parseElf(good).sections.find((s) => s.name === '.bss')!;
  const view = new DataView(good.buffer, good.byteOffset);
  const shoff = Number(view.getBigUint64(40, true));
  const copy = good.slice();
  // sh_size of .bss (a NOBITS section: no file contents bound its size); 4 MiB + 1 and 2^40
  for (const size of [(4 << 20) + 1, 2 ** 40]) {
    new DataView(copy.buffer).setBigUint64(shoff + bss.index * 64 + 32, BigInt(size), true);
    assert.throws(() => readCollectionSpec(copy, { fileName: 'big-bss.o' }), (e: unknown) => e instanceof BpfError && e.errno === 'E2BIG' && /section \.bss .*KMALLOC_MAX_SIZE/.test(e.message));
  }
});
