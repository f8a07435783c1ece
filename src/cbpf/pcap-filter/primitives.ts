import { Bool, and, andAll, andMaybe, cmp, cmpBytes, cmpMasked, not, or, orAll, test } from './bool.js';
import { LEN, Size, Val, abs, alu, ind, konst, msh } from './values.js';

/**
 * The primitives of pcap-filter for Ethernet (DLT_EN10MB), each as the tree
 * of tests libpcap generates for it (see bool.ts for why the shape and the
 * order matter). Header offsets are relative to the link-layer payload
 * (`lp`), whose position moves by 4 bytes with each `vlan`.
 */

/** Where the ether type and the link-layer payload are: 12 and 14, plus 4 per VLAN tag. */
export interface Offsets {
  linkType: number;
  payload: number;
}

export const ETHERNET: Offsets = { linkType: 12, payload: 14 };

export const ETHERTYPE_IP = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_RARP = 0x8035;
export const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_IPX = 0x8137;
const ETHERTYPE_ATALK = 0x809b;
const ETHERTYPE_AARP = 0x80f3;
const VLAN_TPIDS = [0x8100, 0x88a8, 0x9100];
/** Largest 802.3 length field; larger values are Ethernet II types. */
const ETHERMTU = 1500;
const IPPROTO_FRAGMENT = 44;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;
const IPPROTO_ICMPV6 = 58;

export type Dir = 'default' | 'src' | 'dst' | 'or' | 'and';

/** A direction qualifier applied to a source test and a destination test. */
export function byDir(dir: Dir, src: () => Bool, dst: () => Bool): Bool {
  switch (dir) {
    case 'src':
      return src();
    case 'dst':
      return dst();
    case 'and':
      return and(src(), dst());
    default:
      return or(src(), dst());
  }
}

// ── link layer ────────────────────────────────────────────────────────────

/** 802.3 frame: the type/length field holds a length. */
const isLlc = (o: Offsets): Bool => not(test('jgt', abs(2, o.linkType), konst(ETHERMTU)));

/** An LLC/SNAP header (aa aa 03, OUI, type) at the payload. */
function snap(o: Offsets, oui: number, type: number): Bool {
  const bytes = Uint8Array.of(0xaa, 0xaa, 0x03, oui >>> 16, (oui >>> 8) & 0xff, oui & 0xff, type >>> 8, type & 0xff);
  return cmpBytes(o.payload, bytes);
}

/**
 * Frames of one protocol: an Ethernet II type above 1500, or an LLC SAP at
 * or below it, with libpcap's special cases for IPX and AppleTalk (which
 * travel in both framings) and for SAPs whose DSAP and SSAP are both checked.
 */
export function linkType(o: Offsets, proto: number): Bool {
  const type = cmp(2, o.linkType, proto);
  switch (proto) {
    case 0xe0: // IPX over LLC, over SNAP, or raw 802.3 (ffff)
      return or(cmp(2, o.linkType, ETHERTYPE_IPX), and(isLlc(o), orAll([snap(o, 0, ETHERTYPE_IPX), cmp(1, o.payload, 0xe0), cmp(2, o.payload, 0xffff)])));
    case ETHERTYPE_ATALK:
      return or(type, and(isLlc(o), snap(o, 0x080007, ETHERTYPE_ATALK)));
    case ETHERTYPE_AARP:
      return or(type, and(isLlc(o), snap(o, 0, ETHERTYPE_AARP)));
    case 0x06: // IP, ISO and NetBEUI SAPs: DSAP and SSAP
    case 0xfe:
    case 0xf0:
      return and(isLlc(o), cmp(2, o.payload, (proto << 8) | proto));
    default:
      return proto <= ETHERMTU ? and(isLlc(o), cmp(1, o.payload, proto)) : type;
  }
}

/** `vlan [id]`: an 802.1Q, 802.1ad or QinQ tag at the current ether-type position. */
export function vlan(o: Offsets, id: number | undefined): Bool {
  const tagged = orAll(VLAN_TPIDS.map((t) => cmp(2, o.linkType, t)));
  return id === undefined ? tagged : and(tagged, cmpMasked(2, o.payload, id, 0x0fff));
}

/** The offsets after a VLAN tag. */
export const afterVlan = (o: Offsets): Offsets => ({ linkType: o.linkType + 4, payload: o.payload + 4 });

export function etherHost(mac: Uint8Array, dir: Dir): Bool {
  return byDir(dir, () => cmpBytes(6, mac), () => cmpBytes(0, mac));
}

