import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as o from '../src/isa/opcodes.js';
import {
  Bounds,
  boundsConsistent,
  boundsContain,
  coerceToSize,
  coerceToSizeSx,
  knownBounds,
  syncBounds,
  unknownBounds,
} from '../src/verifier/bounds.js';
import { concreteAlu, scalarAlu } from '../src/verifier/scalar-alu.js';
import {
  tnum,
  tnumAdd,
  tnumAnd,
  tnumContains,
  tnumIn,
  tnumMul,
  tnumOr,
  tnumRange,
  tnumStr,
  tnumSub,
  tnumXor,
} from '../src/verifier/tnum.js';

const M64 = (1n << 64n) - 1n;

/** A member of the tnum chosen by `pick`'s bits in the unknown positions. */
const member = (t: { value: bigint; mask: bigint }, pick: bigint): bigint => t.value | (pick & t.mask);

const arbU64 = fc.bigInt({ min: 0n, max: M64 });
/** Interesting 64-bit values: small, near the sign bits, near the ends. */
const arbEdge = fc.oneof(
  fc.bigInt({ min: 0n, max: 300n }),
  fc.bigInt({ min: 0n, max: 300n }).map((v) => M64 - v),
  fc.bigInt({ min: 0n, max: 300n }).map((v) => (1n << 63n) + v - 150n),
  fc.bigInt({ min: 0n, max: 300n }).map((v) => (1n << 32n) + v - 150n),
  fc.bigInt({ min: 0n, max: 300n }).map((v) => (1n << 31n) + v - 150n),
  arbU64,
);
/** A mask with few unknown bits, as programs make them (ands, shifts, small ranges). */
const arbMask = fc.oneof(
  fc.constant(0n),
  fc.integer({ min: 1, max: 64 }).map((n) => (1n << BigInt(n)) - 1n),
  fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 8 })).map(([at, n]) => ((1n << BigInt(n)) - 1n) << BigInt(at)),
  arbU64,
);

interface Sample {
  abs: Bounds;
  vals: bigint[];
}

/**
 * An abstract value built the way the verifier builds them — known bits,
 * then a range between two of its members, then synced — with concrete
 * members of it.
 */
const arbAbstract: fc.Arbitrary<Sample> = fc
  .tuple(arbEdge, arbMask, fc.array(arbU64, { minLength: 4, maxLength: 4 }), fc.boolean())
  .map(([v, mask, picks, ranged]) => {
    const t = tnum(v & ~mask & M64, mask);
    const ms = picks.map((p) => member(t, p));
    const abs = unknownBounds();
    abs.varOff = t;
    if (ranged) {
      const [a, b] = [ms[0]!, ms[1]!].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      abs.umin = a!;
      abs.umax = b!;
    }
    syncBounds(abs);
    return { abs, vals: ms.filter((x) => boundsContain(abs, x)) };
  })
  .filter((s) => s.vals.length > 0 && boundsConsistent(s.abs));

const OPS = [o.BPF_ADD, o.BPF_SUB, o.BPF_MUL, o.BPF_AND, o.BPF_OR, o.BPF_XOR, o.BPF_LSH, o.BPF_RSH, o.BPF_ARSH, o.BPF_NEG, o.BPF_DIV, o.BPF_MOD];

test('tnum: constants and ranges', () => {
  assert.deepEqual(tnumRange(0n, 0n), tnum(0n, 0n));
  // [4, 7] differ in the two low bits only
  assert.deepEqual(tnumRange(4n, 7n), tnum(4n, 3n));
  // [0, 2^64-1] is every value
  assert.deepEqual(tnumRange(0n, M64), tnum(0n, M64));
  assert.equal(tnumStr(tnum(0n, 0xffn)), '(0x0; 0xff)');
  assert.ok(tnumIn(tnum(0n, 0xffn), tnum(0x10n, 0x0fn)));
  assert.ok(!tnumIn(tnum(0x10n, 0x0fn), tnum(0n, 0xffn)));
});

test('tnum: every binary op contains the concrete results of its members', () => {
  const ops: [string, (a: ReturnType<typeof tnum>, b: ReturnType<typeof tnum>) => ReturnType<typeof tnum>, (x: bigint, y: bigint) => bigint][] = [
    ['add', tnumAdd, (x, y) => x + y],
    ['sub', tnumSub, (x, y) => x - y],
    ['mul', tnumMul, (x, y) => x * y],
    ['and', tnumAnd, (x, y) => x & y],
    ['or', tnumOr, (x, y) => x | y],
    ['xor', tnumXor, (x, y) => x ^ y],
  ];
  fc.assert(
    fc.property(arbEdge, arbMask, arbEdge, arbMask, arbU64, arbU64, (av, am, bv, bm, pa, pb) => {
      const a = tnum(av & ~am & M64, am);
      const b = tnum(bv & ~bm & M64, bm);
      const x = member(a, pa);
      const y = member(b, pb);
      for (const [name, f, c] of ops) {
        const r = f(a, b);
        assert.equal(r.value & r.mask, 0n, `${name}: value and mask overlap`);
        assert.ok(tnumContains(r, c(x, y) & M64), `${name}(${tnumStr(a)}, ${tnumStr(b)}) = ${tnumStr(r)} misses ${x} ${name} ${y}`);
      }
    }),
    { numRuns: 3000, seed: 5 },
  );
});

