/**
 * The benchmark: runs the kernels of ../shared/bench (compiled by clang into
 * bench/kernels/*.s, see gen-kernels.sh) on the interpreter, checks each
 * result, and reports median time per run, instructions executed per run and
 * time per executed instruction beside the reference figures of
 * ../shared/bench/README.md.
 *
 *   npm run bench                         all kernels, table on stdout
 *   node dist/bench/run.js fnv1a parse    some kernels
 *   node dist/bench/run.js --json         the figures as JSON on stdout
 *   node dist/bench/run.js --json=FILE    table on stdout, JSON written to FILE
 *   node dist/bench/run.js --seconds=4    time spent sampling each kernel (default 8)
 *
 * Progress goes to stderr. The process exits non-zero if a kernel returns a
 * wrong result.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assemble } from '../src/isa/asm.js';
import { Interpreter } from '../src/vm/interpreter.js';
import { AddressSpace } from '../src/vm/memory.js';

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

interface Result {
  name: string;
  r0: string;
  /** instructions executed by one run */
  executed: number;
  samples: number;
  runsPerSample: number;
  /** median over the samples of (sample time / runs per sample) */
  medianNs: number;
  minNs: number;
  maxNs: number;
  nsPerInsn: number;
  ref: { native: Ref; jit: Ref; cswitch: Ref };
  /** medianNs / C switch interpreter figure: > 1 means slower than it */
  ratioToCSwitch: number | null;
  /** the C switch interpreter's figure divided by our instruction count: its ns/insn, roughly */
  cswitchNsPerInsnEstimate: number | null;
}

