import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BpfError } from '../src/errno.js';
import { Btf } from '../src/btf/btf.js';
import { BtfBuilder } from '../src/btf/builder.js';
import { dumpRaw } from '../src/btf/dump-raw.js';
import { encodeBtf } from '../src/btf/encode.js';
import { parseBtf } from '../src/btf/parse.js';
import { BtfType, StructType } from '../src/btf/types.js';
import { elfSection } from '../src/elf/elf.js';
import { bpftool, fixture, kernelVerdicts, noBpftool, noClang, noKernel, tempFile } from './btf-helpers.js';

/** Parsing, lookups, sizes, type names, the builder and the encoder. */

function errnoOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof BpfError) return e.errno;
    throw e;
  }
}

/** `[id] KIND 'name'` of every type in bpftool's raw listing. */
function bpftoolIds(object: string): Map<string, number> {
  const ids = new Map<string, number>();
  for (const m of bpftool('btf', 'dump', 'file', object).matchAll(/^\[(\d+)\] (\w+) '([^']*)'/gm)) {
    ids.set(`${m[2]!.toLowerCase()} ${m[3]}`, Number(m[1]));
  }
  return ids;
}

const needTools = noClang ?? noBpftool;

test('every type is where bpftool sees it: same id, kind and name', { skip: needTools }, () => {
  for (const target of ['bpfel', 'bpfeb'] as const) {
    const f = fixture('types', target);
    const btf = parseBtf(f.btf);
    const ids = bpftoolIds(f.object);
    assert.equal(btf.types.length - 1, Math.max(...ids.values()), `${target}: type count`);
    for (const [key, id] of ids) {
      const [kind, name] = [key.slice(0, key.indexOf(' ')), key.slice(key.indexOf(' ') + 1)];
      const t = btf.type(id);
      assert.equal(`${t.kind} ${t.name || '(anon)'}`, `${kind} ${name}`, `${target}: [${id}]`);
    }
    assert.equal(btf.littleEndian, target === 'bpfel');
  }
});

test('find and findAll look types up by name and kind', { skip: needTools }, () => {
  const f = fixture('types');
  const btf = parseBtf(f.btf);
  const ids = bpftoolIds(f.object);
  assert.equal(btf.find('tree', 'struct'), ids.get('struct tree'));
  assert.equal(btf.find('tree_t'), ids.get('typedef tree_t'));
  assert.equal(btf.find('value', 'struct'), undefined, 'value is a union');
  assert.equal(btf.find('value', 'union'), ids.get('union value'));
  assert.deepEqual(btf.findAll('int'), [ids.get('int int')]);
  assert.equal(btf.find('no_such_type'), undefined);
  assert.equal(errnoOf(() => btf.type(btf.types.length)), 'ENOENT');
  assert.equal(errnoOf(() => btf.typeOf(ids.get('struct tree')!, 'union')), 'EINVAL');
});

/** The order of size_facts and align_facts in test/btf-fixtures/types.c. */
const SIZE_FACTS: [BtfType['kind'], string][] = [
  ['struct', 'all'], ['struct', 'tree'], ['struct', 'bits'], ['struct', 'packed'], ['struct', 'with_anon'], ['struct', 'ops'],
  ['union', 'value'], ['struct', 'padded'], ['struct', 'empty'], ['typedef', 'anon_typedef_t'], ['typedef', 'alias_t'],
  ['typedef', 'arr_t'], ['typedef', 'cint'], ['enum', 'big'], ['enum', 'tiny'], ['typedef', 'callback_t'], ['struct', 'flex'],
  ['typedef', 'tree_t'],
];
const ALIGN_FACTS: [BtfType['kind'], string][] = [
  ['struct', 'tree'], ['struct', 'bits'], ['struct', 'packed'], ['struct', 'with_anon'], ['struct', 'ops'], ['union', 'value'],
  ['typedef', 'anon_typedef_t'], ['typedef', 'arr_t'], ['enum', 'big'], ['enum', 'tiny'], ['typedef', 'callback_t'], ['struct', 'list_node'],
];

