import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfError } from '../src/errno.js';
import { readCollectionSpec } from '../src/elf/collection.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { BPF_MAX_LOOPS } from '../src/helpers/loop.js';
import { assemble } from '../src/isa/asm.js';
import { MapSpec, MapType } from '../src/maps/map.js';
import { loadCollection } from '../src/runtime/collection.js';
import { Runtime } from '../src/runtime/runtime.js';
import { Engine, createEngine } from '../src/vm/execute.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../src/vm/interpreter.js';

/**
 * Helpers that call back into the program (bpf_loop, bpf_for_each_map_elem):
 * every program runs on the interpreter and the JIT, which must agree on r0,
 * the error, the instructions executed, the stack and the maps; expected
 * values are derived here from what the program computes. The programs of
 * test/callbacks/callbacks.c also run on the Linux kernel (kernel-oracle.py)
 * and must return what it returns.
 */

const ENGINES: readonly Engine[] = ['interp', 'jit'];
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const u32 = (v: number): Uint8Array => Uint8Array.from([v, v >>> 8, v >>> 16, v >>> 24].map((x) => x & 0xff));
const u64 = (v: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
};
const neg = (errno: number): bigint => BigInt.asUintN(64, BigInt(-errno));
const EINVAL = neg(22);
const E2BIG = neg(7);

interface Setup {
  /** maps to create, in order; the program text gets their pointers */
  maps?: MapSpec[];
  /** fill the maps (same on both engines) */
  fill?: (rt: Runtime, ids: number[]) => void;
  budget?: number;
  cpus?: number;
  cpu?: number;
}

interface Run {
  r0?: bigint;
  error?: string;
  executed: number;
  stack: string;
  /** each map's elements as key:value hex, in get-next-key order */
  maps: string[][];
}

/** One engine in a fresh Runtime: maps created (and filled) first, so both engines see the same addresses. */
function runOn(engine: Engine, program: (maps: number[]) => string, setup: Setup): Run {
  const rt = new Runtime({ helpers: linuxHelpers(), cpus: setup.cpus });
  const ids = (setup.maps ?? []).map((spec) => rt.createMap(spec));
  setup.fill?.(rt, ids);
  const insns = assemble(program(ids.map((id) => rt.mapPointer(id))));
  const vm = createEngine(engine, insns, { space: rt.space, helpers: rt.helpers, budget: setup.budget });
  const out: Run = { executed: 0, stack: '', maps: [] };
  try {
    out.r0 = vm.run([], rt.mapRegions(), { kernel: rt.kernelEnv(setup.cpu ?? 0) });
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    out.error = `${e.errno}: ${e.message}`;
  }
  out.executed = vm.executed;
  out.stack = hex(rt.space.bytes.slice(vm.stack.start, vm.stack.end));
  out.maps = ids.map((id) => (rt.map(id).spec.keySize ? rt.entries(id).map(([k, v]) => `${hex(k)}:${hex(v)}`) : []));
  return out;
}

/** Run on both engines, assert they agree on everything, return the outcome. */
function both(program: (maps: number[]) => string, setup: Setup = {}): Run {
  const [interp, jit] = ENGINES.map((e) => runOn(e, program, setup));
  assert.deepEqual(jit, interp);
  return interp!;
}

// ---------------------------------------------------------------- bpf_loop

/**
 * bpf_loop(n, add, &ctx, flags) with ctx = {calls, sum} on the stack; `add`
 * adds its index and stops (returns 1) at index `stopAt`. r0 = sum << 32 |
 * calls << 16 | the helper's result (low 16 bits).
 */
const loopProgram = (n: number | bigint, stopAt: number, flags = 0) => () => `
  *(u64 *)(r10 - 16) = 0
  *(u64 *)(r10 - 8) = 0
  r1 = ${n} ll
  r2 = func[add] ll
  r3 = r10
  r3 += -16
  r4 = ${flags}
  call 181
  r6 = r0
  r0 &= 0xffff
  r1 = *(u64 *)(r10 - 16)
  r1 <<= 16
  r0 |= r1
  r1 = *(u64 *)(r10 - 8)
  r1 <<= 32
  r0 |= r1
  *(u64 *)(r10 - 24) = r6
  exit
add:
  r3 = *(u64 *)(r2 + 8)
  r3 += r1
  *(u64 *)(r2 + 8) = r3
  r3 = *(u64 *)(r2 + 0)
  r3 += 1
  *(u64 *)(r2 + 0) = r3
  r0 = 0
  if r1 != ${stopAt} goto +1
  r0 = 1
  exit`;

