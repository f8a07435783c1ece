/**
 * Test utility: the small programs of the map differential
 * (test/map-differential.test.ts). Each case is a list of probe steps
 * (steps.ts): create maps, fill some from user space, load and test-run
 * programs that use maps and helpers, then read every map back (dump,
 * drain, ring buffer records), so the kernel's answers and tsbpf's can be
 * compared step by step. Every helper's return value is saved in a `ret`
 * array by the programs (asm-kit.ts save()), so it is compared too.
 *
 * Nothing here states an expected value: the kernel gives them
 * (record-map-programs.ts writes its answers to map-programs.kernel.json).
 */
import { MapFlags, MapType } from '../../src/maps/map.js';
import { asmHex, del, funcStarts, lookup, nonNull, PACKET, peek, pop, push, save, u32, u64, update } from './asm-kit.js';
import { cObject } from './c-programs.js';
import type { ProgTypeName, Step } from './steps.js';

export interface MapProgramCase {
  name: string;
  /** what the case exercises */
  about: string;
  steps: Step[];
}

const { HASH, ARRAY, PROG_ARRAY, PERCPU_HASH, PERCPU_ARRAY, LRU_HASH, LRU_PERCPU_HASH, LPM_TRIE, QUEUE, STACK, RINGBUF, BLOOM_FILTER } = MapType;

const create = (name: string, type: number, key: number, value: number, max: number, flags = 0, extra = 0): Step =>
  ({ op: 'create', name, type, key, value, max, flags, ...(extra ? { extra } : {}) });
/** The array every program saves helper results in: 16 u64 slots. */
const RET = create('ret', ARRAY, 4, 8, 16);
const set = (map: string, key: string, value: string | { percpu: string[] }, flags = 0): Step => ({ op: 'update', map, key, value, flags });
/** A test run of `text`; callbacks are at the labels `callbacks` names. */
const run = (type: ProgTypeName, text: string, maps: string[], more: { data?: string; out?: boolean; callbacks?: string[]; cpu?: number } = {}): Step => ({
  op: 'run', type, insns: asmHex(text), maps, data: more.data ?? PACKET,
  ...(more.out ? { out: true } : {}), ...(more.callbacks ? { funcs: funcStarts(text, more.callbacks) } : {}), ...(more.cpu ? { cpu: more.cpu } : {}),
});
const EXIT0 = 'r0 = 0\nexit';
/** n numbers from `from`, `step` apart. */
const range = (from: number, n: number, step = 1): number[] => Array.from({ length: n }, (_, i) => from + i * step);

/** The steps, then a read of every map they created (PROG_ARRAY contents are program ids, which differ: not read). */
function finish(name: string, about: string, steps: Step[]): MapProgramCase {
  const reads = steps.flatMap((s): Step[] => {
    if (s.op !== 'create' || s.type === PROG_ARRAY) return [];
    if (s.type === QUEUE || s.type === STACK) return [{ op: 'drain', map: s.name }];
    if (s.type === RINGBUF) return [{ op: 'ringbuf', map: s.name }];
    if (s.type === BLOOM_FILTER) return [];
    return [{ op: 'dump', map: s.name }];
  });
  return { name, about, steps: [...steps, ...reads] };
}

// ───────────────────────────── hash maps ─────────────────────────────

/** Key at r10-16 (u32), value at r10-24 (u64). */
const K = (n: number): string => `*(u32 *)(r10 - 16) = ${n}`;
const V = (n: number): string => `*(u64 *)(r10 - 24) = ${n}`;
/** update(map 0, key, value, flags), its result saved in ret (map 1) slot `slot`. */
const upd = (slot: number, key: number, value: number, flags: number | string = 0): string =>
  `${K(key)}\n${V(value)}\n${update(0, -16, -24, flags)}\n${save(1, slot)}`;
const rm = (slot: number, key: number): string => `${K(key)}\n${del(0, -16)}\n${save(1, slot)}`;
/** lookup(map 0, key): the u64 value, or 0xdead when there is none, saved in `slot`. */
const get = (slot: number, key: number): string =>
  `${K(key)}\n${lookup(0, -16)}\nif r0 == 0 goto miss${slot}\nr0 = *(u64 *)(r0 + 0)\ngoto got${slot}\nmiss${slot}:\nr0 = 0xdead\ngot${slot}:\n${save(1, slot)}`;

/** BPF_ANY, BPF_NOEXIST and BPF_EXIST on present and absent keys. */
const UPDATE_FLAGS = [upd(0, 1, 100, 0), upd(1, 1, 101, 1), upd(2, 2, 102, 2), upd(3, 1, 200, 2), upd(4, 3, 103, 1), upd(5, 3, 104, 0), get(6, 1), get(7, 2), get(8, 3), EXIT0].join('\n');
/** Flags a hash or array refuses: 3, BPF_F_LOCK without a spin lock, 5, 8, all bits. */
const BAD_FLAGS = [upd(0, 1, 1, 3), upd(1, 1, 1, 4), upd(2, 1, 1, 5), upd(3, 1, 1, 8), upd(4, 1, 1, -1), upd(5, 1, 1, 0), EXIT0].join('\n');
/** A full map of 2: a third key fails, replacing a key does not. */
const FULL = [upd(0, 1, 11), upd(1, 2, 12), upd(2, 3, 13), upd(3, 1, 21), upd(4, 4, 14, 1), upd(5, 2, 22, 2), upd(6, 5, 15, 2), rm(7, 1), upd(8, 3, 13), get(9, 1), EXIT0].join('\n');
/** Delete present, absent and twice; look the deleted key up. */
const DELETES = [rm(0, 2), rm(1, 9), rm(2, 2), get(3, 2), get(4, 1), rm(5, 3), upd(6, 2, 77), EXIT0].join('\n');
/** Count runs in key 5 (atomic add through the value pointer), return the count; key 6 is missing. */
const COUNTER = `${K(5)}
${lookup(0, -16)}
if r0 == 0 goto out
r1 = 1
lock *(u64 *)(r0 + 0) += r1
r6 = *(u64 *)(r0 + 0)
${K(6)}
${lookup(0, -16)}
${nonNull('n')}
${save(1, 0)}
r0 = r6
exit
out:
r0 = 0xdead
exit`;

/** 200 operations on map 0 chosen by a fixed LCG: update (BPF_ANY / NOEXIST / EXIST), program lookup, delete. */
const MIXED = (() => {
  let x = 12345;
  const next = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 16) % n;
  };
  const ops = Array.from({ length: 200 }, () => {
    const key = next(48);
    const what = next(10);
    if (what < 5) return `${K(key)}\n${V(key * 100 + what)}\n${update(0, -16, -24, what % 3)}`;
    if (what < 9) return `${K(key)}\n${lookup(0, -16)}`;
    return `${K(key)}\n${del(0, -16)}`;
  });
  return [...ops, EXIT0].join('\n');
})();

