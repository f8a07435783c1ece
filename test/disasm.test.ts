import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assemble } from '../src/isa/asm.js';
import { disassemble, formatInsn } from '../src/isa/disasm.js';
import { Insn, decode, encode, insn, lddw } from '../src/isa/instruction.js';
import * as o from '../src/isa/opcodes.js';
import { validate } from '../src/isa/validate.js';

const I = insn;
const one = (ins: Insn): string => formatInsn([ins], 0);

/** Expected text for single-slot instructions, written from the llvm-objdump / kernel conventions. */
function expectAll(cases: [Insn, string][]): void {
  for (const [ins, want] of cases) {
    assert.equal(one(ins), want, want);
    assert.deepEqual(assemble(want), [ins], want);
  }
}

test('ALU64', () => {
  expectAll([
    [I(0xb7, 0, 0, 0, 1), 'r0 = 1'],
    [I(0xb7, 0, 0, 0, -1), 'r0 = -1'],
    [I(0xbf, 0, 1), 'r0 = r1'],
    [I(0x0f, 0, 1), 'r0 += r1'],
    [I(0x07, 1, 0, 0, -8), 'r1 += -8'],
    [I(0x17, 0, 0, 0, 5), 'r0 -= 5'],
    [I(0x2f, 0, 1), 'r0 *= r1'],
    [I(0x3f, 0, 1), 'r0 /= r1'],
    [I(0x3f, 0, 1, 1), 'r0 s/= r1'],
    [I(0x9f, 0, 1), 'r0 %= r1'],
    [I(0x97, 0, 0, 1, -3), 'r0 s%= -3'],
    [I(0x4f, 0, 1), 'r0 |= r1'],
    [I(0x57, 0, 0, 0, 255), 'r0 &= 255'],
    [I(0x67, 0, 0, 0, 3), 'r0 <<= 3'],
    [I(0x77, 0, 0, 0, 3), 'r0 >>= 3'],
    [I(0xc7, 0, 0, 0, 3), 'r0 s>>= 3'],
    [I(0xcf, 9, 8), 'r9 s>>= r8'],
    [I(0xaf, 0, 1), 'r0 ^= r1'],
    [I(0x87, 0), 'r0 = -r0'],
    [I(0xbf, 0, 1, 8), 'r0 = (s8)r1'],
    [I(0xbf, 0, 1, 16), 'r0 = (s16)r1'],
    [I(0xbf, 0, 1, 32), 'r0 = (s32)r1'],
    [I(0xbf, 0, 1, 1, 1), 'r0 = addr_space_cast(r1, 0, 1)'],
    [I(0xbf, 2, 3, 1, 0x10000), 'r2 = addr_space_cast(r3, 1, 0)'],
  ]);
});

test('ALU (32-bit) uses w registers', () => {
  expectAll([
    [I(0xb4, 0, 0, 0, -1), 'w0 = -1'],
    [I(0xbc, 0, 1), 'w0 = w1'],
    [I(0x0c, 0, 1), 'w0 += w1'],
    [I(0x34, 0, 0, 1, 2), 'w0 s/= 2'],
    [I(0x9c, 3, 4, 1), 'w3 s%= w4'],
    [I(0xcc, 0, 1), 'w0 s>>= w1'],
    [I(0x84, 0), 'w0 = -w0'],
    [I(0xbc, 0, 1, 8), 'w0 = (s8)w1'],
    [I(0xbc, 0, 1, 16), 'w0 = (s16)w1'],
  ]);
});

test('byte swaps', () => {
  expectAll([
    [I(0xd4, 0, 0, 0, 16), 'r0 = le16 r0'],
    [I(0xd4, 1, 0, 0, 64), 'r1 = le64 r1'],
    [I(0xdc, 0, 0, 0, 32), 'r0 = be32 r0'],
    [I(0xd7, 0, 0, 0, 64), 'r0 = bswap64 r0'],
    [I(0xd7, 9, 0, 0, 16), 'r9 = bswap16 r9'],
  ]);
});

