/**
 * A real service: an HTTP server on loopback (its own process) under wrk
 * (another process), requests per second untraced and traced — traced being
 * a filter on node_http:server_response_finish (`status >= 500`, compiled
 * to eBPF, which the load never matches) plus a per-route counter (a
 * verified TRACEPOINT program keyed by the request path in a hash map) on
 * node_http:server_request_start.
 *
 * One server process, under one wrk run, attaches and detaches the tracing
 * by turns every SLICE_MS (the detached server subscribes to nothing, as an
 * untraced one); each traced slice's req/s is compared with the mean of the
 * untraced slices either side of it, and the headline is the median of
 * those ratios. Separate processes, one per configuration, did not resolve
 * a few percent here: two identical untraced servers run at the same time
 * differed by up to 38 % in CPU per request, from process to process, while
 * adjacent slices of one process see the same host and the same V8 code.
 * A control run of a second process toggles nothing (its "traced" slices
 * are untraced too): its median ratio is the method's own error. A third
 * process toggles no-op subscribers on the same two channels: what Node's
 * own publishing to a subscriber costs (it builds each message then),
 * which no tracer on these channels can avoid. The
 * attach (program compile, filter compile) happens between slices, outside
 * their timing; each slice is counted from SETTLE_MS after its toggle, when
 * the code the toggle deoptimised or made afresh has been optimised again
 * (split into 50 ms parts, a traced slice's first part ran at 87–94 % of
 * its neighbours' and the rest at ~95–100 %; a no-op toggle's first part
 * at 91 %, the rest ~95–105 %: /work/scratch/toggle-sub.mjs). The
 * server checks that its counter saw every request its traced slices
 * served. Beside them, CPU time per request per slice, and the tracing's
 * own cost per request in process.
 *
 *   node dist/bench/trace-http.js [--json]        (needs wrk: apt-get install wrk)
 */
import { spawn, spawnSync } from 'node:child_process';
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { assemble } from '../src/isa/asm.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { MapType } from '../src/maps/map.js';
import { nodeHost } from '../src/runtime/node-host.js';
import type { Program } from '../src/runtime/program.js';
import { Runtime } from '../src/runtime/runtime.js';
import { attachProgram } from '../src/trace/handler.js';
import { defineNodeSources } from '../src/trace/node-sources/index.js';
import { recordEvents } from '../src/trace/record.js';
import { Tracepoint, TraceRegistry } from '../src/trace/tracepoint.js';
import { median } from './stats.js';

/** each slice runs traced or untraced (by turns) for this long */
const SLICE_MS = 400;
/**
 * the first SETTLE_MS of each slice are not counted: a channel's first
 * subscribe and last unsubscribe change its prototype, which deoptimises
 * Node's publishing functions ("code dependencies" in --trace-deopt:
 * parserOnIncoming 28 times and resOnFinish 27 in 12 s of toggling every
 * 400 ms, none of tsbpf's functions more than once), and V8 optimises them
 * again only after some ms; a service traced once pays that once, not
 * every SLICE_MS. Both kinds of slice (and every server kind) skip the same
 * span, and the whole-slice ratio is printed beside.
 */
const SETTLE_MS = 100;
/** slices in the first WARMUP_S are not counted: V8 optimises the server's code (and ours) first, as in a service that has run a while */
const WARMUP_S = 2;
const SECONDS = 30;
const CONNECTIONS = 16;
const TARGET = 0.97;
const KEY = 16;

/**
 * A 95 % interval for the median of `xs`, by bootstrap (the median of
 * 2,000 resamples with replacement, their 2.5th and 97.5th percentiles):
 * one slice's rate varies by ±20 % here, so the median of a few dozen
 * ratios is known to a few percent, and the interval says how many.
 * A fixed-seed generator, so one run's data gives one interval.
 */
function medianInterval(xs: number[]): [number, number] {
  let seed = 0x2545f491;
  const next = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const medians = Array.from({ length: 2000 }, () => median(xs.map(() => xs[Math.floor(next() * xs.length)]!))).sort((a, b) => a - b);
  return [medians[50]!, medians[1949]!];
}