const hashCases: MapProgramCase[] = [
  finish('hash update flags', 'bpf_map_update_elem with BPF_ANY / NOEXIST / EXIST on a HASH', [create('h', HASH, 4, 8, 4), RET, run('socket_filter', UPDATE_FLAGS, ['h', 'ret'])]),
  finish('hash bad flags', 'update flags a HASH refuses, BPF_F_LOCK included', [create('h', HASH, 4, 8, 4), RET, run('socket_filter', BAD_FLAGS, ['h', 'ret'])]),
  finish('hash full', 'a full preallocated HASH: E2BIG for a new key, replacing works', [create('h', HASH, 4, 8, 2), RET, run('socket_filter', FULL, ['h', 'ret'])]),
  finish('hash full, no prealloc', 'the same with BPF_F_NO_PREALLOC', [create('h', HASH, 4, 8, 2, MapFlags.NO_PREALLOC), RET, run('socket_filter', FULL, ['h', 'ret'])]),
  finish('hash delete', 'bpf_map_delete_elem from a program', [
    create('h', HASH, 4, 8, 4), RET, set('h', u32(1), u64(1)), set('h', u32(2), u64(2)), set('h', u32(3), u64(3)),
    run('socket_filter', DELETES, ['h', 'ret']),
  ]),
  finish('hash counter', 'a value changed in place through the pointer lookup gives, over three runs', [
    create('h', HASH, 4, 8, 4), RET, set('h', u32(5), u64(10)),
    ...[1, 2, 3].map(() => run('socket_filter', COUNTER, ['h', 'ret'])),
  ]),
  finish('hash 16-byte keys, zero seed', 'a HASH of 16-byte keys with BPF_F_ZERO_SEED: contents and get-next-key order', [
    create('h', HASH, 16, 8, 8, MapFlags.ZERO_SEED), RET,
    run('socket_filter', [1, 2, 3, 4, 5, 6].map((n, i) => `*(u64 *)(r10 - 32) = ${n * 0x1111}\n*(u64 *)(r10 - 24) = ${n}\n*(u64 *)(r10 - 40) = ${n * 3}\n${update(0, -32, -40)}\n${save(1, i)}`).join('\n') + '\n' + EXIT0, ['h', 'ret']),
  ]),
  finish('lru update flags', 'update flags on an LRU_HASH that is not full', [create('h', LRU_HASH, 4, 8, 8), RET, run('socket_filter', UPDATE_FLAGS, ['h', 'ret'])]),
  finish('lru delete', 'delete from an LRU_HASH', [
    create('h', LRU_HASH, 4, 8, 8), RET, set('h', u32(1), u64(1)), set('h', u32(2), u64(2)), set('h', u32(3), u64(3)),
    run('socket_filter', DELETES, ['h', 'ret']),
  ]),
  finish('lru eviction', 'an LRU_HASH of 4 takes 8 keys from a program: which stay', [
    create('h', LRU_HASH, 4, 8, 4), RET,
    run('socket_filter', [1, 2, 3, 4, 5, 6, 7, 8].map((n, i) => upd(i, n, n * 10)).join('\n') + '\n' + EXIT0, ['h', 'ret']),
  ]),
  finish('lru eviction after lookups', 'an LRU_HASH of 4: keys looked up stay, the others go first', [
    create('h', LRU_HASH, 4, 8, 4), RET,
    run('socket_filter', [upd(0, 1, 10), upd(1, 2, 20), upd(2, 3, 30), upd(3, 4, 40), get(4, 1), get(5, 2), upd(6, 5, 50), upd(7, 6, 60), get(8, 1), upd(9, 7, 70), upd(10, 8, 80), get(11, 3), EXIT0].join('\n'), ['h', 'ret']),
  ]),
  finish('lru eviction, larger', 'an LRU_HASH of 16 takes 40 keys, every third looked up again', [
    create('h', LRU_HASH, 4, 8, 16), RET,
    run('socket_filter', range(1, 40).map((n) => `${K(n)}\n${V(n)}\n${update(0, -16, -24)}\n${n % 3 === 0 ? `${K(n - 2)}\n${lookup(0, -16)}` : ''}`).join('\n') + '\n' + EXIT0, ['h', 'ret']),
  ]),
  finish('lru no common lru', 'an LRU_HASH with BPF_F_NO_COMMON_LRU (per-CPU lists): 12 keys from CPU 0 into 8 entries', [
    create('h', LRU_HASH, 4, 8, 8, MapFlags.NO_COMMON_LRU), RET,
    run('socket_filter', range(1, 12).map((n, i) => upd(i, n, n)).join('\n') + '\n' + EXIT0, ['h', 'ret']),
  ]),
  finish('lru no common lru, two CPUs', 'per-CPU LRU lists: CPU 1 fills its half and evicts from it, not from CPU 0\'s', [
    create('h', LRU_HASH, 4, 8, 4, MapFlags.NO_COMMON_LRU), RET,
    run('socket_filter', [upd(0, 1, 1), upd(1, 2, 2)].join('\n') + '\n' + EXIT0, ['h', 'ret']),
    run('socket_filter', [upd(2, 10, 10), upd(3, 11, 11), upd(4, 12, 12)].join('\n') + '\n' + EXIT0, ['h', 'ret'], { cpu: 1 }),
    run('socket_filter', [`${K(11)}\n${lookup(0, -16)}`, upd(5, 13, 13), upd(6, 14, 14)].join('\n') + '\n' + EXIT0, ['h', 'ret'], { cpu: 1 }),
  ]),
  finish('lru, two CPUs', 'the common LRU with updates from two CPUs: local free and pending lists, stealing', [
    create('h', LRU_HASH, 4, 8, 8), RET,
    ...[0, 1, 0, 1, 1, 0].map((cpu, i) => run('socket_filter', range(i * 3 + 1, 3).map((n, j) => upd(j, n, n)).join('\n') + '\n' + EXIT0, ['h', 'ret'], { cpu })),
  ]),
  finish('lru percpu eviction', 'an LRU_PERCPU_HASH of 4 takes 8 keys', [
    create('h', LRU_PERCPU_HASH, 4, 8, 4), RET,
    run('socket_filter', range(1, 8).map((n, i) => upd(i, n, n)).join('\n') + '\n' + EXIT0, ['h', 'ret']),
  ]),
  ...([['lru mixed workload', LRU_HASH, 0], ['lru percpu mixed workload', LRU_PERCPU_HASH, 0], ['lru no common lru mixed workload', LRU_HASH, MapFlags.NO_COMMON_LRU]] as const).map(([name, type, flags]) =>
    finish(name, 'a fixed pseudo-random mix of updates (each flag), lookups and deletes over 48 keys in 16 entries, twice', [
      create('h', type, 4, 8, 16, flags), RET, run('socket_filter', MIXED, ['h', 'ret']), set('h', u32(3), type === LRU_PERCPU_HASH ? { percpu: [u64(3)] } : u64(3)), run('socket_filter', MIXED, ['h', 'ret']),
    ])),
  finish('percpu hash', 'PERCPU_HASH: a program writes only its CPU\'s value; a new key zeroes the others', [
    create('h', PERCPU_HASH, 4, 8, 4), RET, set('h', u32(1), { percpu: [u64(11), u64(22)] }),
    run('socket_filter', [get(0, 1), upd(1, 1, 99, 2), upd(2, 2, 7, 1), upd(3, 2, 8, 1), get(4, 2), rm(5, 3), EXIT0].join('\n'), ['h', 'ret']),
  ]),
  finish('lru percpu hash', 'LRU_PERCPU_HASH: the same', [
    create('h', LRU_PERCPU_HASH, 4, 8, 4), RET, set('h', u32(1), { percpu: [u64(11), u64(22)] }),
    run('socket_filter', [get(0, 1), upd(1, 1, 99, 2), upd(2, 2, 7, 1), upd(3, 2, 8, 1), get(4, 2), rm(5, 2), get(6, 2), EXIT0].join('\n'), ['h', 'ret']),
  ]),
];

