/**
 * BTF parsing and printing speed on a large blob (the running kernel's
 * vmlinux BTF, 5 MB), beside bpftool on the same file in the same run:
 * `bpftool btf dump file F format raw|c > /dev/null`, timed around the
 * process (its parse, its printing, its start-up).
 *
 *   node dist/bench/btf.js [--file F] [--runs N] [--json]
 *
 * Each figure is the median of N runs (default 7) in milliseconds; tsbpf's
 * are in-process after one warm-up run, its dumps include writing the text
 * to /dev/null as bpftool does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { checkBtf } from '../src/btf/check.js';
import { dumpC } from '../src/btf/dump-c.js';
import { dumpRaw } from '../src/btf/dump-raw.js';
import { parseBtf } from '../src/btf/parse.js';
import { median } from './stats.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const file = option('--file', '/sys/kernel/btf/vmlinux');
const runs = Number(option('--runs', '7'));
const json = process.argv.includes('--json');

/** Median wall time of `fn` over `runs` runs, after one run to warm the JIT. */
function time(fn: () => void): number {
  fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    ms.push(performance.now() - start);
  }
  return median(ms);
}

/** Median wall time of a command with its output to /dev/null, or undefined when it cannot run. */
function timeCommand(cmd: string, args: string[]): number | undefined {
  const devnull = openSync('/dev/null', 'w');
  try {
    const probe = spawnSync(cmd, args, { stdio: ['ignore', devnull, 'ignore'] });
    if (probe.status !== 0) return undefined;
    return time(() => void spawnSync(cmd, args, { stdio: ['ignore', devnull, 'ignore'] }));
  } finally {
    closeSync(devnull);
  }
}

function bpftool(): string | undefined {
  return ['bpftool', '/usr/sbin/bpftool'].find((b) => spawnSync(b, ['version'], { stdio: 'ignore' }).status === 0);
}

if (!existsSync(file)) {
  console.log(`btf bench: ${file} is absent (not a Linux host with BTF); pass --file F`);
  process.exit(0);
}

const bytes = new Uint8Array(readFileSync(file));
const btf = parseBtf(bytes);
const toNull = (text: string): void => writeFileSync('/dev/null', text);
const tool = bpftool();

const rows: { what: string; ms: number | undefined }[] = [
  { what: 'tsbpf parseBtf', ms: time(() => void parseBtf(bytes)) },
  { what: 'tsbpf checkBtf (of the parsed BTF)', ms: time(() => checkBtf(btf)) },
  { what: 'tsbpf parseBtf + dumpRaw > /dev/null', ms: time(() => toNull(dumpRaw(parseBtf(bytes)))) },
  { what: 'tsbpf parseBtf + dumpC > /dev/null', ms: time(() => toNull(dumpC(parseBtf(bytes)))) },
  { what: 'bpftool btf dump file F format raw > /dev/null', ms: tool ? timeCommand(tool, ['btf', 'dump', 'file', file, 'format', 'raw']) : undefined },
  { what: 'bpftool btf dump file F format c > /dev/null', ms: tool ? timeCommand(tool, ['btf', 'dump', 'file', file, 'format', 'c']) : undefined },
];

if (json) {
  console.log(JSON.stringify({ file, bytes: bytes.length, types: btf.types.length - 1, runs, rows }));
} else {
  console.log(`BTF of ${file} (${(bytes.length / 1e6).toFixed(1)} MB, ${btf.types.length - 1} types): median of ${runs} runs`);
  for (const r of rows) console.log(`  ${r.what.padEnd(48)} ${r.ms === undefined ? '(not available)' : `${r.ms.toFixed(1).padStart(8)} ms`}`);
}
