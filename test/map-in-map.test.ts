import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfError } from '../src/errno.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { assemble } from '../src/isa/asm.js';
import { encode } from '../src/isa/instruction.js';
import { u32Bytes } from '../src/maps/keys.js';
import { MapFlags, MapType } from '../src/maps/map.js';
import { Runtime } from '../src/runtime/runtime.js';
import { PinStore } from '../src/runtime/pins.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Answer, kernelAnswers, kernelUnavailable, Step, tsbpfAnswers } from './kernel-probes/steps.js';

// Every expected answer below was given by Linux 6.18 to the same steps
// (test/kernel-probes/bpf_steps.py through kernel-oracle.py); the
// differential test at the end asks the kernel again where it can.

const { ARRAY, HASH, PERCPU_ARRAY, ARRAY_OF_MAPS: AOM, HASH_OF_MAPS: HOM } = MapType;
const asmHex = (text: string): string => Buffer.from(encode(assemble(text))).toString('hex');
const PACKET = '00'.repeat(64);
const u32 = (n: number): string => Buffer.from(u32Bytes(n)).toString('hex');
const u64 = (n: number): string => u32(n) + '00000000';

type Case = [Step, Answer];
const create = (name: string, type: number, key: number, value: number, max: number, more: { flags?: number; inner?: string } = {}): Step => ({ op: 'create', name, type, key, value, max, ...more });
const run = (insns: string, maps: string[]): Step => ({ op: 'run', type: 'socket_filter', insns, maps, data: PACKET });

/** BPF_MAP_CREATE of maps of maps: the checks of the outer map come before the template's. */
const CREATION: Case[] = [
  [create('a4', ARRAY, 4, 4, 4), 'ok'],
  [create('o1', AOM, 4, 4, 4, { inner: 'a4' }), 'ok'],
  [create('o2', AOM, 4, 8, 4, { inner: 'a4' }), 'EINVAL'], // value_size is a u32 id
  [create('o3', AOM, 8, 4, 4, { inner: 'a4' }), 'EINVAL'], // key is a u32 index
  [create('o4', AOM, 4, 4, 0, { inner: 'a4' }), 'EINVAL'],
  [create('o5', AOM, 4, 4, 4), 'EINVAL'], // no template
  [create('o6', AOM, 4, 4, 4, { inner: 'bad-fd' }), 'EBADF'],
  [create('o7', AOM, 4, 4, 4, { inner: 'o1' }), 'EINVAL'], // one level only
  [create('o8', AOM, 4, 4, 4, { inner: 'a4', flags: MapFlags.RDONLY_PROG }), 'EINVAL'],
  [create('o9', AOM, 4, 4, 4, { inner: 'a4', flags: MapFlags.MMAPABLE }), 'EINVAL'],
  [create('o10', AOM, 4, 4, 4, { inner: 'a4', flags: MapFlags.INNER_MAP }), 'EINVAL'],
  [create('o11', AOM, 4, 4, 4, { inner: 'a4', flags: MapFlags.PRESERVE_ELEMS }), 'EINVAL'],
  [create('o12', AOM, 4, 4, 4, { inner: 'a4', flags: MapFlags.NO_PREALLOC }), 'EINVAL'],
  [create('o13', AOM, 4, 4, 4, { inner: 'a4', flags: MapFlags.RDONLY }), 'ok'],
  [create('o14', AOM, 4, 8, 4, { inner: 'bad-fd' }), 'EINVAL'], // value_size before the template
  [create('h1', HOM, 8, 4, 4, { inner: 'a4' }), 'ok'],
  [create('h2', HOM, 8, 8, 4, { inner: 'a4' }), 'EINVAL'],
  [create('h3', HOM, 0, 4, 4, { inner: 'a4' }), 'EINVAL'],
  [create('h4', HOM, 8, 4, 4, { inner: 'a4', flags: MapFlags.NO_PREALLOC }), 'ok'],
  [create('h5', HOM, 8, 4, 4, { inner: 'a4', flags: MapFlags.RDONLY_PROG }), 'ok'], // unlike an array of maps
  [create('h6', HOM, 8, 4, 4), 'EINVAL'],
  [create('h7', HOM, 8, 4, 0, { inner: 'a4' }), 'EINVAL'],
  [create('h8', HOM, 8, 4, 4, { inner: 'h1' }), 'EINVAL'],
  [create('h9', HOM, 8, 4, 4, { inner: 'a4', flags: MapFlags.NO_COMMON_LRU }), 'EINVAL'],
  [create('h10', HOM, 8, 8, 4, { inner: 'bad-fd' }), 'EINVAL'],
  [create('x1', HASH, 4, 4, 4, { inner: 'a4' }), 'ok'], // other types ignore inner_map_fd
  [create('x2', ARRAY, 4, 4, 4, { inner: 'bad-fd' }), 'ok'],
];

