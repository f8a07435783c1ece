import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BpfError, ERRNO } from '../src/errno.js';
import { AddressSpace, findRegion } from '../src/vm/memory.js';
import { createMap } from '../src/maps/create.js';
import { BpfMap, MapEnv, MapFlags, MapSpec, MapType, UpdateFlags } from '../src/maps/map.js';
import { readU32, u32Bytes } from '../src/maps/keys.js';

const { ANY, NOEXIST, EXIST } = UpdateFlags;

interface TestEnv extends MapEnv {
  charged: number[];
}

function newEnv(cpus = 4): TestEnv {
  const charged: number[] = [];
  return { space: new AddressSpace(), cpus, charge: (b) => void charged.push(b), charged };
}

function make(spec: MapSpec, env: MapEnv = newEnv()): BpfMap {
  return createMap(spec, env);
}

/** The errno name `fn` throws (a BpfError), or 'ok'. */
function errnoOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof BpfError) return e.errno;
    throw e;
  }
}

/** The errno name of a program-side result (0 → 'ok'). */
function nameOf(rc: number): string {
  if (rc === 0) return 'ok';
  const entry = Object.entries(ERRNO).find(([, v]) => v === -rc);
  return entry ? entry[0] : `errno ${-rc}`;
}

/** Put `bytes` into fresh memory of the space; returns the address. */
function place(space: AddressSpace, bytes: Uint8Array): number {
  const addr = space.alloc(Math.max(bytes.length, 1));
  space.bytes.set(bytes, addr);
  return addr;
}

function peekBytes(space: AddressSpace, addr: number, len: number): Uint8Array {
  return space.bytes.slice(addr, addr + len);
}

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const u64le = (n: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};

const hash = (over: Partial<MapSpec> = {}): MapSpec => ({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16, ...over });

// ─── creation checks ─────────────────────────────────────────────────────────

test('createMap refuses specs as Linux map_create / map_alloc_check do', () => {
  const F = MapFlags;
  const T = MapType;
  const cases: Array<[string, MapSpec, string]> = [
    ['hash ok', hash(), 'ok'],
    ['hash key_size 0', hash({ keySize: 0 }), 'EINVAL'],
    ['hash value_size 0', hash({ valueSize: 0 }), 'EINVAL'],
    ['hash max_entries 0', hash({ maxEntries: 0 }), 'EINVAL'],
    ['hash key+value ≥ KMALLOC_MAX_SIZE - elem', hash({ valueSize: (4 << 20) - 52 }), 'E2BIG'],
    ['hash key+value just below', hash({ valueSize: (4 << 20) - 53, maxEntries: 1 }), 'ok'],
    ['hash max_entries > 2^31', hash({ maxEntries: 2 ** 31 + 1 }), 'E2BIG'],
    ['hash buckets overflow u32', hash({ maxEntries: 2 ** 27 + 1 }), 'E2BIG'],
    ['hash MMAPABLE', hash({ flags: F.MMAPABLE }), 'EINVAL'],
    ['hash NO_PREALLOC', hash({ flags: F.NO_PREALLOC }), 'ok'],
    ['hash NO_COMMON_LRU', hash({ flags: F.NO_COMMON_LRU }), 'EINVAL'],
    ['hash unknown flag bit', hash({ flags: 1 << 20 }), 'EINVAL'],
    ['RDONLY_PROG with WRONLY_PROG', hash({ flags: F.RDONLY_PROG | F.WRONLY_PROG }), 'EINVAL'],
    ['RDONLY with WRONLY', hash({ flags: F.RDONLY | F.WRONLY }), 'EINVAL'],
    ['RDONLY_PROG', hash({ flags: F.RDONLY_PROG }), 'ok'],
    ['percpu hash value too big', hash({ type: T.PERCPU_HASH, valueSize: 32769 }), 'E2BIG'],
    ['percpu hash NUMA', hash({ type: T.PERCPU_HASH, flags: F.NUMA_NODE }), 'EINVAL'],
    ['hash NUMA', hash({ flags: F.NUMA_NODE }), 'ok'],
    ['lru NO_PREALLOC', hash({ type: T.LRU_HASH, flags: F.NO_PREALLOC }), 'ENOTSUPP'],
    ['lru NO_COMMON_LRU', hash({ type: T.LRU_HASH, flags: F.NO_COMMON_LRU }), 'ok'],
    ['lru NO_COMMON_LRU with NUMA', hash({ type: T.LRU_HASH, flags: F.NO_COMMON_LRU | F.NUMA_NODE }), 'EINVAL'],
    ['array ok', { type: T.ARRAY, keySize: 4, valueSize: 3, maxEntries: 2 }, 'ok'],
    ['array key_size 8', { type: T.ARRAY, keySize: 8, valueSize: 4, maxEntries: 2 }, 'EINVAL'],
    ['array NO_PREALLOC', { type: T.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: F.NO_PREALLOC }, 'EINVAL'],
    ['array MMAPABLE', { type: T.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: F.MMAPABLE }, 'ok'],
    ['array PRESERVE_ELEMS', { type: T.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: F.PRESERVE_ELEMS }, 'EINVAL'],
    ['array value_size > INT_MAX', { type: T.ARRAY, keySize: 4, valueSize: 2 ** 31, maxEntries: 1 }, 'E2BIG'],
    ['percpu array MMAPABLE', { type: T.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: F.MMAPABLE }, 'EINVAL'],
    ['percpu array NUMA', { type: T.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: F.NUMA_NODE }, 'EINVAL'],
    ['percpu array value too big', { type: T.PERCPU_ARRAY, keySize: 4, valueSize: 32769, maxEntries: 1 }, 'E2BIG'],
    ['percpu array value at the limit', { type: T.PERCPU_ARRAY, keySize: 4, valueSize: 32761, maxEntries: 1 }, 'ok'],
    ['queue ok', { type: T.QUEUE, keySize: 0, valueSize: 4, maxEntries: 2 }, 'ok'],
    ['queue key_size 4', { type: T.QUEUE, keySize: 4, valueSize: 4, maxEntries: 2 }, 'EINVAL'],
    ['stack value too big', { type: T.STACK, keySize: 0, valueSize: (4 << 20) + 1, maxEntries: 2 }, 'E2BIG'],
    ['stack ZERO_SEED', { type: T.STACK, keySize: 0, valueSize: 4, maxEntries: 2, flags: F.ZERO_SEED }, 'EINVAL'],
    ['bloom ok', { type: T.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 10, extra: 3 }, 'ok'],
    ['bloom extra 16', { type: T.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 10, extra: 16 }, 'EINVAL'],
    ['bloom key_size 4', { type: T.BLOOM_FILTER, keySize: 4, valueSize: 4, maxEntries: 10 }, 'EINVAL'],
    ['bloom value too big (checked first)', { type: T.BLOOM_FILTER, keySize: 4, valueSize: (4 << 20) + 1, maxEntries: 10 }, 'E2BIG'],
    ['extra on a hash', hash({ extra: 1 }), 'EINVAL'],
    ['lpm ok', { type: T.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 4, flags: F.NO_PREALLOC }, 'ok'],
    ['lpm without NO_PREALLOC', { type: T.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 4 }, 'EINVAL'],
    ['lpm key_size 4', { type: T.LPM_TRIE, keySize: 4, valueSize: 4, maxEntries: 4, flags: F.NO_PREALLOC }, 'EINVAL'],
    ['lpm key_size 261', { type: T.LPM_TRIE, keySize: 261, valueSize: 4, maxEntries: 4, flags: F.NO_PREALLOC }, 'EINVAL'],
    ['lpm key_size 260', { type: T.LPM_TRIE, keySize: 260, valueSize: 4, maxEntries: 4, flags: F.NO_PREALLOC }, 'ok'],
    ['unknown type', hash({ type: 99 }), 'EINVAL'],
    ['type 0', hash({ type: 0 }), 'EINVAL'],
    ['not yet supported type', hash({ type: T.RINGBUF }), 'EINVAL'],
    ['fractional key_size', hash({ keySize: 1.5 }), 'EINVAL'],
    ['negative max_entries', hash({ maxEntries: -1 }), 'EINVAL'],
    ['name of 15 chars', hash({ name: 'abcdefghijklmno' }), 'ok'],
    ['name of 16 chars', hash({ name: 'abcdefghijklmnop' }), 'EINVAL'],
    ['name with . and _', hash({ name: 'a.b_C9' }), 'ok'],
    ['name with -', hash({ name: 'a-b' }), 'EINVAL'],
    ['name with a space', hash({ name: 'a b' }), 'EINVAL'],
  ];
  for (const [what, spec, want] of cases) {
    assert.equal(errnoOf(() => make(spec, newEnv(4))), want, what);
  }
});

