import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { BpfError } from '../src/errno.js';
import { readVectorFile } from '../src/cli/load-program.js';
import { LOOP } from '../src/helpers/loop.js';
import { HelperExit, HelperRegistry } from '../src/helpers/registry.js';
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

// ---------------------------------------------------------------------------
// Running one program on both engines

type EngineClass = typeof Interpreter | typeof JitEngine;

interface Run {
  r0?: bigint;
  error?: string;
  executed: number;
  mem: Uint8Array;
  stack: Uint8Array;
}

interface RunSetup {
  input?: Uint8Array;
  budget?: number;
  helpers?: (space: AddressSpace) => HelperRegistry;
  /** map the input as the packet of LD_ABS / LD_IND too */
  packet?: boolean;
  /** extra regions after the input */
  extra?: (space: AddressSpace) => Region[];
}

/**
 * One engine over a fresh address space: the engine maps its stack first,
 * then the input, so engines of both kinds see the same addresses and
 * pointer values compare. `run` copies new input bytes in first.
 */
class Rig {
  readonly space = new AddressSpace();
  readonly vm: Interpreter | JitEngine;
  readonly region: Region;
  readonly regions: Region[];

  constructor(Engine: EngineClass, insns: readonly Insn[], readonly setup: RunSetup) {
    const helpers = (setup.helpers ?? testHelpers)(this.space);
    this.vm = new Engine(insns, { space: this.space, helpers, budget: setup.budget });
    this.region = this.space.map(setup.input ?? new Uint8Array(0), 'mem');
    this.regions = [this.region, ...(setup.extra?.(this.space) ?? [])];
  }

  run(input?: Uint8Array): Run {
    const { space, vm, region } = this;
    if (input) space.bytes.set(input, region.start);
    const out: Run = { executed: 0, mem: new Uint8Array(0), stack: new Uint8Array(0) };
    try {
      const args = [BigInt(region.start), BigInt(region.end - region.start)];
      out.r0 = vm.run(args, this.regions, this.setup.packet ? { packet: region } : {});
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      out.error = `${e.errno}: ${e.message}`;
    }
    out.executed = vm.executed;
    out.mem = space.bytes.slice(region.start, region.end);
    out.stack = space.bytes.slice(vm.stack.start, vm.stack.end);
    return out;
  }
}

/** Run on both engines, assert the same outcome, return it. */
function runBoth(insns: readonly Insn[], setup: RunSetup = {}): Run {
  const interp = new Rig(Interpreter, insns, setup).run();
  const jit = new Rig(JitEngine, insns, setup).run();
  assert.deepEqual(jit, interp);
  return jit;
}

const EXIT = insn(o.BPF_JMP | o.BPF_EXIT);

/** bpf_loop calls made by all runs so far (how often the random programs reach a callback) */
let loopCalls = 0;

/** Helpers 0–5 (after uBPF's test helpers) and 6, which maps 1 MiB (growing the memory) and returns its address. */
function testHelpers(space: AddressSpace): HelperRegistry {
  const helpers = new HelperRegistry([
    { id: 0, name: 'gather_bytes', fn: (_e, a, b, c, d, e) => ((a & 0xffn) << 32n) | ((b & 0xffn) << 24n) | ((c & 0xffn) << 16n) | ((d & 0xffn) << 8n) | (e & 0xffn) },
    { id: 1, name: 'memfrob', fn: (env, p, n) => { env.write(p, env.read(p, Number(n & 0xffn)).map((x) => x ^ 42)); return 0n; } },
    { id: 2, name: 'no_op', fn: () => 0n },
    { id: 3, name: 'sum', fn: (_e, a, b, c, d, e) => a + b + c + d + e },
    { id: 4, name: 'neg', fn: (_e, a) => -a },
    { id: 5, name: 'unwind', fn: (_e, a) => { if (a === 0n) throw new HelperExit(0n); return a; } },
  ]);
  helpers.register({ id: 6, name: 'grow', fn: () => BigInt(space.map(new Uint8Array(1 << 20), 'big').start) });
  helpers.register({ ...LOOP, fn: (env, a, b, c, d, e) => (loopCalls++, LOOP.fn(env, a, b, c, d, e)) });
  return helpers;
}

// ---------------------------------------------------------------------------
// Random valid programs (2): r9 holds the input pointer and r8 loop counters,
// so generated code writes only r0–r7; memory operands are in range of the
// input (64 bytes) or the stack, except for rare "wild" bases.

const IN_LEN = 64;

type Base = { kind: 'in' | 'stack' | 'wild'; pos: number; reg: number };