/** Which map types can be inner maps: all that tsbpf has but PROG_ARRAY (no map_meta_equal: ENOTSUPP). */
const INNER_TYPES: Case[] = (
  [
    ['hash', HASH, 4, 4, 4, 0, 'ok'],
    ['array', ARRAY, 4, 4, 4, 0, 'ok'],
    ['prog_array', MapType.PROG_ARRAY, 4, 4, 4, 0, 'ENOTSUPP'],
    ['perf', MapType.PERF_EVENT_ARRAY, 4, 4, 4, 0, 'ok'],
    ['pcpu_hash', MapType.PERCPU_HASH, 4, 4, 4, 0, 'ok'],
    ['pcpu_array', PERCPU_ARRAY, 4, 4, 4, 0, 'ok'],
    ['stack_trace', MapType.STACK_TRACE, 4, 8, 4, 0, 'ok'],
    ['lru', MapType.LRU_HASH, 4, 4, 4, 0, 'ok'],
    ['lpm', MapType.LPM_TRIE, 8, 4, 4, MapFlags.NO_PREALLOC, 'ok'],
    ['queue', MapType.QUEUE, 0, 4, 4, 0, 'ok'],
    ['ringbuf', MapType.RINGBUF, 0, 0, 4096, 0, 'ok'],
    ['bloom', MapType.BLOOM_FILTER, 0, 4, 4, 0, 'ok'],
    ['arr_inner', ARRAY, 4, 4, 4, MapFlags.INNER_MAP, 'ok'],
  ] as const
).flatMap(([name, type, key, value, max, flags, answer]): Case[] => [
  [create(name, type, key, value, max, { flags }), 'ok'],
  [create(`o_${name}`, AOM, 4, 4, 2, { inner: name }), answer],
  [create(`h_${name}`, HOM, 4, 4, 2, { inner: name }), answer],
]);

