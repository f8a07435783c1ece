/**
 * CO-RE relocation rules on BTF built by hand: candidate search, access
 * strings, field/type/enum relocations, bitfields, ambiguity, poisoning and
 * libbpf's instruction patching rules. Expected values come from the layouts
 * written out here (explicit bit offsets), not from running the code under
 * test; bitfield results are checked by what they mean (extracting a value
 * planted in memory), not by their numbers. The same rules on clang-built
 * objects against the kernel oracle: core-objects.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Btf } from '../src/btf/btf.js';
import { BtfBuilder } from '../src/btf/builder.js';
import { applyCoreRelocations, CoreRelocation, CoreResult } from '../src/btf/core.js';
import { CoreCandidates, findCandidates } from '../src/btf/core-candidates.js';
import { essentialName } from '../src/btf/core-compat.js';
import { CORE_POISON_HELPER_ID, isPoisoned } from '../src/btf/core-patch.js';
import type { CoreReloKind } from '../src/btf/kinds.js';
import { BpfError } from '../src/errno.js';
import { Insn, insn, lddw } from '../src/isa/instruction.js';
import * as o from '../src/isa/opcodes.js';

const MOV_IMM = o.BPF_ALU64 | o.BPF_MOV | o.BPF_K;
const mov = (imm: number): Insn => insn(MOV_IMM, 0, 0, 0, imm);
const ldxw = (off: number): Insn => insn(o.BPF_LDX | o.BPF_MEM | o.BPF_W, 0, 1, off);
const EXIT = insn(o.BPF_JMP | o.BPF_EXIT);

/** Apply one relocation to `insns` (ending in exit). */
function relocate(local: Btf, target: Btf, typeId: number, accessStr: string, kind: CoreReloKind, insns: Insn[]): CoreResult {
  return applyCoreRelocations([...insns, EXIT], [{ insn: 0, typeId, accessStr, kind }], local, target);
}

/** The value one ALU-immediate relocation writes, given the value the compiler wrote. */
function relocatedImm(local: Btf, target: Btf, typeId: number, accessStr: string, kind: CoreReloKind, compiled: number): number | 'poisoned' {
  const r = relocate(local, target, typeId, accessStr, kind, [mov(compiled)]);
  return isPoisoned(r.insns[0]!) ? 'poisoned' : r.insns[0]!.imm;
}

