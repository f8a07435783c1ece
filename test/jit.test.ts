import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { BpfError } from '../src/errno.js';
import { readVectorFile } from '../src/cli/load-program.js';
import { assemble } from '../src/isa/asm.js';
import { Insn, insn, lddw } from '../src/isa/instruction.js';
import * as o from '../src/isa/opcodes.js';
import { validate } from '../src/isa/validate.js';
import { DataFile } from '../src/vectors/datafile.js';
import { runVector } from '../src/vectors/run.js';
import { execute } from '../src/vm/execute.js';
import { Interpreter } from '../src/vm/interpreter.js';
import { compileProgram } from '../src/vm/jit/compile.js';
import { JitEngine } from '../src/vm/jit/engine.js';
import { AddressSpace, Region } from '../src/vm/memory.js';
import { EXIT, EngineClass, Rig, Run, RunSetup, aluArb, describeStats, differentialProperty, inputArb, jumpArb, loopCallCount, newStats } from './jit-gen.js';

/**
 * The JIT (src/vm/jit) against the interpreter, the reference engine:
 * 1. every conformance vector gives the same outcome on both engines (r0,
 *    executed, or errno and message), hence the same pass set;
 * 2. random valid programs give the same r0, memory, error and count;
 * 3. edge cases and error messages, one by one.
 */

const CONFORMANCE = path.resolve(process.cwd(), '../shared/conformance');

function vectorFiles(): string[] {
  const root = CONFORMANCE;
  const names = readdirSync(root, { recursive: true, withFileTypes: false }) as string[];
  return names.filter((n) => n.endsWith('.data')).sort();
}

function loadVector(name: string): DataFile | undefined {
  try {
    return readVectorFile(path.join(CONFORMANCE, name));
  } catch (e) {
    if (e instanceof BpfError) return undefined; // a negative vector that does not parse
    throw e;
  }
}

test('conformance: every vector has the same outcome on the JIT as on the interpreter', () => {
  const files = vectorFiles();
  assert.equal(files.length, 450);
  let pass = 0;
  let ran = 0;
  for (const name of files) {
    const data = loadVector(name);
    if (!data) continue;
    const interp = runVector(data, { engine: 'interp' });
    const jit = runVector(data, { engine: 'jit' });
    // r0 and executed, or the stage, errno and whole message of the error
    assert.deepEqual(jit.outcome, interp.outcome, `${name}: jit ${jit.reason} / interp ${interp.reason}`);
    assert.equal(jit.status, interp.status, name);
    if (jit.status === 'pass') pass++;
    if (jit.outcome.kind === 'result') ran++;
  }
  console.log(`jit conformance: ${files.length} vectors, ${pass} pass on both engines, ${ran} ran to a result`);
});

test('conformance: every bpf_conformance vector passes on the JIT', () => {
  const names = (readdirSync(path.join(CONFORMANCE, 'bpf_conformance')) as string[]).filter((n) => n.endsWith('.data'));
  assert.equal(names.length, 313);
  const failed = names.filter((n) => runVector(readVectorFile(path.join(CONFORMANCE, 'bpf_conformance', n)), { engine: 'jit' }).status !== 'pass');
  assert.deepEqual(failed, []);
});

function runBoth(insns: readonly Insn[], setup: RunSetup = {}): Run {
  const interp = new Rig(Interpreter, insns, setup).run();
  const jit = new Rig(JitEngine, insns, setup).run();
  assert.deepEqual(jit, interp);
  return jit;
}

/**
 * Programs compared in this file, in-process; test/jit-differential.test.ts
 * runs 100,000 more in worker threads. JIT_DIFF_RUNS=N overrides.
 */
const DIFF_RUNS = Number(process.env.JIT_DIFF_RUNS ?? 2_000);

test(`differential: ${DIFF_RUNS} random programs give the same r0, memory, error and count on both engines`, () => {
  const stats = newStats();
  const loopsBefore = loopCallCount();
  fc.assert(differentialProperty(stats), { numRuns: DIFF_RUNS });
  console.log(`jit differential: ${describeStats(stats, loopCallCount() - loopsBefore)}`);
});

/**
 * Arbitrary control flow: every slot an ALU op or a jump (conditional,
 * unconditional, may_goto, exit, local call) to any slot, so graphs are
 * irreducible as often as not; the budget ends the loops.
 */
const CFG_RUNS = Number(process.env.JIT_CFG_RUNS ?? 2000);

