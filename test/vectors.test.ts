import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BpfError } from '../src/errno.js';
import { HelperEnv, HelperExit } from '../src/helpers/registry.js';
import { parseDataFile } from '../src/vectors/datafile.js';
import { conformanceHelpers } from '../src/vectors/helpers.js';

/** Unit tests of the .data parser and of the uBPF test helpers (the vectors themselves are in conformance.test.ts). */

const parse = (text: string, files: Record<string, string> = {}) =>
  parseDataFile(text, {
    name: 't.data',
    readFile: (rel) => {
      if (!(rel in files)) throw new Error(`no file ${rel}`);
      return files[rel]!;
    },
  });

function rejects(text: string, pattern: RegExp): void {
  assert.throws(() => parse(text), (e: unknown) => e instanceof BpfError && e.errno === 'EINVAL' && pattern.test(e.message));
}

test('sections, comments, and the last result line wins', () => {
  const d = parse('# c\n-- asm\nmov %r0, 1 # one\n\nexit\n-- result\n0x5\n7\n-- mem\n0a Ff\n01\n-- error pattern\nuBPF .*\n');
  assert.equal(d.asm, 'mov %r0, 1\n\nexit');
  assert.deepEqual(d.asmSource, { file: 't.data', line: 3 });
  assert.equal(d.result, 7n);
  assert.deepEqual([...d.mem!], [0x0a, 0xff, 0x01]);
  assert.equal(d.errorPattern, 'uBPF .*');
});

test('raw: 64-bit words and 8-byte lines give the same slots', () => {
  const d = parse('-- raw\n0x5566778800000018\n');
  assert.deepEqual(d.raw, [{ code: 0x18, dst: 0, src: 0, off: 0, imm: 0x55667788 }]);
  const e = parse('-- raw\n18 00 00 00 88 77 66 55\n');
  assert.deepEqual(e.raw, d.raw);
});

test('free-text sections and flags', () => {
  const d = parse('-- asm\nexit\n-- unload\n-- error\n-- no jit\nwhy\n-- c\n#include <x.h>\nint f;\n');
  assert.equal(d.unload, true);
  assert.equal(d.error, '');
  assert.equal(d.noJit, 'why');
  assert.equal(d.c, 'int f;');
});

test('includes: asm text and tcpdump-style .hex dumps', () => {
  const files = { 'p.asm': 'mov %r0, 0\nexit\n', 'pkt-a.hex': '0x0000:  0026 622f\n0x0004:  47\n' };
  const d = parse('-- asm @ p.asm\n-- mem @ pkt-a.hex\n-- result\n0\n', files);
  assert.equal(d.asm, 'mov %r0, 0\nexit\n');
  assert.deepEqual(d.asmSource, { file: 'p.asm', line: 1 });
  assert.deepEqual([...d.mem!], [0x00, 0x26, 0x62, 0x2f, 0x47]);
});

test('malformed input names the file and line', () => {
  rejects('-- asm\nexit\n-- Unknown directive\n', /^t\.data:3: unknown section/);
  rejects('exit\n', /^t\.data:1: text outside any section/);
  rejects('-- toString\n', /^t\.data:1: unknown section '-- toString'/);
  rejects('-- result\n0x1g\n', /^t\.data:2: not a number/);
  rejects('-- result\n0x10000000000000000\n', /out of 64-bit range/);
  rejects('-- result\n', /^t\.data:1: section 'result' has no value/);
  rejects('-- mem\n0a 1\n', /^t\.data:2: mem byte/);
  rejects('-- raw\n01 02\n', /^t\.data:2: raw line/);
  rejects('-- asm\n-- asm\n', /^t\.data:2: duplicate section 'asm' \(first at t\.data:1\)/);
  rejects('-- reload\nx\n', /^t\.data:2: section 'reload' takes no body/);
  rejects('-- asm @ p.asm\nexit\n', /^t\.data:2: section 'asm' is read from/);
});

test('a missing include is ENOENT naming the header line', () => {
  assert.throws(() => parse('-- asm @ nope.asm\n'), (e: unknown) => e instanceof BpfError && e.errno === 'ENOENT' && /^t\.data:1: cannot read 'nope\.asm'/.test(e.message));
});

/** A flat memory at addresses [base, base + bytes.length). */
function flatEnv(bytes: Uint8Array, base = 0x1000n): HelperEnv {
  const index = (addr: bigint, len: number): number => {
    const i = Number(addr - base);
    if (addr < base || i + len > bytes.length) throw new BpfError('EFAULT', `bad access at ${addr}`);
    return i;
  };
  return {
    read: (addr, len) => bytes.slice(index(addr, len), index(addr, len) + len),
    write: (addr, data) => bytes.set(data, index(addr, data.length)),
    check: (addr, len) => {
      index(addr, len);
      return Number(addr);
    },
    checkAt: (addr, len) => {
      index(BigInt(addr), len);
      return addr;
    },
  };
}

const call = (id: number, env: HelperEnv, ...args: bigint[]): bigint => {
  const [r1 = 0n, r2 = 0n, r3 = 0n, r4 = 0n, r5 = 0n] = args;
  return conformanceHelpers().get(id)!.fn(env, r1, r2, r3, r4, r5);
};

test('uBPF test helpers', () => {
  const none = flatEnv(new Uint8Array(0));
  assert.equal(call(0, none, 0x101n, 2n, 3n, 4n, 0x305n), 0x0102030405n);
  assert.equal(call(2, none), 0n);
  assert.equal(call(3, none, 17n), 4n);
  assert.equal(call(5, none, 0xffffffffffffffffn), 0xffffffffffffffffn);
  assert.throws(() => call(5, none, 0n), (e: unknown) => e instanceof HelperExit && e.r0 === 0n);
  const mem = Uint8Array.from([1, 2, 3, 0, 0x61, 0x62, 0, 0x61, 0x63, 0]);
  const env = flatEnv(mem);
  assert.equal(call(1, env, 0x1000n, 2n), 0n);
  assert.deepEqual([...mem.subarray(0, 3)], [1 ^ 42, 2 ^ 42, 3]);
  assert.equal(call(4, env, 0x1004n, 0x1004n), 0n);
  assert.equal(call(4, env, 0x1004n, 0x1007n), 0xffffffffffffffffn);
  assert.deepEqual(conformanceHelpers().ids(), [0, 1, 2, 3, 4, 5]);
});
