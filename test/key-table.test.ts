import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { KeyTable } from '../src/maps/key-table.js';
import type { KeyId } from '../src/maps/keys.js';

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
