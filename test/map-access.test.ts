import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfError } from '../src/errno.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { assemble } from '../src/isa/asm.js';
import { u32Bytes } from '../src/maps/keys.js';
import { MapFlags, MapType } from '../src/maps/map.js';
import { PinStore } from '../src/runtime/pins.js';
import { Runtime } from '../src/runtime/runtime.js';

// BPF_F_RDONLY / BPF_F_WRONLY from user space, and the owner type of a
// PROG_ARRAY. Which operations Linux 6.18 refuses, and with which errno, is
// what it answered to the steps of kernel-probes/map-programs.ts
// (ACCESS_CASES, 'tail call owner type'), compared in map-differential.test.ts;
// these tests check tsbpf's side: the messages, pins, the CLI, programs.

const errno = (name: string, message?: RegExp) => (e: unknown) =>
  e instanceof BpfError && e.errno === name && (!message || message.test(e.message));
const hashSpec = (flags: number) => ({ name: 'm', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4, flags });
const k = (n: number) => u32Bytes(n);

test('a BPF_F_RDONLY map: every user-space write is EPERM naming the map and the flag; reads work', () => {
  const rt = new Runtime();
  const id = rt.createMap(hashSpec(MapFlags.RDONLY));
  const refused = errno('EPERM', new RegExp(`map ${id} \\('m'\\) was created BPF_F_RDONLY: user space cannot`));
  assert.throws(() => rt.updateElem(id, k(1), k(2)), refused);
  assert.throws(() => rt.updateElem(id, new Uint8Array(1), k(2), 99), refused, 'EPERM comes before the key and flag checks');
  assert.throws(() => rt.deleteElem(id, k(1)), refused);
  assert.throws(() => rt.updateBatch(id, [k(1)], [k(2)]), refused);
  assert.throws(() => rt.deleteBatch(id, [k(1)]), refused);
  assert.throws(() => rt.lookupAndDeleteBatch(id, undefined, 4), refused);
  assert.throws(() => rt.lookupAndDeleteElem(id, k(1)), refused);
  assert.throws(() => rt.freezeMap(id), refused);
  assert.throws(() => rt.lookupElem(id, k(1)), errno('ENOENT'));
  assert.throws(() => rt.nextKey(id, undefined), errno('ENOENT'));
  assert.deepEqual(rt.entries(id), []);
  assert.equal(rt.mapInfo(id).flags, 0, 'Linux keeps BPF_F_RDONLY in the fd, not in map_flags');
});

test('a BPF_F_WRONLY map: every user-space read is EPERM; writes and freezing work; a program reads it', () => {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const id = rt.createMap(hashSpec(MapFlags.WRONLY));
  const refused = errno('EPERM', /was created BPF_F_WRONLY: user space cannot/);
  rt.updateElem(id, k(1), k(42));
  assert.throws(() => rt.lookupElem(id, k(1)), refused);
  assert.throws(() => rt.lookupElem(id, new Uint8Array(2)), refused, 'before the key size check');
  assert.throws(() => rt.nextKey(id, undefined), refused);
  assert.throws(() => rt.entries(id), refused);
  assert.throws(() => rt.lookupBatch(id, undefined, 4), refused);
  assert.throws(() => rt.lookupAndDeleteBatch(id, undefined, 4), refused);
  const read = rt.loadProgram({ unverified: true, insns: assemble(`*(u32 *)(r10 - 4) = 1\nr1 = map[idx:0] ll\nr2 = r10\nr2 += -4\ncall 1\nif r0 == 0 goto +1\nr0 = *(u32 *)(r0 + 0)\nexit`), maps: [id] });
  assert.equal(read.run().r0, 42n);
  rt.freezeMap(id);
  assert.throws(() => rt.updateElem(id, k(1), k(2)), errno('EPERM', /is frozen/));
  assert.throws(() => rt.freezeMap(id), errno('EPERM', /is frozen/), 'a frozen map has lost write access: freezing again is EPERM');
});