export const etherBroadcast = (): Bool => cmpBytes(0, new Uint8Array(6).fill(0xff));
export const etherMulticast = (): Bool => test('jset', abs(1, 0), konst(1));

// ── network layer ─────────────────────────────────────────────────────────

export const ip = (o: Offsets): Bool => linkType(o, ETHERTYPE_IP);
export const ip6 = (o: Offsets): Bool => linkType(o, ETHERTYPE_IPV6);

/** IPv4 with protocol `p`. */
export const ipProto = (o: Offsets, p: number): Bool => and(ip(o), cmp(1, o.payload + 9, p));

/** IPv6 whose next header is `p`, directly or after a fragment header. */
export function ip6Proto(o: Offsets, p: number): Bool {
  const nh = o.payload + 6;
  return and(ip6(o), or(cmp(1, nh, p), and(cmp(1, nh, IPPROTO_FRAGMENT), cmp(1, o.payload + 40, p))));
}

/** Only the first fragment of an IPv4 datagram has the transport header. */
export const ipFirstFragment = (o: Offsets): Bool => not(test('jset', abs(2, o.payload + 6), konst(0x1fff)));

/** An IPv4 address (with a mask) in IPv4, ARP or RARP, as `host`/`net` select by the protocol qualifier. */
export function ipv4Host(o: Offsets, addr: number, mask: number, protos: readonly ('ip' | 'arp' | 'rarp')[], dir: Dir): Bool {
  const one = (p: 'ip' | 'arp' | 'rarp'): Bool => {
    const [type, src, dst] = p === 'ip' ? [ETHERTYPE_IP, 12, 16] : [p === 'arp' ? ETHERTYPE_ARP : ETHERTYPE_RARP, 14, 24];
    const at = (off: number) => (): Bool => and(linkType(o, type), cmpMasked(4, o.payload + off, addr, mask));
    return byDir(dir, at(src), at(dst));
  };
  return orAll(protos.map(one));
}

/** An IPv6 address (16 bytes, with a 16-byte mask) as source and/or destination. */
export function ipv6Host(o: Offsets, addr: Uint8Array, mask: Uint8Array, dir: Dir): Bool {
  const word = (b: Uint8Array, i: number): number => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  const at = (off: number) => (): Bool => {
    const words = [0, 4, 8, 12].map((i) => cmpMasked(4, o.payload + off + i, (word(addr, i) & word(mask, i)) >>> 0, word(mask, i)));
    return and(ip6(o), andAll(words));
  };
  return byDir(dir, at(8), at(24));
}

export function ipBroadcast(o: Offsets): Bool {
  // tcpdump reading a file gives libpcap a netmask of 0: all-zeros and all-ones hosts.
  const dst = o.payload + 16;
  return and(ip(o), or(cmp(4, dst, 0), cmp(4, dst, 0xffffffff)));
}

export const ipMulticast = (o: Offsets): Bool => and(ip(o), test('jge', abs(1, o.payload + 16), konst(224)));
export const ip6Multicast = (o: Offsets): Bool => and(ip6(o), cmp(1, o.payload + 24, 255));

// ── transport layer ───────────────────────────────────────────────────────

/** Protocols of `port`: one, or SCTP, TCP and UDP in libpcap's order. */
export type PortProtos = readonly number[];
export const ANY_PORT_PROTO: PortProtos = [IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP];

/** A test on the source and destination port fields, given where they are. */
type PortTest = (field: Val) => Bool;

function transportPorts(o: Offsets, protos: PortProtos, dir: Dir, check: PortTest): Bool {
  const v6 = (p: number): Bool => and(cmp(1, o.payload + 6, p), byDir(dir, () => check(abs(2, o.payload + 40)), () => check(abs(2, o.payload + 42))));
  const v4 = (p: number): Bool => {
    const field = (off: number): Val => ind(2, o.payload + off, msh(o.payload));
    return and(and(cmp(1, o.payload + 9, p), ipFirstFragment(o)), byDir(dir, () => check(field(0)), () => check(field(2))));
  };
  return or(and(ip6(o), orAll(protos.map(v6))), and(ip(o), orAll(protos.map(v4))));
}

export function port(o: Offsets, n: number, protos: PortProtos, dir: Dir): Bool {
  return transportPorts(o, protos, dir, (field) => test('jeq', field, konst(n)));
}

export function portRange(o: Offsets, lo: number, hi: number, protos: PortProtos, dir: Dir): Bool {
  const [a, b] = lo <= hi ? [lo, hi] : [hi, lo];
  return transportPorts(o, protos, dir, (field) => and(test('jge', field, konst(a)), not(test('jgt', field, konst(b)))));
}