type Item =
  | { t: 'insn'; ins: Insn }
  | { t: 'lddw'; dst: number; value: bigint }
  | { t: 'load'; size: number; signed: boolean; dst: number; base: Base }
  | { t: 'store'; size: number; src: number | undefined; imm: number; base: Base }
  | { t: 'atomic'; size: number; op: number; src: number; base: Base }
  | { t: 'if'; jump: Insn; body: Item[] }
  | { t: 'loop'; n: number; ne: boolean; body: Item[] }
  | { t: 'skip'; maygoto: boolean; body: Item[] }
  | { t: 'call'; fn: number }
  | { t: 'fnptr'; dst: number; fn: number }
  | { t: 'callback'; fn: number; n: number; viaX: boolean }
  | { t: 'helper'; id: number; arg: 'in' | 'stack' | 'reg'; len: number; viaX: boolean }
  | { t: 'packet'; size: number; ind: boolean; src: number; imm: number };

interface GenProgram {
  main: Item[];
  funcs: Item[][];
}

const SIZE_CODES: Record<number, number> = { 1: o.BPF_B, 2: o.BPF_H, 4: o.BPF_W, 8: o.BPF_DW };
const dstReg = fc.integer({ min: 0, max: 7 });
const anyReg = fc.integer({ min: 0, max: 10 });
const imm32 = fc.oneof(
  fc.constantFrom(0, 1, -1, 2, 3, 7, 8, 31, 32, 33, 63, 64, 65, 0x7fffffff, -0x80000000, 0xffff, 0x8000, -60),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
);
const value64 = fc.oneof(
  fc.constantFrom(0n, 1n, 2n, 0xffffffffffffffffn, 1n << 63n, (1n << 63n) - 1n, 0x80000000n, 0x7fffffffn, 0xffffffffn, 0xffffffff80000000n, 0xfffffffen),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 0n, max: 0xffffn }),
);
const base = fc.record({
  kind: fc.oneof(
    { arbitrary: fc.constantFrom<Base['kind']>('in', 'stack'), weight: 30 },
    { arbitrary: fc.constant<Base['kind']>('wild'), weight: 1 },
  ),
  pos: fc.nat({ max: 600 }),
  reg: dstReg,
});

const ALU_OPS = [o.BPF_ADD, o.BPF_SUB, o.BPF_MUL, o.BPF_DIV, o.BPF_OR, o.BPF_AND, o.BPF_LSH, o.BPF_RSH, o.BPF_MOD, o.BPF_XOR, o.BPF_MOV, o.BPF_ARSH];
const JMP_OPS = [o.BPF_JEQ, o.BPF_JGT, o.BPF_JGE, o.BPF_JSET, o.BPF_JNE, o.BPF_JSGT, o.BPF_JSGE, o.BPF_JLT, o.BPF_JLE, o.BPF_JSLT, o.BPF_JSLE];
const ATOMIC_OPS = [o.BPF_ADD, o.BPF_OR, o.BPF_AND, o.BPF_XOR, o.BPF_ADD | o.BPF_FETCH, o.BPF_OR | o.BPF_FETCH, o.BPF_AND | o.BPF_FETCH, o.BPF_XOR | o.BPF_FETCH, o.BPF_XCHG, o.BPF_CMPXCHG];

const aluArb: fc.Arbitrary<Item> = fc
  .record({ op: fc.constantFrom(...ALU_OPS), wide: fc.boolean(), x: fc.boolean(), signed: fc.boolean(), dst: dstReg, src: anyReg, imm: imm32 })
  .map(({ op, wide, x, signed, dst, src, imm }) => {
    const cls = wide ? o.BPF_ALU64 : o.BPF_ALU;
    const off = signed && (op === o.BPF_DIV || op === o.BPF_MOD) ? 1 : 0;
    return { t: 'insn', ins: x ? insn(cls | op | o.BPF_X, dst, src, off) : insn(cls | op | o.BPF_K, dst, 0, off, imm) };
  });

const unaryArb: fc.Arbitrary<Item> = fc
  .record({ kind: fc.integer({ min: 0, max: 5 }), wide: fc.boolean(), dst: dstReg, src: anyReg, width: fc.constantFrom(8, 16, 32), size: fc.constantFrom(16, 32, 64) })
  .map(({ kind, wide, dst, src, width, size }) => {
    const cls = wide ? o.BPF_ALU64 : o.BPF_ALU;
    const ins = [
      insn(cls | o.BPF_NEG, dst),
      insn(cls | o.BPF_MOV | o.BPF_X, dst, src, wide ? width : Math.min(width, 16)),
      insn(o.BPF_ALU | o.BPF_END | o.BPF_TO_LE, dst, 0, 0, size),
      insn(o.BPF_ALU | o.BPF_END | o.BPF_TO_BE, dst, 0, 0, size),
      insn(o.BPF_ALU64 | o.BPF_END, dst, 0, 0, size),
      insn(cls | o.BPF_MOV | o.BPF_X, dst, src),
    ][kind]!;
    return { t: 'insn', ins };
  });

