import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * End-to-end: `tsbpf cbpf asm|disasm|run` and `tsbpf seccomp check`, the
 * built CLI spawned as a user runs it, against tcpdump's own output where
 * there is some. Skipped, with the reason, until main.ts wires the commands.
 */

const MAIN = process.env.TSBPF_MAIN ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'tsbpf-cbpf-'));
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

function wired(): string | undefined {
  const cbpf = tsbpf('cbpf', '--help');
  const seccomp = tsbpf('seccomp', '--help');
  if (cbpf.status !== 0 || !/asm/.test(cbpf.stdout) || seccomp.status !== 0 || !/check/.test(seccomp.stdout)) {
    return `${MAIN} has no cbpf / seccomp commands yet (main.ts wires cbpfCommand and seccompCommand)`;
  }
  return undefined;
}

const skip = wired();
if (skip) console.log(`# cbpf CLI tests skipped: ${skip}`);
const tcpdumpSkip = skip ?? (spawnSync('tcpdump', ['--version']).status === 0 ? undefined : 'tcpdump is not installed');

const tcpdump = (flag: string, expr: string) => spawnSync('tcpdump', ['-y', 'EN10MB', flag, expr], { encoding: 'utf8' }).stdout;
const EXPR = 'tcp port 80 and host 10.0.0.1';
/** Ethernet + IPv4 + TCP 10.0.0.1:1234 → 10.0.0.2:80, 54 bytes. */
const HTTP = 'ffffffffffff 001122334455 0800 4500002800000000 40060000 0a000001 0a000002 04d20050 00000000 00000000 50000000 00000000';
const OTHER = HTTP.replace('04d20050', '04d20051');

test('cbpf asm: tcpdump -d in; bpf_asm\'s comma form, -dd, -ddd and struct sock_filter bytes out, as tcpdump writes them', { skip: tcpdumpSkip }, () => {
  const file = write('http.d', tcpdump('-d', EXPR));
  const ddd = tcpdump('-ddd', EXPR);
  const commas = `${ddd.trim().split('\n').join(',')}\n`;
  const r = tsbpf('cbpf', 'asm', file);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, commas);
  assert.equal(tsbpf('cbpf', 'asm', '--dd', file).stdout, tcpdump('-dd', EXPR));
  assert.equal(tsbpf('cbpf', 'asm', '--ddd', file).stdout, ddd);
  const bin = path.join(tmp, 'http.bin');
  assert.equal(tsbpf('cbpf', 'asm', file, '-o', bin).status, 0);
  assert.equal(readFileSync(bin).length, 8 * Number(ddd.split('\n')[0]));
  const json = JSON.parse(tsbpf('cbpf', 'asm', '--json', file).stdout) as { code: number }[];
  assert.equal(json[0]!.code, 0x28);
});

