import fc from 'fast-check';
import { AD_BASE } from '../src/cbpf/ancillary.js';
import { SockFilter } from '../src/cbpf/instruction.js';
import * as c from '../src/cbpf/opcodes.js';
import { ethTypeTrans } from '../src/progtypes/sk-buff.js';
import { ClassicEnv } from '../src/cbpf/interpreter.js';

/**
 * Random valid classic programs and Ethernet frames for the property tests
 * of test/cbpf-*.test.ts. Programs are valid by construction: jumps go
 * forward inside the program, constant divisors are not zero, shifts are
 * below 32, and M[] words are read only after a prologue that writes them,
 * so Linux's checks (and check.ts) accept every one.
 */

export interface GenOptions {
  /** SKF_AD_* fields the programs may load */
  ancillary: readonly number[];
  /**
   * whether loads may use SKF_NET_OFF / SKF_LL_OFF offsets (from 0 upward):
   * 'abs' only in `ld [k]`, 'all' in `ld [x + k]` too (where X may move them
   * before the header, into the headroom)
   */
  negative: false | 'abs' | 'all';
  /** instructions between the prologue and the final return */
  maxBody: number;
}

/** Constants: edges, small numbers, anything. */
export const u32 = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 4, 14, 0xff, 0x100, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff),
  fc.nat({ max: 80 }),
  fc.integer({ min: 0, max: 0xffffffff }),
);

interface Slot {
  pick: number;
  k: number;
  v: number;
  jt: number;
  jf: number;
  size: number;
}

const slot = fc.record({
  pick: fc.nat({ max: 99 }),
  k: u32,
  v: fc.nat({ max: 0xffff }),
  // offsets: often 0 (fall through, the case translate() folds) or short
  jt: fc.oneof(fc.constantFrom(0, 0, 1, 2), fc.nat({ max: 255 })),
  jf: fc.oneof(fc.constantFrom(0, 0, 1, 2), fc.nat({ max: 255 })),
  size: fc.constantFrom(c.BPF_W, c.BPF_H, c.BPF_B),
});

const ALU_OPS = [c.BPF_ADD, c.BPF_SUB, c.BPF_MUL, c.BPF_DIV, c.BPF_MOD, c.BPF_AND, c.BPF_OR, c.BPF_XOR, c.BPF_LSH, c.BPF_RSH];
const JMP_OPS = [c.BPF_JEQ, c.BPF_JGT, c.BPF_JGE, c.BPF_JSET];
const ins = (code: number, k = 0, jt = 0, jf = 0): SockFilter => ({ code, jt, jf, k: k >>> 0 });

/** The instruction for one slot at index `p` of a program of `total` instructions. */
function build(s: Slot, p: number, total: number, words: readonly number[], o: GenOptions): SockFilter {
  const ahead = total - p - 2; // the longest forward jump that stays inside
  const pick = s.pick;
  if (pick < 14) return ins(c.BPF_LD | s.size | c.BPF_ABS, s.v % 72);
  if (pick < 20) return ins(c.BPF_LD | s.size | c.BPF_IND, s.v % 48);
  if (pick < 23) return ins(c.BPF_LDX | c.BPF_B | c.BPF_MSH, s.v % 48);
  if (pick < 28) return ins((s.v & 1 ? c.BPF_LDX : c.BPF_LD) | c.BPF_IMM, s.v & 2 ? s.v % 64 : s.k);
  if (pick < 30) return ins((s.v & 1 ? c.BPF_LDX : c.BPF_LD) | c.BPF_W | c.BPF_LEN);
  if (pick < 33) return ins(s.v & 1 ? c.BPF_STX : c.BPF_ST, s.v % c.BPF_MEMWORDS);
  if (pick < 36 && words.length) return ins((s.v & 1 ? c.BPF_LDX : c.BPF_LD) | c.BPF_MEM, words[s.v % words.length]!);
  if (pick < 50) return aluK(ALU_OPS[s.v % ALU_OPS.length]!, s.k);
  if (pick < 58) return ins(c.BPF_ALU | ALU_OPS[s.v % ALU_OPS.length]! | c.BPF_X);
  if (pick < 63) return ins([c.BPF_ALU | c.BPF_NEG, c.BPF_MISC | c.BPF_TAX, c.BPF_MISC | c.BPF_TXA][s.v % 3]!);
  if (pick < 80) {
    const code = c.BPF_JMP | JMP_OPS[s.v % 4]! | (s.v & 4 ? c.BPF_X : c.BPF_K);
    // X-form jumps keep k 0, as compilers emit them (Linux ignores it; the -d listing does not show it)
    return ins(code, code & c.BPF_X ? 0 : s.v & 8 ? s.v % 4 : s.k, s.jt % (Math.min(ahead, 255) + 1), s.jf % (Math.min(ahead, 255) + 1));
  }
  if (pick < 84) return ins(c.BPF_JMP | c.BPF_JA, s.v % (ahead + 1));
  if (pick < 92 && o.ancillary.length) return ins(c.BPF_LD | s.size | c.BPF_ABS, AD_BASE + o.ancillary[s.v % o.ancillary.length]!);
  if (pick < 96 && o.negative) {
    const base = s.v & 1 ? c.SKF_NET_OFF : c.SKF_LL_OFF;
    const mode = s.v & 2 && o.negative === 'all' ? c.BPF_IND : c.BPF_ABS;
    return ins(c.BPF_LD | s.size | mode, base + ((s.v >> 2) % 60));
  }
  return s.v & 1 ? ins(c.BPF_RET | c.BPF_A) : ins(c.BPF_RET | c.BPF_K, s.k);
}

