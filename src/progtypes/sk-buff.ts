import type { PacketRegion } from '../vm/packet-load.js';
import { BpfError } from '../errno.js';
import type { PacketEnv } from '../helpers/registry.js';
import type { Region } from '../vm/memory.js';
import { packetEnv } from './packet.js';
import {
  AccessSize,
  CtxField,
  FieldYield,
  NARROW32,
  Runner,
  TestRunHost,
  TestRunInput,
  TestRunResult,
  ctxIn,
  f,
  runCount,
  timedRuns,
  view,
} from './progtype.js';

/**
 * `struct __sk_buff` (linux/bpf.h): the context of socket filters and tc
 * programs, and their BPF_PROG_TEST_RUN (net/bpf/test_run.c,
 * bpf_prog_test_run_skb), shared by socket-filter.ts and sched-cls.ts.
 */

/** sizeof(struct __sk_buff) */
export const SK_BUFF_SIZE = 192;
/** ETH_HLEN: an Ethernet header */
export const ETH_HLEN = 14;

/** The UAPI layout: [name, offset, size] of every member (arrays as one member). */
export const SK_BUFF_LAYOUT: ReadonlyArray<readonly [string, number, number]> = [
  ['len', 0, 4], ['pkt_type', 4, 4], ['mark', 8, 4], ['queue_mapping', 12, 4], ['protocol', 16, 4],
  ['vlan_present', 20, 4], ['vlan_tci', 24, 4], ['vlan_proto', 28, 4], ['priority', 32, 4],
  ['ingress_ifindex', 36, 4], ['ifindex', 40, 4], ['tc_index', 44, 4], ['cb', 48, 20], ['hash', 68, 4],
  ['tc_classid', 72, 4], ['data', 76, 4], ['data_end', 80, 4], ['napi_id', 84, 4], ['family', 88, 4],
  ['remote_ip4', 92, 4], ['local_ip4', 96, 4], ['remote_ip6', 100, 16], ['local_ip6', 116, 16],
  ['remote_port', 132, 4], ['local_port', 136, 4], ['data_meta', 140, 4], ['flow_keys', 144, 8],
  ['tstamp', 152, 8], ['wire_len', 160, 4], ['gso_segs', 164, 4], ['sk', 168, 8], ['gso_size', 176, 4],
  ['tstamp_type', 180, 1], ['hwtstamp', 184, 8],
];

/** Offsets by name. */
export const SKB = Object.fromEntries(SK_BUFF_LAYOUT.map(([n, o]) => [n, o])) as Record<string, number>;

type Access = { read: readonly AccessSize[]; write: readonly AccessSize[]; yields?: FieldYield };
const NONE: Access = { read: [], write: [] };
const W32: readonly AccessSize[] = [4];

/**
 * What bpf_skb_is_valid_access (net/core/filter.c) allows before a type's
 * own rules: narrow reads and u32 writes of plain u32 fields; any aligned
 * access inside cb[]; exactly u32 for the packet pointers and addresses;
 * exactly u64 for tstamp, read-only u64 for hwtstamp and sk; nothing for
 * flow_keys, tstamp_type and the padding.
 */
const BASE: Readonly<Record<string, Access>> = {
  cb: { read: [1, 2, 4, 8], write: [1, 2, 4, 8] },
  remote_ip4: { read: W32, write: W32 },
  local_ip4: { read: W32, write: W32 },
  remote_ip6: { read: W32, write: W32 },
  local_ip6: { read: W32, write: W32 },
  data: { read: W32, write: W32 },
  data_end: { read: W32, write: W32 },
  data_meta: { read: W32, write: W32 },
  flow_keys: NONE,
  hwtstamp: { read: [8], write: [] },
  tstamp: { read: [8], write: [8] },
  sk: { read: [8], write: [] },
  tstamp_type: NONE,
};

/** How one program type narrows BASE (its `*_is_valid_access`). */
export interface SkbRules {
  /** fields the type may not touch at all */
  hidden: readonly string[];
  /** the only fields the type may write */
  writable: readonly string[];
  /** fields whose access the type defines itself */
  own?: Readonly<Record<string, Access>>;
  /** pointer types of loads (PTR_TO_PACKET …) */
  yields?: Readonly<Record<string, FieldYield>>;
}