/** User-space update, lookup, delete and get-next-key of an ARRAY_OF_MAPS. */
const ARRAY_OPS: Case[] = [
  [create('a4', ARRAY, 4, 4, 4), 'ok'],
  [create('o', AOM, 4, 4, 2, { inner: 'a4' }), 'ok'],
  [create('a4b', ARRAY, 4, 4, 4), 'ok'],
  [create('a8', ARRAY, 4, 4, 8), 'ok'],
  [create('av8', ARRAY, 4, 8, 4), 'ok'],
  [create('aro', ARRAY, 4, 4, 4, { flags: MapFlags.RDONLY_PROG }), 'ok'],
  [create('arw', ARRAY, 4, 4, 4, { flags: MapFlags.RDONLY }), 'ok'],
  [create('h', HASH, 4, 4, 4), 'ok'],
  [create('pa', PERCPU_ARRAY, 4, 4, 4), 'ok'],
  [{ op: 'update', map: 'o', key: u32(0), value: { map: 'a4b' } }, 'ok'],
  [{ op: 'update', map: 'o', key: u32(1), value: { map: 'a8' } }, 'EINVAL'], // max_entries differs
  [{ op: 'update', map: 'o', key: u32(1), value: { map: 'av8' } }, 'EINVAL'], // value_size differs
  [{ op: 'update', map: 'o', key: u32(1), value: { map: 'aro' } }, 'EINVAL'], // map_flags differ
  [{ op: 'update', map: 'o', key: u32(1), value: { map: 'arw' } }, 'ok'], // BPF_F_RDONLY is the fd's, not the map's
  [{ op: 'update', map: 'o', key: u32(1), value: { map: 'h' } }, 'EINVAL'],
  [{ op: 'update', map: 'o', key: u32(1), value: { map: 'pa' } }, 'EINVAL'],
  [{ op: 'update', map: 'o', key: u32(1), value: { map: 'o' } }, 'EINVAL'],
  [{ op: 'update', map: 'o', key: u32(1), value: u32(1_000_000) }, 'EBADF'],
  [{ op: 'update', map: 'o', key: u32(1), value: { map: 'a4' }, flags: 1 }, 'EINVAL'],
  [{ op: 'update', map: 'o', key: u32(1), value: { map: 'a4' }, flags: 2 }, 'EINVAL'],
  [{ op: 'update', map: 'o', key: u32(2), value: { map: 'a4' } }, 'E2BIG'],
  [{ op: 'update', map: 'o', key: u32(2), value: u32(1_000_000) }, 'E2BIG'],
  [{ op: 'update', map: 'o', key: u32(2), value: { map: 'a4' }, flags: 1 }, 'EINVAL'],
  [{ op: 'update', map: 'o', key: u32(0), value: u32(1_000_000), flags: 4 }, 'EINVAL'],
  [{ op: 'lookup', map: 'o', key: u32(0) }, { map: 'a4b' }],
  [{ op: 'lookup', map: 'o', key: u32(1) }, { map: 'arw' }],
  [{ op: 'lookup', map: 'o', key: u32(2) }, 'ENOENT'],
  [{ op: 'next', map: 'o' }, u32(0)],
  [{ op: 'next', map: 'o', key: u32(0) }, u32(1)],
  [{ op: 'next', map: 'o', key: u32(1) }, 'ENOENT'],
  [{ op: 'next', map: 'o', key: u32(7) }, u32(0)],
  [{ op: 'update', map: 'o', key: u32(0), value: { map: 'a4' } }, 'ok'], // replace
  [{ op: 'lookup', map: 'o', key: u32(0) }, { map: 'a4' }],
  [{ op: 'delete', map: 'o', key: u32(1) }, 'ok'],
  [{ op: 'delete', map: 'o', key: u32(1) }, 'ENOENT'],
  [{ op: 'delete', map: 'o', key: u32(2) }, 'E2BIG'],
  [{ op: 'lookup', map: 'o', key: u32(1) }, 'ENOENT'],
  // max_entries is compared only for plain arrays, and not with BPF_F_INNER_MAP
  [create('ai', ARRAY, 4, 4, 4, { flags: MapFlags.INNER_MAP }), 'ok'],
  [create('oi', AOM, 4, 4, 2, { inner: 'ai' }), 'ok'],
  [create('ai16', ARRAY, 4, 4, 16, { flags: MapFlags.INNER_MAP }), 'ok'],
  [{ op: 'update', map: 'oi', key: u32(0), value: { map: 'ai16' } }, 'ok'],
  [{ op: 'update', map: 'oi', key: u32(0), value: { map: 'a4' } }, 'EINVAL'],
  [create('op', AOM, 4, 4, 2, { inner: 'pa' }), 'ok'],
  [create('pa8', PERCPU_ARRAY, 4, 4, 8), 'ok'],
  [{ op: 'update', map: 'op', key: u32(0), value: { map: 'pa8' } }, 'ok'],
];