/** The unsigned longs clang stored in the named .rodata array. */
function compilerFacts(name: string, target: 'bpfel' | 'bpfeb'): number[] {
  const f = fixture('types', target);
  const sym = f.elf.symbols.find((s) => s.name === name)!;
  const data = elfSection(f.elf, '.rodata')!.data;
  const view = new DataView(data.buffer, data.byteOffset + sym.value, sym.size);
  return Array.from({ length: sym.size / 8 }, (_, i) => Number(view.getBigUint64(i * 8, target !== 'bpfeb')));
}

test('resolveSize and alignOf agree with sizeof and _Alignof from clang', { skip: noClang }, () => {
  for (const target of ['bpfel', 'bpfeb'] as const) {
    const btf = parseBtf(fixture('types', target).btf);
    const sizes = compilerFacts('size_facts', target);
    SIZE_FACTS.forEach(([kind, name], i) => {
      const id = btf.find(name, kind);
      // struct flex is only declared where BTF sees it (FWD): no size, which must be an error
      if (id === undefined) return assert.equal(errnoOf(() => btf.resolveSize(btf.find(name, 'fwd')!)), 'EINVAL');
      assert.equal(btf.resolveSize(id), sizes[i], `sizeof ${kind} ${name}`);
    });
    const aligns = compilerFacts('align_facts', target);
    ALIGN_FACTS.forEach(([kind, name], i) => assert.equal(btf.alignOf(btf.find(name, kind)!), aligns[i], `_Alignof ${kind} ${name}`));
    assert.equal(btf.pointerSize, 8);
  }
});

function member(btf: Btf, structName: string, name: string): number {
  const s = btf.typeOf(btf.find(structName, 'struct')!, 'struct');
  return s.members.find((m) => m.name === name)!.type;
}

test('typeName spells member types as C abstract declarators', { skip: noClang }, () => {
  const btf = parseBtf(fixture('types').btf);
  // The declarations in types.c with their names taken out, as the C grammar reads them.
  const expected: [string, string, string][] = [
    ['tree', 'left', 'tree_t *'],
    ['tree', 'name', 'const char *'],
    ['tree', 'count', 'volatile int'],
    ['tree', 'flags', 'unsigned long[2][3]'],
    ['ops', 'handlers', 'int (*[4])(int, char)'],
    ['ops', 'factory', 'void (* (*)(int))(long)'],
    ['ops', 'ptr', 'volatile const __u32 * restrict'],
    ['ops', 'cb', 'callback_t'],
    ['all', 'undef', 'struct undefined_struct *'],
    ['all', 'undefu', 'union undefined_union *'],
    ['all', 'v', 'union value'],
    ['all', 'big', 'enum big'],
  ];
  for (const [s, m, text] of expected) assert.equal(btf.typeName(member(btf, s, m)), text, `${s}.${m}`);
  assert.equal(btf.typeName(0), 'void');
  assert.equal(btf.typeName(btf.find('callback_t')!), 'callback_t');
  const proto = btf.typeOf(btf.typeOf(btf.find('callback_t')!, 'typedef').type, 'ptr').type;
  assert.equal(btf.typeName(proto), 'int(void *, const struct tree *, ...)');
});

test('skipModifiers and skipModsAndTypedefs stop at the first type that is not one', { skip: noClang }, () => {
  const btf = parseBtf(fixture('types').btf);
  const ptr = member(btf, 'ops', 'ptr'); // restrict → ptr → const → volatile → typedef __u32 → unsigned int
  assert.equal(btf.type(btf.skipModifiers(ptr)).kind, 'ptr');
  const pointee = btf.typeOf(btf.skipModifiers(ptr), 'ptr').type;
  assert.equal(btf.type(btf.skipModifiers(pointee)).name, '__u32');
  assert.equal(btf.type(btf.skipModsAndTypedefs(pointee)).name, 'unsigned int');
  const cint = btf.find('cint')!;
  assert.equal(btf.skipModifiers(cint), cint, 'a typedef is not a modifier');
});

