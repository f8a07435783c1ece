import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, statSync } from 'node:fs';
import * as fsNamespace from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { once } from 'node:events';
import { BpfError } from '../src/errno.js';
import { TraceRegistry, Tracepoint } from '../src/trace/tracepoint.js';
import { probe } from '../src/trace/probe.js';
import { probeFunction, probeImport, parseProbeSpec } from '../src/trace/node-probe.js';
import { provider } from '../src/trace/provider.js';

function record(tp: Tracepoint): { events: Record<string, unknown>[]; detach(): void } {
  const events: Record<string, unknown>[] = [];
  return { events, detach: tp.attach({ hit: (v) => events.push({ ...v }) }) };
}

test('entry and return events: untyped arguments as text, the return value, a thrown error, latency', () => {
  const registry = new TraceRegistry();
  const obj = { add(a: number, b: number) { if (a < 0) throw new RangeError('negative'); return a + b; } };
  const p = probe(obj, 'add', { registry });
  assert.equal(p.entry.name, 'probe_js:add');
  assert.equal(p.ret.name, 'probe_js:add__return');
  assert.deepEqual(p.entry.fields.map((f) => [f.name, f.type]), [['arg0', 'string'], ['arg1', 'string']]);
  const e = record(p.entry);
  const r = record(p.ret);
  assert.equal(obj.add(2, 3), 5);
  assert.throws(() => obj.add(-1, { x: 1 } as unknown as number), RangeError);
  e.detach();
  r.detach();
  assert.deepEqual(e.events, [{ arg0: 2, arg1: 3 }, { arg0: -1, arg1: '[object Object]' }]);
  assert.deepEqual(r.events.map((x) => [x.ret, x.error]), [[5, ''], [undefined, 'RangeError']]);
  assert.ok(r.events.every((x) => typeof x.latency_ns === 'number' && x.latency_ns >= 0));
  p.detach();
});

test('a sink that calls the probed function sees its own event, and the sinks after it still see the outer one', () => {
  const registry = new TraceRegistry();
  const obj = { echo(s: string) { return s; } };
  const p = probe(obj, 'echo', { registry, args: { s: 'string' } });
  const seen: unknown[] = [];
  const first = p.entry.attach({ hit: (v) => void (v.s === 'outer' && obj.echo('inner')) });
  const second = p.entry.attach({ hit: (v) => void seen.push(v.s) });
  const rets: unknown[] = [];
  const r = p.ret.attach({ hit: (v) => void rets.push(v.ret) });
  assert.equal(obj.echo('outer'), 'outer');
  first();
  second();
  r();
  p.detach();
  assert.deepEqual(seen, ['inner', 'outer']);
  assert.deepEqual(rets, ['inner', 'outer']);
});


test('a return sink that calls the probed function: the sinks after it still see the outer return, and the event lets go of the value', () => {
  const registry = new TraceRegistry();
  const obj = { echo(s: unknown) { return s; } };
  const p = probe(obj, 'echo', { registry, args: { s: 'string' } });
  const seen: unknown[] = [];
  let kept: Record<string, unknown> | undefined;
  const first = p.ret.attach({ hit: (v) => void (v.ret === 'outer' && obj.echo('inner')) });
  const second = p.ret.attach({ hit: (v) => void (seen.push([v.ret, v.error, typeof v.latency_ns]), (kept = v)) });
  const value = { big: true };
  assert.equal(obj.echo('outer'), 'outer');
  assert.equal(obj.echo(value), value);
  first();
  second();
  p.detach();
  assert.deepEqual(seen, [['inner', '', 'number'], ['outer', '', 'number'], ['[object Object]', '', 'number']]);
  assert.equal(kept!.ret, undefined, 'the shared event no longer holds the last return value');
});
test('a return probe whose sinks do not read latency_ns reads no clock: the latency is 0 until one does', () => {
  const registry = new TraceRegistry();
  const obj = { slow() { const t = performance.now(); while (performance.now() < t + 1); return 1; } };
  const p = probe(obj, 'slow', { registry, ret: 'u32' });
  const seen: unknown[] = [];
  const detachRet = p.ret.attach({ byName: true, reads: ['ret'], hit: (v) => void seen.push(v.latency_ns) });
  obj.slow();
  const detachAny = p.ret.attach({ hit: () => {} });
  obj.slow();
  detachAny();
  detachRet();
  p.detach();
  assert.equal(seen[0], 0);
  assert.ok((seen[1] as number) >= 1e6, `timed: ${seen[1]} ns`);
});