test('creation errors name the map and the argument', () => {
  assert.throws(() => make(hash({ name: 'counts', keySize: 0 })), /^BpfError: map 'counts' \(hash\): create: key_size must not be 0$/);
  assert.throws(() => make({ type: MapType.ARRAY, keySize: 8, valueSize: 4, maxEntries: 1 }), /map \(array\): create: key_size must be 4 \(a u32 index\), not 8/);
  assert.throws(() => make(hash({ name: 'x', flags: MapFlags.MMAPABLE })), /map 'x' \(hash\): create: map_flags BPF_F_MMAPABLE not allowed/);
  assert.throws(() => make(hash({ name: 'a-b' })), /name 'a-b' has the character "-"/);
});

test('a map reports its spec with defaults filled in', () => {
  const m = make(hash({ name: 'h' }));
  assert.deepEqual(m.spec, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0, extra: 0, innerMapId: 0 });
});

test('storage is charged before it is allocated, and a refused charge fails the creation', () => {
  const env = newEnv();
  const m = make(hash({ maxEntries: 10 }), env);
  assert.equal(env.charged.length, 1);
  assert.equal(env.charged[0], m.memoryUsed());
  assert.ok(m.memoryUsed() >= 10 * 8);
  const refusing: MapEnv = {
    space: new AddressSpace(),
    cpus: 1,
    charge: () => {
      throw new BpfError('ENOMEM', 'over budget');
    },
  };
  assert.equal(errnoOf(() => make(hash(), refusing)), 'ENOMEM');
});

// ─── ARRAY ───────────────────────────────────────────────────────────────────

test('array: zeroed elements, update flags, bounds, no delete', () => {
  const m = make({ type: MapType.ARRAY, keySize: 4, valueSize: 3, maxEntries: 4, name: 'arr' });
  assert.deepEqual(m.lookup(u32Bytes(3)), bytes(0, 0, 0));
  m.update(u32Bytes(1), bytes(1, 2, 3));
  assert.deepEqual(m.lookup(u32Bytes(1)), bytes(1, 2, 3));
  m.update(u32Bytes(1), bytes(4, 5, 6), EXIST);
  assert.deepEqual(m.lookup(u32Bytes(1)), bytes(4, 5, 6));
  assert.equal(errnoOf(() => m.update(u32Bytes(1), bytes(0, 0, 0), NOEXIST)), 'EEXIST');
  assert.equal(errnoOf(() => m.update(u32Bytes(4), bytes(0, 0, 0))), 'E2BIG');
  assert.equal(errnoOf(() => m.update(u32Bytes(0), bytes(0, 0, 0), 3)), 'EINVAL');
  assert.equal(errnoOf(() => m.update(u32Bytes(0), bytes(0, 0, 0), UpdateFlags.LOCK)), 'EINVAL');
  assert.equal(errnoOf(() => m.lookup(u32Bytes(4))), 'ENOENT');
  assert.equal(errnoOf(() => m.delete(u32Bytes(0))), 'EINVAL');
  assert.throws(() => m.update(bytes(0, 0), bytes(0, 0, 0)), /map 'arr' \(array\): update: key size 2 != key_size 4/);
  assert.throws(() => m.update(u32Bytes(0), bytes(0)), /map 'arr' \(array\): update: value size 1 != value_size 3/);
});

