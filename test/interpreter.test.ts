import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { insn, lddw, Insn } from '../src/isa/instruction.js';
import * as o from '../src/isa/opcodes.js';
import { execute } from '../src/vm/execute.js';
import { BpfError } from '../src/errno.js';
import { HelperRegistry } from '../src/helpers/registry.js';

const M64 = (1n << 64n) - 1n;
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const exit = insn(o.BPF_JMP | o.BPF_EXIT);

/** Reference semantics of ALU ops in BigInt, straight from RFC 9669 / ISA-NOTES §2.4–2.8. */
function refAlu(op: number, alu64: boolean, signedOff: boolean, a: bigint, b: bigint): bigint {
  const w = alu64 ? 64 : 32;
  const U = (v: bigint) => BigInt.asUintN(w, v);
  const S = (v: bigint) => BigInt.asIntN(w, v);
  const A = U(a);
  const B = U(b);
  const r = ((): bigint => {
    switch (op) {
      case o.BPF_ADD: return A + B;
      case o.BPF_SUB: return A - B;
      case o.BPF_MUL: return A * B;
      case o.BPF_DIV:
        if (B === 0n) return 0n;
        return signedOff ? S(A) / S(B) : A / B;
      case o.BPF_MOD:
        if (B === 0n) return A;
        return signedOff ? S(A) % S(B) : A % B;
      case o.BPF_OR: return A | B;
      case o.BPF_AND: return A & B;
      case o.BPF_XOR: return A ^ B;
      case o.BPF_LSH: return A << (B & BigInt(w - 1));
      case o.BPF_RSH: return A >> (B & BigInt(w - 1));
      case o.BPF_ARSH: return S(A) >> (B & BigInt(w - 1));
      case o.BPF_MOV: return B;
      case o.BPF_NEG: return -A;
      default: throw new Error('op');
    }
  })();
  return U(r);
}

const OPS = [o.BPF_ADD, o.BPF_SUB, o.BPF_MUL, o.BPF_DIV, o.BPF_MOD, o.BPF_OR, o.BPF_AND, o.BPF_XOR,
  o.BPF_LSH, o.BPF_RSH, o.BPF_ARSH, o.BPF_MOV, o.BPF_NEG];

const interesting = fc.oneof(
  fc.bigInt({ min: 0n, max: M64 }),
  fc.constantFrom(0n, 1n, M64, 1n << 63n, (1n << 63n) - 1n, 0x80000000n, 0x7fffffffn, 0xffffffffn, 0xffffffff80000000n, 2n, 3n, 63n, 64n),
  fc.bigInt({ min: 0n, max: 0xffffn }),
);

function run(prog: Insn[], mem?: Uint8Array): bigint {
  return execute(prog, mem ? { mem } : {}).r0;
}

test('ALU and ALU64 register ops match a BigInt model of RFC 9669', () => {
  fc.assert(
    fc.property(fc.constantFrom(...OPS), fc.boolean(), fc.boolean(), interesting, interesting, (op, alu64, sgn, a, b) => {
      const signedOff = sgn && (op === o.BPF_DIV || op === o.BPF_MOD);
      const cls = alu64 ? o.BPF_ALU64 : o.BPF_ALU;
      const x = op === o.BPF_NEG ? o.BPF_K : o.BPF_X;
      const prog = [...lddw(0, a), ...lddw(1, b), insn(cls | op | x, 0, op === o.BPF_NEG ? 0 : 1, signedOff ? 1 : 0), exit];
      assert.equal(run(prog), refAlu(op, alu64, signedOff, a, b), `op ${op.toString(16)} ${alu64 ? 64 : 32} a=${a} b=${b}`);
    }),
    { numRuns: 4000 },
  );
});

test('ALU immediates are sign-extended for ALU64 and taken as 32 bits for ALU', () => {
  fc.assert(
    fc.property(fc.constantFrom(...OPS.filter((x) => x !== o.BPF_NEG)), fc.boolean(), fc.boolean(), interesting, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (op, alu64, sgn, a, imm) => {
      const signedOff = sgn && (op === o.BPF_DIV || op === o.BPF_MOD);
      const cls = alu64 ? o.BPF_ALU64 : o.BPF_ALU;
      const prog = [...lddw(0, a), insn(cls | op | o.BPF_K, 0, 0, signedOff ? 1 : 0, imm), exit];
      assert.equal(run(prog), refAlu(op, alu64, signedOff, a, u64(BigInt(imm))));
    }),
    { numRuns: 3000 },
  );
});