test('a pinned BPF_F_WRONLY map is saved whole, and reopens with the same access', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-access-pins-'));
  const rt = new Runtime({ pins: new PinStore(dir) });
  const id = rt.createMap(hashSpec(MapFlags.WRONLY));
  rt.updateElem(id, k(7), k(70));
  rt.pin('w', id);
  const again = new Runtime({ pins: new PinStore(dir) });
  assert.deepEqual(again.pinSkipped, []);
  const id2 = again.pinnedMap('w');
  assert.throws(() => again.lookupElem(id2, k(7)), errno('EPERM'));
  assert.deepEqual(again.map(id2).lookup(k(7)), k(70), 'the contents were saved (read here through the map object, not bpf(2))');
});

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
function tsbpf(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'map', ...args, '--pin-dir', dir], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('CLI: a map created with flags BPF_F_RDONLY (8) or BPF_F_WRONLY (16) refuses writes or reads with EPERM', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-cli-access-'));
  assert.equal(tsbpf(dir, 'create', 'ro', 'type', 'hash', 'key', '4', 'value', '4', 'entries', '4', 'flags', '8').code, 0);
  assert.equal(tsbpf(dir, 'create', 'wo', 'type', 'hash', 'key', '4', 'value', '4', 'entries', '4', 'flags', '16').code, 0);
  const put = (path: string) => tsbpf(dir, 'update', 'pinned', path, 'key', '1', '0', '0', '0', 'value', '2', '0', '0', '0');
  const ro = put('ro');
  assert.notEqual(ro.code, 0);
  assert.match(ro.err, /BPF_F_RDONLY.*\(EPERM\)/);
  assert.match(tsbpf(dir, 'delete', 'pinned', 'ro', 'key', '1', '0', '0', '0').err, /EPERM/);
  assert.match(tsbpf(dir, 'dump', 'pinned', 'ro').out, /Found 0 elements/);
  assert.equal(put('wo').code, 0);
  for (const read of [['lookup', 'pinned', 'wo', 'key', '1', '0', '0', '0'], ['dump', 'pinned', 'wo']]) {
    const r = tsbpf(dir, ...read);
    assert.notEqual(r.code, 0, read.join(' '));
    assert.match(r.err, /BPF_F_WRONLY.*\(EPERM\)/, read.join(' '));
  }
  assert.match(tsbpf(dir, 'show', 'pinned', 'wo').out, /flags 0x0/, 'as bpftool shows it: the flag is the fd\'s');
});

test('PROG_ARRAY owner type: an update or a load of another type is EINVAL, naming both types', () => {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const jt = rt.createMap({ name: 'jt', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
  const sock = rt.loadProgram({ name: 'sock', type: 1, insns: assemble('r0 = 0\nexit') });
  const xdp = rt.loadProgram({ name: 'pass', type: 6, insns: assemble('r0 = 2\nexit') });
  rt.updateElem(jt, k(0), k(sock.id));
  assert.throws(() => rt.updateElem(jt, k(1), k(xdp.id)), errno('EINVAL', new RegExp(`map 'jt' \\(prog_array\\): update: program ${xdp.id} is of program type 6, but the array holds programs of type 1`)));
  rt.deleteElem(jt, k(0));
  assert.throws(() => rt.updateElem(jt, k(0), k(xdp.id)), errno('EINVAL'), 'the owner stays when the array empties');
  const user = () => rt.loadProgram({ name: 'caller', type: 6, insns: assemble('r1 = map[idx:0] ll\nr0 = 2\nexit'), maps: [jt] });
  assert.throws(user, errno('EINVAL', /load: program 'caller' \(id \d+\) is of program type 6, but the array holds programs of type 1/));
  // a fresh array is owned by the first program loaded with it
  const jt2 = rt.createMap({ name: 'jt2', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
  rt.loadProgram({ type: 6, insns: assemble(`r1 = map[fd:${jt2}] ll\nr0 = 2\nexit`) });
  assert.throws(() => rt.updateElem(jt2, k(0), k(sock.id)), errno('EINVAL'));
  rt.updateElem(jt2, k(0), k(xdp.id));
});

test('PROG_ARRAY owner type: programs without a type (bare runs) share arrays among themselves only', () => {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const jt = rt.createMap({ type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
  const target = rt.loadProgram({ unverified: true, insns: assemble('r0 = 9\nexit') });
  rt.updateElem(jt, k(0), k(target.id));
  const caller = rt.loadProgram({ unverified: true, insns: assemble(`r2 = map[fd:${jt}] ll\nr3 = 0\ncall 12\nr0 = 1\nexit`) });
  assert.equal(caller.run().r0, 9n);
  assert.throws(() => rt.updateElem(jt, k(0), k(rt.loadProgram({ type: 1, insns: assemble('r0 = 0\nexit') }).id)), errno('EINVAL'));
});
