import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Runtime } from '../src/runtime/runtime.js';
import { assemble } from '../src/isa/asm.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import type { HelperDef } from '../src/helpers/registry.js';
import { MapFlags, MapType } from '../src/maps/map.js';
import { BpfError } from '../src/errno.js';
import {
  BPF_RINGBUF_BUSY_BIT,
  BPF_RINGBUF_DISCARD_BIT,
  RingBufMap,
  ringbufOf,
  RingbufFlags,
} from '../src/maps/ringbuf.js';
import {
  PERF_RECORD_LOST,
  PERF_RECORD_SAMPLE,
  PerfEventArrayMap,
  perfEventArrayOf,
  PerfMmapPage,
  PerfRecord,
} from '../src/maps/perf-event-array.js';

const errno = (name: string, pattern: RegExp) => (e: unknown) => e instanceof BpfError && e.errno === name && pattern.test(e.message);
const ENOSPC = -28n;
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
const u64At = (rt: Runtime, addr: number) => new DataView(rt.space.memory.buffer).getBigUint64(addr, true);
const u32At = (rt: Runtime, addr: number) => new DataView(rt.space.memory.buffer).getUint32(addr, true);

/** A helper that calls back into the test in the middle of a run. */
let hook: () => void = () => {};
const HOOK: HelperDef = { id: 9999, name: 'test_hook', fn: () => (hook(), 0n) };

function setup(size = 4096, cpus = 1): { rt: Runtime; id: number; rb: RingBufMap } {
  const rt = new Runtime({ cpus, helpers: [...linuxHelpers(), HOOK] });
  const id = rt.createMap({ name: 'events', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: size });
  return { rt, id, rb: ringbufOf(rt.map(id)) };
}

/**
 * Reserve len(mem) bytes, copy the input into the record byte by byte (the
 * program writes through the pointer reserve returned), then submit or
 * discard it. r0: 0 on success, 1 when reserve gave NULL.
 */
function reserveCopy(id: number, opts: { discard?: boolean; flags?: number } = {}): string {
  return `
    r6 = r1
    r7 = r2
    r1 = map[fd:${id}] ll
    r2 = r7
    r3 = 0
    call 131
    if r0 == 0 goto fail
    r8 = r0
    r9 = 0
  loop:
    if r9 >= r7 goto done
    r1 = r6
    r1 += r9
    r2 = *(u8 *)(r1 + 0)
    r1 = r8
    r1 += r9
    *(u8 *)(r1 + 0) = r2
    r9 += 1
    goto loop
  done:
    r1 = r8
    r2 = ${opts.flags ?? 0}
    call ${opts.discard ? 133 : 132}
    r0 = 0
    exit
  fail:
    r0 = 1
    exit`;
}

/** bpf_ringbuf_output of the input; r0 is the helper's result. */
function output(id: number, flags = 0): string {
  return `
    r3 = r2
    r2 = r1
    r1 = map[fd:${id}] ll
    r4 = ${flags}
    call 130
    exit`;
}

// ───────────────────────────── RINGBUF: creation ─────────────────────────────