const cfgSlotArb = (n: number): fc.Arbitrary<Insn> =>
  fc.oneof(
    { arbitrary: aluArb.map((it) => (it as { ins: Insn }).ins), weight: 6 },
    { arbitrary: fc.record({ j: jumpArb, to: fc.nat({ max: n - 1 }) }).map(({ j, to }) => ({ ...j, off: to })), weight: 4 },
    { arbitrary: fc.nat({ max: n - 1 }).map((to) => ({ ...insn(o.BPF_JMP | o.BPF_JA), off: to })), weight: 1 },
    { arbitrary: fc.nat({ max: n - 1 }).map((to) => ({ ...insn(o.BPF_JMP | o.BPF_JCOND), off: to })), weight: 1 },
    { arbitrary: fc.nat({ max: n - 1 }).map((to) => ({ ...insn(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_PSEUDO_CALL), imm: to })), weight: 1 },
    { arbitrary: fc.constant(EXIT), weight: 1 },
  );

/** Slot i's `off` (or a call's `imm`) holds an absolute target: make it relative. */
function relative(slots: readonly Insn[]): Insn[] {
  return slots.map((ins, i) => {
    if (ins.code === (o.BPF_JMP | o.BPF_CALL)) return { ...ins, imm: ins.imm - (i + 1) };
    const jump = o.cls(ins.code) === o.BPF_JMP || o.cls(ins.code) === o.BPF_JMP32;
    return jump && ins.code !== EXIT.code ? { ...ins, off: ins.off - (i + 1) } : ins;
  });
}

test(`differential: ${CFG_RUNS} programs with arbitrary (often irreducible) control flow`, () => {
  let irreducible = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 40 }).chain((n) => fc.array(cfgSlotArb(n), { minLength: n, maxLength: n })),
      inputArb,
      fc.constantFrom(50, 500, 5000),
      (slots, input, budget) => {
        // r2, r3 from the input; relative targets stay right behind the two loads
        const insns = [insn(o.BPF_LDX | o.BPF_MEM | o.BPF_DW, 2, 1, 8), insn(o.BPF_LDX | o.BPF_MEM | o.BPF_DW, 3, 1, 16), ...relative(slots), EXIT];
        validate(insns);
        const c = compileProgram(insns, { stackStart: 65536, stackEnd: 69632, hasHelper: () => true });
        if (c.structured < c.functions) irreducible++;
        runBoth(insns, { input, budget });
      },
    ),
    { numRuns: CFG_RUNS },
  );
  console.log(`jit arbitrary control flow: ${CFG_RUNS} programs, ${irreducible} with an irreducible function (dispatch loop)`);
});

// ---------------------------------------------------------------------------
// Edge cases (3). Many cases share one program: case k stores its result at
// [input + 8k], so one compile covers a whole table.

interface AluCase {
  code: number;
  off: number;
  a: bigint;
  /** register operand (X forms) */
  b?: bigint;
  /** immediate operand (K forms) */
  imm?: number;
}

function aluTable(cases: readonly AluCase[]): bigint[] {
  const prog: Insn[] = [insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, 9, 1)];
  for (const c of cases) {
    prog.push(...lddw(0, c.a), ...lddw(2, c.b ?? 0n));
    prog.push(c.b === undefined ? insn(c.code, 0, 0, c.off, c.imm ?? 0) : insn(c.code, 0, 2, c.off));
    prog.push(insn(o.BPF_STX | o.BPF_MEM | o.BPF_DW, 9, 0), insn(o.BPF_ALU64 | o.BPF_ADD | o.BPF_K, 9, 0, 0, 8));
  }
  prog.push(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, 0, 0, 0, 0), EXIT);
  const r = runBoth(prog, { input: new Uint8Array(8 * cases.length) });
  const view = new DataView(r.mem.buffer, r.mem.byteOffset);
  return cases.map((_, k) => view.getBigUint64(8 * k, true));
}