/** The same for HASH_OF_MAPS: hash update flags, and max_entries of hash inner maps is free. */
const HASH_OPS: Case[] = [
  [create('h', HASH, 4, 4, 4), 'ok'],
  [create('hh', HOM, 4, 4, 2, { inner: 'h' }), 'ok'],
  [create('h100', HASH, 4, 4, 100), 'ok'],
  [create('hk8', HASH, 8, 4, 4), 'ok'],
  [create('hnp', HASH, 4, 4, 4, { flags: MapFlags.NO_PREALLOC }), 'ok'],
  [{ op: 'update', map: 'hh', key: u32(10), value: { map: 'h100' } }, 'ok'],
  [{ op: 'update', map: 'hh', key: u32(10), value: { map: 'hk8' } }, 'EINVAL'],
  [{ op: 'update', map: 'hh', key: u32(10), value: { map: 'hnp' } }, 'EINVAL'],
  [{ op: 'update', map: 'hh', key: u32(10), value: { map: 'h' }, flags: 1 }, 'EEXIST'],
  [{ op: 'update', map: 'hh', key: u32(10), value: u32(1_000_000), flags: 1 }, 'EBADF'], // the map is resolved first
  [{ op: 'update', map: 'hh', key: u32(11), value: { map: 'h' }, flags: 2 }, 'ENOENT'],
  [{ op: 'update', map: 'hh', key: u32(11), value: { map: 'h' }, flags: 4 }, 'EINVAL'],
  [{ op: 'update', map: 'hh', key: u32(11), value: u32(1_000_000), flags: 4 }, 'EINVAL'], // BPF_F_LOCK before the map
  [{ op: 'update', map: 'hh', key: u32(11), value: { map: 'h' }, flags: 3 }, 'EINVAL'],
  [{ op: 'update', map: 'hh', key: u32(11), value: u32(1_000_000), flags: 3 }, 'EBADF'],
  [{ op: 'update', map: 'hh', key: u32(11), value: { map: 'h' } }, 'ok'],
  [{ op: 'update', map: 'hh', key: u32(12), value: { map: 'h' } }, 'E2BIG'],
  [{ op: 'update', map: 'hh', key: u32(12), value: { map: 'h' }, flags: 2 }, 'ENOENT'],
  [{ op: 'lookup', map: 'hh', key: u32(10) }, { map: 'h100' }],
  [{ op: 'update', map: 'hh', key: u32(10), value: { map: 'h' }, flags: 2 }, 'ok'],
  [{ op: 'lookup', map: 'hh', key: u32(10) }, { map: 'h' }],
  [{ op: 'lookup', map: 'hh', key: u32(12) }, 'ENOENT'],
  [{ op: 'delete', map: 'hh', key: u32(12) }, 'ENOENT'],
  [{ op: 'delete', map: 'hh', key: u32(10) }, 'ok'],
  [{ op: 'lookup', map: 'hh', key: u32(10) }, 'ENOENT'],
  [{ op: 'next', map: 'hh' }, u32(11)],
  [{ op: 'next', map: 'hh', key: u32(11) }, 'ENOENT'],
];

/** Look up outer[0], then inner[key]: its value, 1000 if outer[0] is empty, 2000 if inner[key] is. */
const LOOKUP_THROUGH = (outerKey: string, innerKey: string): string =>
  asmHex(`${outerKey}
    r1 = map[idx:0] ll
    r2 = r10
    r2 += -8
    call bpf_map_lookup_elem#1
    if r0 == 0 goto no_outer
    r1 = r0
    ${innerKey}
    r2 = r10
    r2 += -16
    call bpf_map_lookup_elem#1
    if r0 == 0 goto no_inner
    r0 = *(u32 *)(r0 + 0)
    exit
  no_outer:
    r0 = 1000
    exit
  no_inner:
    r0 = 2000
    exit`);

/** Through outer[key], bpf_map_update_elem(inner, {1}, {77}) then bpf_map_delete_elem(inner, {2}): (update & 0xff) << 8 | (delete & 0xff). */
const WRITE_THROUGH = (outerKey: string): string =>
  asmHex(`${outerKey}
    r1 = map[idx:0] ll
    r2 = r10
    r2 += -8
    call bpf_map_lookup_elem#1
    if r0 == 0 goto out
    r6 = r0
    *(u32 *)(r10 - 12) = 1
    *(u32 *)(r10 - 16) = 77
    r1 = r6
    r2 = r10
    r2 += -12
    r3 = r10
    r3 += -16
    r4 = 0
    call bpf_map_update_elem#2
    r7 = r0
    r7 &= 0xff
    r7 <<= 8
    *(u32 *)(r10 - 12) = 2
    r1 = r6
    r2 = r10
    r2 += -12
    call bpf_map_delete_elem#3
    r0 &= 0xff
    r0 |= r7
    exit
  out:
    r0 = 1000
    exit`);