test('jumps: distances signed, immediates in hex of their 32 bits', () => {
  expectAll([
    [I(0x05, 0, 0, 2), 'goto +2'],
    [I(0x05, 0, 0, -3), 'goto -3'],
    [I(0x05, 0, 0, 0), 'goto +0'],
    [I(0x06, 0, 0, 0, 2), 'gotol +2'],
    [I(0x06, 0, 0, 0, -100000), 'gotol -100000'],
    [I(0x25, 1, 0, 2, 5), 'if r1 > 0x5 goto +2'],
    [I(0xcd, 1, 2, -1), 'if r1 s< r2 goto -1'],
    [I(0x45, 1, 0, 1, 8), 'if r1 & 0x8 goto +1'],
    [I(0x16, 1, 0, 2, 5), 'if w1 == 0x5 goto +2'],
    [I(0x15, 1, 0, 0, -1), 'if r1 == 0xffffffff goto +0'],
    [I(0x75, 1, 0, 1, -2147483648), 'if r1 s>= 0x80000000 goto +1'],
    [I(0x1d, 1, 2, 1), 'if r1 == r2 goto +1'],
    [I(0x5d, 1, 2, 1), 'if r1 != r2 goto +1'],
    [I(0x2d, 1, 2, 1), 'if r1 > r2 goto +1'],
    [I(0x3d, 1, 2, 1), 'if r1 >= r2 goto +1'],
    [I(0xad, 1, 2, 1), 'if r1 < r2 goto +1'],
    [I(0xbd, 1, 2, 1), 'if r1 <= r2 goto +1'],
    [I(0x6d, 1, 2, 1), 'if r1 s> r2 goto +1'],
    [I(0x7d, 1, 2, 1), 'if r1 s>= r2 goto +1'],
    [I(0xdd, 1, 2, 1), 'if r1 s<= r2 goto +1'],
    [I(0x4d, 1, 2, 1), 'if r1 & r2 goto +1'],
    [I(0xde, 1, 2, -7), 'if w1 s<= w2 goto -7'],
    [I(0xa6, 10, 0, 3, 0x10), 'if w10 < 0x10 goto +3'],
    [I(0xe5, 0, 0, 3), 'may_goto +3'],
  ]);
});

test('calls and exit', () => {
  expectAll([
    [I(0x85, 0, 0, 0, 1), 'call 1'],
    [I(0x85, 0, 1, 0, 3), 'call pc+3'],
    [I(0x85, 0, 1, 0, -5), 'call pc-5'],
    [I(0x85, 0, 2, 0, 1234), 'call kfunc 1234'],
    [I(0x85, 0, 2, 2, 1234), 'call kfunc 1234, 2'],
    [I(0x8d, 2), 'callx r2'],
    [I(0x95), 'exit'],
  ]);
});

test('loads and stores', () => {
  expectAll([
    [I(0x61, 0, 1, 4), 'r0 = *(u32 *)(r1 + 4)'],
    [I(0x69, 0, 1, 0), 'r0 = *(u16 *)(r1 + 0)'],
    [I(0x71, 2, 10, -1), 'r2 = *(u8 *)(r10 - 1)'],
    [I(0x79, 0, 1, 32767), 'r0 = *(u64 *)(r1 + 32767)'],
    [I(0x89, 0, 1, -2), 'r0 = *(s16 *)(r1 - 2)'],
    [I(0x81, 0, 1, 0), 'r0 = *(s32 *)(r1 + 0)'],
    [I(0x91, 0, 1, -32768), 'r0 = *(s8 *)(r1 - 32768)'],
    [I(0x7b, 10, 1, -8), '*(u64 *)(r10 - 8) = r1'],
    [I(0x63, 10, 1, -4), '*(u32 *)(r10 - 4) = r1'],
    [I(0x72, 10, 0, -1, 255), '*(u8 *)(r10 - 1) = 255'],
    [I(0x6a, 1, 0, 2, -1), '*(u16 *)(r1 + 2) = -1'],
    [I(0x7a, 10, 0, -8, 0), '*(u64 *)(r10 - 8) = 0'],
  ]);
});

test('legacy packet loads print as the kernel log does', () => {
  expectAll([
    [I(0x30, 0, 0, 0, 23), 'r0 = *(u8 *)skb[23]'],
    [I(0x20, 0, 0, 0, 12), 'r0 = *(u32 *)skb[12]'],
    [I(0x48, 0, 3, 0, 4), 'r0 = *(u16 *)skb[r3 + 4]'],
    [I(0x50, 0, 3, 0, -4), 'r0 = *(u8 *)skb[r3 - 4]'],
  ]);
});

