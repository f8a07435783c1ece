/**
 * One classic BPF instruction, `struct sock_filter` of `linux/filter.h`:
 * a 16-bit opcode, two 8-bit forward jump offsets and a 32-bit constant.
 */
export interface SockFilter {
  /** Opcode: class | size/op | mode/src (see opcodes.ts). */
  code: number;
  /** Instructions to skip when a conditional jump is taken (0..255). */
  jt: number;
  /** Instructions to skip when it is not taken (0..255). */
  jf: number;
  /** Constant operand, kept as an unsigned 32-bit number. */
  k: number;
}

/** Size in bytes of one encoded `struct sock_filter`. */
export const SOCK_FILTER_SIZE = 8;

/** A classic instruction with an unsigned k (negative offsets such as SKF_AD_OFF wrap). */
export function sockFilter(code: number, jt: number, jf: number, k: number): SockFilter {
  return { code, jt, jf, k: k >>> 0 };
}