test('ringbuf: max_entries is a power of 2 and a multiple of 4096; no keys, no values; bpf(2) element ops are ENOTSUPP', () => {
  const rt = new Runtime();
  const spec = { type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 };
  for (const maxEntries of [0, 2048, 12288, 4097, 0x80001000]) {
    assert.throws(() => rt.createMap({ ...spec, maxEntries }), errno('EINVAL', /power of 2 and a multiple of the page size/), `max_entries ${maxEntries}`);
  }
  assert.throws(() => rt.createMap({ ...spec, keySize: 4 }), errno('EINVAL', /key_size must be 0/));
  assert.throws(() => rt.createMap({ ...spec, valueSize: 8 }), errno('EINVAL', /value_size must be 0/));
  assert.throws(() => rt.createMap({ ...spec, flags: MapFlags.MMAPABLE }), errno('EINVAL', /BPF_F_MMAPABLE not allowed/));
  rt.createMap({ ...spec, flags: MapFlags.NUMA_NODE });
  const id = rt.createMap({ ...spec, maxEntries: 16384 });
  const rb = ringbufOf(rt.map(id));
  assert.equal(rt.mapInfo(id).memoryUsed, 2 * 4096 + 2 * 16384, 'position pages, data and its mirror');
  assert.throws(() => rt.map(id).lookup(new Uint8Array(0)), errno('ENOTSUPP', /ring buffer has no elements/));
  assert.throws(() => rt.updateElem(id, new Uint8Array(0), new Uint8Array(0)), errno('ENOTSUPP', /update/));
  assert.throws(() => rt.map(id).nextKey(undefined), errno('ENOTSUPP', /next key/));
  // Layout: consumer page, producer page, data (+ mirror), page aligned; only data is a region.
  assert.equal(rb.consumerPage % 4096, 0);
  assert.equal(rb.producerPage, rb.consumerPage + 4096);
  assert.equal(rb.data, rb.consumerPage + 8192);
  assert.deepEqual(rb.regions.map((r) => [r.start, r.end, r.writable]), [[rb.data, rb.data + 2 * 16384, true]]);
  assert.throws(() => ringbufOf(rt.map(rt.createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }))), errno('EINVAL', /not a ring buffer/));
  // 2^31 would fit the checks but not the memory budget.
  assert.throws(() => rt.createMap({ ...spec, maxEntries: 0x80000000 }), errno('ENOMEM', /memory limit/));
});

// ───────────────────────────── RINGBUF: records ─────────────────────────────

test('ringbuf: a program reserves, writes, submits; the record is laid out as in Linux and consumed', () => {
  const { rt, id, rb } = setup(16384);
  const prog = rt.loadProgram({ unverified: true, insns: assemble(reserveCopy(id)) });
  const data = bytes(12);
  assert.equal(prog.run({ mem: data }).r0, 0n);
  // header: len 12 (BUSY cleared), pg_off 3 (one private page + two position pages); data; 8-byte aligned length
  assert.equal(u32At(rt, rb.data), 12);
  assert.equal(u32At(rt, rb.data + 4), 3);
  assert.deepEqual(rt.space.bytes.slice(rb.data + 8, rb.data + 20), data);
  assert.equal(u64At(rt, rb.producerPage), 24n, 'producer_pos: round_up(12 + 8, 8)');
  assert.equal(u64At(rt, rb.consumerPage), 0n);
  assert.equal(rb.availData, 24);

  // More records: positions are the sum of the aligned lengths; pg_off counts pages from the struct.
  for (const n of [1, 8, 4000, 100]) assert.equal(prog.run({ mem: bytes(n, n) }).r0, 0n);
  // positions: 0 (12), 24 (1), 40 (8), 56 (4000), 4064 (100) → 4176
  assert.equal(rb.producerPos, 24 + 16 + 16 + 4008 + 112);
  assert.equal(u32At(rt, rb.data + 4064), 100);
  assert.equal(u32At(rt, rb.data + 4064 + 4), 3, 'header in the first data page');
  assert.equal(prog.run({ mem: bytes(5000, 3) }).r0, 0n); // at 4176
  assert.equal(u32At(rt, rb.data + 4176 + 4), 4, 'header in the second data page');

  const recs = rb.consume();
  assert.deepEqual(recs, [bytes(12), bytes(1, 1), bytes(8, 8), bytes(4000, 4000), bytes(100, 100), bytes(5000, 3)]);
  assert.equal(rb.consumerPos, rb.producerPos);
  assert.equal(u64At(rt, rb.consumerPage), BigInt(rb.producerPos), 'consumer_pos written back to its page');
  assert.deepEqual(rb.consume(), []);
});