function throwsErrno(fn: () => unknown, errno: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BpfError, `a BpfError, got ${String(e)}`);
    assert.equal(e.errno, errno, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

// ---------------------------------------------------------------- names and candidates

test('essential names drop the last ___flavor suffix, as libbpf defines a flavor', () => {
  assert.equal(essentialName('task_struct___new'), 'task_struct');
  assert.equal(essentialName('a___b___c'), 'a___b'); // only the last separator
  assert.equal(essentialName('ab___c'), 'ab');
  assert.equal(essentialName('plain'), 'plain');
  assert.equal(essentialName('foo____bar'), 'foo____bar'); // 4 underscores: no X___Y with X, Y ≠ '_'
  assert.equal(essentialName('x___'), 'x___'); // nothing after the separator
  assert.equal(essentialName('___x'), '___x'); // nothing before it
  assert.equal(essentialName('__x___y'), '__x');
});

test('candidates: same essential name, compatible kind, in id order; anonymous local types have none', () => {
  const t = new BtfBuilder();
  const int = t.int('int', 4, { signed: true });
  const foo = t.struct('foo', [{ name: 'a', type: int }]);
  t.union('foo', [{ name: 'a', type: int }]); // a union is not a struct candidate
  t.struct('foobar', [{ name: 'a', type: int }]);
  const fooV2 = t.struct('foo___v2', [{ name: 'a', type: int }]);
  t.typedef('foo', int);
  const color64 = t.enum64('color', [{ name: 'RED', value: 1n }]);
  const target = t.build();

  const l = new BtfBuilder();
  const lint = l.int('int', 4, { signed: true });
  const mine = l.struct('foo___mine', [{ name: 'a', type: lint }]);
  const color = l.enum('color', [{ name: 'RED', value: 1 }]);
  const anon = l.struct('', [{ name: 'a', type: lint }]);
  const local = l.build();

  assert.deepEqual(findCandidates(local, mine, target), [foo, fooV2]);
  assert.deepEqual(findCandidates(local, color, target), [color64], 'enum finds enum64');
  throwsErrno(() => findCandidates(local, anon, target), 'EINVAL', /anonymous/);
});

// ---------------------------------------------------------------- field relocations

/** local `struct s { int a; int b; int c; }` and a target where b moved, a was widened, c is gone. */
function movedFields(): { local: Btf; target: Btf; ls: number } {
  const l = new BtfBuilder();
  const lint = l.int('int', 4, { signed: true });
  const ls = l.struct('s', [{ name: 'a', type: lint }, { name: 'b', type: lint }, { name: 'c', type: lint }]);
  const t = new BtfBuilder();
  const tint = t.int('int', 4, { signed: true });
  const tlong = t.int('long', 8, { signed: true });
  // struct s { long pad; int b; long a; }: b at 8, a at 16
  t.struct('s', [{ name: 'pad', type: tlong, bitOffset: 0 }, { name: 'b', type: tint, bitOffset: 64 }, { name: 'a', type: tlong, bitOffset: 128 }], 24);
  return { local: l.build(), target: t.build(), ls };
}

test('FIELD_BYTE_OFFSET follows a moved field into ALU immediates and load offsets', () => {
  const { local, target, ls } = movedFields();
  assert.equal(relocatedImm(local, target, ls, '0:1', 'field_byte_offset', 4), 8);
  const r = relocate(local, target, ls, '0:1', 'field_byte_offset', [ldxw(4)]);
  assert.equal(r.insns[0]!.off, 8);
  assert.equal(r.insns[0]!.code, o.BPF_LDX | o.BPF_MEM | o.BPF_W, 'same width: b is an int in both');
  assert.match(r.relocations[0]!.message, /^insn 0: CO-RE FIELD_BYTE_OFFSET of struct s\.b \(0:1\): 4 -> 8 \(target \[\d+\] struct s\.b\)$/);
  assert.equal(r.poisoned.size, 0);
});

test('a root index (s[2].b) scales by the target struct size; FIELD_BYTE_SIZE gives the target size', () => {
  const { local, target, ls } = movedFields();
  // local: 2 * 12 + 4; target: 2 * 24 + 8
  assert.equal(relocatedImm(local, target, ls, '2:1', 'field_byte_offset', 28), 56);
  assert.equal(relocatedImm(local, target, ls, '0:0', 'field_byte_size', 4), 8, 'a is a long in the target');
});

test('a field missing from the target poisons the instruction, and says why; FIELD_EXISTS gives 0', () => {
  const { local, target, ls } = movedFields();
  const r = relocate(local, target, ls, '0:2', 'field_byte_offset', [ldxw(8)]);
  assert.deepEqual(r.insns[0], { code: o.BPF_JMP | o.BPF_CALL, dst: 0, src: 0, off: 0, imm: 195896080 });
  assert.equal(CORE_POISON_HELPER_ID, 195896080);
  const why = r.poisoned.get(0);
  assert.ok(why, 'the poisoned instruction is listed');
  assert.match(why, /^insn 0: CO-RE FIELD_BYTE_OFFSET of struct s\.c \(0:2\): poisoned: .*struct s \[\d+\] has no member 'c'/);
  assert.equal(r.relocations[0]!.poisoned, true);
  assert.equal(relocatedImm(local, target, ls, '0:2', 'field_exists', 1), 0);
  assert.equal(relocatedImm(local, target, ls, '0:1', 'field_exists', 1), 1);
});

test('a load of a resized field follows the size when unsigned, and is poisoned when signed', () => {
  const l = new BtfBuilder();
  const lu32 = l.int('unsigned int', 4);
  const ls32 = l.int('int', 4, { signed: true });
  const ls = l.struct('r', [{ name: 'u', type: lu32 }, { name: 'i', type: ls32 }]);
  const t = new BtfBuilder();
  const tu64 = t.int('unsigned long', 8);
  const ts64 = t.int('long', 8, { signed: true });
  t.struct('r', [{ name: 'u', type: tu64 }, { name: 'i', type: ts64 }]);
  const local = l.build();
  const target = t.build();

  const u = relocate(local, target, ls, '0:0', 'field_byte_offset', [ldxw(0)]);
  assert.equal(u.insns[0]!.code, o.BPF_LDX | o.BPF_MEM | o.BPF_DW, 'u32 -> u64: the load widens');
  const stx = relocate(local, target, ls, '0:0', 'field_byte_offset', [insn(o.BPF_STX | o.BPF_MEM | o.BPF_W, 1, 2, 0)]);
  assert.equal(stx.insns[0]!.code, o.BPF_STX | o.BPF_MEM | o.BPF_DW, 'stores widen too');
  const i = relocate(local, target, ls, '0:1', 'field_byte_offset', [ldxw(4)]);
  assert.ok(isPoisoned(i.insns[0]!), 'a signed int cannot be read with another width');
  assert.match(i.poisoned.get(0)!, /8 bytes in the target, 4 in the program/);
  // the same relocation in an ALU immediate is just a number: no width involved
  assert.equal(relocatedImm(local, target, ls, '0:1', 'field_byte_offset', 4), 8);
});

test('array steps: element offsets in the target, bounds checked, flexible arrays unbounded', () => {
  const l = new BtfBuilder();
  const lint = l.int('int', 4, { signed: true });
  const larr = l.array(lint, 4);
  const la = l.struct('a', [{ name: 'x', type: lint }, { name: 'arr', type: larr }]); // arr at 4
  const t = new BtfBuilder();
  const tint = t.int('int', 4, { signed: true });
  const tlong = t.int('long', 8, { signed: true });
  t.struct('a', [{ name: 'pad', type: tlong }, { name: 'arr', type: t.array(tint, 2) }, { name: 'x', type: tint }]); // arr at 8
  const flex = new BtfBuilder();
  const fint = flex.int('int', 4, { signed: true });
  flex.struct('a', [{ name: 'x', type: fint }, { name: 'pad', type: fint }, { name: 'arr', type: flex.array(fint, 0) }]); // arr at 8, flexible
  const local = l.build();

  assert.equal(relocatedImm(local, t.build(), la, '0:1:1', 'field_byte_offset', 4 + 4), 8 + 4);
  assert.equal(relocatedImm(local, t.build(), la, '0:1:3', 'field_byte_offset', 4 + 12), 'poisoned', 'index 3 of int[2]');
  assert.equal(relocatedImm(local, flex.build(), la, '0:1:3', 'field_byte_offset', 4 + 12), 8 + 12, 'a flexible array has no bound');
  assert.equal(relocatedImm(local, t.build(), la, '0:1:1', 'field_byte_size', 4), 4, 'an element: its size');
  throwsErrno(() => relocate(local, t.build(), la, '0:1:1', 'field_signed', [mov(1)]), 'EINVAL', /array element/);
});

test('named members are found inside anonymous structs and unions of the target', () => {
  const l = new BtfBuilder();
  const lint = l.int('int', 4, { signed: true });
  const ls = l.struct('e', [{ name: 'x', type: lint }, { name: 'y', type: lint }]);
  const t = new BtfBuilder();
  const tint = t.int('int', 4, { signed: true });
  const inner = t.union('', [{ name: 'w', type: tint }, { name: 'y', type: tint }]);
  const mid = t.struct('', [{ name: 'q', type: tint }, { name: 'u', type: tint }, { name: '', type: inner, bitOffset: 64 }], 12);
  // struct e { int x; struct { int q, u; union { int w, y; }; }; }: y at 4 + 8
  t.struct('e', [{ name: 'x', type: tint }, { name: '', type: mid, bitOffset: 32 }], 16);
  assert.equal(relocatedImm(l.build(), t.build(), ls, '0:1', 'field_byte_offset', 4), 12);
});

test('member types must stay compatible: int vs struct poisons; struct vs union and int sizes do not', () => {
  const l = new BtfBuilder();
  const lint = l.int('int', 4, { signed: true });
  const lin = l.struct('in', [{ name: 'v', type: lint }]);
  const lenum = l.enum('mode', [{ name: 'M', value: 0 }]);
  const ls = l.struct('c', [{ name: 'n', type: lint }, { name: 'sub', type: lin }, { name: 'm', type: lenum }]);
  const t = new BtfBuilder();
  const tchar = t.int('char', 1, { char: true });
  const tint = t.int('int', 4, { signed: true });
  const tsub = t.union('in', [{ name: 'v', type: tint }]);
  const tother = t.enum('other', [{ name: 'M', value: 0 }]);
  // n became a struct, sub a union, m an enum of another name
  t.struct('c', [{ name: 'n', type: t.struct('n_t', [{ name: 'z', type: tchar }]) }, { name: 'sub', type: tsub, bitOffset: 32 }, { name: 'm', type: tother, bitOffset: 64 }]);
  const local = l.build();
  const target = t.build();
  const r = relocate(local, target, ls, '0:0', 'field_byte_offset', [mov(0)]);
  assert.ok(isPoisoned(r.insns[0]!));
  assert.match(r.poisoned.get(0)!, /incompatible/);
  assert.equal(relocatedImm(local, target, ls, '0:1', 'field_byte_offset', 4), 4, 'struct and union mix');
  assert.equal(relocatedImm(local, target, ls, '0:2', 'field_exists', 1), 0, 'enums must share a name');
});

/**
 * Put `value` (`bits` wide) at `bitOffset` in `bytes`, numbering bits as BTF
 * does for the byte order: from bit 0 of byte 0 up (little-endian), from the
 * top bit of byte 0 down (big-endian).
 */
function plant(bytes: Uint8Array, bitOffset: number, bits: number, value: bigint, le: boolean): void {
  for (let k = 0; k < bits; k++) {
    const bit = le ? (value >> BigInt(k)) & 1n : (value >> BigInt(bits - 1 - k)) & 1n;
    const pos = bitOffset + k;
    const mask = le ? 1 << (pos & 7) : 0x80 >> (pos & 7);
    bytes[pos >> 3] = bit ? bytes[pos >> 3]! | mask : bytes[pos >> 3]! & ~mask;
  }
}

/** What BPF_CORE_READ_BITFIELD does with the relocated facts: load, shift left, shift right. */
function extract(bytes: Uint8Array, f: { offset: number; size: number; lshift: number; rshift: number; signed: boolean }, le: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < f.size; i++) {
    const b = BigInt(bytes[f.offset + (le ? f.size - 1 - i : i)]!);
    v = (v << 8n) | b;
  }
  v = BigInt.asUintN(64, v << BigInt(f.lshift));
  return f.signed ? BigInt.asIntN(64, v) >> BigInt(f.rshift) : v >> BigInt(f.rshift);
}

