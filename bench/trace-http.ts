/**
 * A real service: an HTTP server on loopback (its own process) under wrk
 * (another process), requests per second untraced and traced — traced being
 * a filter on node_http:server_response_finish (`status >= 500`, compiled
 * to eBPF, which the load never matches) plus a per-route counter (a
 * verified TRACEPOINT program keyed by the request path in a hash map) on
 * node_http:server_request_start. Rounds alternate the two servers, each
 * warmed up under wrk before it is measured, the two back to back in each
 * round; the medians are printed, and the median of the rounds' ratios
 * (the host's speed drifts over seconds, which a ratio of two adjacent
 * runs cancels), and the traced server checks that its counter saw every
 * request it served. Beside them, each server's CPU time per request served (the
 * host's other load sways req/s more than the server's own work per
 * request), and the tracing's own cost per request in process.
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
import { Runtime } from '../src/runtime/runtime.js';
import { attachProgram } from '../src/trace/handler.js';
import { defineNodeSources } from '../src/trace/node-sources/index.js';
import { recordEvents } from '../src/trace/record.js';
import { Tracepoint, TraceRegistry } from '../src/trace/tracepoint.js';

const ROUNDS = 15;
const SECONDS = 2;
const WARMUP = 1;
const CONNECTIONS = 16;
const TARGET = 0.97;
const KEY = 16;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

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

/** The traced configuration: the filter on response_finish, the counter on request_start; returns the requests counted so far. */
function attachTracing(registry: TraceRegistry): () => bigint {
  defineNodeSources(registry);
  const rt = new Runtime({ helpers: linuxHelpers(), host: nodeHost() });
  const finish = registry.named('node_http:server_response_finish');
  recordEvents(rt, finish, { filter: 'status >= 500' });
  const start = registry.named('node_http:server_request_start');
  const counts = rt.createMap({ name: 'routes', type: MapType.HASH, keySize: KEY, valueSize: 8, maxEntries: 64 });
  attachProgram(rt, start, rt.loadProgram({ name: 'routes', type: 5, license: 'GPL', insns: assemble(routeCounter(start, counts)) }));
  return () => rt.entries(counts).reduce((n, [, v]) => n + new DataView(v.buffer, v.byteOffset).getBigUint64(0, true), 0n);
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
    if (traced) attachTracing(registry);
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

/**
 * The server process: prints its port, serves until stdin closes, then
 * prints what it served and its CPU time since the line "mark" came on
 * stdin (after the warm-up), and what its counter saw in all.
 */
async function server(traced: boolean): Promise<void> {
  let served = 0;
  const srv = http.createServer((req, res) => {
    served++;
    res.end(req.url);
  });
  const counted = traced ? attachTracing(new TraceRegistry()) : () => 0n;
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  process.stdout.write(`${(srv.address() as AddressInfo).port}\n`);
  let mark = { served: 0, cpu: process.cpuUsage() };
  process.stdin.on('data', () => (mark = { served, cpu: process.cpuUsage() }));
  await once(process.stdin, 'end');
  const cpu = process.cpuUsage(mark.cpu);
  process.stdout.write(JSON.stringify({ served: served - mark.served, total: served, counted: Number(counted()), cpuUs: cpu.user + cpu.system }) + '\n');
  srv.close();
  process.exit(0);
}

/**
 * One round: start a server, warm it up under wrk for WARMUP seconds (V8
 * optimises its code, as a service that has run a while has), then run
 * wrk against it for SECONDS and stop it; requests per second, and the
 * server's own counts over the measured run.
 */
async function round(traced: boolean, script: string): Promise<{ rps: number; served: number; counted: number; total: number; cpuUs: number }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'server', traced ? 'traced' : 'untraced'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  while (!out.includes('\n')) await once(child.stdout, 'data');
  const url = `http://127.0.0.1:${Number(out.split('\n')[0])}/`;
  const load = (seconds: number) => spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '-s', script, url], { encoding: 'utf8' });
  load(WARMUP);
  child.stdin.write('mark\n');
  const wrk = load(SECONDS);
  child.stdin.end();
  await once(child, 'exit');
  const m = /Requests\/sec:\s+([\d.]+)/.exec(wrk.stdout);
  if (!m) throw new Error(`wrk: ${wrk.stderr || wrk.stdout}`);
  const counts = JSON.parse(out.split('\n')[1]!) as { served: number; total: number; counted: number; cpuUs: number };
  return { rps: Number(m[1]), ...counts };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  if (spawnSync('wrk', ['--version']).error) {
    console.log('trace-http: skipped: wrk is not installed (apt-get install wrk)');
    return;
  }
  const script = path.join(mkdtempSync(path.join(tmpdir(), 'tsbpf-wrk-')), 'routes.lua');
  writeFileSync(script, 'local paths = {"/a", "/b", "/c"}\nlocal i = 0\nrequest = function()\n  i = i % 3 + 1\n  return wrk.format("GET", paths[i])\nend\n');
  const plain: number[] = [];
  const traced: number[] = [];
  // the server's CPU time per request served, µs: less swayed than req/s by wrk's share of the two cores
  const plainCpu: number[] = [];
  const tracedCpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (process.stderr.isTTY) process.stderr.write(`\rtrace-http: round ${r + 1}/${ROUNDS}`);
    // each round runs both servers back to back, first one then the other by turns
    for (const isTraced of r % 2 ? [true, false] : [false, true]) {
      const x = await round(isTraced, script);
      if (isTraced && x.counted !== x.total) throw new Error(`the route counter saw ${x.counted} of ${x.total} requests`);
      (isTraced ? traced : plain).push(x.rps);
      (isTraced ? tracedCpu : plainCpu).push(x.cpuUs / x.served);
    }
  }
  // the host's speed drifts over seconds: each round's ratio compares two runs made side by side
  const ratio = median(traced.map((t, r) => t / plain[r]!));
  const cpuRatio = median(plainCpu) / median(tracedCpu);
  const perRequest = tracingNsPerRequest();
  const share = perRequest / (1e9 / median(plain));
  if (json) {
    console.log(JSON.stringify({ bench: 'trace-http', rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, untracedRps: plain, tracedRps: traced, ratio, untracedCpuUsPerRequest: plainCpu, tracedCpuUsPerRequest: tracedCpu, cpuRatio, tracingNsPerRequest: perRequest }));
    return;
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  console.log(`HTTP server on loopback, wrk -c${CONNECTIONS} ${SECONDS}s (after ${WARMUP}s of warm-up) × ${ROUNDS} rounds (alternating):`);
  console.log(`  untraced                                   ${median(plain).toFixed(0).padStart(8)} req/s  (rounds: ${plain.map((x) => x.toFixed(0)).join(' ')})`);
  console.log(`  filter + per-route counter (JIT)           ${median(traced).toFixed(0).padStart(8)} req/s  (rounds: ${traced.map((x) => x.toFixed(0)).join(' ')})`);
  console.log(`  traced / untraced, median of the rounds' ratios: ${(ratio * 100).toFixed(1)}%; target ≥ ${TARGET * 100}%: ${ratio >= TARGET ? 'met' : 'NOT met'} (ratio of the medians: ${((median(traced) / median(plain)) * 100).toFixed(1)}%)`);
  console.log(`  server CPU per request: untraced ${median(plainCpu).toFixed(1)} µs, traced ${median(tracedCpu).toFixed(1)} µs: requests per CPU-second traced / untraced ${(cpuRatio * 100).toFixed(1)}%`);
  console.log(`  the tracing alone, in process: ${perRequest.toFixed(0)} ns per request = ${(share * 100).toFixed(1)}% of an untraced request's ${(1e9 / median(plain) / 1000).toFixed(1)} µs`);
}

if (process.argv[2] === 'server') await server(process.argv[3] === 'traced');
else await main();
