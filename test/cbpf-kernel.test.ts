import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkSocketFilter, isClassicOpcode, prepareSeccomp } from '../src/cbpf/check.js';
import { SockFilter } from '../src/cbpf/instruction.js';
import { ClassicEnv, runClassic } from '../src/cbpf/interpreter.js';
import * as c from '../src/cbpf/opcodes.js';
import { evaluateSeccomp, loadSeccompFilter } from '../src/cbpf/seccomp.js';
import { translate } from '../src/cbpf/translate.js';
import { ethTypeTrans } from '../src/progtypes/sk-buff.js';
import { ARPHRD_LOOPBACK, classicProgram, frame, testRunEnv, u32 } from './cbpf-gen.js';

/**
 * The running Linux kernel as the oracle (test/cbpf-oracle.py; root, Linux):
 * - which programs SO_ATTACH_FILTER and seccomp(2) accept, against check.ts;
 * - what classic filters return on a real AF_PACKET socket (Linux's own
 *   conversion and run), against runClassic;
 * - what the translated programs return when Linux loads them as eBPF
 *   socket filters and test-runs them, against runClassic;
 * - which action stacked seccomp filters take for a real system call,
 *   against evaluateSeccomp.
 * Each test is skipped, with the reason, where the kernel cannot be asked.
 */

const TOOL = path.resolve(process.cwd(), 'test/cbpf-oracle.py');