/** What loopProgram returns after `calls` calls and the helper's result `ret`. */
const loopResult = (calls: number, ret: bigint): bigint => (BigInt((calls * (calls - 1)) / 2) << 32n) | (BigInt(calls) << 16n) | (ret & 0xffffn);

test('bpf_loop: calls back with index 0, 1, … and the context, returns the number of calls', () => {
  for (const n of [0, 1, 7, 1000]) {
    const r = both(loopProgram(n, -1));
    assert.equal(r.r0, loopResult(n, BigInt(n)), `nr_loops ${n}`);
    // main: 10 slots to the call (two lddw of 2), 10 after it; 9 per callback
    assert.equal(r.executed, 20 + 9 * n);
  }
});

test('bpf_loop: a callback returning 1 stops the loop; the count includes that call', () => {
  for (const [n, stop] of [[100, 0], [100, 9], [100, 99], [10, 50]] as const) {
    const calls = Math.min(n, stop + 1);
    assert.equal(both(loopProgram(n, stop)).r0, loopResult(calls, BigInt(calls)), `nr_loops ${n}, stop at ${stop}`);
  }
});

test('bpf_loop: flags must be 0 (-EINVAL), at most BPF_MAX_LOOPS iterations (-E2BIG), checked before any call', () => {
  assert.equal(BPF_MAX_LOOPS, 1 << 23);
  assert.equal(both(loopProgram(BPF_MAX_LOOPS + 1, -1)).r0, loopResult(0, E2BIG));
  assert.equal(both(loopProgram(0xffffffff, -1)).r0, loopResult(0, E2BIG));
  assert.equal(both(loopProgram(5, -1, 1)).r0, loopResult(0, EINVAL));
  assert.equal(both(loopProgram(BPF_MAX_LOOPS + 1, -1, 1)).r0, loopResult(0, EINVAL), 'flags first');
  // the largest count is allowed (the callback stops at index 0)
  assert.equal(both(loopProgram(BPF_MAX_LOOPS, 0)).r0, loopResult(1, 1n));
  // nr_loops is a u32: the high half of r1 is ignored, as by Linux's helper
  // (Linux 6.18's inlined bpf_loop compares all 64 bits and returns -E2BIG)
  assert.equal(both(loopProgram(0x1_0000_0003n, -1)).r0, loopResult(3, 3n));
});

test('bpf_loop: a function pointer that no lddw loaded faults at the call (EINVAL)', () => {
  const r = both(() => 'r1 = 3\nr2 = 2\nr3 = 0\nr4 = 0\ncall 181\nexit\nr0 = 1\nexit');
  assert.match(r.error!, /^EINVAL: pc 4: callback 0x2 is not a function of this program/);
  const ok = both(() => 'r1 = 3\nr2 = func[f] ll\nr3 = 0\nr4 = 0\ncall 181\nexit\nf:\nr0 = 0\nexit');
  assert.equal(ok.r0, 3n, 'the same call with the pointer lddw loads');
});

