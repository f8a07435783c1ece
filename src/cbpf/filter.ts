import { BpfError } from '../errno.js';
import { HelperRegistry, KernelEnv } from '../helpers/registry.js';
import { getPrandomU32, getSmpProcessorId } from '../helpers/task.js';
import { ETH_HLEN, SK_BUFF_SIZE, SKB } from '../progtypes/sk-buff.js';
import { Engine, EngineInstance, createEngine } from '../vm/execute.js';
import { AddressSpace, Region } from '../vm/memory.js';
import { checkSocketFilter } from './check.js';
import { SockFilter } from './instruction.js';
import { ClassicEnv, execClassic, socketSource } from './interpreter.js';
import { translate } from './translate.js';

/**
 * A classic filter compiled once and run on many frames: the way a packet
 * socket filters what it receives, and the way `tsbpf pcap` and `tsbpf cbpf
 * run` filter frames. The program is translated to eBPF and run on the
 * interpreter or the JIT with a `struct __sk_buff` context and LD_ABS
 * reading the frame; 'classic' runs it on the classic interpreter instead.
 *
 * The layer says where offset 0 is: 'link' (the default), the Ethernet
 * header, as on an AF_PACKET socket and as tcpdump filters expect;
 * 'network', the network header, as a socket filter on an IP socket and
 * Linux's BPF_PROG_TEST_RUN see it (`ld len` then counts from there too).
 * The device is the loopback device (ifindex 1, ARPHRD_LOOPBACK), as in
 * Linux's test runs; the protocol and packet type are what eth_type_trans
 * gives the frame there.
 */

export type FilterEngine = Engine | 'classic';

export interface FilterOptions {
  engine?: FilterEngine;
  layer?: 'link' | 'network';
  /** instruction budget of one run (default: the engines' default) */
  budget?: number;
  /**
   * the kernel side of a Runtime, for SKF_AD_CPU (its cpu) and SKF_AD_RANDOM
   * (its host's randomU32); without it the CPU is 0 and random numbers come
   * from Math.random
   */
  kernel?: KernelEnv;
}

/** What a frame carries besides its bytes. */
export interface FrameMeta {
  /** skb->mark */
  mark?: number;
}

/** The loopback device of Linux's test runs. */
export const LOOPBACK = { ifindex: 1, hatype: 772 } as const;

/** The largest frame a run takes (a 64 KiB packet). */
const MAX_FRAME = 65535;

export class ClassicFilter {
  readonly prog: readonly SockFilter[];
  private readonly layer: 'link' | 'network';
  private readonly engine: FilterEngine;
  private readonly space = new AddressSpace({ maxBytes: 4 << 20 });
  private readonly vm: EngineInstance | undefined;
  private readonly ctx: number;
  private readonly buf: number;
  private readonly ctxRegion: Region;
  private readonly kernel: KernelEnv | undefined;
  // views of the memory, which never grows after the constructor
  private readonly u8: Uint8Array;
  private readonly dv: DataView;
  // what each run passes, kept so the engines see the same objects every time
  private readonly args: bigint[];
  private readonly regions: Region[];
  private readonly packet: Region = { start: 0, end: 0, writable: false, name: 'packet' };
  /** the classic interpreter's environment, updated for each frame */
  private readonly env: ClassicEnv;

  constructor(prog: readonly SockFilter[], options: FilterOptions = {}) {
    checkSocketFilter(prog);
    this.prog = prog;
    this.layer = options.layer ?? 'link';
    this.engine = options.engine ?? 'jit';
    this.kernel = options.kernel;
    this.ctx = this.space.alloc(SK_BUFF_SIZE);
    this.buf = this.space.alloc(MAX_FRAME);
    this.ctxRegion = { start: this.ctx, end: this.ctx + SK_BUFF_SIZE, writable: false, name: 'ctx (struct __sk_buff)' };
    if (this.engine !== 'classic') {
      const insns = translate(prog, { hatype: LOOPBACK.hatype });
      const helpers = new HelperRegistry([getPrandomU32, getSmpProcessorId]);
      this.vm = createEngine(this.engine, insns, { space: this.space, helpers, budget: options.budget });
    }
    this.u8 = this.space.bytes;
    this.dv = new DataView(this.space.memory.buffer);
    this.args = [BigInt(this.ctx)];
    this.regions = [this.ctxRegion];
    this.env = this.classicEnv();
  }

