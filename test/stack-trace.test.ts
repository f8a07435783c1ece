import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfError } from '../src/errno.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import type { HostInfo } from '../src/helpers/registry.js';
import { assemble } from '../src/isa/asm.js';
import { encode } from '../src/isa/instruction.js';
import { jhash2 } from '../src/maps/jhash.js';
import { u32Bytes } from '../src/maps/keys.js';
import { MapFlags, MapType } from '../src/maps/map.js';
import { StackFlags } from '../src/maps/stack-trace.js';
import { portableHost } from '../src/runtime/host.js';
import { jsStackSymbol } from '../src/runtime/js-stack.js';
import { nodeHost } from '../src/runtime/node-host.js';
import { Runtime } from '../src/runtime/runtime.js';
import type { Engine } from '../src/vm/execute.js';
import { Answer, kernelAnswers, kernelUnavailable, Step, tsbpfAnswers } from './kernel-probes/steps.js';

// Expected answers were given by Linux 6.18 to the same steps
// (test/kernel-probes/bpf_steps.py through kernel-oracle.py); the
// differential tests ask the kernel again where it can.

const ST = MapType.STACK_TRACE;
const { USER_STACK: USER, FAST_STACK_CMP: FAST, REUSE_STACKID: REUSE, USER_BUILD_ID } = StackFlags;
const asmHex = (text: string): string => Buffer.from(encode(assemble(text))).toString('hex');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const u32 = (n: number): string => hex(u32Bytes(n));
const neg = (errno: number): bigint => BigInt.asUintN(64, BigInt(-errno));
const [EINVAL, EFAULT, EEXIST, ENOMEM] = [22, 14, 17, 12];

type Case = [Step, Answer];
const create = (name: string, key: number, value: number, max: number, flags = 0): Step => ({ op: 'create', name, type: ST, key, value, max, flags });
const rawTp = (insns: string, maps: string[] = []): Step => ({ op: 'run', type: 'raw_tracepoint', insns, maps });

/** stack_map_alloc's checks. */
const CREATION: Case[] = [
  [create('s0', 4, 8, 4), 'ok'],
  [create('s1', 4, 16, 4), 'ok'],
  [create('s2', 4, 4, 4), 'EINVAL'],
  [create('s3', 4, 12, 4), 'EINVAL'],
  [create('s4', 4, 0, 4), 'EINVAL'],
  [create('s5', 8, 8, 4), 'EINVAL'],
  [create('s6', 0, 8, 4), 'EINVAL'],
  [create('s7', 4, 8, 0), 'EINVAL'],
  [create('s8', 4, 127 * 8, 4), 'ok'], // perf_event_max_stack frames
  [create('s9', 4, 128 * 8, 4), 'EINVAL'],
  [create('s10', 4, 32, 4, MapFlags.STACK_BUILD_ID), 'ok'],
  [create('s11', 4, 48, 4, MapFlags.STACK_BUILD_ID), 'EINVAL'],
  [create('s12', 4, 127 * 32, 4, MapFlags.STACK_BUILD_ID), 'ok'],
  [create('s13', 4, 128 * 32, 4, MapFlags.STACK_BUILD_ID), 'EINVAL'],
  [create('s14', 4, 8, 4, MapFlags.NO_PREALLOC), 'EINVAL'],
  [create('s15', 4, 8, 4, MapFlags.NUMA_NODE), 'ok'],
  [create('s16', 4, 8, 4, MapFlags.RDONLY), 'ok'],
  [create('s17', 4, 8, 4, MapFlags.RDONLY_PROG), 'EINVAL'],
  [create('s18', 4, 8, 4, MapFlags.MMAPABLE), 'EINVAL'],
  [create('s19', 4, 8, 2 ** 31 + 1), 'E2BIG'],
  // user space reads and deletes stacks, never writes them
  [{ op: 'next', map: 's1' }, 'ENOENT'],
  [{ op: 'lookup', map: 's1', key: u32(0) }, 'ENOENT'],
  [{ op: 'delete', map: 's1', key: u32(3) }, 'ENOENT'],
  [{ op: 'delete', map: 's1', key: u32(4) }, 'E2BIG'], // ids stop at the bucket count, here 4
  [{ op: 'update', map: 's1', key: u32(0), value: '00'.repeat(16) }, 'EINVAL'],
];

/** bpf_get_stackid(ctx, map, flags), its id or -errno as retval. */
const STACKID = (flags: number): string => asmHex(`r2 = map[idx:0] ll\nr3 = ${flags} ll\ncall bpf_get_stackid#27\nexit`);