/** counts[path[0..16]] += 1: the path read through its __data_loc, as a C handler would */
function routeCounter(tp: Tracepoint, map: number): string {
  return `
    r6 = r1
    r1 = 0
    *(u64 *)(r10 - 16) = r1
    *(u64 *)(r10 - 8) = r1
    r3 = *(u32 *)(r6 + ${tp.field('path')!.offset})
    r3 &= 0xffff
    r3 += r6
    r1 = r10
    r1 += -16
    r2 = ${KEY}
    call 115
    r1 = map[fd:${map}] ll
    r2 = r10
    r2 += -16
    call 1
    if r0 == 0 goto new
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
    goto out
  new:
    r1 = 1
    *(u64 *)(r10 - 24) = r1
    r1 = map[fd:${map}] ll
    r2 = r10
    r2 += -16
    r3 = r10
    r3 += -24
    r4 = 1
    call 2
  out:
    r0 = 0
    exit`;
}

/**
 * The traced configuration: the filter on response_finish, the counter on
 * request_start, attached and detached as a whole; the Runtime, its map and
 * the loaded (verified) program stay across attaches.
 */
class Tracing {
  private readonly rt = new Runtime({ helpers: linuxHelpers(), host: nodeHost() });
  private readonly finish: Tracepoint;
  private readonly start: Tracepoint;
  private readonly counts: number;
  private readonly program: Program;
  private detachAll: (() => void) | undefined;

  constructor(registry: TraceRegistry) {
    defineNodeSources(registry);
    this.finish = registry.named('node_http:server_response_finish');
    this.start = registry.named('node_http:server_request_start');
    this.counts = this.rt.createMap({ name: 'routes', type: MapType.HASH, keySize: KEY, valueSize: 8, maxEntries: 64 });
    this.program = this.rt.loadProgram({ name: 'routes', type: 5, license: 'GPL', insns: assemble(routeCounter(this.start, this.counts)) });
  }

  attach(): void {
    const recording = recordEvents(this.rt, this.finish, { filter: 'status >= 500' });
    const link = attachProgram(this.rt, this.start, this.program);
    this.detachAll = () => {
      recording.detach();
      link.detach();
    };
  }

  detach(): void {
    this.detachAll?.();
    this.detachAll = undefined;
  }

  /** requests the counter saw so far */
  counted(): bigint {
    return this.rt.entries(this.counts).reduce((n, [, v]) => n + new DataView(v.buffer, v.byteOffset).getBigUint64(0, true), 0n);
  }
}

/**
 * ns per request of the tracing alone, in process: the two channels the
 * traced server's sources subscribe to published as Node publishes them
 * for a request (its message: the request, the response, the socket and
 * the server), traced less untraced (the loop builds the same messages
 * both times; median of samples).
 */
function tracingNsPerRequest(): number {
  const loop = (traced: boolean): number => {
    const registry = new TraceRegistry();
    if (traced) new Tracing(registry).attach();
    else defineNodeSources(registry);
    const start = dc.channel('http.server.request.start');
    const finish = dc.channel('http.server.response.finish');
    const paths = ['/a', '/b', '/c'];
    const socket = { remoteAddress: '127.0.0.1', remotePort: 40000 };
    const samples: number[] = [];
    const N = 20_000;
    for (let s = 0; s < 12; s++) {
      const t0 = performance.now();
      for (let i = 0; i < N; i++) {
        const message = {
          request: { method: 'GET', url: paths[i % 3], httpVersion: '1.1', rawHeaders: ['Host', '127.0.0.1:8080'] },
          response: { statusCode: 200 },
          socket,
          server: null,
        };
        if (start.hasSubscribers) start.publish(message);
        if (finish.hasSubscribers) finish.publish(message);
      }
      samples.push(((performance.now() - t0) * 1e6) / N);
    }
    return median(samples.slice(2));
  };
  const untraced = loop(false);
  return loop(true) - untraced;
}

/** Requests served, CPU µs and ms over part of a slice. */
interface Span {
  served: number;
  cpuUs: number;
  ms: number;
}

/** A slice: the whole of it, and its settled part (after SETTLE_MS). */
interface Slice {
  traced: boolean;
  whole: Span;
  settled: Span;
}

/** A point in a slice, to measure a span from. */
interface Mark {
  served: number;
  cpu: NodeJS.CpuUsage;
  at: number;
}

/** What a server toggles: the tracing, no-op subscribers on its channels, or nothing (the control). */
type Kind = 'traced' | 'noop' | 'control';
const KINDS: readonly Kind[] = ['traced', 'noop', 'control'];