test('bounds: a known value is known in every view', () => {
  const b = knownBounds(-5n);
  assert.equal(b.umin, M64 - 4n);
  assert.equal(b.smin, -5n);
  assert.equal(b.s32max, -5n);
  assert.equal(b.u32min, 0xfffffffbn);
});

test('bounds: sync learns the signed range from an unsigned one below the sign bit', () => {
  const b = unknownBounds();
  b.umax = 100n;
  syncBounds(b);
  assert.equal(b.smin, 0n);
  assert.equal(b.smax, 100n);
  assert.equal(b.u32max, 100n);
  // 100 < 128: every bit above bit 6 is known zero
  assert.equal(b.varOff.mask, 127n);
});

test('scalar ALU: worked examples', () => {
  // [0, 255] + 10 = [10, 265]
  const a = unknownBounds();
  a.umax = 255n;
  syncBounds(a);
  scalarAlu(o.BPF_ADD, a, knownBounds(10n), false);
  assert.equal(a.umin, 10n);
  assert.equal(a.umax, 265n);
  // [0, 255] & 0xf0: known low nibble zero, max 0xf0
  const b = unknownBounds();
  b.umax = 255n;
  syncBounds(b);
  scalarAlu(o.BPF_AND, b, knownBounds(0xf0n), false);
  assert.equal(b.umax, 0xf0n);
  assert.equal(b.varOff.mask, 0xf0n);
  // w0 = -1 (32-bit) is 0xffffffff in the 64-bit register
  const c = knownBounds(0n);
  scalarAlu(o.BPF_SUB, c, knownBounds(1n), true);
  assert.equal(c.umin, 0xffffffffn);
  assert.equal(c.umax, 0xffffffffn);
  // division is not tracked: unknown
  const d = knownBounds(10n);
  scalarAlu(o.BPF_DIV, d, knownBounds(3n), false);
  assert.equal(d.umax, M64);
});