test('array: get-next-key is index + 1, 0 for no key or out of range, ENOENT after the last', () => {
  const m = make({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 3 });
  assert.equal(readU32(m.nextKey(undefined)), 0);
  assert.equal(readU32(m.nextKey(u32Bytes(0))), 1);
  assert.equal(readU32(m.nextKey(u32Bytes(1))), 2);
  assert.equal(errnoOf(() => m.nextKey(u32Bytes(2))), 'ENOENT');
  assert.equal(readU32(m.nextKey(u32Bytes(7))), 0);
  assert.equal(readU32(m.nextKey(u32Bytes(0xffffffff))), 0);
});

test('array: program side works on addresses in the space, inside the regions', () => {
  const env = newEnv();
  const m = make({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }, env);
  const k2 = place(env.space, u32Bytes(2));
  const addr = m.lookupElem(k2, 0);
  assert.ok(addr > 0 && addr % 8 === 0);
  assert.ok(findRegion(m.regions, addr, 0, 8)?.writable);
  env.space.bytes.set(u64le(0x1234), addr); // a program's store through the pointer
  assert.deepEqual(m.lookup(u32Bytes(2)), u64le(0x1234));
  assert.equal(m.lookupElem(place(env.space, u32Bytes(4)), 0), 0);
  const v = place(env.space, u64le(99));
  assert.equal(m.updateElem(k2, v, ANY, 0), 0);
  assert.deepEqual(m.lookup(u32Bytes(2)), u64le(99));
  assert.equal(m.updateElem(k2, v, NOEXIST, 0), -17);
  assert.equal(m.updateElem(place(env.space, u32Bytes(9)), v, ANY, 0), -7);
  assert.equal(m.updateElem(k2, v, 4, 0), -22);
  assert.equal(m.deleteElem(k2, 0), -22);
  // consecutive elements are round_up(value_size, 8) apart
  assert.equal(m.lookupElem(place(env.space, u32Bytes(3)), 0) - addr, 8);
});

test('RDONLY_PROG storage is listed read-only', () => {
  const m = make({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: MapFlags.RDONLY_PROG });
  // the values, and the read-only keys bpf_for_each_map_elem shows a callback
  assert.deepEqual(m.regions.map((r) => r.writable), [false, false]);
  assert.deepEqual(make(hash()).regions.map((r) => r.writable), [true, false]);
});

test('percpu array: user value is every CPU round_up(value_size, 8); a program sees its CPU', () => {
  const env = newEnv(3);
  const m = make({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }, env);
  assert.deepEqual(m.lookup(u32Bytes(1)), new Uint8Array(24));
  const user = bytes(1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0);
  m.update(u32Bytes(1), user);
  assert.deepEqual(m.lookup(u32Bytes(1)), user);
  assert.equal(errnoOf(() => m.update(u32Bytes(1), bytes(1, 2, 3, 4))), 'EINVAL');
  const k = place(env.space, u32Bytes(1));
  const a = [0, 1, 2].map((cpu) => m.lookupElem(k, cpu));
  assert.deepEqual(a.map((x) => env.space.bytes[x]), [1, 2, 3]);
  assert.equal(new Set(a).size, 3);
  assert.equal(m.updateElem(k, place(env.space, bytes(9, 9, 9, 9)), ANY, 2), 0);
  assert.deepEqual([...m.lookup(u32Bytes(1))].filter((_, i) => i % 8 === 0), [1, 2, 9]);
});

test('per-CPU maps on a one-CPU runtime still round the value up to 8', () => {
  const m = make({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }, newEnv(1));
  assert.equal(m.lookup(u32Bytes(0)).length, 8);
});

// ─── HASH ────────────────────────────────────────────────────────────────────

type HashOp =
  | { op: 'update'; key: number; value: number; flags: number; prog: boolean }
  | { op: 'delete'; key: number; prog: boolean }
  | { op: 'lookup'; key: number; prog: boolean };

const hashOp: fc.Arbitrary<HashOp> = fc.oneof(
  fc.record({ op: fc.constant('update' as const), key: fc.nat(9), value: fc.nat(255), flags: fc.constantFrom(0, 1, 2, 3, 4), prog: fc.boolean() }),
  fc.record({ op: fc.constant('delete' as const), key: fc.nat(9), prog: fc.boolean() }),
  fc.record({ op: fc.constant('lookup' as const), key: fc.nat(9), prog: fc.boolean() }),
);

/** What Linux's htab gives for one operation, on a JS Map model. */
function modelHash(model: Map<number, number>, max: number, o: HashOp): string {
  if (o.op === 'lookup') return model.has(o.key) ? 'ok' : 'ENOENT';
  if (o.op === 'delete') return model.delete(o.key) ? 'ok' : 'ENOENT';
  if (o.flags > 2) return 'EINVAL';
  const has = model.has(o.key);
  if (has && o.flags === NOEXIST) return 'EEXIST';
  if (!has && o.flags === EXIST) return 'ENOENT';
  if (!has && model.size >= max) return 'E2BIG';
  model.set(o.key, o.value);
  return 'ok';
}