function ask<T>(cmd: string, input: unknown): T {
  const r = spawnSync('python3', [TOOL, cmd], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`cbpf-oracle.py ${cmd} failed: ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Why the kernel cannot be asked here, or undefined when it can. */
function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  try {
    const r = ask<number[]>('attach', [[[6, 0, 0, 0]]]);
    return r[0] === 0 ? undefined : `SO_ATTACH_FILTER refused a plain "ret #0" (errno ${r[0]})`;
  } catch (e) {
    return `cannot run the kernel probe: ${(e as Error).message.split('\n')[0]}`;
  }
}

const skip = unavailable();
if (skip) console.log(`# cbpf kernel oracle skipped: ${skip}`);

const toRows = (p: readonly SockFilter[]) => p.map((f) => [f.code, f.jt, f.jf, f.k >>> 0]);
const fromRows = (rows: number[][]) => rows.map(([code, jt, jf, k]) => ({ code: code!, jt: jt!, jf: jf!, k: k! }));
const verdict = (check: () => unknown): number => {
  try {
    check();
    return 0;
  } catch {
    return 22; // EINVAL, the only errno Linux's checks return
  }
};

/** One instruction followed by `ret #0`, for every opcode up to 0x1ff and k values that cross each check. */
function opcodeProbes(): SockFilter[][] {
  const ks = [0, 1, 15, 16, 31, 32, 0xfffff000, 0xfffff03c, 0xfffff040, 0xfff00000];
  const out: SockFilter[][] = [];
  for (let code = 0; code < 0x200; code++) for (const k of ks) out.push([{ code, jt: 0, jf: 0, k }, { code: 6, jt: 0, jf: 0, k: 0 }]);
  return out;
}

test('kernel: SO_ATTACH_FILTER accepts exactly the opcodes and constants checkSocketFilter accepts', { skip }, () => {
  const probes = opcodeProbes();
  const kernel = ask<number[]>('attach', probes.map(toRows));
  const mine = probes.map((p) => verdict(() => checkSocketFilter(p)));
  const differ = probes.filter((_, i) => kernel[i] !== mine[i]).map((p) => JSON.stringify(toRows(p)));
  assert.deepEqual(differ, []);
  // the probe is not vacuous: both verdicts occur, and every accepted opcode is one isClassicOpcode knows
  assert.ok(kernel.filter((x) => x === 0).length > 200 && kernel.filter((x) => x !== 0).length > 2000);
  probes.forEach((p, i) => kernel[i] === 0 && assert.ok(isClassicOpcode(p[0]!.code)));
});

/** Programs that are often invalid: jumps past the end, M[] read before written, no final ret, k out of range. */
const rawProgram = fc.array(
  fc.record({
    code: fc.oneof(fc.constantFrom(0x00, 0x02, 0x03, 0x05, 0x06, 0x15, 0x16, 0x1d, 0x20, 0x45, 0x60, 0x61, 0x74, 0x87, 0x94, 0xb1), fc.nat({ max: 0xff })),
    jt: fc.oneof(fc.nat({ max: 4 }), fc.nat({ max: 255 })),
    jf: fc.oneof(fc.nat({ max: 4 }), fc.nat({ max: 255 })),
    k: fc.oneof(fc.nat({ max: 20 }), u32),
  }),
  { minLength: 1, maxLength: 12 },
);

/** A valid program with one field of one instruction changed: near misses of every check. */
const mutatedProgram = fc
  .tuple(classicProgram({ ancillary: [0, 4, 8, 60], negative: 'all', maxBody: 12 }), fc.nat(), fc.constantFrom('code', 'jt', 'jf', 'k'), fc.oneof(fc.nat({ max: 20 }), u32))
  .map(([p, at, field, v]) => {
    const out = p.map((f) => ({ ...f }));
    const f = out[at % out.length]!;
    if (field === 'k') f.k = v >>> 0;
    else f[field] = v & (field === 'code' ? 0xffff : 0xff);
    return out;
  });

test('kernel: random programs, valid or not, get the same verdict from SO_ATTACH_FILTER and checkSocketFilter', { skip }, () => {
  const progs = [...fc.sample(rawProgram, { numRuns: 1500, seed: 8 }), ...fc.sample(mutatedProgram, { numRuns: 1500, seed: 8 })];
  const kernel = ask<number[]>('attach', progs.map(toRows));
  const mine = progs.map((p) => verdict(() => checkSocketFilter(p)));
  const differ = progs.filter((_, i) => kernel[i] !== mine[i]).map((p) => JSON.stringify(toRows(p)));
  assert.deepEqual(differ, []);
  const accepted = kernel.filter((x) => x === 0).length;
  assert.ok(accepted > 300 && accepted < 2700, `${accepted} of 3000 accepted: both verdicts are well represented`);
});

/** Small programs of stores, loads and jumps over M[0] and M[1]: every way check_load_and_stores can go. */
const memProgram = fc
  .array(fc.tuple(fc.nat({ max: 9 }), fc.nat({ max: 3 }), fc.nat({ max: 3 })), { minLength: 1, maxLength: 8 })
  .map((slots) => {
    const n = slots.length + 1;
    const body = slots.map(([pick, a, b], i): SockFilter => {
      const ahead = n - i - 2;
      const w = a & 1;
      switch (pick) {
        case 0:
        case 1:
          return { code: pick ? c.BPF_STX : c.BPF_ST, jt: 0, jf: 0, k: w };
        case 2:
        case 3:
          return { code: pick === 2 ? c.BPF_LD | c.BPF_MEM : c.BPF_LDX | c.BPF_MEM, jt: 0, jf: 0, k: w };
        case 4:
          return { code: c.BPF_JMP | c.BPF_JA, jt: 0, jf: 0, k: a % (ahead + 1) };
        case 5:
          return { code: c.BPF_RET | c.BPF_K, jt: 0, jf: 0, k: 0 };
        default:
          return { code: c.BPF_JMP | c.BPF_JEQ | c.BPF_K, jt: a % (ahead + 1), jf: b % (ahead + 1), k: 0 };
      }
    });
    return [...body, { code: c.BPF_RET | c.BPF_A, jt: 0, jf: 0, k: 0 }];
  });

test('kernel: scratch memory read before written: random store/load/jump programs get the same verdict', { skip }, () => {
  const progs = fc.sample(memProgram, { numRuns: 3000, seed: 15 });
  const kernel = ask<number[]>('attach', progs.map(toRows));
  const mine = progs.map((p) => verdict(() => checkSocketFilter(p)));
  const differ = progs.filter((_, i) => kernel[i] !== mine[i]).map((p) => JSON.stringify(toRows(p)));
  assert.deepEqual(differ, []);
  const accepted = kernel.filter((x) => x === 0).length;
  assert.ok(accepted > 500 && accepted < 2500, `${accepted} of 3000 accepted`);
});

test('kernel: seccomp(2) accepts exactly the filters prepareSeccomp accepts', { skip }, () => {
  // every opcode with k = 0 and 1, the loads with offsets around struct seccomp_data's end and alignment
  const probes = opcodeProbes().filter(([f]) => f!.k < 2);
  const loads = [0, 3, 4, 60, 61, 62, 64, 0xfffff000].map((k) => [{ code: 0x20, jt: 0, jf: 0, k }, { code: 6, jt: 0, jf: 0, k: 0 }]);
  const random = [...fc.sample(rawProgram, { numRuns: 150, seed: 9 }), ...fc.sample(mutatedProgram, { numRuns: 150, seed: 9 })];
  const progs = [...probes, ...loads, ...random];
  const kernel = ask<number[]>('seccomp-load', progs.map(toRows));
  const mine = progs.map((p) => verdict(() => prepareSeccomp(p)));
  const differ = progs.filter((_, i) => kernel[i] !== mine[i]).map((p) => JSON.stringify(toRows(p)));
  assert.deepEqual(differ, []);
  assert.ok(kernel.filter((x) => x === 0).length > 50);
});

// ---------------------------------------------------------------- running filters

/**
 * What a filter on an AF_PACKET socket of the loopback device sees: the
 * frame from its Ethernet header (the network header 14 bytes in), the
 * loopback device (ifindex 1, ARPHRD_LOOPBACK), eth_type_trans's protocol
 * and packet type, no mark, queue or VLAN tag.
 */
function packetSocketEnv(f: Uint8Array): ClassicEnv {
  const { protocol, pktType } = ethTypeTrans(f);
  return { netOffset: 14, macOffset: 0, protocol, pktType, ifindex: 1, hatype: ARPHRD_LOOPBACK };
}

/** What the socket receives: nothing for 0, else the frame cut to the return value. */
const received = (ret: number, len: number): number | null => (ret === 0 ? null : Math.min(ret, len));

// Ancillary loads whose value on the loopback socket is known (not cpu, random, rxhash, or the flow dissector's poff).
const SOCKET_ANCILLARY = [
  c.SKF_AD_PROTOCOL, c.SKF_AD_PKTTYPE, c.SKF_AD_IFINDEX, c.SKF_AD_NLATTR, c.SKF_AD_NLATTR_NEST, c.SKF_AD_MARK,
  c.SKF_AD_QUEUE, c.SKF_AD_HATYPE, c.SKF_AD_ALU_XOR_X, c.SKF_AD_VLAN_TAG, c.SKF_AD_VLAN_TAG_PRESENT, c.SKF_AD_VLAN_TPID,
];

/** A frame the loopback device carries back: a locally administered unicast destination no other traffic uses. */
const loFrame = frame.map((f) => {
  const out = new Uint8Array(f.length + 60);
  out.set(f);
  out.set([0x02, 0x5e, 0x42, 0x50, 0x46, 0x01]);
  // Linux takes 802.1Q and 802.1ad tags off received frames before packet sockets see them
  const type = (out[12]! << 8) | out[13]!;
  if (type === 0x8100 || type === 0x88a8) out.set([0x08, 0x06], 12);
  // netlink attributes at byte 20 so nla/nlan find something: {len 8, type 1}, {len 12, type 2 {len 8, type 3}}
  out.set([8, 0, 1, 0, 0xaa, 0xbb, 0xcc, 0xdd, 12, 0, 2, 0, 8, 0, 3, 0, 1, 2, 3, 4], 20);
  return out;
});

test('kernel: classic filters on an AF_PACKET socket keep what runClassic returns', { skip }, () => {
  const progs = fc.sample(classicProgram({ ancillary: SOCKET_ANCILLARY, negative: 'abs', maxBody: 30 }), { numRuns: 400, seed: 10 });
  const frames = fc.sample(loFrame, { numRuns: 4, seed: 11 });
  let compared = 0;
  const distinct = new Set<number | null>();
  for (const [n, f] of frames.entries()) {
    const batch = progs.slice(n * 100, n * 100 + 100);
    const kernel = ask<(number | null)[]>('packet', { ifname: 'lo', frame: Buffer.from(f).toString('hex'), progs: batch.map(toRows) });
    batch.forEach((p, i) => {
      const want = received(runClassic(p, f, packetSocketEnv(f)), f.length);
      assert.equal(kernel[i], want, `program ${JSON.stringify(toRows(p))} on ${Buffer.from(f).toString('hex')}`);
      distinct.add(want);
      compared++;
    });
  }
  assert.equal(compared, 400);
  assert.ok(distinct.size > 10, `the programs returned ${distinct.size} different results`);
});

test('kernel: translated filters, loaded as eBPF socket filters and test-run by Linux, return what runClassic returns', { skip }, () => {
  // no unreachable code, which Linux's eBPF verifier refuses (converted classic programs skip it)
  const progs = fc.sample(classicProgram({ ancillary: SOCKET_ANCILLARY.filter((a) => a !== c.SKF_AD_NLATTR && a !== c.SKF_AD_NLATTR_NEST), negative: 'all', maxBody: 30 }), {
    numRuns: 250,
    seed: 12,
  });
  const frames = fc.sample(frame, { numRuns: 250, seed: 13 });
  const cases = progs.map((p, i) => ({ insns: translate(p, { hatype: ARPHRD_LOOPBACK }), data: Buffer.from(frames[i]!).toString('hex') }));
  const kernel = ask<{ accepted: boolean; retval?: number; error?: string }[]>('ebpf-run', cases);
  let ran = 0;
  kernel.forEach((k, i) => {
    if (!k.accepted) {
      // the only refusal allowed: classic dead code, which Linux never verifies
      assert.match(k.error ?? '', /unreachable insn/, `insn ${i}: ${k.error}`);
      return;
    }
    const { packet, env } = testRunEnv(frames[i]!);
    assert.equal(k.retval, runClassic(progs[i]!, packet, env), `program ${JSON.stringify(toRows(progs[i]!))} on ${cases[i]!.data}`);
    ran++;
  });
  assert.ok(ran > 150, `${ran} of 250 translated programs passed Linux's verifier`);
});

test('kernel: 32-bit ALU edge cases (shifts by X of 32 and more, division by X = 0, wrap-around) as Linux computes them', { skip }, () => {
  const values = [0, 1, 31, 32, 33, 0x7fffffff, 0x80000000, 0xffffffff];
  const ops = [c.BPF_ADD, c.BPF_SUB, c.BPF_MUL, c.BPF_DIV, c.BPF_MOD, c.BPF_AND, c.BPF_OR, c.BPF_XOR, c.BPF_LSH, c.BPF_RSH, c.BPF_NEG];
  const progs: SockFilter[][] = [];
  for (const op of ops) {
    for (const a of values) {
      for (const x of values) {
        progs.push(fromRows([[c.BPF_LD | c.BPF_IMM, 0, 0, a], [c.BPF_LDX | c.BPF_IMM, 0, 0, x], [c.BPF_ALU | op | (op === c.BPF_NEG ? 0 : c.BPF_X), 0, 0, 0], [c.BPF_RET | c.BPF_A, 0, 0, 0]]));
      }
    }
  }
  const data = Buffer.alloc(34).toString('hex');
  const kernel = ask<{ accepted: boolean; retval?: number; error?: string }[]>('ebpf-run', progs.map((p) => ({ insns: translate(p), data })));
  const { packet, env } = testRunEnv(new Uint8Array(34));
  progs.forEach((p, i) => {
    assert.ok(kernel[i]!.accepted, kernel[i]!.error);
    assert.equal(kernel[i]!.retval, runClassic(p, packet, env), JSON.stringify(toRows(p)));
  });
});

test('kernel: ld [x + k] adds X and k modulo 2^32, and negative sums reach the headers as SKF_*_OFF offsets', { skip }, () => {
  const xs = [0, 1, 14, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];
  const ks = [0, 1, 16, 0x7fffffff, 0x80000000, 0xfffffff2, c.SKF_NET_OFF >>> 0, (c.SKF_LL_OFF + 20) >>> 0];
  const progs: SockFilter[][] = [];
  for (const size of [c.BPF_W, c.BPF_H, c.BPF_B]) {
    for (const x of xs) for (const k of ks) progs.push(fromRows([[c.BPF_LDX | c.BPF_IMM, 0, 0, x], [c.BPF_LD | size | c.BPF_IND, 0, 0, k], [c.BPF_ALU | c.BPF_ADD | c.BPF_K, 0, 0, 1], [c.BPF_RET | c.BPF_A, 0, 0, 0]]));
  }
  const f = Uint8Array.from({ length: 60 }, (_, i) => (i * 37 + 11) & 0xff);
  f.set([0x08, 0x06], 12);
  const data = Buffer.from(f).toString('hex');
  const kernel = ask<{ accepted: boolean; retval?: number; error?: string }[]>('ebpf-run', progs.map((p) => ({ insns: translate(p), data })));
  const { packet, env } = testRunEnv(f);
  const results = progs.map((p, i) => {
    assert.ok(kernel[i]!.accepted, kernel[i]!.error);
    assert.equal(kernel[i]!.retval, runClassic(p, packet, env), JSON.stringify(toRows(p)));
    return kernel[i]!.retval;
  });
  // loads that fail (the filter returns 0) and loads that read (value + 1; X = k = 2^31 reads byte 0)
  const failed = results.filter((r) => r === 0).length;
  assert.ok(failed > 20 && results.length - failed > 20, `${failed} of ${results.length} loads failed`);
});

test('kernel: netlink attribute lookups (ld [nla], ld [nlan]) as Linux does them', { skip }, () => {
  // attributes from byte 20: {len 5, type 1} (padded to 8), {len 16, type 0x4002 nested: {len 6, type 3}, {len 4, type 4}}, {len 4, type 5}
  const f = new Uint8Array(80);
  f.set([0x02, 0x5e, 0x42, 0x50, 0x46, 0x02, 0, 0, 0, 0, 0, 0, 0x08, 0x06]);
  f.set([5, 0, 1, 0, 0xee, 0, 0, 0, 16, 0, 2, 0x40, 6, 0, 3, 0, 9, 9, 0, 0, 4, 0, 4, 0, 4, 0, 5, 0], 20);
  const progs: SockFilter[][] = [];
  for (const anc of [c.SKF_AD_NLATTR, c.SKF_AD_NLATTR_NEST]) {
    for (let a = 0; a <= 50; a += 2) {
      for (let t = 0; t <= 6; t++) {
        // keep 1 + the offset found, so a 0 (not found) still shows
        progs.push(fromRows([[c.BPF_LD | c.BPF_IMM, 0, 0, a], [c.BPF_LDX | c.BPF_IMM, 0, 0, t], [c.BPF_LD | c.BPF_W | c.BPF_ABS, 0, 0, (c.SKF_AD_OFF + anc) >>> 0], [c.BPF_ALU | c.BPF_ADD | c.BPF_K, 0, 0, 1], [c.BPF_RET | c.BPF_A, 0, 0, 0]]));
      }
    }
  }
  const kernel = ask<(number | null)[]>('packet', { ifname: 'lo', frame: Buffer.from(f).toString('hex'), progs: progs.map(toRows) });
  const mine = progs.map((p) => received(runClassic(p, f, packetSocketEnv(f)), f.length));
  assert.deepEqual(mine, kernel);
  assert.ok(new Set(kernel).size >= 5, `offsets found: ${[...new Set(kernel)].join(', ')}`);
});

test('kernel: stacked seccomp filters take the action evaluateSeccomp predicts for a real system call', { skip }, () => {
  // Each filter decides only for system call 999 (none on x86-64 or arm64) and allows the rest, so the child can report.
  const NR = 999;
  const guard = (body: SockFilter[]): SockFilter[] => [
    { code: c.BPF_LD | c.BPF_W | c.BPF_ABS, jt: 0, jf: 0, k: 0 },
    { code: c.BPF_JMP | c.BPF_JEQ | c.BPF_K, jt: 1, jf: 0, k: NR },
    { code: c.BPF_RET | c.BPF_K, jt: 0, jf: 0, k: 0x7fff0000 },
    ...body,
  ];
  // every action, and one Linux does not know (0x00010000)
  const action = fc.constantFrom(0x7fff0000, 0x7ffc0000, 0x00050000, 0x80000000, 0x00030000, 0x7ff00000, 0x7fc00000, 0, 0x00010000);
  const ret = fc.tuple(action, fc.nat({ max: 99 })).map(([a, d]) => (a | d) >>> 0);
  // a body compares one argument word (low or high half) with a constant and returns one of two actions
  const body = fc.tuple(fc.nat({ max: 5 }), fc.boolean(), u32, fc.constantFrom(c.BPF_JEQ, c.BPF_JGT, c.BPF_JGE, c.BPF_JSET), ret, ret).map(
    ([arg, high, k, op, yes, no]): SockFilter[] => [
      { code: c.BPF_LD | c.BPF_W | c.BPF_ABS, jt: 0, jf: 0, k: 16 + 8 * arg + (high ? 4 : 0) },
      { code: c.BPF_JMP | op | c.BPF_K, jt: 0, jf: 1, k },
      { code: c.BPF_RET | c.BPF_K, jt: 0, jf: 0, k: yes },
      { code: c.BPF_RET | c.BPF_K, jt: 0, jf: 0, k: no },
    ],
  );
  const arg = fc.oneof(fc.constantFrom(0n, 1n, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
  const cases = fc.sample(fc.tuple(fc.array(body, { minLength: 1, maxLength: 3 }), fc.array(arg, { minLength: 6, maxLength: 6 })), { numRuns: 100, seed: 14 });
  const kernel = ask<{ errno?: number; signal?: number; ret?: number; error?: string }[]>(
    'seccomp-run',
    cases.map(([bodies, args]) => ({ filters: bodies.map((b) => toRows(guard(b))), nr: NR, args: args.map(String) })),
  );
  const seen = new Set<string>();
  cases.forEach(([bodies, args], i) => {
    const v = evaluateSeccomp(bodies.map((b) => loadSeccompFilter(guard(b))), { nr: NR, arch: 0xc000003e, args });
    const k = kernel[i]!;
    seen.add(v.action);
    const what = `case ${i}: ${v.action}(${v.data}) from ${JSON.stringify(v.rets)}; kernel ${JSON.stringify(k)}`;
    if (v.action === 'ERRNO') assert.deepEqual(k, { errno: v.data }, what);
    // ALLOW and LOG run the call (999 does not exist: ENOSYS); TRACE without a tracer and USER_NOTIF without a listener fail it with ENOSYS
    else if (['ALLOW', 'LOG', 'TRACE', 'USER_NOTIF'].includes(v.action)) assert.deepEqual(k, { errno: 38 }, what);
    // KILL_PROCESS (and unknown actions), KILL_THREAD (of the only thread) and TRAP end the child with SIGSYS
    else assert.deepEqual(k, { signal: 31 }, what);
    if (!v.known) seen.add('unknown');
  });
  assert.ok(seen.size >= 8, `actions seen: ${[...seen].join(', ')}`);
});

test('kernel: seccomp filter data words are the little-endian halves of each argument', { skip }, () => {
  // the low word of args[0] at offset 16, the high word at 20: ERRNO(1) if the high word is 0x12345678, else ERRNO(2)
  const prog = fromRows([
    [0x20, 0, 0, 0], [0x15, 1, 0, 999], [0x06, 0, 0, 0x7fff0000],
    [0x20, 0, 0, 20], [0x15, 0, 1, 0x12345678], [0x06, 0, 0, 0x50001], [0x06, 0, 0, 0x50002],
  ]);
  const args = [0x12345678_9abcdef0n, 0x9abcdef0_12345678n];
  const kernel = ask<{ errno?: number }[]>('seccomp-run', args.map((a) => ({ filters: [toRows(prog)], nr: 999, args: [String(a)] })));
  const mine = args.map((a) => evaluateSeccomp([loadSeccompFilter(prog)], { nr: 999, arch: 0xc000003e, args: [a] }).data);
  assert.deepEqual(kernel.map((k) => k.errno), [1, 2]);
  assert.deepEqual(mine, [1, 2]);
  // an errno above MAX_ERRNO is clamped to 4095
  const big = fromRows([[0x20, 0, 0, 0], [0x15, 1, 0, 999], [0x06, 0, 0, 0x7fff0000], [0x06, 0, 0, 0x5ffff]]);
  const [clamped] = ask<{ errno?: number }[]>('seccomp-run', [{ filters: [toRows(big)], nr: 999, args: [] }]);
  assert.equal(clamped!.errno, 4095);
  assert.equal(evaluateSeccomp([loadSeccompFilter(big)], { nr: 999, arch: 0xc000003e }).data, 4095);
});