test('ringbuf: a discarded record is skipped; the consumer stops at a record still reserved', () => {
  const { rt, id, rb } = setup();
  rt.loadProgram({ unverified: true, insns: assemble(reserveCopy(id)) }).run({ mem: bytes(10, 1) });
  rt.loadProgram({ unverified: true, insns: assemble(reserveCopy(id, { discard: true })) }).run({ mem: bytes(20, 2) });
  rt.loadProgram({ unverified: true, insns: assemble(reserveCopy(id)) }).run({ mem: bytes(30, 3) });
  // The discarded record keeps its place and its length, with the DISCARD bit.
  assert.equal(u32At(rt, rb.data + 24), (20 | BPF_RINGBUF_DISCARD_BIT) >>> 0);
  assert.deepEqual(rb.consume(), [bytes(10, 1), bytes(30, 3)]);
  assert.equal(rb.consumerPos, 24 + 32 + 40);

  // Reserve A, reserve B, submit B; mid-run the consumer sees nothing: A is BUSY.
  let seen: Uint8Array[] | undefined;
  let busyHeader = 0;
  hook = () => {
    busyHeader = u32At(rt, rb.data + 96);
    seen = rb.consume();
  };
  const prog = rt.loadProgram({
    unverified: true,
    insns: assemble(`
      r1 = map[fd:${id}] ll
      r2 = 16
      r3 = 0
      call 131
      r6 = r0
      r1 = map[fd:${id}] ll
      r2 = 8
      r3 = 0
      call 131
      r7 = r0
      r1 = 0x2222
      *(u64 *)(r7 + 0) = r1
      r1 = r7
      r2 = 0
      call 132
      call 9999
      r1 = 0x1111
      *(u64 *)(r6 + 0) = r1
      *(u64 *)(r6 + 8) = r1
      r1 = r6
      r2 = 0
      call 132
      r0 = 0
      exit`),
  });
  prog.run();
  hook = () => {};
  assert.deepEqual(seen, []);
  assert.equal(busyHeader, (16 | BPF_RINGBUF_BUSY_BIT) >>> 0);
  const after = rb.consume();
  assert.equal(after.length, 2);
  assert.equal(new DataView(after[0]!.buffer).getBigUint64(8, true), 0x1111n);
  assert.equal(new DataView(after[1]!.buffer).getBigUint64(0, true), 0x2222n);
});

test('ringbuf: reserve fails when full and succeeds after consumption; a record wraps across the end', () => {
  const { rt, id, rb } = setup(4096);
  const prog = rt.loadProgram({ unverified: true, insns: assemble(reserveCopy(id)) });
  const out = rt.loadProgram({ unverified: true, insns: assemble(output(id)) });
  // Each record takes round_up(1000 + 8, 8) = 1008 bytes; at most 4095 may be outstanding.
  for (let i = 0; i < 4; i++) assert.equal(prog.run({ mem: bytes(1000, i) }).r0, 0n, `record ${i}`);
  assert.equal(prog.run({ mem: bytes(1000, 9) }).r0, 1n, 'reserve gives NULL when full');
  assert.equal(s64(out.run({ mem: bytes(1000, 9) }).r0), -11n, 'ringbuf_output gives -EAGAIN');
  assert.equal(s64(out.run({ mem: bytes(4089) }).r0), -11n, 'larger than the ring can ever hold');
  assert.equal(rb.producerPos, 4032);

  assert.equal(rb.consume().length, 4);
  // At 4032 the fifth record's header is at the end; its data runs 944 bytes past it, into the start.
  const wrapped = bytes(1000, 77);
  assert.equal(prog.run({ mem: wrapped }).r0, 0n);
  assert.equal(u32At(rt, rb.data + 4032), 1000);
  assert.deepEqual(rt.space.bytes.slice(rb.data + 4040, rb.data + 4096), wrapped.subarray(0, 56));
  assert.deepEqual(rt.space.bytes.slice(rb.data, rb.data + 944), wrapped.subarray(56), 'the tail is at the start of the data area');
  assert.deepEqual(rb.consume(), [wrapped]);
  // ringbuf_output wraps the same way: 3500 bytes at offset 944 run 356 bytes past the end.
  const second = bytes(3500, 5);
  assert.equal(out.run({ mem: second }).r0, 0n);
  assert.deepEqual(rt.space.bytes.slice(rb.data, rb.data + 356), second.subarray(3500 - 356));
  assert.deepEqual(rb.consume(), [second]);
  assert.equal(rb.consumerPos, 5040 + 3512);
  // A record that fills the ring but for 8 bytes fits an empty ring, across the end.
  const big = bytes(4080, 11);
  assert.equal(prog.run({ mem: big }).r0, 0n);
  assert.equal(rb.producerPos - rb.consumerPos, 4088);
  assert.equal(prog.run({ mem: bytes(1) }).r0, 1n);
  assert.deepEqual(rb.consume(), [big]);
});