test('atomics', () => {
  expectAll([
    [I(0xdb, 1, 2, 0, 0x00), 'lock *(u64 *)(r1 + 0) += r2'],
    [I(0xc3, 1, 2, 0, 0x00), 'lock *(u32 *)(r1 + 0) += w2'],
    [I(0xdb, 1, 2, 8, 0x40), 'lock *(u64 *)(r1 + 8) |= r2'],
    [I(0xc3, 10, 2, -4, 0x50), 'lock *(u32 *)(r10 - 4) &= w2'],
    [I(0xdb, 1, 2, 0, 0xa0), 'lock *(u64 *)(r1 + 0) ^= r2'],
    [I(0xdb, 1, 2, 0, 0x01), 'r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)'],
    [I(0xc3, 1, 2, 0, 0x41), 'w2 = atomic_fetch_or((u32 *)(r1 + 0), w2)'],
    [I(0xdb, 1, 2, 0, 0x51), 'r2 = atomic_fetch_and((u64 *)(r1 + 0), r2)'],
    [I(0xc3, 1, 2, 0, 0xa1), 'w2 = atomic_fetch_xor((u32 *)(r1 + 0), w2)'],
    [I(0xdb, 1, 2, 0, 0xe1), 'r2 = xchg_64(r1 + 0, r2)'],
    [I(0xc3, 1, 2, 0, 0xe1), 'w2 = xchg32_32(r1 + 0, w2)'],
    [I(0xdb, 1, 2, 0, 0xf1), 'r0 = cmpxchg_64(r1 + 0, r0, r2)'],
    [I(0xc3, 1, 2, 0, 0xf1), 'w0 = cmpxchg32_32(r1 + 0, w0, w2)'],
    [I(0xdb, 0, 1, 0, 0x100), 'r0 = load_acquire((u64 *)(r1 + 0))'],
    [I(0xc3, 0, 1, 0, 0x100), 'w0 = load_acquire((u32 *)(r1 + 0))'],
    [I(0xcb, 0, 1, 0, 0x100), 'w0 = load_acquire((u16 *)(r1 + 0))'],
    [I(0xd3, 0, 1, -1, 0x100), 'w0 = load_acquire((u8 *)(r1 - 1))'],
    [I(0xdb, 1, 2, 0, 0x110), 'store_release((u64 *)(r1 + 0), r2)'],
    [I(0xd3, 1, 2, 0, 0x110), 'store_release((u8 *)(r1 + 0), w2)'],
  ]);
});

test('lddw: the constant and every pseudo source', () => {
  const cases: [Insn[], string][] = [
    [lddw(1, 0x1122334455667788n), 'r1 = 0x1122334455667788 ll'],
    [lddw(0, 0n), 'r0 = 0x0 ll'],
    [lddw(2, -1n), 'r2 = 0xffffffffffffffff ll'],
    [[I(0x18, 1, 1, 0, 5), I(0)], 'r1 = map[fd:5] ll'],
    [[I(0x18, 1, 2, 0, 5), I(0, 0, 0, 0, 16)], 'r1 = map[fd:5][0]+16 ll'],
    [[I(0x18, 1, 3, 0, 1234), I(0)], 'r1 = btf_id[1234] ll'],
    [[I(0x18, 1, 3, 0, 1234), I(0, 0, 0, 0, 7)], 'r1 = btf_id[1234, fd:7] ll'],
    [[I(0x18, 1, 4, 0, 3), I(0)], 'r1 = func[pc+3] ll'],
    [[I(0x18, 1, 4, 0, -2), I(0)], 'r1 = func[pc-2] ll'],
    [[I(0x18, 1, 5, 0, 2), I(0)], 'r1 = map[idx:2] ll'],
    [[I(0x18, 1, 6, 0, 2), I(0, 0, 0, 0, 16)], 'r1 = map[idx:2][0]+16 ll'],
    [[I(0x18, 1, 6, 0, 2), I(0, 0, 0, 0, -4)], 'r1 = map[idx:2][0]-4 ll'],
  ];
  for (const [slots, want] of cases) {
    assert.equal(formatInsn(slots, 0), want);
    assert.equal(disassemble([...slots, I(0x95)]), `${want}\nexit\n`);
    assert.deepEqual(assemble(want), slots, want);
  }
});