const jumpArb = fc
  .record({ op: fc.constantFrom(...JMP_OPS), j32: fc.boolean(), x: fc.boolean(), dst: anyReg, src: anyReg, imm: imm32 })
  .map(({ op, j32, x, dst, src, imm }) => {
    const cls = j32 ? o.BPF_JMP32 : o.BPF_JMP;
    return x ? insn(cls | op | o.BPF_X, dst, src) : insn(cls | op | o.BPF_K, dst, 0, 0, imm);
  });

const leafArb: fc.Arbitrary<Item> = fc.oneof(
  { arbitrary: aluArb, weight: 12 },
  { arbitrary: unaryArb, weight: 4 },
  { arbitrary: fc.record({ dst: dstReg, value: value64 }).map((r): Item => ({ t: 'lddw', ...r })), weight: 2 },
  { arbitrary: fc.record({ size: fc.constantFrom(1, 2, 4, 8), signed: fc.boolean(), dst: dstReg, base }).map((r): Item => ({ t: 'load', ...r })), weight: 4 },
  { arbitrary: fc.record({ size: fc.constantFrom(1, 2, 4, 8), src: fc.option(anyReg), imm: imm32, base }).map((r): Item => ({ t: 'store', ...r, src: r.src ?? undefined })), weight: 4 },
  { arbitrary: fc.record({ size: fc.constantFrom(4, 8), op: fc.constantFrom(...ATOMIC_OPS), src: dstReg, base }).map((r): Item => ({ t: 'atomic', ...r })), weight: 2 },
  { arbitrary: fc.record({ id: fc.constantFrom(0, 1, 2, 3, 4, 5, 0, 2, 3, 99), arg: fc.constantFrom<'in' | 'stack' | 'reg'>('in', 'stack', 'in', 'stack', 'reg'), len: fc.nat({ max: 20 }), viaX: fc.boolean() }).map((r): Item => ({ t: 'helper', ...r })), weight: 1 },
  { arbitrary: fc.record({ size: fc.constantFrom(1, 2, 4), ind: fc.boolean(), src: fc.integer({ min: 0, max: 9 }), imm: fc.integer({ min: -2, max: 64 }) }).map((r): Item => ({ t: 'packet', ...r })), weight: 1 },
  { arbitrary: fc.record({ fn: fc.nat({ max: 2 }) }).map((r): Item => ({ t: 'call', ...r })), weight: 2 },
  { arbitrary: fc.record({ dst: dstReg, fn: fc.nat({ max: 2 }) }).map((r): Item => ({ t: 'fnptr', ...r })), weight: 1 },
  { arbitrary: fc.record({ fn: fc.nat({ max: 2 }), n: fc.constantFrom(0, 1, 2, 3, 7, 50, 5000, (1 << 23) + 1), viaX: fc.boolean() }).map((r): Item => ({ t: 'callback', ...r })), weight: 1 },
);

/** Items nested at most `depth` levels deep; loops do not nest (they share r8). */
function itemsArb(depth: number, inLoop: boolean, max: number): fc.Arbitrary<Item[]> {
  if (depth === 0) return fc.array(leafArb, { maxLength: max, size: 'max' });
  const inner = itemsArb(depth - 1, inLoop, 6);
  const choices: fc.WeightedArbitrary<Item>[] = [
    { arbitrary: leafArb, weight: 10 },
    { arbitrary: fc.record({ jump: jumpArb, body: inner }).map((r): Item => ({ t: 'if', ...r })), weight: 3 },
    { arbitrary: fc.record({ maygoto: fc.boolean(), body: inner }).map((r): Item => ({ t: 'skip', ...r })), weight: 1 },
  ];
  if (!inLoop) {
    const body = itemsArb(depth - 1, true, 6);
    choices.push({ arbitrary: fc.record({ n: fc.nat({ max: 4 }), ne: fc.boolean(), body }).map((r): Item => ({ t: 'loop', ...r })), weight: 2 });
  }
  return fc.array(fc.oneof(...choices), { maxLength: max, size: 'max' });
}