test('ringbuf: query gives available data, ring size, consumer and producer positions; 0 for other flags', () => {
  const { rt, id, rb } = setup(8192);
  const query = rt.loadProgram({
    unverified: true,
    insns: assemble(`
      r6 = r1
      ${[0, 1, 2, 3, 7]
        .map((f, i) => `r1 = map[fd:${id}] ll\nr2 = ${f}\ncall 134\n*(u64 *)(r6 + ${8 * i}) = r0`)
        .join('\n')}
      r0 = 0
      exit`),
  });
  const read = () => {
    const mem = query.run({ mem: new Uint8Array(40) }).mem;
    return [0, 1, 2, 3, 4].map((i) => new DataView(mem.buffer).getBigUint64(8 * i, true));
  };
  assert.deepEqual(read(), [0n, 8192n, 0n, 0n, 0n]);
  const out = rt.loadProgram({ unverified: true, insns: assemble(output(id)) });
  out.run({ mem: bytes(100) });
  out.run({ mem: bytes(50) });
  assert.deepEqual(read(), [112n + 64n, 8192n, 0n, 176n, 0n]);
  rb.consume();
  assert.deepEqual(read(), [0n, 8192n, 176n, 176n, 0n]);
});

test('ringbuf: flags — output refuses unknown bits, reserve gives NULL for any; bad submit pointers stop the run', () => {
  const { rt, id, rb } = setup();
  assert.equal(s64(rt.loadProgram({ unverified: true, insns: assemble(output(id, 4)) }).run({ mem: bytes(8) }).r0), -22n);
  const reserveFlags = rt.loadProgram({ unverified: true, insns: assemble(`r1 = map[fd:${id}] ll\nr2 = 8\nr3 = 1\ncall 131\nexit`) });
  assert.equal(reserveFlags.run().r0, 0n);
  assert.equal(rb.producerPos, 0);
  // submit of something that is not a reserved record (unverified programs only)
  const bad = rt.loadProgram({ unverified: true, insns: assemble(`r1 = r10\nr1 += -8\nr2 = 0\ncall 132\nexit`) });
  assert.throws(() => bad.run(), errno('EFAULT', /ringbuf_submit: 0x[0-9a-f]+ is not a ring buffer record this run reserved/));
  // double submit
  const twice = rt.loadProgram({ unverified: true, insns: assemble(`r1 = map[fd:${id}] ll\nr2 = 8\nr3 = 0\ncall 131\nr6 = r0\nr1 = r6\nr2 = 0\ncall 132\nr1 = r6\nr2 = 0\ncall 133\nexit`) });
  assert.throws(() => twice.run(), errno('EFAULT', /ringbuf_discard/));
  assert.equal(rb.consume().length, 1, 'the first submit stands');
  // the helpers on a map that is not a ring buffer
  const arr = rt.createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
  assert.equal(rt.loadProgram({ unverified: true, insns: assemble(`r1 = map[fd:${arr}] ll\nr2 = 8\nr3 = 0\ncall 131\nexit`) }).run().r0, 0n);
  assert.equal(s64(rt.loadProgram({ unverified: true, insns: assemble(output(arr)) }).run({ mem: bytes(8) }).r0), -22n);
});

// ───────────────────────────── RINGBUF: wakeups and the async iterator ─────────────────────────────

/** Resolves after the pending microtasks and one macrotask. */
const settle = () => new Promise((r) => setTimeout(r, 5));

