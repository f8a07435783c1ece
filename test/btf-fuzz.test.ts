import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BpfError } from '../src/errno.js';
import { Btf } from '../src/btf/btf.js';
import { BtfBuilder } from '../src/btf/builder.js';
import { checkBtf } from '../src/btf/check.js';
import { dumpC } from '../src/btf/dump-c.js';
import { dumpRaw } from '../src/btf/dump-raw.js';
import { encodeBtf } from '../src/btf/encode.js';
import { parseBtfExt } from '../src/btf/ext.js';
import { parseBtf } from '../src/btf/parse.js';
import { FIXTURE_NAMES, fixture, noClang } from './btf-helpers.js';

/**
 * Mutated real BTF (the fixtures, both byte orders) and `.BTF.ext`: parsing
 * either works or throws a BpfError, never another exception, never hangs;
 * what parses can be checked, printed, measured and re-encoded the same way.
 */

/** Run `fn`; a BpfError is an acceptable outcome, anything else fails the test. */
function bpfErrorOr<T>(fn: () => T): T | BpfError {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BpfError) return e;
    throw e;
  }
}

/** Everything the package does with a Btf, each step allowed to refuse with a BpfError. */
function exercise(btf: Btf): void {
  bpfErrorOr(() => checkBtf(btf));
  bpfErrorOr(() => dumpC(btf));
  bpfErrorOr(() => dumpRaw(btf));
  for (let id = 0; id < btf.types.length; id++) {
    bpfErrorOr(() => btf.typeName(id));
    bpfErrorOr(() => btf.resolveSize(id));
    bpfErrorOr(() => btf.alignOf(id));
    bpfErrorOr(() => btf.skipModsAndTypedefs(id));
  }
  const again = parseBtf(encodeBtf(btf));
  assert.deepEqual(again.types, btf.types, 'what parses re-encodes to the same types');
}

/** Byte edits: set a byte, flip a bit, write a u32 (small or any), cut the tail, drop or insert bytes. */
const editArb = fc.oneof(
  fc.tuple(fc.constant('set' as const), fc.nat(), fc.nat({ max: 255 })),
  fc.tuple(fc.constant('flip' as const), fc.nat(), fc.nat({ max: 7 })),
  fc.tuple(fc.constant('u32' as const), fc.nat(), fc.oneof(fc.nat({ max: 300 }), fc.nat({ max: 0xffffffff }))),
  fc.tuple(fc.constant('cut' as const), fc.nat(), fc.constant(0)),
  fc.tuple(fc.constant('drop' as const), fc.nat(), fc.nat({ max: 16 })),
  fc.tuple(fc.constant('insert' as const), fc.nat(), fc.nat({ max: 16 })),
);

type Edit = [string, number, number];

function mutate(original: Uint8Array, edits: Edit[], littleEndian: boolean): Uint8Array {
  let bytes = original.slice();
  for (const [how, where, value] of edits) {
    const at = where % Math.max(1, bytes.length);
    if (how === 'set') bytes[at] = value;
    else if (how === 'flip') bytes[at]! ^= 1 << value;
    else if (how === 'u32' && at + 4 <= bytes.length) new DataView(bytes.buffer).setUint32(at & ~3, value, littleEndian);
    else if (how === 'cut') bytes = bytes.slice(0, at);
    else if (how === 'drop') bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + value)]);
    else if (how === 'insert') bytes = Uint8Array.from([...bytes.subarray(0, at), ...new Uint8Array(value).fill(0x41), ...bytes.subarray(at)]);
  }
  return bytes;
}

test('mutated .BTF: parse succeeds or throws a BpfError, and what parses can be used', { skip: noClang }, () => {
  const seeds = FIXTURE_NAMES.flatMap((n) => (['bpfel', 'bpfeb'] as const).map((t) => ({ bytes: fixture(n, t).btf, le: t === 'bpfel' })));
  let parsed = 0;
  let slowest = 0;
  fc.assert(
    fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(editArb, { minLength: 1, maxLength: 4 }), (which, edits) => {
      const seed = seeds[which]!;
      const start = performance.now();
      const result = bpfErrorOr(() => parseBtf(mutate(seed.bytes, edits as Edit[], seed.le)));
      if (!(result instanceof BpfError)) {
        parsed++;
        exercise(result);
      }
      slowest = Math.max(slowest, performance.now() - start);
    }),
    { numRuns: 1500, seed: 1 },
  );
  assert.ok(parsed > 100, `${parsed} of 1500 mutants parsed: the mutations should not all break the header`);
  // a mutant that claims huge sizes or deep nesting must still be dealt with quickly
  assert.ok(slowest < 5_000, `the slowest mutant took ${slowest.toFixed(0)} ms`);
});

test('mutated .BTF.ext: parse succeeds or throws a BpfError', { skip: noClang }, () => {
  const seeds = (['bpfel', 'bpfeb'] as const).map((t) => {
    const f = fixture('core', t);
    return { ext: f.ext!, btf: parseBtf(f.btf), le: t === 'bpfel' };
  });
  let parsed = 0;
  fc.assert(
    fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(editArb, { minLength: 1, maxLength: 3 }), (which, edits) => {
      const seed = seeds[which]!;
      if (!(bpfErrorOr(() => parseBtfExt(mutate(seed.ext, edits as Edit[], seed.le), seed.btf)) instanceof BpfError)) parsed++;
    }),
    { numRuns: 1000, seed: 2 },
  );
  assert.ok(parsed > 50, `${parsed} of 1000 mutants parsed`);
});

test('BTF nested deeper than the JS stack is refused with a BpfError, not a stack overflow', () => {
  const N = 20_000;
  const chains: [string, (b: BtfBuilder) => void][] = [
    ['structs by value', (b) => b.add({ kind: 'struct', name: `s${b.nextId}`, size: 4, kindFlag: false, members: [{ name: 'm', type: b.nextId + 1, bitOffset: 0, bitfieldSize: 0 }] })],
    ['anonymous structs behind pointers', (b) => {
      b.add({ kind: 'struct', name: '', size: 8, kindFlag: false, members: [{ name: 'm', type: b.nextId + 1, bitOffset: 0, bitfieldSize: 0 }] });
      b.add({ kind: 'ptr', name: '', type: b.nextId + 1 });
    }],
    ['prototypes taking pointers to prototypes', (b) => {
      b.add({ kind: 'ptr', name: '', type: b.nextId + 1 });
      b.add({ kind: 'func_proto', name: '', returnType: 0, params: [{ name: 'p', type: b.nextId + 1 }] });
    }],
    ['typedefs', (b) => b.add({ kind: 'typedef', name: `t${b.nextId}`, type: b.nextId + 1 })],
    ['arrays', (b) => b.add({ kind: 'array', name: '', type: b.nextId + 1, indexType: 1, nelems: 2 })],
  ];
  for (const [what, link] of chains) {
    const b = new BtfBuilder();
    b.int('int', 4, { signed: true });
    while (b.nextId < N) link(b);
    b.int('int', 4, { signed: true });
    const btf = b.build();
    for (const step of [() => dumpC(btf), () => btf.typeName(2), () => btf.alignOf(2), () => btf.resolveSize(2), () => checkBtf(btf), () => dumpRaw(btf)]) {
      try {
        step();
      } catch (e) {
        assert.ok(e instanceof BpfError, `${what}: ${String(e)}`);
      }
    }
  }
});
