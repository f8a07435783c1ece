import { LINKTYPE_ETHERNET, PacketRecord } from './record.js';

/**
 * A one-line description of a captured packet, in the manner of `tcpdump -n
 * -q`: VLAN tags, addresses (with ports), protocol and length. Decoding is
 * best effort and never throws: a header cut short ends the description.
 */
export interface PacketSummary {
  /** 'IP', 'IP6', 'ARP', 'RARP', or the ether type in hex */
  network: string;
  /** 'tcp', 'udp', 'sctp', 'icmp', 'icmp6', 'proto N', …; absent above non-IP */
  transport?: string;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  /** VLAN ids, outermost first */
  vlans: number[];
  /** extra words: TCP flags, ICMP type, ARP operation, fragment offset */
  info?: string;
}

const ETHERTYPE_VLANS = new Set([0x8100, 0x88a8, 0x9100]);
const IPPROTO_NAMES: Readonly<Record<number, string>> = { 1: 'icmp', 2: 'igmp', 6: 'tcp', 17: 'udp', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'icmp6', 89: 'ospf', 103: 'pim', 112: 'vrrp', 132: 'sctp' };
const IPV6_EXTENSIONS = new Set([0, 43, 60]);
const IPV6_FRAGMENT = 44;

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const has = (b: Uint8Array, at: number, n: number): boolean => at + n <= b.length;

export const formatMac = (b: Uint8Array, at: number): string =>
  Array.from(b.subarray(at, at + 6), (x) => x.toString(16).padStart(2, '0')).join(':');

export const formatIp4 = (b: Uint8Array, at: number): string => Array.from(b.subarray(at, at + 4)).join('.');

/** RFC 5952 text: lower case, the longest run of two or more zero groups as `::`. */
export function formatIp6(b: Uint8Array, at: number): string {
  const groups = Array.from({ length: 8 }, (_, i) => u16(b, at + 2 * i));
  let [best, bestLen] = [-1, 1];
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (g: number[]): string => g.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(groups) : `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

export function summarize(p: Pick<PacketRecord, 'data' | 'linktype'>): PacketSummary {
  const b = p.data;
  if (p.linktype !== LINKTYPE_ETHERNET) return { network: `linktype ${p.linktype}`, vlans: [] };
  if (!has(b, 0, 14)) return { network: 'ether', vlans: [], info: 'truncated' };
  const vlans: number[] = [];
  let at = 12;
  let type = u16(b, at);
  while (ETHERTYPE_VLANS.has(type) && has(b, at, 6)) {
    vlans.push(u16(b, at + 2) & 0x0fff);
    at += 4;
    type = u16(b, at);
  }
  const s: PacketSummary = { network: `ethertype 0x${type.toString(16).padStart(4, '0')}`, vlans, src: formatMac(b, 6), dst: formatMac(b, 0) };
  const body = at + 2;
  if (type === 0x0800) ipv4(b, body, s);
  else if (type === 0x86dd) ipv6(b, body, s);
  else if (type === 0x0806 || type === 0x8035) arp(b, body, s, type === 0x0806 ? 'ARP' : 'RARP');
  else if (type <= 1500) s.network = '802.3';
  return s;
}

function ipv4(b: Uint8Array, at: number, s: PacketSummary): void {
  s.network = 'IP';
  if (!has(b, at, 20)) return void (s.info = 'truncated');
  const ihl = (b[at]! & 0x0f) * 4;
  const proto = b[at + 9]!;
  const frag = u16(b, at + 6) & 0x1fff;
  s.src = formatIp4(b, at + 12);
  s.dst = formatIp4(b, at + 16);
  s.transport = IPPROTO_NAMES[proto] ?? `proto ${proto}`;
  if (frag) return void (s.info = `frag offset ${frag * 8}`);
  transport(b, at + ihl, proto, s);
}

function ipv6(b: Uint8Array, at: number, s: PacketSummary): void {
  s.network = 'IP6';
  if (!has(b, at, 40)) return void (s.info = 'truncated');
  s.src = formatIp6(b, at + 8);
  s.dst = formatIp6(b, at + 24);
  let next = b[at + 6]!;
  let off = at + 40;
  // Skip hop-by-hop, routing and destination options; stop at a later fragment.
  while ((IPV6_EXTENSIONS.has(next) || next === IPV6_FRAGMENT) && has(b, off, 8)) {
    const fragmentOffset = next === IPV6_FRAGMENT ? u16(b, off + 2) >> 3 : 0;
    const len = next === IPV6_FRAGMENT ? 8 : (b[off + 1]! + 1) * 8;
    next = b[off]!;
    off += len;
    if (fragmentOffset) {
      s.transport = IPPROTO_NAMES[next] ?? `proto ${next}`;
      return void (s.info = `frag offset ${fragmentOffset * 8}`);
    }
  }
  s.transport = IPPROTO_NAMES[next] ?? `proto ${next}`;
  transport(b, off, next, s);
}

const TCP_FLAGS = 'FSRPAUEC';

function transport(b: Uint8Array, at: number, proto: number, s: PacketSummary): void {
  if ((proto === 6 || proto === 17 || proto === 132) && has(b, at, 4)) {
    s.sport = u16(b, at);
    s.dport = u16(b, at + 2);
  }
  if (proto === 6 && has(b, at, 14)) {
    const flags = b[at + 13]!;
    s.info = `[${[...TCP_FLAGS].filter((_, i) => flags & (1 << i)).join('') || '.'}]`;
  } else if ((proto === 1 || proto === 58) && has(b, at, 2)) {
    s.info = `type ${b[at]} code ${b[at + 1]}`;
  }
}

function arp(b: Uint8Array, at: number, s: PacketSummary, name: string): void {
  s.network = name;
  if (!has(b, at, 28) || u16(b, at + 2) !== 0x0800 || b[at + 4] !== 6 || b[at + 5] !== 4) return;
  const op = u16(b, at + 6);
  s.src = formatIp4(b, at + 14);
  s.dst = formatIp4(b, at + 24);
  s.info = ['request', 'reply', 'rarp request', 'rarp reply'][op - 1] ?? `op ${op}`;
}

/** `HH:MM:SS.ffffff` (UTC), with nine digits for nanosecond captures. */
export function formatTime(sec: number, nsec: number, nanosecond: boolean): string {
  const day = ((sec % 86400) + 86400) % 86400;
  const hms = [Math.floor(day / 3600), Math.floor(day / 60) % 60, day % 60].map((x) => String(x).padStart(2, '0')).join(':');
  const frac = nanosecond ? String(nsec).padStart(9, '0') : String(Math.floor(nsec / 1000)).padStart(6, '0');
  return `${hms}.${frac}`;
}

/** The line `tsbpf pcap` prints: time, VLANs, protocol, endpoints, details, length. */
export function formatSummary(p: PacketRecord, s: PacketSummary, nanosecond: boolean): string {
  const endpoint = (addr: string | undefined, port: number | undefined): string => (port === undefined ? addr ?? '?' : `${addr}.${port}`);
  const parts = [formatTime(p.sec, p.nsec, nanosecond)];
  if (s.vlans.length) parts.push(`vlan ${s.vlans.join(',')}`);
  parts.push(s.network);
  if (s.src !== undefined || s.dst !== undefined) parts.push(`${endpoint(s.src, s.sport)} > ${endpoint(s.dst, s.dport)}:`);
  if (s.transport) parts.push(s.transport);
  if (s.info) parts.push(s.info);
  parts.push(`length ${p.len}`);
  if (p.data.length < p.len) parts.push(`(captured ${p.data.length})`);
  return parts.join(' ');
}
