/**
 * The verifier's soundness law, checked on random programs: a program the
 * verifier accepts never faults, never runs out of its budget and never
 * touches memory outside its regions when the checked interpreter runs it
 * (on random packets, contexts and map contents). The programs come from
 * verifier-gen.ts; they are loaded through Runtime.loadProgram, so the law is
 * checked on the loading path itself: a rejection is a VerifierRejection, an
 * accepted program is run.
 *
 * Two things keep a large campaign affordable, neither of which weakens the
 * law (a program accepted under them is accepted without them, on the same
 * proof):
 * - the verifier's processed-instruction limit is lowered to INSN_LIMIT: the
 *   generator's rare programs that reach Linux's 1,000,000 (and are refused
 *   there) would take seconds each;
 * - runs have an explicit budget. A generated program ends within a few
 *   hundred instructions unless a `may_goto` loop holds it, and may_goto
 *   jumps out only after Linux's BPF_MAX_LOOPS (8M) iterations: such a
 *   program is run for MAY_GOTO_BUDGET instructions, and reaching that
 *   budget is its expected end here (mayGotoEnds() in the test runs some to
 *   their real end). Any other program reaching RUN_BUDGET is a failure: it
 *   would mean a loop the verifier should have bounded.
 *
 *   node dist/test/soundness.js [--count N] [--first SEED] [--workers W]
 * runs a longer campaign (npm run soundness -- --count 1000000).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { BpfError } from '../src/errno.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { assemble } from '../src/isa/asm.js';
import { Insn } from '../src/isa/instruction.js';
import { BPF_JCOND, BPF_JMP } from '../src/isa/opcodes.js';
import { programType } from '../src/progtypes/index.js';
import { portableHost } from '../src/runtime/host.js';
import { Runtime } from '../src/runtime/runtime.js';
import { VerifierRejection } from '../src/runtime/verification.js';
import { GEN_MAPS, Rng, randomProgram, typeOfSeed } from './verifier-gen.js';

export const INSN_LIMIT = 20_000;
export const RUN_BUDGET = 10_000_000;
export const MAY_GOTO_BUDGET = 5_000;
/** runs of each accepted program, each on fresh random input */
const RUNS = 3;
/** seeds a worker checks per message, and per Runtime (each load takes stack space that is never given back) */
export const CHUNK = 1000;

export interface ChunkReport {
  first: number;
  accepted: number;
  rejected: number;
  /** seed, what went wrong, the program */
  failures: string[];
}

const hasMayGoto = (insns: readonly Insn[]): boolean => insns.some((i) => i.code === (BPF_JMP | BPF_JCOND));

function randomBytes(r: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r.next() & 0xff;
  return b;
}

/**
 * A random Ethernet frame of 14 to 80 bytes. A skb test run refuses an IPv4
 * or IPv6 frame too short for its network header (as Linux's
 * bpf_prog_test_run_skb does) before the program runs: such a frame gets
 * another EtherType.
 */
function randomFrame(r: Rng): Uint8Array {
  const f = randomBytes(r, r.int(14, 80));
  const type = (f[12]! << 8) | f[13]!;
  if ((type === 0x0800 && f.length < 34) || (type === 0x86dd && f.length < 54)) f[12] = 0x88;
  return f;
}

/** Check the programs of seeds [first, first + count) in a Runtime of their own. */
export function checkChunk(first: number, count: number): ChunkReport {
  // bpf_get_prandom_u32 from a seeded generator: a failing run can be replayed (and it is cheaper than the host's)
  const random = new Rng(first);
  const rt = new Runtime({ helpers: linuxHelpers(), host: { ...portableHost(), randomU32: () => random.next() } });
  const ids = GEN_MAPS.map((m) => rt.createMap(m));
  const report: ChunkReport = { first, accepted: 0, rejected: 0, failures: [] };
  for (let seed = first; seed < first + count; seed++) {
    const verdict = checkSeed(rt, ids, seed);
    if (verdict === 'rejected') report.rejected++;
    else if (verdict === 'accepted') report.accepted++;
    else {
      report.accepted++;
      report.failures.push(`seed ${seed}: accepted by the verifier, but ${verdict}\n${randomProgram(seed)}`);
    }
  }
  return report;
}