function refJump(op: number, jmp32: boolean, a: bigint, b: bigint): boolean {
  const U = (v: bigint) => (jmp32 ? u32(v) : u64(v));
  const S = (v: bigint) => (jmp32 ? s32(v) : s64(v));
  switch (op) {
    case o.BPF_JEQ: return U(a) === U(b);
    case o.BPF_JNE: return U(a) !== U(b);
    case o.BPF_JGT: return U(a) > U(b);
    case o.BPF_JGE: return U(a) >= U(b);
    case o.BPF_JLT: return U(a) < U(b);
    case o.BPF_JLE: return U(a) <= U(b);
    case o.BPF_JSGT: return S(a) > S(b);
    case o.BPF_JSGE: return S(a) >= S(b);
    case o.BPF_JSLT: return S(a) < S(b);
    case o.BPF_JSLE: return S(a) <= S(b);
    case o.BPF_JSET: return (U(a) & U(b)) !== 0n;
    default: throw new Error('op');
  }
}

const JOPS = [o.BPF_JEQ, o.BPF_JNE, o.BPF_JGT, o.BPF_JGE, o.BPF_JLT, o.BPF_JLE, o.BPF_JSGT, o.BPF_JSGE, o.BPF_JSLT, o.BPF_JSLE, o.BPF_JSET];

test('conditional jumps (JMP and JMP32, register and immediate) match a BigInt model', () => {
  fc.assert(
    fc.property(fc.constantFrom(...JOPS), fc.boolean(), fc.boolean(), interesting, interesting, (op, jmp32, useImm, a, b0) => {
      const imm = Number(BigInt.asIntN(32, b0));
      const b = useImm ? u64(BigInt(imm)) : b0;
      const cls = jmp32 ? o.BPF_JMP32 : o.BPF_JMP;
      const cmp = useImm ? insn(cls | op | o.BPF_K, 1, 0, 2, imm) : insn(cls | op | o.BPF_X, 1, 2, 2);
      const prog = [...lddw(1, a), ...lddw(2, b), cmp, insn(o.BPF_ALU64 | o.BPF_MOV, 0, 0, 0, 0), exit, insn(o.BPF_ALU64 | o.BPF_MOV, 0, 0, 0, 1), exit];
      assert.equal(run(prog), refJump(op, jmp32, a, b) ? 1n : 0n);
    }),
    { numRuns: 3000 },
  );
});

test('byte swaps, sign extension and loads through memory', () => {
  const v = 0x8877665544332211n;
  const swap = (cls: number, dir: number, w: number) => run([...lddw(0, v), insn(cls | o.BPF_END | dir, 0, 0, 0, w), exit]);
  assert.equal(swap(o.BPF_ALU, o.BPF_TO_LE, 16), 0x2211n);
  assert.equal(swap(o.BPF_ALU, o.BPF_TO_LE, 32), 0x44332211n);
  assert.equal(swap(o.BPF_ALU, o.BPF_TO_LE, 64), v);
  assert.equal(swap(o.BPF_ALU, o.BPF_TO_BE, 16), 0x1122n);
  assert.equal(swap(o.BPF_ALU, o.BPF_TO_BE, 32), 0x11223344n);
  assert.equal(swap(o.BPF_ALU, o.BPF_TO_BE, 64), 0x1122334455667788n);
  assert.equal(swap(o.BPF_ALU64, 0, 16), 0x1122n);
  const sx = (cls: number, off: number) => run([...lddw(1, v), insn(cls | o.BPF_MOV | o.BPF_X, 0, 1, off), exit]);
  assert.equal(sx(o.BPF_ALU64, 8), u64(0x11n));
  assert.equal(sx(o.BPF_ALU64, 32), u64(BigInt.asIntN(32, 0x44332211n)));
  assert.equal(sx(o.BPF_ALU64, 16), 0x2211n);
  const neg = 0xf0e0d0c0b0a09080n;
  assert.equal(run([...lddw(1, neg), insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, 0, 1, 8), exit]), u64(-0x80n));
  assert.equal(run([...lddw(1, neg), insn(o.BPF_ALU | o.BPF_MOV | o.BPF_X, 0, 1, 16), exit]), u32(BigInt.asIntN(16, 0x9080n)));
  const mem = new Uint8Array([0x80, 0x90, 0xa0, 0xb0, 1, 2, 3, 4]);
  assert.equal(run([insn(o.BPF_LDX | o.BPF_MEMSX | o.BPF_B, 0, 1, 0), exit], mem), u64(-0x80n));
  assert.equal(run([insn(o.BPF_LDX | o.BPF_MEMSX | o.BPF_H, 0, 1, 0), exit], mem), u64(BigInt.asIntN(16, 0x9080n)));
  assert.equal(run([insn(o.BPF_LDX | o.BPF_MEMSX | o.BPF_W, 0, 1, 0), exit], mem), u64(BigInt.asIntN(32, 0xb0a09080n)));
  assert.equal(run([insn(o.BPF_LDX | o.BPF_MEM | o.BPF_DW, 0, 1, 0), exit], mem), 0x04030201b0a09080n);
});