for (const le of [true, false]) {
  test(`bitfields (${le ? 'little' : 'big'}-endian): the relocated offset, size and shifts extract the field's value`, () => {
    // the same struct locally and in the target; its fields, in bit terms:
    const fields = [
      { name: 'a', bitOffset: 8, bits: 3, signed: false, type: 'u32' }, // inside the first u32
      { name: 'b', bitOffset: 11, bits: 7, signed: true, type: 's32' },
      { name: 'straddle', bitOffset: 28, bits: 8, signed: false, type: 'u32' }, // crosses a u32 boundary: needs a u64 load
      { name: 'wide', bitOffset: 64, bits: 40, signed: true, type: 's64' },
      { name: 'e', bitOffset: 104, bits: 4, signed: true, type: 'enum' }, // a signed enum bitfield
    ] as const;
    const build = (): { btf: Btf; id: number } => {
      const b = new BtfBuilder();
      const types = {
        u32: b.int('unsigned int', 4),
        s32: b.int('int', 4, { signed: true }),
        s64: b.int('long', 8, { signed: true }),
        enum: b.enum('sign', [{ name: 'NEG', value: -1 }], { signed: true }),
      };
      const id = b.struct('bf', fields.map((f) => ({ name: f.name, type: types[f.type], bitOffset: f.bitOffset, bitfieldSize: f.bits })), 16);
      return { btf: b.build({ littleEndian: le }), id };
    };
    const local = build();
    const target = build().btf;
    fields.forEach((f, i) => {
      const access = `0:${i}`;
      // signedness and the right shift are never ambiguous, so the compiled values must be right
      const imm = (kind: CoreReloKind, compiled = 0): number => relocatedImm(local.btf, target, local.id, access, kind, compiled) as number;
      const facts = {
        offset: imm('field_byte_offset'),
        size: imm('field_byte_size'),
        lshift: imm('field_lshift_u64'),
        rshift: imm('field_rshift_u64', 64 - f.bits),
        signed: imm('field_signed', f.signed ? 1 : 0) === 1,
      };
      assert.equal(facts.signed, f.signed, `${f.name}: signedness`);
      assert.ok(facts.offset * 8 <= f.bitOffset && f.bitOffset + f.bits <= (facts.offset + facts.size) * 8, `${f.name}: the load covers the field`);
      for (const value of [1n, -1n, 5n, -(1n << BigInt(f.bits - 1))]) {
        const want = f.signed ? BigInt.asIntN(f.bits, value) : BigInt.asUintN(f.bits, value);
        const bytes = new Uint8Array(16).map((_, k) => (k * 73 + 41) & 0xff); // noise around the field
        plant(bytes, f.bitOffset, f.bits, want, le);
        assert.equal(extract(bytes, facts, le), want, `${f.name} = ${want}`);
      }
    });
  });
}

