import { ByteOrder, Capture, LINKTYPE_ETHERNET, PacketRecord, formatError } from './record.js';

/**
 * Classic pcap files: a 24-byte header (magic, version 2.4, snaplen, link
 * type) and 16-byte record headers (seconds, micro- or nanoseconds, captured
 * and original length), in either byte order, told apart by the magic.
 */

const MAGIC_USEC = 0xa1b2c3d4;
const MAGIC_NSEC = 0xa1b23c4d;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;

export interface PcapHeader {
  byteOrder: ByteOrder;
  nanosecond: boolean;
  snaplen: number;
  linktype: number;
}

/** The header of a classic pcap file, or undefined when the magic is not pcap's. */
export function pcapHeader(bytes: Uint8Array): PcapHeader | undefined {
  if (bytes.length < 4) return undefined;
  const dv = view(bytes);
  const le = dv.getUint32(0, true);
  const be = dv.getUint32(0, false);
  const magic = [MAGIC_USEC, MAGIC_NSEC].find((m) => m === le || m === be);
  if (magic === undefined) return undefined;
  const little = magic === le;
  if (bytes.length < FILE_HEADER) throw formatError('pcap', bytes.length, `file header truncated: ${bytes.length} of ${FILE_HEADER} bytes`);
  const major = dv.getUint16(4, little);
  if (major !== 2) throw formatError('pcap', 4, `unsupported version ${major}.${dv.getUint16(6, little)} (expected 2.4)`);
  return {
    byteOrder: little ? 'little' : 'big',
    nanosecond: magic === MAGIC_NSEC,
    snaplen: dv.getUint32(16, little),
    // The upper bits may carry FCS information; the link type is the low 16.
    linktype: dv.getUint32(20, little) & 0xffff,
  };
}

/** One record's fields, handed to a visitor without allocating (`data` is bytes[offset, offset + caplen)). */
export interface RecordVisitor {
  (offset: number, caplen: number, len: number, sec: number, frac: number): void;
}

/** Walk the records of a classic pcap file whose header is `h`. */
export function scanPcap(bytes: Uint8Array, h: PcapHeader, visit: RecordVisitor): number {
  const dv = view(bytes);
  const little = h.byteOrder === 'little';
  let at = FILE_HEADER;
  let count = 0;
  while (at < bytes.length) {
    if (bytes.length - at < RECORD_HEADER) throw formatError('pcap', at, `record header truncated: ${bytes.length - at} of ${RECORD_HEADER} bytes`);
    const caplen = dv.getUint32(at + 8, little);
    const body = at + RECORD_HEADER;
    if (caplen > bytes.length - body) throw formatError('pcap', at, `record ${count} claims ${caplen} captured bytes, ${bytes.length - body} remain`);
    visit(body, caplen, dv.getUint32(at + 12, little), dv.getUint32(at, little), dv.getUint32(at + 4, little));
    at = body + caplen;
    count++;
  }
  return count;
}

/**
 * Fill `out` with (base + offset of the data, captured length, length on
 * the wire) for up to `max` records from byte `from` of a classic pcap file:
 * the bulk form of scanPcap for filtering, with the same checks. Returns the
 * number of records and where the next one starts.
 */
export function recordTable(bytes: Uint8Array, h: PcapHeader, from: number, max: number, out: Uint32Array, base: number): { count: number; next: number } {
  const little = h.byteOrder === 'little';
  let at = from;
  let count = 0;
  while (count < max && at < bytes.length) {
    if (bytes.length - at < RECORD_HEADER) throw formatError('pcap', at, `record header truncated: ${bytes.length - at} of ${RECORD_HEADER} bytes`);
    const caplen = little ? u32le(bytes, at + 8) : u32be(bytes, at + 8);
    const body = at + RECORD_HEADER;
    if (caplen > bytes.length - body) throw formatError('pcap', at, `record claims ${caplen} captured bytes, ${bytes.length - body} remain`);
    out[3 * count] = base + body;
    out[3 * count + 1] = caplen;
    out[3 * count + 2] = little ? u32le(bytes, at + 12) : u32be(bytes, at + 12);
    at = body + caplen;
    count++;
  }
  return { count, next: at };
}

const u32le = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const u32be = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/** Where the first record of a classic pcap file starts. */
export const FIRST_RECORD = FILE_HEADER;

export function readPcap(bytes: Uint8Array): Capture {
  const h = pcapHeader(bytes);
  if (!h) throw formatError('pcap', 0, 'not a pcap file (bad magic)');
  const packets: PacketRecord[] = [];
  const scale = h.nanosecond ? 1 : 1000;
  scanPcap(bytes, h, (offset, caplen, len, sec, frac) => {
    // A fraction of a second out of range is carried into the seconds rather than refused.
    const ns = frac * scale;
    const carry = Math.floor(ns / 1e9);
    packets.push({ sec: sec + carry, nsec: ns - carry * 1e9, data: bytes.subarray(offset, offset + caplen), len, iface: 0, linktype: h.linktype, offset });
  });
  return {
    format: 'pcap',
    byteOrder: h.byteOrder,
    nanosecond: h.nanosecond,
    interfaces: [{ linktype: h.linktype, snaplen: h.snaplen, unitsPerSecond: h.nanosecond ? 1_000_000_000n : 1_000_000n }],
    packets,
    bytes,
  };
}

export interface PcapWriteOptions {
  linktype?: number;
  snaplen?: number;
  nanosecond?: boolean;
  byteOrder?: ByteOrder;
}

/** A classic pcap file holding `packets` (their link types are not checked against `linktype`). */
export function writePcap(packets: readonly Pick<PacketRecord, 'sec' | 'nsec' | 'data' | 'len'>[], options: PcapWriteOptions = {}): Uint8Array {
  const little = (options.byteOrder ?? 'little') === 'little';
  const nano = options.nanosecond ?? false;
  const size = FILE_HEADER + packets.reduce((n, p) => n + RECORD_HEADER + p.data.length, 0);
  const out = new Uint8Array(size);
  const dv = view(out);
  dv.setUint32(0, nano ? MAGIC_NSEC : MAGIC_USEC, little);
  dv.setUint16(4, 2, little);
  dv.setUint16(6, 4, little);
  dv.setUint32(16, options.snaplen ?? 262144, little);
  dv.setUint32(20, options.linktype ?? LINKTYPE_ETHERNET, little);
  let at = FILE_HEADER;
  for (const p of packets) {
    dv.setUint32(at, p.sec, little);
    dv.setUint32(at + 4, nano ? p.nsec : Math.floor(p.nsec / 1000), little);
    dv.setUint32(at + 8, p.data.length, little);
    dv.setUint32(at + 12, p.len, little);
    out.set(p.data, at + RECORD_HEADER);
    at += RECORD_HEADER + p.data.length;
  }
  return out;
}

export const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