// ───────────────────────────── arrays ─────────────────────────────

/** Array flags, out-of-range keys and delete. */
const ARRAY_OPS = [upd(0, 0, 5, 0), upd(1, 1, 6, 1), upd(2, 2, 7, 2), upd(3, 4, 8, 0), upd(4, 3, 9, 3), upd(5, 3, 9, 4), rm(6, 0), get(7, 4), get(8, 3), get(9, 0), EXIT0].join('\n');

/** Atomic operations on an array value, each result saved. */
const ATOMICS = `${K(0)}
${lookup(0, -16)}
if r0 == 0 goto out
r6 = r0
r1 = 5
lock *(u64 *)(r6 + 0) += r1
r1 = 3
r1 = atomic_fetch_add((u64 *)(r6 + 0), r1)
*(u64 *)(r10 - 48) = r1
r1 = 0xf0
lock *(u64 *)(r6 + 8) |= r1
r1 = 0x3c
r1 = atomic_fetch_xor((u64 *)(r6 + 8), r1)
r0 = r1
${save(1, 0)}
r0 = *(u64 *)(r10 - 48)
${save(1, 1)}
out:
r0 = 0
exit`;

const arrayCases: MapProgramCase[] = [
  finish('array update flags', 'ARRAY: BPF_NOEXIST is EEXIST, out of range E2BIG, delete EINVAL', [create('a', ARRAY, 4, 8, 4), RET, run('socket_filter', ARRAY_OPS, ['a', 'ret'])]),
  finish('array atomics', 'atomic add / fetch_add / or / fetch_xor on an array value', [create('a', ARRAY, 4, 16, 2), RET, set('a', u32(0), u64(100) + u64(0x0f)), run('socket_filter', ATOMICS, ['a', 'ret'])]),
  finish('percpu array', 'PERCPU_ARRAY of 4-byte values: a program writes only its CPU\'s value', [
    create('a', PERCPU_ARRAY, 4, 4, 3), RET, set('a', u32(0), { percpu: [u32(1), u32(2)] }),
    run('socket_filter', [`${K(0)}\n${lookup(0, -16)}\nif r0 == 0 goto skip\nr1 = 10\nlock *(u32 *)(r0 + 0) += r1\nskip:`, upd(0, 1, 0x55, 0), upd(1, 3, 1, 0), upd(2, 0, 1, 1), upd(3, 2, 0x77, 2), EXIT0].join('\n'), ['a', 'ret']),
  ]),
];

// ───────────────────────────── LPM trie ─────────────────────────────

/** An LPM key: prefixlen (host order) then an IPv4 address (network order). */
const lpmKey = (len: number, ip: string): string => u32(len) + Buffer.from(ip.split('.').map(Number)).toString('hex');
/** The LPM key at r10-16 (8 bytes). */
const LK = (len: number, ip: string): string => {
  const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
  return `*(u32 *)(r10 - 16) = ${len}\n*(u32 *)(r10 - 12) = ${a | (b << 8) | (c << 16) | (d << 24)}`;
};
/** Note: LK writes r10-12, so LPM programs save through slots below it: save() rewrites [r10-12, r10) after. */
const lpmGet = (slot: number, len: number, ip: string): string =>
  `${LK(len, ip)}\n${lookup(0, -16)}\nif r0 == 0 goto miss${slot}\nr0 = *(u64 *)(r0 + 0)\ngoto got${slot}\nmiss${slot}:\nr0 = 0xdead\ngot${slot}:\n${save(1, slot)}`;
const lpmUpd = (slot: number, len: number, ip: string, value: number, flags = 0): string =>
  `${LK(len, ip)}\n${V(value)}\n${update(0, -16, -24, flags)}\n${save(1, slot)}`;
const lpmDel = (slot: number, len: number, ip: string): string => `${LK(len, ip)}\n${del(0, -16)}\n${save(1, slot)}`;

const LPM_PROGRAM = [
  lpmGet(0, 32, '10.1.2.3'), lpmGet(1, 32, '10.1.9.9'), lpmGet(2, 32, '10.9.9.9'), lpmGet(3, 32, '192.168.0.1'),
  lpmGet(4, 16, '10.1.2.3'), lpmGet(5, 8, '10.1.2.3'),
  lpmDel(6, 16, '10.1.0.0'), lpmDel(7, 17, '10.1.0.0'), lpmUpd(8, 24, '10.1.2.0', 33, 1), lpmUpd(9, 12, '172.16.0.0', 44, 0),
  lpmGet(10, 32, '10.1.9.9'), lpmUpd(11, 33, '10.0.0.0', 1, 0), lpmUpd(12, 24, '10.1.3.0', 55, 2), lpmGet(13, 32, '172.31.255.255'), EXIT0,
].join('\n');

const lpmCases: MapProgramCase[] = [
  finish('lpm trie', 'LPM_TRIE: longest-prefix lookups, delete, update flags, prefixlen limits; get-next-key order', [
    create('t', LPM_TRIE, 8, 8, 16, MapFlags.NO_PREALLOC), RET,
    set('t', lpmKey(8, '10.0.0.0'), u64(1)), set('t', lpmKey(16, '10.1.0.0'), u64(2)), set('t', lpmKey(24, '10.1.2.0'), u64(3)), set('t', lpmKey(0, '0.0.0.0'), u64(4)),
    run('socket_filter', LPM_PROGRAM, ['t', 'ret']),
  ]),
  finish('lpm trie full', 'LPM_TRIE of 2: a third prefix is ENOSPC, replacing one is not', [
    create('t', LPM_TRIE, 8, 8, 2, MapFlags.NO_PREALLOC), RET,
    run('socket_filter', [lpmUpd(0, 8, '10.0.0.0', 1), lpmUpd(1, 16, '10.1.0.0', 2), lpmUpd(2, 24, '10.1.2.0', 3), lpmUpd(3, 8, '10.0.0.0', 4), lpmUpd(4, 8, '10.0.0.0', 5, 1), lpmUpd(5, 9, '10.0.0.0', 5, 2), EXIT0].join('\n'), ['t', 'ret']),
  ]),
];

// ───────────────────────────── queue, stack, bloom filter ─────────────────────────────

