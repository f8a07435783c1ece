/**
 * Deterministic synthetic Ethernet traffic for the pcap tests and the bench:
 * IPv4 (with options, fragments), IPv6 (with extension headers), ARP, RARP,
 * TCP, UDP, SCTP, ICMP, ICMPv6 and other IP protocols, 802.1Q/802.1ad/QinQ
 * tags, 802.3/LLC/SNAP frames, broadcast and multicast addresses, odd and
 * truncated lengths, and packets cut by a snapshot length. The addresses and
 * ports come from small pools so that filters on them match a fair share.
 */
import { PacketRecord } from '../src/pcap/record.js';
import { XorShift32 } from './rng.js';

/** The same packets for the same seed on every run. */
export class Rng extends XorShift32 {
  /** 0 <= n < max */
  int(max: number): number {
    return this.next() % max;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(256));
  }
}

const be16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
const be32 = (v: number): number[] => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const ip4 = (s: string): number[] => s.split('.').map(Number);

export const MACS = ['00:11:22:33:44:55', '00:11:22:33:44:66', '02:00:00:00:00:01', '01:02:03:04:05:06', 'aa:bb:cc:dd:ee:ff'];
const SPECIAL_MACS = ['ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01', '33:33:00:00:00:01', '01:80:c2:00:00:00'];
export const IPV4 = ['10.0.0.1', '10.0.0.2', '10.0.1.7', '192.168.1.1', '192.168.1.20', '172.16.5.4', '1.2.3.4', '8.8.8.8', '224.0.0.251', '255.255.255.255', '0.0.0.0', '10.1.2.3'];
export const IPV6 = ['::1', 'fe80::1', 'fe80::2:3', '2001:db8::1', '2001:db8::2', 'ff02::1', 'ff02::fb', '2001:db8:1::5'];
export const PORTS = [80, 443, 53, 22, 8080, 123, 1024, 1500, 2000, 5353, 6000, 65535, 0, 20, 21];

const mac = (s: string): number[] => s.split(':').map((h) => parseInt(h, 16));

function ip6(s: string): number[] {
  const [head, tail = ''] = s.split('::');
  const words = (t: string): number[] => (t ? t.split(':').map((w) => parseInt(w, 16)) : []);
  const h = words(head!);
  const t = s.includes('::') ? words(tail) : [];
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap(be16);
}

/** A transport header (and a little payload) for an IP protocol. */
function transport(r: Rng, proto: number): number[] {
  const port = (): number => (r.chance(0.8) ? r.pick(PORTS) : r.int(65536));
  // Mostly small packets, some near the Ethernet MTU.
  const payload = [...r.bytes(r.chance(0.1) ? 400 + r.int(1000) : r.int(24))];
  switch (proto) {
    case 6: {
      const doff = r.chance(0.8) ? 5 : 5 + r.int(11);
      const flags = r.pick([0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x01, 0x29, 0xc2, r.int(256)]);
      return [...be16(port()), ...be16(port()), ...be32(r.next()), ...be32(r.next()), doff << 4, flags, ...be16(r.int(65536)), 0, 0, 0, 0, ...r.bytes((doff - 5) * 4), ...payload];
    }
    case 17:
      return [...be16(port()), ...be16(port()), ...be16(8 + payload.length), 0, 0, ...payload];
    case 132:
      return [...be16(port()), ...be16(port()), ...be32(r.next()), ...be32(0), ...payload];
    case 1:
      return [r.pick([0, 3, 8, 11, 5, 13, r.int(256)]), r.int(4), 0, 0, ...be32(r.next()), ...payload];
    case 58:
      return [r.pick([128, 129, 135, 136, 133, 134, 1, 2, 3, r.int(256)]), r.int(4), 0, 0, ...be32(r.next()), ...payload];
    default:
      return [...r.bytes(8 + r.int(20))];
  }
}

const IP_PROTOS = [6, 6, 6, 17, 17, 132, 1, 2, 47, 50, 51, 103, 112, 89, 0, 255];

function ipv4(r: Rng): number[] {
  const proto = r.pick([...IP_PROTOS, 58]);
  const optWords = r.chance(0.15) ? 1 + r.int(10) : 0;
  // Fragments: the first (MF, offset 0), later ones (offset > 0), don't-fragment, or none.
  const frag = r.pick([0, 0, 0, 0x4000, 0x2000, 0x2000 | (1 + r.int(0x1ffe)), 1 + r.int(0x1ffe), 0x1fff]);
  const body = transport(r, proto);
  const total = 20 + optWords * 4 + body.length;
  const src = r.chance(0.9) ? ip4(r.pick(IPV4)) : [...r.bytes(4)];
  const dst = r.chance(0.9) ? ip4(r.pick(IPV4)) : [...r.bytes(4)];
  const version = r.chance(0.97) ? 4 : r.int(16);
  const lenField = r.chance(0.9) ? total : r.int(65536);
  return [(version << 4) | (5 + optWords), 0, ...be16(lenField), ...be16(r.int(65536)), ...be16(frag), 64, proto, 0, 0, ...src, ...dst, ...r.bytes(optWords * 4), ...body];
}

