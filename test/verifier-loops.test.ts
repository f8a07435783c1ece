import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble } from '../src/isa/asm.js';
import { MapType } from '../src/maps/map.js';
import { verify } from '../src/verifier/index.js';
import { computeScc } from '../src/verifier/scc.js';

/**
 * Loops and the machinery that makes their exploration converge (SCCs,
 * may_goto backedges, widening), linked scalars made by 32-bit adds, and
 * the -1/0 fork of and/or. Every expected value here is what Linux 6.18
 * (6.18.44, through ../shared/tools/kernel-oracle.py) printed or counted
 * for the same program.
 */

const xdp = (text: string) => ({ insns: assemble(text), type: 6 });
const ARRAY = { type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 4 };

test('SCCs are numbered as Linux numbers them (its level-2 "Live regs" column)', () => {
  const insns = assemble(`
r6 = r1
r7 = 3
r8 = 2
r9 = 3
r9 = 18
*(u32 *)(r10 - 16) = r8
r7 = *(u64 *)(r10 - 16)
w8 %= -62
L0:
may_goto L1
w9 <<= 10
if r7 > 4 goto L2
r7 = r8
L2:
goto L0
L1:
r8 = 0
L3:
w7 s>>= 25
r8 += 1
if r8 < 8 goto L3
r0 = 2
exit`);
  const scc = computeScc(insns);
  // the kernel listed insns 8-12 in SCC 2 and 14-16 in SCC 1, the others in none
  const expect = insns.map((_, i) => (i >= 8 && i <= 12 ? 2 : i >= 14 && i <= 16 ? 1 : 0));
  assert.deepEqual([...scc], expect);
});

// a may_goto loop whose body changes r6 on one branch only
const MAY_GOTO = `
r6 = 0
*(u32 *)(r10 - 8) = r6
r2 = r10
r2 += -8
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r8 = r0
r6 = 0
loop:
may_goto done
call 7
if r0 > 3 goto skip
r6 = r0
skip:
goto loop
done:
r8 += r6
r0 = *(u8 *)(r8 + 0)
out:
r0 = 0
exit`;

test('may_goto: iterations converge on a state pruned as a backedge, and the SCC is entered and left', () => {
  const r = verify(xdp(MAY_GOTO), { mapsByIndex: [ARRAY], logLevel: 2 });
  assert.equal(r.accepted, true);
  assert.equal(r.insnsProcessed, 31);
  assert.match(r.log, /^SCC enter \(1\)$/m);
  assert.match(r.log, /^SCC backedge \(1\)$/m);
  assert.match(r.log, /^SCC exit \(1\)$/m);
  // the backedge copies count among the live states, as Linux counts them
  assert.match(r.log, /processed 31 insns \(limit 1000000\) max_states_per_insn 1 total_states 3 peak_states 6 mark_read 0/);
});

test('may_goto: a value the previous round did not have is widened, then found unsafe', () => {
  const r = verify(
    xdp(`
r6 = 0
r7 = 0
*(u32 *)(r10 - 8) = r6
r2 = r10
r2 += -8
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r8 = r0
loop:
may_goto done
call 7
if r0 > 3 goto a
r6 = 2
goto b
a:
r7 = r6
b:
goto loop
done:
r8 += r7
r0 = *(u8 *)(r8 + 15)
out:
r0 = 0
exit`),
    { mapsByIndex: [ARRAY], logLevel: 2 },
  );
  assert.equal(r.accepted, false);
  assert.equal(r.error?.message, 'math between map_value pointer and register with unbounded min value is not allowed');
  assert.equal(r.insnsProcessed, 34);
  // r6 = 2 differs from the previous round's 0 and decided nothing: forgotten
  assert.match(r.log, /^from 10 to 11: R0=scalar\(smin=smin32=0,smax=umax=smax32=umax32=3,var_off=\(0x0; 0x3\)\) R6=scalar\(\) R7=0 /m);
});

test('and/or of a value known to be -1 or 0 explores both values', () => {
  const r = verify(xdp('call 7\nr0 s>>= 63\nr0 &= 5\nr0 = 0\nexit'), { logLevel: 2 });
  assert.equal(r.insnsProcessed, 8);
  assert.match(r.log, /^2: \(57\) r0 &= 5 +; R0=5$/m);
  assert.match(r.log, /^from 2 to 2: R0=0 R10=fp0$/m);
  const w = verify(xdp('call 7\nw0 s>>= 31\nw0 &= 5\nr0 = 0\nexit'), { logLevel: 2 });
  assert.match(w.log, /^2: \(54\) w0 &= 5 +; R0=0$/m);
});

test('a 32-bit add links the copy (id=1-4) and zero-extends what it learns', () => {
  const r = verify(xdp('call 7\nr0 &= 0xff\nr1 = r0\nw1 -= 4\nr2 = r0\nr2 -= 4\nr0 = 0\nexit'), { logLevel: 2 });
  assert.match(r.log, /^3: \(14\) w1 -= 4 +; R1=scalar\(id=1-4,smin=0,smax=umax=0xffffffff,smin32=-4,smax32=251,var_off=\(0x0; 0xffffffff\)\)$/m);
  assert.match(r.log, /^5: \(17\) r2 -= 4 +; R2=scalar\(id=1-4,smin=smin32=-4,smax=smax32=251\)$/m);
  // r6 = 0xffffffff makes r7 = r6 + 1 wrap to 0 in 32 bits: the high half must be zero
  const z = verify(
    xdp(`
call 7
w6 = w0
r7 = r6
w7 += 1
r8 = 0xffffffff ll
if r6 < r8 goto l0
r7 >>= 32
if r7 == 0 goto l0
r0 /= 0
l0:
r0 = 0
exit`),
  );
  assert.equal(z.accepted, true);
  assert.equal(z.insnsProcessed, 12);
});

test('r1 += r1 does not link r1 to its old copies', () => {
  const r = verify(
    xdp(`
call 7
r6 = r0
call 7
r1 = r0
if r1 != 5 goto out
r1 += r1
if r0 > r6 goto a
a:
if r1 == 15 goto out
r0 /= 0
out:
r0 = 0
exit`),
  );
  assert.equal(r.accepted, false);
  assert.equal(r.error?.message, 'div by zero');
  assert.equal(r.insnsProcessed, 9);
});

test('a slot of unknown bytes and a spilled imprecise scalar prune each other', () => {
  // found by the kernel differential (seed 941): Linux prunes at insn 26
  const r = verify(
    {
      type: 1,
      insns: assemble(`
r6 = r1
r7 = 3
r8 = 0
r9 = 1
r9 = 0
L0:
r8 = le16 r8
r9 += 2
if r9 < 5 goto L0
call 7
r7 = r0
*(u32 *)(r10 - 4) = r7
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto L1
r1 = r8
r0 += r1
*(u32 *)(r0 + 0) = r9
L1:
if w7 s< 256 goto L2
w7 = -w7
if r9 == 3 goto L3
r7 s>>= r8
*(u64 *)(r10 - 8) = r9
r7 = *(u64 *)(r10 - 8)
L3:
L2:
*(u32 *)(r10 - 4) = 5
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto L4
r1 = r8
r1 &= 7
r0 += r1
*(u16 *)(r0 + 8) = r8
L4:
r0 = 0
exit`),
    },
    { mapsByIndex: [ARRAY] },
  );
  assert.equal(r.accepted, true);
  assert.equal(r.insnsProcessed, 53);
});