/** Value at r10-16 (u32). */
const QV = (n: number): string => `*(u32 *)(r10 - 16) = ${n}`;
const qpush = (slot: number, n: number, flags = 0): string => `${QV(n)}\n${push(0, -16, flags)}\n${save(1, slot)}`;
/** pop or peek into r10-16 (pre-filled with 0x77777777): the result in `slot`, the value in `slot + 1`. */
const qtake = (slot: number, how: 'pop' | 'peek'): string =>
  `${QV(0x77777777)}\n${(how === 'pop' ? pop : peek)(0, -16)}\n${save(1, slot)}\nr0 = *(u32 *)(r10 - 16)\n${save(1, slot + 1)}`;

const QUEUE_PROGRAM = [qpush(0, 1), qpush(1, 2), qpush(2, 3), qpush(3, 4), qpush(4, 5, 2), qtake(5, 'peek'), qtake(7, 'pop'), qpush(9, 6, 1), qpush(10, 7, 2), EXIT0].join('\n');
const EMPTY_PROGRAM = [qtake(0, 'pop'), qtake(2, 'peek'), qpush(4, 9), qtake(5, 'pop'), qtake(7, 'pop'), EXIT0].join('\n');

/** The bloom filter's value at r10-16: push values, then peek those and others; the number of hits is the return. */
function bloomProgram(size: 4 | 8, pushed: number[], probed: number[]): string {
  const st = (n: number): string => (size === 4 ? QV(n) : `*(u64 *)(r10 - 16) = ${n}`);
  const pushes = pushed.map((n, i) => `${st(n)}\n${push(0, -16)}\n${i === 0 ? save(1, 0) : ''}`);
  const peeks = probed.map((n) => `${st(n)}\n${peek(0, -16)}\nif r0 != 0 goto +1\nr6 += 1`);
  return [`r6 = 0`, ...pushes, `${st(1)}\n${push(0, -16, 2)}\n${save(1, 1)}`, ...peeks, 'r0 = r6\nexit'].join('\n');
}
/** Peek steps of a bloom filter from user space. */
const bloomPeeks = (map: string, values: number[], hex: (n: number) => string = u32): Step[] =>
  values.map((n): Step => ({ op: 'peek', map, value: hex(n) }));

const queueCases: MapProgramCase[] = [
  finish('queue', 'QUEUE of 3 from a program: push until full, BPF_EXIST overwrites the oldest, peek, pop, flags', [create('q', QUEUE, 0, 4, 3), RET, run('socket_filter', QUEUE_PROGRAM, ['q', 'ret'])]),
  finish('stack', 'STACK of 3: the same program', [create('q', STACK, 0, 4, 3), RET, run('socket_filter', QUEUE_PROGRAM, ['q', 'ret'])]),
  finish('queue empty', 'pop and peek of an empty QUEUE: ENOENT, the value zeroed', [create('q', QUEUE, 0, 4, 2), RET, run('socket_filter', EMPTY_PROGRAM, ['q', 'ret'])]),
  finish('stack from user space', 'a STACK filled by bpf(2), popped by a program', [
    create('q', STACK, 0, 4, 4), RET, { op: 'push', map: 'q', value: u32(10) }, { op: 'push', map: 'q', value: u32(20) }, { op: 'push', map: 'q', value: u32(30) },
    run('socket_filter', [qtake(0, 'pop'), qtake(2, 'peek'), EXIT0].join('\n'), ['q', 'ret']), { op: 'peek', map: 'q' },
  ]),
  // Filters of 64 bits (the least), so false positives are many and which values give them shows the hash.
  finish('bloom filter, zero seed', 'BLOOM_FILTER of u32 (3 hashes, BPF_F_ZERO_SEED, 64 bits): which values test as present, from a program and bpf(2)', [
    create('b', BLOOM_FILTER, 0, 4, 4, MapFlags.ZERO_SEED, 3), RET,
    run('socket_filter', bloomProgram(4, range(100, 10), range(100, 10).concat(range(5000, 60, 7))), ['b', 'ret']),
    ...bloomPeeks('b', range(100, 3).concat(range(7000, 40, 13))),
  ]),
  finish('bloom filter, 8-byte values', 'BLOOM_FILTER of u64, 5 hashes (map_extra 0), zero seed', [
    create('b', BLOOM_FILTER, 0, 8, 8, MapFlags.ZERO_SEED), RET,
    run('socket_filter', bloomProgram(8, range(1, 10, 1000), range(1, 10, 1000).concat(range(3, 60, 977))), ['b', 'ret']),
    ...bloomPeeks('b', range(3, 40, 311), u64),
  ]),
  finish('bloom filter, 3-byte values', 'BLOOM_FILTER of 3-byte values (hashed a byte at a time), 2 hashes, zero seed', [
    create('b', BLOOM_FILTER, 0, 3, 4, MapFlags.ZERO_SEED, 2), RET,
    run('socket_filter', bloomProgram(4, range(0x10101, 10, 0x30303), range(0x10101, 10, 0x30303).concat(range(0x20000, 60, 0x1357))), ['b', 'ret']),
    ...bloomPeeks('b', range(0x30000, 40, 0x777), (n) => u32(n).slice(0, 6)),
  ]),
  finish('bloom filter, large', 'BLOOM_FILTER of 1000 u32 values (3 hashes, 8192 bits), 600 pushed', [
    create('b', BLOOM_FILTER, 0, 4, 1000, MapFlags.ZERO_SEED, 3), RET,
    ...range(0, 600, 17).map((n): Step => ({ op: 'push', map: 'b', value: u32(n) })),
    run('socket_filter', bloomProgram(4, [1], range(10001, 300, 3)), ['b', 'ret']),
  ]),
];

// ───────────────────────────── ring buffer ─────────────────────────────

/** bpf_ringbuf_output(map 0, r10 + off, size, flags) */
const rbOut = (off: number, size: number, flags: number): string => `r1 = map[idx:0] ll\nr2 = r10\nr2 += ${off}\nr3 = ${size}\nr4 = ${flags}\ncall 130`;
const FILL = [0, 8, 16, 24].map((o) => `r1 = 0x${(0x0102030405060708n + BigInt(o)).toString(16)} ll\n*(u64 *)(r10 - ${48 - o}) = r1`).join('\n');
/** bpf_ringbuf_query(map 0, flags), saved in `slot`. */
const rbQuery = (slot: number, flags: number): string => `r1 = map[idx:0] ll\nr2 = ${flags}\ncall 134\n${save(1, slot)}`;

const RINGBUF_OUTPUT = [
  FILL, rbOut(-48, 4, 0), save(1, 0), rbOut(-48, 13, 0), save(1, 1), rbOut(-40, 8, 1), save(1, 2), rbOut(-48, 32, 2), save(1, 3), rbOut(-48, 8, 4), save(1, 4),
  rbQuery(5, 0), rbQuery(6, 1), rbQuery(7, 2), rbQuery(8, 3), rbQuery(9, 4), EXIT0,
].join('\n');

