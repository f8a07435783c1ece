import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decode, encode, insn, lddw, lddwValue, fromWord, toWord, Insn } from '../src/isa/instruction.js';
import * as o from '../src/isa/opcodes.js';
import { validate } from '../src/isa/validate.js';
import { BpfError } from '../src/errno.js';

const slot = fc.record({
  code: fc.integer({ min: 0, max: 255 }),
  dst: fc.integer({ min: 0, max: 15 }),
  src: fc.integer({ min: 0, max: 15 }),
  off: fc.integer({ min: -32768, max: 32767 }),
  imm: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
}).map((r): Insn => ({ ...r }));

test('encode/decode round-trips every slot, little- and big-endian', () => {
  fc.assert(
    fc.property(fc.array(slot, { maxLength: 20 }), fc.constantFrom('little', 'big') as fc.Arbitrary<'little' | 'big'>, (insns, endian) => {
      assert.deepEqual(decode(encode(insns, endian), endian), insns);
    }),
    { numRuns: 2000 },
  );
});

test('the byte layout is struct bpf_insn: opcode, regs (dst low nibble on LE), off, imm', () => {
  const ins = insn(o.BPF_ALU64 | o.BPF_ADD | o.BPF_K, 1, 2, -2, 0x11223344);
  assert.deepEqual([...encode([ins])], [0x07, 0x21, 0xfe, 0xff, 0x44, 0x33, 0x22, 0x11]);
  assert.deepEqual([...encode([ins], 'big')], [0x07, 0x12, 0xff, 0xfe, 0x11, 0x22, 0x33, 0x44]);
  assert.equal(toWord(ins), 0x11223344fffe2107n);
  assert.deepEqual(fromWord(0x11223344fffe2107n), ins);
});

test('lddw splits a 64-bit constant over two slots without sign-extending the low half', () => {
  const two = lddw(3, 0x8000000080000000n);
  assert.equal(two[0].imm >>> 0, 0x80000000);
  assert.equal(two[1].code, 0);
  assert.equal(lddwValue(two, 0), 0x8000000080000000n);
});

test('a truncated program is rejected naming the instruction', () => {
  assert.throws(() => decode(new Uint8Array(12)), (e: unknown) => e instanceof BpfError && e.errno === 'EINVAL' && /truncated instruction 1/.test(e.message));
});

const exit = insn(o.BPF_JMP | o.BPF_EXIT);
const mov = (dst: number, imm: number) => insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, dst, 0, 0, imm);

function rejects(prog: Insn[], pattern: RegExp): void {
  assert.throws(() => validate(prog), (e: unknown) => {
    assert.ok(e instanceof BpfError, String(e));
    assert.equal(e.errno, 'EINVAL');
    assert.match(e.message, pattern);
    return true;
  });
}

test('validate rejects each malformed instruction, naming its index and the fault', () => {
  rejects([], /no instructions/);
  rejects([mov(0, 0), insn(0xff), exit], /^insn 1: unknown opcode ff/);
  rejects([insn(0x86), exit], /insn 0: unknown opcode 86/); // JMP32 has no call
  rejects([insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, 11, 0, 0, 1), exit], /insn 0: R11 is invalid/);
  rejects([insn(o.BPF_ALU64 | o.BPF_ADD | o.BPF_X, 0, 12), exit], /insn 0: R12 is invalid/);
  rejects([mov(10, 1), exit], /insn 0: frame pointer is read only/);
  rejects([insn(o.BPF_LDX | o.BPF_MEM | o.BPF_DW, 10, 1, 0), exit], /frame pointer is read only/);
  rejects([insn(o.BPF_ALU64 | o.BPF_ADD | o.BPF_K, 0, 1, 0, 1), exit], /insn 0: BPF_ALU64 uses reserved fields \(src=1\)/);
  rejects([insn(o.BPF_ALU | o.BPF_ADD | o.BPF_X, 0, 1, 0, 5), exit], /BPF_ALU uses reserved fields \(imm=5\)/);
  rejects([mov(0, 0), insn(o.BPF_JMP | o.BPF_EXIT, 0, 0, 1)], /insn 1: BPF_EXIT uses reserved fields \(off=1\)/);
  rejects([insn(o.BPF_ALU | o.BPF_END, 0, 0, 0, 48), exit], /BPF_END .*imm=48/);
  rejects([insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, 0, 1, 24), exit], /sign extension width/);
  rejects([insn(o.BPF_STX | o.BPF_ATOMIC | o.BPF_DW, 1, 2, 0, 0x02), exit], /invalid atomic opcode 0x2/);
  rejects([insn(o.BPF_STX | o.BPF_ATOMIC | o.BPF_B, 1, 2, 0, o.BPF_ADD), exit], /invalid size/);
});