function runHashOp(m: BpfMap, space: AddressSpace, o: HashOp): { result: string; value?: number } {
  const key = bytes(o.key, 0xaa);
  if (!o.prog) {
    if (o.op === 'lookup') {
      let value: number | undefined;
      const result = errnoOf(() => (value = m.lookup(key)[0]));
      return { result, value };
    }
    if (o.op === 'delete') return { result: errnoOf(() => m.delete(key)) };
    return { result: errnoOf(() => m.update(key, bytes(o.value, 0, 0), o.flags)) };
  }
  const k = place(space, key);
  if (o.op === 'lookup') {
    const addr = m.lookupElem(k, 0);
    return addr ? { result: 'ok', value: space.bytes[addr] } : { result: 'ENOENT' };
  }
  if (o.op === 'delete') return { result: nameOf(m.deleteElem(k, 0)) };
  return { result: nameOf(m.updateElem(k, place(space, bytes(o.value, 0, 0)), o.flags, 0)) };
}

/** Every key by get-next-key, from the start. */
function allKeys(m: BpfMap): Uint8Array[] {
  const keys: Uint8Array[] = [];
  let key: Uint8Array | undefined;
  for (;;) {
    try {
      key = m.nextKey(key);
    } catch (e) {
      if (e instanceof BpfError && e.errno === 'ENOENT') return keys;
      throw e;
    }
    keys.push(key);
  }
}

test('hash: behaves like a Map under random updates, deletes and lookups from both sides', () => {
  fc.assert(
    fc.property(fc.array(hashOp, { maxLength: 80, size: 'max' }), (ops) => {
      const env = newEnv();
      const max = 5;
      const m = make({ type: MapType.HASH, keySize: 2, valueSize: 3, maxEntries: max }, env);
      const model = new Map<number, number>();
      for (const o of ops) {
        const want = model.get(o.key);
        const expected = modelHash(model, max, o);
        const got = runHashOp(m, env.space, o);
        assert.equal(got.result, expected, JSON.stringify(o));
        if (o.op === 'lookup' && expected === 'ok') assert.equal(got.value, want);
      }
      // get-next-key visits every key once, in insertion order
      assert.deepEqual(
        allKeys(m).map((k) => k[0]),
        [...model.keys()],
      );
    }),
    { numRuns: 300 },
  );
});

test('hash: get-next-key of a missing key restarts at the first key; errors name the map', () => {
  const m = make(hash({ name: 'counts', keySize: 8 }));
  assert.equal(errnoOf(() => m.nextKey(undefined)), 'ENOENT');
  const k = (n: number) => u64le(n);
  m.update(k(5), u64le(50));
  m.update(k(6), u64le(60));
  assert.deepEqual(m.nextKey(k(99)), k(5));
  assert.deepEqual(m.nextKey(k(5)), k(6));
  assert.equal(errnoOf(() => m.nextKey(k(6))), 'ENOENT');
  assert.throws(() => m.update(u32Bytes(1), u64le(1)), (e: unknown) => {
    assert.ok(e instanceof BpfError);
    assert.equal(e.message, "map 'counts' (hash): update: key size 4 != key_size 8");
    assert.equal(e.errno, 'EINVAL');
    return true;
  });
  assert.throws(() => m.update(k(1), u64le(1), UpdateFlags.LOCK), /BPF_F_LOCK needs a struct bpf_spin_lock/);
});

test('hash: a full map refuses new keys with E2BIG but still replaces and frees', () => {
  const m = make(hash({ maxEntries: 2 }));
  m.update(u32Bytes(1), u64le(1));
  m.update(u32Bytes(2), u64le(2));
  assert.throws(() => m.update(u32Bytes(3), u64le(3)), /E2BIG|the map is full \(max_entries 2\)/);
  m.update(u32Bytes(2), u64le(22));
  assert.deepEqual(m.lookup(u32Bytes(2)), u64le(22));
  m.delete(u32Bytes(1));
  m.update(u32Bytes(3), u64le(3));
  assert.deepEqual(m.lookup(u32Bytes(3)), u64le(3));
});

test('hash: a program stores through the looked-up address; every value address is in a region', () => {
  const env = newEnv();
  const m = make(hash({ valueSize: 12 }), env);
  m.update(u32Bytes(7), new Uint8Array(12));
  const addr = m.lookupElem(place(env.space, u32Bytes(7)), 0);
  assert.ok(addr % 8 === 0 && findRegion(m.regions, addr, 0, 12));
  env.space.bytes.set(bytes(1, 2, 3), addr + 9);
  assert.deepEqual(m.lookup(u32Bytes(7)).subarray(9), bytes(1, 2, 3));
});

test('percpu hash: a program update of an existing key sets only its CPU; a new key zeroes the others', () => {
  const env = newEnv(4);
  const m = make({ type: MapType.PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 4 }, env);
  const all = new Uint8Array(32).map((_, i) => (i % 8 === 0 ? 10 + i / 8 : 0));
  m.update(u32Bytes(1), all);
  assert.deepEqual(m.lookup(u32Bytes(1)), all);
  const k1 = place(env.space, u32Bytes(1));
  assert.equal(m.updateElem(k1, place(env.space, bytes(77, 0, 0, 0)), EXIST, 2), 0);
  const firsts = (v: Uint8Array) => [0, 1, 2, 3].map((c) => v[c * 8]);
  assert.deepEqual(firsts(m.lookup(u32Bytes(1))), [10, 11, 77, 13]);
  const k2 = place(env.space, u32Bytes(2));
  assert.equal(m.updateElem(k2, place(env.space, bytes(5, 0, 0, 0)), NOEXIST, 1), 0);
  assert.deepEqual(firsts(m.lookup(u32Bytes(2))), [0, 5, 0, 0]);
  assert.equal(env.space.bytes[m.lookupElem(k2, 1)], 5);
  assert.equal(env.space.bytes[m.lookupElem(k2, 3)], 0);
  assert.equal(m.updateElem(k2, k2, 4, 0), -22); // BPF_F_LOCK
  assert.throws(() => m.update(u32Bytes(3), bytes(1, 2, 3, 4)), /value size 4 != 4 CPUs × round_up\(value_size 4, 8\) = 32/);
});

