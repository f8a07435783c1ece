import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble } from '../src/isa/asm.js';
import { verify } from '../src/verifier/index.js';

/**
 * The verifier log, character for character against logs Linux 6.18 wrote
 * for the same programs (captured with ../shared/tools/kernel-oracle.py; at
 * level 2 without the lines only 6.18's static liveness prints — `func#0
 * @0`, `Live regs before insn:` and its table, `(0) frame 0 insn N
 * +written`, `live stack update`).
 */

const xdp = (text: string, logLevel: number) => verify({ insns: assemble(text), type: 6 }, { logLevel });

const BRANCH = `
r0 = 0
r2 = *(u32 *)(r1 + 0)
if r2 == 0 goto +1
exit
r0 = *(u64 *)(r2 + 0)
exit`;

test('level 1: the failing path, with Linux\'s alignment and its reset quirk', () => {
  // Linux takes back the first path's lines by cutting the log where the
  // branch was pushed: in the middle of the jump's line, which is why "4: ..."
  // follows the jump on the same line.
  assert.equal(
    xdp(BRANCH, 1).log,
    [
      '0: R1=ctx() R10=fp0',
      '0: (b7) r0 = 0                        ; R0=0',
      '1: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2=pkt(r=0)',
      '2: (15) if r2 == 0x0 goto pc+1 4: R0=0 R1=ctx() R2=pkt(r=0) R10=fp0',
      '4: (79) r0 = *(u64 *)(r2 +0)',
      'invalid access to packet, off=0 size=8, R2(id=0,off=0,r=0)',
      'R2 offset is outside of the packet',
      'processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
      '',
    ].join('\n'),
  );
});

test('level 2: every path, the branch states, calls and returns', () => {
  const r = xdp('r0 = 0\nr1 = 5\ncall f\nexit\nf:\nr2 = r10\n*(u64 *)(r10 - 8) = r1\nr0 = r1\nexit', 2);
  assert.equal(
    r.log,
    [
      '0: R1=ctx() R10=fp0',
      '0: (b7) r0 = 0                        ; R0=0',
      '1: (b7) r1 = 5                        ; R1=5',
      '2: (85) call pc+1',
      'caller:',
      ' R10=fp0',
      'callee:',
      ' frame1: R1=5 R10=fp0',
      '4: frame1: R1=5 R10=fp0',
      '4: (bf) r2 = r10                      ; frame1: R2=fp0 R10=fp0',
      '5: (7b) *(u64 *)(r10 -8) = r1         ; frame1: R1=5 R10=fp0 fp-8=5',
      '6: (bf) r0 = r1                       ; frame1: R0=5 R1=5',
      '7: (95) exit',
      'returning from callee:',
      ' frame1: R0=5 R1=5 R2=fp0 R10=fp0 fp-8=5',
      'to caller at 3:',
      ' R0=5 R10=fp0',
      '',
      'from 7 to 3: R0=5 R10=fp0',
      '3: (95) exit',
      'processed 8 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0',
      '',
    ].join('\n'),
  );
});

test('level 2: precision backtracking, and an endless loop with the states it repeats', () => {
  const r = xdp('r0 = 0\nl: goto l', 2);
  assert.equal(r.error?.message, 'infinite loop detected at insn 1');
  assert.equal(r.insnsProcessed, 9);
  assert.match(r.log, /\ninfinite loop detected at insn 1\ncur state: R0=0 R1=ctx\(\) R10=fp0\nold state: R0=0 R1=ctx\(\) R10=fp0\n/);
  const loop = xdp('r0 = 0\nr1 = 0\nl: r1 += 1\nif r1 < 3 goto l\nexit', 2);
  assert.equal(loop.insnsProcessed, 9);
  assert.match(loop.log, /\n3: \(a5\) if r1 < 0x3 goto pc-2\nmark_precise: frame0: last_idx 3 first_idx 0 subseq_idx -1 \nmark_precise: frame0: regs=r1 stack= before 2: \(07\) r1 \+= 1\nmark_precise: frame0: regs=r1 stack= before 1: \(b7\) r1 = 0\n3: R1=1\n/);
});

test('level 0 writes nothing', () => {
  assert.equal(xdp(BRANCH, 0).log, '');
});

test('scalar ids: a copy keeps its id across a kept state (6.18 does not clear singular ids)', () => {
  const ARRAY = { type: 2, keySize: 4, valueSize: 16, maxEntries: 4 };
  const text = 'call 7\nr7 = r0\n*(u32 *)(r10 - 4) = 5\nr2 = r10\nr2 += -4\nr1 = map[idx:0] ll\ncall 1\nif r0 == 0 goto out\nr1 = r7\nif r1 > 7 goto out\nr0 += r1\nr0 = *(u64 *)(r0 + 8)\nout:\nr0 = 0\nexit';
  const r = verify({ insns: assemble(text), type: 1 }, { mapsByIndex: [ARRAY], logLevel: 1 });
  // Linux: r7 got id=1 at insn 1 and still has it at insn 9, after the state kept at insn 8
  assert.ok(r.log.includes('9: (bf) r1 = r7                       ; R1=scalar(id=1) R7=scalar(id=1)\n'), r.log);
  assert.equal(r.insnsProcessed, 12);
});

test('a variable-offset stack read of a spilled zero is unknown bytes, and shows the slot it looked at', () => {
  const text = 'call 7\nr6 = r0\nr6 &= 1\nr1 = 0\n*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r1\nr1 = r10\nr1 += -16\nr1 += r6\nr0 = *(u8 *)(r1 + 0)\nr0 = 0\nexit';
  const r = verify({ insns: assemble(text), type: 1 }, { logLevel: 2 });
  assert.ok(r.log.includes('9: (71) r0 = *(u8 *)(r1 +0)           ; R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff)) R1=fp(off=-16,smin=smin32=0,smax=umax=smax32=umax32=1,var_off=(0x0; 0x1)) fp-16=0\n'), r.log);
});
