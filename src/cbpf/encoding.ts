import { BpfError } from '../errno.js';
import { SOCK_FILTER_SIZE, SockFilter } from './instruction.js';

/**
 * `struct sock_filter` arrays as bytes: u16 code, u8 jt, u8 jf, u32 k, in the
 * byte order of the host that loads them (little-endian on x86-64 and
 * arm64, the default here).
 */

export type ByteOrder = 'little' | 'big';

export function decodeClassic(bytes: Uint8Array, order: ByteOrder = 'little'): SockFilter[] {
  if (bytes.length % SOCK_FILTER_SIZE !== 0) {
    const whole = Math.floor(bytes.length / SOCK_FILTER_SIZE);
    throw new BpfError('EINVAL', `classic program is ${bytes.length} bytes, not a multiple of ${SOCK_FILTER_SIZE}: insn ${whole} is truncated`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = order === 'little';
  const out: SockFilter[] = [];
  for (let at = 0; at < bytes.length; at += SOCK_FILTER_SIZE) {
    out.push({ code: dv.getUint16(at, le), jt: dv.getUint8(at + 2), jf: dv.getUint8(at + 3), k: dv.getUint32(at + 4, le) });
  }
  return out;
}

export function encodeClassic(prog: readonly SockFilter[], order: ByteOrder = 'little'): Uint8Array {
  checkFields(prog);
  const bytes = new Uint8Array(prog.length * SOCK_FILTER_SIZE);
  const dv = new DataView(bytes.buffer);
  const le = order === 'little';
  prog.forEach((f, i) => {
    const at = i * SOCK_FILTER_SIZE;
    dv.setUint16(at, f.code, le);
    dv.setUint8(at + 2, f.jt);
    dv.setUint8(at + 3, f.jf);
    dv.setUint32(at + 4, f.k >>> 0, le);
  });
  return bytes;
}

const FIELD_LIMITS = { code: 0xffff, jt: 0xff, jf: 0xff } as const;

/**
 * Refuse instructions whose fields do not fit `struct sock_filter` (objects
 * built in JavaScript can hold anything); k may be given signed or unsigned.
 */
export function checkFields(prog: readonly SockFilter[]): void {
  prog.forEach((f, i) => {
    for (const [name, max] of Object.entries(FIELD_LIMITS)) {
      const v = f[name as keyof typeof FIELD_LIMITS];
      if (!Number.isInteger(v) || v < 0 || v > max) throw new BpfError('EINVAL', `insn ${i}: ${name} ${v} does not fit (0..${max})`);
    }
    if (!Number.isInteger(f.k) || f.k < -0x80000000 || f.k > 0xffffffff) throw new BpfError('EINVAL', `insn ${i}: k ${f.k} is not a 32-bit value`);
  });
}