test('resolveSize and skipModifiers refuse loops instead of hanging', () => {
  const b = new BtfBuilder();
  const a = b.add({ kind: 'const', name: '', type: 2 });
  b.add({ kind: 'typedef', name: 'loop', type: a });
  const btf = b.build();
  assert.equal(errnoOf(() => btf.resolveSize(a)), 'ELOOP');
  assert.equal(errnoOf(() => btf.skipModsAndTypedefs(a)), 'ELOOP');
  assert.equal(errnoOf(() => btf.typeName(a)), 'ok', 'typedef ends a declarator chain');
  const p = new BtfBuilder();
  p.add({ kind: 'ptr', name: '', type: 2 });
  p.add({ kind: 'const', name: '', type: 1 });
  assert.equal(errnoOf(() => p.build().typeName(1)), 'ELOOP');
});

test('the builder lays records out as clang does', { skip: noClang }, () => {
  const clang = parseBtf(fixture('layout').btf);
  const b = new BtfBuilder();
  const ch = b.int('char', 1, { signed: true });
  const sh = b.int('short', 2, { signed: true });
  const ll = b.int('long long', 8, { signed: true });
  const un = b.int('unsigned int', 4);
  const ull = b.int('unsigned long long', 8);
  const check = (name: string, built: number): void => {
    const want = clang.typeOf(clang.find(name)!, clang.type(clang.find(name)!).kind as 'struct') as StructType;
    const got = b.build().type(built) as StructType;
    assert.equal(got.size, want.size, `${name} size`);
    assert.deepEqual(got.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize]), want.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize]), name);
  };
  check('mid_short', b.struct('mid_short', [{ name: 'a', type: ch }, { name: 'b', type: sh }, { name: 'c', type: ch }, { name: 'd', type: ll }]));
  check('tail_pad', b.struct('tail_pad', [{ name: 'a', type: ll }, { name: 'b', type: ch }]));
  check('bf_only', b.struct('bf_only', [{ name: 'a', type: un, bitfieldSize: 1 }, { name: 'b', type: un, bitfieldSize: 31 }, { name: 'c', type: un, bitfieldSize: 2 }]));
  check('bf_union', b.union('bf_union', [{ name: 'a', type: un, bitfieldSize: 3 }, { name: 'b', type: ull, bitfieldSize: 50 }, { name: 'c', type: ch }]));
});

test('the builder stores each string once and encodes what parseBtf reads back', () => {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  b.struct('pair', [{ name: 'x', type: int }, { name: 'y', type: int }]);
  b.struct('point', [{ name: 'x', type: int }, { name: 'y', type: int }]);
  const bytes = b.encode();
  const strLen = new DataView(bytes.buffer).getUint32(20, true);
  // "" int pair x y point, each NUL-terminated, once
  assert.equal(strLen, 1 + 4 + 5 + 2 + 2 + 6);
  assert.deepEqual(parseBtf(bytes).types, b.build().types);
});

// ---- round trips -------------------------------------------------------

const nameArb = fc.oneof(fc.constant(''), fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/), fc.string({ maxLength: 6, unit: 'grapheme' }).filter((s) => !s.includes('\0')));
const u32 = fc.nat({ max: 0xffffffff });

