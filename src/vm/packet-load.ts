import { BpfError } from '../errno.js';
import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { Region } from './memory.js';

/**
 * The packet LD_ABS / LD_IND read: the region at offset 0, and where the
 * link-layer and network headers are, for the negative offsets classic BPF
 * uses (SKF_LL_OFF, SKF_NET_OFF) — bounded below by the buffer's head.
 */
export interface PacketRegion extends Region {
  mac?: number;
  net?: number;
  head?: number;
}

const SKF_NET_OFF = -0x100000;
const SKF_LL_OFF = -0x200000;

/** The address `off` (negative: header-relative) designates, or undefined when it designates none. */
function address(packet: PacketRegion, off: number): number | undefined {
  if (off >= 0) return packet.start + off;
  if (off >= SKF_NET_OFF) return packet.net === undefined ? undefined : packet.net + off - SKF_NET_OFF;
  if (off >= SKF_LL_OFF) return packet.mac === undefined ? undefined : packet.mac + off - SKF_LL_OFF;
  return undefined;
}

/**
 * Legacy LD_ABS / LD_IND, as both engines run it: the big-endian 1/2/4 bytes
 * at packet + imm (+ the index register for LD_IND, the sum wrapping to a
 * signed 32-bit offset as in Linux), or undefined when they are outside the
 * packet (Linux then ends the program with 0).
 */
export function packetLoad(u8: Uint8Array, packet: PacketRegion | undefined, ins: Insn, index: number, pc: number): number | undefined {
  if (!packet) throw new BpfError('EINVAL', `pc ${pc}: legacy packet load needs a packet (socket filter context)`);
  const size = o.sizeBytes(ins.code);
  const at = address(packet, (ins.imm + (o.mode(ins.code) === o.BPF_IND ? index : 0)) | 0);
  if (at === undefined || at < (packet.head ?? packet.start) || at + size > packet.end) return undefined;
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + u8[at + i]!;
  return v;
}