function ipv6(r: Rng): number[] {
  const final = r.pick([...IP_PROTOS, 58, 58]);
  // Extension headers: hop-by-hop (0), routing (43), fragment (44), destination options (60).
  const chain = r.chance(0.3) ? Array.from({ length: 1 + r.int(3) }, () => r.pick([0, 43, 44, 60])) : [];
  const ext: number[] = [];
  chain.forEach((h, i) => {
    const next = chain[i + 1] ?? final;
    if (h === 44) ext.push(next, 0, ...be16(r.pick([0, 1, 8 << 3, (8 << 3) | 1])), ...be32(r.next()));
    else ext.push(next, 0, ...r.bytes(6));
  });
  const body = transport(r, final);
  const src = r.chance(0.9) ? ip6(r.pick(IPV6)) : [...r.bytes(16)];
  const dst = r.chance(0.9) ? ip6(r.pick(IPV6)) : [...r.bytes(16)];
  return [0x60, 0, 0, 0, ...be16(ext.length + body.length), chain[0] ?? final, 64, ...src, ...dst, ...ext, ...body];
}

function arp(r: Rng): number[] {
  const addr = (): number[] => (r.chance(0.9) ? ip4(r.pick(IPV4)) : [...r.bytes(4)]);
  return [0, 1, 8, 0, 6, 4, 0, r.pick([1, 2, 3, 4]), ...mac(r.pick(MACS)), ...addr(), ...mac(r.pick(MACS)), ...addr()];
}

/** An 802.3 frame body (after the length field): LLC, optionally SNAP. */
function llc(r: Rng): number[] {
  switch (r.int(8)) {
    case 0:
      return [0xaa, 0xaa, 0x03, 0x08, 0x00, 0x07, 0x80, 0x9b, ...r.bytes(10)]; // AppleTalk
    case 1:
      return [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x80, 0xf3, ...r.bytes(10)]; // AARP
    case 2:
      return [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x81, 0x37, ...r.bytes(10)]; // IPX over SNAP
    case 3:
      return [0xff, 0xff, ...r.bytes(20)]; // raw 802.3 IPX
    default: {
      const sap = r.pick([0x42, 0xe0, 0xf0, 0xfe, 0x06, 0xaa, r.int(256)]);
      return [sap, r.chance(0.8) ? sap : r.int(256), 0x03, ...r.bytes(12)];
    }
  }
}

/** The ether type (or 802.3 length) and the payload of one frame. */
function payload(r: Rng): [number, number[]] {
  switch (r.int(20)) {
    case 0:
    case 1:
      return [r.pick([0x0806, 0x0806, 0x8035]), arp(r)];
    case 2: {
      const body = llc(r);
      return [r.chance(0.9) ? body.length : r.int(1501), body];
    }
    case 3:
      return [r.pick([0x8137, 0x809b, 0x80f3, 0x6003, 0x6004, 0x88cc, 0x9000, 0x88e5, r.int(65536)]), [...r.bytes(r.int(40))]];
    case 4:
    case 5:
    case 6:
    case 7:
      return [0x86dd, ipv6(r)];
    default:
      return [0x0800, ipv4(r)];
  }
}

/** One frame: addresses, VLAN tags (none, one or two), type and payload. */
export function frame(r: Rng): number[] {
  const dst = r.chance(0.15) ? mac(r.pick(SPECIAL_MACS)) : r.chance(0.85) ? mac(r.pick(MACS)) : [...r.bytes(6)];
  const src = r.chance(0.9) ? mac(r.pick(MACS)) : [...r.bytes(6)];
  const tags: number[] = [];
  const depth = r.chance(0.15) ? (r.chance(0.3) ? 2 : 1) : 0;
  for (let i = 0; i < depth; i++) tags.push(...be16(r.pick([0x8100, 0x8100, 0x88a8, 0x9100])), ...be16((r.int(8) << 13) | r.pick([100, 200, 1, 4095, r.int(4096)])));
  const [type, body] = payload(r);
  return [...dst, ...src, ...tags, ...be16(type), ...body];
}

export interface GenerateOptions {
  /** share of packets cut to a random captured length below their length */
  truncate?: number;
  /** share of packets that are random bytes after a plausible header */
  garbage?: number;
}

/**
 * `count` packets; packet i has timestamp (1700000000 + i, i microseconds),
 * so it can be found again by its timestamp.
 */
export function generatePackets(seed: number, count: number, options: GenerateOptions = {}): PacketRecord[] {
  const r = new Rng(seed);
  const packets: PacketRecord[] = [];
  for (let i = 0; i < count; i++) {
    let bytes = Uint8Array.from(frame(r));
    if (r.chance(options.garbage ?? 0.03)) bytes = Uint8Array.from([...bytes.subarray(0, 14), ...r.bytes(r.int(80))]);
    const len = bytes.length;
    // Odd and short frames, and frames cut by a snapshot length.
    if (r.chance(options.truncate ?? 0.25)) bytes = bytes.subarray(0, r.int(len + 1));
    packets.push({ sec: 1_700_000_000 + i, nsec: (i % 1_000_000) * 1000, data: bytes, len: r.chance(0.02) ? len + r.int(100) : len, iface: 0, linktype: 1 });
  }
  return packets;
}

/** Index of a packet written by generatePackets, from its timestamp. */
export const indexOf = (p: Pick<PacketRecord, 'sec'>): number => p.sec - 1_700_000_000;
