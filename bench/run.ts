/**
 * The benchmark: runs the kernels of ../shared/bench (compiled by clang into
 * bench/kernels/*.s, see gen-kernels.sh) on the interpreter and on the JIT
 * (src/vm/jit), checks each result, and reports per engine the median time
 * per run and the time per executed instruction, the JIT/interpreter ratio,
 * beside the reference figures of ../shared/bench/README.md. Then the JIT's
 * compile time (per kernel and per 1,000 instructions of a synthetic
 * program) and the cost of one call of a trivial helper on each engine.
 * Then (verified.ts) the kernels as one verified XDP object, side by side in
 * this run: tsbpf's JIT in trusted mode, the Linux kernel's JIT and gcc -O2.
 *
 *   npm run bench                         all kernels, table on stdout
 *   node dist/bench/run.js fnv1a parse    some kernels
 *   node dist/bench/run.js --json         the figures as JSON on stdout
 *   node dist/bench/run.js --json=FILE    table on stdout, JSON written to FILE
 *   node dist/bench/run.js --seconds=4    time spent sampling each kernel and engine (default 5)
 *   node dist/bench/run.js --engine=jit   one engine only (interp or jit)
 *
 * Progress goes to stderr. The process exits non-zero if a kernel returns a
 * wrong result.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HelperFn, HelperRegistry } from '../src/helpers/registry.js';
import { assemble } from '../src/isa/asm.js';
import { Insn } from '../src/isa/instruction.js';
import { Engine } from '../src/vm/execute.js';
import { Interpreter } from '../src/vm/interpreter.js';
import { compileProgram } from '../src/vm/jit/compile.js';
import type { TrustedRun } from '../src/vm/jit/entry.js';
import { JitEngine } from '../src/vm/jit/engine.js';
import { AddressSpace, Region } from '../src/vm/memory.js';
import { EMPTY_CALL_WORKERS, VerifiedBench, XS_STEPS, benchVerified } from './verified.js';
import { median } from './stats.js';

/** Instruction budget for one run: xorshift executes ~11 M instructions (n = 1,000,000 steps of 11). */
const BUDGET = 50_000_000;

/** A reference figure of ../shared/bench/README.md: the text as printed there, and a number for ratios. */
interface Ref {
  text: string;
  ns: number | null;
}

interface Kernel {
  name: string;
  /** input file in ../shared/bench; none = an empty input */
  input: string | null;
  /** r0 expected, from the README table */
  expected: bigint;
  native: Ref;
  jit: Ref;
  cswitch: Ref;
}

const none: Ref = { text: '-', ns: null };

const KERNELS: readonly Kernel[] = [
  {
    name: 'empty', input: null, expected: 0n,
    native: none, jit: none, cswitch: none,
  },
  {
    name: 'sum64', input: 'buf4k.bin', expected: 0xc8ce4e5fed505e01n,
    native: { text: '240 ns (50 vect.)', ns: 240 },
    jit: { text: '~400 ns', ns: 400 },
    cswitch: { text: '~23 µs', ns: 23_000 },
  },
  {
    name: 'fnv1a', input: 'buf4k.bin', expected: 0xeb89e4523bac5b4bn,
    native: { text: '4.8 µs', ns: 4_800 },
    jit: { text: '4.8 µs', ns: 4_800 },
    cswitch: { text: '~166 µs', ns: 166_000 },
  },
  {
    name: 'parse', input: 'pkt64.bin', expected: 8080n,
    native: { text: '3–4 ns', ns: 3.5 },
    jit: { text: '< 2 ns', ns: 2 },
    cswitch: { text: '~325 ns', ns: 325 },
  },
  {
    name: 'xorshift', input: 'xs64.bin', expected: 0x7037496bdb31eba3n,
    native: { text: '1.8 ms', ns: 1_800_000 },
    jit: { text: '1.8 ms', ns: 1_800_000 },
    cswitch: { text: '~74 ms', ns: 74_000_000 },
  },
];