// ─── LRU ─────────────────────────────────────────────────────────────────────

type LruOp =
  | { op: 'update'; key: number; flags: number; prog: boolean }
  | { op: 'lookup'; key: number; prog: boolean }
  | { op: 'delete'; key: number };

const lruOp: fc.Arbitrary<LruOp> = fc.oneof(
  fc.record({ op: fc.constant('update' as const), key: fc.nat(7), flags: fc.constantFrom(0, 0, 1, 2), prog: fc.boolean() }),
  fc.record({ op: fc.constant('lookup' as const), key: fc.nat(7), prog: fc.boolean() }),
  fc.record({ op: fc.constant('delete' as const), key: fc.nat(7) }),
);

/**
 * Which key Linux's LRU evicts is checked against the kernel by
 * map-differential.test.ts (the lru cases of kernel-probes/map-programs.ts);
 * here, what holds whatever it evicts: never more than max_entries keys, no
 * key lost while the map had room, a key just written is there with its
 * value, and errors only where the flags call for them.
 */
test('lru hash: at most max_entries, nothing evicted before it is full, what was written is there', () => {
  fc.assert(
    fc.property(fc.array(lruOp, { maxLength: 80, size: 'max' }), (ops) => {
      const env = newEnv(2);
      const max = 4;
      const m = make({ type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: max }, env);
      const keys = () => new Set(allKeys(m).map((k) => readU32(k)));
      for (const o of ops) {
        const before = keys();
        const key = u32Bytes(o.key);
        let got: string;
        if (o.op === 'delete') got = errnoOf(() => m.delete(key));
        else if (o.op === 'lookup') got = o.prog ? (m.lookupElem(place(env.space, key), 0) ? 'ok' : 'ENOENT') : errnoOf(() => m.lookup(key));
        else if (o.prog) got = nameOf(m.updateElem(place(env.space, key), place(env.space, key), o.flags, 0));
        else got = errnoOf(() => m.update(key, key, o.flags));
        const after = keys();
        const what = `${JSON.stringify(o)}: ${got}, keys ${[...before]} → ${[...after]}`;
        assert.ok(after.size <= max, what);
        if (before.size < max) for (const k of before) assert.ok(after.has(k) || (o.op === 'delete' && k === o.key), what);
        if (o.op === 'delete' || o.op === 'lookup') assert.equal(got, before.has(o.key) ? 'ok' : 'ENOENT', what);
        if (o.op === 'update' && got === 'ok') assert.deepEqual(m.lookup(key), key, what);
        if (o.op === 'update' && got !== 'ok') assert.ok((got === 'EEXIST' && o.flags === NOEXIST && before.has(o.key)) || (got === 'ENOENT' && o.flags === EXIST), what);
      }
    }),
    { numRuns: 300 },
  );
});

test('lru hash: a walk-through of eviction', () => {
  const env = newEnv();
  const m = make({ type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 3 }, env);
  for (const k of [1, 2, 3]) m.update(u32Bytes(k), u32Bytes(k * 10));
  m.lookup(u32Bytes(1)); // user-space lookup: does not count as a use
  m.update(u32Bytes(4), u32Bytes(40)); // evicts 1
  assert.equal(errnoOf(() => m.lookup(u32Bytes(1))), 'ENOENT');
  assert.ok(m.lookupElem(place(env.space, u32Bytes(2)), 0)); // a program uses 2
  m.update(u32Bytes(5), u32Bytes(50)); // evicts 3
  assert.deepEqual(allKeys(m).map((k) => readU32(k)).sort(), [2, 4, 5]);
  assert.equal(errnoOf(() => m.update(u32Bytes(6), u32Bytes(6), 3)), 'EINVAL');
  assert.equal(errnoOf(() => m.update(u32Bytes(6), u32Bytes(6), UpdateFlags.LOCK)), 'EINVAL');
});

test('lru hash with NO_COMMON_LRU: max_entries rounded to the CPUs, each CPU evicts from its own list', () => {
  assert.equal(make({ type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 6, flags: MapFlags.NO_COMMON_LRU }, newEnv(4)).spec.maxEntries, 8); // two per CPU
  const env = newEnv(2);
  const m = make({ type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 4, flags: MapFlags.NO_COMMON_LRU }, env);
  const add = (key: number, cpu: number) => assert.equal(m.updateElem(place(env.space, u32Bytes(key)), place(env.space, u32Bytes(key)), ANY, cpu), 0);
  add(1, 0);
  add(2, 0);
  add(10, 1);
  add(11, 1);
  add(12, 1); // CPU 1's list is full: it frees from its own list (up to 4 unused nodes at once), not CPU 0's older 1
  m.lookupElem(place(env.space, u32Bytes(11)), 1); // a program's lookup, as in the kernel case
  add(13, 1);
  add(14, 1);
  // Linux 6.18 kept these after the same steps (kernel-probes case 'lru no common lru, two CPUs')
  assert.deepEqual(allKeys(m).map((k) => readU32(k)).sort((a, b) => a - b), [1, 2, 14]);
});