  /** The filter's verdict for one Ethernet frame: how many bytes to keep (0: drop). */
  run(frame: Uint8Array, meta: FrameMeta = {}): number {
    if (frame.length < ETH_HLEN || frame.length > MAX_FRAME) {
      throw new BpfError('EINVAL', `a frame must have ${ETH_HLEN} to ${MAX_FRAME} bytes, not ${frame.length}`);
    }
    const eth = { protocol: frameProtocol(frame), pktType: loopbackPktType(frame) };
    if (!this.vm) return this.runClassic(frame, eth, meta);
    const start = this.buf + (this.layer === 'link' ? 0 : ETH_HLEN);
    const end = this.buf + frame.length;
    this.u8.set(frame, this.buf);
    this.fillCtx(end - start, eth, meta);
    this.packet.start = start;
    this.packet.end = end;
    return Number(this.vm.run(this.args, this.regions, { packet: this.packet, kernel: this.kernel }) & 0xffffffffn);
  }

  /** The __sk_buff fields a classic filter can load; the rest stay 0. */
  private fillCtx(len: number, eth: { protocol: number; pktType: number }, meta: FrameMeta): void {
    const dv = this.dv;
    const at = this.ctx;
    dv.setUint32(at + SKB.len!, len, true);
    dv.setUint32(at + SKB.pkt_type!, eth.pktType, true);
    dv.setUint32(at + SKB.mark!, (meta.mark ?? 0) >>> 0, true);
    // __sk_buff.protocol holds the __be16: its bytes in network order
    dv.setUint32(at + SKB.protocol!, ((eth.protocol >> 8) | ((eth.protocol & 0xff) << 8)) >>> 0, true);
    dv.setUint32(at + SKB.ifindex!, LOOPBACK.ifindex, true);
  }

  /**
   * The loopback device, the kernel's CPU and random numbers; for the
   * network view also the Ethernet header before the packet, after Linux's
   * test-run headroom (64 zero bytes).
   */
  private classicEnv(): ClassicEnv {
    const host = this.kernel?.host;
    const env: ClassicEnv = { ...LOOPBACK, cpu: this.kernel?.cpu, random: host && (() => host.randomU32()) };
    if (this.layer === 'link') return { ...env, netOffset: ETH_HLEN, macOffset: 0 };
    return { ...env, headroom: new Uint8Array(64 + ETH_HLEN), netOffset: 0, macOffset: -ETH_HLEN };
  }

  private runClassic(frame: Uint8Array, eth: { protocol: number; pktType: number }, meta: FrameMeta): number {
    const env = this.env;
    env.protocol = eth.protocol;
    env.pktType = eth.pktType;
    env.mark = meta.mark;
    // the program was checked once, in the constructor
    if (this.layer === 'link') return execClassic(this.prog, socketSource(frame, env));
    env.headroom!.set(frame.subarray(0, ETH_HLEN), 64);
    return execClassic(this.prog, socketSource(frame.subarray(ETH_HLEN), env));
  }
}

/**
 * eth_type_trans's skb->protocol (as progtypes/sk-buff.ts ethTypeTrans, without
 * allocating): the EtherType, or for an 802.3 length field ETH_P_802_3 (1)
 * before a raw IPX 0xffff header, else ETH_P_802_2 (4).
 */
export function frameProtocol(f: Uint8Array): number {
  const type = (f[12]! << 8) | f[13]!;
  if (type >= 0x600) return type;
  return f[14] === 0xff && f[15] === 0xff ? 0x0001 : 0x0004;
}

/**
 * eth_type_trans's packet type on the loopback device, whose address and
 * broadcast address are all zeros: PACKET_HOST (0) for an all-zero
 * destination, PACKET_MULTICAST (2) for a group address (ff:ff:… included),
 * else PACKET_OTHERHOST (3).
 */
export function loopbackPktType(f: Uint8Array): number {
  if ((f[0]! | f[1]! | f[2]! | f[3]! | f[4]! | f[5]!) === 0) return 0;
  return f[0]! & 1 ? 2 : 3;
}
