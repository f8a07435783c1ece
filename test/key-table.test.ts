import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { KeyTable } from '../src/maps/key-table.js';
import { KeyId, keyId } from '../src/maps/keys.js';

/**
 * KeyTable against a JS Map as the model: after any sequence of sets and
 * deletes (ids from a small range, so probe runs collide, grow and wrap;
 * ids up to 2^48; strings), every id answers get/has as the Map does.
 */
const id: fc.Arbitrary<KeyId> = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.string({ maxLength: 8 }));
const op = fc.tuple(fc.constantFrom('set', 'delete'), id, fc.integer());

test('KeyTable behaves as a Map on random sets and deletes', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const table = new KeyTable<number>();
      const model = new Map<KeyId, number>();
      for (const [kind, k, v] of ops) {
        if (kind === 'set') {
          table.set(k, v);
          model.set(k, v);
        } else assert.equal(table.delete(k), model.delete(k));
        assert.equal(table.size, model.size);
      }
      for (const [, k] of ops) {
        assert.equal(table.get(k), model.get(k));
        assert.equal(table.has(k), model.has(k));
      }
    }),
    { numRuns: 2000 },
  );
});

test('KeyTable.getAt finds a key by its bytes in memory as get finds it by its id', () => {
  const size = fc.constantFrom(1, 4, 6, 7, 8, 16, 33);
  fc.assert(
    fc.property(size, fc.integer({ min: 0, max: 5 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 64 }), (n, off, picks) => {
      // keys from a small alphabet of byte values, so that many collide in all but one byte
      const keys = picks.map((p, i) => Uint8Array.from({ length: n }, (_, j) => (j === (i % n) ? p : (p * 7 + j) & 3)));
      const table = new KeyTable<number>();
      keys.forEach((k, i) => {
        if (i % 3 !== 2) table.set(keyId(k), i);
      });
      for (const k of keys) {
        const mem = new Uint8Array(off + n + 3).fill(0xaa);
        mem.set(k, off);
        assert.equal(table.getAt(mem, off, n), table.get(keyId(k)));
      }
    }),
    { numRuns: 500 },
  );
});
