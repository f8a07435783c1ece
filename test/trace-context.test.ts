import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace } from '../src/vm/memory.js';
import { ContextWriter, neededLeaves } from '../src/trace/context.js';
import { MAX_RECORD_SIZE } from '../src/trace/layout.js';
import { TraceRegistry } from '../src/trace/tracepoint.js';

const tp = new TraceRegistry(42).define('net:send', { port: 'u16', host: 'string', len: 's64', data: 'bytes', note: 'string' });

/** The record Linux would hold, built by hand: header, fields at their offsets, strings (with NUL) and bytes after the fixed part in field order. */
function expected(pid: number, v: { port: number; host: string; len: bigint; data: Uint8Array; note: string }): Uint8Array {
  const out = new Uint8Array(MAX_RECORD_SIZE);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 42, true);
  dv.setInt32(4, pid, true);
  dv.setUint16(8, v.port, true);
  dv.setBigInt64(16, v.len, true);
  let at = tp.layout.size;
  const dyn = (off: number, bytes: Uint8Array): void => {
    out.set(bytes, at);
    dv.setUint32(off, at | (bytes.length << 16), true);
    at += bytes.length;
  };
  const cstr = (s: string): Uint8Array => new Uint8Array([...new TextEncoder().encode(s), 0]);
  dyn(12, cstr(v.host));
  dyn(24, v.data);
  dyn(28, cstr(v.note));
  return out;
}

test('the layout puts the fields where a C compiler would (checked by hand here: u16 at 8, __data_loc at 12, s64 at 16)', () => {
  assert.deepEqual(tp.layout.leaves.map((f) => [f.name, f.offset]), [['port', 8], ['host', 12], ['len', 16], ['data', 24], ['note', 28]]);
  assert.equal(tp.layout.size, 32);
});

test('a writer of every field writes the record Linux would hold, ASCII or not, again and again', () => {
  const space = new AddressSpace();
  const w = new ContextWriter(space, tp, tp.layout.leaves, 99);
  const events = [
    { port: 80, host: 'example.org', len: -5n, data: new Uint8Array([1, 2, 3]), note: 'ok' },
    { port: 443, host: 'exämple.org', len: 1n << 40n, data: new Uint8Array([]), note: 'ok' },
    { port: 443, host: 'exämple.org', len: 7n, data: new Uint8Array([9]), note: 'ok' },
    { port: 65535, host: '', len: 0n, data: new Uint8Array([4, 5]), note: '日本' },
  ];
  for (const v of events) {
    w.writeFixed(v);
    w.writeDynamic(v);
    const want = expected(99, v);
    const used = want.length - [...want].reverse().findIndex((b) => b !== 0);
    assert.deepEqual(space.bytes.slice(w.base, w.base + used), want.subarray(0, used), JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x)));
  }
});

test('neededLeaves: the fields whose bytes the loads touch', () => {
  assert.deepEqual(neededLeaves(tp, [{ off: 8, size: 2 }, { off: 28, size: 4 }]).map((f) => f.name), ['port', 'note']);
  assert.deepEqual(neededLeaves(tp, [{ off: 16, size: 1 }]).map((f) => f.name), ['len']);
  assert.deepEqual(neededLeaves(tp, 'all').map((f) => f.name), ['port', 'host', 'len', 'data', 'note']);
});

test('a string longer than the record is cut short and keeps its NUL', () => {
  const space = new AddressSpace();
  const one = new TraceRegistry().define('a:b', { s: 'string' });
  const w = new ContextWriter(space, one, one.layout.leaves, 1);
  w.writeDynamic({ s: 'y'.repeat(10000) });
  const loc = new DataView(space.memory.buffer).getUint32(w.base + 8, true);
  const [off, len] = [loc & 0xffff, loc >>> 16];
  assert.equal(off + len, MAX_RECORD_SIZE);
  assert.equal(space.bytes[w.base + off + len - 1], 0);
  assert.equal(space.bytes[w.base + off + len - 2], 'y'.charCodeAt(0));
});

test('a record given back twice is handed out once: two later writers get records of their own', () => {
  const space = new AddressSpace();
  const tp = new TraceRegistry().define('t:twice', { n: 'u32' });
  const writer = new ContextWriter(space, tp, tp.layout.leaves, 1);
  writer.dispose();
  writer.dispose();
  const a = new ContextWriter(space, tp, tp.layout.leaves, 1);
  const b = new ContextWriter(space, tp, tp.layout.leaves, 1);
  assert.equal(a.base, writer.base, 'the freed record is reused');
  assert.ok(Math.abs(b.base - a.base) >= MAX_RECORD_SIZE, `records overlap: ${a.base} and ${b.base}`);
});

test('a writer bound to a source\'s reads (readFrom) writes from its messages the bytes writeFixed and writeDynamic write from the values', () => {
  const nested = new TraceRegistry().define('a:nested', { peer: { struct: { port: 'u16', ok: 'bool' } }, name: 'string', n: 'u32' });
  const space = new AddressSpace();
  const byName = new ContextWriter(space, nested, nested.layout.leaves, 7);
  const bound = new ContextWriter(space, nested, nested.layout.leaves, 7);
  // a source whose messages hold the fields elsewhere, and whose event state counts the reads
  type Msg = { conn: { port: number; up: boolean } | undefined; who: string; count: number };
  const reads: Record<string, (m: Msg, ev: { reads: number }) => unknown> = {
    peer: (m, ev) => (ev.reads++, m.conn === undefined ? undefined : { port: m.conn.port, ok: m.conn.up }),
    name: (m, ev) => (ev.reads++, m.who),
    n: (m, ev) => (ev.reads++, m.count),
  };
  bound.readFrom((field) => reads[field]!);
  const messages: Msg[] = [
    { conn: { port: 8080, up: true }, who: 'api', count: 3 },
    { conn: undefined, who: 'ünï', count: -1 },
    { conn: { port: 70000, up: false }, who: '', count: 2 ** 32 + 5 },
  ];
  for (const m of messages) {
    const values = { peer: m.conn === undefined ? undefined : { port: m.conn.port, ok: m.conn.up }, name: m.who, n: m.count };
    byName.writeFixed(values);
    byName.writeDynamic(values);
    const ev = { reads: 0 };
    bound.writeFixedFrom(m, ev);
    bound.writeDynamicFrom(m, ev);
    assert.equal(ev.reads, 4, 'the struct read once per member, each other field once');
    const rec = (w: ContextWriter): number[] => {
      const b = space.bytes.slice(w.base, w.base + MAX_RECORD_SIZE);
      return [...b.subarray(0, nested.layout.size + 16)];
    };
    assert.deepEqual(rec(bound), rec(byName), JSON.stringify(m));
  }
});