/** reserve / submit / discard: a record's bytes written through the pointer reserve gives. */
const reserve = (size: number, flags = 0): string => `r1 = map[idx:0] ll\nr2 = ${size}\nr3 = ${flags}\ncall 131`;
/** A reservation expected to fail: 1 in `slot` if it did not (and then discarded, as the verifier demands), else 0. */
const reserveTry = (slot: number, size: number, flags: number): string =>
  `${reserve(size, flags)}\nif r0 == 0 goto +4\nr1 = r0\nr2 = 0\ncall 133\nr0 = 1\n${save(1, slot)}`;
const RINGBUF_RESERVE = `${reserve(16)}
if r0 == 0 goto a
r1 = 0x1111
*(u64 *)(r0 + 0) = r1
r1 = 0x2222
*(u64 *)(r0 + 8) = r1
r1 = r0
r2 = 0
call 132
a:
${reserve(8)}
if r0 == 0 goto b
r1 = 0x3333
*(u64 *)(r0 + 0) = r1
r1 = r0
r2 = 0
call 133
b:
${reserve(12)}
if r0 == 0 goto c
r1 = 0x44444444
*(u32 *)(r0 + 0) = r1
*(u32 *)(r0 + 4) = r1
*(u32 *)(r0 + 8) = r1
r1 = r0
r2 = 1
call 132
c:
${reserveTry(0, 8, 1)}
${reserveTry(1, 5000, 0)}
${rbQuery(2, 0)}
${rbQuery(3, 3)}
${EXIT0}`;

/** Records of 1000 bytes from an array value into a 4096-byte ring until it is full. */
const RINGBUF_FULL = `*(u32 *)(r10 - 16) = 0
r1 = map[idx:2] ll
r2 = r10
r2 += -16
call 1
if r0 == 0 goto out
r6 = r0
${[0, 1, 2, 3, 4].map((i) => `r1 = map[idx:0] ll\nr2 = r6\nr3 = 1000\nr4 = 0\ncall 130\n${save(1, i)}`).join('\n')}
${rbQuery(5, 0)}
out:
${EXIT0}`;

const ringbufCases: MapProgramCase[] = [
  finish('ringbuf output', 'bpf_ringbuf_output of odd sizes and each flag, bpf_ringbuf_query; the records a consumer reads', [create('rb', RINGBUF, 0, 0, 4096), RET, run('socket_filter', RINGBUF_OUTPUT, ['rb', 'ret'])]),
  finish('ringbuf reserve', 'reserve + submit, reserve + discard (not read, but it takes room), bad flags, too big', [create('rb', RINGBUF, 0, 0, 4096), RET, run('socket_filter', RINGBUF_RESERVE, ['rb', 'ret'])]),
  finish('ringbuf full', 'output until the ring is full: -EAGAIN', [
    create('rb', RINGBUF, 0, 0, 4096), RET, create('src', ARRAY, 4, 1000, 1), set('src', u32(0), Buffer.alloc(1000, 0xab).toString('hex')),
    run('socket_filter', RINGBUF_FULL, ['rb', 'ret', 'src']),
  ]),
  finish('ringbuf twice', 'two runs add records behind the ones not yet consumed', [
    create('rb', RINGBUF, 0, 0, 4096), RET, run('socket_filter', RINGBUF_OUTPUT, ['rb', 'ret']), run('socket_filter', RINGBUF_OUTPUT, ['rb', 'ret']),
  ]),
];

// ───────────────────────────── checksums and packets ─────────────────────────────

/** bpf_csum_diff(r10 + from, fromSize, r10 + to, toSize, seed); a size 0 passes NULL. */
const csum = (from: number, fromSize: number, to: number, toSize: number, seed: number | string): string =>
  `${fromSize ? `r1 = r10\nr1 += ${from}` : 'r1 = 0'}\nr2 = ${fromSize}\n${toSize ? `r3 = r10\nr3 += ${to}` : 'r3 = 0'}\nr4 = ${toSize}\nr5 = ${seed}\ncall 28`;
const CSUM = [
  'r1 = 0x1234567890abcdef ll\n*(u64 *)(r10 - 32) = r1\nr1 = 0x0fedcba987654321 ll\n*(u64 *)(r10 - 24) = r1\nr1 = -1\n*(u64 *)(r10 - 40) = r1\n*(u64 *)(r10 - 48) = r1',
  csum(-32, 8, -24, 8, 0), save(1, 0),
  csum(0, 0, -32, 16, 0), save(1, 1),
  csum(-32, 16, 0, 0, 0), save(1, 2),
  csum(0, 0, -32, 4, 0x1234), save(1, 3),
  csum(-32, 4, -24, 4, -1), save(1, 4),
  csum(-48, 16, 0, 0, '0xffffffff ll'), save(1, 5),
  csum(-32, 6, -24, 8, 0), save(1, 6),
  csum(0, 0, 0, 0, 77), save(1, 7),
  csum(-48, 8, -32, 8, 0xfffe), save(1, 8),
  EXIT0,
].join('\n');

/** bpf_skb_load_bytes(ctx in r6, off, r10 + to, len), the result in `slot`, the first 8 bytes read in `slot + 1`. */
const load = (slot: number, off: number | string, len: number): string =>
  `r1 = 0x7777777777777777 ll\n*(u64 *)(r10 - 96) = r1\nr1 = r6\nr2 = ${off}\nr3 = r10\nr3 += -96\nr4 = ${len}\ncall 26\n${save(1, slot)}\nr0 = *(u64 *)(r10 - 96)\n${save(1, slot + 1)}`;
const LOAD_BYTES = ['r6 = r1', load(0, 12, 4), load(2, 60, 4), load(4, 61, 4), load(6, 0, 64), load(8, -1, 2), load(10, 64, 1), load(12, 14, 8), 'r0 = *(u64 *)(r10 - 96)\nexit'].join('\n');

/** bpf_skb_store_bytes(ctx in r6, off, r10 - 24 (8 bytes), len, flags), the result in `slot`. */
const store = (slot: number, off: number | string, len: number, flags: number): string =>
  `r1 = r6\nr2 = ${off}\nr3 = r10\nr3 += -24\nr4 = ${len}\nr5 = ${flags}\ncall 9\n${save(1, slot)}`;
const STORE_BYTES = [
  'r6 = r1\nr1 = 0x8877665544332211 ll\n*(u64 *)(r10 - 24) = r1',
  store(0, 30, 4, 0), store(1, 62, 4, 0), store(2, 56, 8, 0), store(3, 40, 2, 1), store(4, 44, 2, 2), store(5, 46, 2, 3), store(6, 48, 2, 0x10), store(7, 0, 6, 0), store(8, -1, 2, 0),
  load(9, 28, 8), 'r0 = 0\nexit',
].join('\n');