test('ringbuf wakeups follow Linux: only when the consumer caught up to the record, unless NO_WAKEUP / FORCE_WAKEUP', () => {
  const { rt, id, rb } = setup();
  const run = (flags: number) => rt.loadProgram({ unverified: true, insns: assemble(output(id, flags)) }).run({ mem: bytes(8) });
  run(0); // consumer at 0, record at 0: wake
  assert.equal(rb.wakeups, 1);
  run(0); // record at 16, consumer still at 0: no wake
  assert.equal(rb.wakeups, 1);
  run(RingbufFlags.FORCE_WAKEUP);
  assert.equal(rb.wakeups, 2);
  rb.consume();
  run(RingbufFlags.NO_WAKEUP); // caught up, but told not to
  assert.equal(rb.wakeups, 2);
  rb.consume();
  run(RingbufFlags.NO_WAKEUP | RingbufFlags.FORCE_WAKEUP); // FORCE wins, as in bpf_ringbuf_commit
  assert.equal(rb.wakeups, 3);
});

test('ringbuf.records(): yields records as programs submit them, sleeps through NO_WAKEUP, ends on abort', async () => {
  const { rt, id, rb } = setup();
  const out = (flags: number, seed: number) => rt.loadProgram({ unverified: true, insns: assemble(output(id, flags)) }).run({ mem: bytes(16, seed) });
  const ac = new AbortController();
  const got: Uint8Array[] = [];
  out(0, 1); // before the reader starts: read at once
  const reader = (async () => {
    for await (const rec of rb.records({ signal: ac.signal })) got.push(rec);
  })();
  await settle();
  assert.deepEqual(got, [bytes(16, 1)]);

  out(0, 2); // the reader sleeps, caught up: woken
  await settle();
  assert.deepEqual(got.slice(1), [bytes(16, 2)]);

  out(RingbufFlags.NO_WAKEUP, 3); // committed, but the sleeping reader is not told
  await settle();
  assert.equal(got.length, 2);
  out(0, 4); // not at the consumer position either: still asleep
  await settle();
  assert.equal(got.length, 2);
  out(RingbufFlags.FORCE_WAKEUP, 5); // wakes it; it takes all three
  await settle();
  assert.deepEqual(got.slice(2), [bytes(16, 3), bytes(16, 4), bytes(16, 5)]);

  ac.abort();
  await reader; // the iteration ends while it sleeps
  out(0, 6);
  await settle();
  assert.equal(got.length, 5);
  assert.deepEqual(rb.consume(), [bytes(16, 6)]);

  // pollMs: a reader that does not wait for wakeups forever (ring_buffer__poll with a timeout)
  const ac2 = new AbortController();
  const polled: Uint8Array[] = [];
  const poller = (async () => {
    for await (const rec of rb.records({ signal: ac2.signal, pollMs: 10 })) polled.push(rec);
  })();
  await settle();
  out(0, 7); // consumer caught up → wakes it
  await settle();
  out(RingbufFlags.NO_WAKEUP, 8);
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(polled, [bytes(16, 7), bytes(16, 8)]);
  ac2.abort();
  await poller;
  // an already aborted signal yields nothing
  out(0, 9);
  for await (const _ of rb.records({ signal: AbortSignal.abort() })) assert.fail('no records after abort');
  assert.equal(rb.consume().length, 1);
});

// ───────────────────────────── PERF_EVENT_ARRAY ─────────────────────────────

/** bpf_perf_event_output(ctx = r1, map, flags, data = input, size = its length); r0 its result. */
function perfOutput(id: number, flags: string): string {
  return `
    r4 = r1
    r5 = r2
    r1 = r4
    r2 = map[fd:${id}] ll
    r3 = ${flags} ll
    call 25
    exit`;
}

function perfSetup(cpus = 4, maxEntries = 0) {
  const rt = new Runtime({ cpus, helpers: linuxHelpers() });
  const id = rt.createMap({ name: 'perf', type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries });
  return { rt, id, perf: perfEventArrayOf(rt.map(id)) };
}