test('a bitfield no 64-bit load can cover is an error, not a guess', () => {
  const b = new BtfBuilder();
  const u64 = b.int('unsigned long', 8);
  const id = b.struct('w', [{ name: 'x', type: u64, bitOffset: 60, bitfieldSize: 8 }], 16);
  const btf = b.build();
  throwsErrno(() => relocate(btf, btf, id, '0:0', 'field_byte_size', [mov(8)]), 'E2BIG', /^insn 0: CO-RE FIELD_BYTE_SIZE of struct w\.x \(0:0\): .*64-bit load/);
});

test('FIELD_SIGNED: signed ints and enums with the signed flag; chars, bools and unsigned enums are not', () => {
  const b = new BtfBuilder();
  const members = [
    b.int('int', 4, { signed: true }), b.int('unsigned int', 4), b.int('char', 1, { char: true }), b.int('_Bool', 1, { bool: true }),
    b.enum('se', [{ name: 'A', value: -1 }], { signed: true }), b.enum('ue', [{ name: 'B', value: 1 }], { signed: false }),
  ];
  const id = b.struct('sg', members.map((type, i) => ({ name: `m${i}`, type })));
  const btf = b.build();
  const want = [1, 0, 0, 0, 1, 0];
  want.forEach((w, i) => assert.equal(relocatedImm(btf, btf, id, `0:${i}`, 'field_signed', w), w, `member ${i}`));
});