const packetCases: MapProgramCase[] = [
  finish('csum_diff', 'bpf_csum_diff: from and to, only one, neither, seeds, a size not a multiple of 4', [RET, run('sched_cls', CSUM, ['ret', 'ret'])]),
  finish('csum_diff xdp', 'bpf_csum_diff from an XDP program', [RET, run('xdp', CSUM, ['ret', 'ret'])]),
  finish('skb_load_bytes', 'bpf_skb_load_bytes (tc): in range, past the end (-EFAULT, destination zeroed), a negative offset', [RET, run('sched_cls', LOAD_BYTES, ['ret', 'ret'], { out: true })]),
  finish('skb_load_bytes socket filter', 'the same from a socket filter', [RET, run('socket_filter', LOAD_BYTES, ['ret', 'ret'], { out: true })]),
  finish('skb_store_bytes', 'bpf_skb_store_bytes: in range, past the end, each flag, bad flags; the packet as it leaves', [RET, run('sched_cls', STORE_BYTES, ['ret', 'ret'], { out: true })]),
];

// ───────────────────────────── XDP ─────────────────────────────

/** r6 = ctx; call `helper`(ctx, delta), result in `slot`. */
const adjust = (helper: 44 | 65, slot: number, delta: number): string => `r1 = r6\nr2 = ${delta}\ncall ${helper}\n${save(1, slot)}`;
/** Write 0xEE to every byte from data to data + n, bounds-checked (after an adjust, pointers are re-read). */
const writeHead = (n: number): string => `r2 = *(u32 *)(r6 + 0)
r3 = *(u32 *)(r6 + 4)
r4 = r2
r4 += ${n}
if r4 > r3 goto nowrite
r1 = 0xeeeeeeee
${Array.from({ length: n / 2 }, (_, i) => `*(u16 *)(r2 + ${i * 2}) = r1`).join('\n')}
nowrite:`;
/** The packet length the program sees: data_end - data, in `slot`. */
const plen = (slot: number): string => `r2 = *(u32 *)(r6 + 0)\nr3 = *(u32 *)(r6 + 4)\nr0 = r3\nr0 -= r2\n${save(1, slot)}`;

const xdpCases: MapProgramCase[] = [
  finish('xdp_adjust_head grow', 'bpf_xdp_adjust_head(-14), then a new header written', [RET, run('xdp', ['r6 = r1', adjust(44, 0, -14), writeHead(14), plen(1), 'r0 = 2\nexit'].join('\n'), ['ret', 'ret'], { out: true })]),
  finish('xdp_adjust_head shrink', 'bpf_xdp_adjust_head(+14), then (+36): the frame keeps ETH_HLEN', [RET, run('xdp', ['r6 = r1', adjust(44, 0, 14), adjust(44, 1, 37), adjust(44, 2, 36), plen(3), 'r0 = 3\nexit'].join('\n'), ['ret', 'ret'], { out: true })]),
  finish('xdp_adjust_head limits', 'bpf_xdp_adjust_head into the xdp_frame, past the end, odd deltas', [RET, run('xdp', ['r6 = r1', adjust(44, 0, -300), adjust(44, 1, -217), adjust(44, 2, -216), adjust(44, 3, 3), adjust(44, 4, 400), plen(5), 'r0 = 2\nexit'].join('\n'), ['ret', 'ret'], { out: true })]),
  finish('xdp_adjust_tail', 'bpf_xdp_adjust_tail: shrink, grow (new bytes zero), below ETH_HLEN, past the tailroom', [RET, run('xdp', ['r6 = r1', adjust(65, 0, -10), adjust(65, 1, 20), adjust(65, 2, -61), adjust(65, 3, 5000), adjust(65, 4, -50), plen(5), 'r0 = 2\nexit'].join('\n'), ['ret', 'ret'], { out: true })]),
  finish('xdp head and tail', 'both ends moved, then the packet copied into a map through skb-free loads', [
    RET, create('copy', ARRAY, 4, 8, 1),
    run('xdp', ['r6 = r1', adjust(44, 0, 6), adjust(65, 1, -6), `r2 = *(u32 *)(r6 + 0)\nr3 = *(u32 *)(r6 + 4)\nr4 = r2\nr4 += 8\nif r4 > r3 goto skip\nr1 = *(u64 *)(r2 + 0)\n*(u64 *)(r10 - 24) = r1\n*(u32 *)(r10 - 16) = 0\n${update(2, -16, -24)}\nskip:`, plen(2), 'r0 = 2\nexit'].join('\n'), ['ret', 'ret', 'copy'], { out: true }),
  ]),
];

// ───────────────────────────── tail calls and callbacks ─────────────────────────────

/** bpf_tail_call(ctx, jt (map 0), index); what follows runs only if it fails. */
const tail = (index: number): string => `r1 = r6\nr2 = map[idx:0] ll\nr3 = ${index}\ncall 12`;
/** Count a run in ret[slot] (map 1). */
const count = (slot: number): string => `*(u32 *)(r10 - 12) = ${slot}\nr1 = map[idx:1] ll\nr2 = r10\nr2 += -12\ncall 1\nif r0 == 0 goto +2\nr1 = 1\nlock *(u64 *)(r0 + 0) += r1`;
const load1 = (name: string, type: ProgTypeName, text: string, maps: string[]): Step => ({ op: 'load', name, type, insns: asmHex(text), maps });

const tailCases: MapProgramCase[] = [
  finish('tail call', 'bpf_tail_call to a program, to an empty slot and out of range (fall through)', [
    create('jt', PROG_ARRAY, 4, 4, 4), RET,
    load1('target', 'socket_filter', `${count(1)}\nr0 = 7\nexit`, ['jt', 'ret']),
    load1('caller', 'socket_filter', ['r6 = r1', count(0), tail(1), count(2), tail(2), count(3), tail(100), count(4), 'r0 = 99\nexit'].join('\n'), ['jt', 'ret']),
    { op: 'run', prog: 'caller', data: PACKET },
    { op: 'update', map: 'jt', key: u32(1), value: { prog: 'target' } },
    { op: 'run', prog: 'caller', data: PACKET },
    { op: 'delete', map: 'jt', key: u32(1) },
    { op: 'run', prog: 'caller', data: PACKET },
  ]),
  finish('tail call limit', 'a program tail-calling itself: 1 run and 33 tail calls', [
    create('jt', PROG_ARRAY, 4, 4, 1), RET,
    load1('self', 'socket_filter', ['r6 = r1', count(0), tail(0), 'r0 = 5\nexit'].join('\n'), ['jt', 'ret']),
    { op: 'update', map: 'jt', key: u32(0), value: { prog: 'self' } },
    { op: 'run', prog: 'self', data: PACKET },
  ]),
  finish('tail call owner type', 'a PROG_ARRAY takes programs of one type: the first stored or the first loaded that uses it', [
    create('jt', PROG_ARRAY, 4, 4, 4), create('jt2', PROG_ARRAY, 4, 4, 4), RET,
    load1('sock', 'socket_filter', 'r0 = 1\nexit', []),
    load1('sock2', 'socket_filter', 'r0 = 2\nexit', []),
    load1('xdp', 'xdp', 'r0 = 2\nexit', []),
    load1('tc', 'sched_cls', 'r0 = 0\nexit', []),
    { op: 'update', map: 'jt', key: u32(0), value: { prog: 'sock' } },
    { op: 'update', map: 'jt', key: u32(1), value: { prog: 'xdp' } },
    { op: 'update', map: 'jt', key: u32(1), value: { prog: 'tc' } },
    { op: 'update', map: 'jt', key: u32(1), value: { prog: 'sock2' } },
    { op: 'delete', map: 'jt', key: u32(0) },
    { op: 'delete', map: 'jt', key: u32(1) },
    { op: 'update', map: 'jt', key: u32(1), value: { prog: 'xdp' } }, // the owner stays when the array is empty
    load1('user_xdp', 'xdp', `r6 = r1\n${tail(0)}\nr0 = 2\nexit`, ['jt', 'ret']),
    load1('user_sock', 'socket_filter', `r6 = r1\n${tail(0)}\nr0 = 2\nexit`, ['jt', 'ret']),
    // jt2: owned by the first program loaded that uses it
    load1('user2_xdp', 'xdp', `r1 = map[idx:0] ll\nr0 = 2\nexit`, ['jt2']),
    { op: 'update', map: 'jt2', key: u32(0), value: { prog: 'sock' } },
    { op: 'update', map: 'jt2', key: u32(0), value: { prog: 'xdp' } },
    load1('user2_tc', 'sched_cls', `r1 = map[idx:0] ll\nr0 = 0\nexit`, ['jt2']),
    { op: 'run', prog: 'user_sock', data: PACKET }, // jt[0] is empty: falls through
    { op: 'update', map: 'jt', key: u32(0), value: { prog: 'sock2' } },
    { op: 'run', prog: 'user_sock', data: PACKET },
  ]),
];