const programArb: fc.Arbitrary<GenProgram> = fc.record({
  main: itemsArb(2, false, 24),
  funcs: fc.array(itemsArb(1, false, 10), { maxLength: 3 }),
});

interface Fixup {
  at: number;
  fn: number;
  /** to the function's callback entry (callbackStub) rather than its first slot */
  entry?: boolean;
}

class ProgramWriter {
  readonly out: Insn[] = [];
  readonly fixups: Fixup[] = [];

  constructor(readonly nFuncs: number) {}

  push(...ins: Insn[]): void {
    this.out.push(...ins);
  }

  items(items: readonly Item[], fn: number): void {
    for (const it of items) this.item(it, fn);
  }

  /** Offset and base register of a memory operand of `size` bytes. */
  private addr(b: Base, size: number): [number, number] {
    if (b.kind === 'in') return [9, b.pos % (IN_LEN - size + 1)];
    if (b.kind === 'stack') return [10, -size - (b.pos % (512 - size + 1))];
    return [b.reg, b.pos - 300];
  }

  /** Emit a forward jump over `body`, its offset patched once the body is written. */
  private over(jump: Insn, body: readonly Item[], fn: number): void {
    const at = this.out.length;
    this.push(jump);
    this.items(body, fn);
    this.out[at] = { ...jump, off: this.out.length - at - 1 };
  }

  private item(it: Item, fn: number): void {
    switch (it.t) {
      case 'insn':
        return this.push(it.ins);
      case 'lddw':
        return this.push(...lddw(it.dst, it.value));
      case 'load': {
        const [reg, off] = this.addr(it.base, it.size);
        const mode = it.signed && it.size !== 8 ? o.BPF_MEMSX : o.BPF_MEM;
        return this.push(insn(o.BPF_LDX | mode | SIZE_CODES[it.size]!, it.dst, reg, off));
      }
      case 'store': {
        const [reg, off] = this.addr(it.base, it.size);
        const sz = SIZE_CODES[it.size]!;
        return this.push(it.src === undefined ? insn(o.BPF_ST | o.BPF_MEM | sz, reg, 0, off, it.imm) : insn(o.BPF_STX | o.BPF_MEM | sz, reg, it.src, off));
      }
      case 'atomic': {
        const [reg, off] = this.addr(it.base, it.size);
        return this.push(insn(o.BPF_STX | o.BPF_ATOMIC | SIZE_CODES[it.size]!, reg, it.src, off, it.op));
      }
      case 'if':
        return this.over(it.jump, it.body, fn);
      case 'skip':
        return this.over(it.maygoto ? insn(o.BPF_JMP | o.BPF_JCOND) : insn(o.BPF_JMP | o.BPF_JA), it.body, fn);
      case 'loop':
        return this.loop(it, fn);
      case 'call':
        if (it.fn > fn && it.fn < this.nFuncs) {
          this.fixups.push({ at: this.out.length, fn: it.fn });
          this.push(insn(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_PSEUDO_CALL));
        }
        return;
      case 'fnptr':
        if (it.fn < this.nFuncs) {
          this.fixups.push({ at: this.out.length, fn: it.fn });
          this.push(...lddw(it.dst, 0n, o.BPF_PSEUDO_FUNC));
        }
        return;
      case 'helper':
        return this.helper(it);
      case 'callback':
        return this.callback(it, fn);
      case 'packet': {
        const mode = it.ind ? o.BPF_IND : o.BPF_ABS;
        return this.push(insn(o.BPF_LD | mode | SIZE_CODES[it.size]!, 0, it.ind ? it.src : 0, 0, it.imm));
      }
    }
  }

  private loop(it: Extract<Item, { t: 'loop' }>, fn: number): void {
    this.push(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, 8, 0, 0, it.ne ? it.n + 1 : it.n));
    const start = this.out.length;
    this.items(it.body, fn);
    this.push(insn(o.BPF_ALU64 | o.BPF_ADD | o.BPF_K, 8, 0, 0, -1));
    const back = start - (this.out.length + 1);
    this.push(insn(o.BPF_JMP | (it.ne ? o.BPF_JNE : o.BPF_JSGT) | o.BPF_K, 8, 0, back, 0));
  }

  /**
   * bpf_loop(n, function it.fn, ctx = the input, 0), for a function after
   * this one (no recursion); the callback starts at the function's stub.
   */
  private callback(it: Extract<Item, { t: 'callback' }>, fn: number): void {
    if (it.fn <= fn || it.fn >= this.nFuncs) return;
    this.push(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, 1, 0, 0, it.n));
    this.fixups.push({ at: this.out.length, fn: it.fn, entry: true });
    this.push(...lddw(2, 0n, o.BPF_PSEUDO_FUNC));
    this.push(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, 3, 9), insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, 4, 0, 0, 0));
    if (!it.viaX) return this.push(insn(o.BPF_JMP | o.BPF_CALL, 0, 0, 0, LOOP.id));
    this.push(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, 7, 0, 0, LOOP.id), insn(o.BPF_JMP | o.BPF_CALL | o.BPF_X, 7));
  }

  private helper(it: Extract<Item, { t: 'helper' }>): void {
    if (it.arg === 'in') this.push(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, 1, 9));
    if (it.arg === 'stack') this.push(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, 1, 10), insn(o.BPF_ALU64 | o.BPF_ADD | o.BPF_K, 1, 0, 0, -64));
    this.push(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, 2, 0, 0, it.len));
    if (!it.viaX) return this.push(insn(o.BPF_JMP | o.BPF_CALL, 0, 0, 0, it.id));
    this.push(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, 7, 0, 0, it.id), insn(o.BPF_JMP | o.BPF_CALL | o.BPF_X, 7));
  }
}