test('bpf_loop inside a bpf_loop callback: each level is a frame of its own', () => {
  // outer: 5 calls; call i runs an inner loop of i + 1 calls adding j to ctx[0], counting in ctx[1]
  const r = both(() => `
    *(u64 *)(r10 - 16) = 0
    *(u64 *)(r10 - 8) = 0
    r1 = 5
    r2 = func[outer] ll
    r3 = r10
    r3 += -16
    r4 = 0
    call 181
    r1 = *(u64 *)(r10 - 16)
    r0 <<= 16
    r0 |= r1
    r1 = *(u64 *)(r10 - 8)
    r0 <<= 16
    r0 |= r1
    exit
  outer:
    r6 = r2
    *(u64 *)(r10 - 8) = r1
    r1 += 1
    r2 = func[inner] ll
    r3 = r6
    r4 = 0
    call 181
    r1 = *(u64 *)(r10 - 8)
    r0 -= r1
    r0 -= 1
    exit
  inner:
    r3 = *(u64 *)(r2 + 0)
    r3 += r1
    *(u64 *)(r2 + 0) = r3
    r3 = *(u64 *)(r2 + 8)
    r3 += 1
    *(u64 *)(r2 + 8) = r3
    r0 = 0
    exit`);
  // each inner loop returns i + 1, so outer returns 0 and runs all 5 times
  const sum = [0, 1, 2, 3, 4].reduce((s, i) => s + (i * (i + 1)) / 2, 0);
  const calls = [0, 1, 2, 3, 4].reduce((s, i) => s + i + 1, 0);
  assert.equal(r.r0, (5n << 32n) | (BigInt(sum) << 16n) | BigInt(calls));
});

// ---------------------------------------------------------------- frames

test('a callback runs in its own 512-byte frame below its caller; the caller\'s stack and r6–r9 survive', () => {
  const r = both(() => `
    r6 = 0x66
    r7 = 0x77
    r8 = 0x88
    r9 = 0x99
    r1 = 0x1122334455667788 ll
    *(u64 *)(r10 - 8) = r1
    *(u64 *)(r10 - 512) = r1
    *(u64 *)(r10 - 24) = 0
    r1 = 2
    r2 = func[cb] ll
    r3 = r10
    r3 += -24
    r4 = 0
    call 181
    r0 = *(u64 *)(r10 - 8)
    r1 = *(u64 *)(r10 - 512)
    r0 ^= r1
    r0 += r6
    r0 += r7
    r0 += r8
    r0 += r9
    r1 = r10
    r2 = *(u64 *)(r10 - 24)
    r1 -= r2
    r0 += r1
    exit
  cb:
    r6 = -1
    r7 = -1
    r8 = -1
    r9 = -1
    r3 = 0
    r4 = r10
    r4 += -512
  fill:
    *(u64 *)(r4 + 0) = r6
    r4 += 8
    if r4 != r10 goto fill
    *(u64 *)(r2 + 0) = r10
    r0 = 0
    exit`);
  // the caller's data intact (x ^ x = 0), its r6–r9 too, and the callback's
  // frame pointer one frame below the caller's
  assert.equal(r.r0, 0x66n + 0x77n + 0x88n + 0x99n + BigInt(STACK_SIZE));
  const frames = r.stack.length / 2 / STACK_SIZE;
  assert.equal(frames, MAX_CALL_FRAMES);
  assert.equal(r.stack.slice(2 * (frames - 2) * STACK_SIZE, 2 * (frames - 1) * STACK_SIZE), 'ff'.repeat(STACK_SIZE), 'the callback filled the frame below');
});

/** A callback that calls bpf_loop(1, itself) until `levels` callbacks are nested. */
const recursive = (levels: number) => () => `
  *(u64 *)(r10 - 8) = ${levels}
  r1 = 1
  r2 = func[cb] ll
  r3 = r10
  r3 += -8
  r4 = 0
  call 181
  r0 = *(u64 *)(r10 - 8)
  exit
cb:
  r3 = *(u64 *)(r2 + 0)
  r3 -= 1
  *(u64 *)(r2 + 0) = r3
  r0 = 0
  if r3 == 0 goto done
  r1 = 1
  r3 = r2
  r2 = func[cb] ll
  r4 = 0
  call 181
  r0 = 0
done:
  exit`;

test('callback frames count toward the 8-frame limit', () => {
  assert.equal(both(recursive(MAX_CALL_FRAMES - 1)).r0, 0n, '7 callbacks below main: 8 frames');
  const r = both(recursive(MAX_CALL_FRAMES));
  assert.equal(r.error, `E2BIG: pc 20: the call stack of ${MAX_CALL_FRAMES + 1} frames is too deep (at most ${MAX_CALL_FRAMES})`);
});

// ---------------------------------------------------------------- budget