/** The ISA's result (RFC 9669 §4.1, ISA-NOTES §2.4–2.8) of a two-operand ALU operation. */
function model(op: number, wide: boolean, signed: boolean, a: bigint, b: bigint): bigint {
  const w = wide ? 64 : 32;
  const U = (v: bigint): bigint => BigInt.asUintN(w, v);
  const S = (v: bigint): bigint => BigInt.asIntN(w, v);
  const [x, y] = [U(a), U(b)];
  const n = y & BigInt(w - 1);
  const table: Record<number, () => bigint> = {
    [o.BPF_ADD]: () => x + y,
    [o.BPF_SUB]: () => x - y,
    [o.BPF_MUL]: () => x * y,
    [o.BPF_DIV]: () => (y === 0n ? 0n : signed ? S(x) / S(y) : x / y),
    [o.BPF_MOD]: () => (y === 0n ? x : signed ? S(x) % S(y) : x % y),
    [o.BPF_OR]: () => x | y,
    [o.BPF_AND]: () => x & y,
    [o.BPF_XOR]: () => x ^ y,
    [o.BPF_LSH]: () => x << n,
    [o.BPF_RSH]: () => x >> n,
    [o.BPF_ARSH]: () => S(x) >> n,
    [o.BPF_MOV]: () => y,
  };
  return U(table[op]!());
}

const EDGES = [0n, 1n, 2n, 3n, 0xffffffffffffffffn, 0xfffffffffffffffdn, 1n << 63n, (1n << 63n) - 1n, 0x80000000n, 0x7fffffffn, 0xffffffffn, 0xffffffff80000000n, 0x100000000n, 13n, 0xfffffffffffffff3n, 63n, 64n, 65n];
const EDGE_IMMS = [0, 1, -1, 3, -3, 0x7fffffff, -0x80000000, 31, 32, 33, 63, 64, -60, 13, -13];
const TWO_OPERAND = [o.BPF_ADD, o.BPF_SUB, o.BPF_MUL, o.BPF_DIV, o.BPF_MOD, o.BPF_OR, o.BPF_AND, o.BPF_XOR, o.BPF_LSH, o.BPF_RSH, o.BPF_ARSH, o.BPF_MOV];

for (const wide of [true, false]) {
  test(`${wide ? 'ALU64' : 'ALU'}: every two-operand op, signed div/mod included, on edge values (x/0, x%0, INT_MIN/-1, shift masking, zero extension)`, () => {
    const cls = wide ? o.BPF_ALU64 : o.BPF_ALU;
    const cases: (AluCase & { op: number; signed: boolean })[] = [];
    for (const op of TWO_OPERAND) {
      for (const signed of op === o.BPF_DIV || op === o.BPF_MOD ? [false, true] : [false]) {
        const off = signed ? 1 : 0;
        for (const a of EDGES) {
          for (const b of EDGES) cases.push({ code: cls | op | o.BPF_X, off, a, b, op, signed });
          for (const imm of EDGE_IMMS) cases.push({ code: cls | op | o.BPF_K, off, a, imm, op, signed });
        }
      }
    }
    const got = aluTable(cases);
    cases.forEach((c, k) => {
      // a K operand is sign-extended to 64 bits; a 32-bit op then uses its low half
      const b = c.b ?? BigInt.asUintN(64, BigInt(c.imm!));
      assert.equal(got[k], model(c.op, wide, c.signed, c.a, b), `${c.code.toString(16)} off ${c.off}: ${c.a} op ${b}`);
    });
  });
}