/** The field table of a type that uses `struct __sk_buff`. */
export function skbFields(rules: SkbRules): CtxField[] {
  return SK_BUFF_LAYOUT.map(([name, offset, size]) => {
    const base = rules.own?.[name] ?? (rules.hidden.includes(name) ? NONE : BASE[name] ?? { read: NARROW32, write: W32 });
    const write = rules.writable.includes(name) || rules.own?.[name] ? base.write : [];
    return f(name, offset, size, base.read, write, rules.yields?.[name]);
  });
}

/** Fields a ctx_in may set (convert___skb_to_skb); every other byte must be zero. */
const CTX_IN = ['mark', 'priority', 'ingress_ifindex', 'ifindex', 'cb', 'tstamp', 'wire_len', 'gso_segs', 'gso_size', 'hwtstamp'];
/** Fields copied back to ctx_out (convert_skb_to___skb); the rest stay as ctx_in had them. */
const CTX_OUT = ['mark', 'priority', 'ingress_ifindex', 'ifindex', 'tstamp', 'cb', 'wire_len', 'gso_segs', 'hwtstamp'];

/** The largest packet: PAGE_SIZE less NET_SKB_PAD headroom (64) and the skb_shared_info tailroom (320). */
export const SKB_MAX_DATA = 4096 - 64 - 320;
/** NET_SKB_PAD: headroom before the packet */
const HEADROOM = 64;
/** GSO_LEGACY_MAX_SIZE, GSO_MAX_SEGS */
const MAX_WIRE_LEN = 65536;
const MAX_GSO_SEGS = 65535;
/** The test run's device is the loopback device: ifindex 1, all-zero MAC address and broadcast address. */
const LOOPBACK_IFINDEX = 1;
/** PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST (linux/if_packet.h) */
const PACKET_HOST = 0;
const PACKET_MULTICAST = 2;
const PACKET_OTHERHOST = 3;
/** Bytes a packet must have past the Ethernet header for these EtherTypes (IPv4, IPv6 headers). */
const NETWORK_HEADER: Readonly<Record<number, number>> = { 0x0800: 20, 0x86dd: 40 };

/**
 * eth_type_trans on the loopback device: the EtherType in network order
 * (802.3 length fields become ETH_P_802_3 for a raw IPX 0xffff frame,
 * ETH_P_802_2 otherwise) and the packet type from the destination address.
 * The loopback device's broadcast address is all zeros, as its MAC address,
 * so ff:ff:ff:ff:ff:ff counts as multicast (Linux returns 2 for it).
 */
export function ethTypeTrans(p: Uint8Array): { protocol: number; pktType: number } {
  const type = (p[12]! << 8) | p[13]!;
  const protocol = type >= 0x600 ? type : p[14] === 0xff && p[15] === 0xff ? 0x0001 : 0x0004;
  const dest = p.subarray(0, 6);
  const pktType = dest.every((b) => b === 0) ? PACKET_HOST : dest[0]! & 1 ? PACKET_MULTICAST : PACKET_OTHERHOST;
  return { protocol, pktType };
}

/** Check the ctx_in fields the way convert___skb_to_skb does; returns wire_len as the program sees it. */
function checkCtxIn(name: string, cin: DataView, len: number): number {
  for (const [fname, off, size] of SK_BUFF_LAYOUT) {
    if (CTX_IN.includes(fname)) continue;
    for (let i = 0; i < size; i++) {
      if (cin.getUint8(off + i)) throw new BpfError('EINVAL', `${name} test run: ctx_in may not set ${fname} (only ${CTX_IN.join(', ')})`);
    }
  }
  for (let off = 181; off < 184; off++) if (cin.getUint8(off)) throw new BpfError('EINVAL', `${name} test run: ctx_in sets padding byte ${off}`);
  const wire = cin.getUint32(SKB.wire_len!, true);
  if (wire !== 0 && (wire < len || wire > MAX_WIRE_LEN)) {
    throw new BpfError('EINVAL', `${name} test run: ctx_in wire_len ${wire} must be 0 or from the packet length ${len} to ${MAX_WIRE_LEN}`);
  }
  if (cin.getUint32(SKB.gso_segs!, true) > MAX_GSO_SEGS) throw new BpfError('EINVAL', `${name} test run: ctx_in gso_segs must be at most ${MAX_GSO_SEGS}`);
  return wire || len;
}