test('a probe computes only the fields its sinks may read: arguments and an untyped return value nobody reads stay undefined', () => {
  const registry = new TraceRegistry();
  const obj = { pair(a: unknown, b: unknown) { return [a, b]; } };
  const p = probe(obj, 'pair', { registry });
  const seen: unknown[] = [];
  const second = p.entry.attach({ byName: true, reads: ['arg1'], hit: (v) => void seen.push([v.arg0, v.arg1]) });
  const latency = p.ret.attach({ byName: true, reads: ['latency_ns'], hit: (v) => void seen.push(v.ret) });
  obj.pair(new Map(), 7);
  const all = p.entry.attach({ hit: () => {} });
  const allRet = p.ret.attach({ hit: () => {} });
  obj.pair(new Map(), 8);
  [second, latency, all, allRet].forEach((d) => d());
  p.detach();
  assert.deepEqual(seen, [[undefined, 7], undefined, ['[object Map]', 8], '[object Array]']);
});

test('a declared signature types the fields', () => {
  const registry = new TraceRegistry();
  const db = { find(id: number, table: string) { return id * 2 + table.length; } };
  const p = probe(db, 'find', { registry, name: 'db_find', args: { id: 'u64', table: 'string' }, ret: 'u32' });
  assert.deepEqual(p.entry.fields.map((f) => [f.name, f.type]), [['id', 'u64'], ['table', 'string']]);
  assert.deepEqual(p.ret.fields.map((f) => [f.name, f.type]), [['ret', 'u32'], ['error', 'string'], ['latency_ns', 'u64']]);
  assert.match(p.entry.format(), /field:u64 id;/);
  const e = record(p.entry);
  db.find(21, 'users');
  assert.deepEqual(e.events, [{ id: 21, table: 'users' }]);
  e.detach();
  p.detach();
});

test('an async function: the return event fires when the promise settles, with the time until then', async () => {
  const registry = new TraceRegistry();
  const DELAY = 40;
  const svc = {
    async slow(v: string) { await new Promise((r) => setTimeout(r, DELAY)); return v.toUpperCase(); },
    async fails() { await new Promise((r) => setTimeout(r, 1)); throw new TypeError('nope'); },
  };
  const p = probe(svc, 'slow', { registry });
  const q = probe(svc, 'fails', { registry });
  const r = record(p.ret);
  const rf = record(q.ret);
  const t0 = performance.now();
  assert.equal(await svc.slow('a'), 'A');
  const wall = (performance.now() - t0) * 1e6;
  const err = await svc.fails().catch((e: unknown) => e);
  assert.ok(err instanceof TypeError && err.message === 'nope', 'the caller gets the original rejection');
  r.detach();
  rf.detach();
  assert.equal(r.events.length, 1);
  assert.equal(r.events[0]!.ret, 'A');
  const lat = r.events[0]!.latency_ns as number;
  // libuv's timers run on a millisecond clock taken at the start of a loop turn, so a timer may fire up to 1 ms
  // before DELAY ms of performance.now() have passed; and the probe's interval lies inside the caller's.
  assert.ok(lat >= (DELAY - 1) * 1e6 && lat <= wall, `latency ${lat} ns within [${(DELAY - 1) * 1e6}, ${wall}]`);
  assert.deepEqual(rf.events.map((x) => x.error), ['TypeError']);
  p.detach();
  q.detach();
});