/** 'rejected', 'accepted' (and ran clean), or what went wrong in a run. */
function checkSeed(rt: Runtime, ids: readonly number[], seed: number): 'rejected' | 'accepted' | string {
  const insns = assemble(randomProgram(seed));
  const kind = typeOfSeed(seed);
  const bounded = hasMayGoto(insns);
  let prog;
  try {
    const spec = { insns, type: programType(kind)!.type, maps: ids, insnLimit: INSN_LIMIT, logLevel: 0, budget: bounded ? MAY_GOTO_BUDGET : RUN_BUDGET };
    prog = rt.loadProgram(spec);
  } catch (e) {
    if (e instanceof VerifierRejection) return 'rejected';
    return `the load failed after the verifier: ${(e as Error).message}`;
  }
  try {
    const rng = new Rng(seed * 7919);
    const values = rt.map(ids[0]!);
    for (let run = 0; run < RUNS; run++) {
      for (let k = 0; k < GEN_MAPS[0]!.maxEntries; k++) values.update(Uint8Array.of(k, 0, 0, 0), randomBytes(rng, GEN_MAPS[0]!.valueSize));
      try {
        // kprobe programs have no test run in Linux; tsbpf runs them on given registers
        if (kind === 'kprobe') prog.testRun({ ctx: randomBytes(rng, 168) });
        else prog.testRun({ data: randomFrame(rng) });
      } catch (e) {
        if (bounded && e instanceof BpfError && e.errno === 'E2BIG' && /budget/.test(e.message)) continue;
        return `run ${run} failed: ${(e as Error).message}`;
      }
    }
    return 'accepted';
  } finally {
    rt.unloadProgram(prog.id);
  }
}

export interface Campaign {
  accepted: number;
  rejected: number;
  /** the last seed of the chunks that made up the count */
  lastSeed: number;
  failures: string[];
}

/**
 * Check random programs from seed `first` on, in chunks spread over worker
 * threads, until `want` programs were accepted: chunks are counted in seed
 * order, so the programs checked are the same whatever the number of workers
 * (chunks still running when the count is reached are checked too).
 */
export function campaign(want: number, first = 1, workers = defaultWorkers()): Promise<Campaign> {
  return new Promise((resolve, reject) => {
    const done = new Map<number, ChunkReport>();
    const result: Campaign = { accepted: 0, rejected: 0, lastSeed: first - 1, failures: [] };
    let next = first;
    let counted = first;
    let running = 0;
    let enough = false;
    const pool: Worker[] = [];
    const finish = (): void => {
      for (const w of pool) void w.terminate();
      resolve(result);
    };
    const dispatch = (w: Worker): void => {
      if (enough) {
        if (running === 0) finish();
        return;
      }
      running++;
      w.postMessage(next);
      next += CHUNK;
    };
    const receive = (w: Worker, r: ChunkReport): void => {
      running--;
      done.set(r.first, r);
      result.failures.push(...r.failures);
      // count the finished chunks in seed order
      for (let c = done.get(counted); c && !enough; c = done.get(counted)) {
        result.accepted += c.accepted;
        result.rejected += c.rejected;
        result.lastSeed = counted + CHUNK - 1;
        counted += CHUNK;
        enough = result.accepted >= want;
      }
      dispatch(w);
    };
    for (let i = 0; i < workers; i++) {
      const w = new Worker(new URL('./soundness-worker.js', import.meta.url));
      pool.push(w);
      w.on('message', (r: ChunkReport) => receive(w, r));
      w.on('error', (e) => {
        for (const x of pool) void x.terminate();
        reject(e);
      });
      dispatch(w);
    }
  });
}

/** One worker per core, and at most 4: CI machines are shared. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

async function main(args: string[]): Promise<void> {
  const opt = (name: string, dflt: number): number => {
    const i = args.indexOf(`--${name}`);
    const v = i < 0 ? dflt : Number(args[i + 1]);
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--${name} needs a positive whole number`);
    return v;
  };
  const want = opt('count', 100_000);
  const t0 = performance.now();
  const first = opt('first', 1);
  const r = await campaign(want, first, opt('workers', defaultWorkers()));
  for (const f of r.failures) console.log(f);
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`soundness: ${r.accepted} accepted programs ran without a fault, ${r.rejected} rejected (seeds ${first}..${r.lastSeed}); ${r.failures.length} failures; ${secs} s`);
  if (r.failures.length) process.exitCode = 1;
}

// `node --test dist/test/` runs every file of the folder: the campaign runs only when asked for
if (process.argv[1] === fileURLToPath(import.meta.url) && !process.env.NODE_TEST_CONTEXT) await main(process.argv.slice(2));
