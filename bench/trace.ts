/**
 * The cost of tracing a hot tracepoint, in process: one million hits of a
 * tracepoint with an integer field `sig` and a string field `comm`, in the
 * configurations of issue 7, timed in one run:
 *
 *   1. no tracepoint: the loop's own work;
 *   2. the tracepoint defined, nothing attached (`if (tp.enabled) tp.fire(…)`);
 *   3. every event recorded to the Runtime's trace buffer;
 *   4. the filter `((sig >= 10 && sig < 15) || sig == 17) && comm != "bash"`,
 *      rejecting every event, evaluated by the tree-walking interpreter;
 *   5. the same filter compiled to eBPF and run by the JIT;
 *
 * and aggregation by a program attached as the handler:
 *
 *   6. `counts[sig] += 1` on a hash map (lookup, then an atomic add);
 *   7. a log2 histogram of a u64 field in an array map.
 *
 * Each figure is the median of RUNS runs of the whole loop, in ns per
 * event, each configuration in a worker thread of its own (isolated.ts);
 * "added" is the median minus configuration 1's. Runs are timed in
 * CPU time of this process (process.cpuUsage), not wall time: the machine
 * is shared, and another process's time slices are not this loop's cost
 * (`--wall` times the wall clock instead). The JIT is the project's JIT as
 * it is on this branch.
 *
 *   node dist/bench/trace.js [--json] [--events N] [--wall]
 */
import { linuxHelpers } from '../src/helpers/linux.js';
import { assemble } from '../src/isa/asm.js';
import { MapType } from '../src/maps/map.js';
import { nodeHost } from '../src/runtime/node-host.js';
import { Runtime } from '../src/runtime/runtime.js';
import { traceBufferOf } from '../src/trace/buffer.js';
import { attachProgram } from '../src/trace/handler.js';
import { recordEvents } from '../src/trace/record.js';
import { TraceRegistry } from '../src/trace/tracepoint.js';
import { inWorker, isolatedConfig, reply } from './isolated.js';
import { median } from './stats.js';

const FILTER = '((sig >= 10 && sig < 15) || sig == 17) && comm != "bash"';
const RUNS = 11;
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const N = Number(arg('--events') ?? 1_000_000);
const json = process.argv.includes('--json');
const wall = process.argv.includes('--wall');
/** the chosen clock, µs */
const clock = (): number => (wall ? Number(process.hrtime.bigint()) / 1e3 : cpu());
const cpu = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const registry = new TraceRegistry();
const tp = registry.define('signal:generate', { sig: 's32', comm: 'string', lat: 'u64' });
const comm = 'node';
let sink = 0;

/** The hot path without a tracepoint: a little work per call. */
function plain(i: number): void {
  sink += i & 7;
}

/** The same with the tracepoint, guarded as callers are told to. */
function traced(i: number): void {
  sink += i & 7;
  if (tp.enabled) tp.fire({ sig: i & 7, comm, lat: i });
}

// one loop per function, so each call site sees one callee (a shared `fn(i)` would stop inlining)
function loopPlain(n: number): void {
  for (let i = 0; i < n; i++) plain(i);
}

function loopTraced(n: number): void {
  for (let i = 0; i < n; i++) traced(i);
}

/** ns per event: median over RUNS runs of N calls, after two warm-up runs. */
function time(loop: (n: number) => void): number {
  const samples: number[] = [];
  for (let r = 0; r < RUNS + 2; r++) {
    const t = clock();
    loop(N);
    if (r >= 2) samples.push(((clock() - t) * 1e3) / N);
  }
  return median(samples);
}

const rt = new Runtime({ helpers: linuxHelpers(), host: nodeHost() });
const sigOff = tp.field('sig')!.offset;
const latOff = tp.field('lat')!.offset;
/** `map[key] += 1` for the u32 key in `reg`, then return 0: the body both aggregating handlers share. */
const bump = (reg: string, map: number): string => `*(u32 *)(r10 - 4) = ${reg}
    r1 = map[fd:${map}] ll
    r2 = r10
    r2 += -4
    call 1
    if r0 == 0 goto +2
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
    r0 = 0
    exit`;
const log2 = [32, 16, 8, 4, 2, 1].map((s) => `r4 = r2\nr4 >>= ${s}\nif r4 == 0 goto +2\nr2 = r4\nr3 += ${s}`).join('\n');