test('atomics on the stack: fetch forms return the old value, cmpxchg compares with r0', () => {
  const stx = (size: number, imm: number) => insn(o.BPF_STX | o.BPF_ATOMIC | size, 10, 1, -8, imm);
  const base = (init: bigint, src: bigint) => [...lddw(2, init), insn(o.BPF_STX | o.BPF_MEM | o.BPF_DW, 10, 2, -8), ...lddw(1, src)];
  const load = insn(o.BPF_LDX | o.BPF_MEM | o.BPF_DW, 0, 10, -8);
  const a = 0x00000001_ffffffffn;
  const b = 0x00000002_00000001n;
  assert.equal(run([...base(a, b), stx(o.BPF_DW, o.BPF_ADD), load, exit]), a + b);
  assert.equal(run([...base(a, b), stx(o.BPF_W, o.BPF_ADD), load, exit]), 0x00000001_00000000n);
  assert.equal(run([...base(a, b), stx(o.BPF_DW, o.BPF_XOR | o.BPF_FETCH), insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, 0, 1), exit]), a);
  assert.equal(run([...base(a, b), stx(o.BPF_W, o.BPF_XCHG), insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, 0, 1), exit]), 0xffffffffn);
  const cmpx = (r0: bigint) => run([...base(a, b), ...lddw(0, r0), stx(o.BPF_DW, o.BPF_CMPXCHG), load, exit]);
  assert.equal(cmpx(a), b);
  assert.equal(cmpx(a + 1n), a);
});

test('local calls get their own stack frame and preserve r6–r9', () => {
  const prog = [
    insn(o.BPF_ALU64 | o.BPF_MOV, 6, 0, 0, 7),
    insn(o.BPF_ST | o.BPF_MEM | o.BPF_DW, 10, 0, -8, 100),
    insn(o.BPF_JMP | o.BPF_CALL, 0, 1, 0, 4),
    insn(o.BPF_LDX | o.BPF_MEM | o.BPF_DW, 1, 10, -8),
    insn(o.BPF_ALU64 | o.BPF_ADD | o.BPF_X, 0, 1),
    insn(o.BPF_ALU64 | o.BPF_ADD | o.BPF_X, 0, 6),
    exit,
    insn(o.BPF_ST | o.BPF_MEM | o.BPF_DW, 10, 0, -8, 5),
    insn(o.BPF_ALU64 | o.BPF_MOV, 6, 0, 0, 1000),
    insn(o.BPF_LDX | o.BPF_MEM | o.BPF_DW, 0, 10, -8),
    exit,
  ];
  assert.equal(run(prog), 5n + 100n + 7n);
});

test('recursion deeper than 8 frames is stopped with E2BIG', () => {
  const prog = [insn(o.BPF_JMP | o.BPF_CALL, 0, 1, 0, -1), exit];
  assert.throws(() => run(prog), (e: unknown) => e instanceof BpfError && e.errno === 'E2BIG' && /too deep/.test(e.message));
});

test('a runaway program is stopped by the instruction budget', () => {
  const prog = [insn(o.BPF_JMP | o.BPF_JA, 0, 0, -1), exit];
  assert.throws(() => execute(prog, { budget: 1000 }), (e: unknown) => e instanceof BpfError && e.errno === 'E2BIG' && /budget of 1000/.test(e.message));
});

