import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function tsbpf(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'map', ...args, '--pin-dir', dir], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('map create, update, lookup, dump, delete across separate invocations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-cli-map-'));
  assert.equal(tsbpf(dir, 'create', 'counts', 'type', 'hash', 'key', '4', 'value', '8', 'entries', '16', 'name', 'counts').code, 0);
  assert.equal(tsbpf(dir, 'update', 'pinned', 'counts', 'key', '7', '0', '0', '0', 'value', 'hex', '2a', '00', '00', '00', '00', '00', '00', '00').code, 0);
  assert.equal(tsbpf(dir, 'update', 'pinned', 'counts', 'key', '0x08', '0', '0', '0', 'value', '1', '0', '0', '0', '0', '0', '0', '0', 'noexist').code, 0);
  const dup = tsbpf(dir, 'update', 'pinned', 'counts', 'key', '8', '0', '0', '0', 'value', '1', '0', '0', '0', '0', '0', '0', '0', 'noexist');
  assert.notEqual(dup.code, 0);
  assert.match(dup.err, /EEXIST/);
  assert.equal(tsbpf(dir, 'lookup', 'pinned', 'counts', 'key', '7', '0', '0', '0').out, 'key: 07 00 00 00  value: 2a 00 00 00 00 00 00 00\n');
  assert.equal(tsbpf(dir, 'dump', 'pinned', 'counts').out, 'key: 07 00 00 00  value: 2a 00 00 00 00 00 00 00\nkey: 08 00 00 00  value: 01 00 00 00 00 00 00 00\nFound 2 elements\n');
  const shown = JSON.parse(tsbpf(dir, 'show', '--json').out);
  assert.deepEqual(shown.map((m: { name: string; type: string; bytes_key: number; max_entries: number; pinned: string[] }) => [m.name, m.type, m.bytes_key, m.max_entries, m.pinned]), [['counts', 'hash', 4, 16, ['counts']]]);
  assert.equal(tsbpf(dir, 'delete', 'pinned', 'counts', 'key', '7', '0', '0', '0').code, 0);
  const gone = tsbpf(dir, 'lookup', 'pinned', 'counts', 'key', '7', '0', '0', '0');
  assert.notEqual(gone.code, 0);
  assert.match(gone.err, /ENOENT/);
  assert.equal(tsbpf(dir, 'pin', 'pinned', 'counts', 'net/counts').code, 0);
  assert.match(tsbpf(dir, 'show').out, /pinned net\/counts/);
});

test('map errors name the problem and exit non-zero', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-cli-map-'));
  const bad = tsbpf(dir, 'create', 'x', 'type', 'hashy', 'key', '4', 'value', '4', 'entries', '1');
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /unknown map type 'hashy'/);
  const zero = tsbpf(dir, 'create', 'x', 'type', 'array', 'key', '4', 'value', '0', 'entries', '1');
  assert.match(zero.err, /EINVAL/);
  assert.match(tsbpf(dir, 'dump', 'pinned', 'nope').err, /nothing is pinned at 'nope' \(ENOENT\)/);
});
