import { test } from 'node:test';
import assert from 'node:assert/strict';
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { TraceRegistry, TraceSink } from '../src/trace/tracepoint.js';
import { assemble } from '../src/isa/asm.js';
import { Runtime } from '../src/runtime/runtime.js';
import { traceBufferOf } from '../src/trace/buffer.js';
import { attachProgram } from '../src/trace/handler.js';
import { recordEvents } from '../src/trace/record.js';
import { defineNodeSources, nodeSourceOrigin } from '../src/trace/node-sources/index.js';

const reg = new TraceRegistry();
defineNodeSources(reg);

/** Attach a collecting sink to each named tracepoint; returns the events seen (values copied) and detach. */
function collect(...names: string[]): { events: Map<string, Record<string, unknown>[]>; detach(): void } {
  const events = new Map<string, Record<string, unknown>[]>(names.map((n) => [n, []]));
  const detaches = names.map((n) => reg.named(n).attach({ hit: (values) => events.get(n)!.push({ ...values }) }));
  return { events, detach: () => detaches.forEach((d) => d()) };
}

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

test('every source has a tracepoint with its origin; a diagnostics channel is subscribed only while attached', () => {
  const names = reg.list('node_*').map((t) => t.name);
  for (const n of ['node_http:server_request_start', 'node_http:client_response_finish', 'node_net:server_socket', 'node_undici:request_headers', 'node_gc:gc', 'node_loop:delay', 'node_process:exit'])
    assert.ok(names.includes(n), n);
  assert.equal(nodeSourceOrigin('node_http:server_request_start', reg), 'http.server.request.start');
  assert.equal(defineNodeSources(reg).length, names.length, 'defining again defines nothing new');
  assert.equal(dc.hasSubscribers('http.server.request.start'), false);
  const a = collect('node_http:server_request_start');
  const b = collect('node_http:server_request_start');
  assert.equal(dc.hasSubscribers('http.server.request.start'), true);
  a.detach();
  assert.equal(dc.hasSubscribers('http.server.request.start'), true, 'one sink still attached');
  b.detach();
  b.detach();
  assert.equal(dc.hasSubscribers('http.server.request.start'), false);
});

test('sinks that read fields by name get only the fields they read computed; other sinks get every field as data', () => {
  const touched: string[] = [];
  const spy = (name: string, value: unknown) => ({ get: () => (touched.push(name), value), enumerable: true });
  const request = Object.defineProperties({}, {
    method: spy('method', 'GET'), url: spy('url', '/x'), httpVersion: spy('httpVersion', '1.1'),
    rawHeaders: spy('rawHeaders', ['Host', 'h:1']), headers: spy('headers', { host: 'h:1' }),
  });
  const socket = Object.defineProperties({}, { remoteAddress: spy('remoteAddress', '::1'), remotePort: spy('remotePort', 9) });
  const tp = reg.named('node_http:server_request_start');
  const paths: unknown[] = [];
  const detach = tp.attach({ byName: true, hit: (v) => void paths.push(v.path) });
  dc.channel('http.server.request.start').publish({ request, socket, response: {}, server: {} });
  assert.deepEqual(paths, ['/x']);
  assert.deepEqual(touched, ['url'], 'only the path was read from the message');
  touched.length = 0;
  const copies: Record<string, unknown>[] = [];
  const detachCopy = tp.attach({ hit: (v) => void copies.push({ ...v }) });
  dc.channel('http.server.request.start').publish({ request, socket, response: {}, server: {} });
  detach();
  detachCopy();
  assert.deepEqual(copies, [{ method: 'GET', path: '/x', host: 'h:1', remote_addr: '::1', remote_port: 9, http_version: '1.1' }]);
  assert.equal(touched.includes('headers'), false, 'the host comes from the raw headers: the headers object is never built');
});