// ---------------------------------------------------------------- type relocations

test('type relocations: exists, size and target id; a missing type gives 0, never poison', () => {
  const l = new BtfBuilder();
  const lint = l.int('int', 4, { signed: true });
  const lt = l.struct('t', [{ name: 'a', type: lint }]);
  const gone = l.struct('gone', [{ name: 'a', type: lint }]);
  const local = l.build();
  const t = new BtfBuilder();
  const tint = t.int('int', 4, { signed: true });
  t.int('long', 8, { signed: true });
  const tt = t.struct('t', [{ name: 'a', type: tint }, { name: 'b', type: tint }]); // 8 bytes
  const target = t.build();

  assert.equal(relocatedImm(local, target, lt, '0', 'type_exists', 1), 1);
  assert.equal(relocatedImm(local, target, lt, '0', 'type_size', 4), 8);
  assert.equal(relocatedImm(local, target, gone, '0', 'type_exists', 1), 0);
  assert.equal(relocatedImm(local, target, gone, '0', 'type_size', 4), 0);
  assert.equal(relocatedImm(local, target, gone, '0', 'type_matches', 1), 0);
  // type ids: lddw, and never checked against the compiled value (linking renumbers)
  const id = (typeId: number, kind: CoreReloKind): bigint => {
    const r = relocate(local, target, typeId, '0', kind, [...lddw(0, 12345n)]);
    assert.equal(r.poisoned.size, 0);
    return (BigInt(r.insns[1]!.imm >>> 0) << 32n) | BigInt(r.insns[0]!.imm >>> 0);
  };
  assert.equal(id(lt, 'type_id_target'), BigInt(tt));
  assert.equal(id(gone, 'type_id_target'), 0n);
  assert.equal(id(lt, 'type_id_local'), BigInt(lt));
  assert.equal(id(gone, 'type_id_local'), BigInt(gone), 'a local id needs no target');
});

