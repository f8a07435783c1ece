import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { assembleClassic } from '../src/cbpf/asm.js';
import { SockFilter } from '../src/cbpf/instruction.js';
import { ClassicEnv, runClassic } from '../src/cbpf/interpreter.js';
import * as c from '../src/cbpf/opcodes.js';
import { translate } from '../src/cbpf/translate.js';
import { BpfError } from '../src/errno.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { HostInfo } from '../src/helpers/registry.js';
import { disassemble } from '../src/isa/disasm.js';
import { validate } from '../src/isa/validate.js';
import { portableHost } from '../src/runtime/host.js';
import { Runtime } from '../src/runtime/runtime.js';
import { Engine } from '../src/vm/execute.js';
import { ClassicFilter, frameProtocol, loopbackPktType } from '../src/cbpf/filter.js';
import { ethTypeTrans } from '../src/progtypes/sk-buff.js';
import { ARPHRD_LOOPBACK, classicProgram, frame, testRunEnv } from './cbpf-gen.js';

/**
 * translate(): classic programs become eBPF socket filters that the
 * interpreter and the JIT run with the results the classic interpreter
 * (runClassic, Linux's semantics) gives, on random programs and packets.
 */

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16));
const errno = (name: string, pattern: RegExp) => (e: unknown) => e instanceof BpfError && e.errno === name && pattern.test(e.message);

/** A host whose random numbers come from a seeded generator, so runs can be replayed. */
function seededHost(seed: number): HostInfo & { next: () => number } {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  return { ...portableHost(), randomU32: next, next };
}

/**
 * The translated program's test run on `engine`: what tsbpf's socket_filter
 * returns for this frame. Linux checks a classic filter with the classic
 * checker and runs its translation without the eBPF verifier (which would
 * refuse, say, the unreachable code a classic filter may have): so is it
 * loaded here.
 */
function viaEngine(prog: readonly SockFilter[], f: Uint8Array, engine: Engine, mark: number, seed: number): number {
  const rt = new Runtime({ helpers: linuxHelpers(), host: seededHost(seed) });
  const p = rt.loadProgram({ type: 1, unverified: true, insns: translate(prog, { hatype: ARPHRD_LOOPBACK }), engine });
  const ctx = new Uint8Array(192);
  new DataView(ctx.buffer).setUint32(8, mark, true);
  return p.testRun({ data: f, ctx }).retval;
}

/** runClassic with the environment of the same test run. */
function viaClassic(prog: readonly SockFilter[], f: Uint8Array, mark: number, seed: number, extra: Partial<ClassicEnv> = {}): number {
  const { packet, env } = testRunEnv(f, { mark, random: seededHost(seed).next, ...extra });
  return runClassic(prog, packet, env);
}

// Every ancillary load translate() supports; NLATTR, NLATTR_NEST and PAY_OFFSET call kernel functions no eBPF helper exposes.
const TRANSLATED_ANCILLARY = [
  c.SKF_AD_PROTOCOL, c.SKF_AD_PKTTYPE, c.SKF_AD_IFINDEX, c.SKF_AD_MARK, c.SKF_AD_QUEUE, c.SKF_AD_HATYPE, c.SKF_AD_RXHASH,
  c.SKF_AD_CPU, c.SKF_AD_ALU_XOR_X, c.SKF_AD_VLAN_TAG, c.SKF_AD_VLAN_TAG_PRESENT, c.SKF_AD_RANDOM, c.SKF_AD_VLAN_TPID,
];

test('property: translated programs return what runClassic returns, on the interpreter and the JIT', () => {
  const progs = classicProgram({ ancillary: TRANSLATED_ANCILLARY, negative: false, maxBody: 40 });
  fc.assert(
    fc.property(progs, frame, fc.nat(), fc.nat(), (prog, f, mark, seed) => {
      const want = viaClassic(prog, f, mark, seed);
      validate(translate(prog, { hatype: ARPHRD_LOOPBACK }));
      assert.equal(viaEngine(prog, f, 'interp', mark, seed), want, 'interpreter');
      assert.equal(viaEngine(prog, f, 'jit', mark, seed), want, 'jit');
    }),
    { numRuns: 300 },
  );
});

