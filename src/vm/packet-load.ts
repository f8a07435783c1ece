import { BpfError } from '../errno.js';
import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { Region } from './memory.js';

/**
 * Legacy LD_ABS / LD_IND, as both engines run it: the big-endian 1/2/4 bytes
 * at packet + imm (+ the signed 32-bit index register for LD_IND), or
 * undefined when they are outside the packet (Linux then ends the program
 * with 0).
 */
export function packetLoad(u8: Uint8Array, packet: Region | undefined, ins: Insn, index: number, pc: number): number | undefined {
  if (!packet) throw new BpfError('EINVAL', `pc ${pc}: legacy packet load needs a packet (socket filter context)`);
  const size = o.sizeBytes(ins.code);
  const rel = ins.imm + (o.mode(ins.code) === o.BPF_IND ? index : 0);
  if (rel < 0 || rel + size > packet.end - packet.start) return undefined;
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + u8[packet.start + rel + i]!;
  return v;
}