test('unary ops: neg, movsx, le/be/bswap on edge values', () => {
  const cases: AluCase[] = [];
  const expect: bigint[] = [];
  const u = (w: number, v: bigint): bigint => BigInt.asUintN(w, v);
  const swap = (v: bigint, bits: number): bigint => {
    let r = 0n;
    for (let i = 0; i < bits / 8; i++) r = (r << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
    return r;
  };
  for (const a of [...EDGES, 0x1122334455667788n, 0x8877665544332211n]) {
    cases.push({ code: o.BPF_ALU64 | o.BPF_NEG, off: 0, a }, { code: o.BPF_ALU | o.BPF_NEG, off: 0, a });
    expect.push(u(64, -a), u(32, -a));
    for (const w of [8, 16, 32]) {
      cases.push({ code: o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, off: w, a: 0n, b: a });
      expect.push(u(64, BigInt.asIntN(w, a)));
      if (w === 32) continue;
      cases.push({ code: o.BPF_ALU | o.BPF_MOV | o.BPF_X, off: w, a: 0n, b: a });
      expect.push(u(32, BigInt.asIntN(w, a)));
    }
    for (const bits of [16, 32, 64]) {
      cases.push({ code: o.BPF_ALU | o.BPF_END | o.BPF_TO_BE, off: 0, a, imm: bits }, { code: o.BPF_ALU64 | o.BPF_END, off: 0, a, imm: bits });
      expect.push(swap(a, bits), swap(a, bits));
      cases.push({ code: o.BPF_ALU | o.BPF_END | o.BPF_TO_LE, off: 0, a, imm: bits });
      expect.push(u(bits, a));
    }
  }
  assert.deepEqual(aluTable(cases), expect);
});

test('le32 of a register other than r0 truncates that register, on both engines', () => {
  const prog = assemble('mov %r0, 7\nlddw %r3, 0x1122334455667788\nle32 %r3\nmov %r0, %r3\nexit');
  assert.equal(runOn(JitEngine, prog).r0, 0x55667788n);
  assert.equal(runOn(Interpreter, prog).r0, 0x55667788n);
});

function runOn(Engine: EngineClass, insns: readonly Insn[], setup: RunSetup = {}): Run {
  return new Rig(Engine, insns, setup).run();
}

test('loads: sign-extending and zero-extending, every size, from the input and the stack', () => {
  const input = Uint8Array.from([0x80, 0xff, 0x7f, 0x81, 0x01, 0x80, 0xfe, 0xff]);
  const text = `
    ldxdw %r2, [%r1]
    stxdw [%r10-8], %r2
    ldxsb %r0, [%r1]
    ldxsh %r3, [%r1+2]
    add %r0, %r3
    ldxsw %r3, [%r10-4]
    add %r0, %r3
    ldxb %r3, [%r10-1]
    add %r0, %r3
    ldxh %r3, [%r1+6]
    add %r0, %r3
    ldxw %r3, [%r10-8]
    add %r0, %r3
    exit`;
  const want = BigInt.asUintN(64, -128n + -32385n /* 0x817f */ + -0x17fffn /* 0xfffe8001 */ + 0xffn + 0xfffen + 0x817fff80n);
  assert.equal(runBoth(assemble(text), { input }).r0, BigInt.asUintN(64, want));
});

test('atomics: 32- and 64-bit fetch forms, xchg, cmpxchg zero-extend what they write to registers', () => {
  const text = `
    lddw %r0, 0xffffffff00000005
    stxdw [%r10-8], %r0
    lddw %r2, 0xffffffff00000003
    lock fetch add32 [%r10-8], %r2
    mov %r6, %r2
    lddw %r3, 0x1234
    lock xchg [%r10-8], %r3
    mov %r7, %r3
    lddw %r0, 0xffffffff00001234
    lddw %r4, 0x99
    lock cmpxchg32 [%r10-8], %r4
    lock fetch xor [%r1], %r4
    lock and32 [%r1+8], %r6
    lock or [%r1+16], %r7
    lock fetch or32 [%r1+20], %r0
    exit`;
  const input = new Uint8Array(24).fill(0xa5);
  const r = runBoth(assemble(text), { input });
  assert.equal(r.r0, 0xffffffffn);
  const words = [0, 8, 16].map((k) => new DataView(r.mem.buffer, r.mem.byteOffset).getBigUint64(k, true));
  assert.deepEqual(words, [0xa5a5a5a5a5a5a5a5n ^ 0x99n, 0xa5a5a5a500000005n, 0xffffffffa5a5a5adn]);
  assert.deepEqual([...r.stack.slice(-8)], [0x99, 0, 0, 0, 0, 0, 0, 0]);
});

test('lddw: the low half is not sign-extended; src 4 loads the target slot index', () => {
  assert.equal(runBoth([...lddw(0, 0x80000000n), EXIT]).r0, 0x80000000n);
  const fnptr = lddw(0, 0n, o.BPF_PSEUDO_FUNC);
  fnptr[0] = { ...fnptr[0], imm: 1 };
  const prog = [...fnptr, EXIT, EXIT];
  validate(prog);
  assert.equal(runBoth(prog).r0, 2n);
});

test('local calls: r6–r9 survive, r0–r5 come back from the callee, each frame gets its own r10', () => {
  const text = `
    mov %r6, 6
    mov %r9, 9
    mov %r1, 1
    stxdw [%r10-8], %r10
    call local f
    ldxdw %r2, [%r10-8]
    sub %r2, %r0
    mov %r0, %r2
    lsh %r0, 16
    add %r0, %r6
    lsh %r0, 8
    add %r0, %r1
    lsh %r0, 8
    add %r0, %r9
    exit
  f:
    mov %r6, 66
    mov %r9, 99
    mov %r1, 11
    mov %r0, %r10
    stxdw [%r10-8], %r0
    exit`;
  assert.equal(runBoth(assemble(text)).r0, (512n << 32n) | (6n << 16n) | (11n << 8n) | 9n);
});

test('local calls: the ninth frame is E2BIG at the call, as the interpreter', () => {
  const r = runBoth(assemble('call local f\nexit\nf:\nadd %r0, 1\ncall local f\nexit'));
  assert.match(r.error!, /^E2BIG: pc 3: the call stack of 9 frames is too deep \(at most 8\)$/);
});

test('helper calls: static, callx (id in dst), unknown id, HelperExit', () => {
  assert.equal(runBoth(assemble('mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, -1\ncall 3\nexit')).r0, 9n);
  assert.equal(runBoth(assemble('mov %r1, 5\nmov %r2, 4\ncall %r2\nexit')).r0, BigInt.asUintN(64, -5n));
  assert.match(runBoth(assemble('mov %r0, 1\ncall 77\nexit')).error!, /^EINVAL: pc 1: invalid func unknown#77 /);
  assert.match(runBoth(assemble('mov %r3, -9\ncall %r3\nexit')).error!, /^EINVAL: pc 1: invalid func unknown#4294967287 /);
  const exit0 = runBoth(assemble('mov %r0, 3\nmov %r1, 0\ncall 5\nmov %r0, 4\nexit'));
  assert.deepEqual([exit0.r0, exit0.executed], [0n, 0]);
});

test('helper calls: a helper that grows the memory; its env faults name the call pc', () => {
  const text = 'call 6\nstxdw [%r10-8], %r0\nldxdw %r0, [%r10-8]\nexit';
  assert.ok(runBoth(assemble(text)).r0! > 0n);
  const r = runBoth(assemble('mov %r0, 0\nmov %r1, 8\nmov %r2, 4\ncall 1\nexit'));
  assert.match(r.error!, /^EFAULT: pc 3: invalid read of 4 bytes at 0x8: outside every region mapped for this run \(stack \[0x10000, 0x11000\), mem \[0x11000, 0x11000\)\)$/);
});

test('may_goto falls through 8M times, then jumps', () => {
  const r = runBoth(assemble('may_goto +2\nadd %r0, 1\nja -3\nexit'), { budget: 30_000_000 });
  assert.deepEqual([r.r0, r.executed], [8n * 1024n * 1024n, 3 * 8 * 1024 * 1024 + 2]);
});

test('LD_ABS / LD_IND: big-endian packet bytes, r1–r5 cleared; out of range returns 0; no packet is EINVAL', () => {
  const input = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const text = 'mov %r6, %r1\nmov %r1, 9\nmov %r7, 2\nldabsh 1\nmov %r8, %r0\nldindw %r7, 1\nadd %r0, %r8\nadd %r0, %r1\nexit';
  assert.equal(runBoth(assemble(text), { input, packet: true }).r0, 0x04050607n + 0x0203n);
  const out = runBoth(assemble('mov %r0, 5\nldabsw 6\nexit'), { input, packet: true });
  assert.deepEqual([out.r0, out.executed], [0n, 0]);
  assert.match(runBoth(assemble('ldabsb 0\nexit'), { input }).error!, /^EINVAL: pc 0: legacy packet load needs a packet/);
});

test('EFAULT: reads and writes outside the regions, read-only regions, addresses that wrap — the interpreter\'s messages', () => {
  const input = new Uint8Array(16);
  const outside = '\\(stack \\[0x10000, 0x11000\\), mem \\[0x11000, 0x11010\\)\\)$';
  const cases: [string, RegExp][] = [
    ['ldxdw %r0, [%r1+12]\nexit', new RegExp(`^EFAULT: pc 0: invalid read of 8 bytes at 0x1100c: outside every region mapped for this run ${outside}`)],
    ['mov %r0, 0\nstb [%r10-4097], 1\nexit', /^EFAULT: pc 1: invalid write of 1 byte at 0xffff: outside every region/],
    ['mov %r0, 0\nstxw [%r10+16], %r0\nexit', /^EFAULT: pc 1: invalid write of 4 bytes at 0x11010: outside/],
    ['mov %r2, 0\nldxh %r0, [%r2-8]\nexit', /^EFAULT: pc 1: invalid read of 2 bytes at 0x0-8: outside/],
    ['lddw %r2, 0x100011000\nldxb %r0, [%r2]\nexit', /^EFAULT: pc 2: invalid read of 1 byte at 0x100011000: outside/],
    ['mov %r0, 0\nlddw %r2, 0xffffffff\nstdw [%r2+16], 1\nexit', /^EFAULT: pc 3: invalid write of 8 bytes at 0xffffffff\+16: outside/],
    ['mov %r0, 0\nlock add [%r1+16], %r0\nexit', /^EFAULT: pc 1: invalid write of 8 bytes at 0x11010: outside/],
  ];
  for (const [text, want] of cases) assert.match(runBoth(assemble(text), { input }).error ?? 'no error', want, text);
  const ro = (space: AddressSpace): Region[] => [{ ...space.map(new Uint8Array(8), 'ctx'), writable: false }];
  const load = 'ldxdw %r0, [%r1+16]\nexit'; // the ctx region follows the input
  assert.equal(runBoth(assemble(load), { input, extra: ro }).r0, 0n);
  const store = 'mov %r0, 0\nstxdw [%r1+16], %r0\nexit';
  assert.match(runBoth(assemble(store), { input, extra: ro }).error!, /^EFAULT: pc 1: invalid write of 8 bytes at 0x11010: the ctx region is read-only$/);
});

test('EFAULT: the last-hit region of one run is not trusted by the next run', () => {
  const prog = assemble('ldxdw %r0, [%r1]\nexit');
  for (const Engine of [Interpreter, JitEngine]) {
    const space = new AddressSpace();
    const vm = new Engine(prog, { space });
    const a = space.map(Uint8Array.of(7, 0, 0, 0, 0, 0, 0, 0), 'a');
    const b = space.map(new Uint8Array(8), 'b');
    assert.equal(vm.run([BigInt(a.start)], [a]), 7n);
    assert.throws(() => vm.run([BigInt(a.start)], [b]), /^BpfError: pc 0: invalid read of 8 bytes at 0x11000: outside every region mapped for this run \(stack \[0x10000, 0x11000\), b \[0x11008, 0x11010\)\)$/);
    assert.equal(vm.run([BigInt(b.start)], [b]), 0n);
  }
});

test('E2BIG: the budget stops a runaway loop at the taken jump, with the interpreter\'s count; exit does not check it', () => {
  const loop = runBoth(assemble('mov %r0, 0\nadd %r0, 1\nja -2\nexit'), { budget: 100 });
  assert.equal(loop.error, 'E2BIG: pc 2: instruction budget of 100 exhausted (runaway program?)');
  assert.equal(loop.executed, 100);
  const straight = runBoth(assemble('mov %r0, 1\nmov %r0, 2\nmov %r0, 3\nmov %r0, 4\nexit'), { budget: 2 });
  assert.deepEqual([straight.r0, straight.executed, straight.error], [4n, 5, undefined]);
  const call = runBoth(assemble('mov %r0, 1\nmov %r0, 2\ncall local f\nexit\nf:\nexit'), { budget: 2 });
  assert.equal(call.error, 'E2BIG: pc 2: instruction budget of 2 exhausted (runaway program?)');
});

test('running off the end is EINVAL at slot n; a kfunc call is ENOTSUPP', () => {
  assert.equal(runBoth([insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, 0, 0, 0, 1)]).error, 'EINVAL: pc 1: ran past the last instruction (the program must end with exit or a jump)');
  const kfunc = [insn(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_PSEUDO_KFUNC_CALL, 0, 1234), EXIT];
  assert.equal(runBoth(kfunc).error, 'ENOTSUPP: pc 0: kfunc call (BTF id 1234) needs a runtime that provides kfuncs');
});

test('control flow: an irreducible graph compiles to the dispatch loop and runs as the interpreter', () => {
  // two entries into the loop 4..8: falling into 4, jumping to 6
  const text = 'mov %r3, %r2\nmov %r0, 0\nmov %r2, 5\njeq %r3, 0, +2\nadd %r0, 1\nadd %r0, 10\nadd %r0, 100\nsub %r2, 1\njne %r2, 0, -5\nexit';
  const prog = assemble(text);
  assert.equal(compileProgram(prog, { stackStart: 65536, stackEnd: 69632, hasHelper: () => false }).structured, 0);
  assert.equal(runBoth(prog).r0, 544n);
  assert.equal(runBoth(prog, { input: new Uint8Array(1) }).r0, 555n);
});

test('control flow: a function of more than 4000 blocks uses the dispatch loop', () => {
  const text = [...Array.from({ length: 4500 }, (_, k) => `jgt %r0, ${k}, +1\nadd %r0, 1`), 'exit'].join('\n');
  const prog = assemble(text);
  assert.equal(compileProgram(prog, { stackStart: 65536, stackEnd: 69632, hasHelper: () => false }).structured, 0);
  assert.equal(runBoth(prog).r0, 4500n);
});

test('control flow: the benchmark kernels and local-call programs compile structured', () => {
  const dir = path.resolve(process.cwd(), 'bench/kernels');
  for (const name of readdirSync(dir)) {
    const prog = assemble(readFileSync(path.join(dir, name), 'utf8'));
    const c = compileProgram(prog, { stackStart: 65536, stackEnd: 69632, hasHelper: () => false });
    assert.equal(c.structured, c.functions, name);
  }
});

test('the benchmark kernels on their inputs: same r0 and count on both engines', () => {
  const inputs: Record<string, string> = { sum64: 'buf4k.bin', fnv1a: 'buf4k.bin', parse: 'pkt64.bin', xorshift: 'xs64.bin' };
  for (const [name, file] of Object.entries(inputs)) {
    const prog = assemble(readFileSync(path.resolve(process.cwd(), 'bench/kernels', `${name}.s`), 'utf8'));
    const input = new Uint8Array(readFileSync(path.resolve(process.cwd(), '../shared/bench', file)));
    runBoth(prog, { input, budget: 50_000_000 });
  }
});

test('JitEngine has the Interpreter\'s public surface and compiles once', () => {
  const space = new AddressSpace();
  const prog = assemble('mov %r0, %r1\nadd %r0, %r2\nexit');
  const interp = new Interpreter(prog, { space });
  const jit = new JitEngine(prog, { space });
  const swap: Pick<Interpreter, 'run' | 'executed' | 'stack' | 'insns' | 'options'> = jit;
  assert.equal(swap.insns, prog);
  assert.equal(jit.stack.end - jit.stack.start, interp.stack.end - interp.stack.start);
  const Module = WebAssembly.Module;
  let compiled = 0;
  WebAssembly.Module = class extends Module {
    constructor(bytes: BufferSource) {
      super(bytes);
      compiled++;
    }
  };
  try {
    for (let i = 0n; i < 3n; i++) assert.equal(jit.run([i, 10n], []), i + 10n);
  } finally {
    WebAssembly.Module = Module;
  }
  assert.equal(compiled, 1);
  assert.equal(jit.executed, 3);
});

test('execute() and the command line take engine jit', () => {
  const r = execute(assemble('ldxb %r0, [%r1+1]\nexit'), { mem: Uint8Array.of(1, 2), engine: 'jit' });
  assert.deepEqual([r.r0, r.executed], [2n, 2]);
});

test('a disposed engine gives back its stack (the next engine of the space takes it) and refuses to run (EBADF)', () => {
  const space = new AddressSpace();
  for (const [Engine, verified] of [[JitEngine, true], [JitEngine, false], [Interpreter, false]] as const) {
    const insns = assemble('r0 = *(u64 *)(r10 - 8)\nr0 += 1\nexit');
    const a = new Engine(insns, { space, verified });
    assert.equal(a.run([], []), 1n, 'a fresh stack is zeroed');
    // a write into the stack, so a reuse that did not zero it would show
    const dirty = new Engine(assemble('r1 = 41\n*(u64 *)(r10 - 8) = r1\nr0 = 0\nexit'), { space, verified });
    dirty.run([], []);
    const stack = dirty.stack;
    dirty.dispose();
    dirty.dispose(); // idempotent: the stack is not given back twice
    assert.throws(() => dirty.run([], []), (e: unknown) => e instanceof BpfError && e.errno === 'EBADF');
    const b = new Engine(insns, { space, verified });
    assert.equal(b.stack.start, stack.start, 'the freed stack is taken again');
    assert.equal(b.run([], []), 1n, 'and zeroed');
    const c = new Engine(insns, { space, verified });
    assert.notEqual(c.stack.start, stack.start, 'given back once, taken once');
    assert.equal(a.run([], []), 1n, 'the others run on');
    for (const e of [a, b, c]) e.dispose();
  }
});