const ENGINES: readonly Engine[] = ['interp', 'jit'];

/** The figures of one kernel on one engine. */
interface Timing {
  samples: number;
  runsPerSample: number;
  /** median over the samples of (sample time / runs per sample) */
  medianNs: number;
  minNs: number;
  maxNs: number;
  nsPerInsn: number;
  /** medianNs / C switch interpreter figure: > 1 means slower than it */
  ratioToCSwitch: number | null;
  /** medianNs / Linux JIT figure */
  ratioToLinuxJit: number | null;
}

interface Result {
  name: string;
  r0: string;
  /** instructions executed by one run */
  executed: number;
  engines: Partial<Record<Engine, Timing>>;
  /** JIT median / interpreter median: < 1 means the JIT is faster */
  jitToInterp: number | null;
  /** JIT compile time of this kernel (first run of a fresh engine minus a warm run) */
  jitCompileNs: number | null;
  ref: { native: Ref; jit: Ref; cswitch: Ref };
  /** the C switch interpreter's figure divided by our instruction count: its ns/insn, roughly */
  cswitchNsPerInsnEstimate: number | null;
}

interface Options {
  json: boolean;
  jsonFile: string | null;
  seconds: number;
  only: string[];
  engines: Engine[];
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { json: false, jsonFile: null, seconds: 5, only: [], engines: [...ENGINES] };
  for (const a of argv) {
    if (a === '--json') o.json = true;
    else if (a.startsWith('--json=')) o.jsonFile = a.slice('--json='.length);
    else if (a.startsWith('--engine=')) {
      const e = a.slice('--engine='.length);
      if (e !== 'interp' && e !== 'jit') throw new Error(`bench: bad ${a} (interp or jit)`);
      o.engines = [e];
    } else if (a.startsWith('--seconds=')) {
      o.seconds = Number(a.slice('--seconds='.length));
      if (!(o.seconds > 0)) throw new Error(`bench: bad ${a}`);
    } else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node dist/bench/run.js [--json | --json=FILE] [--seconds=S] [--engine=interp|jit] [kernel…]\n');
      process.exit(0);
    } else if (a.startsWith('-')) throw new Error(`bench: unknown option ${a}`);
    else if (!KERNELS.some((k) => k.name === a)) {
      throw new Error(`bench: unknown kernel ${a} (have: ${KERNELS.map((k) => k.name).join(', ')})`);
    } else o.only.push(a);
  }
  return o;
}

const now = (): bigint => process.hrtime.bigint();
const hex = (v: bigint): string => '0x' + v.toString(16);