test('slots that no form describes print as .insn with the raw word', () => {
  const cases: [Insn, string][] = [
    [I(0xff), '.insn 0x00000000000000ff'],
    [I(0x07, 0, 0, 1, 0), '.insn 0x0000000000010007'], // add with off=1
    [I(0xb7, 0, 1, 0, 5), '.insn 0x00000005000010b7'], // mov imm with src=1
    [I(0xbf, 11, 0), '.insn 0x0000000000000bbf'], // r11
    [I(0xd4, 0, 0, 0, 48), '.insn 0x00000030000000d4'], // le48
    [I(0xdf, 0, 0, 0, 16), '.insn 0x00000010000000df'], // ALU64 END with X
    [I(0x87, 0, 0, 0, 1), '.insn 0x0000000100000087'], // neg with imm
    [I(0x86), '.insn 0x0000000000000086'], // JMP32 call
    [I(0x95, 1), '.insn 0x0000000000000195'], // exit with dst
    [I(0x05, 0, 0, 1, 1), '.insn 0x0000000100010005'], // ja with imm
    [I(0xc3, 1, 2, 0, 0x02), '.insn 0x00000002000021c3'], // bad atomic op
    [I(0xd3, 1, 2, 0, 0x00), '.insn 0x00000000000021d3'], // 8-bit atomic add
    [I(0x99, 0, 1), '.insn 0x0000000000001099'], // sign-extending 64-bit load
    [I(0x85, 0, 3, 0, 1), '.insn 0x0000000100003085'], // call src=3
    [I(0x38, 0, 0, 0, 1), '.insn 0x0000000100000038'], // LD_ABS DW
  ];
  for (const [ins, want] of cases) {
    assert.equal(one(ins), want);
    assert.deepEqual(assemble(want), [ins], want);
  }
});

test('a malformed lddw prints both slots on their own', () => {
  assert.equal(disassemble([I(0x18, 0, 0, 0, 1)]), '.insn 0x0000000100000018\n');
  assert.equal(disassemble([I(0x18), I(0x95)]), '.insn 0x0000000000000018\nexit\n');
  assert.equal(disassemble([I(0x18, 0, 7), I(0)]), '.insn 0x0000000000007018\n.insn 0x0000000000000000\n');
  assert.equal(disassemble([I(0x18, 0, 1, 0, 5), I(0, 0, 0, 0, 1)]),
    '.insn 0x0000000500001018\n.insn 0x0000000100000000\n'); // next_imm on a map fd
  assert.equal(disassemble([I(0x18, 0, 0, 1), I(0)]), '.insn 0x0000000000010018\n.insn 0x0000000000000000\n');
});

test('well-formed instructions that the verifier rejects keep their readable form', () => {
  assert.equal(one(I(0xb7, 10, 0, 0, 1)), 'r10 = 1');
  assert.equal(one(I(0x05, 0, 0, 100)), 'goto +100');
  assert.equal(one(I(0xdb, 1, 10, 0, 0x01)), 'r10 = atomic_fetch_add((u64 *)(r1 + 0), r10)');
});

test('disassemble: one line per instruction, optional slot numbers', () => {
  const p = [...lddw(1, 1n), I(0xb7, 0, 0, 0, 1), I(0x95)];
  assert.equal(disassemble(p), 'r1 = 0x1 ll\nr0 = 1\nexit\n');
  assert.equal(disassemble(p, { indices: true }), '   0: r1 = 0x1 ll\n   2: r0 = 1\n   3: exit\n');
  assert.equal(disassemble([]), '');
  assert.equal(formatInsn(p, 2), 'r0 = 1');
  assert.deepEqual(assemble(disassemble(p, { indices: true })), p);
});

// ───────────────────────────── properties ─────────────────────────────

/** One random instruction (one or two slots); `fix` names the field that gets a jump distance. */
interface Gen {
  slots: Insn[];
  fix?: 'off' | 'imm';
}

const reg = fc.integer({ min: 0, max: 10 });
const wreg = fc.integer({ min: 0, max: 9 }); // a register the instruction may write
const s16 = fc.integer({ min: -32768, max: 32767 });
const s32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const anySize = fc.constantFrom(o.BPF_W, o.BPF_H, o.BPF_B, o.BPF_DW);
const g = (slots: Insn[], fix?: 'off' | 'imm'): Gen => (fix ? { slots, fix } : { slots });

