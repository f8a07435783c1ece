import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Runtime } from '../src/runtime/runtime.js';
import { assemble } from '../src/isa/asm.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { MapType } from '../src/maps/map.js';
import { BpfError } from '../src/errno.js';

const u32 = (v: number) => new Uint8Array(new Uint32Array([v]).buffer);
const u64 = (v: bigint) => new Uint8Array(new BigUint64Array([v]).buffer);
const readU64 = (b: Uint8Array, at = 0) => new DataView(b.buffer, b.byteOffset).getBigUint64(at, true);
const errno = (name: string, pattern: RegExp) => (e: unknown) => e instanceof BpfError && e.errno === name && pattern.test(e.message);

/** The classic counter: look key 7 up; add 1 in place, or insert 1 when absent. */
function counter(mapId: number): string {
  return `
    *(u32 *)(r10 - 4) = 7
    r2 = r10
    r2 += -4
    r1 = map[fd:${mapId}] ll
    call 1
    if r0 == 0 goto insert
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
    r0 = 0
    exit
  insert:
    *(u64 *)(r10 - 16) = 1
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r1 = map[fd:${mapId}] ll
    r4 = 0
    call 2
    r0 = 1
    exit`;
}

test('a program counts in a hash map through map_lookup_elem / map_update_elem', () => {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const id = rt.createMap({ name: 'counts', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16 });
  const prog = rt.loadProgram({ unverified: true, insns: assemble(counter(id)) });
  assert.equal(prog.run().r0, 1n); // inserted
  for (let i = 0; i < 4; i++) assert.equal(prog.run().r0, 0n);
  assert.equal(readU64(rt.map(id).lookup(u32(7))), 5n);
  assert.equal(rt.mapInfo(id).name, 'counts');
});

test('the JIT runs Runtime programs with the same map results', () => {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const id = rt.createMap({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16 });
  const interp = rt.loadProgram({ unverified: true, insns: assemble(counter(id)) });
  const jit = rt.loadProgram({ unverified: true, insns: assemble(counter(id)), engine: 'jit' });
  assert.equal(jit.run().r0, 1n);
  assert.equal(interp.run().r0, 0n);
  assert.equal(jit.run().r0, 0n);
  assert.equal(readU64(rt.map(id).lookup(u32(7))), 3n);
});

test('per-CPU maps: each CPU of the runtime counts on its own copy', () => {
  const rt = new Runtime({ cpus: 4, helpers: linuxHelpers() });
  const id = rt.createMap({ type: MapType.PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 4 });
  const prog = rt.loadProgram({ unverified: true, insns: assemble(counter(id)) });
  prog.run({ cpu: 2 });
  prog.run({ cpu: 2 });
  prog.run({ cpu: 3 });
  const all = rt.map(id).lookup(u32(7));
  assert.deepEqual([0, 1, 2, 3].map((c) => readU64(all, 8 * c)), [0n, 0n, 2n, 1n]);
  assert.throws(() => prog.run({ cpu: 4 }), errno('EINVAL', /cpu 4/));
});

test('lddw of a map value (src 2) points into an array map element', () => {
  const rt = new Runtime();
  const id = rt.createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1 });
  rt.updateElem(id, u32(0), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0x2a, 0, 0, 0, 0, 0, 0, 0]));
  const prog = rt.loadProgram({ unverified: true, insns: assemble(`r1 = map[fd:${id}][0]+8 ll\nr0 = *(u64 *)(r1 + 0)\nr2 = 1\n*(u64 *)(r1 + 0) = r2\nexit`) });
  assert.equal(prog.run().r0, 42n);
  assert.equal(readU64(rt.map(id).lookup(u32(0)), 8), 1n);
  assert.throws(() => rt.loadProgram({ unverified: true, insns: assemble(`r1 = map[fd:${id}][0]+16 ll\nexit`) }), errno('EINVAL', /offset 16/));
});

test('map references are checked at load: unknown id or index is EBADF', () => {
  const rt = new Runtime();
  assert.throws(() => rt.loadProgram({ unverified: true, insns: assemble('r1 = map[fd:99] ll\nr0 = 0\nexit') }), errno('EBADF', /99 is not the id of a map/));
  const id = rt.createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
  rt.loadProgram({ unverified: true, insns: assemble('r1 = map[idx:0] ll\nr0 = 0\nexit'), maps: [id] });
  assert.throws(() => rt.loadProgram({ unverified: true, insns: assemble('r1 = map[idx:1] ll\nr0 = 0\nexit'), maps: [id] }), errno('EBADF', /index 1/));
});

test('a program cannot read or write through a map pointer', () => {
  const rt = new Runtime();
  const id = rt.createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
  const prog = rt.loadProgram({ unverified: true, insns: assemble(`r1 = map[fd:${id}] ll\nr0 = *(u64 *)(r1 + 0)\nexit`) });
  assert.throws(() => prog.run(), errno('EFAULT', /pc 2: invalid read/));
});