// ── protocol names ───────────────────────────────────────────────────────

const LINK_PROTOCOLS: Readonly<Record<string, number>> = {
  ip: ETHERTYPE_IP, ip6: ETHERTYPE_IPV6, arp: ETHERTYPE_ARP, rarp: ETHERTYPE_RARP,
  atalk: ETHERTYPE_ATALK, aarp: ETHERTYPE_AARP, decnet: 0x6003, lat: 0x6004, sca: 0x6007,
  moprc: 0x6002, mopdl: 0x6001, ipx: 0xe0, netbeui: 0xf0, stp: 0x42, iso: 0xfe,
};

/** IP protocols that libpcap checks over IPv4 and IPv6, over IPv4 only, and over IPv6 only. */
const IP_BOTH: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132, pim: 103, ah: 51, esp: 50 };
const IP_V4: Readonly<Record<string, number>> = { icmp: 1, igmp: 2, igrp: 9, vrrp: 112, carp: 112 };
const IP_V6: Readonly<Record<string, number>> = { icmp6: IPPROTO_ICMPV6 };

/** A protocol keyword alone (`tcp`, `arp`, `icmp6`), or undefined for names it does not cover. */
export function protoAbbrev(o: Offsets, name: string): Bool | undefined {
  if (name in LINK_PROTOCOLS) return linkType(o, LINK_PROTOCOLS[name]!);
  if (name in IP_BOTH) return or(ipProto(o, IP_BOTH[name]!), ip6Proto(o, IP_BOTH[name]!));
  if (name in IP_V4) return ipProto(o, IP_V4[name]!);
  if (name in IP_V6) return ip6Proto(o, IP_V6[name]!);
  return undefined;
}

/** Whether `name[…]` reads its header above IPv4 (offset by the IP header length). */
export const isTransport = (name: string): boolean => ['tcp', 'udp', 'sctp', 'icmp', 'igmp', 'igrp', 'pim', 'vrrp', 'carp'].includes(name);

// ── byte-offset loads and arithmetic ────────────────────────────────────

/** A value and the protocol checks that must pass before it is computed. */
export interface Arith {
  val: Val;
  checks?: Bool;
}

/**
 * `name[idx : size]`, as libpcap computes it: link-layer loads from the
 * frame start, network-layer loads from the payload behind a check of the
 * protocol, transport loads behind the IPv4 header, and only in unfragmented
 * or first-fragment IPv4 (libpcap does not look for them in IPv6), ICMPv6
 * loads behind a fixed 40-byte IPv6 header. Undefined for names with no
 * loads.
 */
export function load(o: Offsets, name: string, idx: Arith, size: Size): Arith | undefined {
  if (name === 'link') return { val: ind(size, 0, idx.val), checks: idx.checks };
  if (['ip', 'ip6', 'arp', 'rarp'].includes(name)) {
    return { val: ind(size, o.payload, idx.val), checks: andMaybe(idx.checks, protoAbbrev(o, name)) };
  }
  if (isTransport(name)) {
    const val = ind(size, o.payload, alu('add', idx.val, msh(o.payload)));
    return { val, checks: and(ip(o), andMaybe(idx.checks, and(protoAbbrev(o, name)!, ipFirstFragment(o)))!) };
  }
  if (name === 'icmp6') {
    return { val: ind(size, o.payload + 40, idx.val), checks: andMaybe(idx.checks, and(ip6(o), cmp(1, o.payload + 6, IPPROTO_ICMPV6))) };
  }
  return undefined;
}

export const lengthAtMost = (n: number): Bool => not(test('jgt', LEN, konst(n)));
export const lengthAtLeast = (n: number): Bool => test('jge', LEN, konst(n));

export type Relop = '>' | '>=' | '<' | '<=' | '=' | '==' | '!=';

/** `a relop b`: the protocol checks of a, then of b, then the comparison (unsigned). */
export function relation(a: Arith, op: Relop, b: Arith): Bool {
  const cmpTest = ((): Bool => {
    switch (op) {
      case '>':
        return test('jgt', a.val, b.val, true);
      case '>=':
        return test('jge', a.val, b.val, true);
      case '<':
        return not(test('jge', a.val, b.val, true));
      case '<=':
        return not(test('jgt', a.val, b.val, true));
      case '!=':
        return not(test('jeq', a.val, b.val, true));
      default:
        return test('jeq', a.val, b.val, true);
    }
  })();
  return andMaybe(andMaybe(a.checks, b.checks), cmpTest)!;
}

