/**
 * Map operations from a program, on the interpreter, beside the same
 * programs in the Linux kernel (through ../shared/tools/kernel-oracle.py's
 * BPF_PROG_TEST_RUN, where the host allows it).
 *
 * Each program inserts one element, then looks it up N times in a loop; the
 * same loop without the helper call is the baseline, so
 * ns/op = (time with lookups − baseline) / N. The ring buffer case reserves
 * and submits N records per run.
 *
 *   node dist/bench/maps.js [--json]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assemble } from '../src/isa/asm.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { MapType } from '../src/maps/map.js';
import { ringbufOf } from '../src/maps/ringbuf.js';
import { Runtime } from '../src/runtime/runtime.js';
import { median } from './stats.js';

const N = 1000;

interface Case {
  name: string;
  type: number;
  keySize: number;
  /** the store that puts the key at r10 - 8 */
  key: string;
}

const CASES: Case[] = [
  { name: 'hash lookup (8-byte key, present)', type: MapType.HASH, keySize: 8, key: '*(u64 *)(r10 - 8) = 7' },
  { name: 'array lookup', type: MapType.ARRAY, keySize: 4, key: '*(u32 *)(r10 - 8) = 0' },
];

function program(c: Case, map: number, withCall: boolean): string {
  return `
    ${c.key}
    *(u64 *)(r10 - 16) = 1
    r1 = map[fd:${map}] ll
    r2 = r10
    r2 += -8
    r3 = r10
    r3 += -16
    r4 = 0
    call 2
    r6 = ${N}
  loop:
    r1 = map[fd:${map}] ll
    r2 = r10
    r2 += -8
    ${withCall ? 'call 1' : 'r0 = 0'}
    r6 += -1
    if r6 != 0 goto loop
    r0 = 0
    exit`;
}


function ours(c: Case, withCall: boolean): number {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const id = rt.createMap({ type: c.type, keySize: c.keySize, valueSize: 8, maxEntries: 1024 });
  const prog = rt.loadProgram({ unverified: true, insns: assemble(program(c, id, withCall)) });
  for (let i = 0; i < 50; i++) prog.run();
  const samples: number[] = [];
  for (let s = 0; s < 25; s++) {
    const runs = 40;
    const t = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) prog.run();
    samples.push(Number(process.hrtime.bigint() - t) / runs);
  }
  return median(samples);
}

/** The kernel's average ns per run, or a reason it could not be measured. */
function kernel(c: Case, withCall: boolean): number | string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-bench-'));
  const file = path.join(dir, 'prog.json');
  writeFileSync(file, JSON.stringify(assemble(program(c, 0, withCall))));
  const mapType = c.type === MapType.HASH ? 'hash' : 'array';
  const oracle = path.resolve(process.cwd(), '../shared/tools/kernel-oracle.py');
  const r = spawnSync('python3', [oracle, 'raw', file, '--type', 'xdp', '--map', `${mapType}:${c.keySize}:8:1024`, '--repeat', '2000'], { encoding: 'utf8', timeout: 60_000 });
  try {
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { accepted: boolean; error_line?: string; test_run?: { duration_ns: number } };
    if (!out.accepted || !out.test_run) return `kernel refused: ${out.error_line ?? 'no test run'}`;
    return out.test_run.duration_ns;
  } catch {
    return `oracle unavailable (${(r.stderr || r.error?.message || 'no output').trim().split('\n').pop()})`;
  }
}

const rows = CASES.map((c) => {
  const ourOp = (ours(c, true) - ours(c, false)) / N;
  const k1 = kernel(c, true);
  const k0 = kernel(c, false);
  const kernelOp = typeof k1 === 'number' && typeof k0 === 'number' ? (k1 - k0) / N : undefined;
  return { name: c.name, interpNsPerOp: ourOp, kernelNsPerOp: kernelOp, kernelNote: typeof k1 === 'string' ? k1 : typeof k0 === 'string' ? k0 : undefined };
});

/**
 * Ring buffer reserve + submit of 64 bytes, N per run, the ring drained after
 * each run. Not run in the kernel: its test run cannot drain the ring between
 * repeats, so later runs would time the full-ring failure path instead.
 */
function ringbuf(withCall: boolean): number {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const id = rt.createMap({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 1 << 17 });
  const body = withCall
    ? `r1 = map[fd:${id}] ll\n    r2 = 64\n    r3 = 0\n    call 131\n    if r0 == 0 goto skip\n    r1 = r0\n    r2 = 0\n    call 132`
    : `r1 = map[fd:${id}] ll\n    r2 = 64\n    r3 = 0\n    r0 = 0\n    if r0 == 0 goto skip\n    r1 = r0\n    r2 = 0\n    r0 = 0`;
  const prog = rt.loadProgram({ unverified: true, insns: assemble(`r6 = ${N}\n  loop:\n    ${body}\n  skip:\n    r6 += -1\n    if r6 != 0 goto loop\n    r0 = 0\n    exit`) });
  const ring = ringbufOf(rt.map(id));
  const once = (): void => {
    prog.run();
    ring.consume();
  };
  for (let i = 0; i < 20; i++) once();
  const samples: number[] = [];
  for (let s = 0; s < 15; s++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < 10; i++) once();
    samples.push(Number(process.hrtime.bigint() - t) / 10);
  }
  return median(samples);
}

rows.push({
  name: 'ringbuf reserve+submit (64 bytes)',
  interpNsPerOp: (ringbuf(true) - ringbuf(false)) / N,
  kernelNsPerOp: undefined,
  kernelNote: 'not measured: a kernel test run cannot drain the ring between repeats',
});

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(rows));
} else {
  console.log(`map operations from a program: ns per operation (N = ${N} per run, minus the same loop without the call)`);
  for (const r of rows) {
    const k = r.kernelNsPerOp !== undefined ? `${r.kernelNsPerOp.toFixed(1)} ns` : r.kernelNote;
    const ratio = r.kernelNsPerOp ? `  (${(r.interpNsPerOp / r.kernelNsPerOp).toFixed(1)}× the kernel)` : '';
    console.log(`  ${r.name.padEnd(36)} interpreter ${r.interpNsPerOp.toFixed(1).padStart(7)} ns   Linux ${k}${ratio}`);
  }
}