/** bpf_for_each_map_elem over a hash: sum keys × values into the context struct on the stack. */
const FOR_EACH = `r1 = map[idx:0] ll
r2 = func[cb] ll
r3 = r10
r3 += -32
r4 = 0
*(u64 *)(r10 - 32) = r4
*(u64 *)(r10 - 24) = r4
call 164
${save(1, 0)}
r0 = *(u64 *)(r10 - 32)
${save(1, 1)}
r0 = *(u64 *)(r10 - 24)
${save(1, 2)}
r0 = 0
exit
cb:
r6 = *(u32 *)(r2 + 0)
r7 = *(u64 *)(r3 + 0)
r6 *= r7
r8 = *(u64 *)(r4 + 0)
r8 += r6
*(u64 *)(r4 + 0) = r8
r8 = *(u64 *)(r4 + 8)
r8 += 1
*(u64 *)(r4 + 8) = r8
r7 += 1
*(u64 *)(r3 + 0) = r7
r0 = 0
exit`;

/** bpf_loop(10, cb, &ctx, 0): the callback pushes its index into a queue and stops at 6. */
const LOOP = `r1 = 10
r2 = func[cb] ll
r3 = 0
r4 = 0
call 181
${save(1, 0)}
r0 = 0
exit
cb:
*(u32 *)(r10 - 4) = r1
r6 = r1
r1 = map[idx:0] ll
r2 = r10
r2 += -4
r3 = 0
call 87
r0 = 0
if r6 != 6 goto +1
r0 = 1
exit`;

/** Replace keys 3 and 7, delete 5, then walk the map (map 0) pushing each key into the queue (map 2): the walk order. */
const WALK = `${upd(0, 3, 333)}
${upd(1, 7, 777)}
${rm(2, 5)}
r1 = map[idx:0] ll
r2 = func[cb] ll
r3 = 0
r4 = 0
call 164
${save(1, 3)}
r0 = 0
exit
cb:
r1 = *(u32 *)(r2 + 0)
*(u32 *)(r10 - 4) = r1
r1 = map[idx:2] ll
r2 = r10
r2 += -4
r3 = 0
call 87
r0 = 0
exit`;

/** A hash of `type` with BPF_F_ZERO_SEED: keys 1..12 from user space, then WALK, then get-next-key from a deleted key. */
const zeroSeedWalk = (name: string, type: number): MapProgramCase =>
  finish(name, 'Linux\'s bucket order with BPF_F_ZERO_SEED: dump, bpf_for_each_map_elem, a replaced and a deleted key', [
    create('h', type, 4, 8, 16, MapFlags.ZERO_SEED), RET, create('q', QUEUE, 0, 4, 16),
    ...range(1, 12).map((n) => set('h', u32(n), type === PERCPU_HASH ? { percpu: [u64(n), u64(n + 100)] } : u64(n))),
    run('socket_filter', WALK, ['h', 'ret', 'q'], { callbacks: ['cb'] }),
    { op: 'next', map: 'h', key: u32(5) }, { op: 'next', map: 'h', key: u32(3) },
  ]);

const callbackCases: MapProgramCase[] = [
  zeroSeedWalk('hash walk, zero seed', HASH),
  zeroSeedWalk('percpu hash walk, zero seed', PERCPU_HASH),
  zeroSeedWalk('lru hash walk, zero seed', LRU_HASH),
  finish('for_each_map_elem', 'bpf_for_each_map_elem over a HASH: the callback reads keys and changes values', [
    create('h', HASH, 4, 8, 8), RET, ...[3, 5, 7].map((n) => set('h', u32(n), u64(n * 10))), run('socket_filter', FOR_EACH, ['h', 'ret'], { callbacks: ['cb'] }),
  ]),
  finish('bpf_loop', 'bpf_loop: the callback pushes into a QUEUE and stops the loop', [create('q', QUEUE, 0, 4, 16), RET, run('socket_filter', LOOP, ['q', 'ret'], { callbacks: ['cb'] })]),
];

export const MAP_PROGRAMS: readonly MapProgramCase[] = [
  ...hashCases, ...arrayCases, ...lpmCases, ...queueCases, ...ringbufCases, ...packetCases, ...xdpCases, ...tailCases, ...callbackCases,
];

// ───────────────────────────── C programs ─────────────────────────────

/** An IPv4 address in network order, as hex. */
const ip4 = (a: string): string => Buffer.from(a.split('.').map(Number)).toString('hex');

/** An Ethernet + IPv4 frame of `len` bytes: protocol, addresses, then (UDP/TCP) ports 1234 → `dport`. */
function frame(proto: number, saddr: string, daddr: string, dport: number, len = 64): string {
  const ip = '45000032' + '00010000' + '40' + proto.toString(16).padStart(2, '0') + '0000' + ip4(saddr) + ip4(daddr);
  const ports = '04d2' + dport.toString(16).padStart(4, '0') + '001e0000';
  const head = '000000000000' + '020000000001' + '0800' + ip + ports;
  return (head + Buffer.from(Array.from({ length: len }, (_, i) => i)).toString('hex')).slice(0, len * 2);
}
const ARP = '000000000000' + '020000000001' + '0806' + '0001080006040001' + '02'.repeat(46);