/** Any type the format can hold, referring to ids below `n`. */
function typeArb(n: number): fc.Arbitrary<BtfType> {
  const ref = fc.nat({ max: n - 1 });
  const named = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T & { name: string }> => fc.tuple(a, nameArb).map(([t, name]) => ({ ...t, name }));
  return fc.oneof(
    named(fc.record({ kind: fc.constant('int' as const), size: u32, bitOffset: fc.nat({ max: 255 }), bits: fc.nat({ max: 255 }), encoding: fc.constantFrom('none' as const, 'signed' as const, 'char' as const, 'bool' as const) })),
    named(fc.record({ kind: fc.constantFrom('ptr' as const, 'typedef' as const, 'volatile' as const, 'const' as const, 'restrict' as const), type: ref })),
    named(fc.record({ kind: fc.constant('type_tag' as const), type: ref, attr: fc.boolean() })),
    named(fc.record({ kind: fc.constant('array' as const), type: ref, indexType: ref, nelems: u32 })),
    fc.boolean().chain((kindFlag) => named(fc.record({
      kind: fc.constantFrom('struct' as const, 'union' as const),
      size: u32,
      kindFlag: fc.constant(kindFlag),
      members: fc.array(fc.record({
        name: nameArb, type: ref,
        bitOffset: kindFlag ? fc.nat({ max: 0xffffff }) : u32,
        bitfieldSize: kindFlag ? fc.nat({ max: 255 }) : fc.constant(0),
      }), { maxLength: 4 }),
    }))),
    fc.boolean().chain((signed) => named(fc.record({
      kind: fc.constant('enum' as const), size: u32, signed: fc.constant(signed),
      values: fc.array(fc.record({ name: nameArb, value: signed ? fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) : u32 }), { maxLength: 3 }),
    }))),
    fc.boolean().chain((signed) => named(fc.record({
      kind: fc.constant('enum64' as const), size: u32, signed: fc.constant(signed),
      values: fc.array(fc.record({ name: nameArb, value: signed ? fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) : fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }), { maxLength: 3 }),
    }))),
    named(fc.record({ kind: fc.constant('fwd' as const), fwdKind: fc.constantFrom('struct' as const, 'union' as const) })),
    named(fc.record({ kind: fc.constantFrom('func' as const, 'var' as const), type: ref, linkage: fc.constantFrom('static' as const, 'global' as const, 'extern' as const) })),
    named(fc.record({ kind: fc.constant('func_proto' as const), returnType: ref, params: fc.array(fc.record({ name: nameArb, type: ref }), { maxLength: 3 }) })),
    named(fc.record({ kind: fc.constant('datasec' as const), size: u32, vars: fc.array(fc.record({ type: ref, offset: u32, size: u32 }), { maxLength: 3 }) })),
    named(fc.record({ kind: fc.constant('float' as const), size: u32 })),
    named(fc.record({ kind: fc.constant('decl_tag' as const), type: ref, componentIdx: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), attr: fc.boolean() })),
  ) as fc.Arbitrary<BtfType>;
}

/** A type graph of 1..12 types, references anywhere in it (loops included). */
const graphArb = fc.integer({ min: 1, max: 12 }).chain((n) => fc.array(typeArb(n + 1), { minLength: n, maxLength: n }));

/** A name the kernel rejects as empty at a non-zero offset cannot be encoded from the model, so '' is always offset 0. */
test('build → encode → parse gives back the same types, in both byte orders', () => {
  fc.assert(
    fc.property(graphArb, fc.boolean(), (types, littleEndian) => {
      const b = new BtfBuilder();
      // (structuredClone: fast-check's records have no prototype, parsed ones do)
      for (const t of structuredClone(types)) b.add(t);
      const bytes = b.encode({ littleEndian });
      const btf = parseBtf(bytes);
      assert.deepEqual(btf.types, b.build().types);
      assert.equal(btf.littleEndian, littleEndian);
      assert.deepEqual(encodeBtf(btf), bytes, 'encoding is deterministic');
    }),
    { numRuns: 300 },
  );
});