test('detaching restores the method exactly; an inherited method loses the own property; behaviour is unchanged', () => {
  const registry = new TraceRegistry();
  function original(this: { k: number }, a: number, b = 1) { return this.k + a + b; }
  (original as unknown as { extra: string }).extra = 'x';
  const obj = { k: 10, original };
  const before = Object.getOwnPropertyDescriptor(obj, 'original');
  const p = probe(obj, 'original', { registry });
  assert.notEqual(obj.original, original);
  assert.equal(obj.original.name, 'original');
  assert.equal(obj.original.length, 1);
  assert.equal((obj.original as unknown as { extra: string }).extra, 'x');
  assert.equal(obj.original(5), original.call(obj, 5), 'this and arguments pass through');
  const second = probe(obj, 'original', { registry });
  assert.equal(second.entry, p.entry, 'a second probe shares the tracepoints');
  p.detach();
  assert.notEqual(obj.original, original, 'still probed by the second');
  second.detach();
  assert.deepEqual(Object.getOwnPropertyDescriptor(obj, 'original'), before);
  assert.equal(obj.original, original);

  class Base { greet(n: string) { return `hi ${n}`; } }
  const b = new Base();
  const q = probe(b, 'greet', { registry });
  assert.ok(Object.hasOwn(b, 'greet'));
  assert.equal(b.greet('x'), 'hi x');
  q.detach();
  q.detach();
  assert.equal(Object.hasOwn(b, 'greet'), false);
  assert.equal(b.greet, Base.prototype.greet);
});

test('constructors stay constructors under a probe; frozen objects and non-functions are refused', () => {
  const registry = new TraceRegistry();
  class Point { constructor(public x: number) {} }
  const mod = { Point };
  const p = probe(mod, 'Point', { registry });
  const e = record(p.entry);
  const pt = new mod.Point(3);
  assert.ok(pt instanceof Point);
  assert.equal(pt.x, 3);
  assert.deepEqual(e.events, [{ arg0: 3 }]);
  e.detach();
  p.detach();
  assert.throws(() => probe(Object.freeze({ f() {} }), 'f', { registry }), (err: unknown) => err instanceof BpfError && err.errno === 'EPERM');
  assert.throws(() => probe({ n: 1 }, 'n', { registry }), (err: unknown) => err instanceof BpfError && err.errno === 'EINVAL' && /not a function/.test(err.message));
});

test('node:fs:statSync through the builtin module object reaches ES module imports of node:fs too', () => {
  const registry = new TraceRegistry();
  const original = statSync;
  const p = probeFunction('node:fs:statSync', { registry });
  assert.equal(p.entry.name, 'probe_js:fs_statSync');
  const e = record(p.entry);
  const r = record(p.ret);
  fsNamespace.statSync('/');
  createRequire(import.meta.url)('fs').statSync('/tmp');
  e.detach();
  r.detach();
  p.detach();
  assert.deepEqual(e.events.map((x) => x.arg0), ['/', '/tmp']);
  assert.deepEqual(r.events.map((x) => [x.ret, x.error]), [['[object Stats]', ''], ['[object Stats]', '']]);
  assert.equal(fsNamespace.statSync, original, 'detached: the ES module binding is the original again');
});