test('scalar ALU is sound: concrete results of members lie in the abstract result (64 and 32 bits)', () => {
  fc.assert(
    fc.property(arbAbstract, arbAbstract, fc.constantFrom(...OPS), fc.boolean(), ({ abs: da, vals: dv }, { abs: sa, vals: sv }, op, alu32) => {
      const r: Bounds = { ...da };
      scalarAlu(op, r, sa, alu32);
      assert.ok(boundsConsistent(r), 'inconsistent result');
      for (const x of dv) {
        for (const y of sv) {
          if ((op === o.BPF_DIV || op === o.BPF_MOD) && BigInt.asUintN(alu32 ? 32 : 64, y) === 0n) continue;
          const c = op === o.BPF_DIV || op === o.BPF_MOD ? 0n : concreteAlu(op, x, y, alu32);
          if (op === o.BPF_DIV || op === o.BPF_MOD) continue;
          assert.ok(boundsContain(r, c), `op ${op} alu32=${alu32}: ${x} op ${y} = ${c} outside result ${JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
        }
      }
    }),
    { numRuns: 20000, seed: 42 },
  );
});

test('narrowing and sign extension are sound', () => {
  fc.assert(
    fc.property(arbAbstract, fc.constantFrom(1, 2, 4), ({ abs, vals }, size) => {
      const z: Bounds = { ...abs };
      coerceToSize(z, size);
      const s: Bounds = { ...abs };
      coerceToSizeSx(s, size);
      const bits = BigInt(size * 8);
      for (const v of vals) {
        assert.ok(boundsContain(z, BigInt.asUintN(Number(bits), v)), `zext ${size}: ${v}`);
        assert.ok(boundsContain(s, BigInt.asUintN(64, BigInt.asIntN(Number(bits), v))), `sext ${size}: ${v}`);
      }
    }),
    { numRuns: 5000, seed: 7 },
  );
});

import { branchTaken, setMinMax } from '../src/verifier/branches.js';
import { Reg, cloneReg, constScalar, unknownScalar } from '../src/verifier/reg.js';

const JMPS = [o.BPF_JEQ, o.BPF_JNE, o.BPF_JGT, o.BPF_JGE, o.BPF_JLT, o.BPF_JLE, o.BPF_JSGT, o.BPF_JSGE, o.BPF_JSLT, o.BPF_JSLE, o.BPF_JSET];

/** Whether `a OP b` holds for concrete values, in 64 or 32 bits. */
function holds(op: number, a: bigint, b: bigint, jmp32: boolean): boolean {
  const bits = jmp32 ? 32 : 64;
  const ua = BigInt.asUintN(bits, a);
  const ub = BigInt.asUintN(bits, b);
  const sa = BigInt.asIntN(bits, a);
  const sb = BigInt.asIntN(bits, b);
  switch (op) {
    case o.BPF_JEQ: return ua === ub;
    case o.BPF_JNE: return ua !== ub;
    case o.BPF_JGT: return ua > ub;
    case o.BPF_JGE: return ua >= ub;
    case o.BPF_JLT: return ua < ub;
    case o.BPF_JLE: return ua <= ub;
    case o.BPF_JSGT: return sa > sb;
    case o.BPF_JSGE: return sa >= sb;
    case o.BPF_JSLT: return sa < sb;
    case o.BPF_JSLE: return sa <= sb;
    default: return (ua & ub) !== 0n;
  }
}

const arbStep = fc.oneof(
  fc.record({ kind: fc.constant('alu' as const), op: fc.constantFrom(...OPS.filter((x) => x !== o.BPF_DIV && x !== o.BPF_MOD)), alu32: fc.boolean(), reg: fc.boolean(), k: arbEdge, swap: fc.boolean() }),
  fc.record({ kind: fc.constant('jmp' as const), op: fc.constantFrom(...JMPS), jmp32: fc.boolean(), reg: fc.boolean(), k: arbEdge, side: fc.boolean() }),
);

/**
 * Two registers tracked through random arithmetic and comparisons, both
 * abstractly and in several concrete "worlds" (pairs of values the abstract
 * state allows). After every step every surviving world must lie inside the
 * abstract registers; a comparison keeps the worlds of one branch and checks
 * both branches' narrowing, and that a predicted outcome is the real one.
 */
test('bounds, ALU and branch narrowing stay sound along random paths', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(arbEdge, arbEdge), { minLength: 1, maxLength: 6 }), fc.array(arbStep, { minLength: 1, maxLength: 12 }), fc.boolean(), (worlds0, steps, startKnown) => {
      let worlds = worlds0.map(([x, y]) => [BigInt.asUintN(64, x), BigInt.asUintN(64, y)] as [bigint, bigint]);
      let a: Reg = startKnown && worlds.length === 1 ? constScalar(worlds[0]![0]) : unknownScalar();
      let b: Reg = startKnown && worlds.length === 1 ? constScalar(worlds[0]![1]) : unknownScalar();
      for (const st of steps) {
        if (st.kind === 'alu') {
          const src: Reg = st.reg ? b : constScalar(st.k);
          if ((st.op === o.BPF_LSH || st.op === o.BPF_RSH || st.op === o.BPF_ARSH) && !st.reg) continue;
          const r = cloneReg(a);
          scalarAlu(st.op, r, src, st.alu32);
          worlds = worlds.map(([x, y]) => [concreteAlu(st.op, x, st.reg ? y : BigInt.asUintN(64, st.k), st.alu32), y]);
          a = r;
        } else {
          const rhs: Reg = st.reg ? b : constScalar(st.k);
          const t1 = cloneReg(a);
          const t2 = cloneReg(rhs);
          const f1 = cloneReg(a);
          const f2 = cloneReg(rhs);
          const pred = branchTaken(a, rhs, st.op, st.jmp32);
          setMinMax(t1, t2, f1, f2, st.op, st.jmp32);
          const taken = worlds.filter(([x, y]) => holds(st.op, x, st.reg ? y : BigInt.asUintN(64, st.k), st.jmp32));
          const fall = worlds.filter((w) => !taken.includes(w));
          if (pred === 1) assert.equal(fall.length, 0, 'predicted taken, but a world falls through');
          if (pred === 0) assert.equal(taken.length, 0, 'predicted not taken, but a world jumps');
          for (const [x, y] of taken) {
            assert.ok(boundsContain(t1, x), `jump side lost ${x}`);
            if (st.reg) assert.ok(boundsContain(t2, y), `jump side lost ${y}`);
          }
          for (const [x, y] of fall) {
            assert.ok(boundsContain(f1, x), `fall-through side lost ${x}`);
            if (st.reg) assert.ok(boundsContain(f2, y), `fall-through side lost ${y}`);
          }
          const keepJump = taken.length > 0 && (st.side || fall.length === 0);
          worlds = keepJump ? taken : fall;
          if (worlds.length === 0) return;
          a = keepJump ? t1 : f1;
          if (st.reg) b = keepJump ? t2 : f2;
        }
        for (const [x, y] of worlds) {
          assert.ok(boundsContain(a, x), `a lost ${x}`);
          assert.ok(boundsContain(b, y), `b lost ${y}`);
        }
      }
    }),
    { numRuns: 20000, seed: 11 },
  );
});

import { tnumStep } from '../src/verifier/tnum.js';

test('tnumStep: the smallest member above z, by enumeration of small tnums', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 1023n }), fc.bigInt({ min: 0n, max: 1023n }), fc.bigInt({ min: 0n, max: 1100n }), (v, m, z) => {
      const t = tnum(v & ~m, m);
      const members: bigint[] = [];
      for (let x = 0n; x < 1024n; x++) if (tnumContains(t, x)) members.push(x);
      const tmax = t.value | t.mask;
      const want = members.find((x) => x > z) ?? tmax;
      assert.equal(tnumStep(t, z), z < t.value ? t.value : want);
    }),
    { numRuns: 3000, seed: 3 },
  );
});
