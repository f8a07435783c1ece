import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { assembleClassic } from '../src/cbpf/asm.js';
import { SockFilter } from '../src/cbpf/instruction.js';
import * as c from '../src/cbpf/opcodes.js';
import { evaluateSeccomp, loadSeccompFilter, runSeccompFilter, syscallName, syscallNumber } from '../src/cbpf/seccomp.js';
import { BpfError } from '../src/errno.js';
import {
  SECCOMP_PROG_TYPE,
  combineSeccomp,
  encodeSeccompData,
  formatSeccompAction,
  seccomp,
  seccompAction,
} from '../src/progtypes/seccomp.js';
import { TestRunHost } from '../src/progtypes/progtype.js';
import { AddressSpace } from '../src/vm/memory.js';
import { classicProgram } from './cbpf-gen.js';

/**
 * seccomp: return actions and their precedence, struct seccomp_data, the
 * system call tables, and policies evaluated on the classic interpreter and
 * on both engines. test/cbpf-kernel.test.ts checks actions and precedence
 * against real system calls under Linux.
 */

const errno = (name: string, pattern: RegExp) => (e: unknown) => e instanceof BpfError && e.errno === name && pattern.test(e.message);
const X86_64 = 0xc000003e;
const policy = (text: string) => loadSeccompFilter(assembleClassic(text.replace(/;/g, '\n')));

test('actions: the action in the high 16 bits, its data in the low 16, as linux/seccomp.h defines them', () => {
  const show = (ret: number) => formatSeccompAction(seccompAction(ret));
  assert.equal(show(0x7fff0000), 'ALLOW');
  assert.equal(show(0x7fff1234), 'ALLOW');
  assert.equal(show(0x7ffc0000), 'LOG');
  assert.equal(show(0x7ff00007), 'TRACE(7)');
  assert.equal(show(0x7fc00000), 'USER_NOTIF');
  assert.equal(show(0x00050001), 'ERRNO(1)');
  assert.equal(show(0x00030005), 'TRAP(5)');
  assert.equal(show(0x00000000), 'KILL_THREAD');
  assert.equal(show(0x80000000), 'KILL_PROCESS');
  // an errno above MAX_ERRNO (4095) is clamped to it
  assert.equal(show(0x0005ffff), 'ERRNO(4095)');
  assert.deepEqual(seccompAction(0x0005ffff), { action: 'ERRNO', data: 4095, ret: 0x0005ffff, known: true });
  // an action Linux does not know kills the process (the default case)
  assert.equal(show(0x00010000), 'KILL_PROCESS (unknown action 0x00010000)');
  assert.equal(seccompAction(0x7ffe0000).known, false);
});

test('precedence: the lowest action as a signed number wins; among equals, the newest filter', () => {
  // [oldest … newest]
  assert.deepEqual(combineSeccomp([]), { ret: 0x7fff0000, filter: -1 });
  assert.deepEqual(combineSeccomp([0x7fff0000, 0x7fff0000]), { ret: 0x7fff0000, filter: -1 });
  assert.deepEqual(combineSeccomp([0x7fff0000, 0x00050001]), { ret: 0x00050001, filter: 1 });
  assert.deepEqual(combineSeccomp([0x00050001, 0x00050002]), { ret: 0x00050002, filter: 1 });
  assert.deepEqual(combineSeccomp([0x00050002, 0x00030000, 0x7ffc0000]), { ret: 0x00030000, filter: 1 });
  // KILL_PROCESS (0x80000000) is below KILL_THREAD (0) as a signed number
  assert.deepEqual(combineSeccomp([0x80000000, 0x00000000]), { ret: 0x80000000, filter: 0 });
  assert.deepEqual(combineSeccomp([0x7ff00001, 0x7fc00000, 0x7ffc0000]), { ret: 0x7fc00000, filter: 1 });
});