test('type compatibility: ints of any size, pointers by what they point to, typedefs by name and kind', () => {
  const l = new BtfBuilder();
  const lint = l.int('int', 4, { signed: true });
  const tdInt = l.typedef('num_t', lint);
  const tdPtr = l.typedef('ptr_t', l.ptr(lint));
  const local = l.build();
  const t = new BtfBuilder();
  const tlong = t.int('long', 8, { signed: true });
  t.typedef('num_t', tlong);
  t.typedef('ptr_t', t.ptr(t.struct('x', [{ name: 'a', type: tlong }])));
  const target = t.build();
  assert.equal(relocatedImm(local, target, tdInt, '0', 'type_exists', 1), 1, 'int vs long');
  assert.equal(relocatedImm(local, target, tdInt, '0', 'type_size', 4), 8);
  assert.equal(relocatedImm(local, target, tdPtr, '0', 'type_exists', 1), 0, 'int * vs struct x *');
});

test('TYPE_MATCHES: members by name in any order, int size and sign, enumerators by name, fwd behind pointers', () => {
  const l = new BtfBuilder();
  const lint = l.int('int', 4, { signed: true });
  const lfwdTarget = l.struct('r', [{ name: 'z', type: lint }]);
  const lp = l.struct('p', [{ name: 'x', type: lint }, { name: 'y', type: lint }, { name: 'link', type: l.ptr(lfwdTarget) }]);
  const le = l.enum('e', [{ name: 'A', value: 0 }, { name: 'B', value: 1 }]);
  const local = l.build();

  const target = (variant: 'same' | 'missing' | 'unsigned'): Btf => {
    const t = new BtfBuilder();
    const tint = t.int('int', 4, { signed: true });
    const tuint = t.int('unsigned int', 4);
    const tlong = t.int('long', 8, { signed: true });
    const fwd = t.fwd('r'); // the target only declares struct r
    const members = [
      { name: 'y', type: tint }, { name: 'pad', type: tlong }, { name: 'link', type: t.ptr(fwd) },
      ...(variant === 'missing' ? [] : [{ name: 'x', type: variant === 'unsigned' ? tuint : tint }]),
    ];
    t.struct('p', members);
    t.enum('e', [{ name: 'B', value: 5 }, { name: 'C', value: 6 }, { name: 'A', value: 9 }]);
    return t.build();
  };
  assert.equal(relocatedImm(local, target('same'), lp, '0', 'type_matches', 1), 1);
  assert.equal(relocatedImm(local, target('missing'), lp, '0', 'type_matches', 1), 0, 'x is gone');
  assert.equal(relocatedImm(local, target('unsigned'), lp, '0', 'type_matches', 1), 0, 'x lost its sign');
  assert.equal(relocatedImm(local, target('same'), le, '0', 'type_matches', 1), 1, 'enumerators by name, values ignored');
  const t64 = new BtfBuilder();
  t64.enum64('e', [{ name: 'A', value: 0n }, { name: 'B', value: 1n }]);
  assert.equal(relocatedImm(local, t64.build(), le, '0', 'type_matches', 1), 0, 'an 8-byte enum does not match a 4-byte one');
});

// ---------------------------------------------------------------- enum values

test('enum values: flavored enumerators, 64-bit values through lddw, sign extension; a missing one poisons', () => {
  const l = new BtfBuilder();
  const le = l.enum('color', [{ name: 'RED', value: 0 }, { name: 'BLACK', value: 3 }, { name: 'BIG___v2', value: 7 }]);
  const local = l.build();
  const t = new BtfBuilder();
  t.enum('color', [{ name: 'NEG', value: -1 }, { name: 'RED', value: -2 }], { signed: true });
  const t64 = new BtfBuilder();
  t64.enum64('color', [{ name: 'BIG', value: 0x1_2345_6789n }]);

  assert.equal(relocatedImm(local, t.build(), le, '0', 'enumval_value', 0), -2);
  assert.equal(relocatedImm(local, t.build(), le, '1', 'enumval_exists', 1), 0);
  assert.equal(relocatedImm(local, t.build(), le, '1', 'enumval_value', 3), 'poisoned');
  const r = relocate(local, t64.build(), le, '2', 'enumval_value', [...lddw(0, 7n)]);
  assert.equal((BigInt(r.insns[1]!.imm >>> 0) << 32n) | BigInt(r.insns[0]!.imm >>> 0), 0x1_2345_6789n);
  const poisoned = relocate(local, t.build(), le, '1', 'enumval_value', [...lddw(0, 3n)]);
  assert.ok(isPoisoned(poisoned.insns[0]!) && isPoisoned(poisoned.insns[1]!), 'both slots of a lddw are poisoned');
  assert.match(poisoned.poisoned.get(0)!, /ENUMVAL_VALUE of enum color::BLACK \(1\): poisoned: .*no enumerator BLACK/);
});

