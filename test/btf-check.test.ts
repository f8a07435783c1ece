import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { BpfError } from '../src/errno.js';
import { BtfBuilder } from '../src/btf/builder.js';
import { checkBtf } from '../src/btf/check.js';
import { encodeBtf } from '../src/btf/encode.js';
import { parseBtf } from '../src/btf/parse.js';
import { BtfType } from '../src/btf/types.js';
import { FIXTURE_NAMES, HOST_LITTLE_ENDIAN, VMLINUX, fixture, fixupDatasecs, kernelVerdicts, noClang, noKernel, noVmlinux } from './btf-helpers.js';

/**
 * checkBtf against the kernel's BTF verifier: one hand-made BTF per rule,
 * whose message must carry the words the kernel logs for it; real BTF that
 * the kernel accepts; and, where this host lets us call BPF_BTF_LOAD, the
 * kernel's verdict on random and mutated BTF compared with checkBtf's.
 */

/** checkBtf's verdict: 'ok' or the error message. */
function verdict(bytes: Uint8Array): string {
  try {
    checkBtf(parseBtf(bytes));
    return 'ok';
  } catch (e) {
    if (e instanceof BpfError) return e.message;
    throw e;
  }
}

type Build = (b: BtfBuilder, int: number) => void;

/** [the kernel's words for the rule, the BTF that breaks it]; type 1 is always `int`. */
const VIOLATIONS: [string, Build][] = [
  ['nr_bits exceeds type_size', (b) => b.add({ kind: 'int', name: 'short', size: 1, bitOffset: 0, bits: 16, encoding: 'signed' })],
  ['nr_bits exceeds 128', (b) => b.add({ kind: 'int', name: 'huge', size: 32, bitOffset: 0, bits: 200, encoding: 'none' })],
  ['Invalid name', (b, int) => b.add({ kind: 'ptr', name: 'named', type: int })],
  ['Invalid name', (b, int) => b.typedef('1st', int)],
  ['Invalid name', (b, int) => b.add({ kind: 'type_tag', name: '', type: int, attr: false })],
  ['Invalid elem', (b, int) => b.add({ kind: 'array', name: '', type: 0, indexType: int, nelems: 1 })],
  ['Invalid index', (b, int) => b.add({ kind: 'array', name: '', type: int, indexType: 0, nelems: 1 })],
  ['Invalid index', (b, int) => b.array(int, 2, b.struct('s', [{ name: 'a', type: int }]))],
  ['Invalid elem', (b, int) => b.array(b.funcProto(int, []), 2)],
  ['Invalid array of int', (b) => b.array(b.add({ kind: 'int', name: 'i3', size: 4, bitOffset: 0, bits: 3, encoding: 'none' }), 2)],
  ['Array size overflows U32_MAX', (b, int) => b.array(int, 0x40000000)],
  ['Invalid type_id', (b) => b.struct('s', [{ name: 'v', type: 0, bitOffset: 0 }], 4)],
  ['Invalid member bits_offset', (b, int) => b.union('u', [{ name: 'a', type: int, bitOffset: 32 }], 8)],
  ['Invalid member bits_offset', (b, int) => b.struct('s', [{ name: 'a', type: int, bitOffset: 32 }, { name: 'b', type: int, bitOffset: 0 }], 8)],
  ['Member bits_offset exceeds its struct size', (b, int) => b.struct('s', [{ name: 'a', type: int, bitOffset: 64 }], 4)],
  ['Member exceeds struct_size', (b, int) => b.struct('s', [{ name: 'a', type: int, bitOffset: 32 }], 4)],
  ['Invalid member', (b, int) => b.struct('s', [{ name: 'f', type: b.funcProto(int, []), bitOffset: 0 }], 8)],
  ['Member is not byte aligned', (b, int) => b.struct('s', [{ name: 'p', type: b.ptr(int), bitOffset: 3 }], 16)],
  ['Invalid member bitfield_size', (b, int) => b.struct('s', [{ name: 'p', type: b.ptr(int), bitOffset: 0, bitfieldSize: 3 }], 8)],
  ['Invalid member bitfield_size', (b, int) => b.struct('s', [{ name: 'x', type: int, bitOffset: 0, bitfieldSize: 33 }], 8)],
  ['Member is not properly aligned', (b) => b.struct('s', [{ name: 'd', type: b.float('double', 8), bitOffset: 32 }], 16)],
  ['Unexpected size', (b) => b.enum('e', [{ name: 'A', value: 1 }], { size: 3 })],
  ['Invalid name', (b) => b.enum('e', [{ name: '', value: 1 }])],
  ['Invalid name', (b) => b.fwd('')],
  ['Invalid func linkage', (b, int) => b.func('f', b.funcProto(int, []), 'extern')],
  ['Invalid type_id', (b, int) => b.func('f', int)],
  ['Invalid arg#1', (b, int) => b.func('f', b.funcProto(int, [int]))],
  ['Invalid name', (b, int) => b.add({ kind: 'func_proto', name: 'proto', returnType: int, params: [] })],
  ['Invalid return type', (b, int) => b.funcProto(b.funcProto(int, []), [])],
  ['Invalid arg#1', (b, int) => b.funcProto(int, [{ name: 'a', type: 0 }, { name: 'b', type: int }])],
  ['Invalid arg#2', (b, int) => b.funcProto(int, [{ name: 'a', type: int }, { name: 'rest', type: 0 }])],
  ['Linkage not supported', (b, int) => b.var('v', int, 'extern')],
  ['Invalid type_id', (b) => b.var('v', b.fwd('opaque'))],
  ['size == 0', (b, int) => b.datasec('.data', [{ type: b.var('v', int), offset: 0, size: 4 }], 0)],
  ['Invalid offset', (b, int) => b.datasec('.data', [{ type: b.var('v', int), offset: 4, size: 4 }, { type: b.var('w', int), offset: 0, size: 4 }], 8)],
  ['Invalid offset', (b, int) => b.datasec('.data', [{ type: b.var('v', int), offset: 8, size: 4 }], 8)],
  ['Invalid size', (b, int) => b.datasec('.data', [{ type: b.var('v', int), offset: 0, size: 0 }], 8)],
  ['Invalid offset+size', (b, int) => b.datasec('.data', [{ type: b.var('v', int), offset: 4, size: 8 }], 8)],
  ['Not a VAR kind member', (b, int) => b.datasec('.data', [{ type: int, offset: 0, size: 4 }], 8)],
  ['Invalid size', (b) => b.datasec('.data', [{ type: b.var('v', b.int('long', 8, { signed: true })), offset: 0, size: 4 }], 8)],
  ['Invalid name', (b, int) => b.datasec('', [{ type: b.var('v', int), offset: 0, size: 4 }], 4)],
  ['Invalid type_size', (b) => b.float('odd', 3)],
  ['Invalid value', (b, int) => b.declTag('', b.var('v', int))],
  ['Invalid component_idx', (b, int) => b.declTag('t', b.struct('s', [{ name: 'a', type: int }]), -2)],
  ['Invalid type_id', (b, int) => b.declTag('t', int)],
  ['Invalid component_idx', (b, int) => b.declTag('t', b.struct('s', [{ name: 'a', type: int }]), 1)],
  ['Invalid component_idx', (b, int) => b.declTag('t', b.var('v', int), 0)],
  ['Loop detected', (b) => b.add({ kind: 'const', name: '', type: b.nextId })],
  ['Loop detected', (b, int) => b.add({ kind: 'struct', name: 's', size: 8, kindFlag: false, members: [{ name: 'a', type: int, bitOffset: 0, bitfieldSize: 0 }, { name: 'self', type: b.nextId, bitOffset: 32, bitfieldSize: 0 }] })],
  ['Exceeded max resolving depth', (b, int) => {
    for (let i = 0; i < 33; i++) b.add({ kind: 'typedef', name: `t${i}`, type: b.nextId + 1 });
    b.typedef('last', int);
  }],
  ['Invalid type_id', (b, int) => b.const(b.var('v', int))],
  ['Invalid type_id', (b, int) => b.ptr(b.var('v', int))],
  ["Type tags don't precede modifiers", (b, int) => b.const(b.typeTag('user', int))],
];