test('CommonJS exports; ES modules through an exported class; an ES module function is refused with the reason', async () => {
  const registry = new TraceRegistry();
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-probe-'));
  writeFileSync(path.join(dir, 'calc.cjs'), 'exports.mul = function mul(a, b) { return a * b; };\n');
  writeFileSync(path.join(dir, 'db.mjs'), 'export class Db { async query(sql) { return sql.length; } }\nexport function plain() { return 1; }\n');
  const p = probeFunction('./calc.cjs:mul', { registry, from: dir });
  const r = record(p.ret);
  assert.equal(createRequire(path.join(dir, 'x.js'))('./calc.cjs').mul(6, 7), 42);
  r.detach();
  p.detach();
  assert.deepEqual(r.events.map((x) => x.ret), [42]);
  assert.equal(p.entry.name, 'probe_js:calc_mul');

  const q = await probeImport('./db.mjs:Db.prototype.query', { registry, from: dir });
  const rq = record(q.ret);
  const { Db } = await import(path.join(dir, 'db.mjs'));
  assert.equal(await new Db().query('select'), 6);
  rq.detach();
  q.detach();
  assert.deepEqual(rq.events.map((x) => x.ret), [6]);
  await assert.rejects(probeImport('./db.mjs:plain', { registry, from: dir }), (err: unknown) => err instanceof BpfError && err.errno === 'EPERM' && /namespace is frozen/.test(err.message));
  assert.throws(() => probeFunction('./db.mjs:plain', { registry, from: dir }), (err: unknown) => err instanceof BpfError && /namespace is frozen|cannot require/.test(err.message));
  assert.throws(() => probeFunction('./nothing.cjs:f', { registry, from: dir }), (err: unknown) => err instanceof BpfError && err.errno === 'ENOENT');
  assert.throws(() => parseProbeSpec('readFile'), /MODULE:EXPORT/);
  assert.deepEqual(parseProbeSpec('node:fs:promises.readFile'), { module: 'node:fs', path: ['promises', 'readFile'] });
});

test('static probes: provider("app").probe(...) fires its tracepoint with positional arguments', () => {
  const registry = new TraceRegistry();
  const app = provider('app', registry);
  const queryStart = app.probe('query_start', { sql: 'string', id: 'u64' });
  assert.equal(queryStart.tracepoint.name, 'app:query_start');
  assert.equal(queryStart.enabled, false);
  queryStart('ignored', 0);
  const e = record(queryStart.tracepoint);
  assert.equal(queryStart.enabled, true);
  queryStart('select 1', 7);
  e.detach();
  assert.equal(queryStart.enabled, false);
  assert.deepEqual(e.events, [{ sql: 'select 1', id: 7 }]);
  assert.equal(app.probe('query_start', { sql: 'string', id: 'u64' }).tracepoint, queryStart.tracepoint);
  assert.throws(() => app.probe('query_start', { sql: 'string' }), (err: unknown) => err instanceof BpfError && err.errno === 'EEXIST');
});

test('a probed async method of a real HTTP service: latency per request, identical responses before, during and after', async () => {
  const registry = new TraceRegistry();
  const WAIT = 15;
  const store = { async lookup(key: string) { await new Promise((r) => setTimeout(r, WAIT)); return key === 'x' ? 'found' : 'missing'; } };
  const original = store.lookup;
  const server = http.createServer(async (req, res) => {
    const v = await store.lookup(req.url!.slice(1));
    res.setHeader('content-type', 'text/plain');
    res.end(`${req.url} ${v}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const get = async (p: string) => {
    const r = await fetch(`http://127.0.0.1:${port}${p}`);
    return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
  };
  const before = [await get('/x'), await get('/y')];
  const p = probe(store, 'lookup', { registry });
  const e = record(p.entry);
  const r = record(p.ret);
  const during = [await get('/x'), await get('/y')];
  e.detach();
  r.detach();
  p.detach();
  const after = [await get('/x'), await get('/y')];
  server.close();
  assert.deepEqual(during, before);
  assert.deepEqual(after, before);
  assert.equal(store.lookup, original);
  assert.deepEqual(e.events, [{ arg0: 'x' }, { arg0: 'y' }]);
  assert.deepEqual(r.events.map((x) => [x.ret, x.error]), [['found', ''], ['missing', '']]);
  // a timer fires no earlier than (WAIT - 1) ms of performance.now() (libuv's millisecond loop clock); see the async test above
  assert.ok(r.events.every((x) => (x.latency_ns as number) >= (WAIT - 1) * 1e6), JSON.stringify(r.events));
});