/** A handler program on its map, attached: what configurations 6 and 7 measure. */
function handler(name: string, type: number, keys: number, body: (map: number) => string): () => () => void {
  return () => {
    const map = rt.createMap({ name, type, keySize: 4, valueSize: 8, maxEntries: 64 });
    for (let k = 0; k < keys; k++) rt.updateElem(map, new Uint8Array(new Uint32Array([k]).buffer), new Uint8Array(8));
    const link = attachProgram(rt, tp, rt.loadProgram({ name, type: 5, license: 'GPL', engine: 'jit', insns: assemble(body(map)) }));
    return () => check(link.errors === 0, link.detach, String(link.lastError));
  };
}

/** The configurations, in the order printed: the loop each times, and what is attached meanwhile. */
const CONFIGS: Array<{ name: string; loop: (n: number) => void; setup?: () => () => void }> = [
  { name: 'no tracepoint', loop: loopPlain },
  { name: 'tracepoint, nothing attached', loop: loopTraced },
  {
    name: 'record every event', loop: loopTraced, setup: () => {
      const r = recordEvents(rt, tp);
      return () => {
        r.detach();
        traceBufferOf(rt).read();
      };
    },
  },
  {
    name: 'filter, tree walk (rejects all)', loop: loopTraced, setup: () => {
      const r = recordEvents(rt, tp, { filter: FILTER, engine: 'interp' });
      return () => check(r.recorded === 0, r.detach);
    },
  },
  {
    name: 'filter, eBPF JIT (rejects all)', loop: loopTraced, setup: () => {
      const r = recordEvents(rt, tp, { filter: FILTER, engine: 'jit' });
      return () => check(r.recorded === 0 && r.filter!.engine === 'jit', r.detach);
    },
  },
  { name: 'handler: hash map counts[sig] += 1', loop: loopTraced, setup: handler('counts', MapType.HASH, 8, (m) => `r2 = *(u32 *)(r1 + ${sigOff})\n${bump('r2', m)}`) },
  { name: 'handler: log2 histogram (array map)', loop: loopTraced, setup: handler('hist', MapType.ARRAY, 0, (m) => `r2 = *(u64 *)(r1 + ${latOff})\nr3 = 0\n${log2}\n${bump('r3', m)}`) },
];

function measure(k: number): number {
  const c = CONFIGS[k]!;
  const teardown = c.setup?.();
  const ns = time(c.loop);
  teardown?.();
  return ns;
}

function check(ok: boolean, detach: () => void, why = ''): void {
  detach();
  if (!ok) throw new Error(`benchmark configuration did not behave as intended ${why}`);
}

async function main(): Promise<void> {
  const results: Array<{ name: string; ns: number }> = [];
  for (let k = 0; k < CONFIGS.length; k++) results.push({ name: CONFIGS[k]!.name, ns: await inWorker(import.meta.url, k) });
  const [base, , recording, walk, jit] = results.map((r) => r.ns) as [number, number, number, number, number];
  const added = (ns: number): number => ns - base;
  const rows = results.map((r) => ({ ...r, added: added(r.ns) }));
  const ratios = {
    jitVsRecording: added(jit) / added(recording),
    jitVsTreeWalk: added(jit) / added(walk),
  };
  if (json) {
    console.log(JSON.stringify({ events: N, runs: RUNS, clock: wall ? 'wall' : 'cpu', filter: FILTER, rows, ratios }));
  } else {
    console.log(`tracepoint signal:generate {sig: s32, comm: string, lat: u64}: ${N.toLocaleString('en')} hits, median of ${RUNS} runs, ${wall ? 'wall' : 'CPU'} time`);
    console.log(`filter: ${FILTER}\n`);
    console.log(`${'configuration'.padEnd(40)} ${'ns/event'.padStart(9)} ${'added'.padStart(9)}`);
    for (const r of rows) console.log(`${r.name.padEnd(40)} ${r.ns.toFixed(1).padStart(9)} ${r.added.toFixed(1).padStart(9)}`);
    console.log(`\nJIT filter / recording (added): ${ratios.jitVsRecording.toFixed(2)}   JIT filter / tree walk (added): ${ratios.jitVsTreeWalk.toFixed(2)}`);
    console.log(`targets: JIT filter ≤ 30 ns, < 1/3 of recording, < 1/2 of the tree walk; nothing attached ≤ 2 ns; each handler ≤ 60 ns`);
  }
}

const config = isolatedConfig();
if (config !== undefined) reply(measure(config));
else await main();