const samples = (recs: PerfRecord[]) => recs.map((r) => ('data' in r ? { cpu: r.cpu, data: [...r.data] } : r));

test('perf event array: creation checks; max_entries defaults to the number of CPUs', () => {
  const { rt, id, perf } = perfSetup(4);
  assert.equal(rt.mapInfo(id).maxEntries, 4);
  assert.equal(rt.mapInfo(id).memoryUsed, 32);
  const spec = { type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 8 };
  assert.throws(() => rt.createMap({ ...spec, valueSize: 8 }), errno('EINVAL', /value_size must be 4/));
  assert.throws(() => rt.createMap({ ...spec, keySize: 8 }), errno('EINVAL', /key_size must be 4/));
  assert.throws(() => rt.createMap({ ...spec, flags: MapFlags.RDONLY_PROG }), errno('EINVAL', /fd array/));
  assert.throws(() => rt.createMap({ ...spec, flags: MapFlags.MMAPABLE }), errno('EINVAL', /only for plain arrays/));
  rt.createMap({ ...spec, flags: MapFlags.PRESERVE_ELEMS });
  assert.throws(() => perf.open(4), errno('EINVAL', /cpu 4 is not one of the runtime's 4/));
  assert.throws(() => perf.open(0, { pages: 3 }), errno('EINVAL', /power of 2/));
  assert.throws(() => rt.map(id).lookup(new Uint8Array(4)), errno('ENOTSUPP', /cannot read back/));
  // bpf(2) update installs an open buffer by id; delete takes it out.
  const b0 = perf.open(0, { pages: 1 });
  const key = (i: number) => new Uint8Array(new Uint32Array([i]).buffer);
  rt.updateElem(id, key(1), new Uint8Array(new Uint32Array([b0.id]).buffer));
  assert.equal(perf.buffer(1), b0);
  assert.throws(() => rt.updateElem(id, key(2), new Uint8Array(new Uint32Array([987654]).buffer)), errno('EBADF', /not an open perf buffer/));
  assert.throws(() => rt.updateElem(id, key(4), new Uint8Array(new Uint32Array([b0.id]).buffer)), errno('E2BIG', /index 4 >= max_entries 4/));
  rt.deleteElem(id, key(1));
  assert.throws(() => rt.deleteElem(id, key(1)), errno('ENOENT', /holds no perf buffer/));
  assert.deepEqual([...rt.map(id).nextKey(undefined)], [0, 0, 0, 0]);
});

test('perf_event_output: BPF_F_CURRENT_CPU writes a raw sample to the buffer of the CPU the program runs on', () => {
  const { rt, id, perf } = perfSetup(4);
  const bufs = [0, 1, 2, 3].map((c) => perf.open(c, { pages: 1 }));
  const prog = rt.loadProgram({ unverified: true, insns: assemble(perfOutput(id, '0xffffffff')) });
  for (const cpu of [2, 0, 3, 1, 2]) assert.equal(prog.run({ cpu, mem: bytes(5, cpu) }).r0, 0n, `cpu ${cpu}`);

  // The record in cpu 2's mmap, as perf writes it: header, u32 raw size, data, zero padding.
  const m = new DataView(bufs[2]!.mmap.buffer);
  assert.equal(m.getUint32(4096, true), PERF_RECORD_SAMPLE);
  assert.equal(m.getUint16(4096 + 4, true), 0, 'misc');
  assert.equal(m.getUint16(4096 + 6, true), 24, 'size: 8 + round_up(5 + 4, 8)');
  assert.equal(m.getUint32(4096 + 8, true), 12, 'raw size counts the padding, as in Linux');
  assert.deepEqual([...bufs[2]!.mmap.slice(4096 + 12, 4096 + 24)], [...bytes(5, 2), 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(m.getBigUint64(PerfMmapPage.DATA_HEAD, true), 48n, 'two samples on cpu 2');
  assert.equal(m.getBigUint64(PerfMmapPage.DATA_OFFSET, true), 4096n);
  assert.equal(m.getBigUint64(PerfMmapPage.DATA_SIZE, true), 4096n);

  const pad = (b: Uint8Array) => [...b, 0, 0, 0, 0, 0, 0, 0];
  assert.deepEqual(samples(perf.consume()), [
    { cpu: 0, data: pad(bytes(5, 0)) },
    { cpu: 1, data: pad(bytes(5, 1)) },
    { cpu: 2, data: pad(bytes(5, 2)) },
    { cpu: 2, data: pad(bytes(5, 2)) },
    { cpu: 3, data: pad(bytes(5, 3)) },
  ]);
  assert.equal(m.getBigUint64(PerfMmapPage.DATA_TAIL, true), 48n, 'the reader moved data_tail');
  assert.deepEqual(perf.consume(), []);
  // a multiple of 4 bytes after the u32 needs no padding
  prog.run({ cpu: 1, mem: bytes(12, 9) });
  assert.deepEqual(samples(perf.consume()), [{ cpu: 1, data: [...bytes(12, 9)] }]);
});

test('perf_event_output: explicit index, and -E2BIG / -ENOENT / -EOPNOTSUPP / -EINVAL as Linux', () => {
  const { rt, id, perf } = perfSetup(4, 8);
  perf.open(0, { pages: 1 });
  perf.open(2, { pages: 1 });
  const run = (flags: string, cpu: number) => s64(rt.loadProgram({ unverified: true, insns: assemble(perfOutput(id, flags)) }).run({ cpu, mem: bytes(8) }).r0);
  assert.equal(run('2', 2), 0n, 'index 2 from cpu 2');
  assert.equal(run('2', 1), -95n, 'index 2 from cpu 1: the event is on another CPU (EOPNOTSUPP)');
  assert.equal(run('8', 0), -7n, 'index past max_entries: E2BIG');
  assert.equal(run('5', 0), -2n, 'no buffer at index 5: ENOENT');
  assert.equal(run('0xffffffff', 1), -2n, 'current CPU 1 has no buffer: ENOENT');
  assert.equal(run('0x100000000', 0), -22n, 'flags past BPF_F_INDEX_MASK: EINVAL');
  assert.equal(run('0xffffffff', 0), 0n);
  assert.deepEqual(perf.consume().map((r) => r.cpu), [0, 2]);
  // a closed buffer is out of the array
  perf.buffer(2)!.close();
  assert.equal(run('2', 2), -2n);
});

test('perf buffer: a full buffer loses samples (-ENOSPC), and the reader later sees PERF_RECORD_LOST with the count', () => {
  const { rt, id, perf } = perfSetup(2);
  const buf = perf.open(1, { pages: 1 });
  const prog = rt.loadProgram({ unverified: true, insns: assemble(perfOutput(id, '0xffffffff')) });
  // 100 bytes → records of 8 + round_up(104, 8) = 112; a 4096-byte ring holds 36 (4032 ≤ 4095).
  const results = Array.from({ length: 40 }, (_, i) => s64(prog.run({ cpu: 1, mem: bytes(100, i) }).r0));
  assert.deepEqual(results, [...Array(36).fill(0n), ...Array(4).fill(ENOSPC)]);
  assert.equal(buf.lostSamples, 4);
  const first = perf.consume();
  assert.equal(first.length, 36);
  assert.ok(first.every((r) => 'data' in r));
  // The next sample that fits is preceded by the lost record (header, id, count).
  assert.equal(prog.run({ cpu: 1, mem: bytes(100, 99) }).r0, 0n);
  const off = 4096 + (36 * 112) % 4096;
  const m = new DataView(buf.mmap.buffer);
  assert.equal(m.getUint32(off, true), PERF_RECORD_LOST);
  assert.equal(m.getUint16(off + 6, true), 24);
  assert.equal(m.getBigUint64(off + 8, true), BigInt(buf.id));
  assert.equal(m.getBigUint64(off + 16, true), 4n);
  const next = perf.consume();
  assert.deepEqual(next[0], { cpu: 1, lost: 4 });
  assert.deepEqual((next[1] as { data: Uint8Array }).data.subarray(0, 100), bytes(100, 99));
  assert.equal(next.length, 2);
  // The records wrapped across the end of the data pages and were joined.
  assert.ok(buf.dataHead > 4096);
});

test('perf.records(): yields {cpu, data} and {cpu, lost} as programs write them; ends on abort', async () => {
  const { rt, id, perf } = perfSetup(4);
  perf.open(0, { pages: 1 });
  perf.open(3, { pages: 1 });
  const prog = rt.loadProgram({ unverified: true, insns: assemble(perfOutput(id, '0xffffffff')) });
  const ac = new AbortController();
  const got: PerfRecord[] = [];
  const reader = (async () => {
    for await (const rec of perf.records({ signal: ac.signal })) got.push(rec);
  })();
  await settle();
  assert.equal(got.length, 0);
  prog.run({ cpu: 3, mem: bytes(4, 1) });
  await settle();
  assert.deepEqual(samples(got), [{ cpu: 3, data: [...bytes(4, 1)] }]);
  for (let i = 0; i < 200; i++) prog.run({ cpu: 0, mem: bytes(60, 2) }); // 72-byte records: 56 fit, 144 lost
  await settle();
  prog.run({ cpu: 0, mem: bytes(4, 3) });
  await settle();
  const rest = got.slice(1);
  assert.equal(rest.filter((r) => 'data' in r).length, 57);
  assert.deepEqual(rest.filter((r) => 'lost' in r), [{ cpu: 0, lost: 144 }]);
  ac.abort();
  await reader;
  assert.ok(perf instanceof PerfEventArrayMap);
});

// ───────────────────────────── numbers ─────────────────────────────

test('measure: ns per ringbuf reserve+submit of 64 bytes from a program (interpreter)', () => {
  const N = 100_000;
  const { rt, id, rb } = setup(1 << 23);
  const loop = (body: string) =>
    rt.loadProgram({
    unverified: true,
      budget: 100 * N,
      insns: assemble(`
        r6 = ${N}
      loop:
        ${body}
        r6 += -1
        if r6 != 0 goto loop
        r0 = 0
        exit
      fail:
        r0 = 1
        exit`),
    });
  const reserveSubmit = loop(`
        r1 = map[fd:${id}] ll
        r2 = 64
        r3 = 0
        call 131
        if r0 == 0 goto fail
        *(u64 *)(r0 + 0) = r6
        r1 = r0
        r2 = 0
        call 132`);
  const empty = loop(`r1 = r6`);
  // For scale: a HASH lookup of a present 8-byte key, one helper call.
  const hash = rt.createMap({ type: MapType.HASH, keySize: 8, valueSize: 8, maxEntries: 16 });
  rt.updateElem(hash, new Uint8Array(8), new Uint8Array(8));
  const lookup = loop(`
        *(u64 *)(r10 - 8) = 0
        r2 = r10
        r2 += -8
        r1 = map[fd:${hash}] ll
        call 1
        if r0 == 0 goto fail`);
  const time = (p: ReturnType<typeof loop>) => {
    rb.consume();
    const t0 = performance.now();
    assert.equal(p.run().r0, 0n);
    return ((performance.now() - t0) * 1e6) / N;
  };
  time(reserveSubmit); // warm up
  const ns = Math.min(time(reserveSubmit), time(reserveSubmit), time(reserveSubmit));
  const base = Math.min(time(empty), time(empty));
  const hashNs = Math.min(time(lookup), time(lookup), time(lookup));
  assert.equal(rb.consume().length, 0);
  reserveSubmit.run();
  assert.equal(rb.consume().length, N);
  console.log(`ringbuf reserve+submit 64 B (interpreter): ${ns.toFixed(0)} ns per op (loop overhead ${base.toFixed(0)} ns; HASH lookup in the same loop ${hashNs.toFixed(0)} ns; N=${N})`);
});
