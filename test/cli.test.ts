import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** End-to-end: the built CLI spawned as a user would run it. */

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');
const CONFORMANCE = path.resolve(process.cwd(), '../shared/conformance');
const tmp = mkdtempSync(path.join(tmpdir(), 'tsbpf-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function tsbpf(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(name: string, text: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}

const jsonLines = (out: string): unknown[] => out.trim().split('\n').map((l) => JSON.parse(l));

test('run: an assembler file prints r0 in hex and decimal', () => {
  const file = write('seven.s', 'mov %r0, 3\nadd %r0, 4\nexit\n');
  const r = tsbpf('run', file);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${file}: r0 = 0x7 (7)\n`);
});

test('run: r0 is shown as an unsigned 64-bit value', () => {
  const file = write('minus1.s', 'mov %r0, -1\nexit\n');
  const r = tsbpf('run', '--json', file);
  assert.deepEqual(jsonLines(r.stdout), [{ file, r0: '0xffffffffffffffff' }]);
});

test('run --mem: r1 points at a copy of the bytes, r2 is their length', () => {
  const file = write('mem.s', 'ldxb %r0, [%r1+1]\nlsh %r0, 8\nadd %r0, %r2\nexit\n');
  const r = tsbpf('run', '--mem', '0a ff 03', file);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${file}: r0 = 0xff03 (65283)\n`);
});

test('run: a conformance vector reports whether r0 matches', () => {
  const file = path.join(CONFORMANCE, 'bpf_conformance/add64.data');
  const human = tsbpf('run', file);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /add64\.data: r0 = 0x3 \(3\): pass \(expected r0 = 0x3\)\n$/);
  const json = tsbpf('run', '--json', file);
  assert.deepEqual(jsonLines(json.stdout), [{ file, r0: '0x3', expected: 'r0 = 0x3', status: 'pass' }]);
});

test('run --json: one object per FILE, failures included, non-zero exit', () => {
  const good = write('good.s', 'mov %r0, 1\nexit\n');
  const bad = write('bad.s', 'mov %r0, 1\nfrobnicate %r0\nexit\n');
  const r = tsbpf('run', '--json', good, bad);
  assert.equal(r.status, 1);
  const [ok, failed] = jsonLines(r.stdout) as Record<string, string>[];
  assert.deepEqual(ok, { file: good, r0: '0x1' });
  assert.equal(failed!.file, bad);
  assert.equal(failed!.errno, 'EINVAL');
  assert.match(failed!.error, /bad\.s:2: /);
  assert.match(r.stderr, /^tsbpf: .*bad\.s:2: .*\(EINVAL\)\n$/);
});

test('asm -o writes bytecode that run and disasm read back', () => {
  const src = write('prog.s', 'mov %r0, 0x11\nlddw %r1, 0x1122334455667788\nexit\n');
  const bin = path.join(tmp, 'prog.bin');
  const asm = tsbpf('asm', src, '-o', bin);
  assert.equal(asm.status, 0, asm.stderr);
  assert.equal(readFileSync(bin).length, 4 * 8);
  assert.equal(tsbpf('run', bin).stdout, `${bin}: r0 = 0x11 (17)\n`);
  const dis = tsbpf('disasm', bin);
  assert.equal(dis.status, 0, dis.stderr);
  assert.match(dis.stdout, /r1 = 0x1122334455667788 ll/);
  assert.match(dis.stdout, /exit\n$/);
});

test('asm without -o prints the slots in hex; --json prints the instructions', () => {
  const src = write('two.s', 'mov %r0, 1\nexit\n');
  assert.equal(tsbpf('asm', src).stdout, 'b7 00 00 00 01 00 00 00\n95 00 00 00 00 00 00 00\n');
  const [insns] = jsonLines(tsbpf('asm', '--json', src).stdout) as Record<string, unknown>[][];
  assert.equal(insns!.length, 2);
  assert.deepEqual(insns![0], { index: 0, code: 0xb7, dst: 0, src: 0, off: 0, imm: 1, text: 'r0 = 1' });
});

