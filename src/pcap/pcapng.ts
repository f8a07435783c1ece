import { view } from './pcap.js';
import { ByteOrder, Capture, InterfaceInfo, LINKTYPE_ETHERNET, PacketRecord, formatError } from './record.js';

/**
 * pcapng files: a sequence of blocks (type, total length, body, total length
 * again), in sections that each start with a Section Header Block giving the
 * byte order. Read: Interface Description (link type, snaplen, timestamp
 * resolution and offset), Enhanced, Simple and the obsolete Packet blocks;
 * other blocks are skipped. Each section has its own interfaces.
 */

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const OPB = 0x00000002;
const SPB = 0x00000003;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

export const isPcapng = (bytes: Uint8Array): boolean => bytes.length >= 4 && view(bytes).getUint32(0, true) === SHB;

interface Iface extends InterfaceInfo {
  /** seconds added to every timestamp (if_tsoffset) */
  offset: bigint;
}

/** The state of the section being read. */
interface Section {
  little: boolean;
  ifaces: Iface[];
}

export function readPcapng(bytes: Uint8Array): Capture {
  const dv = view(bytes);
  const packets: PacketRecord[] = [];
  const interfaces: InterfaceInfo[] = [];
  let section: Section | undefined;
  let firstOrder: ByteOrder | undefined;
  for (let at = 0; at < bytes.length; ) {
    if (bytes.length - at < 12) throw formatError('pcapng', at, `block header truncated: ${bytes.length - at} bytes left, a block needs at least 12`);
    const type = dv.getUint32(at, section?.little ?? true);
    if (type === SHB) section = { little: sectionOrder(bytes, at), ifaces: [] };
    else if (!section) throw formatError('pcapng', at, 'the file does not start with a section header block');
    firstOrder ??= section.little ? 'little' : 'big';
    const length = blockLength(bytes, at, section.little);
    const body = bytes.subarray(at + 8, at + length - 4);
    if (type === IDB) {
      const iface = interfaceBlock(body, at, section.little);
      section.ifaces.push(iface);
      interfaces.push(iface);
    } else if (type === EPB || type === OPB || type === SPB) {
      const packet = packetBlock(type, body, at, section);
      packet.offset = packet.data.byteOffset - bytes.byteOffset;
      packets.push(packet);
    }
    at += length;
  }
  if (!section) throw formatError('pcapng', 0, 'empty file');
  return {
    format: 'pcapng',
    byteOrder: firstOrder ?? 'little',
    nanosecond: (interfaces[0]?.unitsPerSecond ?? 0n) >= 1_000_000_000n,
    interfaces,
    packets,
    bytes,
  };
}

function sectionOrder(bytes: Uint8Array, at: number): boolean {
  if (bytes.length - at < 28) throw formatError('pcapng', at, 'section header block truncated');
  const magic = view(bytes).getUint32(at + 8, true);
  if (magic === BYTE_ORDER_MAGIC) return true;
  if (magic === 0x4d3c2b1a) return false;
  throw formatError('pcapng', at + 8, `bad byte-order magic 0x${magic.toString(16)}`);
}

/** The total length of the block at `at`, checked against the file and its trailing copy. */
function blockLength(bytes: Uint8Array, at: number, little: boolean): number {
  const dv = view(bytes);
  const length = dv.getUint32(at + 4, little);
  if (length < 12 || length % 4 !== 0) throw formatError('pcapng', at + 4, `bad block length ${length} (at least 12, a multiple of 4)`);
  if (length > bytes.length - at) throw formatError('pcapng', at + 4, `block length ${length} runs past the end of the file (${bytes.length - at} bytes left)`);
  const trailer = dv.getUint32(at + length - 4, little);
  if (trailer !== length) throw formatError('pcapng', at + length - 4, `block length ${length} does not match its trailing copy ${trailer}`);
  return length;
}

/** The options of a block body from `from`: code → value. */
function options(body: Uint8Array, from: number, little: boolean, blockAt: number): Map<number, Uint8Array> {
  const dv = view(body);
  const found = new Map<number, Uint8Array>();
  for (let at = from; at + 4 <= body.length; ) {
    const code = dv.getUint16(at, little);
    const len = dv.getUint16(at + 2, little);
    if (code === OPT_ENDOFOPT) break;
    if (len > body.length - at - 4) throw formatError('pcapng', blockAt + 8 + at, `option ${code} of ${len} bytes runs past the end of its block`);
    if (!found.has(code)) found.set(code, body.subarray(at + 4, at + 4 + len));
    at += 4 + Math.ceil(len / 4) * 4;
  }
  return found;
}

function interfaceBlock(body: Uint8Array, at: number, little: boolean): Iface {
  if (body.length < 8) throw formatError('pcapng', at, 'interface description block truncated');
  const dv = view(body);
  const opts = options(body, 8, little, at);
  const resol = opts.get(IF_TSRESOL)?.[0] ?? 6;
  // The high bit selects a power of two; otherwise a power of ten.
  const unitsPerSecond = resol & 0x80 ? 1n << BigInt(resol & 0x7f) : 10n ** BigInt(resol);
  const off = opts.get(IF_TSOFFSET);
  const offset = off && off.length >= 8 ? view(off).getBigInt64(0, little) : 0n;
  return { linktype: dv.getUint16(0, little), snaplen: dv.getUint32(4, little), unitsPerSecond, offset };
}