test('lru percpu hash: per-CPU values with LRU eviction', () => {
  const env = newEnv(2);
  const m = make({ type: MapType.LRU_PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 2 }, env);
  const v = (a: number, b: number) => bytes(a, 0, 0, 0, 0, 0, 0, 0, b, 0, 0, 0, 0, 0, 0, 0);
  m.update(u32Bytes(1), v(1, 2));
  m.update(u32Bytes(2), v(3, 4));
  assert.equal(m.updateElem(place(env.space, u32Bytes(1)), place(env.space, bytes(9, 0, 0, 0)), EXIST, 1), 0);
  m.update(u32Bytes(3), v(5, 6)); // 2 is the least recently used now
  assert.deepEqual(m.lookup(u32Bytes(1)), v(1, 9));
  assert.equal(errnoOf(() => m.lookup(u32Bytes(2))), 'ENOENT');
});

// ─── QUEUE / STACK ───────────────────────────────────────────────────────────

type QsOp = { op: 'push'; value: number; flags: number; prog: boolean } | { op: 'pop' | 'peek'; prog: boolean };

const qsOp: fc.Arbitrary<QsOp> = fc.oneof(
  fc.record({ op: fc.constant('push' as const), value: fc.nat(255), flags: fc.constantFrom(0, 0, 1, 2, 3), prog: fc.boolean() }),
  fc.record({ op: fc.constantFrom('pop' as const, 'peek' as const), prog: fc.boolean() }),
);

for (const lifo of [false, true]) {
  const name = lifo ? 'stack' : 'queue';
  test(`${name}: behaves like an array model, BPF_EXIST overwriting the oldest when full`, () => {
    fc.assert(
      fc.property(fc.array(qsOp, { maxLength: 60, size: 'max' }), (ops) => {
        const env = newEnv();
        const max = 3;
        const m = make({ type: lifo ? MapType.STACK : MapType.QUEUE, keySize: 0, valueSize: 2, maxEntries: max }, env);
        const model: number[] = []; // oldest first
        const out = env.space.alloc(8);
        for (const o of ops) {
          let expected: string;
          let value: number | undefined;
          if (o.op === 'push') {
            if (o.flags !== ANY && o.flags !== EXIST) expected = 'EINVAL';
            else if (model.length === max && o.flags !== EXIST) expected = 'E2BIG';
            else {
              if (model.length === max) model.shift();
              model.push(o.value);
              expected = 'ok';
            }
            const got = o.prog ? nameOf(m.pushElem!(place(env.space, bytes(o.value, 7)), o.flags)) : errnoOf(() => m.push!(bytes(o.value, 7), o.flags));
            assert.equal(got, expected, JSON.stringify(o));
            continue;
          }
          if (model.length === 0) expected = 'ENOENT';
          else {
            expected = 'ok';
            value = lifo ? model[model.length - 1] : model[0];
            if (o.op === 'pop') lifo ? model.pop() : model.shift();
          }
          if (o.prog) {
            env.space.bytes.fill(0xee, out, out + 2);
            assert.equal(nameOf(m.popElem!(out, o.op === 'pop')), expected);
            assert.deepEqual(peekBytes(env.space, out, 2), value === undefined ? bytes(0, 0) : bytes(value, 7));
          } else {
            let got: Uint8Array | undefined;
            assert.equal(errnoOf(() => (got = o.op === 'pop' ? m.pop!() : m.peek!())), expected);
            if (value !== undefined) assert.deepEqual(got, bytes(value, 7));
          }
        }
      }),
      { numRuns: 300 },
    );
  });
}

test('queue: bpf(2) semantics of lookup (peek), update (push), delete and get-next-key', () => {
  const env = newEnv();
  const q = make({ type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 2, name: 'q' }, env);
  const none = new Uint8Array(0);
  assert.equal(errnoOf(() => q.lookup(none)), 'ENOENT');
  q.update(none, u32Bytes(1));
  q.update(none, u32Bytes(2));
  assert.throws(() => q.update(none, u32Bytes(3)), /map 'q' \(queue\): update: the queue is full/);
  q.update(none, u32Bytes(3), EXIST);
  assert.deepEqual(q.lookup(none), u32Bytes(2));
  assert.equal(errnoOf(() => q.delete(none)), 'EINVAL');
  assert.equal(errnoOf(() => q.nextKey(undefined)), 'EINVAL');
  assert.equal(q.lookupElem(0, 0), 0);
  assert.equal(q.updateElem(0, 0, 0, 0), -22);
  assert.equal(q.deleteElem(0, 0), -22);
  assert.deepEqual(q.regions, []);
  assert.deepEqual(q.pop!(), u32Bytes(2));
  assert.deepEqual(q.pop!(), u32Bytes(3));
});

// ─── BLOOM FILTER ────────────────────────────────────────────────────────────

test('bloom filter: no false negatives', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.nat(), { maxLength: 50, size: 'max' }), fc.integer({ min: 0, max: 15 }), fc.boolean(), (values, extra, zeroSeed) => {
      const env = newEnv();
      const m = make({ type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 20, extra, flags: zeroSeed ? MapFlags.ZERO_SEED : 0 }, env);
      values.forEach((v, i) => (i % 2 ? m.push!(u32Bytes(v)) : assert.equal(m.pushElem!(place(env.space, u32Bytes(v)), ANY), 0)));
      for (const v of values) {
        assert.deepEqual(m.peek!(u32Bytes(v)), u32Bytes(v));
        assert.equal(m.popElem!(place(env.space, u32Bytes(v)), false), 0);
      }
    }),
    { numRuns: 100 },
  );
});