/** The C programs (test/kernel-probes/c/): built with clang, so only where it is installed (C_UNAVAILABLE). */
export function cMapPrograms(): MapProgramCase[] {
  const stats = cObject('xdp_stats');
  const route = cObject('tc_route');
  const qs = cObject('queue_stack');
  const encap = cObject('xdp_encap');
  return [
    finish('C: xdp_stats', 'XDP statistics in PERCPU_ARRAY, HASH (NOEXIST insert, atomic adds), LRU_HASH, events in a RINGBUF', [
      ...stats.creates,
      stats.run(PACKET), stats.run(PACKET), stats.run(frame(6, '10.0.0.3', '10.0.0.2', 80, 80)), stats.run(frame(17, '10.0.0.3', '10.0.0.9', 53, 60)),
      stats.run(ARP), stats.run(frame(17, '10.0.0.1', '10.0.0.2', 53, 30)), stats.run(frame(1, '10.0.0.4', '10.0.0.2', 0, 42)),
    ]),
    finish('C: tc_route', 'tc: an LPM route lookup, the destination rewritten with skb_store_bytes, the checksum fixed with csum_diff', [
      ...route.creates,
      set('routes', u32(24) + ip4('10.0.0.0'), ip4('192.168.1.2')), set('routes', u32(32) + ip4('10.0.0.2'), ip4('172.16.0.9')),
      route.run(PACKET, true), route.run(frame(17, '10.0.0.1', '10.0.0.77', 53), true), route.run(frame(17, '10.0.0.1', '8.8.8.8', 53), true), route.run(ARP, true),
    ]),
    finish('C: queue_stack', 'a socket filter pushing into a QUEUE and a STACK (BPF_EXIST on every other push), popping into an ARRAY', [...qs.creates, qs.run(PACKET), qs.run(frame(6, '1.2.3.4', '5.6.7.8', 443))]),
    finish('C: xdp_encap', 'XDP: an 8-byte tag pushed in front (xdp_adjust_head), 4 bytes trimmed (xdp_adjust_tail), the tag kept in a HASH', [
      ...encap.creates, encap.run(PACKET, true), encap.run(frame(17, '10.9.8.7', '10.0.0.2', 99, 100), true),
    ]),
  ];
}

// ───────────────────────────── BPF_F_RDONLY / BPF_F_WRONLY ─────────────────────────────

const op = (o: 'lookup' | 'delete', map: string, key: string): Step => ({ op: o, map, key });
const batch = (cmd: 'lookup' | 'lookup_and_delete' | 'update' | 'delete', map: string, more: { keys?: string[]; values?: string[]; count?: number } = {}): Step => ({ op: 'batch', cmd, map, ...more });

/**
 * What user space may do with a map created BPF_F_RDONLY or BPF_F_WRONLY
 * (through the fd the creation returned, which the Runtime's handle plays):
 * every bpf(2) map command, and the flags BPF_OBJ_GET_INFO_BY_FD reports.
 */
export const ACCESS_CASES: readonly MapProgramCase[] = [
  finish('access: BPF_F_RDONLY', 'a read-only map: lookups and walks work, every write is EPERM, before other checks', [
    create('r', HASH, 4, 4, 4, MapFlags.RDONLY), RET,
    set('r', u32(1), u32(2)), set('r', '0100', u32(2), 7), op('lookup', 'r', u32(1)), op('delete', 'r', u32(1)), op('delete', 'r', '01'), { op: 'next', map: 'r' },
    batch('update', 'r', { keys: [u32(1)], values: [u32(3)] }), batch('delete', 'r', { keys: [u32(1)] }), batch('lookup', 'r', { count: 4 }), batch('lookup_and_delete', 'r', { count: 4 }),
    { op: 'info', map: 'r' }, { op: 'freeze', map: 'r' },
    run('socket_filter', [upd(0, 1, 5), upd(1, 2, 6, 1), rm(2, 1), EXIT0].join('\n'), ['r', 'ret']), // programs may write it
  ]),
  finish('access: BPF_F_WRONLY', 'a write-only map: writes work, every read is EPERM, before other checks; freezing works', [
    create('w', HASH, 4, 8, 4, MapFlags.WRONLY), RET,
    set('w', u32(1), u64(2)), set('w', u32(2), u64(3)), op('lookup', 'w', u32(1)), op('lookup', 'w', '01'), { op: 'next', map: 'w' }, { op: 'next', map: 'w', key: u32(1) },
    batch('lookup', 'w', { count: 4 }), batch('lookup_and_delete', 'w', { count: 4 }), batch('update', 'w', { keys: [u32(3)], values: [u64(4)] }), batch('delete', 'w', { keys: [u32(3)] }),
    op('delete', 'w', u32(2)), { op: 'info', map: 'w' },
    run('socket_filter', [get(0, 1), upd(1, 1, 9, 2), EXIT0].join('\n'), ['w', 'ret']), // programs may read it
    { op: 'freeze', map: 'w' }, set('w', u32(1), u64(2)), { op: 'freeze', map: 'w' },
  ]),
  finish('access: both flags', 'BPF_F_RDONLY | BPF_F_WRONLY is EINVAL; BPF_F_RDONLY_PROG is not user space\'s business', [
    create('rw', HASH, 4, 4, 4, MapFlags.RDONLY | MapFlags.WRONLY), create('rp', ARRAY, 4, 4, 2, MapFlags.RDONLY_PROG),
    set('rp', u32(0), u32(7)), op('lookup', 'rp', u32(0)), { op: 'info', map: 'rp' },
  ]),
  finish('access: queue and ring buffer', 'push, pop and peek of read-only and write-only queues; a read-only array and ring buffer', [
    create('qr', QUEUE, 0, 4, 4, MapFlags.RDONLY), create('qw', QUEUE, 0, 4, 4, MapFlags.WRONLY), create('ar', ARRAY, 4, 4, 2, MapFlags.RDONLY),
    { op: 'push', map: 'qr', value: u32(1) }, { op: 'peek', map: 'qr' }, { op: 'pop', map: 'qr' },
    { op: 'push', map: 'qw', value: u32(1) }, { op: 'peek', map: 'qw' }, { op: 'pop', map: 'qw' },
    set('ar', u32(0), u32(1)), op('lookup', 'ar', u32(1)), { op: 'freeze', map: 'ar' }, op('lookup', 'ar', u32(1)),
  ]),
  finish('access: lookup and delete', 'BPF_MAP_LOOKUP_AND_DELETE_ELEM: pops a queue, takes a hash key, ENOTSUPP for an array', [
    create('h', HASH, 4, 4, 4), create('p', PERCPU_HASH, 4, 4, 4), create('a', ARRAY, 4, 4, 2), create('q', STACK, 0, 4, 4),
    set('h', u32(1), u32(10)), set('p', u32(1), { percpu: [u32(10), u32(20)] }), { op: 'push', map: 'q', value: u32(5) },
    { op: 'pop', map: 'q' }, { op: 'pop', map: 'q' },
    { op: 'pop', map: 'h', key: u32(1) }, { op: 'pop', map: 'h', key: u32(1) }, { op: 'pop', map: 'p', key: u32(1) }, { op: 'pop', map: 'a', key: u32(1) },
  ]),
];
