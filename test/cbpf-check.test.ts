import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { assembleClassic } from '../src/cbpf/asm.js';
import { SECCOMP_LD_DATA, checkClassic, checkSocketFilter, isClassicOpcode, prepareSeccomp } from '../src/cbpf/check.js';
import { decodeClassic, encodeClassic } from '../src/cbpf/encoding.js';
import { SockFilter, sockFilter } from '../src/cbpf/instruction.js';
import * as c from '../src/cbpf/opcodes.js';
import { BpfError } from '../src/errno.js';

/**
 * struct sock_filter encoding and the checks Linux makes (bpf_check_classic,
 * check_load_and_stores, seccomp_check_filter). test/cbpf-kernel.test.ts
 * compares the same checks with the running kernel on thousands of
 * programs; these tests pin down each rule and its message.
 */

const einval = (pattern: RegExp) => (e: unknown) => e instanceof BpfError && e.errno === 'EINVAL' && pattern.test(e.message);
const asm = (text: string) => assembleClassic(text.replace(/;/g, '\n'));
const ins = (code: number, k = 0, jt = 0, jf = 0): SockFilter => sockFilter(code, jt, jf, k);
const RET0 = ins(c.BPF_RET | c.BPF_K);

test('encoding: u16 code, u8 jt, u8 jf, u32 k in host (little-endian) order, 8 bytes each', () => {
  const prog = [ins(0x28, 12), ins(0x15, 0x800, 0, 3), ins(0x06, 0xffffffff)];
  const bytes = encodeClassic(prog);
  // laid out by hand from struct sock_filter: 28 00 | 00 | 00 | 0c 00 00 00 …
  assert.equal(Buffer.from(bytes).toString('hex'), '280000000c000000' + '1500000300080000' + '06000000ffffffff');
  assert.deepEqual(decodeClassic(bytes), prog);
  assert.equal(Buffer.from(encodeClassic(prog, 'big')).toString('hex'), '002800000000000c' + '0015000300000800' + '00060000ffffffff');
  assert.deepEqual(decodeClassic(encodeClassic(prog, 'big'), 'big'), prog);
});

test('encoding: a truncated array and fields that do not fit are EINVAL', () => {
  assert.throws(() => decodeClassic(new Uint8Array(12)), einval(/12 bytes, not a multiple of 8: insn 1 is truncated/));
  assert.throws(() => encodeClassic([{ code: 0x10000, jt: 0, jf: 0, k: 0 }]), einval(/insn 0: code 65536 does not fit/));
  assert.throws(() => encodeClassic([RET0, { code: 6, jt: 256, jf: 0, k: 0 }]), einval(/insn 1: jt 256 does not fit \(0\.\.255\)/));
  assert.throws(() => encodeClassic([{ code: 6, jt: 0, jf: 0, k: 2 ** 32 }]), einval(/insn 0: k 4294967296 is not a 32-bit value/));
  // a negative k is taken as its unsigned 32-bit value
  assert.deepEqual(decodeClassic(encodeClassic([{ code: 6, jt: 0, jf: 0, k: -1 }])), [ins(6, 0xffffffff)]);
});

test('property: decode(encode(p)) is p', () => {
  const filter = fc.record({ code: fc.nat({ max: 0xffff }), jt: fc.nat({ max: 255 }), jf: fc.nat({ max: 255 }), k: fc.nat({ max: 0xffffffff }) }).map((f) => ({ ...f }));
  fc.assert(fc.property(fc.array(filter, { maxLength: 20 }), (p) => assert.deepEqual(decodeClassic(encodeClassic(p)), p)));
});

test('check: the program length must be 1 to 4096', () => {
  assert.throws(() => checkSocketFilter([]), einval(/0 instructions; Linux accepts 1 to 4096/));
  const long = [...Array.from({ length: 4096 }, () => ins(c.BPF_LD | c.BPF_IMM)), RET0];
  assert.throws(() => checkSocketFilter(long), einval(/4097 instructions/));
  checkSocketFilter(long.slice(1));
});

