import { BpfError } from '../errno.js';

/**
 * Captured packets as the pcap and pcapng readers hand them out, and the
 * error every malformed file produces: EINVAL with the byte offset of the
 * problem.
 */

/** LINKTYPE_ETHERNET (DLT_EN10MB). */
export const LINKTYPE_ETHERNET = 1;

export interface PacketRecord {
  /** seconds since the epoch */
  sec: number;
  /** nanoseconds within the second (0..999999999) */
  nsec: number;
  /** the captured bytes (a view into the file's bytes when read) */
  data: Uint8Array;
  /** length of the packet on the wire (may exceed data.length when the capture was cut) */
  len: number;
  /** interface index (pcapng); 0 for classic pcap */
  iface: number;
  /** link type of the packet's interface */
  linktype: number;
  /** where `data` starts in the bytes of the file it was read from (absent for packets not read from a file) */
  offset?: number;
}

export interface InterfaceInfo {
  linktype: number;
  /** 0 = no limit */
  snaplen: number;
  /** timestamp units per second (pcapng if_tsresol; 10^6 or 10^9 for classic pcap) */
  unitsPerSecond: bigint;
}

export type ByteOrder = 'little' | 'big';

export interface Capture {
  format: 'pcap' | 'pcapng';
  byteOrder: ByteOrder;
  /** classic pcap with the nanosecond magic, or pcapng whose first interface has 10^-9 or finer */
  nanosecond: boolean;
  interfaces: InterfaceInfo[];
  packets: PacketRecord[];
  /** the file's bytes, which the packets' data are views of */
  bytes: Uint8Array;
}

export function formatError(format: string, offset: number, detail: string): BpfError {
  return new BpfError('EINVAL', `${format}: ${detail} (at byte ${offset})`);
}