function checkPacket(name: string, data: Uint8Array | undefined): Uint8Array {
  const n = data?.length ?? 0;
  if (!data || n < ETH_HLEN || n > SKB_MAX_DATA) {
    throw new BpfError('EINVAL', `${name} test run: data must be an Ethernet frame of ${ETH_HLEN} to ${SKB_MAX_DATA} bytes, not ${n}`);
  }
  return data;
}

/** The skb the program sees: where things are and the fields Linux fills in. */
interface SkbState {
  ctx: number;
  buf: number;
  data: number;
  dataEnd: number;
}

/**
 * Write the context as Linux's rewritten loads would see the skb (fields not
 * set here read 0). `data`, `data_end` and `data_meta` hold the packet's real
 * addresses (below 4 GiB, so they fit the u32 fields): a program loads them
 * and dereferences them as it would the pointers convert_ctx_access yields.
 */
function fillCtx(dv: DataView, s: SkbState, cin: DataView | undefined, eth: { protocol: number; pktType: number }, wireLen: number): void {
  const u32 = (name: string, v: number) => dv.setUint32(SKB[name]!, v >>> 0, true);
  u32('len', s.dataEnd - s.data);
  u32('pkt_type', eth.pktType);
  // skb->protocol is __be16: a load sees its bytes in network order
  dv.setUint8(SKB.protocol!, eth.protocol >> 8);
  dv.setUint8(SKB.protocol! + 1, eth.protocol & 0xff);
  u32('ifindex', LOOPBACK_IFINDEX);
  u32('data', s.data);
  u32('data_end', s.dataEnd);
  u32('data_meta', s.data);
  u32('wire_len', wireLen);
  if (!cin) return;
  for (const name of ['mark', 'priority', 'ingress_ifindex', 'gso_segs', 'gso_size']) u32(name, cin.getUint32(SKB[name]!, true));
  for (const name of ['tstamp', 'hwtstamp']) dv.setBigUint64(SKB[name]!, cin.getBigUint64(SKB[name]!, true), true);
  for (let i = 0; i < 20; i++) dv.setUint8(SKB.cb! + i, cin.getUint8(SKB.cb! + i));
}

/**
 * BPF_PROG_TEST_RUN of an skb program (bpf_prog_test_run_skb): the data is
 * an Ethernet frame on the loopback device. eth_type_trans sets protocol and
 * pkt_type and pulls the Ethernet header; a tc program (`l2`) gets it pushed
 * back and sees the packet from its Ethernet header, a socket filter sees it
 * from the network header (len = bytes - 14; LD_ABS 0 is the first byte of
 * the IP header). data_out is the packet from the Ethernet header, which is
 * zeroed for a socket filter, as Linux pushes 14 zero bytes back. ctx_in may
 * set mark, priority, ingress_ifindex, ifindex (0 or 1: the loopback device
 * is the only device), cb, tstamp, wire_len, gso_segs, gso_size, hwtstamp;
 * ctx_out is ctx_in with the fields Linux copies back. Without a ctx, wire_len
 * reads 0 (Linux sets it only when a ctx is given).
 *
 * Differences: Linux's test skb has a dummy socket, so `sk` is non-NULL there;
 * here it is NULL. An ifindex above 1 is ENODEV (no such device), as in Linux.
 */
export function skbTestRun(name: string, fields: readonly CtxField[], l2: boolean) {
  return (host: TestRunHost, input: TestRunInput): TestRunResult => {
    const { packet, runs, cin, eth, wireLen } = checkInput(name, input, l2);
    const s = layout(host, packet, l2);
    fillCtx(view(host.space, s.ctx, SK_BUFF_SIZE), s, cin && new DataView(cin.buffer), eth, wireLen);
    const initial = host.space.bytes.slice(s.ctx, s.ctx + SK_BUFF_SIZE);
    const { run, env } = prepare(host, fields, s);
    const { retval, r0, durationNs } = timedRuns(host, runs, run);
    const after = host.space.bytes.slice(s.ctx, s.ctx + SK_BUFF_SIZE);
    return { retval, r0, durationNs, dataOut: dataOut(env, l2), ctxOut: cin && ctxOut(fields, cin, initial, after) };
  };
}