test('struct seccomp_data: nr, arch, instruction_pointer, args[6], little-endian, 64 bytes', () => {
  const b = encodeSeccompData({ nr: 257, arch: X86_64, instructionPointer: 0x1122334455667788n, args: [1n, 0xffffffffffffffffn] });
  assert.equal(
    Buffer.from(b).toString('hex'),
    '01010000' + '3e0000c0' + '8877665544332211' + '0100000000000000' + 'ffffffffffffffff' + '00'.repeat(32),
  );
  assert.throws(() => encodeSeccompData({ nr: 0, arch: 0, args: [0n, 0n, 0n, 0n, 0n, 0n, 0n] }), errno('EINVAL', /6 arguments, not 7/));
});

test('system call numbers: x86-64 as the installed UAPI header defines every one', { skip: existsSync('/usr/include/x86_64-linux-gnu/asm/unistd_64.h') ? undefined : 'no /usr/include/x86_64-linux-gnu/asm/unistd_64.h' }, () => {
  const header = readFileSync('/usr/include/x86_64-linux-gnu/asm/unistd_64.h', 'utf8');
  const defs = [...header.matchAll(/#define __NR_(\w+) (\d+)/g)];
  assert.ok(defs.length > 300);
  for (const [, name, nr] of defs) assert.equal(syscallNumber('x86_64', name!), Number(nr), name);
});

test('system call numbers: arm64 uses the generic table', () => {
  // asm-generic/unistd.h: io_setup 0, openat 56, close 57, read 63, write 64, exit_group 94, clone3 435; no open(2)
  const want: Array<[string, number]> = [['io_setup', 0], ['openat', 56], ['close', 57], ['read', 63], ['write', 64], ['exit_group', 94], ['clone3', 435]];
  for (const [name, nr] of want) assert.equal(syscallNumber('aarch64', name), nr, name);
  assert.throws(() => syscallNumber('aarch64', 'open'), errno('ENOENT', /unknown system call 'open' on aarch64/));
  assert.equal(syscallName('aarch64', 56), 'openat');
  // numbers pass through; sys_ and __NR_ prefixes are accepted
  assert.equal(syscallNumber('x86_64', '999'), 999);
  assert.equal(syscallNumber('x86_64', '__NR_openat'), syscallNumber('x86_64', 'sys_openat'));
  // the calls added after the 6.1 headers share their numbers on every architecture
  assert.equal(syscallNumber('x86_64', 'mseal'), 462);
  assert.equal(syscallNumber('aarch64', 'mseal'), 462);
});

test('evaluate: a policy on architecture, number and arguments', () => {
  const filter = loadSeccompFilter(assembleClassic(`
    ld [4]
    jeq #0xc000003e, arch_ok, kill
    arch_ok: ld [0]
    jeq #257, openat, allow
    openat: ld [32]          ; args[2] (flags), low word
    jset #0x3, deny, allow   ; O_WRONLY | O_RDWR
    deny: ret #0x5000d       ; ERRNO(EACCES)
    allow: ret #0x7fff0000
    kill: ret #0x80000000
  `));
  const check = (nr: number, arch: number, flags: bigint) => formatSeccompAction(evaluateSeccomp([filter], { nr, arch, args: [0n, 0n, flags] }));
  assert.equal(check(257, X86_64, 0n), 'ALLOW');
  assert.equal(check(257, X86_64, 2n), 'ERRNO(13)');
  assert.equal(check(0, X86_64, 2n), 'ALLOW');
  assert.equal(check(257, 0xc00000b7, 0n), 'KILL_PROCESS');
  const v = evaluateSeccomp([filter, policy('ret #0x50001')], { nr: 257, arch: X86_64, args: [0n, 0n, 1n] });
  // both deny with ERRNO: the newest filter's errno
  assert.deepEqual({ action: v.action, data: v.data, filter: v.filter, rets: v.rets }, { action: 'ERRNO', data: 1, filter: 1, rets: [0x5000d, 0x50001] });
});

test('evaluate: filters are checked as seccomp(2) checks them', () => {
  assert.throws(() => policy('ld [1];ret a'), errno('EINVAL', /insn 0: seccomp load at offset 1/));
  assert.throws(() => policy('ldb [0];ret a'), errno('EINVAL', /insn 0: opcode 0x30 is not allowed in a seccomp filter/));
  assert.throws(() => policy('ld [0]'), errno('EINVAL', /does not end with ret/));
});

/** A random valid seccomp filter: a valid classic program with its packet operations turned into seccomp ones. */
const seccompProgram = fc
  .tuple(classicProgram({ ancillary: [], negative: false, maxBody: 30 }), fc.array(fc.nat({ max: 15 }), { minLength: 40, maxLength: 40 }))
  .map(([prog, words]) =>
    prog.map((f, i): SockFilter => {
      const mode = c.BPF_MODE(f.code);
      if (c.BPF_CLASS(f.code) === c.BPF_LD && (mode === c.BPF_ABS || mode === c.BPF_IND)) return { code: 0x20, jt: 0, jf: 0, k: 4 * words[i % 40]! };
      if (f.code === (c.BPF_LDX | c.BPF_B | c.BPF_MSH)) return { code: c.BPF_LDX | c.BPF_IMM, jt: 0, jf: 0, k: f.k };
      if (c.BPF_CLASS(f.code) === c.BPF_ALU && c.BPF_OP(f.code) === c.BPF_MOD) return { ...f, code: (f.code & ~0xf0) | c.BPF_DIV };
      return f;
    }),
  );

test('property: a filter returns the same on the classic interpreter, the eBPF interpreter and the JIT', () => {
  const data = fc.record({ nr: fc.nat({ max: 500 }), arch: fc.constantFrom(X86_64, 0xc00000b7), args: fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { maxLength: 6 }), ip: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) });
  fc.assert(
    fc.property(seccompProgram, data, (prog, d) => {
      const f = loadSeccompFilter(prog);
      const bytes = encodeSeccompData({ nr: d.nr, arch: d.arch, args: d.args, instructionPointer: d.ip });
      const want = runSeccompFilter(f, bytes, 'classic');
      assert.equal(runSeccompFilter(f, bytes, 'interp'), want);
      assert.equal(runSeccompFilter(f, bytes, 'jit'), want);
    }),
    { numRuns: 200 },
  );
});