test('the instruction budget is shared with callbacks: E2BIG in a callback\'s loop or after it returns', () => {
  // a straight-line callback: the overrun shows when it returns, at the helper call (pc 5)
  const straight = both(() => `r1 = ${BPF_MAX_LOOPS}\nr2 = func[cb] ll\nr3 = 0\nr4 = 0\ncall 181\nexit\ncb:\nr0 = 0\nexit`, { budget: 100_000 });
  assert.equal(straight.error, 'E2BIG: pc 5: instruction budget of 100000 exhausted (runaway program?)');
  assert.equal(straight.executed, 100_000);
  // a callback with a loop of its own: the overrun shows at its jump
  const looping = both(() => `
    r1 = 1000
    r2 = func[cb] ll
    r3 = 0
    r4 = 0
    call 181
    exit
  cb:
    r1 = 100
  again:
    r1 -= 1
    if r1 != 0 goto again
    r0 = 0
    exit`, { budget: 50_000 });
  assert.equal(looping.error, 'E2BIG: pc 9: instruction budget of 50000 exhausted (runaway program?)');
  // with enough budget the count is exact: 7 slots of main, 1000 × (1 + 2 × 100 + 2)
  const enough = both(() => `
    r1 = 1000
    r2 = func[cb] ll
    r3 = 0
    r4 = 0
    call 181
    exit
  cb:
    r1 = 100
  again:
    r1 -= 1
    if r1 != 0 goto again
    r0 = 0
    exit`, { budget: 204_007 });
  assert.equal(enough.r0, 1000n);
  assert.equal(enough.executed, 7 + 1000 * 203);
});

// ---------------------------------------------------------------- bpf_for_each_map_elem

const ARRAY: MapSpec = { type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 6 };
const HASH: MapSpec = { type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16 };
const ARRAY_VALUES = [5n, 0n, 17n, 3n, 0n, 40n];
const HASH_ELEMS: [number, bigint][] = [[10, 1n], [3, 100n], [77, 9n], [12, 0n], [5, 31n]];

function fillArray(rt: Runtime, id: number): void {
  ARRAY_VALUES.forEach((v, i) => rt.updateElem(id, u32(i), u64(v)));
}

function fillHash(rt: Runtime, id: number): void {
  for (const [k, v] of HASH_ELEMS) rt.updateElem(id, u32(k), u64(v));
}

/**
 * for_each over map 0 with `touch`: ctx += key × 1000 + value; value = value
 * × 2 + key; stop (return 1) once `stopAfter` elements were seen. r0 = ctx
 * << 16 | the helper's result; the calls are counted at r10 - 16.
 */
const touchProgram = (stopAfter: number, flags = 0) => ([map]: number[]) => `
  *(u64 *)(r10 - 8) = 0
  *(u64 *)(r10 - 16) = 0
  r1 = ${map} ll
  r2 = func[touch] ll
  r3 = r10
  r3 += -16
  r4 = ${flags}
  call 164
  r1 = *(u64 *)(r10 - 8)
  r1 <<= 16
  r0 |= r1
  exit
touch:
  r6 = *(u32 *)(r2 + 0)
  r7 = *(u64 *)(r3 + 0)
  r0 = r6
  r0 *= 1000
  r0 += r7
  r5 = *(u64 *)(r4 + 8)
  r5 += r0
  *(u64 *)(r4 + 8) = r5
  r7 <<= 1
  r7 += r6
  *(u64 *)(r3 + 0) = r7
  r5 = *(u64 *)(r4 + 0)
  r5 += 1
  *(u64 *)(r4 + 0) = r5
  r0 = 0
  if r5 != ${stopAfter} goto +1
  r0 = 1
  exit`;

/** What touchProgram leaves: r0, and the elements (key, value) after. */
function touched(elems: readonly [number, bigint][], stopAfter: number): { r0: bigint; after: [number, bigint][] } {
  const seen = elems.slice(0, Math.min(stopAfter, elems.length));
  const ctx = seen.reduce((s, [k, v]) => s + BigInt(k) * 1000n + v, 0n);
  const after = elems.map(([k, v], i): [number, bigint] => (i < seen.length ? [k, v * 2n + BigInt(k)] : [k, v]));
  return { r0: (ctx << 16n) | BigInt(seen.length), after };
}

const dump = (elems: readonly [number, bigint][]): string[] => elems.map(([k, v]) => `${hex(u32(k))}:${hex(u64(v))}`);