test('bloom filter: absent values are reported absent; flags and unsupported operations', () => {
  const env = newEnv();
  const m = make({ type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 1000, flags: MapFlags.ZERO_SEED, name: 'seen' }, env);
  for (let v = 0; v < 100; v++) m.push!(u32Bytes(v));
  let absent = 0;
  for (let v = 1000; v < 1100; v++) if (errnoOf(() => m.peek!(u32Bytes(v))) === 'ENOENT') absent++;
  assert.ok(absent >= 95, `${absent} of 100 absent values reported absent`);
  assert.equal(m.popElem!(place(env.space, u32Bytes(5000)), false), -2);
  assert.throws(() => m.peek!(u32Bytes(5000)), /map 'seen' \(bloom_filter\): peek: the value is not in the filter/);
  assert.equal(errnoOf(() => m.push!(u32Bytes(1), EXIST)), 'EINVAL');
  assert.equal(m.pushElem!(place(env.space, u32Bytes(1)), NOEXIST), -22);
  assert.equal(errnoOf(() => m.pop!()), 'EOPNOTSUPP');
  assert.equal(m.popElem!(place(env.space, u32Bytes(1)), true), -95);
  assert.equal(m.deleteElem(0, 0), -95);
  assert.equal(m.updateElem(0, 0, 0, 0), -22);
  m.update(new Uint8Array(0), u32Bytes(4242)); // bpf(2) update = push
  assert.deepEqual(m.peek!(u32Bytes(4242)), u32Bytes(4242));
  assert.equal(errnoOf(() => m.nextKey(undefined)), 'EOPNOTSUPP');
  assert.ok(m.memoryUsed() >= (1000 * 5 * 7) / 5 / 8);
});

// ─── LPM TRIE ────────────────────────────────────────────────────────────────

const lpmKey = (prefixlen: number, ...data: number[]): Uint8Array => {
  const k = new Uint8Array(4 + data.length);
  k.set(u32Bytes(prefixlen));
  k.set(data, 4);
  return k;
};

test('lpm trie: longest prefix match, exact delete, flags, ENOSPC', () => {
  const m = make({ type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 3, flags: MapFlags.NO_PREALLOC, name: 'routes' });
  m.update(lpmKey(16, 192, 168, 0, 0), u32Bytes(16));
  m.update(lpmKey(24, 192, 168, 1, 0), u32Bytes(24));
  m.update(lpmKey(8, 10, 0, 0, 0), u32Bytes(8));
  assert.deepEqual(m.lookup(lpmKey(32, 192, 168, 1, 77)), u32Bytes(24));
  assert.deepEqual(m.lookup(lpmKey(32, 192, 168, 2, 1)), u32Bytes(16));
  assert.deepEqual(m.lookup(lpmKey(32, 10, 9, 9, 9)), u32Bytes(8));
  assert.deepEqual(m.lookup(lpmKey(20, 192, 168, 1, 77)), u32Bytes(16)); // the key's prefixlen bounds the match
  assert.equal(errnoOf(() => m.lookup(lpmKey(32, 11, 0, 0, 0))), 'ENOENT');
  assert.equal(errnoOf(() => m.lookup(lpmKey(33, 192, 168, 1, 1))), 'ENOENT');
  assert.throws(() => m.update(lpmKey(12, 1, 0, 0, 0), u32Bytes(0)), /map 'routes' \(lpm_trie\): update: the trie is full \(max_entries 3\)/);
  assert.equal(errnoOf(() => m.update(lpmKey(12, 1, 0, 0, 0), u32Bytes(0))), 'ENOSPC');
  m.update(lpmKey(16, 192, 168, 99, 99), u32Bytes(160)); // replacing works when full; bits past the prefix do not matter
  assert.deepEqual(m.lookup(lpmKey(32, 192, 168, 2, 1)), u32Bytes(160));
  assert.equal(errnoOf(() => m.update(lpmKey(16, 192, 168, 0, 0), u32Bytes(0), NOEXIST)), 'EEXIST');
  assert.equal(errnoOf(() => m.update(lpmKey(17, 192, 168, 0, 0), u32Bytes(0), EXIST)), 'ENOENT');
  assert.equal(errnoOf(() => m.update(lpmKey(33, 192, 168, 0, 0), u32Bytes(0))), 'EINVAL');
  assert.equal(errnoOf(() => m.update(lpmKey(8, 1, 0, 0, 0), u32Bytes(0), 3)), 'EINVAL');
  assert.equal(errnoOf(() => m.delete(lpmKey(17, 192, 168, 0, 0))), 'ENOENT'); // exact match only
  assert.equal(errnoOf(() => m.delete(lpmKey(33, 192, 168, 0, 0))), 'EINVAL');
  m.delete(lpmKey(16, 192, 168, 0, 0));
  assert.equal(errnoOf(() => m.lookup(lpmKey(32, 192, 168, 2, 1))), 'ENOENT');
  assert.deepEqual(m.lookup(lpmKey(32, 192, 168, 1, 1)), u32Bytes(24));
});

test("lpm trie: get-next-key walks Linux's post-order (the example of lpm_trie.c)", () => {
  const m = make({ type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 8, flags: MapFlags.NO_PREALLOC });
  m.update(lpmKey(16, 192, 168, 0, 0), u32Bytes(1));
  m.update(lpmKey(24, 192, 168, 0, 0), u32Bytes(2));
  m.update(lpmKey(24, 192, 168, 128, 0), u32Bytes(3));
  m.update(lpmKey(24, 192, 168, 1, 0), u32Bytes(4));
  assert.deepEqual(allKeys(m), [lpmKey(24, 192, 168, 0, 0), lpmKey(24, 192, 168, 1, 0), lpmKey(24, 192, 168, 128, 0), lpmKey(16, 192, 168, 0, 0)]);
  assert.deepEqual(m.nextKey(lpmKey(24, 10, 0, 0, 0)), lpmKey(24, 192, 168, 0, 0)); // absent: the first
  assert.deepEqual(m.nextKey(lpmKey(40, 0, 0, 0, 0)), lpmKey(24, 192, 168, 0, 0)); // invalid prefixlen: the first
});