/** No-op subscribers on the channels the tracing subscribes to. */
class NoopSubscribers {
  private readonly channels = ['http.server.request.start', 'http.server.response.finish'];
  private readonly noop = (): void => {};

  attach(): void {
    for (const c of this.channels) dc.subscribe(c, this.noop);
  }

  detach(): void {
    for (const c of this.channels) dc.unsubscribe(c, this.noop);
  }
}

/**
 * The server process: prints its port; on "go" on stdin starts slicing
 * (its "traced" slices attach what `kind` toggles); when stdin closes
 * prints the slices after the warm-up (the one in progress dropped) and
 * whether the counter saw every traced request.
 */
async function server(kind: Kind): Promise<void> {
  let served = 0;
  const srv = http.createServer((req, res) => {
    served++;
    res.end(req.url);
  });
  const tracing = new Tracing(new TraceRegistry());
  const toggled = kind === 'traced' ? tracing : kind === 'noop' ? new NoopSubscribers() : undefined;
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  process.stdout.write(`${(srv.address() as AddressInfo).port}\n`);
  const slices: Slice[] = [];
  let servedTraced = 0;
  let timer: NodeJS.Timeout | undefined;
  let settle: NodeJS.Timeout | undefined;
  const mark = (): Mark => ({ served, cpu: process.cpuUsage(), at: performance.now() });
  const since = (m: Mark): Span => {
    const cpu = process.cpuUsage(m.cpu);
    return { served: served - m.served, cpuUs: cpu.user + cpu.system, ms: performance.now() - m.at };
  };
  let traced = false;
  let began = mark();
  let settled = began;
  const start = (): void => {
    began = settled = mark();
    settle = setTimeout(() => (settled = mark()), SETTLE_MS);
    timer = setTimeout(next, SLICE_MS);
  };
  const next = (): void => {
    slices.push({ traced, whole: since(began), settled: since(settled) });
    if (traced) {
      servedTraced += served - began.served;
      toggled?.detach();
    }
    traced = !traced;
    if (traced) toggled?.attach();
    start();
  };
  process.stdin.once('data', start);
  await once(process.stdin, 'end');
  clearTimeout(timer);
  clearTimeout(settle);
  if (traced) servedTraced += served - began.served;
  const counted = kind === 'traced' ? Number(tracing.counted()) : servedTraced;
  const warm = slices.findIndex((_, i) => slices.slice(0, i).reduce((t, x) => t + x.whole.ms, 0) >= WARMUP_S * 1000);
  process.stdout.write(JSON.stringify({ slices: slices.slice(warm), counted, servedTraced }) + '\n');
  srv.close();
  process.exit(0);
}

interface Run {
  slices: Slice[];
  /** each traced slice's req/s over the mean of its untraced neighbours' */
  ratios: number[];
  /** the same for requests per CPU-second */
  cpuRatios: number[];
  /** req/s ratios of whole slices, the SETTLE_MS after each toggle included */
  wholeRatios: number[];
}

/** Each traced slice's `measure` over the mean of its untraced neighbours'. */
function neighbourRatios(slices: readonly Slice[], measure: (x: Slice) => number): number[] {
  const ratios: number[] = [];
  for (let i = 1; i + 1 < slices.length; i++) {
    if (slices[i]!.traced) ratios.push(measure(slices[i]!) / ((measure(slices[i - 1]!) + measure(slices[i + 1]!)) / 2));
  }
  return ratios;
}