test('for_each over an array: every index in order, key and value pointers read, value written', () => {
  const elems = ARRAY_VALUES.map((v, i): [number, bigint] => [i, v]);
  for (const stop of [-1, 1, 4, 6]) {
    const r = both(touchProgram(stop), { maps: [ARRAY], fill: (rt, [id]) => fillArray(rt, id!) });
    const want = touched(elems, stop < 0 ? elems.length : stop);
    assert.equal(r.r0, want.r0, `stop after ${stop}`);
    assert.deepEqual(r.maps[0], dump(want.after));
  }
});

test('for_each over a hash map: every element once (get-next-key order here), key and value pointers', () => {
  for (const stop of [-1, 2]) {
    const r = both(touchProgram(stop), { maps: [HASH], fill: (rt, [id]) => fillHash(rt, id!) });
    // tsbpf walks a hash map in insertion order, as its get-next-key does
    const want = touched(HASH_ELEMS, stop < 0 ? HASH_ELEMS.length : stop);
    assert.equal(r.r0, want.r0);
    assert.deepEqual(r.maps[0], dump(want.after));
  }
  assert.equal(both(touchProgram(-1), { maps: [HASH] }).r0, 0n, 'an empty map: no calls');
});

test('for_each over a per-CPU array: the callback gets the current CPU\'s values', () => {
  const spec: MapSpec = { ...ARRAY, type: MapType.PERCPU_ARRAY, maxEntries: 3 };
  // CPU c's value of index i is 100 × c + i
  const fill = (rt: Runtime, [id]: number[]) => {
    for (let i = 0; i < 3; i++) rt.updateElem(id!, u32(i), Uint8Array.from([0, 1].flatMap((c) => [...u64(BigInt(100 * c + i))])));
  };
  const r = both(touchProgram(-1), { maps: [spec], fill, cpus: 2, cpu: 1 });
  const want = touched([[0, 100n], [1, 101n], [2, 102n]], 3);
  assert.equal(r.r0, want.r0);
  // CPU 0's values untouched, CPU 1's written
  assert.deepEqual(r.maps[0], want.after.map(([k, v]) => `${hex(u32(k))}:${hex(u64(BigInt(k)))}${hex(u64(v))}`));
});

test('for_each: a callback may delete the element it is given; elements deleted before they are reached are skipped', () => {
  // delete the current element if its key is odd, and the element with key 12 whenever seen
  const r = both(([map]) => `
    *(u64 *)(r10 - 8) = 0
    r1 = ${map} ll
    r2 = func[cb] ll
    r3 = r10
    r3 += -8
    r4 = 0
    call 164
    exit
  cb:
    r6 = r1
    r7 = r2
    r8 = r4
    r0 = *(u32 *)(r2 + 0)
    r1 = *(u64 *)(r4 + 0)
    r1 <<= 8
    r1 |= r0
    *(u64 *)(r4 + 0) = r1
    r0 &= 1
    if r0 == 0 goto keep
    r1 = r6
    r2 = r7
    call 3
  keep:
    *(u32 *)(r10 - 4) = 12
    r1 = r6
    r2 = r10
    r2 += -4
    call 3
    r0 = 0
    exit`, { maps: [HASH], fill: (rt, [id]) => fillHash(rt, id!) });
  // insertion order 10, 3, 77, 12, 5: 12 is deleted while visiting 10, so 4 visits
  assert.equal(r.r0, 4n);
  assert.deepEqual(r.maps[0], dump([[10, 1n]]));
  assert.equal(BigInt('0x' + r.stack.slice(-16).match(/../g)!.reverse().join('')), (10n << 24n) | (3n << 16n) | (77n << 8n) | 5n);
});

test('for_each: the key is read-only to the callback (Linux: "write to change key R2 not allowed")', () => {
  const r = both(([map]) => `
    r1 = ${map} ll
    r2 = func[cb] ll
    r3 = 0
    r4 = 0
    call 164
    exit
  cb:
    *(u32 *)(r2 + 0) = 1
    r0 = 0
    exit`, { maps: [ARRAY] });
  assert.match(r.error!, /^EFAULT: pc 8: invalid write of 4 bytes at 0x[0-9a-f]+: the .* keys region is read-only/);
});