test('frozen maps refuse user-space writes; the memory limit refuses a map that does not fit', () => {
  const rt = new Runtime({ memoryLimit: 1 << 20 });
  const id = rt.createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
  rt.freezeMap(id);
  assert.throws(() => rt.updateElem(id, u32(0), u64(1n)), errno('EPERM', /frozen/));
  assert.throws(() => rt.createMap({ name: 'big', type: MapType.ARRAY, keySize: 4, valueSize: 4096, maxEntries: 1024 }), errno('ENOMEM', /memory limit/));
  // A map that fits still can be created after the refusal.
  rt.createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
  assert.throws(() => rt.map(999), errno('ENOENT', /no map with id 999/));
});

test('bpf_trace_printk writes a line to the trace pipe', () => {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const fmt = 'n=%d\0';
  const stores = [...fmt].map((c, i) => `*(u8 *)(r10 - ${16 - i}) = ${c.charCodeAt(0)}`).join('\n');
  const prog = rt.loadProgram({ unverified: true, insns: assemble(`${stores}\nr1 = r10\nr1 += -16\nr2 = ${fmt.length}\nr3 = 42\ncall 6\nexit`) });
  prog.run();
  assert.equal(rt.tracePipe.length, 1);
  assert.match(rt.tracePipe[0]!, /n=42/);
});

test('batch operations: lookup in batches with a cursor, update and delete in order, stop at the first failure', () => {
  const rt = new Runtime();
  const id = rt.createMap({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8 });
  const keys = [1, 2, 3, 4, 5].map(u32);
  assert.equal(rt.updateBatch(id, keys, keys.map((_, i) => u64(BigInt(i * 10)))), 5);
  const seen: number[] = [];
  let cursor: Uint8Array | undefined;
  for (let round = 0; round < 10; round++) {
    const b = rt.lookupBatch(id, cursor, 2);
    seen.push(...b.keys.map((k) => new DataView(k.buffer).getUint32(0, true)));
    b.values.forEach((v, i) => assert.equal(readU64(v), BigInt((new DataView(b.keys[i]!.buffer).getUint32(0, true) - 1) * 10)));
    cursor = b.cursor;
    if (b.done) break;
  }
  assert.deepEqual([...seen].sort(), [1, 2, 3, 4, 5]);
  // NOEXIST on a present key fails at the third element: two were done.
  assert.throws(() => rt.updateBatch(id, [u32(6), u32(7), u32(1)], [u64(0n), u64(0n), u64(0n)], 1), errno('EEXIST', /stopped after 2 of 3/));
  assert.equal(rt.deleteBatch(id, [u32(6), u32(7)]), 2);
  assert.throws(() => rt.deleteBatch(id, [u32(1), u32(99)]), errno('ENOENT', /stopped after 1 of 2/));
  const all = rt.lookupAndDeleteBatch(id, undefined, 100);
  assert.equal(all.done, true);
  assert.deepEqual(all.keys.map((k) => new DataView(k.buffer).getUint32(0, true)).sort(), [2, 3, 4, 5]);
  assert.equal(rt.lookupBatch(id, undefined, 1).keys.length, 0);
  assert.throws(() => rt.lookupBatch(id, undefined, 0), errno('EINVAL', /at least 1/));
});

test('tail calls: jump to a program in a PROG_ARRAY, at most 33 chained, fall through when they cannot', () => {
  for (const engine of ['interp', 'jit'] as const) {
    const rt = new Runtime({ helpers: linuxHelpers() });
    const jt = rt.createMap({ name: 'jt', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    const hits = rt.createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const target = rt.loadProgram({ unverified: true, insns: assemble('r0 = 42\nexit'), engine });
    // Tail-call slot r2 of the jump table; r0 = 7 if the call falls through.
    const caller = (slot: number) => rt.loadProgram({ unverified: true, insns: assemble(`r2 = map[fd:${jt}] ll\nr3 = ${slot}\ncall 12\nr0 = 7\nexit`), engine });
    rt.updateElem(jt, u32(0), u32(target.id));
    assert.equal(caller(0).run().r0, 42n, engine);
    assert.equal(caller(1).run().r0, 7n, `${engine}: empty slot falls through`);
    assert.equal(caller(9).run().r0, 7n, `${engine}: index out of range falls through`);
    assert.deepEqual(rt.map(jt).lookup(u32(0)), u32(target.id));
    assert.throws(() => rt.updateElem(jt, u32(1), u32(999)), errno('EBADF', /999 is not the id of a loaded program/));
    // A program that counts its runs in `hits` and tail-calls itself: 1 run + 33 tail calls.
    const self = rt.loadProgram({ unverified: true, engine, insns: assemble(`
      r6 = r1
      *(u32 *)(r10 - 4) = 0
      r2 = r10
      r2 += -4
      r1 = map[fd:${hits}] ll
      call 1
      if r0 == 0 goto out
      r1 = 1
      lock *(u64 *)(r0 + 0) += r1
      r1 = r6
      r2 = map[fd:${jt}] ll
      r3 = 2
      call 12
    out:
      r0 = 5
      exit`) });
    rt.updateElem(jt, u32(2), u32(self.id));
    assert.equal(self.run().r0, 5n);
    assert.equal(readU64(rt.map(hits).lookup(u32(0))).toString(), '34', engine);
  }
});
