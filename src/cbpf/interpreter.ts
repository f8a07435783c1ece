import { SockFilter } from './instruction.js';
import { checkSocketFilter, SECCOMP_LD_DATA } from './check.js';
import * as c from './opcodes.js';

/**
 * A direct interpreter of classic BPF with the semantics Linux gives a
 * socket filter: A and X start at 0, arithmetic is on unsigned 32 bits,
 * shifts by X use its low 5 bits, division or modulo by X = 0 and a packet
 * load outside the packet end the filter with 0, negative offsets reach the
 * network (SKF_NET_OFF) and link-layer (SKF_LL_OFF) headers, and SKF_AD_*
 * offsets read the ancillary values of `ClassicEnv`. It is the reference the
 * translation to eBPF (translate.ts) is tested against.
 */

/** What a socket filter can see besides the packet bytes: the skb and its device. */
export interface ClassicEnv {
  /** skb->len: `ld len` (default: the packet's length) */
  len?: number;
  /** skb->protocol in host order, e.g. 0x0800 (SKF_AD_PROTOCOL) */
  protocol?: number;
  /** skb->pkt_type: PACKET_HOST 0 … PACKET_OUTGOING 4 */
  pktType?: number;
  /** the device's ifindex */
  ifindex?: number;
  /** the device's type, ARPHRD_* (1 Ethernet, 772 loopback) */
  hatype?: number;
  /**
   * no device (skb->dev NULL): Linux's converted filter then ends at an
   * ifindex or hatype load, returning A as it is
   */
  noDevice?: boolean;
  mark?: number;
  /** skb->queue_mapping */
  queue?: number;
  /** skb->hash */
  rxhash?: number;
  cpu?: number;
  /** an offloaded VLAN tag: its TCI, whether there is one, its TPID (e.g. 0x8100) */
  vlanTci?: number;
  vlanPresent?: boolean;
  vlanTpid?: number;
  /**
   * SKF_AD_PAY_OFFSET: the transport payload's offset, which Linux gets from
   * its flow dissector; this interpreter does not dissect, so it is given
   * (default 0)
   */
  payOffset?: number;
  /** SKF_AD_RANDOM: a u32 per call (default Math.random) */
  random?: () => number;
  /** bytes before packet[0] that negative offsets may reach (skb->head to skb->data) */
  headroom?: Uint8Array;
  /** where the network header starts, relative to packet[0] (SKF_NET_OFF); default 0 */
  netOffset?: number;
  /** where the link-layer header starts, relative to packet[0] (SKF_LL_OFF); absent: not set, such loads fail */
  macOffset?: number;
}

/** Where a running classic program gets its data from. */
export interface ClassicSource {
  /** `size` big-endian bytes at offset k (signed), or undefined when they are out of reach */
  load(k: number, size: number): number | undefined;
  /** `ld len` */
  readonly len: number;
  /** an ancillary value; undefined ends the program returning A */
  ancillary(off: number, a: number, x: number): number | undefined;
  /** a host-order u32 of the context at byte k (seccomp's loads) */
  word(k: number): number;
}

/** Run a socket filter on a packet: the number of bytes to keep (0 drops it). Throws EINVAL for a program Linux refuses. */
export function runClassic(prog: readonly SockFilter[], packet: Uint8Array, env: ClassicEnv = {}): number {
  checkSocketFilter(prog);
  return execClassic(prog, socketSource(packet, env));
}

const SIZE_BYTES: Readonly<Record<number, number>> = { [c.BPF_W]: 4, [c.BPF_H]: 2, [c.BPF_B]: 1 };

/**
 * Run a program that has passed the checks (forward jumps only, so it
 * ends within prog.length steps). Returns the u32 it returns.
 */