test('disasm --json: one record per instruction, a lddw with its second imm', () => {
  const file = path.join(CONFORMANCE, 'bpf_conformance/lddw.data');
  const r = tsbpf('disasm', '--json', file);
  assert.equal(r.status, 0, r.stderr);
  const records = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.deepEqual(records, [
    { index: 0, code: 0x18, dst: 0, src: 0, off: 0, imm: 0x55667788, next_imm: 0x11223344, text: 'r0 = 0x1122334455667788 ll' },
    { index: 2, code: 0x95, dst: 0, src: 0, off: 0, imm: 0, text: 'exit' },
  ]);
});

test('errors: no stack trace, tsbpf: FILE: message on stderr, non-zero exit', () => {
  const missing = path.join(tmp, 'missing.s');
  const r = tsbpf('run', missing);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^tsbpf: .*missing\.s: cannot read .*\(ENOENT\)\n$/);
  const oob = write('oob.s', 'ldxdw %r0, [%r1+0]\nexit\n');
  const fault = tsbpf('run', oob);
  assert.equal(fault.status, 1);
  assert.doesNotMatch(fault.stderr, /\n\s+at /);
  assert.match(fault.stderr, /^tsbpf: .*oob\.s: .+\n$/);
});

test('usage errors: unknown file type, engine, budget', () => {
  const txt = write('prog.txt', 'exit\n');
  assert.match(tsbpf('run', txt).stderr, /unknown file type '\.txt'/);
  const s = write('e.s', 'mov %r0, 0\nexit\n');
  const jit = tsbpf('run', '--engine', 'jit', s);
  assert.equal(jit.status, 0, jit.stderr);
  assert.equal(jit.stdout, tsbpf('run', '--engine', 'interp', s).stdout);
  const bad = tsbpf('run', '--engine', 'fast', s);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^tsbpf: .*Unknown engine; expected interp or jit/);
  assert.equal(tsbpf('run', '--engine', 'interp', '--no-verify', s).status, 0);
  const loop = write('loop.s', 'ja -1\nexit\n');
  const budget = tsbpf('run', '--budget', '100', loop);
  assert.equal(budget.status, 1);
  assert.match(budget.stderr, /\(E2BIG\)/);
});

test('run --type xdp: a test run on a packet from a file, on both engines, with data_out', () => {
  // Drop IPv4 (EtherType at bytes 12-13 = 08 00), pass the rest: retval XDP_DROP (1) or XDP_PASS (2).
  const prog = write('xdp.s', [
    'r2 = *(u32 *)(r1 + 4)', 'r1 = *(u32 *)(r1 + 0)', 'r0 = 2', 'r3 = r1', 'r3 += 14', 'if r3 > r2 goto +4',
    'r4 = *(u16 *)(r1 + 12)', 'if r4 != 8 goto +2', 'r0 = 1', 'exit', 'exit', '',
  ].join('\n'));
  const ipv4 = new Uint8Array(64);
  ipv4.set([0x08, 0x00], 12);
  const file = path.join(tmp, 'pkt.bin');
  writeFileSync(file, ipv4);
  for (const engine of ['interp', 'jit']) {
    const r = tsbpf('run', '--type', 'xdp', '--data', `@${file}`, '--engine', engine, '--json', prog);
    assert.equal(r.status, 0, r.stderr);
    const [rec] = jsonLines(r.stdout) as Array<{ retval: number; data_out: string }>;
    assert.equal(rec!.retval, 1);
    assert.equal(rec!.data_out, Buffer.from(ipv4).toString('hex'));
  }
  const arp = tsbpf('run', '--type', 'xdp', '--data', '00'.repeat(12) + '0806' + '00'.repeat(50), prog);
  assert.match(arp.stdout, /retval = 2 \(0x2\)/);
  const short = tsbpf('run', '--type', 'xdp', '--data', '0011', prog);
  assert.notEqual(short.status, 0);
  assert.match(short.stderr, /at least 14 bytes.*\(EINVAL\)/);
  assert.match(tsbpf('run', '--data', '00', prog).stderr, /need --type/);
});