const ARRAY_KEY = (n: number): string => `*(u32 *)(r10 - 8) = ${n}`;
const INNER_KEY = (n: number): string => `*(u32 *)(r10 - 16) = ${n}`;

/** Programs reaching maps through maps, as Linux runs them (socket filter test runs). */
const PROGRAMS: Case[] = [
  [create('a', ARRAY, 4, 4, 4), 'ok'],
  [create('b', ARRAY, 4, 4, 4), 'ok'],
  [create('o', AOM, 4, 4, 2, { inner: 'a' }), 'ok'],
  [{ op: 'update', map: 'a', key: u32(2), value: u32(42) }, 'ok'],
  [{ op: 'update', map: 'b', key: u32(2), value: u32(43) }, 'ok'],
  [run(LOOKUP_THROUGH(ARRAY_KEY(0), INNER_KEY(2)), ['o']), { retval: 1000 }], // empty
  [{ op: 'update', map: 'o', key: u32(0), value: { map: 'a' } }, 'ok'],
  [run(LOOKUP_THROUGH(ARRAY_KEY(0), INNER_KEY(2)), ['o']), { retval: 42 }],
  [run(LOOKUP_THROUGH(ARRAY_KEY(0), INNER_KEY(9)), ['o']), { retval: 2000 }], // past the inner array
  [run(LOOKUP_THROUGH(ARRAY_KEY(5), INNER_KEY(2)), ['o']), { retval: 1000 }], // past the outer array
  [{ op: 'update', map: 'o', key: u32(0), value: { map: 'b' } }, 'ok'],
  [run(LOOKUP_THROUGH(ARRAY_KEY(0), INNER_KEY(2)), ['o']), { retval: 43 }], // the replacement
  [run(WRITE_THROUGH(ARRAY_KEY(0)), ['o']), { retval: 0xea }], // update 0, delete -EINVAL (array elements stay)
  [{ op: 'lookup', map: 'b', key: u32(1) }, u32(77)],
  [{ op: 'lookup', map: 'a', key: u32(1) }, u32(0)],
  [{ op: 'delete', map: 'o', key: u32(0) }, 'ok'],
  [run(LOOKUP_THROUGH(ARRAY_KEY(0), INNER_KEY(2)), ['o']), { retval: 1000 }],
  // a hash of hashes, 8-byte outer keys
  [create('h', HASH, 4, 4, 8), 'ok'],
  [create('hh', HOM, 8, 4, 4, { inner: 'h' }), 'ok'],
  [{ op: 'update', map: 'h', key: u32(2), value: u32(7) }, 'ok'],
  [{ op: 'update', map: 'hh', key: u64(0x1234), value: { map: 'h' } }, 'ok'],
  [run(LOOKUP_THROUGH('*(u64 *)(r10 - 8) = 0x1234', INNER_KEY(2)), ['hh']), { retval: 7 }],
  [run(LOOKUP_THROUGH('*(u64 *)(r10 - 8) = 0x1235', INNER_KEY(2)), ['hh']), { retval: 1000 }],
  [run(LOOKUP_THROUGH('*(u64 *)(r10 - 8) = 0x1234', INNER_KEY(3)), ['hh']), { retval: 2000 }],
  [run(WRITE_THROUGH('*(u64 *)(r10 - 8) = 0'), ['hh']), { retval: 1000 }], // no outer key 0
  [run(WRITE_THROUGH('*(u64 *)(r10 - 8) = 0x1234'), ['hh']), { retval: 0 }], // update and delete 0
  [{ op: 'lookup', map: 'h', key: u32(1) }, u32(77)],
  [{ op: 'lookup', map: 'h', key: u32(2) }, 'ENOENT'],
];

const SCENARIOS = { creation: CREATION, 'inner map types': INNER_TYPES, 'array of maps': ARRAY_OPS, 'hash of maps': HASH_OPS, programs: PROGRAMS };