export function execClassic(prog: readonly SockFilter[], src: ClassicSource): number {
  let a = 0;
  let x = 0;
  const mem = new Uint32Array(c.BPF_MEMWORDS);
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf } = prog[pc]!;
    const k = prog[pc]!.k >>> 0;
    switch (c.BPF_CLASS(code)) {
      case c.BPF_LD: {
        const v = loadA(code, k, x, a, mem, src);
        if (v === undefined) return 0;
        if (v === EXIT_A) return a;
        a = v;
        break;
      }
      case c.BPF_LDX: {
        // seccomp's `ld [k]`, rewritten to BPF_LDX | BPF_ABS, loads A
        if (code === SECCOMP_LD_DATA) {
          a = src.word(k);
          break;
        }
        const v = loadX(code, k, mem, src);
        if (v === undefined) return 0;
        x = v;
        break;
      }
      case c.BPF_ST:
        mem[k] = a;
        break;
      case c.BPF_STX:
        mem[k] = x;
        break;
      case c.BPF_ALU: {
        const v = alu(code, a, c.BPF_SRC(code) === c.BPF_X ? x : k);
        if (v === undefined) return 0;
        a = v;
        break;
      }
      case c.BPF_JMP:
        pc += code === (c.BPF_JMP | c.BPF_JA) ? k : jump(code, a, c.BPF_SRC(code) === c.BPF_X ? x : k) ? jt : jf;
        break;
      case c.BPF_RET:
        return c.BPF_RVAL(code) === c.BPF_A ? a : k;
      default:
        if (code === (c.BPF_MISC | c.BPF_TAX)) x = a;
        else a = x;
    }
  }
  return 0;
}

/** Marks the ancillary result "end the program, returning A". */
const EXIT_A = -1;

function loadA(code: number, k: number, x: number, a: number, mem: Uint32Array, src: ClassicSource): number | undefined {
  const size = SIZE_BYTES[c.BPF_SIZE(code)]!;
  switch (c.BPF_MODE(code)) {
    case c.BPF_IMM:
      return k;
    case c.BPF_LEN:
      return src.len >>> 0;
    case c.BPF_MEM:
      return mem[k]!;
    case c.BPF_IND:
      return src.load((x + k) | 0, size);
    default:
      if (k >= AD_OFF) return src.ancillary(k - AD_OFF, a, x) ?? EXIT_A;
      return src.load(k | 0, size);
  }
}

const AD_OFF = c.SKF_AD_OFF >>> 0;

function loadX(code: number, k: number, mem: Uint32Array, src: ClassicSource): number | undefined {
  switch (c.BPF_MODE(code)) {
    case c.BPF_IMM:
      return k;
    case c.BPF_LEN:
      return src.len >>> 0;
    case c.BPF_MEM:
      return mem[k]!;
    case c.BPF_MSH: {
      const b = src.load(k | 0, 1);
      return b === undefined ? undefined : (b & 0xf) << 2;
    }
    default:
      throw new Error(`unreachable: LDX code 0x${code.toString(16)} in a checked program`);
  }
}

/** 32-bit ALU; undefined for division or modulo by zero (the filter returns 0). */
function alu(code: number, a: number, v: number): number | undefined {
  switch (c.BPF_OP(code)) {
    case c.BPF_ADD:
      return (a + v) >>> 0;
    case c.BPF_SUB:
      return (a - v) >>> 0;
    case c.BPF_MUL:
      return Math.imul(a, v) >>> 0;
    case c.BPF_DIV:
      return v === 0 ? undefined : Math.floor(a / v) >>> 0;
    case c.BPF_MOD:
      return v === 0 ? undefined : a % v;
    case c.BPF_OR:
      return (a | v) >>> 0;
    case c.BPF_AND:
      return (a & v) >>> 0;
    case c.BPF_XOR:
      return (a ^ v) >>> 0;
    case c.BPF_LSH:
      return (a << (v & 31)) >>> 0;
    case c.BPF_RSH:
      return a >>> (v & 31);
    default:
      return -a >>> 0;
  }
}

function jump(code: number, a: number, v: number): boolean {
  switch (c.BPF_OP(code)) {
    case c.BPF_JEQ:
      return a === v;
    case c.BPF_JGT:
      return a > v;
    case c.BPF_JGE:
      return a >= v;
    default:
      return (a & v) !== 0;
  }
}

// ---------------------------------------------------------------- socket filters

/**
 * The bytes a socket filter's loads reach, addressed from packet[0]
 * (skb->data): the packet itself and, at negative positions, the headroom
 * (skb->head … skb->data).
 */
export function socketSource(packet: Uint8Array, env: ClassicEnv): ClassicSource {
  const head = env.headroom ?? new Uint8Array(0);
  const byteAt = (pos: number): number => (pos < 0 ? head[head.length + pos]! : packet[pos]!);
  const load = (k: number, size: number): number | undefined => {
    const pos = position(k, env);
    if (pos === undefined || pos < -head.length || pos + size > packet.length) return undefined;
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + byteAt(pos + i);
    return v;
  };
  return {
    load,
    len: env.len ?? packet.length,
    ancillary: (off, a, x) => ancillaryValue(off, a, x, packet, env),
    word: () => 0,
  };
}