test('for_each: flags must be 0, and only hash and array maps can be walked (-EINVAL)', () => {
  assert.equal(both(touchProgram(-1, 1), { maps: [ARRAY] }).r0, EINVAL);
  const queue: MapSpec = { type: MapType.QUEUE, keySize: 0, valueSize: 8, maxEntries: 4 };
  assert.equal(both(touchProgram(-1), { maps: [queue] }).r0, EINVAL);
  assert.equal(both(() => touchProgram(-1)([4096])).r0, EINVAL, 'not a map');
});

test('for_each with bpf_loop in its callback (loop inside a for_each callback)', () => {
  // each element runs bpf_loop(key, add) adding the indices to ctx
  const r = both(([map]) => `
    *(u64 *)(r10 - 8) = 0
    r1 = ${map} ll
    r2 = func[elem] ll
    r3 = r10
    r3 += -8
    r4 = 0
    call 164
    r1 = *(u64 *)(r10 - 8)
    r0 <<= 32
    r0 |= r1
    exit
  elem:
    r1 = *(u32 *)(r2 + 0)
    r2 = func[add] ll
    r3 = r4
    r4 = 0
    call 181
    r0 = 0
    exit
  add:
    r3 = *(u64 *)(r2 + 0)
    r3 += r1
    *(u64 *)(r2 + 0) = r3
    r0 = 0
    exit`, { maps: [HASH], fill: (rt, [id]) => fillHash(rt, id!) });
  const sum = HASH_ELEMS.reduce((s, [k]) => s + (k * (k - 1)) / 2, 0);
  assert.equal(r.r0, (BigInt(HASH_ELEMS.length) << 32n) | BigInt(sum));
});

test('for_each inside a for_each callback on the same map: the outer key stays what it was', () => {
  // outer: for each element, walk the map again (counting at ctx + 8), then add *key to ctx
  const r = both(([map]) => `
    *(u64 *)(r10 - 16) = 0
    *(u64 *)(r10 - 8) = 0
    r1 = ${map} ll
    r2 = func[outer] ll
    r3 = r10
    r3 += -16
    r4 = 0
    call 164
    r1 = *(u64 *)(r10 - 16)
    r2 = *(u64 *)(r10 - 8)
    r0 <<= 16
    r0 |= r1
    r0 <<= 16
    r0 |= r2
    exit
  outer:
    r6 = r2
    r7 = r4
    r2 = func[inner] ll
    r3 = r4
    r4 = 0
    call 164
    r1 = *(u32 *)(r6 + 0)
    r2 = *(u64 *)(r7 + 0)
    r2 += r1
    *(u64 *)(r7 + 0) = r2
    r0 = 0
    exit
  inner:
    r1 = *(u64 *)(r4 + 8)
    r1 += 1
    *(u64 *)(r4 + 8) = r1
    r0 = 0
    exit`, { maps: [{ ...ARRAY, maxEntries: 3 }] });
  // 3 outer calls, 3 × 3 inner ones, outer keys 0 + 1 + 2
  assert.equal(r.r0, (3n << 32n) | (3n << 16n) | 9n);
});

// ---------------------------------------------------------------- tail calls