interface Options {
  json: boolean;
  jsonFile: string | null;
  seconds: number;
  only: string[];
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { json: false, jsonFile: null, seconds: 5, only: [] };
  for (const a of argv) {
    if (a === '--json') o.json = true;
    else if (a.startsWith('--json=')) o.jsonFile = a.slice('--json='.length);
    else if (a.startsWith('--seconds=')) {
      o.seconds = Number(a.slice('--seconds='.length));
      if (!(o.seconds > 0)) throw new Error(`bench: bad ${a}`);
    } else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node dist/bench/run.js [--json | --json=FILE] [--seconds=S] [kernel…]\n');
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

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function fmtTime(ns: number): string {
  if (ns < 1_000) return `${ns.toFixed(ns < 10 ? 2 : ns < 100 ? 1 : 0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : ns < 1e5 ? 1 : 0)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : ns < 1e8 ? 1 : 0)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

function log(msg: string): void {
  process.stderr.write(msg + '\n');
}

function benchKernel(k: Kernel, benchDir: string, sharedBench: string, seconds: number): Result {
  const text = readFileSync(path.join(benchDir, 'kernels', `${k.name}.s`), 'utf8');
  const insns = assemble(text);
  const input = k.input ? new Uint8Array(readFileSync(path.join(sharedBench, k.input))) : new Uint8Array(0);

  const space = new AddressSpace();
  const vm = new Interpreter(insns, { space, budget: BUDGET });
  const region = space.map(input, k.input ?? 'mem');
  const args = [BigInt(input.length ? region.start : 0), BigInt(input.length)];
  const regions = [region];

  // Check the result once before timing anything.
  const r0 = vm.run(args, regions);
  if (r0 !== k.expected) {
    throw new Error(`bench: ${k.name} returned ${hex(r0)}, expected ${hex(k.expected)} (README table) — not timing a wrong program`);
  }
  const executed = vm.executed;
  if (!(executed > 0)) throw new Error(`bench: ${k.name}: interpreter reports ${executed} instructions executed`);

  // Warm up: at least 3 runs and ~1/8 of the sampling time, so V8 has optimised the interpreter.
  const warmNs = BigInt(Math.round((seconds * 1e9) / 8));
  let t0 = now();
  let one = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3 || now() - t0 < warmNs; i++) {
    const s = now();
    vm.run(args, regions);
    const d = Number(now() - s);
    if (d < one) one = d;
  }

  // Samples of `runs` runs each; ~25 samples of ≥ 5 ms, fewer (but ≥ 3) when one run is long.
  const budgetNs = seconds * 1e9;
  const runs = Math.max(1, Math.round(Math.max(5e6, budgetNs / 25) / Math.max(one, 1)));
  const samples = Math.max(3, Math.min(25, Math.floor(budgetNs / (one * runs))));
  const perRun: number[] = [];
  let sink = 0n;
  // A busy machine slows runs down: stop at 1.5 × the budget, after at least 3 samples.
  const deadline = now() + BigInt(Math.round(budgetNs * 1.5));
  for (let s = 0; s < samples; s++) {
    if (s >= 3 && now() > deadline) break;
    t0 = now();
    for (let i = 0; i < runs; i++) sink ^= vm.run(args, regions);
    perRun.push(Number(now() - t0) / runs);
    if (vm.executed !== executed) {
      throw new Error(`bench: ${k.name}: executed ${vm.executed} instructions, first run executed ${executed}`);
    }
  }
  // Each sample XORs `runs` equal results: a check that the timed runs still compute the same value.
  const expectSink = perRun.length * runs % 2 === 1 ? k.expected : 0n;
  if (sink !== expectSink) throw new Error(`bench: ${k.name}: timed runs returned a different value`);
  const after = space.bytes.subarray(region.start, region.end);
  if (!after.every((b, i) => b === input[i])) throw new Error(`bench: ${k.name} modified its input`);

  const medianNs = median(perRun);
  return {
    name: k.name,
    r0: hex(r0),
    executed,
    samples: perRun.length,
    runsPerSample: runs,
    medianNs,
    minNs: Math.min(...perRun),
    maxNs: Math.max(...perRun),
    nsPerInsn: medianNs / executed,
    ref: { native: k.native, jit: k.jit, cswitch: k.cswitch },
    ratioToCSwitch: k.cswitch.ns === null ? null : medianNs / k.cswitch.ns,
    cswitchNsPerInsnEstimate: k.cswitch.ns === null ? null : k.cswitch.ns / executed,
  };
}

function table(rows: readonly Result[]): string {
  const head = ['kernel', 'r0', 'median/run', 'insns/run', 'ns/insn', 'samples', 'native', 'Linux JIT', 'C switch', 'C sw ns/insn*', 'vs C switch'];
  const body = rows.map((r) => [
    r.name,
    r.r0,
    fmtTime(r.medianNs),
    r.executed.toLocaleString('en-US'),
    r.nsPerInsn.toFixed(2),
    `${r.samples}×${r.runsPerSample}`,
    r.ref.native.text,
    r.ref.jit.text,
    r.ref.cswitch.text,
    r.cswitchNsPerInsnEstimate === null ? '-' : r.cswitchNsPerInsnEstimate.toFixed(2),
    r.ratioToCSwitch === null ? '-' : `${r.ratioToCSwitch.toFixed(2)}×`,
  ]);
  const numeric = new Set([2, 3, 4, 5, 9, 10]);
  const width = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, c) => (numeric.has(c) ? cell.padStart(width[c]!) : cell.padEnd(width[c]!))).join('  ').trimEnd();
  return [line(head), width.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench');
  const sharedBench = path.join(path.resolve(process.cwd(), '../shared'), 'bench');
  const kernels = KERNELS.filter((k) => opts.only.length === 0 || opts.only.includes(k.name));

  const cpu = cpus();
  const machine = `${cpu[0]?.model ?? 'unknown CPU'} ×${cpu.length}, node ${process.version}`;
  log(`bench: ${machine}; ~${opts.seconds} s per kernel`);
  const started = now();
  const results: Result[] = [];
  for (const k of kernels) {
    log(`bench: ${k.name} …`);
    const r = benchKernel(k, benchDir, sharedBench, opts.seconds);
    log(`bench: ${k.name}: ${fmtTime(r.medianNs)}/run, ${r.nsPerInsn.toFixed(2)} ns/insn`);
    results.push(r);
  }
  const totalS = Number(now() - started) / 1e9;
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');

  const get = (name: string): Result | undefined => results.find((r) => r.name === name);
  const fnv = get('fnv1a');
  const xs = get('xorshift');
  const f = (r: Result | undefined): string => (r ? r.nsPerInsn.toFixed(2) : 'n/a');
  const target = `interpreter ns/insn on fnv1a and xorshift: ${f(fnv)} and ${f(xs)} (target ≤ 6 ns)`;

  const json = {
    machine,
    loadavg: loadavg(),
    date: new Date().toISOString(),
    engine: 'interp',
    budget: BUDGET,
    seconds: totalS,
    kernels: results,
    target: { fnv1aNsPerInsn: fnv?.nsPerInsn ?? null, xorshiftNsPerInsn: xs?.nsPerInsn ?? null, limitNsPerInsn: 6 },
  };
  if (opts.jsonFile) writeFileSync(opts.jsonFile, JSON.stringify(json, null, 2) + '\n');
  if (opts.json) {
    process.stdout.write(JSON.stringify(json, null, 2) + '\n');
    return;
  }
  const empty = get('empty');
  const out = [
    `tsbpf interpreter benchmark — ${machine}`,
    '',
    table(results),
    '',
    'median/run: median over samples of (sample time / runs); samples: samples × runs per sample.',
    'native, Linux JIT, C switch: reference figures of ../shared/bench/README.md (same machine kind, not this run).',
    '* C sw ns/insn: the C switch interpreter\'s time divided by our instruction count (an estimate: its program was compiled separately).',
    'vs C switch: our median / the C switch interpreter\'s figure (> 1 = slower).',
    empty ? `fixed cost of one run (empty program): ${fmtTime(empty.medianNs)}` : '',
    '',
    target,
    `(${totalS.toFixed(1)} s; load average at the end: ${load})`,
  ].filter((l, i, a) => l !== '' || a[i - 1] !== '');
  process.stdout.write(out.join('\n') + '\n');
}

try {
  main();
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