// ---------------------------------------------------------------- ambiguity and the candidate cache

/** Target with two flavors of `amb`: v at 0 in ___x, at 8 in ___y; `only` just in ___x. */
function flavors(): { local: Btf; target: Btf; la: number } {
  const l = new BtfBuilder();
  const lint = l.int('int', 4, { signed: true });
  const la = l.struct('amb', [{ name: 'v', type: lint }, { name: 'only', type: lint }]);
  const t = new BtfBuilder();
  const tint = t.int('int', 4, { signed: true });
  const tlong = t.int('long', 8, { signed: true });
  t.struct('amb___x', [{ name: 'v', type: tint }, { name: 'only', type: tint }]);
  t.struct('amb___y', [{ name: 'pad', type: tlong }, { name: 'v', type: tint }]);
  return { local: l.build(), target: t.build(), la };
}

test('candidates that disagree are an ambiguity error (EINVAL) naming the relocation', () => {
  const { local, target, la } = flavors();
  throwsErrno(() => relocate(local, target, la, '0:0', 'field_byte_offset', [mov(0)]), 'EINVAL',
    /^insn 0: CO-RE FIELD_BYTE_OFFSET of struct amb\.v \(0:0\): ambiguous: .*amb___x.*amb___y/);
  throwsErrno(() => relocate(local, target, la, '0', 'type_size', [mov(8)]), 'EINVAL', /ambiguous/);
});

test('candidates that agree are fine, and all are reported', () => {
  const l = new BtfBuilder();
  const la = l.struct('amb', [{ name: 'v', type: l.int('int', 4, { signed: true }) }]);
  const t = new BtfBuilder();
  const tint = t.int('int', 4, { signed: true });
  const x = t.struct('amb___x', [{ name: 'v', type: tint }]);
  const y = t.struct('amb___y', [{ name: 'v', type: tint }, { name: 'w', type: tint }]);
  const r = relocate(l.build(), t.build(), la, '0:0', 'field_byte_offset', [mov(0)]);
  assert.deepEqual(r.relocations[0]!.targets.map((c) => c.typeId), [x, y]);
});

test('a relocation narrows the candidates of later ones on the same type (libbpf\'s candidate cache)', () => {
  const { local, target, la } = flavors();
  const relos: CoreRelocation[] = [
    { insn: 0, typeId: la, accessStr: '0:1', kind: 'field_byte_offset' }, // only amb___x has it
    { insn: 1, typeId: la, accessStr: '0:0', kind: 'field_byte_offset' }, // then v is amb___x's
  ];
  const r = applyCoreRelocations([mov(4), mov(0), EXIT], relos, local, target);
  assert.equal(r.insns[0]!.imm, 4);
  assert.equal(r.insns[1]!.imm, 0);
  // in the other order v is ambiguous before anything narrowed the list
  throwsErrno(() => applyCoreRelocations([mov(0), mov(4), EXIT], [relos[1]!, relos[0]!].map((x, i) => ({ ...x, insn: i })), local, target), 'EINVAL', /ambiguous/);
  // a shared cache carries the narrowing from one program to the next
  const cache = new CoreCandidates(local, target);
  applyCoreRelocations([mov(4), EXIT], [relos[0]!], local, target, { candidates: cache });
  assert.equal(applyCoreRelocations([mov(0), EXIT], [{ ...relos[1]!, insn: 0 }], local, target, { candidates: cache }).insns[0]!.imm, 0);
  throwsErrno(() => applyCoreRelocations([mov(0), EXIT], [{ ...relos[1]!, insn: 0 }], target, local, { candidates: cache }), 'EINVAL', /another pair/);
});