for (const [name, cases] of Object.entries(SCENARIOS)) {
  for (const engine of ['interp', 'jit'] as const) {
    test(`${name} (${engine}): tsbpf answers as Linux 6.18 did`, () => {
      const got = tsbpfAnswers(cases.map(([s]) => s), engine);
      cases.forEach(([step, want], i) => assert.deepEqual(got[i], want, `step ${i}: ${JSON.stringify(step).slice(0, 160)}`));
    });
  }
}

test('differential: the kernel answers every scenario as tsbpf does', (t) => {
  const why = kernelUnavailable();
  if (why) {
    console.log(`# kernel oracle unavailable, skipping: ${why}`);
    t.skip(why);
    return;
  }
  for (const [name, cases] of Object.entries(SCENARIOS)) {
    const steps = cases.map(([s]) => s);
    const kernel = kernelAnswers(steps);
    const tsbpf = tsbpfAnswers(steps);
    steps.forEach((step, i) => assert.deepEqual(tsbpf[i], kernel[i], `${name}, step ${i}: ${JSON.stringify(step).slice(0, 160)}`));
  }
});

// ───────────────────────────── the Runtime side ─────────────────────────────

const errno = (name: string, message?: RegExp) => (e: unknown) =>
  e instanceof BpfError && e.errno === name && (!message || message.test(e.message));
const arraySpec = (maxEntries = 4, flags = 0) => ({ type: ARRAY, keySize: 4, valueSize: 4, maxEntries, flags });

test('a program gets the inner map pointer that lddw gives for that map, on both engines', () => {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const inner = rt.createMap(arraySpec());
  const outer = rt.createMap({ type: AOM, keySize: 4, valueSize: 4, maxEntries: 2, innerMapId: inner });
  rt.updateElem(outer, u32Bytes(1), u32Bytes(inner));
  const insns = (key: number) => assemble(`*(u32 *)(r10 - 4) = ${key}\nr1 = map[idx:0] ll\nr2 = r10\nr2 += -4\ncall 1\nexit`);
  for (const engine of ['interp', 'jit'] as const) {
    assert.equal(rt.loadProgram({ unverified: true, insns: insns(1), maps: [outer], engine }).run().r0, BigInt(rt.mapPointer(inner)), engine);
    assert.equal(rt.loadProgram({ unverified: true, insns: insns(0), maps: [outer], engine }).run().r0, 0n, engine);
  }
});

test('an unverified program cannot update or delete a map of maps: -EINVAL (Linux\'s verifier refuses the call)', () => {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const inner = rt.createMap(arraySpec());
  for (const type of [AOM, HOM]) {
    const outer = rt.createMap({ type, keySize: 4, valueSize: 4, maxEntries: 2, innerMapId: inner });
    const prog = (call: string) => rt.loadProgram({ unverified: true, insns: assemble(`*(u32 *)(r10 - 4) = 0\n*(u32 *)(r10 - 8) = ${inner}\nr1 = map[idx:0] ll\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -8\nr4 = 0\n${call}\nexit`), maps: [outer] });
    assert.equal(prog('call 2').run().r0, BigInt.asUintN(64, -22n), `update, type ${type}`);
    assert.equal(prog('call 3').run().r0, BigInt.asUintN(64, -22n), `delete, type ${type}`);
    assert.throws(() => rt.map(outer).lookup(u32Bytes(0)), errno('ENOENT'));
  }
});