function fmtTime(ns: number): string {
  if (ns < 1_000) return `${ns.toFixed(ns < 10 ? 2 : ns < 100 ? 1 : 0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : ns < 1e5 ? 1 : 0)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : ns < 1e8 ? 1 : 0)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

function log(msg: string): void {
  process.stderr.write(msg + '\n');
}

type Vm = Interpreter | JitEngine;

/** One engine over a fresh address space holding its stack and the input. */
interface Rig {
  vm: Vm;
  space: AddressSpace;
  region: Region;
  args: bigint[];
  regions: Region[];
}

function rig(engine: Engine, insns: readonly Insn[], input: Uint8Array, name: string, helpers?: HelperRegistry): Rig {
  const space = new AddressSpace();
  const Vm = engine === 'jit' ? JitEngine : Interpreter;
  const vm = new Vm(insns, { space, budget: BUDGET, helpers });
  const region = space.map(input, name);
  return { vm, space, region, args: [BigInt(input.length ? region.start : 0), BigInt(input.length)], regions: [region] };
}

interface Samples {
  perRun: number[];
  runsPerSample: number;
}

/**
 * Time `run`: warm up (at least 3 runs and ~1/8 of the time, so V8 has
 * optimised the interpreter or tiered the wasm up), then ~25 samples of
 * ≥ 5 ms each, fewer (but ≥ 3) when one run is long. `check` follows each sample.
 */
function sample(run: () => bigint, seconds: number, check: (sink: bigint, runs: number) => void): Samples {
  const warmNs = BigInt(Math.round((seconds * 1e9) / 8));
  let t0 = now();
  let one = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3 || now() - t0 < warmNs; i++) {
    const s = now();
    run();
    const d = Number(now() - s);
    if (d < one) one = d;
  }
  const budgetNs = seconds * 1e9;
  const runs = Math.max(1, Math.round(Math.max(5e6, budgetNs / 25) / Math.max(one, 1)));
  const samples = Math.max(3, Math.min(25, Math.floor(budgetNs / (one * runs))));
  const perRun: number[] = [];
  // A busy machine slows runs down: stop at 1.5 × the budget, after at least 3 samples.
  const deadline = now() + BigInt(Math.round(budgetNs * 1.5));
  for (let s = 0; s < samples; s++) {
    if (s >= 3 && now() > deadline) break;
    let sink = 0n;
    t0 = now();
    for (let i = 0; i < runs; i++) sink ^= run();
    perRun.push(Number(now() - t0) / runs);
    check(sink, runs);
  }
  return { perRun, runsPerSample: runs };
}

function timeKernel(k: Kernel, r: Rig, input: Uint8Array, executed: number, seconds: number): Timing {
  const { vm, args, regions } = r;
  const { perRun, runsPerSample } = sample(() => vm.run(args, regions), seconds, (sink, runs) => {
    if (vm.executed !== executed) throw new Error(`bench: ${k.name}: executed ${vm.executed} instructions, first run executed ${executed}`);
    // A sample XORs `runs` equal results: a check that the timed runs still compute the same value.
    if (sink !== (runs % 2 === 1 ? k.expected : 0n)) throw new Error(`bench: ${k.name}: timed runs returned a different value`);
  });
  const after = r.space.bytes.subarray(r.region.start, r.region.end);
  if (!after.every((b, i) => b === input[i])) throw new Error(`bench: ${k.name} modified its input`);
  const medianNs = median(perRun);
  return {
    samples: perRun.length,
    runsPerSample,
    medianNs,
    minNs: Math.min(...perRun),
    maxNs: Math.max(...perRun),
    nsPerInsn: medianNs / executed,
    ratioToCSwitch: k.cswitch.ns === null ? null : medianNs / k.cswitch.ns,
    ratioToLinuxJit: k.jit.ns === null ? null : medianNs / k.jit.ns,
  };
}

function benchKernel(k: Kernel, benchDir: string, sharedBench: string, opts: Options): Result {
  const text = readFileSync(path.join(benchDir, 'kernels', `${k.name}.s`), 'utf8');
  const insns = assemble(text);
  const input = k.input ? new Uint8Array(readFileSync(path.join(sharedBench, k.input))) : new Uint8Array(0);
  const engines: Partial<Record<Engine, Timing>> = {};
  let executed: number | undefined;
  for (const engine of opts.engines) {
    const r = rig(engine, insns, input, k.input ?? 'mem');
    // Check the result once before timing anything; both engines must count the same instructions.
    const r0 = r.vm.run(r.args, r.regions);
    if (r0 !== k.expected) {
      throw new Error(`bench: ${k.name} returned ${hex(r0)} on ${engine}, expected ${hex(k.expected)} (README table) — not timing a wrong program`);
    }
    if (!(r.vm.executed > 0) || (executed !== undefined && r.vm.executed !== executed)) {
      throw new Error(`bench: ${k.name}: ${engine} reports ${r.vm.executed} instructions executed${executed === undefined ? '' : `, the other engine ${executed}`}`);
    }
    executed = r.vm.executed;
    log(`bench: ${k.name} on ${engine} …`);
    engines[engine] = timeKernel(k, r, input, executed, opts.seconds);
    log(`bench: ${k.name} on ${engine}: ${fmtTime(engines[engine]!.medianNs)}/run, ${engines[engine]!.nsPerInsn.toFixed(2)} ns/insn`);
  }
  const { interp, jit } = engines;
  return {
    name: k.name,
    r0: hex(k.expected),
    executed: executed!,
    engines,
    jitToInterp: interp && jit ? jit.medianNs / interp.medianNs : null,
    jitCompileNs: opts.engines.includes('jit') ? compileCost(insns, 20).totalNs : null,
    ref: { native: k.native, jit: k.jit, cswitch: k.cswitch },
    cswitchNsPerInsnEstimate: k.cswitch.ns === null ? null : k.cswitch.ns / executed!,
  };
}

interface CompileCost {
  slots: number;
  /** the process's first compile of it (the compiler's own code still cold), in all */
  firstNs: number;
  /** untimed compiles before the timed ones */
  warmups: number;
  /** eBPF → wasm bytes (compile.ts), median */
  encodeNs: number;
  /** new WebAssembly.Module + Instance, median */
  wasmNs: number;
  /** V8's lazy compile of the functions at their first call: first run − second run, median */
  lazyNs: number;
  totalNs: number;
  per1000Ns: number;
  wasmBytes: number;
}

let compiles = 0;
/** untimed compiles before the timed ones, at least: the compiler's own code warms up (the first compiles of a process take several times longer) */
const COMPILE_WARMUP = 20;
/** untimed compiles of the synthetic programs go on for this long: V8 has tiered the compiler's code up by then (its time per compile stops falling) */
const STEADY_WARMUP_NS = 1_000_000_000n;

interface OneCompile { encodeNs: number; wasmNs: number; lazyNs: number; bytes: number }

/**
 * JIT compile time of a verified program (a trusted module, as the Runtime
 * compiles one): compile.ts, then V8's WebAssembly.Module + Instance, then —
 * V8 compiles wasm functions lazily, at their first call — the first run
 * less a second one (r1 = zeroed memory, r2 = 0). Medians of `reps` after
 * untimed ones: COMPILE_WARMUP, and more until `warmupNs` have passed. Each
 * compile is of the program behind a different `r0 = k` (trusted code holds
 * no address of its own, so the same program gives the same bytes, and
 * V8's module cache would answer).
 */
function compileCost(insns: readonly Insn[], reps: number, warmupNs = 0n): CompileCost {
  const memory = new WebAssembly.Memory({ initial: 4 });
  const first = compileOnce(insns, memory);
  const until = now() + warmupNs;
  let warmups = 1;
  for (; warmups < COMPILE_WARMUP || now() < until; warmups++) compileOnce(insns, memory);
  const timed = Array.from({ length: reps }, () => compileOnce(insns, memory));
  const [encodeNs, wasmNs, lazyNs] = (['encodeNs', 'wasmNs', 'lazyNs'] as const).map((k) => median(timed.map((t) => t[k])));
  const totalNs = encodeNs + wasmNs + lazyNs;
  const firstNs = first.encodeNs + first.wasmNs + first.lazyNs;
  return { slots: insns.length, warmups, firstNs, encodeNs, wasmNs, lazyNs, totalNs, per1000Ns: (totalNs * 1000) / insns.length, wasmBytes: timed[0]!.bytes };
}

function compileOnce(insns: readonly Insn[], memory: WebAssembly.Memory): OneCompile {
  const stackEnd = 65536 + 4096;
  const run = (exports: WebAssembly.Exports): number => {
    const t = now();
    try {
      (exports.run as TrustedRun)(BigInt(stackEnd), BigInt(3 * 65536), 0n, 0n, 0n, 0n);
    } catch (e) {
      // a kernel that reads past zeroed memory traps: its code was compiled all the same
      if (!(e instanceof WebAssembly.RuntimeError)) throw e;
    }
    return Number(now() - t);
  };
  const unique = [assemble(`mov %r0, ${compiles++}`)[0]!, ...insns];
  const t0 = now();
  const c = compileProgram(unique, { stackStart: stackEnd - 4096, stackEnd, hasHelper: () => true, trusted: true });
  const t1 = now();
  const module = new WebAssembly.Module(c.bytes);
  const env: Record<string, unknown> = { memory };
  for (const imp of WebAssembly.Module.imports(module)) if (imp.kind === 'function') env[imp.name] = () => 0;
  const { exports } = new WebAssembly.Instance(module, { env: env as WebAssembly.ModuleImports });
  const t2 = now();
  const firstRun = run(exports);
  return { encodeNs: Number(t1 - t0), wasmNs: Number(t2 - t1), lazyNs: firstRun - run(exports), bytes: c.bytes.length };
}

/**
 * A synthetic program of about `slots` slots in the mix of the kernels:
 * loads from the input, ALU work, stack stores and a forward branch per 10
 * instructions, one loop around it all.
 */
function syntheticProgram(slots: number): Insn[] {
  const lines = ['mov %r0, 0', 'mov %r6, 2', 'top:'];
  for (let k = 0; lines.length < slots - 4; k++) {
    lines.push(
      `ldxb %r3, [%r1+${k % 60}]`, 'add %r0, %r3', 'mul %r0, 31', `stxdw [%r10-${8 * ((k % 60) + 1)}], %r0`,
      `jgt %r0, ${k}, +2`, `xor %r0, ${k & 0xffff}`, 'lsh %r0, 3', 'rsh %r0, 1', 'mov %r4, %r0', 'and %r4, 255',
    );
  }
  lines.push('sub %r6, 1', 'jne %r6, 0, top', 'exit');
  return assemble(lines.join('\n'));
}

interface HelperCost {
  engine: Engine;
  /** what the helper does */
  helper: string;
  calls: number;
  /** (loop with the call − loop without it) / calls */
  nsPerCall: number;
}

const HELPERS: readonly [string, HelperFn][] = [
  ['returns 0', () => 0n],
  ['returns r1 + r5', (_env, r1, _r2, _r3, _r4, r5) => r1 + r5],
];

/** Cost of one helper call: a counted loop with and without the call. */
function helperCost(engine: Engine, seconds: number, helper: string, fn: HelperFn): HelperCost {
  const calls = 100_000;
  const helpers = new HelperRegistry([{ id: 2, name: 'bench', fn }]);
  const loop = (body: string): Insn[] => assemble(`mov %r6, ${calls}\nmov %r1, 7\nmov %r5, 9\ntop:\n${body}sub %r6, 1\njne %r6, 0, top\nmov %r0, 0\nexit`);
  const time = (insns: Insn[]): number => {
    const r = rig(engine, insns, new Uint8Array(0), 'mem', helpers);
    return median(sample(() => r.vm.run(r.args, r.regions), seconds / 4, () => {}).perRun);
  };
  return { engine, helper, calls, nsPerCall: (time(loop('call 2\n')) - time(loop(''))) / calls };
}

function table(rows: readonly Result[], engines: readonly Engine[]): string {
  const cols: [string, (r: Result) => string][] = [
    ['kernel', (r) => r.name],
    ['insns/run', (r) => r.executed.toLocaleString('en-US')],
  ];
  for (const e of engines) {
    cols.push([`${e}/run`, (r) => fmtTime(r.engines[e]!.medianNs)], [`${e} ns/insn`, (r) => r.engines[e]!.nsPerInsn.toFixed(2)]);
  }
  if (engines.length === 2) cols.push(['jit/interp', (r) => (r.jitToInterp === null ? '-' : `${r.jitToInterp.toFixed(3)}×`)]);
  if (engines.includes('jit')) cols.push(['jit compile', (r) => (r.jitCompileNs === null ? '-' : fmtTime(r.jitCompileNs))]);
  cols.push(
    ['native', (r) => r.ref.native.text],
    ['Linux JIT', (r) => r.ref.jit.text],
    ['C switch', (r) => r.ref.cswitch.text],
    ['C sw ns/insn*', (r) => (r.cswitchNsPerInsnEstimate === null ? '-' : r.cswitchNsPerInsnEstimate.toFixed(2))],
  );
  for (const e of engines) {
    cols.push([`${e} vs C sw`, (r) => ratio(r.engines[e]!.ratioToCSwitch)]);
    if (e === 'jit') cols.push(['jit vs Linux JIT', (r) => ratio(r.engines.jit!.ratioToLinuxJit)]);
  }
  const textCols = new Set(['kernel', 'native', 'Linux JIT', 'C switch']);
  const head = cols.map(([h]) => h);
  const body = rows.map((r) => cols.map(([, f]) => f(r)));
  const width = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, c) => (textCols.has(head[c]!) ? cell.padEnd(width[c]!) : cell.padStart(width[c]!))).join('  ').trimEnd();
  return [line(head), width.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const ratio = (x: number | null): string => (x === null ? '-' : `${x.toFixed(2)}×`);

/** Targets of issue 6: the trusted JIT's time / the Linux JIT's. */
const LINUX_JIT_TARGET: Record<string, number> = { fnv1a: 1.2, xorshift: 1.2, sum64: 1.5, parse: 3 };

function verifiedTable(v: VerifiedBench): string[] {
  const head = ['kernel (XDP, verified)', 'verifier insns', 'tsbpf JIT (trusted)', 'Linux JIT', 'native gcc -O2', 'JIT / Linux JIT', 'target', 'JIT / native'];
  const body = v.rows.map((r) => [
    r.name,
    r.verifierInsns.toLocaleString('en-US'),
    fmtTime(r.jitNs),
    r.linuxNs === null ? '-' : fmtTime(r.linuxNs),
    r.nativeNs === null ? '-' : fmtTime(r.nativeNs),
    r.linuxNs ? ratio(r.jitNs / r.linuxNs) : '-',
    LINUX_JIT_TARGET[r.name] ? `≤ ${LINUX_JIT_TARGET[r.name]}×` : '-',
    r.nativeNs ? ratio(r.jitNs / r.nativeNs) : '-',
  ]);
  const width = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(width[c]!) : cell.padStart(width[c]!))).join('  ');
  return [
    line(head),
    width.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(line),
    `The same object (bench/kernels-xdp.c; xorshift ${XS_STEPS.toLocaleString('en-US')} steps) verified by tsbpf then test-run on the trusted JIT, and test-run by the`,
    'Linux kernel (kernel-oracle.py): medians of per-run test-run durations, each including its harness, in CPU time (the kernel stops',
    'its clock while it yields the CPU; tsbpf: process CPU time, native: thread CPU time). Native: bench/native.c, gcc -O2.',
    `one call of the empty program (engine.runCtx as a test run or a tracing handler enters it: JS → wasm → JS, trusted JIT, CPU time): ${fmtTime(v.emptyCallNs)} (target ≤ 15 ns); the host's floor at the same moments, a JS → wasm call of a function returning its argument: ${fmtTime(v.bareWasmCallNs)} (medians of ${EMPTY_CALL_WORKERS} worker threads)`,
    ...[v.linuxUnavailable, v.nativeUnavailable].filter((x): x is string => x !== null),
  ];
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench');
  const sharedBench = path.join(path.resolve(process.cwd(), '../shared'), 'bench');
  const kernels = KERNELS.filter((k) => opts.only.length === 0 || opts.only.includes(k.name));

  const cpu = cpus();
  const machine = `${cpu[0]?.model ?? 'unknown CPU'} ×${cpu.length}, node ${process.version}`;
  log(`bench: ${machine}; ~${opts.seconds} s per kernel and engine (${opts.engines.join(', ')})`);
  const started = now();
  const loadBefore = loadavg();
  const results = kernels.map((k) => benchKernel(k, benchDir, sharedBench, opts));
  const jit = opts.engines.includes('jit');
  log('bench: compile time and helper calls …');
  const compile = jit ? [1_000, 10_000].map((n) => compileCost(syntheticProgram(n), 20, STEADY_WARMUP_NS)) : [];
  const helper = HELPERS.flatMap(([what, fn]) => opts.engines.map((e) => helperCost(e, opts.seconds, what, fn)));
  const verified = jit ? await benchVerified({ benchDir, sharedBench, oracle: path.join(sharedBench, '../tools/kernel-oracle.py') }, log) : null;
  const totalS = Number(now() - started) / 1e9;
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');

  const get = (name: string): Result | undefined => results.find((r) => r.name === name);
  const fnv = get('fnv1a');
  const xs = get('xorshift');
  const f = (r: Result | undefined): string => (r?.engines.interp ? r.engines.interp.nsPerInsn.toFixed(2) : 'n/a');
  const target = `interpreter ns/insn on fnv1a and xorshift: ${f(fnv)} and ${f(xs)} (target ≤ 6 ns)`;

  const json = {
    machine,
    loadavg: { before: loadBefore, after: loadavg() },
    date: new Date().toISOString(),
    engines: opts.engines,
    budget: BUDGET,
    seconds: totalS,
    kernels: results,
    jitCompile: compile,
    helperCall: helper,
    verified,
    target: { fnv1aNsPerInsn: fnv?.engines.interp?.nsPerInsn ?? null, xorshiftNsPerInsn: xs?.engines.interp?.nsPerInsn ?? null, limitNsPerInsn: 6 },
  };
  if (opts.jsonFile) writeFileSync(opts.jsonFile, JSON.stringify(json, null, 2) + '\n');
  if (opts.json) {
    process.stdout.write(JSON.stringify(json, null, 2) + '\n');
    return;
  }
  const empty = get('empty');
  const out = [
    `tsbpf benchmark (${opts.engines.join(', ')}) — ${machine}`,
    '',
    table(results, opts.engines),
    '',
    'X/run: median over samples of (sample time / runs); jit/interp: JIT median / interpreter median (< 1 = JIT faster).',
    `jit compile: a verified program's trusted module: eBPF → wasm bytes, V8's WebAssembly.Module + Instance and its lazy compile at the first run; median of 20 after ${COMPILE_WARMUP} (once per engine, on its first run).`,
    'native, Linux JIT, C switch: reference figures of ../shared/bench/README.md (same machine kind, not this run).',
    '* C sw ns/insn: the C switch interpreter\'s time divided by our instruction count (an estimate: its program was compiled separately).',
    'X vs C sw, jit vs Linux JIT: our median / the reference figure (> 1 = slower).',
    ...opts.engines.map((e) => (empty?.engines[e] ? `fixed cost of one run on ${e} (empty program): ${fmtTime(empty.engines[e]!.medianNs)}` : '')),
    '',
    ...compile.map((c) => `jit compile, synthetic ${c.slots.toLocaleString('en-US')}-slot program: ${fmtTime(c.totalNs)} (${fmtTime(c.encodeNs)} eBPF → ${c.wasmBytes.toLocaleString('en-US')} wasm bytes, ${fmtTime(c.wasmNs)} Module + Instance, ${fmtTime(c.lazyNs)} lazy compile at the first run) = ${fmtTime(c.per1000Ns)} per 1,000 instructions (target ≤ 1 ms), steady state: median of 20 after ${c.warmups} untimed compiles (1 s); the first of its compiles, the compiler's code still cold: ${fmtTime(c.firstNs)}`),
    ...helper.map((h) => `helper call (a helper that ${h.helper}; a loop of ${h.calls.toLocaleString('en-US')} with and without the call) on ${h.engine}: ${h.nsPerCall.toFixed(1)} ns per call`),
    '',
    ...(verified ? verifiedTable(verified) : []),
    '',
    target,
    `(${totalS.toFixed(1)} s; load average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, at the end: ${load})`,
  ].filter((l, i, a) => l !== '' || a[i - 1] !== '');
  process.stdout.write(out.join('\n') + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