test('validate rejects truncated or malformed lddw and lddw with an unknown src', () => {
  const [a, b] = lddw(0, 1n);
  rejects([mov(0, 0), a], /insn 1: invalid bpf_ld_imm64 insn \(no second slot/);
  rejects([a, { ...b, dst: 1 }, exit], /insn 0: invalid bpf_ld_imm64 insn \(second slot/);
  rejects([{ ...a, src: 7 }, b, exit], /unrecognized bpf_ld_imm64 insn \(src=7\)/);
  for (let src = 0; src <= 6; src++) {
    // imm 1 is a map fd or index, a BTF id, or (PSEUDO_FUNC) the relative slot of the exit.
    validate([{ ...a, src, imm: 1 }, b, exit]);
  }
  rejects([{ ...a, src: o.BPF_PSEUDO_FUNC, imm: 0 }, b, exit], /jump into the middle of ldimm64 insn 0/);
});

test('validate rejects jumps out of the program and into the second slot of lddw', () => {
  const [a, b] = lddw(0, 1n);
  rejects([insn(o.BPF_JMP | o.BPF_JA, 0, 0, 5), exit], /insn 0: jump out of range from insn 0 to 6/);
  rejects([insn(o.BPF_JMP | o.BPF_JEQ | o.BPF_K, 1, 0, -2, 0), exit], /jump out of range from insn 0 to -1/);
  rejects([insn(o.BPF_JMP32 | o.BPF_JA, 0, 0, 0, 9), exit], /jump out of range from insn 0 to 10/);
  rejects([insn(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_PSEUDO_CALL, 0, 7), exit], /jump out of range/);
  rejects([insn(o.BPF_JMP | o.BPF_JA, 0, 0, 1), a, b, exit], /insn 0: jump into the middle of ldimm64 insn 1/);
  validate([insn(o.BPF_JMP | o.BPF_JA, 0, 0, 2), a, b, exit]);
});

test('validate accepts every Linux instruction form (ISA-level)', () => {
  const ok: Insn[] = [
    insn(o.BPF_ALU64 | o.BPF_DIV | o.BPF_K, 0, 0, 1, 3), // sdiv
    insn(o.BPF_ALU | o.BPF_MOD | o.BPF_X, 0, 1, 1), // smod32
    insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, 0, 1, 32), // movsx
    insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, 0, 1, 1, 1), // addr_space_cast
    insn(o.BPF_ALU64 | o.BPF_END, 0, 0, 0, 64), // bswap64
    insn(o.BPF_LDX | o.BPF_MEMSX | o.BPF_H, 0, 1, 2),
    insn(o.BPF_STX | o.BPF_ATOMIC | o.BPF_W, 1, 2, 0, o.BPF_CMPXCHG),
    insn(o.BPF_STX | o.BPF_ATOMIC | o.BPF_B, 0, 1, 0, o.BPF_LOAD_ACQ),
    insn(o.BPF_STX | o.BPF_ATOMIC | o.BPF_H, 1, 2, 0, o.BPF_STORE_REL),
    insn(o.BPF_LD | o.BPF_ABS | o.BPF_W, 0, 0, 0, 12),
    insn(o.BPF_LD | o.BPF_IND | o.BPF_B, 0, 3, 0, 1),
    insn(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_PSEUDO_KFUNC_CALL, 1, 1234),
    insn(o.BPF_JMP | o.BPF_JCOND, 0, 0, 0, 0), // may_goto +0
    insn(o.BPF_JMP32 | o.BPF_JSLT | o.BPF_X, 1, 2, 0),
    exit,
  ];
  validate(ok);
});
