import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BpfError } from '../src/errno.js';
import { LOOP } from '../src/helpers/loop.js';
import { HelperExit, HelperRegistry } from '../src/helpers/registry.js';
import { Insn, insn, lddw } from '../src/isa/instruction.js';
import * as o from '../src/isa/opcodes.js';
import { validate } from '../src/isa/validate.js';
import { Interpreter } from '../src/vm/interpreter.js';
import { JitEngine } from '../src/vm/jit/engine.js';
import { AddressSpace, Region } from '../src/vm/memory.js';

/**
 * What the JIT's differential tests share (test/jit.test.ts, and the
 * 100,000-program run of test/jit-differential.test.ts in worker threads):
 * a Rig running one engine over a fresh address space, and the generator of
 * random valid programs (loops, bpf-to-bpf calls, atomics, helpers,
 * callbacks, packet loads) with their inputs.
 */

// ---------------------------------------------------------------------------
// Running one program on both engines

export type EngineClass = typeof Interpreter | typeof JitEngine;

export interface Run {
  r0?: bigint;
  error?: string;
  executed: number;
  mem: Uint8Array;
  stack: Uint8Array;
}

export interface RunSetup {
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
export class Rig {
  readonly vm: Interpreter | JitEngine;
  readonly region: Region;
  readonly regions: Region[];

  /** `space`: a fresh one by default; a shared one must have the same allocations as the other engine's */
  constructor(Engine: EngineClass, insns: readonly Insn[], readonly setup: RunSetup, readonly space = new AddressSpace()) {
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
export const EXIT = insn(o.BPF_JMP | o.BPF_EXIT);

/** bpf_loop calls made by all runs so far (how often the random programs reach a callback) */
let loopCalls = 0;

/** bpf_loop calls made by the random programs so far */
export const loopCallCount = (): number => loopCalls;

/** Helpers 0–5 (after uBPF's test helpers) and 6, which maps 1 MiB (growing the memory) and returns its address. */
export function testHelpers(space: AddressSpace): HelperRegistry {
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

export const IN_LEN = 64;

export type Base = { kind: 'in' | 'stack' | 'wild'; pos: number; reg: number };

export type Item =
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

export interface GenProgram {
  main: Item[];
  funcs: Item[][];
}

const SIZE_CODES: Record<number, number> = { 1: o.BPF_B, 2: o.BPF_H, 4: o.BPF_W, 8: o.BPF_DW };
const dstReg = fc.integer({ min: 0, max: 7 });
const anyReg = fc.integer({ min: 0, max: 10 });
export const imm32 = fc.oneof(
  fc.constantFrom(0, 1, -1, 2, 3, 7, 8, 31, 32, 33, 63, 64, 65, 0x7fffffff, -0x80000000, 0xffff, 0x8000, -60),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
);
export const value64 = fc.oneof(
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

export const aluArb: fc.Arbitrary<Item> = fc
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

export const jumpArb = fc
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

export const programArb: fc.Arbitrary<GenProgram> = fc.record({
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
export function writeProgram(p: GenProgram): Insn[] {
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
export const inputArb = fc.array(value64, { minLength: IN_LEN / 8, maxLength: IN_LEN / 8 }).map((words) => {
  const bytes = new Uint8Array(IN_LEN);
  const view = new DataView(bytes.buffer);
  words.forEach((w, k) => view.setBigUint64(8 * k, w, true));
  return bytes;
});

export interface DiffStats {
  programs: number;
  runs: number;
  slots: number;
  executed: number;
  errors: Map<string, number>;
}

export const newStats = (): DiffStats => ({ programs: 0, runs: 0, slots: 0, executed: 0, errors: new Map() });

/**
 * Address spaces reused from one program to the next, one per engine, with
 * the same allocations on both (so pointers compare); a new pair once they
 * hold 64 MiB. A WebAssembly.Memory reserves its whole maximum of address
 * space, so making two per program was a measurable part of the test.
 */
class SpacePair {
  interp = new AddressSpace();
  jit = new AddressSpace();

  take(): [AddressSpace, AddressSpace] {
    if (this.jit.memory.buffer.byteLength > 64 << 20) [this.interp, this.jit] = [new AddressSpace(), new AddressSpace()];
    return [this.interp, this.jit];
  }
}

/** The differential property: a random program on 1–4 inputs, the same outcome (r0 or error, memory, stack, count) on both engines. */
export function differentialProperty(stats: DiffStats) {
  const spaces = new SpacePair();
  return fc.property(programArb, fc.array(inputArb, { minLength: 1, maxLength: 4 }), fc.constantFrom(10_000, 10_000, 10_000, 37, 300), (p, inputs, budget) => {
    const insns = writeProgram(p);
    validate(insns);
    const setup: RunSetup = { input: inputs[0], budget, packet: true };
    const [a, b] = spaces.take();
    const interp = new Rig(Interpreter, insns, setup, a);
    const jit = new Rig(JitEngine, insns, setup, b);
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
  });
}

export function describeStats(s: DiffStats, loops: number): string {
  const kinds = [...s.errors].map(([k, v]) => `${k} ${v}`).join(', ');
  return `${s.programs} programs (${(s.slots / s.programs).toFixed(0)} slots on average), ${s.runs} runs ` +
    `(${(s.executed / s.runs).toFixed(0)} instructions executed on average, ${loops} bpf_loop calls); outcomes: ${kinds}`;
}
