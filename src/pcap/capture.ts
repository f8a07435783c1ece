import { isPcapng, readPcapng } from './pcapng.js';
import { pcapHeader, readPcap } from './pcap.js';
import { Capture, formatError } from './record.js';

export * from './record.js';
export { readPcap, writePcap, PcapWriteOptions } from './pcap.js';
export { readPcapng, writePcapng, PcapngWriteOptions } from './pcapng.js';

/** Read a classic pcap or a pcapng file, told apart by their first bytes. */
export function readCapture(bytes: Uint8Array): Capture {
  if (isPcapng(bytes)) return readPcapng(bytes);
  if (pcapHeader(bytes)) return readPcap(bytes);
  const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw formatError('capture', 0, `not a pcap or pcapng file (first bytes: ${head || 'none'})`);
}