test('encode refuses what the format cannot hold', () => {
  const cases: BtfType[] = [
    { kind: 'int', name: 'i', size: 4, bitOffset: 0, bits: 256, encoding: 'none' },
    { kind: 'struct', name: 's', size: 4, kindFlag: false, members: [{ name: 'b', type: 1, bitOffset: 0, bitfieldSize: 3 }] },
    { kind: 'struct', name: 's', size: 4, kindFlag: true, members: [{ name: 'b', type: 1, bitOffset: 1 << 24, bitfieldSize: 3 }] },
    { kind: 'enum', name: 'e', size: 4, signed: false, values: [{ name: 'A', value: -1 }] },
    { kind: 'enum64', name: 'e', size: 8, signed: true, values: [{ name: 'A', value: 2n ** 63n }] },
    { kind: 'typedef', name: 'a\0b', type: 1 },
  ];
  for (const t of cases) {
    const b = new BtfBuilder();
    b.add(t);
    assert.equal(errnoOf(() => b.encode()), 'EINVAL', JSON.stringify(t, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  }
});

test('real objects survive parse → encode: bpftool lists the re-encoded BTF as the original', { skip: needTools }, () => {
  for (const target of ['bpfel', 'bpfeb'] as const) {
    for (const name of ['types', 'maps', 'core']) {
      const f = fixture(name, target);
      const again = tempFile(`${name}.${target}.reencoded.btf`, encodeBtf(parseBtf(f.btf)));
      assert.equal(bpftool('btf', 'dump', 'file', again), bpftool('btf', 'dump', 'file', f.object), `${name} (${target})`);
    }
  }
});

test('split BTF: ids and strings continue the base, as bpftool -B reads them', { skip: noBpftool }, () => {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const baseStruct = b.struct('base_s', [{ name: 'x', type: int }]);
  const baseBytes = b.encode();
  const base = parseBtf(baseBytes);
  const sb = new BtfBuilder(base);
  const p = sb.ptr(baseStruct);
  const mod = sb.struct('mod_s', [{ name: 'x', type: int }, { name: 'base', type: p }, { name: 'inner', type: baseStruct }]);
  assert.equal(p, base.types.length, 'split ids start after the base');
  const splitBytes = sb.encode();
  const split = parseBtf(splitBytes, { base });
  assert.equal(split.startId, base.types.length);
  assert.deepEqual(split.ownTypes, sb.build().ownTypes);
  assert.equal(split.find('base_s', 'struct'), baseStruct, 'lookups see the base');
  assert.equal(split.resolveSize(mod), 24);
  const baseFile = tempFile('base.btf', baseBytes);
  const splitFile = tempFile('split.btf', splitBytes);
  assert.equal(dumpRaw(split), bpftool('btf', 'dump', '-B', baseFile, 'file', splitFile));
  assert.equal(errnoOf(() => parseBtf(splitBytes)), 'EINVAL', 'without its base, the split BTF does not parse');
});

// ---- malformed blobs -----------------------------------------------------

function smallBlob(): Uint8Array {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  b.struct('s', [{ name: 'a', type: int }]);
  return b.encode();
}

function edit(f: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = smallBlob();
  f(new DataView(bytes.buffer), bytes);
  return bytes;
}

/** Sections that tile the data but put an (empty) type section at offset 2. */
function unalignedTypeOff(): Uint8Array {
  const bytes = new Uint8Array(26);
  const v = new DataView(bytes.buffer);
  v.setUint16(0, 0xeb9f, true);
  bytes[2] = 1;
  [24, 2, 0, 0, 2].forEach((x, i) => v.setUint32(4 + 4 * i, x, true));
  return bytes;
}

/** Each blob breaks one rule of the header or the record layout; the message quotes the kernel's words. */
const MALFORMED: [string, Uint8Array, string, string][] = [
  ['short', smallBlob().subarray(0, 6), 'EINVAL', 'hdr_len not found'],
  ['magic', edit((v) => v.setUint16(0, 0x1234, true)), 'EINVAL', 'Invalid magic'],
  ['version', edit((_v, b) => { b[2] = 2; }), 'ENOTSUPP', 'Unsupported version'],
  ['flags', edit((_v, b) => { b[3] = 1; }), 'ENOTSUPP', 'Unsupported flags'],
  ['hdr_len past end', edit((v) => v.setUint32(4, 4096, true)), 'EINVAL', 'btf_header not found'],
  ['section gap', edit((v) => v.setUint32(16, v.getUint32(16, true) + 4, true)), 'EINVAL', 'section'],
  ['overlap', edit((v) => v.setUint32(16, v.getUint32(16, true) - 4, true)), 'EINVAL', 'Section overlap found'],
  ['too long', edit((v) => v.setUint32(20, v.getUint32(20, true) + 1, true)), 'EINVAL', 'Total section length too long'],
  ['unaligned type_off', unalignedTypeOff(), 'EINVAL', 'Unaligned type_off'],
  ['no NUL at the end', edit((_v, b) => { b[b.length - 1] = 0x41; }), 'EINVAL', 'Invalid string section'],
  ['no empty string first', edit((v, b) => { b[24 + v.getUint32(16, true)] = 0x41; }), 'EINVAL', 'Invalid string section'],
  ['truncated record', edit((v) => { v.setUint32(24 + 16 + 4, (4 << 24) | 9, true); }), 'EINVAL', 'meta_left'],
  ['kind 0', edit((v) => v.setUint32(24 + 4, 0, true)), 'EINVAL', 'Invalid kind:0'],
  ['kind 20', edit((v) => v.setUint32(24 + 4, 20 << 24, true)), 'EINVAL', 'Invalid kind:20'],
  ['info bits', edit((v) => v.setUint32(24 + 4, (1 << 24) | (1 << 29), true)), 'EINVAL', 'Invalid btf_info'],
  ['name offset', edit((v) => v.setUint32(24, 1 << 20, true)), 'EINVAL', 'name_offset'],
  ['int vlen', edit((v) => v.setUint32(24 + 4, (1 << 24) | 1, true)), 'EINVAL', 'vlen != 0'],
  ['int encoding', edit((v) => v.setUint32(24 + 12, (3 << 24) | 32, true)), 'ENOTSUPP', 'Unsupported encoding'],
  ['type id', edit((v) => v.setUint32(24 + 16 + 12 + 4, 99, true)), 'EINVAL', 'Invalid type_id 99'],
];

test('malformed blobs are refused with the rule they break', () => {
  for (const [what, bytes, errno, words] of MALFORMED) {
    let error: unknown;
    try {
      parseBtf(bytes);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof BpfError, `${what}: a BpfError`);
    assert.equal(error.errno, errno, `${what}: ${error.message}`);
    assert.ok(error.message.includes(words), `${what}: '${error.message}' names '${words}'`);
  }
});

test('a record error names the type id and the byte offset in the type section', () => {
  const bytes = edit((v) => v.setUint32(24 + 16 + 4, 20 << 24, true));
  assert.throws(() => parseBtf(bytes), (e: BpfError) => /\[2\] at byte 16 of the type section: Invalid kind:20/.test(e.message));
});

test('a non-zero name offset onto an empty string is refused except for INT and FLOAT', () => {
  const int = edit((v, b) => v.setUint32(24, b.length - 24 - v.getUint32(16, true) - 1, true));
  assert.equal(errnoOf(() => parseBtf(int)), 'ok', 'the kernel checks no INT name');
  const struct = edit((v, b) => v.setUint32(24 + 16, b.length - 24 - v.getUint32(16, true) - 1, true));
  assert.throws(() => parseBtf(struct), /\[2\].*name_off \d+ points at an empty string/);
});

test('the kernel refuses each malformed blob too', { skip: noKernel }, () => {
  const verdicts = kernelVerdicts(MALFORMED.map(([, bytes]) => bytes));
  MALFORMED.forEach(([what], i) => assert.equal(verdicts[i]!.ok, false, what));
});