test('lpm trie: a program reads and writes the matched value through its address', () => {
  const env = newEnv();
  const m = make({ type: MapType.LPM_TRIE, keySize: 5, valueSize: 2, maxEntries: 4, flags: MapFlags.NO_PREALLOC }, env);
  assert.equal(m.updateElem(place(env.space, lpmKey(4, 0xa0)), place(env.space, bytes(1, 2)), ANY, 0), 0);
  const addr = m.lookupElem(place(env.space, lpmKey(8, 0xab)), 0);
  assert.ok(addr && findRegion(m.regions, addr, 0, 2)?.writable);
  env.space.bytes[addr] = 9;
  assert.deepEqual(m.lookup(lpmKey(8, 0xaf)), bytes(9, 2));
  assert.equal(m.lookupElem(place(env.space, lpmKey(8, 0xb0)), 0), 0);
  assert.equal(m.deleteElem(place(env.space, lpmKey(4, 0xaf)), 0), 0);
  assert.equal(m.deleteElem(place(env.space, lpmKey(4, 0xaf)), 0), -2);
});

/** Post-order of Linux's trie: a more specific prefix before one containing it, else the 0 branch first. */
function lpmOrder(a: { plen: number; data: number }, b: { plen: number; data: number }, bits: number): number {
  const bit = (d: number, i: number) => (d >> (bits - 1 - i)) & 1;
  const limit = Math.min(a.plen, b.plen);
  for (let i = 0; i < limit; i++) if (bit(a.data, i) !== bit(b.data, i)) return bit(a.data, i) - bit(b.data, i);
  return b.plen - a.plen;
}

type LpmOp =
  | { op: 'update'; plen: number; data: number; flags: number; value: number; prog: boolean }
  | { op: 'delete'; plen: number; data: number; prog: boolean }
  | { op: 'lookup'; plen: number; data: number; prog: boolean };

test('lpm trie: matches a brute-force model (longest prefix, exact update/delete, post-order iteration)', () => {
  const BITS = 16;
  const op = (plen: fc.Arbitrary<number>): fc.Arbitrary<LpmOp> =>
    fc.oneof(
      fc.record({ op: fc.constant('update' as const), plen, data: fc.nat(0xffff), flags: fc.constantFrom(0, 0, 0, 1, 2), value: fc.nat(255), prog: fc.boolean() }),
      fc.record({ op: fc.constant('delete' as const), plen, data: fc.nat(0xffff), prog: fc.boolean() }),
      fc.record({ op: fc.constant('lookup' as const), plen: fc.integer({ min: 0, max: 17 }), data: fc.nat(0xffff), prog: fc.boolean() }),
    );
  // few distinct high bits, so prefixes nest and share paths
  const plen = fc.integer({ min: 0, max: BITS });
  const shaped = op(plen).map((o) => ({ ...o, data: o.data & 0xf0f0 }));
  fc.assert(
    fc.property(fc.array(shaped, { maxLength: 80, size: 'max' }), (ops) => {
      const env = newEnv();
      const max = 8;
      const m = make({ type: MapType.LPM_TRIE, keySize: 6, valueSize: 1, maxEntries: max, flags: MapFlags.NO_PREALLOC }, env);
      const mask = (plen: number) => (plen === 0 ? 0 : (0xffff << (BITS - plen)) & 0xffff);
      const model = new Map<string, { plen: number; data: number; value: number }>();
      const id = (plen: number, data: number) => `${plen}/${data & mask(plen)}`;
      const key = (plen: number, data: number) => lpmKey(plen, data >> 8, data & 0xff);
      for (const o of ops) {
        let expected: string;
        let value: number | undefined;
        const e = model.get(id(o.plen, o.data));
        if (o.op === 'lookup') {
          const hits = [...model.values()].filter((x) => x.plen <= o.plen && ((x.data ^ o.data) & mask(x.plen)) === 0);
          const best = o.plen > BITS ? undefined : hits.sort((a, b) => b.plen - a.plen)[0];
          expected = best ? 'ok' : 'ENOENT';
          value = best?.value;
          const k = key(o.plen, o.data);
          if (o.prog) {
            const addr = m.lookupElem(place(env.space, k), 0);
            assert.equal(addr ? 'ok' : 'ENOENT', expected, JSON.stringify(o));
            if (addr) assert.equal(env.space.bytes[addr], value);
          } else {
            let got: Uint8Array | undefined;
            assert.equal(errnoOf(() => (got = m.lookup(k))), expected, JSON.stringify(o));
            if (got) assert.equal(got[0], value);
          }
          continue;
        }
        if (o.op === 'delete') {
          expected = e ? 'ok' : 'ENOENT';
          if (e) model.delete(id(o.plen, o.data));
        } else if (e) {
          expected = o.flags === NOEXIST ? 'EEXIST' : 'ok';
          if (expected === 'ok') model.set(id(o.plen, o.data), { plen: o.plen, data: o.data, value: o.value });
        } else {
          expected = o.flags === EXIST ? 'ENOENT' : model.size === max ? 'ENOSPC' : 'ok';
          if (expected === 'ok') model.set(id(o.plen, o.data), { plen: o.plen, data: o.data, value: o.value });
        }
        const k = key(o.plen, o.data);
        let got: string;
        if (o.op === 'delete') got = o.prog ? nameOf(m.deleteElem(place(env.space, k), 0)) : errnoOf(() => m.delete(k));
        else got = o.prog ? nameOf(m.updateElem(place(env.space, k), place(env.space, bytes(o.value)), o.flags, 0)) : errnoOf(() => m.update(k, bytes(o.value), o.flags));
        assert.equal(got, expected, JSON.stringify(o));
      }
      const order = [...model.values()].sort((a, b) => lpmOrder(a, b, BITS));
      assert.deepEqual(allKeys(m), order.map((x) => key(x.plen, x.data)));
    }),
    { numRuns: 400 },
  );
});