test('loads at SKF_NET_OFF / SKF_LL_OFF through the engines read the network and link-layer headers, as Linux does', () => {
  const progs = classicProgram({ ancillary: [], negative: 'all', maxBody: 20 });
  fc.assert(
    fc.property(progs, frame, (prog, f) => {
      const want = viaClassic(prog, f, 0, 1);
      assert.equal(viaEngine(prog, f, 'interp', 0, 1), want, 'interp');
      assert.equal(viaEngine(prog, f, 'jit', 0, 1), want, 'jit');
    }),
    { numRuns: 200 },
  );
});

test('ld [x + k] whose sum wraps at 32 bits, through the engines, wraps as in Linux (X = k = 0x80000000 reads byte 0)', () => {
  const prog = assembleClassic('ldx #0x80000000\nldb [x + 0x80000000]\nret a');
  const f = hex('025e42504601 000000000000 0806 42');
  assert.equal(viaClassic(prog, f, 0, 1), 0x42);
  assert.equal(viaEngine(prog, f, 'interp', 0, 1), 0x42);
  assert.equal(viaEngine(prog, f, 'jit', 0, 1), 0x42);
});

// ---------------------------------------------------------------- the shape of the translation

/** The translation of `text`, as the eBPF disassembler prints it, without the 3-instruction prologue. */
function body(text: string, opts = {}): string[] {
  const lines = disassemble(translate(assembleClassic(text.replace(/;/g, '\n')), opts)).trim().split('\n');
  assert.deepEqual(lines.slice(0, 3), ['w0 = 0', 'w7 = 0', 'r6 = r1']);
  return lines.slice(3);
}

test('translate: A is r0, X is r7, r6 the context, M[k] the stack word at r10 - (4k + 4)', () => {
  assert.deepEqual(body('ld #5;ldx #6;st M[0];stx M[3];ld M[3];ldx M[0];tax;txa;ret a'), [
    'w0 = 5', 'w7 = 6', '*(u32 *)(r10 - 4) = r0', '*(u32 *)(r10 - 16) = r7', 'r0 = *(u32 *)(r10 - 16)', 'r7 = *(u32 *)(r10 - 4)', 'r7 = r0', 'r0 = r7', 'exit',
  ]);
  // ld len: __sk_buff.len at offset 0
  assert.deepEqual(body('ld #len;ldx #len;ret #7'), ['r0 = *(u32 *)(r6 + 0)', 'r7 = *(u32 *)(r6 + 0)', 'w0 = 7', 'exit']);
});

test('translate: packet loads are LD_ABS / LD_IND; ldxb 4*([k]&0xf) keeps A in X meanwhile', () => {
  assert.deepEqual(body('ldh [12];ldb [x+3];ld [-1048576];ret a'), ['r0 = *(u16 *)skb[12]', 'r0 = *(u8 *)skb[r7 + 3]', 'r0 = *(u32 *)skb[-1048576]', 'exit']);
  assert.deepEqual(body('ldxb 4*([14]&0xf);ret a'), ['r7 = r0', 'r0 = *(u8 *)skb[14]', 'w0 &= 15', 'w0 <<= 2', 'r2 = r7', 'r7 = r0', 'r0 = r2', 'exit']);
});

test('translate: ALU ops keep their 32-bit opcodes; division and modulo by X check X first', () => {
  assert.deepEqual(body('add #1;sub x;neg;lsh #3;ret a'), ['w0 += 1', 'w0 -= w7', 'w0 = -w0', 'w0 <<= 3', 'exit']);
  // X = 0: A = 0 and return, as Linux's converted filter does
  assert.deepEqual(body('div x;ret a'), ['w7 = w7', 'if r7 != 0x0 goto +2', 'w0 ^= w0', 'exit', 'w0 /= w7', 'exit']);
  assert.deepEqual(body('mod x;ret a').slice(4, 5), ['w0 %= w7']);
});

