/**
 * Differential testing of the verifier against the running kernel: random
 * programs (verifier-gen.ts) are given to Linux (test/verifier-oracle.py,
 * through kernel-oracle.py) and to tsbpf, and every difference in verdict,
 * error line or processed-instruction count is reported.
 *
 *   node dist/test/verifier-diff.js [FIRST_SEED] [COUNT] [LOG_LEVEL]
 *
 * Needs Linux and root. The kernel re-check test (verifier-kernel-diff.test.ts)
 * runs a fixed set of seeds through the same comparison.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assemble } from '../src/isa/asm.js';
import { Insn } from '../src/isa/instruction.js';
import { verify } from '../src/verifier/index.js';
import { GEN_MAPS, GenType, randomProgram, typeOfSeed } from './verifier-gen.js';
import { errorLine } from './verifier-suite-run.js';

const ORACLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/verifier-oracle.py');

export interface KernelVerdict {
  accepted: boolean;
  errno: number;
  error: string | null;
  processed: number | null;
  log: string;
}

/**
 * A kernel log without what tsbpf does not print: the static liveness
 * report of 6.18 (`Live regs before insn`, `(0) frame 0 insn 3 +written -8`,
 * `live stack update`), loop markers (`SCC enter`), `func#0 @0`, and map
 * addresses (`r1 = 0xffff888…` where tsbpf names the map).
 */
export function comparableLog(log: string): string {
  return log
    .split('\n')
    .filter((l) => !/^(func#\d+ @\d+|Live regs before insn:|\s+\d+: [0-9.]{10} \(|\s+\d+\s+\d+: |\(\d+(,\d+)*\) (frame \d+ insn|live stack)|verification time|stack depth)/.test(l))
    .join('\n')
    .replace(/\(18\) (r\d+) = (0x[0-9a-f]{12,16}|map\[[^\]]*\])( +;)?/g, (_m, r: string, _a: string, semi?: string) => `(18) ${r} = MAP${semi ? ' ;' : ''}`);
}

/** Ask the kernel about many programs with the generator's maps at once. */
export function askKernel(progs: readonly Insn[][], types: readonly GenType[], logLevel = 1): KernelVerdict[] {
  const input = progs.map((insns, i) => ({
    type: types[i],
    logLevel,
    maps: GEN_MAPS.map((m) => ({ type: m.typeName, key: m.keySize, value: m.valueSize, max: m.maxEntries })),
    insns: insns.map((i) => [i.code, i.dst, i.src, i.off, i.imm]),
  }));
  const r = spawnSync('python3', [ORACLE], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`verifier-oracle.py: ${r.stderr}`);
  return JSON.parse(r.stdout) as KernelVerdict[];
}

export interface Difference {
  seed: number;
  what: 'verdict' | 'reason' | 'processed' | 'log';
  kernel: string;
  tsbpf: string;
}

/** Compare tsbpf with the kernel on the programs of seeds [first, first + count). */
export function compareSeeds(first: number, count: number, logLevel = 1): { differences: Difference[]; accepted: number; rejected: number } {
  const seeds = Array.from({ length: count }, (_, i) => first + i);
  const progs = seeds.map((s) => assemble(randomProgram(s)));
  const types = seeds.map(typeOfSeed);
  const kernel = askKernel(progs, types, logLevel);
  const differences: Difference[] = [];
  let accepted = 0;
  progs.forEach((insns, i) => {
    const k = kernel[i]!;
    const ours = verify({ insns }, { progType: types[i], mapsByIndex: GEN_MAPS, logLevel });
    if (k.accepted) accepted++;
    const seed = seeds[i]!;
    const line = ours.accepted ? undefined : errorLine(ours.log);
    if (k.accepted !== ours.accepted) {
      differences.push({ seed, what: 'verdict', kernel: k.accepted ? 'accept' : `reject: ${k.error}`, tsbpf: ours.accepted ? 'accept' : `reject: ${line}` });
    } else if (!k.accepted && k.error !== line) {
      differences.push({ seed, what: 'reason', kernel: k.error ?? '', tsbpf: line ?? '' });
    } else if (k.processed !== ours.insnsProcessed) {
      differences.push({ seed, what: 'processed', kernel: `${k.processed}`, tsbpf: `${ours.insnsProcessed}` });
    } else if (comparableLog(k.log) !== comparableLog(ours.log)) {
      differences.push({ seed, what: 'log', kernel: firstDiff(comparableLog(k.log), comparableLog(ours.log)), tsbpf: '' });
    }
  });
  return { differences, accepted, rejected: count - accepted };
}

/** The first differing line of two logs, with its number. */
function firstDiff(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: kernel '${la[i]}' tsbpf '${lb[i]}'`;
  }
  return '';
}

function main(args: string[]): void {
  const first = Number(args[0] ?? 1);
  const count = Number(args[1] ?? 200);
  const level = Number(args[2] ?? 1);
  const { differences, accepted, rejected } = compareSeeds(first, count, level);
  for (const d of differences) console.log(`${d.what.padEnd(9)} seed ${d.seed}: kernel ${d.kernel} | tsbpf ${d.tsbpf}`);
  const by = (w: string): number => differences.filter((d) => d.what === w).length;
  console.log(`${count} programs (kernel accepted ${accepted}, rejected ${rejected}): verdict differs ${by('verdict')}, error line ${by('reason')}, processed count ${by('processed')}, log (level ${level}) ${by('log')}`);
}

// `node --test dist/test/` runs every file here: the campaign runs only when started by hand
if (process.argv[1] === fileURLToPath(import.meta.url) && !process.env.NODE_TEST_CONTEXT) main(process.argv.slice(2));
