/**
 * Function probes: the cost per call of a trivial function `add(a, b)` —
 * unprobed; probed with nothing attached; probed with a log2 histogram of
 * its latency (a verified TRACEPOINT program on probe_js:add__return, run by
 * the JIT: bpftrace's `uretprobe { @h = hist(latency) }`); and with a
 * counter on the entry as well (entry+return). For scale: the return probe
 * with an empty JS sink, and Node's clocks (a return probe reads one twice
 * per call). Medians of samples of CALLS calls, in CPU time of this process
 * (process.cpuUsage: the machine is shared; `--wall` for the wall clock);
 * the histogram is checked to hold every call. Each configuration runs in
 * a worker thread of its own (one at a time, the main thread idle).
 *
 *   node dist/bench/trace-probes.js [--json] [--wall]
 */
import { assemble } from '../src/isa/asm.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { MapType } from '../src/maps/map.js';
import { Runtime } from '../src/runtime/runtime.js';
import { nowNs } from '../src/trace/clock.js';
import { attachProgram } from '../src/trace/handler.js';
import { probe } from '../src/trace/probe.js';
import { TraceRegistry, Tracepoint } from '../src/trace/tracepoint.js';
import { inWorker, isolatedConfig, reply } from './isolated.js';
import { median } from './stats.js';

const CALLS = 200_000;
const SAMPLES = 15;
const TARGET_NS = 200;

const wall = process.argv.includes('--wall');
/** the chosen clock, ns */
const clock = (): number => {
  if (wall) return performance.now() * 1e6;
  const u = process.cpuUsage();
  return (u.user + u.system) * 1e3;
};

/** ns per call of `read` (each sample CALLS calls), median of SAMPLES */
function perCall(read: () => number): number {
  let x = 0;
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const t0 = clock();
    for (let i = 0; i < CALLS; i++) x += read();
    samples.push((clock() - t0) / CALLS);
  }
  if (x < 0) throw new Error('unreachable');
  return median(samples);
}

/** floor(log2(latency_ns)) into slot r7 of an array of 64 u64 counters, by halving steps (bpftrace's log2) */
function histogramProgram(ret: Tracepoint, map: number): string {
  const steps = [16, 8, 4, 2, 1].map((s) => `
    if r6 < ${2 ** s} goto +2
    r6 >>= ${s}
    r7 += ${s}`).join('');
  return `
    r6 = *(u64 *)(r1 + ${ret.field('latency_ns')!.offset})
    r7 = 0
    r2 = 0xffffffff ll
    if r6 <= r2 goto +2
    r6 >>= 32
    r7 += 32${steps}
    if r7 > 63 goto +5
    r7 <<= 3
    r1 = map[fd:${map}][0]+0 ll
    r1 += r7
    r2 = 1
    lock *(u64 *)(r1 + 0) += r2
    r0 = 0
    exit`;
}

function counterProgram(map: number): string {
  return `
    r1 = map[fd:${map}][0]+0 ll
    r2 = 1
    lock *(u64 *)(r1 + 0) += r2
    r0 = 0
    exit`;
}

/** ns per read of each of Node's monotonic clocks */
function clockCosts(): Record<string, number> {
  return {
    'nowNs() (the probes\' clock)': perCall(nowNs),
    'performance.now()': perCall(() => performance.now()),
    'process.hrtime()': perCall(() => process.hrtime()[1]),
    'process.hrtime.bigint()': perCall(() => Number(process.hrtime.bigint() & 0xffffn)),
  };
}

interface Row { config: string; nsPerCall: number; overheadNs: number }

const CONFIGS = ['unprobed', 'probed, nothing attached', 'return probe, empty JS sink', 'return probe, log2 latency histogram (JIT)', 'entry counter + return histogram'] as const;

/**
 * ns per call of configuration `k` (an index into CONFIGS), set up from
 * nothing in this isolate: the probe, its sinks and programs; the
 * histogram is checked to hold every call it timed.
 */
function measure(k: number): number {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const registry = new TraceRegistry();
  const target = { add(a: number, b: number): number { return a + b; } };
  let sink = 0;
  let timed = 0;
  const time = (): number => {
    const samples: number[] = [];
    for (let s = 0; s < SAMPLES + 2; s++) {
      const t0 = clock();
      for (let i = 0; i < CALLS; i++) sink = target.add(i, sink & 0xff);
      samples.push((clock() - t0) / CALLS);
    }
    timed += (SAMPLES + 2) * CALLS;
    return median(samples.slice(2)); // the first two warm the JIT
  };
  if (k === 0) return time();
  const p = probe(target, 'add', { registry, args: { a: 'u32', b: 'u32' }, ret: 'u32' });
  if (k === 1) return time();
  if (k === 2) {
    p.ret.attach({ hit() {} });
    return time();
  }
  const hist = rt.createMap({ name: 'hist', type: MapType.ARRAY, keySize: 4, valueSize: 8 * 64, maxEntries: 1 });
  const hl = attachProgram(rt, p.ret, rt.loadProgram({ name: 'hist', type: 5, license: 'GPL', insns: assemble(histogramProgram(p.ret, hist)) }));
  const count = rt.createMap({ name: 'count', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
  const cl = k === 4 ? attachProgram(rt, p.entry, rt.loadProgram({ name: 'count', type: 5, license: 'GPL', insns: assemble(counterProgram(count)) })) : undefined;
  const ns = time();
  const slots = rt.lookupElem(hist, new Uint8Array(4))!;
  const dv = new DataView(slots.buffer, slots.byteOffset);
  let inHist = 0n;
  for (let i = 0; i < 64; i++) inHist += dv.getBigUint64(i * 8, true);
  if (inHist !== BigInt(timed) || hl.errors || cl?.errors) throw new Error(`histogram holds ${inHist} calls of ${timed} (errors ${hl.errors}, ${cl?.errors})`);
  if (sink < 0) throw new Error('unreachable'); // keeps the calls observable
  return ns;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const rows: Row[] = [];
  for (let k = 0; k < CONFIGS.length; k++) rows.push({ config: CONFIGS[k], nsPerCall: await inWorker(import.meta.url, k), overheadNs: 0 });
  for (const r of rows) r.overheadNs = r.nsPerCall - rows[0]!.nsPerCall;
  const clocks = clockCosts();

  if (json) {
    console.log(JSON.stringify({ bench: 'trace-probes', calls: CALLS, samples: SAMPLES, clock: wall ? 'wall' : 'cpu', targetNs: TARGET_NS, clocks, rows }));
    return;
  }
  console.log(`function probes: ${CALLS} calls of add(a, b) per sample, median of ${SAMPLES}, ${wall ? 'wall' : 'CPU'} time, each configuration in a worker of its own (histograms checked to hold every call)`);
  for (const r of rows) console.log(`  ${r.config.padEnd(44)} ${r.nsPerCall.toFixed(1).padStart(7)} ns/call  (+${r.overheadNs.toFixed(1)} ns)`);
  console.log(`  clocks, ns per read (a return probe reads nowNs() twice per call): ${Object.entries(clocks).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
  const worst = rows.at(-1)!;
  console.log(`  entry+return with histogram: ${worst.nsPerCall.toFixed(1)} ns per call; target ≤ ${TARGET_NS} ns: ${worst.nsPerCall <= TARGET_NS ? 'met' : 'NOT met'}`);
}

const config = isolatedConfig();
if (config !== undefined) reply(measure(config));
else await main();