test('translate: conditional jumps fold into one eBPF jump when jt or jf falls through, as Linux does', () => {
  const tail = ';r1: ret #1;r2: ret #2';
  // jf falls through: the jump as it is
  assert.deepEqual(body(`jeq #5, r2${tail}`).slice(0, 1), ['if r0 == 0x5 goto +2']);
  // jt falls through: jeq, jgt, jge become jne, jle, jlt to the jf target
  assert.deepEqual(body(`jeq #5, r1, r2${tail}`).slice(0, 1), ['if r0 != 0x5 goto +2']);
  assert.deepEqual(body(`jgt #5, r1, r2${tail}`).slice(0, 1), ['if r0 <= 0x5 goto +2']);
  assert.deepEqual(body(`jge x, r1, r2${tail}`).slice(0, 1), ['if r0 < r7 goto +2']);
  // jset has no inverse: a jump (over the ja, to jt) and a ja (to jf); so has a jump with both targets elsewhere
  assert.deepEqual(body(`jset #5, r1, r2${tail}`).slice(0, 2), ['if r0 & 0x5 goto +1', 'goto +2']);
  assert.deepEqual(body(`jeq #1, r2, r3;r1: ret #1;r2: ret #2;r3: ret #3`).slice(0, 2), ['if r0 == 0x1 goto +3', 'goto +4']);
  // a k with the top bit set is compared through r2, zero-extended (an eBPF immediate would sign-extend)
  assert.deepEqual(body(`jgt #0x80000000, r2${tail}`).slice(0, 2), ['w2 = -2147483648', 'if r0 > r2 goto +2']);
  assert.deepEqual(body('ja r2;r1: ret #1;r2: ret #2').slice(0, 1), ['goto +2']);
});

test('translate: ancillary loads read struct __sk_buff or call helpers', () => {
  assert.deepEqual(body('ld #proto;ret a'), ['r0 = *(u32 *)(r6 + 16)', 'r0 = be16 r0', 'exit']);
  assert.deepEqual(body('ld #vlan_tpid;ret a'), ['r0 = *(u32 *)(r6 + 28)', 'r0 = be16 r0', 'exit']);
  const field = (name: string) => body(`ld #${name};ret a`)[0];
  assert.deepEqual(
    ['type', 'ifidx', 'mark', 'queue', 'rxhash', 'vlan_tci', 'vlan_avail'].map(field),
    [4, 40, 8, 12, 68, 24, 20].map((off) => `r0 = *(u32 *)(r6 + ${off})`),
  );
  // helper 8 is get_smp_processor_id, 7 get_prandom_u32 (linux/bpf.h)
  assert.deepEqual(body('ld #cpu;ret a').slice(0, 1), ['call 8']);
  assert.deepEqual(body('ld #rand;ret a').slice(0, 1), ['call 7']);
  assert.deepEqual(body('ld #xor_x;ret a').slice(0, 1), ['w0 ^= w7']);
  assert.deepEqual(body('ld #hatype;ret a', { hatype: 1 }).slice(0, 1), ['w0 = 1']);
});