test('a duration is the time since its own start, with more requests in flight than the recent-start ring holds; an end without a start has 0', () => {
  const IN_FLIGHT = 40; // more than StartTimes' ring of 32: the first starts move to its Map
  const tp = reg.named('node_http:server_response_finish');
  const seen = new Map<unknown, number>();
  const detach = tp.attach({ byName: true, hit: (v) => void seen.set(v.path, v.duration_ns as number) });
  const message = (k: number) => ({ request: { method: 'GET', url: `/${k}`, httpVersion: '1.1', rawHeaders: [] }, response: { statusCode: 200 }, socket: {}, server: {} });
  const messages = Array.from({ length: IN_FLIGHT }, (_, k) => message(k));
  /** [before, after] the publication of each message's event, ms */
  const publish = (channel: string, k: number): [number, number] => {
    const before = performance.now();
    dc.channel(channel).publish(messages[k]);
    return [before, performance.now()];
  };
  const starts = messages.map((_, k) => {
    const at = publish('http.server.request.start', k);
    while (performance.now() < at[1] + 1); // starts 1 ms apart: a duration given to the wrong request is off by more
    return at;
  });
  const ends: [number, number][] = [];
  for (let j = 0; j < IN_FLIGHT; j++) {
    const k = (j * 17) % IN_FLIGHT; // every one, out of order
    ends[k] = publish('http.server.response.finish', k);
  }
  dc.channel('http.server.response.finish').publish(message(99));
  detach();
  assert.equal(seen.size, IN_FLIGHT + 1);
  for (let k = 0; k < IN_FLIGHT; k++) {
    const ms = seen.get(`/${k}`)! / 1e6;
    const [low, high] = [ends[k]![0] - starts[k]![1], ends[k]![1] - starts[k]![0]];
    assert.ok(ms >= low - 0.001 && ms <= high + 0.001, `request ${k}: ${ms} ms, not in [${low}, ${high}]`);
  }
  assert.equal(seen.get('/99'), 0, 'no start: 0');
});

test('a start is timed only while an attached sink may read the duration (TraceSink.reads)', () => {
  const tp = reg.named('node_http:server_response_finish');
  const message = (url: string) => ({ request: { method: 'GET', url, httpVersion: '1.1', rawHeaders: [] }, response: { statusCode: 200 }, socket: {}, server: {} });
  const statuses: unknown[] = [];
  const durations = new Map<unknown, unknown>();
  const statusOnly = tp.attach({ byName: true, reads: ['status'], hit: (v) => void statuses.push(v.status) });
  assert.equal(tp.reads('status'), true);
  assert.equal(tp.reads('duration_ns'), false);
  const untimed = message('/untimed');
  dc.channel('http.server.request.start').publish(untimed);
  const reader = tp.attach({ byName: true, reads: ['path', 'duration_ns'], hit: (v) => void durations.set(v.path, v.duration_ns) });
  assert.equal(tp.reads('duration_ns'), true);
  const timed = message('/timed');
  dc.channel('http.server.request.start').publish(timed);
  const t = performance.now();
  while (performance.now() < t + 1);
  for (const m of [untimed, timed]) dc.channel('http.server.response.finish').publish(m);
  const any = tp.attach({ hit: () => {} });
  assert.equal(tp.reads('anything'), true, 'a sink that does not say may read any field');
  any();
  reader();
  statusOnly();
  assert.deepEqual(statuses, [200, 200]);
  assert.equal(durations.get('/untimed'), 0, 'started while no sink read the duration: not timed');
  assert.ok((durations.get('/timed') as number) >= 1e6, `timed: ${durations.get('/timed')} ns`);
});

test('HTTP server and client on loopback: methods, paths, ports, status codes and durations', async () => {
  const c = collect('node_http:server_request_start', 'node_http:server_response_finish', 'node_http:client_request_start', 'node_http:client_response_finish', 'node_net:server_socket', 'node_net:client_socket', 'node_net:server_listen');
  const server = http.createServer((req, res) => {
    res.statusCode = req.url === '/missing' ? 404 : 200;
    setTimeout(() => res.end('ok'), 20);
  });
  const port = await listen(server);
  const localPorts: number[] = [];
  const request = (method: string, path: string) => new Promise<number>((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t0));
    });
    req.on('socket', (s) => s.on('connect', () => localPorts.push(s.localPort!)));
    req.on('error', reject);
    req.end();
  });
  const walls = [await request('GET', '/hello?x=1'), await request('POST', '/missing')];
  server.close();
  c.detach();
  const ev = c.events;
  assert.deepEqual(ev.get('node_net:server_listen'), [{ addr: '127.0.0.1', port, family: 'IPv4' }]);
  const sreq = ev.get('node_http:server_request_start')!;
  assert.deepEqual(sreq.map((e) => [e.method, e.path, e.host, e.remote_addr, e.remote_port, e.http_version]),
    [['GET', '/hello?x=1', `127.0.0.1:${port}`, '127.0.0.1', localPorts[0], '1.1'], ['POST', '/missing', `127.0.0.1:${port}`, '127.0.0.1', localPorts[1], '1.1']]);
  const sfin = ev.get('node_http:server_response_finish')!;
  assert.deepEqual(sfin.map((e) => [e.method, e.path, e.status]), [['GET', '/hello?x=1', 200], ['POST', '/missing', 404]]);
  // the handler waits 20 ms (a timer fires no earlier than asked, to the ms), and the response finishes before the client sees its end
  sfin.forEach((e, i) => assert.ok((e.duration_ns as number) >= 19e6 && (e.duration_ns as number) <= walls[i]! * 1e6, `server duration ${e.duration_ns} in [19 ms, ${walls[i]} ms]`));
  const creq = ev.get('node_http:client_request_start')!;
  assert.deepEqual(creq.map((e) => [e.method, e.host, e.port, e.path]), [['GET', '127.0.0.1', port, '/hello?x=1'], ['POST', '127.0.0.1', port, '/missing']]);
  const cfin = ev.get('node_http:client_response_finish')!;
  assert.deepEqual(cfin.map((e) => e.status), [200, 404]);
  cfin.forEach((e, i) => assert.ok((e.duration_ns as number) >= 19e6 && (e.duration_ns as number) <= walls[i]! * 1e6));
  assert.deepEqual(ev.get('node_net:server_socket')!.map((e) => e.remote_port), localPorts);
  assert.deepEqual(ev.get('node_net:client_socket')!.map((e) => [e.remote_addr, e.remote_port, e.local_port]), localPorts.map((p) => ['127.0.0.1', port, p]));
});

