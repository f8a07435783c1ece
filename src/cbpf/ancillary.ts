import * as c from './opcodes.js';

/**
 * Linux's ancillary loads: `ld [SKF_AD_OFF + n]` reads a property of the
 * socket buffer instead of packet bytes. Each has the name Linux's bpf_asm
 * uses (`ld #proto`, `ld rand`) and the name libpcap's disassembler prints
 * (`ld [proto]`, `ld [random]`), which differ for three of them.
 */
export interface Ancillary {
  /** SKF_AD_* (added to SKF_AD_OFF) */
  off: number;
  /** the bpf_asm keyword (tools/bpf/bpf_exp.l) */
  asm: string;
  /** the name `tcpdump -d` prints inside brackets */
  pcap: string;
  /** what it loads, for documentation and errors */
  what: string;
}

export const ANCILLARY: readonly Ancillary[] = [
  { off: c.SKF_AD_PROTOCOL, asm: 'proto', pcap: 'proto', what: 'skb->protocol, the EtherType in host order' },
  { off: c.SKF_AD_PKTTYPE, asm: 'type', pcap: 'type', what: 'skb->pkt_type (PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3, OUTGOING 4)' },
  { off: c.SKF_AD_IFINDEX, asm: 'ifidx', pcap: 'ifidx', what: "the device's ifindex" },
  { off: c.SKF_AD_NLATTR, asm: 'nla', pcap: 'nla', what: 'offset of the netlink attribute of type X at offset A' },
  { off: c.SKF_AD_NLATTR_NEST, asm: 'nlan', pcap: 'nlan', what: 'offset of the netlink attribute of type X nested in the one at offset A' },
  { off: c.SKF_AD_MARK, asm: 'mark', pcap: 'mark', what: 'skb->mark' },
  { off: c.SKF_AD_QUEUE, asm: 'queue', pcap: 'queue', what: 'skb->queue_mapping' },
  { off: c.SKF_AD_HATYPE, asm: 'hatype', pcap: 'hatype', what: "the device's hardware type (ARPHRD_*)" },
  { off: c.SKF_AD_RXHASH, asm: 'rxhash', pcap: 'rxhash', what: 'skb->hash' },
  { off: c.SKF_AD_CPU, asm: 'cpu', pcap: 'cpu', what: 'the CPU the filter runs on' },
  { off: c.SKF_AD_ALU_XOR_X, asm: 'xor_x', pcap: 'xor_x', what: 'A ^ X' },
  { off: c.SKF_AD_VLAN_TAG, asm: 'vlan_tci', pcap: 'vlan_tci', what: 'the VLAN TCI of an offloaded VLAN tag' },
  { off: c.SKF_AD_VLAN_TAG_PRESENT, asm: 'vlan_avail', pcap: 'vlanp', what: '1 when the skb carries an offloaded VLAN tag, else 0' },
  { off: c.SKF_AD_PAY_OFFSET, asm: 'poff', pcap: 'poff', what: 'the offset of the transport payload' },
  { off: c.SKF_AD_RANDOM, asm: 'rand', pcap: 'random', what: 'a random u32' },
  { off: c.SKF_AD_VLAN_TPID, asm: 'vlan_tpid', pcap: 'vlan_tpid', what: 'the TPID of an offloaded VLAN tag' },
];

/** SKF_AD_OFF as the unsigned k it is stored as. */
export const AD_BASE = c.SKF_AD_OFF >>> 0;

/** The ancillary field `k` names (an unsigned k of an ABS load), or undefined. */
export function ancillaryAt(k: number): Ancillary | undefined {
  const off = (k >>> 0) - AD_BASE;
  return off >= 0 ? ANCILLARY.find((a) => a.off === off) : undefined;
}

/** Whether `k` lies in the ancillary range, where Linux accepts only the known fields. */
export const inAncillaryRange = (k: number): boolean => k >>> 0 >= AD_BASE;

/** The ancillary field of a name in either syntax (bpf_asm's also with `#`; bpf_asm's alias vlan_pr). */
export function ancillaryNamed(name: string): Ancillary | undefined {
  const n = name.replace(/^#/, '').toLowerCase();
  if (n === 'vlan_pr') return ANCILLARY.find((a) => a.off === c.SKF_AD_VLAN_TAG_PRESENT);
  return ANCILLARY.find((a) => a.asm === n || a.pcap === n);
}