test('translate: what eBPF cannot express is refused, naming the instruction', () => {
  assert.throws(() => translate(assembleClassic('ld #0\nld #hatype\nret a')), errno('ENOTSUPP', /^insn 1: ld \[hatype\] needs the device type/));
  for (const name of ['nla', 'nlan', 'poff']) {
    assert.throws(() => translate(assembleClassic(`ld #${name}\nret a`)), errno('ENOTSUPP', new RegExp(`^insn 0: ld \\[${name}\\] has no eBPF equivalent`)));
  }
  // checked first: Linux translates only programs it accepts
  assert.throws(() => translate(assembleClassic('ld M[1]\nret a')), errno('EINVAL', /insn 0: M\[1\] may be read/));
  // the longest jump there can be: over 4094 ldxb, the longest expansion (7 instructions), still fits 16 bits
  const far = [{ code: 0x05, jt: 0, jf: 0, k: 4094 }, ...Array.from({ length: 4094 }, () => ({ code: 0xb1, jt: 0, jf: 0, k: 0 })), { code: 6, jt: 0, jf: 0, k: 0 }];
  assert.equal(translate(far)[3]!.off, 4094 * 7);
});

test('translate: seccomp filters read struct seccomp_data words from the context', () => {
  const insns = translate(assembleClassic('ld [4]\njeq #0xc000003e, ok\nret #0\nok: ld #len\nret a'), { kind: 'seccomp' });
  // AUDIT_ARCH_X86_64 has its top bit set: compared through r2
  assert.deepEqual(disassemble(insns).trim().split('\n').slice(3), ['r0 = *(u32 *)(r6 + 4)', 'w2 = -1073741762', 'if r0 == r2 goto +2', 'w0 = 0', 'exit', 'w0 = 64', 'exit']);
  assert.throws(() => translate(assembleClassic('ldh [4]\nret a'), { kind: 'seccomp' }), errno('EINVAL', /not allowed in a seccomp filter/));
});

// ---------------------------------------------------------------- ClassicFilter

test('ClassicFilter: frameProtocol and loopbackPktType are eth_type_trans as the test runs compute it', () => {
  fc.assert(
    fc.property(frame, (f) => {
      assert.deepEqual({ protocol: frameProtocol(f), pktType: loopbackPktType(f) }, ethTypeTrans(f));
    }),
  );
});

test('property: ClassicFilter on the JIT and the interpreter returns what runClassic returns, from the link or the network header', () => {
  const progs = classicProgram({ ancillary: TRANSLATED_ANCILLARY.filter((a) => a !== c.SKF_AD_RANDOM), negative: false, maxBody: 30 });
  fc.assert(
    fc.property(progs, fc.array(frame, { minLength: 1, maxLength: 4 }), fc.nat(), (prog, frames, mark) => {
      for (const layer of ['link', 'network'] as const) {
        const filters = (['jit', 'interp', 'classic'] as const).map((engine) => new ClassicFilter(prog, { engine, layer }));
        for (const f of frames) {
          const want = layer === 'link'
            ? runClassic(prog, f, { netOffset: 14, macOffset: 0, ...ethTypeTrans(f), ifindex: 1, hatype: ARPHRD_LOOPBACK, mark })
            : viaClassic(prog, f, mark, 1);
          for (const flt of filters) assert.equal(flt.run(f, { mark }), want, layer);
        }
      }
    }),
    { numRuns: 150 },
  );
});

test('ClassicFilter: refuses bad programs and frames', () => {
  assert.throws(() => new ClassicFilter(assembleClassic('ld M[0]\nret a')), errno('EINVAL', /M\[0\]/));
  assert.throws(() => new ClassicFilter(assembleClassic('ret #1')).run(new Uint8Array(13)), errno('EINVAL', /a frame must have 14 to 65535 bytes, not 13/));
  // a tcpdump program (offsets from the Ethernet header) on the link layer
  const ipv4 = hex('ffffffffffff 001122334455 0800 4500001400000000 40060000 0a000001 0a000002');
  const prog = assembleClassic('ldh [12]\njeq #0x800, ip, drop\nip: ld [26]\njeq #0x0a000001, keep, drop\nkeep: ret #65535\ndrop: ret #0');
  assert.equal(new ClassicFilter(prog).run(ipv4), 65535);
  assert.equal(new ClassicFilter(prog, { layer: 'network' }).run(ipv4), 0);
});