function packetBlock(type: number, body: Uint8Array, at: number, s: Section): PacketRecord {
  const dv = view(body);
  const u32 = (o: number): number => dv.getUint32(o, s.little);
  if (type === SPB) {
    if (body.length < 4) throw formatError('pcapng', at, 'simple packet block truncated');
    const iface = s.ifaces[0];
    if (!iface) throw formatError('pcapng', at, 'simple packet block before any interface description');
    const len = u32(0);
    const caplen = Math.min(len, iface.snaplen || Infinity, body.length - 4);
    return { sec: 0, nsec: 0, data: body.subarray(4, 4 + caplen), len, iface: 0, linktype: iface.linktype };
  }
  const head = 20;
  if (body.length < head) throw formatError('pcapng', at, `${type === EPB ? 'enhanced' : 'obsolete'} packet block truncated`);
  const ifIndex = type === EPB ? u32(0) : dv.getUint16(0, s.little);
  const iface = s.ifaces[ifIndex];
  if (!iface) throw formatError('pcapng', at + 8, `packet block names interface ${ifIndex}, but the section has ${s.ifaces.length}`);
  const caplen = u32(12);
  if (caplen > body.length - head) throw formatError('pcapng', at + 20, `packet block claims ${caplen} captured bytes, the block holds ${body.length - head}`);
  const { sec, nsec } = timestamp(BigInt(u32(4)) * 0x1_0000_0000n + BigInt(u32(8)), iface);
  return { sec, nsec, data: body.subarray(head, head + caplen), len: u32(16), iface: ifIndex, linktype: iface.linktype };
}

function timestamp(units: bigint, iface: Iface): { sec: number; nsec: number } {
  const sec = units / iface.unitsPerSecond + iface.offset;
  const nsec = ((units % iface.unitsPerSecond) * 1_000_000_000n) / iface.unitsPerSecond;
  return { sec: Number(sec), nsec: Number(nsec) };
}

export interface PcapngWriteOptions {
  /** one entry per interface; packets name theirs by `iface` (default: one Ethernet interface) */
  interfaces?: { linktype: number; snaplen?: number }[];
  nanosecond?: boolean;
  byteOrder?: ByteOrder;
}

type Writable = Pick<PacketRecord, 'sec' | 'nsec' | 'data' | 'len'> & { iface?: number };

/** A pcapng file with one section: a section header, the interfaces, then one enhanced packet block per packet. */
export function writePcapng(packets: readonly Writable[], options: PcapngWriteOptions = {}): Uint8Array {
  const little = (options.byteOrder ?? 'little') === 'little';
  const nano = options.nanosecond ?? false;
  const ifaces = options.interfaces ?? [{ linktype: LINKTYPE_ETHERNET }];
  const blocks: Uint8Array[] = [block(SHB, little, (dv) => {
    dv.setUint32(0, BYTE_ORDER_MAGIC, little);
    dv.setUint16(4, 1, little);
    dv.setBigInt64(8, -1n, little);
  }, 16)];
  for (const i of ifaces) {
    blocks.push(block(IDB, little, (dv) => {
      dv.setUint16(0, i.linktype, little);
      dv.setUint32(4, i.snaplen ?? 262144, little);
      if (nano) {
        dv.setUint16(8, IF_TSRESOL, little);
        dv.setUint16(10, 1, little);
        dv.setUint8(12, 9);
      }
    }, nano ? 20 : 8));
  }
  for (const p of packets) {
    const padded = Math.ceil(p.data.length / 4) * 4;
    blocks.push(block(EPB, little, (dv, body) => {
      const units = BigInt(p.sec) * (nano ? 1_000_000_000n : 1_000_000n) + BigInt(nano ? p.nsec : Math.floor(p.nsec / 1000));
      dv.setUint32(0, p.iface ?? 0, little);
      dv.setUint32(4, Number(units >> 32n), little);
      dv.setUint32(8, Number(units & 0xffffffffn), little);
      dv.setUint32(12, p.data.length, little);
      dv.setUint32(16, p.len, little);
      body.set(p.data, 20);
    }, 20 + padded));
  }
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  blocks.reduce((at, b) => (out.set(b, at), at + b.length), 0);
  return out;
}

function block(type: number, little: boolean, fill: (dv: DataView, body: Uint8Array) => void, bodyLength: number): Uint8Array {
  const length = 12 + bodyLength;
  const b = new Uint8Array(length);
  const dv = view(b);
  dv.setUint32(0, type, little);
  dv.setUint32(4, length, little);
  fill(view(b.subarray(8, 8 + bodyLength)), b.subarray(8, 8 + bodyLength));
  dv.setUint32(length - 4, length, little);
  return b;
}
