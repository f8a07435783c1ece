import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime } from '../src/runtime/runtime.js';
import { PinStore } from '../src/runtime/pins.js';
import { MapFlags, MapType } from '../src/maps/map.js';
import { BpfError } from '../src/errno.js';

const u32 = (v: number) => new Uint8Array(new Uint32Array([v]).buffer);
const u64 = (v: bigint) => new Uint8Array(new BigUint64Array([v]).buffer);
const readU64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getBigUint64(0, true);
const tmp = () => mkdtempSync(join(tmpdir(), 'tsbpf-pins-'));

test('a pinned map reopens with its definition and contents in a new runtime', () => {
  const dir = tmp();
  const a = new Runtime({ pins: new PinStore(dir) });
  const id = a.createMap({ name: 'conns', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 64 });
  for (let k = 0; k < 10; k++) a.map(id).update(u32(k), u64(BigInt(k * k)));
  a.pin('net/conns', id);
  a.map(id).update(u32(99), u64(1n));
  a.syncPins();

  const b = new Runtime({ pins: new PinStore(dir) });
  assert.deepEqual(b.pinSkipped, []);
  const got = b.pinnedMap('net/conns');
  assert.equal(b.mapInfo(got).name, 'conns');
  assert.equal(b.mapInfo(got).maxEntries, 64);
  for (let k = 0; k < 10; k++) assert.equal(readU64(b.map(got).lookup(u32(k))), BigInt(k * k));
  assert.equal(readU64(b.map(got).lookup(u32(99))), 1n);
  assert.throws(() => b.pin('net/conns', got), (e: unknown) => e instanceof BpfError && e.errno === 'EEXIST');
  b.unpin('net/conns');
  assert.deepEqual(new Runtime({ pins: new PinStore(dir) }).pinPaths(), []);
});

test('pin paths cannot leave the pin directory', () => {
  const rt = new Runtime({ pins: new PinStore(tmp()) });
  const id = rt.createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
  for (const bad of ['../x', 'a/../../x', 'a b', '']) {
    assert.throws(() => rt.pin(bad, id), (e: unknown) => e instanceof BpfError && e.errno === 'EINVAL', bad);
  }
});

test('damaged and foreign files are reported and skipped, never loaded', () => {
  const dir = tmp();
  const rt = new Runtime({ pins: new PinStore(dir) });
  const id = rt.createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
  rt.pin('good', id);
  rt.pin('bad', id);
  const badFile = join(dir, 'bad.map.json');
  writeFileSync(badFile, readFileSync(badFile, 'utf8').replace('"maxEntries\\":2', '"maxEntries\\":3'));
  writeFileSync(join(dir, 'other.map.json'), '{"format":"something-else"}');
  writeFileSync(join(dir, 'notes.txt'), 'hello');
  const again = new Runtime({ pins: new PinStore(dir) });
  assert.deepEqual(again.pinPaths(), ['good']);
  const reasons = Object.fromEntries(again.pinSkipped.map((s) => [s.file.slice(dir.length + 1), s.reason]));
  assert.match(reasons['bad.map.json']!, /checksum mismatch/);
  assert.match(reasons['other.map.json']!, /foreign file/);
  assert.match(reasons['notes.txt']!, /not a pinned object/);
});

const here = fileURLToPath(new URL('.', import.meta.url));

/** A child that keeps rewriting one pinned map: every value of generation g is g, with g + 1 entries. */
const WRITER = `
import { Runtime } from ${JSON.stringify(join(here, '../src/runtime/runtime.js'))};
import { PinStore } from ${JSON.stringify(join(here, '../src/runtime/pins.js'))};
const rt = new Runtime({ pins: new PinStore(process.argv[2]) });
const id = rt.pinPaths().length ? rt.pinnedMap('gen') : rt.createMap({ type: 1, keySize: 4, valueSize: 8, maxEntries: 4096 });
if (!rt.pinPaths().length) rt.pin('gen', id);
const m = rt.map(id);
const key = (k) => new Uint8Array(new Uint32Array([k]).buffer);
for (let g = 1; ; g++) {
  for (let k = 0; k <= g % 4000; k++) m.update(key(k), new Uint8Array(new BigUint64Array([BigInt(g)]).buffer));
  for (let k = (g % 4000) + 1; k < 4000; k++) { try { m.delete(key(k)); } catch {} }
  rt.syncPins();
  if (g === 1) process.stdout.write('ready\\n');
}
`;

test('killing a writer mid-write always leaves a complete earlier or later state', async () => {
  const dir = tmp();
  const script = join(dir, '..', `writer-${process.pid}.mjs`);
  writeFileSync(script, WRITER);
  for (let round = 0; round < 12; round++) {
    await new Promise<void>((done, fail) => {
      const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), 5 + ((round * 37) % 120)));
      child.on('exit', () => done());
      child.on('error', fail);
    });
    const rt = new Runtime({ pins: new PinStore(dir) });
    assert.deepEqual(rt.pinSkipped.filter((s) => !s.file.endsWith('.tmp')), [], `round ${round}`);
    const m = rt.map(rt.pinnedMap('gen'));
    const values: bigint[] = [];
    for (let k = 0; k < 4000; k++) {
      try {
        values.push(readU64(m.lookup(u32(k))));
      } catch {
        break;
      }
    }
    const g = values[0]!;
    assert.ok(values.every((v) => v === g), `round ${round}: one generation in the file`);
    assert.equal(values.length, Number(g % 4000n) + 1, `round ${round}: generation ${g} has all its entries`);
  }
  assert.ok(readdirSync(dir).some((f) => f === 'gen.map.json'));
});

test('a pinned hash keeps its get-next-key order when it reopens (insertion order, and the bucket order of BPF_F_ZERO_SEED)', () => {
  for (const flags of [0, MapFlags.ZERO_SEED]) {
    const dir = tmp();
    const a = new Runtime({ pins: new PinStore(dir) });
    // 16 buckets for 12 keys: with a zero seed, keys 7 and 14, 21 and 77, 42 and 49 share buckets
    const id = a.createMap({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4 * 3, flags });
    for (let k = 0; k < 12; k++) a.updateElem(id, u32(k * 7), u32(k));
    a.pin('h', id);
    const b = new Runtime({ pins: new PinStore(dir) });
    assert.deepEqual(b.entries(b.pinnedMap('h')), a.entries(id), `flags ${flags}`);
  }
});
