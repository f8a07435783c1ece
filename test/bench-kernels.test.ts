/**
 * The benchmark kernels (bench/kernels/*.s, clang's output for
 * ../shared/bench/kernels.h) assemble to exactly the bytes clang produced, and
 * compute what they should: expected values derived here independently (BigInt
 * re-implementations over the same inputs) and checked against the README table.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assemble } from '../src/isa/asm.js';
import { encode, Insn } from '../src/isa/instruction.js';
import { execute } from '../src/vm/execute.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const kernelsDir = path.join(root, 'bench', 'kernels');
const sharedBench = path.resolve(root, '../shared/bench');

const M64 = (1n << 64n) - 1n;
const source = (name: string): string => readFileSync(path.join(kernelsDir, `${name}.s`), 'utf8');
const input = (file: string): Uint8Array => new Uint8Array(readFileSync(path.join(sharedBench, file)));
const program = (name: string): Insn[] => assemble(source(name));
const run = (name: string, mem: Uint8Array): bigint => execute(program(name), { mem, budget: 1_000_000 }).r0;

/** The bytes llvm-objdump printed beside each instruction (8, or 16 for lddw). */
function objdumpBytes(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\d+:\t((?:[0-9a-f]{2} )*[0-9a-f]{2})\t/.exec(line);
    if (m) for (const b of m[1]!.split(' ')) bytes.push(parseInt(b, 16));
  }
  return Uint8Array.from(bytes);
}

// Independent references, straight from the definitions in kernels.h.
function sum64Ref(buf: Uint8Array): bigint {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let s = 0n;
  for (let i = 0; i < 4096; i += 8) s = (s + v.getBigUint64(i, true)) & M64;
  return s;
}

function fnv1aRef(buf: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < 4096; i++) h = ((h ^ BigInt(buf[i]!)) * 0x100000001b3n) & M64;
  return h;
}

function xorshiftRef(seed: bigint, n: number): bigint {
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= (x << 13n) & M64;
    x ^= x >> 7n;
    x ^= (x << 17n) & M64;
  }
  return x;
}

const xsInput = (seed: bigint, n: bigint): Uint8Array => {
  const b = new Uint8Array(64);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, seed, true);
  v.setBigUint64(8, n, true);
  return b;
};

describe('bench kernels', () => {
  const names = readdirSync(kernelsDir).filter((f) => f.endsWith('.s')).map((f) => f.slice(0, -2)).sort();

  it('has the five kernels', () => {
    assert.deepEqual(names, ['empty', 'fnv1a', 'parse', 'sum64', 'xorshift']);
  });

  for (const name of names) {
    it(`${name}.s assembles to the bytes clang produced`, () => {
      const text = source(name);
      const want = objdumpBytes(text);
      assert.ok(want.length > 0, 'no instruction bytes found in the objdump text');
      assert.deepEqual(encode(program(name)), want);
    });
  }

  it('empty returns 0', () => {
    assert.equal(run('empty', new Uint8Array(0)), 0n);
    assert.equal(run('empty', input('pkt64.bin')), 0n);
  });

  it('sum64 over buf4k.bin equals an independent BigInt sum and the README', () => {
    const buf = input('buf4k.bin');
    const want = sum64Ref(buf);
    assert.equal(want, 0xc8ce4e5fed505e01n);
    assert.equal(run('sum64', buf), want);
  });

  it('fnv1a over buf4k.bin equals an independent BigInt FNV-1a and the README', () => {
    const buf = input('buf4k.bin');
    const want = fnv1aRef(buf);
    assert.equal(want, 0xeb89e4523bac5b4bn);
    assert.equal(run('fnv1a', buf), want);
  });

  it('fnv1a and sum64 follow their input', () => {
    const buf = input('buf4k.bin');
    buf[0] ^= 0xff;
    buf[4095] ^= 0x5a;
    assert.equal(run('fnv1a', buf), fnv1aRef(buf));
    assert.equal(run('sum64', buf), sum64Ref(buf));
  });

  it('parse returns the TCP destination port of pkt64.bin (README: 8080)', () => {
    assert.equal(run('parse', input('pkt64.bin')), 8080n);
  });

  it('parse takes each branch of k_parse', () => {
    const pkt = input('pkt64.bin');
    const edit = (f: (p: Uint8Array) => void, p = pkt.slice()): Uint8Array => (f(p), p);
    const vlan = new Uint8Array(pkt.length + 4);
    vlan.set(pkt.subarray(0, 12));
    vlan.set([0x81, 0x00, 0x00, 0x2a], 12);
    vlan.set(pkt.subarray(12), 16);
    assert.equal(run('parse', vlan), 8080n, 'one VLAN tag');
    assert.equal(run('parse', vlan.subarray(0, 17)), 0n, 'VLAN tag truncated');
    assert.equal(run('parse', pkt.subarray(0, 13)), 0n, 'Ethernet header truncated');
    assert.equal(run('parse', edit((p) => { p[12] = 0x86; p[13] = 0xdd; })), 1n, 'not IPv4');
    assert.equal(run('parse', pkt.subarray(0, 33)), 0n, 'IPv4 header truncated');
    assert.equal(run('parse', edit((p) => { p[14] = 0x65; })), 2n, 'IP version 6');
    assert.equal(run('parse', edit((p) => { p[14] = 0x44; })), 3n, 'IHL < 5');
    assert.equal(run('parse', edit((p) => { p[23] = 17; })), 4n, 'UDP');
    assert.equal(run('parse', edit((p) => { p[21] = 0x01; })), 5n, 'non-first fragment');
    assert.equal(run('parse', edit((p) => { p[20] = 0x20; })), 8080n, 'MF flag alone (first fragment) is parsed');
    assert.equal(run('parse', pkt.subarray(0, 53)), 0n, 'TCP header truncated');
    assert.equal(run('parse', pkt.subarray(0, 54)), 8080n, 'exactly a full TCP header');
    assert.equal(run('parse', edit((p) => { p[36] = 0x00; p[37] = 0x50; })), 80n, 'port 80');
    assert.equal(run('parse', edit((p) => { p[14] = 0x46; })), 0x0001n, 'IHL 6 moves the TCP header by 4');
  });

  it('xorshift with n = 1000 equals an independent BigInt xorshift64 (13, 7, 17)', () => {
    const seed = new DataView(input('xs64.bin').buffer).getBigUint64(0, true);
    assert.equal(seed, 0x0123456789abcdefn);
    assert.equal(run('xorshift', xsInput(seed, 1000n)), xorshiftRef(seed, 1000));
    assert.equal(run('xorshift', xsInput(0xdeadbeefcafef00dn, 1000n)), xorshiftRef(0xdeadbeefcafef00dn, 1000));
    assert.equal(run('xorshift', xsInput(seed, 1n)), xorshiftRef(seed, 1));
    assert.equal(run('xorshift', xsInput(seed, 0n)), seed, 'n = 0 returns the seed');
  });

  it('xs64.bin holds n = 1,000,000 and the README value is xorshift64 of its seed', () => {
    const v = new DataView(input('xs64.bin').buffer);
    assert.equal(v.getBigUint64(8, true), 1_000_000n);
    assert.equal(xorshiftRef(v.getBigUint64(0, true), 1_000_000), 0x7037496bdb31eba3n);
  });
});