test('fetch: undici request, headers (status, duration) and connection events', async () => {
  const server = http.createServer((req, res) => {
    res.statusCode = req.url === '/teapot' ? 418 : 204;
    res.end();
  });
  const port = await listen(server);
  const c = collect('node_undici:request_create', 'node_undici:request_headers', 'node_undici:client_before_connect', 'node_undici:client_connected', 'node_undici:client_send_headers');
  const r1 = await fetch(`http://127.0.0.1:${port}/teapot`, { method: 'PUT' });
  await r1.arrayBuffer(); // a read body frees the connection for the next request
  const r2 = await fetch(`http://127.0.0.1:${port}/empty?q=2`);
  assert.deepEqual([r1.status, r2.status], [418, 204]);
  c.detach();
  server.close();
  const ev = c.events;
  const origin = `http://127.0.0.1:${port}`;
  assert.deepEqual(ev.get('node_undici:request_create'), [{ method: 'PUT', origin, path: '/teapot' }, { method: 'GET', origin, path: '/empty?q=2' }]);
  assert.deepEqual(ev.get('node_undici:client_send_headers')!.map((e) => e.path), ['/teapot', '/empty?q=2']);
  assert.deepEqual(ev.get('node_undici:request_headers')!.map((e) => [e.method, e.path, e.status]), [['PUT', '/teapot', 418], ['GET', '/empty?q=2', 204]]);
  assert.ok(ev.get('node_undici:request_headers')!.every((e) => (e.duration_ns as number) > 0));
  const connects = ev.get('node_undici:client_before_connect')!;
  assert.ok(connects.length >= 1);
  assert.ok(connects.every((e) => e.host === '127.0.0.1' && e.port === port && e.protocol === 'http:'), JSON.stringify(connects));
  assert.equal(ev.get('node_undici:client_connected')!.length, connects.length, 'every connection attempt succeeded');
});

test('child processes, UDP sockets and worker threads', async () => {
  const c = collect('node_child_process:spawn', 'node_udp:socket', 'node_worker:create');
  const child = spawn(process.execPath, ['-e', '0']);
  await once(child, 'exit');
  const sock = dgram.createSocket('udp6');
  sock.close();
  const w = new Worker('0', { eval: true });
  const threadId = w.threadId; // -1 once the thread has exited
  await once(w, 'exit');
  c.detach();
  assert.deepEqual(c.events.get('node_child_process:spawn'), [{ pid: child.pid, file: process.execPath, argv: `${process.execPath} -e 0` }]);
  assert.deepEqual(c.events.get('node_udp:socket'), [{ type: 'udp6' }]);
  assert.deepEqual(c.events.get('node_worker:create'), [{ thread_id: threadId }]);
});

test('process warnings, and garbage collections with their kind and duration', async () => {
  const c = collect('node_process:warning', 'node_gc:gc');
  process.emitWarning('careful', { code: 'TSBPF_TEST', type: 'TsbpfWarning' });
  let keep: unknown[] = [];
  for (let i = 0; i < 200_000; i++) keep.push({ i }); // enough young objects for scavenges
  keep = [];
  await new Promise((r) => setTimeout(r, 50));
  c.detach();
  assert.deepEqual(c.events.get('node_process:warning'), [{ name: 'TsbpfWarning', code: 'TSBPF_TEST', message: 'careful' }]);
  const gcs = c.events.get('node_gc:gc')!;
  assert.ok(gcs.length > 0, 'a collection was seen');
  assert.ok(gcs.every((g) => ['minor', 'major', 'incremental', 'weakcb'].includes(g.kind as string) && (g.duration_ns as number) > 0), JSON.stringify(gcs));
});