/** [operation, off] of every two-operand ALU operation, from the UAPI (not from syntax.ts). */
const ALU2: [number, number][] = [
  [o.BPF_ADD, 0], [o.BPF_SUB, 0], [o.BPF_MUL, 0], [o.BPF_DIV, 0], [o.BPF_DIV, 1], [o.BPF_OR, 0],
  [o.BPF_AND, 0], [o.BPF_LSH, 0], [o.BPF_RSH, 0], [o.BPF_MOD, 0], [o.BPF_MOD, 1], [o.BPF_XOR, 0],
  [o.BPF_MOV, 0], [o.BPF_ARSH, 0],
];
const CONDS = [o.BPF_JEQ, o.BPF_JGT, o.BPF_JGE, o.BPF_JSET, o.BPF_JNE, o.BPF_JSGT, o.BPF_JSGE,
  o.BPF_JLT, o.BPF_JLE, o.BPF_JSLT, o.BPF_JSLE];
const ATOMIC_IMMS = [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1];

const aluCls = fc.constantFrom(o.BPF_ALU, o.BPF_ALU64);
const alu = fc.record({ cls: aluCls, op: fc.constantFrom(...ALU2), x: fc.boolean(), dst: wreg, src: reg, imm: s32 })
  .map(({ cls, op: [op, off], x, dst, src, imm }) =>
    g([x ? I(cls | op | o.BPF_X, dst, src, off) : I(cls | op, dst, 0, off, imm)]));
const neg = fc.tuple(aluCls, wreg).map(([cls, dst]) => g([I(cls | o.BPF_NEG, dst)]));
const swap = fc.tuple(fc.constantFrom(0xd4, 0xdc, 0xd7), wreg, fc.constantFrom(16, 32, 64))
  .map(([code, dst, imm]) => g([I(code, dst, 0, 0, imm)]));
const movsx = fc.oneof(
  fc.tuple(wreg, reg, fc.constantFrom(8, 16, 32)).map(([d, s, off]) => g([I(0xbf, d, s, off)])),
  fc.tuple(wreg, reg, fc.constantFrom(8, 16)).map(([d, s, off]) => g([I(0xbc, d, s, off)])),
);
const asCast = fc.tuple(wreg, reg, fc.constantFrom(1, 0x10000)).map(([d, s, imm]) => g([I(0xbf, d, s, 1, imm)]));
const cond = fc.record({ cls: fc.constantFrom(o.BPF_JMP, o.BPF_JMP32), op: fc.constantFrom(...CONDS), x: fc.boolean(), dst: reg, src: reg, imm: s32 })
  .map(({ cls, op, x, dst, src, imm }) => g([x ? I(cls | op | o.BPF_X, dst, src) : I(cls | op, dst, 0, 0, imm)], 'off'));
const gotos = fc.constantFrom(g([I(0x05)], 'off'), g([I(0x06)], 'imm'), g([I(0xe5)], 'off'));
const calls = fc.oneof(
  fc.nat().map((id) => g([I(0x85, 0, 0, 0, id)])),
  fc.constant(g([I(0x85, 0, 1)], 'imm')),
  fc.tuple(s32, s16).map(([id, off]) => g([I(0x85, 0, 2, off, id)])),
  reg.map((r) => g([I(0x8d, r)])),
  fc.constant(g([I(0x95)])),
);
const ldx = fc.tuple(fc.boolean(), anySize, wreg, reg, s16).map(([sx, size, d, s, off]) =>
  g([I(o.BPF_LDX | (sx && size !== o.BPF_DW ? o.BPF_MEMSX : o.BPF_MEM) | size, d, s, off)]));
const st = fc.tuple(anySize, reg, s16, s32).map(([size, d, off, imm]) => g([I(o.BPF_ST | o.BPF_MEM | size, d, 0, off, imm)]));
const stx = fc.tuple(anySize, reg, reg, s16).map(([size, d, s, off]) => g([I(o.BPF_STX | o.BPF_MEM | size, d, s, off)]));
const atomic = fc.tuple(fc.constantFrom(o.BPF_W, o.BPF_DW), fc.constantFrom(...ATOMIC_IMMS), reg, reg, wreg, s16)
  .map(([size, imm, d, s, sw, off]) =>
    g([I(o.BPF_STX | o.BPF_ATOMIC | size, d, imm & o.BPF_FETCH && imm !== 0xf1 ? sw : s, off, imm)]));