test('a tail call from a callback stops the run with EINVAL (Linux refuses such a program); outside one it works', () => {
  for (const engine of ENGINES) {
    const rt = new Runtime({ helpers: linuxHelpers() });
    const jt = rt.createMap({ type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
    const target = rt.loadProgram({ unverified: true, insns: assemble('r0 = 42\nexit'), engine });
    rt.updateElem(jt, u32(0), u32(target.id));
    const tailCall = (slot: number) => `r1 = r2\nr2 = map[fd:${jt}] ll\nr3 = ${slot}\ncall 12\nr0 = 0\nexit`;
    const viaLoop = (slot: number) => rt.loadProgram({ unverified: true, engine, insns: assemble(`r1 = 1\nr2 = func[cb] ll\nr3 = 0\nr4 = 0\ncall 181\nr0 = 7\nexit\ncb:\n${tailCall(slot)}`) });
    for (const slot of [0, 1]) {
      assert.throws(() => viaLoop(slot).run(), (e) => e instanceof BpfError && e.errno === 'EINVAL' && /bpf_tail_call from a callback/.test(e.message), `${engine}, slot ${slot}`);
    }
    const direct = rt.loadProgram({ unverified: true, engine, insns: assemble(`r2 = 0\n${tailCall(0)}`) });
    assert.equal(direct.run().r0, 42n, engine);
  }
});

// ---------------------------------------------------------------- the Linux kernel as an oracle

const SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/callbacks/callbacks.c');
const ORACLE = path.resolve(process.cwd(), '../shared/tools/kernel-oracle.py');

/** Why the kernel comparison cannot run here, or undefined. */
function oracleUnavailable(): string | undefined {
  if (!existsSync(ORACLE)) return `${ORACLE} not found`;
  try {
    execFileSync('clang', ['--version'], { stdio: 'pipe' });
  } catch {
    return 'clang not found';
  }
  try {
    const out = execFileSync('python3', [ORACLE, 'check'], { stdio: 'pipe', timeout: 60_000 }).toString();
    return /5 passed, 0 failed/.test(out) ? undefined : `kernel-oracle.py check: ${out.trim().split('\n').pop()}`;
  } catch (e) {
    return `kernel-oracle.py check failed (needs Linux and root): ${(e as Error).message.split('\n')[0]}`;
  }
}

/** clang -O2 -g -target bpf, with Debian's multiarch include directory (where <asm/*.h> lives) when there is one. */
function compile(dir: string): string {
  const triple = execFileSync('clang', ['-print-multiarch']).toString().trim();
  const include = triple && existsSync(`/usr/include/${triple}`) ? [`-I/usr/include/${triple}`] : [];
  const out = path.join(dir, 'callbacks.o');
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', ...include, '-Wall', '-c', SOURCE, '-o', out], { stdio: 'pipe' });
  return out;
}

/** The kernel's test-run retval of each program of the object (undefined: refused). */
function kernelResults(obj: string): Map<string, number | undefined> {
  const out = execFileSync('python3', [ORACLE, 'elf', obj, '--test-run', '--data-hex', '00'.repeat(64)], { stdio: 'pipe', maxBuffer: 64 << 20 }).toString();
  const results = new Map<string, number | undefined>();
  for (const line of out.trim().split('\n')) {
    const rec = JSON.parse(line) as { prog_name: string; accepted: boolean; test_run?: { retval?: number } };
    results.set(rec.prog_name, rec.accepted ? rec.test_run?.retval : undefined);
  }
  return results;
}

/** tsbpf's test-run retval of program `name`, each program in a fresh Runtime as the oracle loads them. */
function tsbpfResult(obj: string, name: string, engine: Engine): number | string {
  const spec = readCollectionSpec(readFileSync(obj), { fileName: 'callbacks.o' });
  for (const p of spec.programs) p.engine = engine;
  const rt = new Runtime({ helpers: linuxHelpers() });
  const c = loadCollection(rt, spec, { programs: [name] });
  try {
    return c.programs.get(name)!.testRun({ data: new Uint8Array(64) }).retval;
  } catch (e) {
    if (e instanceof BpfError) return `${e.errno}: ${e.message}`;
    throw e;
  }
}

test('differential: the programs of test/callbacks/callbacks.c return what Linux returns, on both engines', (t) => {
  const why = oracleUnavailable();
  if (why) {
    console.log(`# kernel oracle unavailable, skipping: ${why}`);
    t.skip(why);
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-callbacks-'));
  try {
    const obj = compile(dir);
    const kernel = kernelResults(obj);
    assert.ok(kernel.size >= 15, `programs: ${[...kernel.keys()].join(', ')}`);
    for (const [name, retval] of kernel) {
      for (const engine of ENGINES) {
        const ours = tsbpfResult(obj, name, engine);
        if (name === 'tail_in_callback') {
          assert.equal(retval, undefined, 'Linux refuses a tail call from a callback');
          assert.match(String(ours), /^EINVAL: bpf_tail_call from a callback/);
        } else {
          assert.notEqual(retval, undefined, `Linux accepts ${name}`);
          assert.equal(ours, retval, `${name} on ${engine}`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