test('check: only the opcodes Linux knows', () => {
  // LD|IMM with a size (0x08), RET|X (0x0e), LDX|W|ABS (0x21: seccomp's internal load), 0x100
  for (const code of [0x08, 0x0e, 0x21, 0x100, 0xff]) {
    assert.equal(isClassicOpcode(code), false);
    assert.throws(() => checkSocketFilter([ins(code), RET0]), einval(new RegExp(`^insn 0: unknown opcode 0x${code.toString(16)}$`)));
  }
  // every classic mnemonic of asm.ts assembles to an opcode the check accepts
  const all = asm('ld #1;ldx #2;st M[0];stx M[1];ld M[0];ldx M[1];ld [1];ldh [1];ldb [1];ld [x+1];ldh [x+1];ldb [x+1];ld #len;ldx #len;ldxb 4*([1]&0xf);add #1;sub x;mul #1;div #1;mod #1;and x;or #1;xor x;lsh #1;rsh x;neg;tax;txa;ja l;l: jeq #1, m;m: jgt x, n;n: jge #1, o;o: jset x, p;p: ret a');
  assert.equal(all.length, 34);
  checkSocketFilter(all);
});

test('check: division and modulo by constant zero, shifts by 32 or more', () => {
  assert.throws(() => checkSocketFilter(asm('ld #1;div #0;ret a')), einval(/^insn 1: division by constant zero$/));
  assert.throws(() => checkSocketFilter(asm('ld #1;mod #0;ret a')), einval(/^insn 1: modulo by constant zero$/));
  assert.throws(() => checkSocketFilter(asm('lsh #32;ret a')), einval(/^insn 0: shift by 32/));
  assert.throws(() => checkSocketFilter(asm('ld #0;rsh #-1;ret a')), einval(/^insn 1: shift by 4294967295/));
  // by X nothing is known when checking: allowed
  checkSocketFilter(asm('div x;mod x;lsh x;rsh x;lsh #31;ret a'));
});

test('check: M[] indices below 16', () => {
  assert.throws(() => checkSocketFilter(asm('st M[16];ret #0')), einval(/^insn 0: scratch memory M\[16\] out of range/));
  assert.throws(() => checkSocketFilter(asm('ld #0;st M[0];ldx M[99];ret #0')), einval(/^insn 2: scratch memory M\[99\]/));
});

test('check: jumps go forward and stay inside the program', () => {
  assert.throws(() => checkSocketFilter([ins(c.BPF_JMP | c.BPF_JA, 1), RET0]), einval(/^insn 0: jump out of range: ja \+1 goes to insn 2, past the last insn 1$/));
  assert.throws(() => checkSocketFilter([ins(c.BPF_JMP | c.BPF_JEQ, 0, 0, 2), RET0, RET0]), einval(/^insn 0: jump out of range: jf \+2 goes to insn 3/));
  assert.throws(() => checkSocketFilter([ins(c.BPF_JMP | c.BPF_JSET | c.BPF_X, 0, 1, 0), RET0]), einval(/^insn 0: jump out of range: jt \+1/));
  // ja's k is unsigned: 0xffffffff is far forward, not back
  assert.throws(() => checkSocketFilter([ins(c.BPF_JMP | c.BPF_JA, 0xffffffff), RET0]), einval(/ja \+4294967295/));
  checkSocketFilter([ins(c.BPF_JMP | c.BPF_JEQ, 0, 1, 0), RET0, RET0]);
});

test('check: ancillary loads must be ones Linux knows; other offsets below them are fine', () => {
  assert.throws(() => checkSocketFilter([ins(0x20, (c.SKF_AD_OFF + 64) >>> 0), RET0]), einval(/^insn 0: unknown ancillary load at SKF_AD_OFF\+64 \(k 0xfffff040\)$/));
  assert.throws(() => checkSocketFilter([ins(0x30, (c.SKF_AD_OFF + 2) >>> 0), RET0]), einval(/SKF_AD_OFF\+2/));
  assert.throws(() => checkSocketFilter([ins(0x20, 0xffffffff), RET0]), einval(/SKF_AD_OFF\+4095/));
  // every SKF_AD_* from PROTOCOL to VLAN_TPID, in every size; SKF_NET_OFF and SKF_LL_OFF loads; IND loads are not ancillary
  for (let off = 0; off < c.SKF_AD_MAX; off += 4) for (const size of [0x20, 0x28, 0x30]) checkSocketFilter([ins(size, (c.SKF_AD_OFF + off) >>> 0), RET0]);
  checkSocketFilter([ins(0x20, c.SKF_NET_OFF >>> 0), ins(0x30, c.SKF_LL_OFF >>> 0), ins(0x40, 0xfffff040), RET0]);
});