/** One server under wrk for WARMUP_S + SECONDS, slicing (toggling what its kind toggles). */
async function run(kind: Kind, script: string): Promise<Run> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'server', kind], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  while (!out.includes('\n')) await once(child.stdout, 'data');
  const url = `http://127.0.0.1:${Number(out.split('\n')[0])}/`;
  child.stdin.write('go\n');
  const wrk = spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${WARMUP_S + SECONDS}s`, '-s', script, url], { encoding: 'utf8' });
  child.stdin.end();
  await once(child, 'exit');
  if (!/Requests\/sec/.test(wrk.stdout)) throw new Error(`wrk: ${wrk.stderr || wrk.stdout}`);
  const { slices, counted, servedTraced } = JSON.parse(out.split('\n')[1]!) as { slices: Slice[]; counted: number; servedTraced: number };
  if (counted !== servedTraced) throw new Error(`the route counter saw ${counted} of ${servedTraced} requests`);
  return {
    slices,
    ratios: neighbourRatios(slices, (x) => x.settled.served / x.settled.ms),
    cpuRatios: neighbourRatios(slices, (x) => x.settled.served / x.settled.cpuUs),
    wholeRatios: neighbourRatios(slices, (x) => x.whole.served / x.whole.ms),
  };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  if (spawnSync('wrk', ['--version']).error) {
    console.log('trace-http: skipped: wrk is not installed (apt-get install wrk)');
    return;
  }
  const script = path.join(mkdtempSync(path.join(tmpdir(), 'tsbpf-wrk-')), 'routes.lua');
  writeFileSync(script, 'local paths = {"/a", "/b", "/c"}\nlocal i = 0\nrequest = function()\n  i = i % 3 + 1\n  return wrk.format("GET", paths[i])\nend\n');
  const runs = {} as Record<Kind, Run>;
  for (const kind of KINDS) {
    if (process.stderr.isTTY) process.stderr.write(`\rtrace-http: the ${kind} server …   `);
    runs[kind] = await run(kind, script);
  }
  if (process.stderr.isTTY) process.stderr.write('\r                                   \r');
  const { traced, noop, control } = runs;
  const ratio = median(traced.ratios);
  const perRequest = tracingNsPerRequest();
  const rps = (r: Run, t: boolean): number => median(r.slices.filter((x) => x.traced === t).map((x) => (x.settled.served / x.settled.ms) * 1000));
  const untracedRps = rps(traced, false);
  const share = perRequest / (1e9 / untracedRps);
  if (json) {
    console.log(JSON.stringify({
      bench: 'trace-http', sliceMs: SLICE_MS, seconds: SECONDS, connections: CONNECTIONS, ratio, cpuRatio: median(traced.cpuRatios),
      ratioInterval: medianInterval(traced.ratios), settleMs: SETTLE_MS, wholeRatio: median(traced.wholeRatios), noopRatio: median(noop.ratios), controlRatio: median(control.ratios), controlCpuRatio: median(control.cpuRatios), traced, noop, control, tracingNsPerRequest: perRequest,
    }));
    return;
  }
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  console.log(`HTTP server on loopback under wrk -c${CONNECTIONS} for ${SECONDS} s (after ${WARMUP_S} s of warm-up), the tracing attached and detached by turns every ${SLICE_MS} ms:`);
  console.log(`  untraced slices                            ${untracedRps.toFixed(0).padStart(8)} req/s  (median of ${traced.slices.filter((x) => !x.traced).length})`);
  console.log(`  traced: filter + per-route counter (JIT)   ${rps(traced, true).toFixed(0).padStart(8)} req/s  (median of ${traced.ratios.length})`);
  const [low, high] = medianInterval(traced.ratios);
  console.log(`  traced / untraced, median of each traced slice's ratio to its neighbours: ${pct(ratio)} (95% interval ${pct(low)}–${pct(high)}); target ≥ ${TARGET * 100}%: ${ratio >= TARGET ? 'met' : 'NOT met'}`);
  console.log(`  requests per CPU-second, traced / untraced the same way: ${pct(median(traced.cpuRatios))}`);
  console.log(`  (each slice counted from ${SETTLE_MS} ms after its toggle; whole slices, the settling included: ${pct(median(traced.wholeRatios))} req/s (${medianInterval(traced.wholeRatios).map(pct).join('–')}))`);
  const interval = (r: Run): string => medianInterval(r.ratios).map(pct).join('–');
  console.log(`  Node's share: no-op subscribers on the same channels, toggled the same way: ${pct(median(noop.ratios))} req/s (${interval(noop)}), ${pct(median(noop.cpuRatios))} per CPU-second`);
  console.log(`  control (a server toggling nothing, the method's own error): ${pct(median(control.ratios))} req/s (${interval(control)}), ${pct(median(control.cpuRatios))} per CPU-second`);
  console.log(`  the tracing alone, in process: ${perRequest.toFixed(0)} ns per request = ${(share * 100).toFixed(1)}% of an untraced request's ${(1e9 / untracedRps / 1000).toFixed(1)} µs`);
}

if (process.argv[2] === 'server') await server(process.argv[3] as Kind);
else await main();