/** bpf_get_stack(ctx, buf, size, flags) into a 256-byte stack buffer. */
const GET_STACK = (size: number, flags: number): string =>
  asmHex(`r2 = r10\nr2 += -256\nr3 = ${size}\nr4 = ${flags} ll\ncall bpf_get_stack#67\nexit`);

/**
 * Two bpf_get_stackid calls from one call site, with flags f1 then f2;
 * retval (id1 & 0xffff) << 16 | (id2 & 0xffff). From one call site, equal
 * flags give equal chains, on Linux and on tsbpf's host alike.
 */
const PAIR = (f1: number, f2: number): string =>
  asmHex(`r6 = r1
    r7 = 0
    r8 = 0
  loop:
    r3 = ${f1} ll
    if r8 == 0 goto call
    r3 = ${f2} ll
  call:
    r1 = r6
    r2 = map[idx:0] ll
    call bpf_get_stackid#27
    r0 &= 0xffff
    r7 <<= 16
    r7 |= r0
    r8 += 1
    if r8 < 2 goto loop
    r0 = r7
    exit`);
const pair = (id1: number, id2: number): Answer => ({ retval: ((id1 & 0xffff) << 16) | (id2 & 0xffff) });

/**
 * The helpers' flags and errors, where the answer does not depend on which
 * addresses the chain holds; and the bucket rules on one-bucket maps, where
 * every chain's id is 0.
 */
const HELPERS: Case[] = [
  [create('st', 4, 64, 16), 'ok'],
  [rawTp(STACKID(1 << 11), ['st']), { retval: 0x100000000 - EINVAL }], // BPF_F_USER_BUILD_ID is bpf_get_stack's
  [rawTp(STACKID(1 << 12), ['st']), { retval: 0x100000000 - EINVAL }],
  [rawTp(STACKID(255), ['st']), { retval: 0x100000000 - EFAULT }], // skips every frame
  [rawTp(GET_STACK(12, 0)), { retval: 0x100000000 - EINVAL }], // not a multiple of 8
  [rawTp(GET_STACK(0, 0)), { retval: 0 }],
  [rawTp(GET_STACK(64, 1 << 12)), { retval: 0x100000000 - EINVAL }],
  [rawTp(GET_STACK(64, FAST)), { retval: 0x100000000 - EINVAL }], // bpf_get_stackid's flag
  [rawTp(GET_STACK(64, 255)), { retval: 0x100000000 - EFAULT }],
  [rawTp(GET_STACK(64, USER_BUILD_ID)), { retval: 0x100000000 - EINVAL }], // build ids are for user stacks
  [rawTp(GET_STACK(48, USER | USER_BUILD_ID)), { retval: 0x100000000 - EINVAL }], // not a multiple of 32
  ...(
    [
      [0, 0, 0, 0, 0], // the same chain: its id
      [0, 1, 0, 0, -EEXIST], // one frame fewer: another chain in the taken bucket
      [1, 0, 0, 0, -EEXIST],
      [0, REUSE, 0, 0, 0], // the same chain again: nothing to replace
      [0, FAST, 0, 0, 0],
      [1, 1 | FAST, 0, 0, 0],
      [1 | REUSE, 0, 0, 0, -EEXIST],
      [USER, 0, 0, 0, -EEXIST], // the user chain is not the kernel chain
      [0, USER, 0, 0, -EEXIST],
      [0, USER | REUSE, 0, 0, -ENOMEM], // replacing needs a free element first; max_entries 1 has none
      [0, 0, MapFlags.STACK_BUILD_ID, 0, -ENOMEM], // a build-id map needs one even for a known chain
    ] as const
  ).flatMap(([f1, f2, mapFlags, id1, id2], i): Case[] => [
    [create(`one${i}`, 4, 64, 1, mapFlags), 'ok'],
    [rawTp(PAIR(f1, f2), [`one${i}`]), pair(id1, id2)],
  ]),
];

const SCENARIOS = { creation: CREATION, helpers: HELPERS };