test('out-of-bounds loads and stores fault with the pc and the address', () => {
  const mem = new Uint8Array(8);
  assert.throws(() => run([insn(o.BPF_LDX | o.BPF_MEM | o.BPF_W, 0, 1, 6), exit], mem), (e: unknown) => e instanceof BpfError && e.errno === 'EFAULT' && /pc 0: invalid read of 4 bytes at 0x/.test(e.message));
  assert.throws(() => run([insn(o.BPF_ST | o.BPF_MEM | o.BPF_B, 10, 0, 0, 1), exit]), /pc 0: invalid write of 1 byte/);
  assert.throws(() => run([...lddw(1, 0xffffffff00010000n), insn(o.BPF_LDX | o.BPF_MEM | o.BPF_B, 0, 1, 0), exit]), /pc 2: invalid read/);
  assert.throws(() => run([insn(o.BPF_LDX | o.BPF_MEM | o.BPF_B, 0, 0, 0), exit]), /pc 0: invalid read of 1 byte at 0x0/);
  assert.equal(run([insn(o.BPF_ST | o.BPF_MEM | o.BPF_DW, 10, 0, -512, -1), insn(o.BPF_LDX | o.BPF_MEM | o.BPF_DW, 0, 10, -512), exit]), M64);
});

test('helpers are called by id with r1..r5 and r6–r9 survive the call', () => {
  const helpers = new HelperRegistry([{ id: 7, name: 'sum', fn: (_env, a, b, c, d, e) => a + b + c + d + e }]);
  const prog = [
    ...[1, 2, 3, 4, 5].map((r) => insn(o.BPF_ALU64 | o.BPF_MOV, r, 0, 0, r * 10)),
    insn(o.BPF_ALU64 | o.BPF_MOV, 6, 0, 0, 1),
    insn(o.BPF_JMP | o.BPF_CALL, 0, 0, 0, 7),
    insn(o.BPF_ALU64 | o.BPF_ADD | o.BPF_X, 0, 6),
    exit,
  ];
  assert.equal(execute(prog, { helpers }).r0, 151n);
  assert.throws(() => execute([insn(o.BPF_JMP | o.BPF_CALL, 0, 0, 0, 99), exit]), /unknown#99/);
});

test('may_goto falls through until its budget is spent, then jumps', () => {
  // r0 counts iterations of a loop guarded only by may_goto.
  const prog = [
    insn(o.BPF_JMP | o.BPF_JCOND, 0, 0, 2, 0),
    insn(o.BPF_ALU64 | o.BPF_ADD, 0, 0, 0, 1),
    insn(o.BPF_JMP | o.BPF_JA, 0, 0, -3),
    exit,
  ];
  assert.equal(execute(prog, { budget: 30_000_000 }).r0, 8n * 1024n * 1024n);
});

// The interpreter runs common pairs and triples as one operation (decode-ops.ts
// packOps); these check that every slot of such a group keeps its own meaning.
const X = o.BPF_X;
const A64 = o.BPF_ALU64;
const mov64 = (d: number, s: number) => insn(A64 | o.BPF_MOV | X, d, s);
const add64 = (d: number, s: number) => insn(A64 | o.BPF_ADD | X, d, s);
const ldxb = (d: number, s: number, off = 0) => insn(o.BPF_LDX | o.BPF_MEM | o.BPF_B, d, s, off);

test('a jump into the middle of an indexed-load group runs only the slots it lands on', () => {
  const mem = Uint8Array.from({ length: 16 }, (_, i) => 10 + i);
  // r2 = 3 and r4 = r1 + 5 before the group; `entry` picks the slot of the group to jump to.
  const prog = (entry: number) => [
    insn(A64 | o.BPF_MOV, 2, 0, 0, 3),
    mov64(4, 1),
    insn(A64 | o.BPF_ADD, 4, 0, 0, 5),
    insn(o.BPF_JMP | o.BPF_JA, 0, 0, entry),
    mov64(4, 1), // group: r4 = r1; r4 += r2; r4 = *(u8 *)(r4 + 1)
    add64(4, 2),
    ldxb(4, 4, 1),
    mov64(0, 4),
    exit,
  ];
  assert.equal(run(prog(0), mem), 10n + 3n + 1n);
  assert.equal(run(prog(1), mem), 10n + 5n + 3n + 1n);
  assert.equal(run(prog(2), mem), 10n + 5n + 1n);
});

test('a fault inside an indexed-load group names the load, not the first slot of the group', () => {
  const prog = [insn(A64 | o.BPF_MOV, 2, 0, 0, 100), mov64(4, 1), add64(4, 2), ldxb(4, 4), exit];
  assert.throws(() => run(prog, new Uint8Array(8)), /^BpfError: pc 3: invalid read of 1 byte/);
});

test('counter add and jump: 64- and 32-bit loops, and a jump straight to the compare', () => {
  const loop = (cls: number, jcls: number, n: number) => [
    insn(A64 | o.BPF_MOV, 0, 0, 0, 0),
    insn(cls | o.BPF_ADD, 0, 0, 0, 1), // loop: r0 += 1; if r0 != n goto loop
    insn(jcls | o.BPF_JNE, 0, 0, -2, n),
    exit,
  ];
  assert.equal(run(loop(A64, o.BPF_JMP, 1000)), 1000n);
  assert.equal(run(loop(o.BPF_ALU, o.BPF_JMP32, 1000)), 1000n);
  // A 32-bit counter that wraps: compared in 32 bits it meets 0 again after 2^32 steps of 2^31.
  const wrap = [...lddw(0, 0xffffffff_00000000n), insn(o.BPF_ALU | o.BPF_ADD, 0, 0, 0, -(2 ** 31)), insn(o.BPF_JMP32 | o.BPF_JNE, 0, 0, -2, 0), exit];
  assert.equal(run(wrap), 0n);
  // Entering at the compare skips the add.
  const skip = [insn(A64 | o.BPF_MOV, 0, 0, 0, 5), insn(o.BPF_JMP | o.BPF_JA, 0, 0, 1), insn(A64 | o.BPF_ADD, 0, 0, 0, 1), insn(o.BPF_JMP | o.BPF_JEQ, 0, 0, 1, 5), insn(A64 | o.BPF_MOV, 0, 0, 0, 7), exit];
  assert.equal(run(skip), 5n);
});

test('executed counts every slot of a fused group', () => {
  const prog = [insn(A64 | o.BPF_MOV, 0, 0, 0, 0), insn(A64 | o.BPF_ADD, 0, 0, 0, 1), insn(o.BPF_JMP | o.BPF_JNE, 0, 0, -2, 10), exit];
  assert.equal(execute(prog).executed, 1 + 2 * 10 + 1);
});

test('a bare run refuses lddw of a map or BTF object it cannot resolve, and runs function pointers', () => {
  for (const src of [1, 2, 3, 5, 6]) {
    assert.throws(() => execute([...lddw(1, 7n, src), exit]), (e: unknown) => e instanceof BpfError && e.errno === 'EBADF' && /insn 0: lddw with src=/.test(e.message));
  }
  // src 4: imm is relative like a local call (target = 0 + 1 + 2 = slot 3); the interpreter's code address is the slot index.
  const [f0, f1] = lddw(0, 0n, 4);
  assert.equal(execute([{ ...f0, imm: 2 }, f1, exit, exit]).r0, 3n);
});

test('after a helper call, a region the helper shrank is checked anew (both engines)', async () => {
  const { Interpreter } = await import('../src/vm/interpreter.js');
  const { JitEngine } = await import('../src/vm/jit/engine.js');
  const { AddressSpace } = await import('../src/vm/memory.js');
  for (const Engine of [Interpreter, JitEngine]) {
    const space = new AddressSpace();
    const region = space.map(new Uint8Array(16), 'packet');
    // Like xdp_adjust_tail: the helper shrinks the region the program just read from.
    const helpers = new HelperRegistry([{ id: 1, name: 'shrink', fn: () => ((region.end = region.start + 4), 0n) }]);
    const vm = new Engine(assembleProgram(), { space, helpers });
    assert.throws(() => vm.run([BigInt(region.start)], [region]), /pc 4: invalid read of 1 byte/, Engine.name);
  }
  function assembleProgram() {
    return [
      insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, 6, 1),
      insn(o.BPF_LDX | o.BPF_MEM | o.BPF_B, 0, 6, 8), // fills the last-hit cache with [start, start + 16)
      insn(o.BPF_JMP | o.BPF_CALL, 0, 0, 0, 1),
      insn(o.BPF_ALU64 | o.BPF_MOV, 0, 0, 0, 0),
      insn(o.BPF_LDX | o.BPF_MEM | o.BPF_B, 0, 6, 8), // now past the end
      exit,
    ];
  }
});