/** ALU with a constant, made valid: no division by zero, shifts below 32. */
function aluK(op: number, k: number): SockFilter {
  if ((op === c.BPF_DIV || op === c.BPF_MOD) && k === 0) k = 1;
  if (op === c.BPF_LSH || op === c.BPF_RSH) k %= 32;
  return ins(c.BPF_ALU | op | c.BPF_K, k);
}

/** A valid classic program: a prologue writing some M[] words, a random body, a return. */
export function classicProgram(o: GenOptions): fc.Arbitrary<SockFilter[]> {
  const init = fc.uniqueArray(fc.nat({ max: 15 }), { maxLength: 4 });
  return fc
    .tuple(init, fc.array(u32, { minLength: 4, maxLength: 4 }), fc.array(slot, { maxLength: o.maxBody }), fc.boolean(), u32)
    .map(([words, values, slots, retA, k]) => {
      const prologue = words.flatMap((w, i) => [ins(c.BPF_LD | c.BPF_IMM, values[i]), ins(c.BPF_ST, w)]);
      const total = prologue.length + slots.length + 1;
      const body = slots.map((s, i) => build(s, prologue.length + i, total, words, o));
      return [...prologue, ...body, retA ? ins(c.BPF_RET | c.BPF_A) : ins(c.BPF_RET | c.BPF_K, k)];
    });
}

/** Packet bytes: often 0, 1, 2 or 0xff, so loads often equal the small constants jumps compare with. */
const byte = fc.oneof(fc.constantFrom(0, 1, 2, 0xff), fc.nat({ max: 255 }));

/**
 * An Ethernet frame a socket filter test run accepts: 14 to 90 bytes, with
 * an IPv4 or IPv6 EtherType only when the frame holds that header.
 */
export const frame = fc
  .tuple(fc.array(byte, { minLength: 14, maxLength: 90 }), fc.constantFrom(0x0800, 0x86dd, 0x0806, 0x8100, -1))
  .map(([bytes, type]) => {
    const f = Uint8Array.from(bytes);
    const room = f.length - 14;
    const t = type === 0x0800 && room < 20 ? 0x0806 : type === 0x86dd && room < 40 ? 0x0806 : type;
    if (t >= 0) {
      f[12] = t >> 8;
      f[13] = t & 0xff;
    } else if (((f[12]! << 8) | f[13]!) === 0x0800 || ((f[12]! << 8) | f[13]!) === 0x86dd) {
      f[12] = 0x08;
      f[13] = 0x06;
    }
    return f;
  });

/** NET_SKB_PAD: the zeroed headroom Linux's test run puts before the frame. */
export const TEST_RUN_HEADROOM = 64;
/** ARPHRD_LOOPBACK: the test run's device is the loopback device. */
export const ARPHRD_LOOPBACK = 772;

/**
 * What a socket filter sees in BPF_PROG_TEST_RUN (Linux's and tsbpf's):
 * the packet from the network header, the Ethernet header and the zeroed
 * headroom before it, the loopback device (ifindex 1), eth_type_trans's
 * protocol and packet type.
 */
export function testRunEnv(f: Uint8Array, extra: Partial<ClassicEnv> = {}): { packet: Uint8Array; env: ClassicEnv } {
  const headroom = new Uint8Array(TEST_RUN_HEADROOM + 14);
  headroom.set(f.subarray(0, 14), TEST_RUN_HEADROOM);
  const { protocol, pktType } = ethTypeTrans(f);
  return {
    packet: f.subarray(14),
    env: { headroom, netOffset: 0, macOffset: -14, protocol, pktType, ifindex: 1, hatype: ARPHRD_LOOPBACK, ...extra },
  };
}
