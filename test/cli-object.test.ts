import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OBJECTS_DIR, buildObject } from './objects/build.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** A kernel .config the corpus' strong .kconfig externs can read (values of our choosing). */
function kconfigFile(): string {
  const f = join(mkdtempSync(join(tmpdir(), 'tsbpf-kconfig-')), 'config');
  writeFileSync(f, 'CONFIG_BPF_SYSCALL=y\nCONFIG_HZ=300\n# CONFIG_BPF_JIT is not set\n');
  return f;
}

function tsbpf(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('object show: programs, maps and relocations, as text and JSON', () => {
  const obj = buildObject('subprogs');
  const text = tsbpf('object', 'show', obj);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /^object subprogs/m);
  const json = JSON.parse(tsbpf('object', 'show', obj, '--json').out) as { programs: { name: string; functions: { name: string }[]; relocations: { kind: string }[] }[] };
  assert.ok(json.programs.length > 0);
  // Every program listed in the text form, with its instruction count.
  for (const p of json.programs) assert.match(text.out, new RegExp(`^  ${p.name}  section `, 'm'));
  assert.ok(json.programs.some((p) => p.functions.length > 1 && p.relocations.some((r) => r.kind === 'call')), 'a program with a bpf-to-bpf call');
});

test('prog dump --source shows the C lines of the object\'s source above the instructions', () => {
  const obj = buildObject('subprogs');
  const r = tsbpf('prog', 'dump', obj, '--source');
  assert.equal(r.code, 0, r.err);
  const source = readFileSync(join(OBJECTS_DIR, 'subprogs.c'), 'utf8').split('\n').map((l) => l.trim());
  const shown = r.out.split('\n').filter((l) => l.startsWith('; '));
  assert.ok(shown.length > 5);
  for (const line of shown) {
    const m = /^; (.*) @ (.*):(\d+):\d+$/.exec(line);
    assert.ok(m, line);
    assert.ok(m[2]!.endsWith('subprogs.c'), line);
    assert.equal(m[1], source[Number(m[3]) - 1], `line ${m[3]} of subprogs.c`);
  }
});

test('prog load pins maps and programs; list shows them; loading twice is EEXIST and changes nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-cli-prog-'));
  const obj = buildObject('globals');
  const kconfig = kconfigFile();
  const load = tsbpf('prog', 'load', obj, '--pin-dir', dir, '--kconfig', kconfig, '--json');
  assert.equal(load.code, 0, load.err);
  const loaded = JSON.parse(load.out) as { programs: { name: string; pinned: string }[]; maps: { name: string }[] };
  assert.ok(loaded.programs.length > 0 && loaded.maps.length > 0);
  const list = JSON.parse(tsbpf('prog', 'list', '--pin-dir', dir, '--json').out) as { name: string; pinned: string }[];
  assert.deepEqual(list.map((p) => p.pinned).sort(), loaded.programs.map((p) => p.pinned).sort());
  const again = tsbpf('prog', 'load', obj, '--pin-dir', dir, '--kconfig', kconfig);
  assert.notEqual(again.code, 0);
  assert.match(again.err, /EEXIST/);
  const after = JSON.parse(tsbpf('prog', 'list', '--pin-dir', dir, '--json').out) as unknown[];
  assert.equal(after.length, list.length);
  const maps = tsbpf('map', 'list', '--pin-dir', dir);
  for (const m of loaded.maps) assert.match(maps.out, new RegExp(m.name.replace(/\./g, '\\.')));
});

test('run FILE.o test-runs each program as its section says', () => {
  const obj = buildObject('progtypes');
  const r = tsbpf('run', obj, '--prog', 'xdp_drop_discard', '--json', '--data', '00'.repeat(64));
  assert.equal(r.code, 0, r.err);
  const rec = JSON.parse(r.out) as { file: string; retval: number };
  assert.equal(rec.file, `${obj}:xdp_drop_discard`);
  assert.ok(Number.isInteger(rec.retval));
});

test('bad objects and names are errors on stderr with a non-zero exit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-cli-bad-'));
  const junk = join(dir, 'junk.o');
  writeFileSync(junk, 'not an elf file at all');
  const bad = tsbpf('object', 'show', junk);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /junk\.o: not a BPF ELF object: no ELF magic .*\(EINVAL\)/);
  const none = tsbpf('prog', 'dump', buildObject('subprogs'), '--prog', 'no_such_prog');
  assert.notEqual(none.code, 0);
  assert.match(none.err, /no program named 'no_such_prog' \(ENOENT\)/);
});

test('every command and verb prints its help', () => {
  for (const words of [['run'], ['asm'], ['disasm'], ['map'], ['prog', 'load'], ['prog', 'list'], ['prog', 'show'], ['prog', 'dump'], ['object', 'show'], ['btf', 'dump'], ['cbpf', 'asm'], ['cbpf', 'disasm'], ['cbpf', 'run'], ['seccomp', 'check']]) {
    const r = tsbpf(...words, '--help');
    assert.equal(r.code, 0, `${words.join(' ')} --help: ${r.err}`);
    assert.match(r.out, /^Usage: tsbpf /, words.join(' '));
  }
});