for (const [name, cases] of Object.entries(SCENARIOS)) {
  for (const engine of ['interp', 'jit'] as const) {
    test(`${name} (${engine}): tsbpf answers as Linux 6.18 did`, () => {
      const got = tsbpfAnswers(cases.map(([s]) => s), engine, nodeHost());
      cases.forEach(([step, want], i) => assert.deepEqual(got[i], want, `step ${i}: ${JSON.stringify(step).slice(0, 120)}`));
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
    const tsbpf = tsbpfAnswers(steps, 'interp', nodeHost());
    steps.forEach((step, i) => assert.deepEqual(tsbpf[i], kernel[i], `${name}, step ${i}: ${JSON.stringify(step).slice(0, 120)}`));
  }
});

// ───────────────────────────── stack ids are Linux's ─────────────────────────────

/** The u64 addresses of a stack map value, without the zero padding. */
function chainOf(valueHex: string): bigint[] {
  const b = Buffer.from(valueHex, 'hex');
  const ips: bigint[] = [];
  for (let i = 0; i < b.length; i += 8) ips.push(b.readBigUInt64LE(i));
  while (ips.at(-1) === 0n) ips.pop();
  return ips;
}

/** A host whose call chains are given, one per call. */
function hostWith(chains: readonly (readonly bigint[])[]): HostInfo {
  const queue = [...chains];
  return { ...portableHost(), stack: () => queue.shift() ?? [] };
}

/** Two chains recorded on Linux 6.18 by PAIR(0, 1) on a map of 65536 buckets: the kernel gave ids 0x135a and 0xde9e. */
const RECORDED = {
  retval: 0x135ade9e,
  first: chainOf('d81902c0ffffffffaa81f081ffffffff17a1f081ffffffff21df4d81ffffffff8d034e81ffffffff91f61e82ffffffff30010081ffffffff0000000000000000'),
  second: chainOf('aa81f081ffffffff17a1f081ffffffff21df4d81ffffffff8d034e81ffffffff91f61e82ffffffff30010081ffffffff00000000000000000000000000000000'),
};

/** tsbpf's retval for PAIR(0, 1) when the host's chains are `first` and (after the skipped frame) `second`. */
function pairOnTsbpf(first: readonly bigint[], second: readonly bigint[], engine: Engine): Answer {
  const steps: Step[] = [create('big', 4, 64, 65536), rawTp(PAIR(0, 1), ['big'])];
  return tsbpfAnswers(steps, engine, hostWith([first, [0xdeadn, ...second]]))[1]!;
}

test('a chain gets the stack id Linux gave it (jhash2 of its addresses, masked to the buckets)', () => {
  for (const engine of ['interp', 'jit'] as const) {
    assert.deepEqual(pairOnTsbpf(RECORDED.first, RECORDED.second, engine), { retval: RECORDED.retval }, engine);
  }
  // lookup3's hashword on an empty array and on one word, by its definition: a = b = c = 0xdeadbeef + 4n
  assert.equal(jhash2([]), 0xdeadbeef);
  assert.notEqual(jhash2([1]), jhash2([2]));
});

test('differential: fresh kernel chains get the same ids on tsbpf', (t) => {
  const why = kernelUnavailable();
  if (why) {
    t.skip(why);
    return;
  }
  const [, run, dump] = kernelAnswers([create('big', 4, 64, 65536), rawTp(PAIR(0, 1), ['big']), { op: 'dump', map: 'big' }]) as [Answer, { retval: number }, Array<[string, string]>];
  const chains = new Map(dump.map(([k, v]) => [Buffer.from(k, 'hex').readUInt32LE(0), chainOf(v)]));
  const [id1, id2] = [run.retval >>> 16, run.retval & 0xffff];
  assert.equal(chains.size, 2);
  assert.deepEqual(pairOnTsbpf(chains.get(id1)!, chains.get(id2)!, 'interp'), run);
});

// ───────────────────────────── with a host's chains ─────────────────────────────

const KERNEL_CHAIN = [0xffffffff81000010n, 0xffffffff81000020n, 0xffffffff81000030n, 0xffffffff81000040n];
const USER_CHAIN = [0x401000n, 0x401100n];

/** A Runtime whose host gives fixed chains, a stack map, and a program calling `body` on it. */
function setup(body: string, spec: { valueSize?: number; maxEntries?: number; flags?: number } = {}, host: Partial<HostInfo> = {}) {
  const stack = (kind: 'kernel' | 'user', maxDepth: number) => (kind === 'user' ? USER_CHAIN : KERNEL_CHAIN).slice(0, maxDepth);
  const rt = new Runtime({ helpers: linuxHelpers(), host: { ...portableHost(), stack, ...host } });
  const map = rt.createMap({ name: 'stacks', type: ST, keySize: 4, valueSize: spec.valueSize ?? 32, maxEntries: spec.maxEntries ?? 8, flags: spec.flags ?? 0 });
  const run = (engine: Engine, mem: Uint8Array = new Uint8Array(0)) => rt.loadProgram({ unverified: true, insns: assemble(body), maps: [map], engine }).run({ mem });
  return { rt, map, run };
}

const u64s = (...v: bigint[]): Uint8Array => new Uint8Array(new BigUint64Array(v).buffer);
const chainId = (ips: readonly bigint[], buckets: number): bigint => BigInt(jhash2(new Uint32Array(new BigUint64Array(ips).buffer)) & (buckets - 1));

for (const engine of ['interp', 'jit'] as const) {
  test(`bpf_get_stackid stores the chain after the skipped frames, at most value_size deep (${engine})`, () => {
    const { rt, map, run } = setup('r2 = map[idx:0] ll\nr3 = *(u64 *)(r1 + 0)\nr1 = 0\ncall 27\nexit', { valueSize: 24, maxEntries: 5 });
    const flags = (f: number) => u64s(BigInt(f));
    const id0 = run(engine, flags(0)).r0;
    assert.equal(id0, chainId(KERNEL_CHAIN.slice(0, 3), 8)); // 3 frames fit in 24 bytes; 5 entries → 8 buckets
    assert.deepEqual(rt.map(map).lookup(u32Bytes(Number(id0))), u64s(...KERNEL_CHAIN.slice(0, 3)));
    const id2 = run(engine, flags(2)).r0;
    assert.equal(id2, chainId(KERNEL_CHAIN.slice(2), 8));
    assert.deepEqual(rt.map(map).lookup(u32Bytes(Number(id2))), u64s(...KERNEL_CHAIN.slice(2), 0n)); // zero-padded
    const idUser = run(engine, flags(USER)).r0;
    assert.equal(idUser, chainId(USER_CHAIN, 8));
    assert.equal(run(engine, flags(USER | 2)).r0, neg(EFAULT)); // nothing left after skipping 2 of 2
    assert.equal(run(engine, flags(USER | (1 << 11))).r0, neg(EINVAL));
    const ids = [id0, id2, idUser].map(Number).sort((a, b) => a - b);
    const walked: number[] = [];
    for (let k: Uint8Array | undefined = undefined; ; ) {
      try {
        k = rt.map(map).nextKey(k);
      } catch (e) {
        assert.ok(e instanceof BpfError && e.errno === 'ENOENT');
        break;
      }
      walked.push(new DataView(k.buffer).getUint32(0, true));
    }
    assert.deepEqual(walked, [...new Set(ids)]);
  });

  test(`a hash collision: -EEXIST, BPF_F_FAST_STACK_CMP takes it for the stored chain, BPF_F_REUSE_STACKID replaces it (${engine})`, () => {
    const [a, b] = collidingChains();
    let next: bigint[] = [];
    const { rt, map, run } = setup('r2 = map[idx:0] ll\nr3 = *(u64 *)(r1 + 0)\nr1 = 0\ncall 27\nexit', { valueSize: 8, maxEntries: 2 }, { stack: () => next });
    const flags = (f: number) => u64s(BigInt(f));
    next = a;
    const id = run(engine, flags(0)).r0;
    assert.equal(id, chainId(a, 2));
    next = b;
    assert.equal(run(engine, flags(0)).r0, neg(EEXIST));
    assert.equal(run(engine, flags(FAST)).r0, id); // same hash: taken for the same chain, not stored
    assert.deepEqual(rt.map(map).lookup(u32Bytes(Number(id))), u64s(...a));
    assert.equal(run(engine, flags(REUSE)).r0, id);
    assert.deepEqual(rt.map(map).lookup(u32Bytes(Number(id))), u64s(...b));
    // the replaced chain's element is free again: the other bucket still takes one of 2 chains
    let c = 1n;
    while (chainId([c], 2) === id) c++;
    next = [c];
    assert.equal(run(engine, flags(0)).r0, 1n - id);
  });

  test(`max_entries chains at most: -ENOMEM until user space deletes one (${engine})`, () => {
    let next: bigint[] = [];
    const { rt, map, run } = setup('r2 = map[idx:0] ll\nr3 = 0\nr1 = 0\ncall 27\nexit', { valueSize: 8, maxEntries: 3 }, { stack: () => next });
    const stored: bigint[] = [];
    // distinct chains in distinct buckets (4 of them) until 3 are stored
    for (let ip = 1n; stored.length < 3; ip++) {
      next = [ip];
      if (stored.some((s) => s === chainId([ip], 4))) continue;
      stored.push(run(engine).r0);
    }
    const bucket = [0n, 1n, 2n, 3n].find((b) => !stored.includes(b))!;
    let ip = 100n;
    while (chainId([ip], 4) !== bucket) ip++;
    next = [ip];
    assert.equal(run(engine).r0, neg(ENOMEM));
    rt.deleteElem(map, u32Bytes(Number(stored[0])));
    assert.equal(run(engine).r0, bucket);
  });

  test(`bpf_get_stack writes the chain, zeroes the rest, and zeroes all of it on error (${engine})`, () => {
    const body = 'r2 = r1\nr3 = 64\nr4 = *(u64 *)(r1 + 0)\nr1 = 0\ncall 67\nexit';
    const { run } = setup(body);
    const call = (flags: number) => {
      const mem = new Uint8Array(64).fill(0xee);
      mem.set(u64s(BigInt(flags)));
      return run(engine, mem);
    };
    let r = call(1);
    assert.equal(r.r0, 24n);
    assert.deepEqual(r.mem, Uint8Array.from([...u64s(...KERNEL_CHAIN.slice(1)), ...new Uint8Array(40)]));
    r = call(USER);
    assert.equal(r.r0, 16n);
    assert.deepEqual(r.mem.subarray(0, 16), u64s(...USER_CHAIN));
    r = call(USER | USER_BUILD_ID);
    assert.equal(r.r0, 64n); // two 32-byte records
    const rec = new DataView(r.mem.buffer, r.mem.byteOffset);
    for (const i of [0, 1]) {
      assert.equal(rec.getInt32(32 * i, true), 2); // BPF_STACK_BUILD_ID_IP: no build id, the address
      assert.deepEqual(r.mem.subarray(32 * i + 4, 32 * i + 24), new Uint8Array(20));
      assert.equal(rec.getBigUint64(32 * i + 24, true), USER_CHAIN[i]);
    }
    for (const [bad, errno] of [[USER | 3, EFAULT], [1 << 12, EINVAL], [USER_BUILD_ID, EINVAL]] as const) {
      r = call(bad);
      assert.equal(r.r0, neg(errno), `flags ${bad}`);
      assert.deepEqual(r.mem, new Uint8Array(64), `flags ${bad}: zeroed`);
    }
  });

  test(`without host stacks both helpers give -EFAULT (${engine})`, () => {
    const { run } = setup('r6 = r1\nr2 = map[idx:0] ll\nr3 = 0\ncall 27\nr7 = r0\nr1 = 0\nr2 = r6\nr3 = 16\nr4 = 0\ncall 67\nr0 += r7\nexit', {}, { stack: undefined });
    const r = run(engine, new Uint8Array(16).fill(1));
    assert.equal(r.r0, BigInt.asUintN(64, -2n * BigInt(EFAULT)));
    assert.deepEqual(r.mem, new Uint8Array(16));
  });
}

/** Two one-frame chains with the same jhash2 (a birthday search over user addresses). */
function collidingChains(): [bigint[], bigint[]] {
  const seen = new Map<number, bigint>();
  for (let ip = 0x400000n; ; ip += 8n) {
    const h = jhash2(new Uint32Array(new BigUint64Array([ip]).buffer));
    const other = seen.get(h);
    if (other !== undefined) return [[other], [ip]];
    seen.set(h, ip);
  }
}

// ───────────────────────────── the JavaScript host ─────────────────────────────

test('the Node host: user chains are the application\'s JS frames, kernel chains tsbpf\'s', () => {
  const rt = new Runtime({ helpers: linuxHelpers(), host: nodeHost() });
  const body = 'r2 = r1\nr3 = 256\nr4 = *(u64 *)(r1 + 0)\nr1 = 0\ncall 67\nexit';
  const prog = rt.loadProgram({ unverified: true, insns: assemble(body) });
  const chain = (flags: number) => {
    const mem = new Uint8Array(256);
    mem.set(u64s(BigInt(flags)));
    function applicationHandler() {
      return prog.run({ mem });
    }
    const r = applicationHandler();
    return chainOf(hex(r.mem.subarray(0, Number(r.r0))));
  };
  const user = chain(USER);
  assert.ok(user.length > 0 && user.every((ip) => ip < 1n << 47n), 'user half');
  assert.match(jsStackSymbol(user[0]!)!, /applicationHandler/);
  assert.ok(user.every((ip) => !jsStackSymbol(ip)!.includes('/dist/src/')));
  const kernel = chain(0);
  assert.ok(kernel.length > 0 && kernel.every((ip) => ip >> 48n === 0xffffn), 'kernel half');
  // tsbpf's own frames: its modules, and the program itself when the JIT compiled it to WebAssembly
  assert.ok(kernel.every((ip) => /\/dist\/src\/|wasm/.test(jsStackSymbol(ip)!)));
  assert.deepEqual(chain(0), kernel); // the same code path, the same chain
  assert.deepEqual(chain(1), kernel.slice(1));
});