test('check: the last instruction returns', () => {
  assert.throws(() => checkSocketFilter(asm('ld #1')), einval(/^insn 0: the program does not end with ret$/));
  assert.throws(() => checkSocketFilter(asm('ret #1;ld #1')), einval(/^insn 1: the program does not end with ret$/));
});

test('check: M[] is written before it is read on every way to the read', () => {
  assert.throws(() => checkSocketFilter(asm('ld M[0];ret a')), einval(/^insn 0: M\[0\] may be read before it is written$/));
  // written on one branch only
  assert.throws(() => checkSocketFilter(asm('jeq #1, w, r;w: st M[3];r: ldx M[3];ret #0')), einval(/^insn 2: M\[3\] may be read/));
  // written on both branches
  checkSocketFilter(asm('jeq #1, w, v;w: st M[3];ja r;v: stx M[3];r: ld M[3];ret a'));
  // written before the branch
  checkSocketFilter(asm('st M[15];jeq #1, r, s;s: ld #2;r: ld M[15];ret a'));
  // a jump's own target decides: the instruction after `ja` is reached only by the jump to it
  assert.throws(() => checkSocketFilter(asm('st M[1];jeq #0, a, b;a: ja c;b: ld M[2];c: ret #0')), einval(/^insn 3: M\[2\]/));
  // Linux's pass does not reset the set after a return: dead code may read what came before it
  checkSocketFilter(asm('st M[0];ret #0;ld M[0];ret a'));
});

test('checkClassic is bpf_check_classic alone: no length limit of its own', () => {
  checkClassic([RET0]);
  assert.throws(() => checkClassic([]), einval(/does not end with ret/));
});

test('seccomp: the allowed opcodes, and ld [k] only for aligned words inside struct seccomp_data', () => {
  // packet loads, ldxb, mod and ancillary data are refused; the rest of the classic set is fine
  for (const text of ['ldh [0]', 'ldb [0]', 'ld [x+0]', 'ldxb 4*([0]&0xf)', 'mod #3']) {
    assert.throws(() => prepareSeccomp(asm(`${text};ret #0`)), einval(/^insn 0: opcode 0x[0-9a-f]+ is not allowed in a seccomp filter/), text);
  }
  assert.throws(() => prepareSeccomp(asm('ld #proto;ret #0')), einval(/^insn 0: seccomp load at offset -4096/));
  assert.throws(() => prepareSeccomp(asm('ld [2];ret #0')), einval(/^insn 0: seccomp load at offset 2: must be a 4-byte aligned offset inside struct seccomp_data \(0 to 60\)/));
  assert.throws(() => prepareSeccomp(asm('ld [64];ret #0')), einval(/offset 64/));
  // the classic checks come first, as in Linux
  assert.throws(() => prepareSeccomp(asm('ld #0;div #0;ret a')), einval(/insn 1: division by constant zero/));
  prepareSeccomp(asm('ld [0];ld [60];add x;div #3;xor #1;jset x, r;r: st M[0];ldx M[0];tax;txa;neg;ret a'));
});

test('seccomp: the program Linux keeps: ld [k] a context word, ld len / ldx len the constant 64', () => {
  const got = prepareSeccomp(asm('ld [4];ld #len;ldx #len;ret a'));
  assert.deepEqual(got, [ins(SECCOMP_LD_DATA, 4), ins(c.BPF_LD | c.BPF_IMM, 64), ins(c.BPF_LDX | c.BPF_IMM, 64), ins(c.BPF_RET | c.BPF_A)]);
  assert.equal(SECCOMP_LD_DATA, 0x21);
  // the input is not changed
  const prog = asm('ld [4];ret a');
  prepareSeccomp(prog);
  assert.equal(prog[0]!.code, 0x20);
});