test('event-loop delay: a summary per interval while attached, its percentiles in order', async () => {
  const c = collect('node_loop:delay');
  const until = Date.now() + 1300;
  while (Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  c.detach();
  const ev = c.events.get('node_loop:delay')!;
  assert.equal(ev.length, 1, JSON.stringify(ev));
  const d = ev[0] as Record<string, number>;
  assert.ok(d.count! > 0 && d.min_ns! <= d.p50_ns! && d.p50_ns! <= d.p99_ns! && d.p99_ns! <= d.max_ns!, JSON.stringify(d));
});

/** One request as Node's HTTP server publishes it: its start, then its finish. */
function serve(request: { method: string; url: string }, status: number, remotePort: number): void {
  const m = { request: { ...request, httpVersion: '1.1', rawHeaders: ['Host', 'h:1'] }, response: { statusCode: status }, socket: { remoteAddress: '10.0.0.1', remotePort }, server: {} };
  dc.channel('http.server.request.start').publish(m);
  dc.channel('http.server.response.finish').publish(m);
}

test('sinks on records of their own (compiled filters) get each field straight from the message: what hit() gets by name', () => {
  const rt = new Runtime();
  const tp = reg.named('node_http:server_response_finish');
  const requests: Array<[{ method: string; url: string }, number, number]> = [
    [{ method: 'GET', url: '/a/1' }, 404, 2000], [{ method: 'POST', url: '/a/2' }, 200, 5], [{ method: 'GET', url: '/b' }, 404, 3000], [{ method: 'PUT', url: '/a' }, 404, 7],
  ];
  const durationAt = tp.layout.leaves.findIndex((f) => f.name === 'duration_ns');
  /** The values of each event recorded (but its duration: not the same twice), with `other` attached too when given. */
  const run = (other?: TraceSink): unknown[][] => {
    const detachOther = other && tp.attach(other);
    const a = recordEvents(rt, tp, { filter: 'status == 404 && path ~ "/a*"' });
    serve(...requests[0]!);
    const b = recordEvents(rt, tp, { filter: 'remote_port > 1000 && method != "PUT"' }); // bound to the source after its first event
    assert.equal(tp.recordSinks !== undefined, other === undefined, 'on records while every sink has one');
    for (const r of requests.slice(1)) serve(...r);
    assert.deepEqual([a.recorded, a.dropped, b.recorded, b.dropped], [2, 2, 1, 2]);
    a.detach();
    b.detach();
    detachOther?.();
    return traceBufferOf(rt).read().map((r) => {
      assert.ok(r.kind === 'event');
      assert.ok((r.values[durationAt] as bigint) > 0n, 'timed from its start');
      return r.values.filter((_, i) => i !== durationAt);
    });
  };
  const onRecords = run();
  assert.deepEqual(onRecords.map((v) => [v[0], v[1], v[4], v[6]]), [['GET', '/a/1', 2000, 404], ['GET', '/b', 3000, 404], ['PUT', '/a', 7, 404]]);
  assert.deepEqual(run({ byName: true, hit: () => {} }), onRecords);
});

test('a field that throws while a source writes it into a sink\'s record is that sink\'s error, never the publisher\'s', () => {
  const rt = new Runtime();
  const tp = reg.named('node_http:server_request_start');
  const rec = recordEvents(rt, tp, { filter: 'method == "GET"' });
  const prog = rt.loadProgram({ name: 'method', type: 5, license: 'GPL', insns: assemble(`r0 = *(u32 *)(r1 + ${tp.field('method')!.offset})\nexit`) });
  const link = attachProgram(rt, tp, prog);
  assert.ok(tp.recordSinks);
  try {
    dc.channel('http.server.request.start').publish({ socket: {} }); // no request: reading its method throws
    serve({ method: 'GET', url: '/' }, 200, 1);
  } finally {
    rec.detach();
    link.detach();
  }
  assert.deepEqual([rec.errors, rec.recorded, link.errors, link.runs], [1, 1, 1, 2]);
  assert.ok(rec.lastError instanceof TypeError && link.lastError instanceof TypeError);
});