// ---------------------------------------------------------------- patching rules

test('patching checks the instruction holds the local value and has a patchable form', () => {
  const { local, target, ls } = movedFields();
  throwsErrno(() => relocate(local, target, ls, '0:1', 'field_byte_offset', [mov(5)]), 'EINVAL', /^insn 0: CO-RE FIELD_BYTE_OFFSET of struct s\.b \(0:1\): ALU immediate is 5, expected 4/);
  throwsErrno(() => relocate(local, target, ls, '0:1', 'field_byte_offset', [ldxw(0)]), 'EINVAL', /offset is 0, expected 4/);
  throwsErrno(() => relocate(local, target, ls, '0:1', 'field_byte_offset', [insn(o.BPF_ALU64 | o.BPF_ADD | o.BPF_X, 0, 1)]), 'EINVAL', /register/);
  throwsErrno(() => relocate(local, target, ls, '0:1', 'field_byte_offset', [insn(o.BPF_JMP | o.BPF_JA, 0, 0, 4)]), 'EINVAL', /can patch/);
  throwsErrno(() => relocate(local, target, ls, '0:1', 'field_byte_offset', [...lddw(0, 4n, o.BPF_PSEUDO_MAP_FD)]), 'EINVAL', /plain 64-bit constant/);
  throwsErrno(() => applyCoreRelocations([EXIT], [{ insn: 5, typeId: ls, accessStr: '0:1', kind: 'field_byte_offset' }], local, target), 'EINVAL', /^insn 5: .*outside the program/);
});

test('an offset beyond the 16-bit load offset is ERANGE', () => {
  const l = new BtfBuilder();
  const lint = l.int('int', 4, { signed: true });
  const ls = l.struct('big', [{ name: 'x', type: lint }]);
  const t = new BtfBuilder();
  t.struct('big', [{ name: 'x', type: t.int('int', 4, { signed: true }), bitOffset: 40000 * 8 }], 40004);
  throwsErrno(() => relocate(l.build(), t.build(), ls, '0:0', 'field_byte_offset', [ldxw(0)]), 'ERANGE', /16-bit/);
  assert.equal(relocatedImm(l.build(), t.build(), ls, '0:0', 'field_byte_offset', 0), 40000, 'an immediate has room');
});

test('the input program is not modified; every relocation is reported in order', () => {
  const { local, target, ls } = movedFields();
  const insns = [mov(4), ldxw(8), EXIT];
  const before = JSON.stringify(insns);
  const r = applyCoreRelocations(insns, [
    { insn: 0, typeId: ls, accessStr: '0:1', kind: 'field_byte_offset' },
    { insn: 1, typeId: ls, accessStr: '0:2', kind: 'field_byte_offset' },
  ], local, target);
  assert.equal(JSON.stringify(insns), before);
  assert.deepEqual(r.relocations.map((x) => [x.insn, x.poisoned, x.localValue, x.value]), [[0, false, 4n, 8n], [1, true, 8n, 0n]]);
  assert.deepEqual([...r.poisoned.keys()], [1]);
});

test('malformed access strings and records are EINVAL (or E2BIG) naming the relocation', () => {
  const { local, target, ls } = movedFields();
  for (const access of ['', ':1', '0:x', '0::1', '-1']) {
    throwsErrno(() => relocate(local, target, ls, access, 'field_byte_offset', [mov(0)]), 'EINVAL', /access string/);
  }
  throwsErrno(() => relocate(local, target, ls, '0:1', 'type_size', [mov(0)]), 'EINVAL', /must be '0'/);
  throwsErrno(() => relocate(local, target, ls, '0:7', 'field_byte_offset', [mov(0)]), 'EINVAL', /no member #7/);
  throwsErrno(() => relocate(local, target, ls, Array(65).fill('0').join(':'), 'field_byte_offset', [mov(0)]), 'E2BIG', /more than 64/);
  throwsErrno(() => relocate(local, target, ls, '0', 'enumval_value', [mov(0)]), 'EINVAL', /must start from an enum/);
  throwsErrno(() => relocate(local, target, 999, '0', 'type_exists', [mov(1)]), 'ENOENT', /^insn 0: CO-RE TYPE_EXISTS of type \[999\]/);
});