function violationBlob(build: Build): Uint8Array {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  build(b, int);
  return b.encode({ littleEndian: HOST_LITTLE_ENDIAN });
}

test('each rule of the kernel: checkBtf refuses the BTF that breaks it, in the kernel\'s words', () => {
  for (const [words, build] of VIOLATIONS) {
    const message = verdict(violationBlob(build));
    assert.ok(message !== 'ok' && message.includes(words), `expected '${words}', got '${message}'`);
    assert.match(message, /^BTF \[\d+\] [A-Z_0-9]+ '/, 'names the type');
  }
});

test('checkBtf names the BTF it checks when told', () => {
  const bytes = violationBlob((b) => b.float('odd', 3));
  assert.throws(() => checkBtf(parseBtf(bytes), { source: 'prog.o: .BTF' }), /^BpfError: prog\.o: \.BTF: BTF \[2\] FLOAT 'odd' size=3: Invalid type_size$/);
});

test('the kernel refuses the same BTF with the same words', { skip: noKernel }, () => {
  const verdicts = kernelVerdicts(VIOLATIONS.map(([, build]) => violationBlob(build)));
  VIOLATIONS.forEach(([words], i) => {
    const v = verdicts[i]!;
    assert.equal(v.ok, false, words);
    assert.ok(v.log!.includes(words), `kernel: expected '${words}', logged '${v.log}'`);
  });
});

test('BTF that is fine passes: the fixtures after libbpf\'s DATASEC fixup, and a builder mix', { skip: noClang }, () => {
  for (const name of FIXTURE_NAMES) {
    const f = fixture(name);
    assert.match(verdict(f.btf), /DATASEC .*size == 0/, `${name}: clang leaves DATASEC sizes to the loader`);
    assert.equal(verdict(encodeBtf(fixupDatasecs(parseBtf(f.btf), f.elf))), 'ok', name);
  }
});

test('vmlinux passes checkBtf', { skip: noVmlinux }, () => {
  assert.equal(verdict(new Uint8Array(readFileSync(VMLINUX))), 'ok');
});

// ---- against the kernel ------------------------------------------------------

const NAMES = ['', 'a', 'b', 'x1', '.data', '1bad', 'user'];

/** Small random type graphs, mostly wrong in some way, a good share right. */
function graphArb(): fc.Arbitrary<BtfType[]> {
  return fc.integer({ min: 1, max: 7 }).chain((n) => {
    const ref = fc.nat({ max: n + 1 });
    const name = fc.constantFrom(...NAMES);
    const type: fc.Arbitrary<BtfType> = fc.oneof(
      fc.record({ kind: fc.constant('int' as const), name, size: fc.constantFrom(1, 2, 4, 8, 16, 3), bitOffset: fc.constantFrom(0, 0, 1), bits: fc.constantFrom(8, 16, 32, 64, 7, 0), encoding: fc.constantFrom('none' as const, 'signed' as const, 'bool' as const) }),
      fc.record({ kind: fc.constantFrom('ptr' as const, 'const' as const, 'volatile' as const, 'restrict' as const), name: fc.constantFrom('', '', 'a'), type: ref }),
      fc.record({ kind: fc.constant('typedef' as const), name, type: ref }),
      fc.record({ kind: fc.constant('type_tag' as const), name, type: ref, attr: fc.boolean() }),
      fc.record({ kind: fc.constant('array' as const), name: fc.constant(''), type: ref, indexType: ref, nelems: fc.constantFrom(0, 1, 4) }),
      fc.boolean().chain((kindFlag) => fc.record({
        kind: fc.constantFrom('struct' as const, 'union' as const), name, size: fc.constantFrom(0, 4, 8, 16), kindFlag: fc.constant(kindFlag),
        members: fc.array(fc.record({ name, type: ref, bitOffset: fc.constantFrom(0, 8, 32, 64, 3), bitfieldSize: kindFlag ? fc.constantFrom(0, 3, 32, 40) : fc.constant(0) }), { maxLength: 3 }),
      })),
      fc.record({ kind: fc.constant('enum' as const), name, size: fc.constantFrom(4, 1, 8, 3), signed: fc.boolean(), values: fc.array(fc.record({ name, value: fc.integer({ min: 0, max: 9 }) }), { maxLength: 2 }) }),
      fc.record({ kind: fc.constant('fwd' as const), name, fwdKind: fc.constantFrom('struct' as const, 'union' as const) }),
      fc.record({ kind: fc.constantFrom('func' as const, 'var' as const), name, type: ref, linkage: fc.constantFrom('static' as const, 'global' as const, 'extern' as const) }),
      fc.record({ kind: fc.constant('func_proto' as const), name: fc.constantFrom('', '', 'p'), returnType: ref, params: fc.array(fc.record({ name, type: ref }), { maxLength: 3 }) }),
      fc.record({ kind: fc.constant('datasec' as const), name, size: fc.constantFrom(0, 4, 8, 64), vars: fc.array(fc.record({ type: ref, offset: fc.constantFrom(0, 4, 8), size: fc.constantFrom(0, 4, 8) }), { maxLength: 2 }) }),
      fc.record({ kind: fc.constant('float' as const), name, size: fc.constantFrom(4, 8, 3) }),
      fc.record({ kind: fc.constant('decl_tag' as const), name, type: ref, componentIdx: fc.constantFrom(-1, -1, 0, 1, -2), attr: fc.boolean() }),
    );
    return fc.array(type, { minLength: n, maxLength: n });
  });
}

/** BTF whose verdict we compare; the samples are generated up front and sent to the kernel in one batch. */
function randomBlobs(runs: number, seed: number): Uint8Array[] {
  return fc.sample(graphArb(), { numRuns: runs, seed }).map((types) => {
    const b = new BtfBuilder();
    for (const t of structuredClone(types)) b.add(t);
    return b.encode({ littleEndian: HOST_LITTLE_ENDIAN });
  });
}

function mutatedBlobs(runs: number, seed: number): Uint8Array[] {
  const seeds = FIXTURE_NAMES.map((n) => {
    const f = fixture(n);
    return encodeBtf(fixupDatasecs(parseBtf(f.btf), f.elf));
  });
  const mutation = fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.nat({ max: 0xffffffff })), { minLength: 1, maxLength: 3 }));
  return fc.sample(mutation, { numRuns: runs, seed }).map(([which, edits]) => {
    const bytes = seeds[which]!.slice();
    const view = new DataView(bytes.buffer);
    for (const [where, how, value] of edits) {
      const at = 24 + (where % (bytes.length - 24));
      if (how === 0) bytes[at] = value & 0xff;
      else if (how === 1) bytes[at]! ^= 1 << (value % 8);
      else if ((at & ~3) + 4 <= bytes.length) view.setUint32(at & ~3, how === 2 ? value % 64 : value, true);
    }
    return bytes;
  });
}

function compareWithKernel(blobs: Uint8Array[]): void {
  const kernel = kernelVerdicts(blobs);
  const disagreements = blobs.flatMap((bytes, i) => {
    const ours = verdict(bytes);
    return (ours === 'ok') === kernel[i]!.ok ? [] : [`#${i}: checkBtf: ${ours} | kernel: ${kernel[i]!.ok ? 'ok' : kernel[i]!.log}`];
  });
  assert.deepEqual(disagreements.slice(0, 5), [], `${disagreements.length} of ${blobs.length} disagree`);
  // a comparison where both sides always say no would show nothing
  assert.ok(kernel.filter((v) => v.ok).length > blobs.length / 20, 'enough of the BTF is valid');
}

test('checkBtf and the kernel agree on random type graphs', { skip: noKernel }, () => {
  compareWithKernel(randomBlobs(1500, 20240601));
});

test('checkBtf and the kernel agree on mutated real BTF', { skip: noKernel ?? noClang }, () => {
  if (!HOST_LITTLE_ENDIAN) return; // the seeds are little-endian objects; the kernel reads its own byte order only
  compareWithKernel(mutatedBlobs(1500, 424242));
});