/** The checks of bpf_prog_test_run_skb, in its order; what the run is built from. */
function checkInput(name: string, input: TestRunInput, l2: boolean) {
  const packet = checkPacket(name, input.data);
  const runs = runCount(name, input.repeat);
  const cin = input.ctx === undefined ? undefined : ctxIn(name, input.ctx, SK_BUFF_SIZE);
  const cinView = cin && new DataView(cin.buffer);
  const ifindex = cinView?.getUint32(SKB.ifindex!, true) ?? 0;
  if (ifindex > LOOPBACK_IFINDEX) throw new BpfError('ENODEV', `${name} test run: no device with ifindex ${ifindex} (only the loopback device, 1)`);
  const eth = ethTypeTrans(packet);
  const need = NETWORK_HEADER[eth.protocol];
  if (need !== undefined && packet.length < ETH_HLEN + need) {
    const type = eth.protocol.toString(16).padStart(4, '0');
    throw new BpfError('EINVAL', `${name} test run: EtherType 0x${type} needs a ${need}-byte network header, the packet has ${packet.length - ETH_HLEN}`);
  }
  const len = l2 ? packet.length : packet.length - ETH_HLEN;
  const wireLen = cinView ? checkCtxIn(name, cinView, len) : 0;
  return { packet, runs, cin, eth, wireLen };
}

function layout(host: TestRunHost, packet: Uint8Array, l2: boolean): SkbState {
  const buf = host.buffer('packet', HEADROOM + packet.length);
  host.space.bytes.set(packet, buf + HEADROOM);
  const ctx = host.buffer('ctx', SK_BUFF_SIZE);
  return { ctx, buf, data: buf + HEADROOM + (l2 ? 0 : ETH_HLEN), dataEnd: buf + HEADROOM + packet.length };
}

/**
 * The regions and packet of the run. The context is writable as a whole
 * (cb, mark … are writable fields). A tc program may load and store its
 * packet directly; a socket filter may not (no `data` field for it), so its
 * packet is no region: it reads the packet with LD_ABS / LD_IND and
 * skb_load_bytes only.
 */
function prepare(host: TestRunHost, fields: readonly CtxField[], s: SkbState): { run: Runner; env: PacketEnv } {
  const ctxRegion: Region = { start: s.ctx, end: s.ctx + SK_BUFF_SIZE, writable: true, name: `ctx (struct __sk_buff)` };
  const region: PacketRegion = { start: s.data, end: s.dataEnd, writable: true, name: 'packet', mac: s.buf + HEADROOM, net: s.buf + HEADROOM + ETH_HLEN, head: s.buf };
  const bounds = { data: s.data, dataEnd: s.dataEnd, dataMeta: s.data, hardStart: s.buf, hardEnd: s.dataEnd };
  const offsets = { data: SKB.data!, dataEnd: SKB.data_end!, dataMeta: SKB.data_meta! };
  const env = packetEnv(host.space, 'skb', s.ctx, region, bounds, offsets, (e) => view(host.space, s.ctx, 4).setUint32(0, e.dataEnd - e.data, true));
  env.clearHash = () => view(host.space, s.ctx, SK_BUFF_SIZE).setUint32(SKB.hash!, 0, true);
  const direct = fields.some((x) => x.name === 'data' && x.read.length > 0);
  const run = host.runner({ ctx: s.ctx, regions: direct ? [ctxRegion, region] : [ctxRegion], packet: { region, env, ldAbs: true } });
  return { run, env };
}

function dataOut(env: PacketEnv, l2: boolean): Uint8Array {
  const bytes = env.bytes().slice(env.data, env.dataEnd);
  if (l2) return bytes;
  const out = new Uint8Array(ETH_HLEN + bytes.length);
  out.set(bytes, ETH_HLEN);
  return out;
}

/** ctx_in with the fields convert_skb_to___skb copies back: from the context for fields the type may write, else as the skb had them. */
function ctxOut(fields: readonly CtxField[], cin: Uint8Array, initial: Uint8Array, after: Uint8Array): Uint8Array {
  const out = cin.slice();
  for (const name of CTX_OUT) {
    const fd = fields.find((x) => x.name === name)!;
    const src = fd.write.length > 0 ? after : initial;
    out.set(src.subarray(fd.offset, fd.offset + fd.size), fd.offset);
  }
  return out;
}