test('errors name the map, the operation and what did not match the template', () => {
  const rt = new Runtime();
  const inner = rt.createMap({ ...arraySpec(4), name: 'tmpl' });
  const outer = rt.createMap({ name: 'per_cpu', type: AOM, keySize: 4, valueSize: 4, maxEntries: 2, innerMapId: inner });
  const big = rt.createMap({ ...arraySpec(8), name: 'big' });
  assert.throws(() => rt.updateElem(outer, u32Bytes(0), u32Bytes(big)), errno('EINVAL', /map 'per_cpu' \(array_of_maps\): update: map 'big' \(array\) \(id \d+\) does not match the inner map template: its max_entries is 8, the template's 4/));
  assert.throws(() => rt.updateElem(outer, u32Bytes(0), u32Bytes(4242)), errno('EBADF', /per_cpu.*4242 is not the id of a map/));
  assert.throws(() => rt.createMap({ name: 'o', type: HOM, keySize: 4, valueSize: 4, maxEntries: 2, innerMapId: 4242 }), errno('EBADF', /map 'o' \(hash_of_maps\): create: inner map template: 4242/));
  assert.throws(() => rt.createMap({ name: 'o', type: HOM, keySize: 4, valueSize: 4, maxEntries: 2 }), errno('EINVAL', /needs an inner map template \(innerMapId/));
});

test('the template is copied: closing it leaves the outer map working', () => {
  const rt = new Runtime();
  const tmpl = rt.createMap(arraySpec());
  const outer = rt.createMap({ type: HOM, keySize: 4, valueSize: 4, maxEntries: 2, innerMapId: tmpl });
  rt.closeMap(tmpl);
  const inner = rt.createMap(arraySpec());
  rt.updateElem(outer, u32Bytes(7), u32Bytes(inner));
  assert.deepEqual(rt.map(outer).lookup(u32Bytes(7)), u32Bytes(inner));
  assert.throws(() => rt.updateElem(outer, u32Bytes(8), u32Bytes(rt.createMap(arraySpec(5)))), errno('EINVAL'));
});

test('map dump of maps of maps: every key with the id of the map it holds', () => {
  const rt = new Runtime();
  const [a, b] = [rt.createMap(arraySpec()), rt.createMap(arraySpec())];
  const aom = rt.createMap({ type: AOM, keySize: 4, valueSize: 4, maxEntries: 3, innerMapId: a });
  rt.updateElem(aom, u32Bytes(2), u32Bytes(b));
  rt.updateElem(aom, u32Bytes(0), u32Bytes(a));
  assert.deepEqual(rt.entries(aom), [[u32Bytes(0), u32Bytes(a)], [u32Bytes(2), u32Bytes(b)]]);
  const hom = rt.createMap({ type: HOM, keySize: 8, valueSize: 4, maxEntries: 3, innerMapId: a });
  const key = (n: number) => Uint8Array.from(Buffer.from(u64(n), 'hex'));
  rt.updateElem(hom, key(9), u32Bytes(b));
  rt.updateElem(hom, key(3), u32Bytes(a));
  assert.deepEqual(rt.entries(hom), [[key(9), u32Bytes(b)], [key(3), u32Bytes(a)]]);
  assert.equal(rt.mapInfo(hom).memoryUsed > 0 && rt.mapInfo(aom).memoryUsed > 0, true);
});

test('a pinned map of maps keeps its inner maps by pin path, and a new runtime resolves them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-mim-pins-'));
  const rt = new Runtime({ pins: new PinStore(dir) });
  const inner = rt.createMap(arraySpec());
  const outer = rt.createMap({ name: 'outer', type: AOM, keySize: 4, valueSize: 4, maxEntries: 2, innerMapId: inner });
  rt.updateElem(outer, u32Bytes(1), u32Bytes(inner));
  rt.updateElem(inner, u32Bytes(0), new Uint8Array([42, 0, 0, 0]));
  // The inner map has no pin path yet: the outer map cannot name it to another process.
  assert.throws(() => rt.pin('outer', outer), errno('EINVAL', /holds map \d+, which is not pinned/));
  rt.pin('inner', inner);
  rt.pin('outer', outer);

  const again = new Runtime({ pins: new PinStore(dir) });
  assert.deepEqual(again.pinSkipped, []);
  const outer2 = again.pinnedMap('outer');
  const inner2 = again.pinnedMap('inner');
  assert.deepEqual(again.map(outer2).lookup(u32Bytes(1)), u32Bytes(inner2));
  assert.deepEqual(again.map(inner2).lookup(u32Bytes(0)), new Uint8Array([42, 0, 0, 0]));
  assert.equal(again.map(outer2).spec.type, AOM);
});