/**
 * Where a load at signed offset k points, relative to packet[0]: k itself
 * when k ≥ 0; from the network header for SKF_NET_OFF + n; from the
 * link-layer header for SKF_LL_OFF + n (undefined when it is not set);
 * undefined below SKF_LL_OFF (bpf_internal_load_pointer_neg_helper).
 */
function position(k: number, env: ClassicEnv): number | undefined {
  if (k >= 0) return k;
  if (k >= c.SKF_NET_OFF) return (env.netOffset ?? 0) + k - c.SKF_NET_OFF;
  if (k >= c.SKF_LL_OFF && env.macOffset !== undefined) return env.macOffset + k - c.SKF_LL_OFF;
  return undefined;
}

function ancillaryValue(off: number, a: number, x: number, packet: Uint8Array, env: ClassicEnv): number | undefined {
  switch (off) {
    case c.SKF_AD_PROTOCOL:
      return (env.protocol ?? 0) & 0xffff;
    case c.SKF_AD_PKTTYPE:
      return (env.pktType ?? 0) & 7;
    case c.SKF_AD_IFINDEX:
      return env.noDevice ? undefined : (env.ifindex ?? 0) >>> 0;
    case c.SKF_AD_HATYPE:
      return env.noDevice ? undefined : (env.hatype ?? 0) & 0xffff;
    case c.SKF_AD_NLATTR:
      return nlattr(packet, a, x);
    case c.SKF_AD_NLATTR_NEST:
      return nlattrNest(packet, a, x);
    case c.SKF_AD_MARK:
      return (env.mark ?? 0) >>> 0;
    case c.SKF_AD_QUEUE:
      return (env.queue ?? 0) & 0xffff;
    case c.SKF_AD_RXHASH:
      return (env.rxhash ?? 0) >>> 0;
    case c.SKF_AD_CPU:
      return (env.cpu ?? 0) >>> 0;
    case c.SKF_AD_ALU_XOR_X:
      return (a ^ x) >>> 0;
    case c.SKF_AD_VLAN_TAG:
      return (env.vlanTci ?? 0) & 0xffff;
    case c.SKF_AD_VLAN_TAG_PRESENT:
      return env.vlanPresent ? 1 : 0;
    case c.SKF_AD_PAY_OFFSET:
      return (env.payOffset ?? 0) >>> 0;
    case c.SKF_AD_RANDOM:
      return (env.random?.() ?? Math.floor(Math.random() * 0x100000000)) >>> 0;
    default:
      return (env.vlanTpid ?? 0) & 0xffff;
  }
}

// ---------------------------------------------------------------- netlink attributes

/** struct nlattr: u16 nla_len, u16 nla_type, in host (little-endian) order. */
const NLA_HDRLEN = 4;
/** nla_type without NLA_F_NESTED and NLA_F_NET_BYTEORDER */
const NLA_TYPE_MASK = 0x3fff;
const u16le = (p: Uint8Array, at: number): number => p[at]! | (p[at + 1]! << 8);

/** nla_find over [start, start + rem): the offset of the first attribute of `type`, or 0. */
function nlaFind(p: Uint8Array, start: number, rem: number, type: number): number {
  let pos = start;
  while (rem >= NLA_HDRLEN) {
    const len = u16le(p, pos);
    if (len < NLA_HDRLEN || len > rem) return 0;
    if ((u16le(p, pos + 2) & NLA_TYPE_MASK) === type) return pos;
    const step = (len + 3) & ~3;
    pos += step;
    rem -= step;
  }
  return 0;
}

/** SKF_AD_NLATTR: the attribute of type X among those starting at offset A. */
function nlattr(p: Uint8Array, a: number, x: number): number {
  if (p.length < NLA_HDRLEN || a > p.length - NLA_HDRLEN) return 0;
  return nlaFind(p, a, p.length - a, x);
}

/** SKF_AD_NLATTR_NEST: the attribute of type X nested in the one at offset A. */
function nlattrNest(p: Uint8Array, a: number, x: number): number {
  if (p.length < NLA_HDRLEN || a > p.length - NLA_HDRLEN) return 0;
  const len = u16le(p, a);
  if (len > p.length - a) return 0;
  return nlaFind(p, a + NLA_HDRLEN, len - NLA_HDRLEN, x);
}