/**
 * Main (r9 = input, r0–r7 loaded from the input's eight words), exit, then
 * the functions, each behind a one-slot stub `r9 = r2` where callbacks enter
 * (bpf_loop passes the input as their ctx) before falling into it.
 */
function writeProgram(p: GenProgram): Insn[] {
  const w = new ProgramWriter(p.funcs.length);
  w.push(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, 9, 1));
  for (let r = 0; r < 8; r++) w.push(insn(o.BPF_LDX | o.BPF_MEM | o.BPF_DW, r, 9, 8 * r));
  w.items(p.main, -1);
  w.push(EXIT);
  const starts: number[] = [];
  p.funcs.forEach((items, k) => {
    w.push(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, 9, 2));
    starts.push(w.out.length);
    w.items(items, k);
    w.push(EXIT);
  });
  for (const f of w.fixups) w.out[f.at] = { ...w.out[f.at]!, imm: starts[f.fn]! - (f.entry ? 1 : 0) - (f.at + 1) };
  return w.out;
}

/** 64 input bytes: eight interesting 64-bit words (the registers' seeds), little-endian. */
const inputArb = fc.array(value64, { minLength: IN_LEN / 8, maxLength: IN_LEN / 8 }).map((words) => {
  const bytes = new Uint8Array(IN_LEN);
  const view = new DataView(bytes.buffer);
  words.forEach((w, k) => view.setBigUint64(8 * k, w, true));
  return bytes;
});

/**
 * Programs compared per run of the suite, sized for well under a minute on
 * the 2-core machine (≈ 2.4 ms a program unloaded, most of it V8 compiling
 * the module); JIT_DIFF_RUNS=N overrides (CI can shard by fast-check seed).
 * Each program runs on 1–4 inputs, compiled once per engine.
 */
const DIFF_RUNS = Number(process.env.JIT_DIFF_RUNS ?? 12_000);

test(`differential: ${DIFF_RUNS} random programs give the same r0, memory, error and count on both engines`, () => {
  const stats = { programs: 0, runs: 0, errors: new Map<string, number>(), slots: 0, executed: 0 };
  const loopsBefore = loopCalls;
  fc.assert(
    fc.property(programArb, fc.array(inputArb, { minLength: 1, maxLength: 4 }), fc.constantFrom(10_000, 10_000, 10_000, 37, 300), (p, inputs, budget) => {
      const insns = writeProgram(p);
      validate(insns);
      const setup: RunSetup = { input: inputs[0], budget, packet: true };
      const interp = new Rig(Interpreter, insns, setup);
      const jit = new Rig(JitEngine, insns, setup);
      stats.programs++;
      stats.slots += insns.length;
      for (const input of inputs) {
        const r = jit.run(input);
        assert.deepEqual(r, interp.run(input));
        stats.runs++;
        stats.executed += r.executed;
        const kind = r.error ? r.error.split(':')[0]! : 'ok';
        stats.errors.set(kind, (stats.errors.get(kind) ?? 0) + 1);
      }
    }),
    { numRuns: DIFF_RUNS },
  );
  const kinds = [...stats.errors].map(([k, v]) => `${k} ${v}`).join(', ');
  const loops = loopCalls - loopsBefore;
  console.log(
    `jit differential: ${stats.programs} programs (${(stats.slots / stats.programs).toFixed(0)} slots on average), ${stats.runs} runs ` +
      `(${(stats.executed / stats.runs).toFixed(0)} instructions executed on average, ${loops} bpf_loop calls); outcomes: ${kinds}`,
  );
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