test('the seccomp program type: struct seccomp_data as a read-only context, no packet, no helpers', () => {
  assert.equal(seccomp.type, SECCOMP_PROG_TYPE);
  assert.ok(SECCOMP_PROG_TYPE > 0xff, 'outside enum bpf_prog_type');
  assert.deepEqual(seccomp.fields.map((f) => [f.name, f.offset, f.size]), [['nr', 0, 4], ['arch', 4, 4], ['instruction_pointer', 8, 8], ['args', 16, 48]]);
  assert.equal(seccomp.helpers.size, 0);
  const space = new AddressSpace();
  let regions: unknown;
  const host: TestRunHost = {
    space,
    buffer: (_slot, size) => space.alloc(size),
    runner: (setup) => {
      regions = setup.regions;
      const r0 = (): bigint => BigInt(new DataView(space.memory.buffer).getUint32(setup.ctx, true)) | 0x50000n;
      return Object.assign(() => Number(r0()), { r0 });
    },
    now: () => 0n,
  };
  // ctx_in shorter than 64 bytes is zero-extended; the run sees nr
  const r = seccomp.testRun!(host, { ctx: Uint8Array.of(7, 0, 0, 0) });
  assert.equal(r.retval, 0x50007);
  assert.deepEqual(regions, [{ start: (regions as { start: number }[])[0]!.start, end: (regions as { start: number }[])[0]!.start + 64, writable: false, name: 'ctx (struct seccomp_data)' }]);
  assert.throws(() => seccomp.testRun!(host, { data: new Uint8Array(14), ctx: new Uint8Array(64) }), errno('EINVAL', /seccomp test run: data is not accepted/));
  assert.throws(() => seccomp.testRun!(host, {}), errno('EINVAL', /ctx_in \(struct seccomp_data\) is required/));
  assert.throws(() => seccomp.testRun!(host, { ctx: new Uint8Array(65).fill(1) }), errno('E2BIG', /ctx_in has 65 bytes/));
});