test('cbpf disasm: prints tcpdump -d exactly, from -dd, -ddd, binary or bpf_asm text', { skip: tcpdumpSkip }, () => {
  const d = tcpdump('-d', EXPR);
  const dd = write('http.dd', tcpdump('-dd', EXPR));
  const ddd = write('http.ddd', tcpdump('-ddd', EXPR));
  assert.equal(tsbpf('cbpf', 'disasm', dd).stdout, d);
  assert.equal(tsbpf('cbpf', 'disasm', ddd).stdout, d);
  const asm = write('http.asm', tsbpf('cbpf', 'disasm', '--asm', dd).stdout);
  assert.match(readFileSync(asm, 'utf8'), /^ldh \[12\]\njeq #0x86dd, /);
  assert.equal(tsbpf('cbpf', 'disasm', asm).stdout, d);
  const bin = path.join(tmp, 'http2.bin');
  tsbpf('cbpf', 'asm', dd, '-o', bin);
  assert.equal(tsbpf('cbpf', 'disasm', bin).stdout, d);
  const records = JSON.parse(tsbpf('cbpf', 'disasm', '--json', dd).stdout) as { index: number; text: string }[];
  assert.deepEqual(records[0], { index: 0, code: 0x28, jt: 0, jf: 0, k: 12, text: 'ldh      [12]' });
});

test('cbpf run: a tcpdump filter keeps the matching frame and drops the other, on every engine', { skip: tcpdumpSkip }, () => {
  const file = write('http-run.dd', tcpdump('-dd', EXPR));
  for (const engine of ['jit', 'interp', 'classic']) {
    const keep = tsbpf('cbpf', 'run', file, '--data', HTTP, '--engine', engine);
    assert.equal(keep.status, 0, keep.stderr);
    // tcpdump's filters return the snapshot length, 262144
    assert.equal(keep.stdout, `${file}: 262144 (0x40000): keep 54 of 54 bytes\n`);
    assert.equal(tsbpf('cbpf', 'run', file, '--data', OTHER, '--engine', engine).stdout, `${file}: 0 (0x0): drop\n`);
  }
  const json = JSON.parse(tsbpf('cbpf', 'run', file, '--data', HTTP, '--json').stdout);
  assert.deepEqual(json, { file, retval: 262144, kept: 54, engine: 'jit', layer: 'link' });
  // from the network header, ldh [12] reads the IP header's checksum field instead of the EtherType
  assert.equal(JSON.parse(tsbpf('cbpf', 'run', file, '--data', HTTP, '--json', '--layer', 'network').stdout).retval, 0);
});

test('cbpf: errors name the file and line, go to stderr, and exit non-zero', { skip }, () => {
  const bad = write('bad.asm', 'ldh [12]\nfrob #1\nret a\n');
  const r = tsbpf('cbpf', 'asm', bad);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `tsbpf: ${bad}:2: unknown instruction 'frob': frob #1 (EINVAL)\n`);
  const unchecked = write('unchecked.asm', 'ld M[0]\nret a\n');
  const c = tsbpf('cbpf', 'asm', unchecked);
  assert.equal(c.status, 1);
  assert.match(c.stderr, /insn 0: M\[0\] may be read before it is written \(EINVAL\)/);
  assert.equal(tsbpf('cbpf', 'asm', '--no-check', unchecked).status, 0);
  assert.equal(tsbpf('cbpf', 'asm', '--seccomp', write('pkt.asm', 'ldh [12]\nret a\n')).status, 1);
  const missing = tsbpf('cbpf', 'disasm', path.join(tmp, 'nope.asm'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /cannot read .*nope\.asm.*\(ENOENT\)/);
  assert.equal(tsbpf('cbpf', 'run', write('ok.asm', 'ret #1\n'), '--data', '0102').status, 1);
});

const POLICY = `
; allow everything on x86-64 but openat with O_WRONLY or O_RDWR (EACCES), kill other architectures
ld [4]
jeq #0xc000003e, arch_ok, kill
arch_ok: ld [0]
jeq #257, openat, allow
openat: ld [32]
jset #3, deny, allow
deny: ret #0x5000d
allow: ret #0x7fff0000
kill: ret #0x80000000
`;

test('seccomp check: the action for a system call, by name, with arguments', { skip }, () => {
  const file = write('policy.asm', POLICY);
  const check = (...args: string[]) => tsbpf('seccomp', 'check', file, ...args);
  const r = check('--syscall', 'openat', '--args', '-100,0x1000,1');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'ERRNO(13)\n');
  assert.equal(check('--syscall', 'openat', '--args', '-100,0x1000,0').stdout, 'ALLOW\n');
  assert.equal(check('--syscall', 'read').stdout, 'ALLOW\n');
  assert.equal(check('--syscall', 'openat', '--arch', 'aarch64').stdout, 'KILL_PROCESS\n');
  const json = JSON.parse(check('--syscall', 'openat', '--args', '0,0,2', '--json').stdout);
  assert.deepEqual(json, {
    action: 'ERRNO', data: 13, text: 'ERRNO(13)', ret: '0x0005000d', syscall: 'openat', nr: 257, arch: 'x86_64', audit_arch: '0xc000003e',
    args: ['0', '0', '2'], filter: { index: 0, file }, rets: ['0x0005000d'],
  });
});

test('seccomp check: stacked policies (-dd arrays too) combine as Linux combines them', { skip }, () => {
  const first = write('first.asm', POLICY);
  // a second filter: ERRNO(1) for everything
  const second = write('second.dd', '{ 0x06, 0, 0, 0x00050001 },\n');
  const both = tsbpf('seccomp', 'check', first, second, '--syscall', 'openat', '--args', '0,0,1', '--json');
  const v = JSON.parse(both.stdout);
  // both return ERRNO: the newest filter (the last given) decides
  assert.deepEqual([v.text, v.filter.index, v.rets], ['ERRNO(1)', 1, ['0x0005000d', '0x00050001']]);
  for (const engine of ['classic', 'interp', 'jit']) {
    assert.equal(tsbpf('seccomp', 'check', first, second, '--syscall', 'getpid', '--engine', engine).stdout, 'ERRNO(1)\n');
  }
});

test('seccomp check: unknown system calls and refused filters are errors', { skip }, () => {
  const file = write('policy2.asm', POLICY);
  const unknown = tsbpf('seccomp', 'check', file, '--syscall', 'frobnicate');
  assert.equal(unknown.status, 1);
  assert.equal(unknown.stderr, "tsbpf: seccomp: unknown system call 'frobnicate' on x86_64 (ENOENT)\n");
  const bad = write('bad-policy.asm', 'ldh [0]\nret #0\n');
  const refused = tsbpf('seccomp', 'check', bad, '--syscall', 'read');
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /bad-policy\.asm: insn 0: opcode 0x28 is not allowed in a seccomp filter .*\(EINVAL\)/);
  assert.equal(tsbpf('seccomp', 'check', file, '--syscall', 'read', '--args', '1,2,3,4,5,6,7').status, 1);
});