const acqRel = fc.tuple(anySize, fc.boolean(), wreg, reg, s16).map(([size, acq, a, b, off]) =>
  g([I(o.BPF_STX | o.BPF_ATOMIC | size, a, b, off, acq ? o.BPF_LOAD_ACQ : o.BPF_STORE_REL)]));
const ldimm = fc.tuple(fc.integer({ min: 0, max: 6 }), wreg, s32, s32).map(([src, d, imm, next]) => {
  const hasNext = src === 0 || src === 2 || src === 3 || src === 6;
  return g([I(0x18, d, src, 0, src === 4 ? 0 : imm), I(0, 0, 0, 0, hasNext ? next : 0)], src === 4 ? 'imm' : undefined);
});
const legacy = fc.tuple(fc.boolean(), fc.constantFrom(o.BPF_W, o.BPF_H, o.BPF_B), reg, s32).map(([ind, size, s, imm]) =>
  g([I(o.BPF_LD | (ind ? o.BPF_IND : o.BPF_ABS) | size, 0, ind ? s : 0, 0, imm)]));

const anyInsn = fc.oneof(alu, neg, swap, movsx, asCast, cond, gotos, calls, ldx, st, stx, atomic, acqRel, ldimm, legacy);

/** Lays the instructions out and points every jump at the start of some instruction. */
function layout(gens: Gen[], picks: number[]): Insn[] {
  const starts: number[] = [];
  let n = 0;
  for (const x of gens) starts.push(n), (n += x.slots.length);
  return gens.flatMap((x, k) => {
    const slots = x.slots.map((s) => ({ ...s }));
    if (x.fix) slots[0]![x.fix] = starts[picks[k]! % starts.length]! - (starts[k]! + 1);
    return slots;
  });
}

const validProgram = fc.tuple(fc.array(anyInsn, { minLength: 1, maxLength: 30 }), fc.array(fc.nat(), { minLength: 30, maxLength: 30 }))
  .map(([gens, picks]) => layout(gens, picks));

test('property: assemble(disassemble(p)) equals p for random valid programs', () => {
  fc.assert(
    fc.property(validProgram, (p) => {
      validate(p);
      const text = disassemble(p);
      assert.ok(!text.includes('.insn'), text);
      assert.deepEqual(assemble(text), p);
    }),
    { numRuns: 2000 },
  );
});

test('property: random byte strings survive decode → disassemble → assemble → encode', () => {
  const bytes = fc.integer({ min: 1, max: 30 }).chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n }));
  fc.assert(
    fc.property(bytes, (b) => {
      assert.deepEqual(encode(assemble(disassemble(decode(b)))), b);
    }),
    { numRuns: 2000 },
  );
});

/** Slots near the valid ones: real opcodes with small registers and the special values of each field. */
const nearSlot = fc.record({
  code: fc.oneof(fc.constantFrom(0x18, 0x00, 0x85, 0x8d, 0x95, 0xe5, 0x05, 0x06, 0xbf, 0xbc, 0xd4, 0xdc, 0xd7, 0xdb, 0xc3, 0xd3, 0xcb, 0x87, 0x84, 0x30, 0x48, 0x99, 0x81), fc.integer({ min: 0, max: 255 })),
  dst: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 15 })),
  src: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 15 })),
  off: fc.oneof(fc.constantFrom(0, 1, 8, 16, 32, -1), s16),
  imm: fc.oneof(fc.constantFrom(0, 1, 16, 32, 64, 0x100, 0x110, 0x10000, -1, ...ATOMIC_IMMS), s32),
}).map(({ code, dst, src, off, imm }) => I(code, dst, src, off, imm));

test('property: near-valid slots and mutated valid programs round-trip byte for byte', () => {
  const mutated = fc.tuple(validProgram, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
    .map(([p, edits]) => {
      const b = encode(p);
      for (const [at, v] of edits) b[at % b.length] = v;
      return decode(b);
    });
  const programs = fc.oneof(mutated, fc.array(nearSlot, { minLength: 1, maxLength: 30 }));
  fc.assert(
    fc.property(programs, (p) => {
      assert.deepEqual(encode(assemble(disassemble(p))), encode(p));
    }),
    { numRuns: 2000 },
  );
});
