import { BpfError } from '../errno.js';
import { LDDW } from './opcodes.js';

/**
 * One 8-byte instruction slot, as `struct bpf_insn` holds it. A `lddw`
 * occupies two slots, as in Linux: the second has code 0 and carries the high
 * 32 bits of the constant in `imm`. Instruction indices everywhere (jump
 * offsets, verifier log, errors) count slots.
 */
export interface Insn {
  /** opcode byte */
  code: number;
  /** destination register, 0..15 as encoded (valid: 0..10) */
  dst: number;
  /** source register, 0..15 as encoded (valid: 0..10) */
  src: number;
  /** signed 16-bit offset */
  off: number;
  /** signed 32-bit immediate */
  imm: number;
}

export const INSN_SIZE = 8;

export type Endianness = 'little' | 'big';

export function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { code, dst, src, off: (off << 16) >> 16, imm: imm | 0 };
}

/** The two slots of `lddw dst, value` (src selects a pseudo-source, 0 for a constant). */
export function lddw(dst: number, value: bigint, src = 0): [Insn, Insn] {
  const v = BigInt.asUintN(64, value);
  return [
    insn(LDDW, dst, src, 0, Number(v & 0xffffffffn)),
    insn(0, 0, 0, 0, Number(v >> 32n)),
  ];
}

/** The 64-bit constant of the `lddw` whose first slot is at `i`, as an unsigned value. */
export function lddwValue(insns: readonly Insn[], i: number): bigint {
  const lo = BigInt(insns[i]!.imm >>> 0);
  const hi = BigInt((insns[i + 1]?.imm ?? 0) >>> 0);
  return (hi << 32n) | lo;
}

export const isLddw = (i: Insn): boolean => i.code === LDDW;

/**
 * Decode bytes into instruction slots. On a big-endian target the register
 * byte holds dst in its high nibble and the multi-byte fields are big-endian.
 */
export function decode(bytes: Uint8Array, endian: Endianness = 'little'): Insn[] {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new BpfError(
      'EINVAL',
      `program is ${bytes.length} bytes, not a multiple of ${INSN_SIZE}: truncated instruction ${Math.floor(bytes.length / INSN_SIZE)}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = endian === 'little';
  const out: Insn[] = [];
  for (let at = 0; at < bytes.length; at += INSN_SIZE) {
    const regs = view.getUint8(at + 1);
    out.push({
      code: view.getUint8(at),
      dst: le ? regs & 0xf : regs >> 4,
      src: le ? regs >> 4 : regs & 0xf,
      off: view.getInt16(at + 2, le),
      imm: view.getInt32(at + 4, le),
    });
  }
  return out;
}

export function encode(insns: readonly Insn[], endian: Endianness = 'little'): Uint8Array {
  const bytes = new Uint8Array(insns.length * INSN_SIZE);
  const view = new DataView(bytes.buffer);
  const le = endian === 'little';
  insns.forEach((ins, i) => {
    const at = i * INSN_SIZE;
    const dst = ins.dst & 0xf;
    const src = ins.src & 0xf;
    view.setUint8(at, ins.code & 0xff);
    view.setUint8(at + 1, le ? (src << 4) | dst : (dst << 4) | src);
    view.setInt16(at + 2, ins.off, le);
    view.setInt32(at + 4, ins.imm, le);
  });
  return bytes;
}

/** One slot as the 64-bit word the conformance vectors use (little-endian memory order). */
export function toWord(ins: Insn): bigint {
  const b = encode([ins]);
  return new DataView(b.buffer).getBigUint64(0, true);
}

export function fromWord(word: bigint): Insn {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, word), true);
  return decode(b)[0]!;
}
