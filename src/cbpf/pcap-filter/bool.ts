import { Size, Val, abs, alu, konst } from './values.js';

/**
 * Boolean structure of a filter: tests combined with and, or, not. Each
 * primitive (`host`, `port`, `ip[2:2] > 576`…) becomes the same tree of
 * tests libpcap builds for it, in the same order, because the order decides
 * which packet loads run before a decision is made, and so which truncated
 * packets are dropped.
 */
export type JumpOp = 'jeq' | 'jgt' | 'jge' | 'jset';

/** One conditional jump of the classic program: `a op b` (unsigned). */
export interface Test {
  op: JumpOp;
  a: Val;
  b: Val;
  /**
   * computed as libpcap computes comparisons of arithmetic (through scratch
   * memory), which its optimiser rewrites on its first pass
   */
  arith?: boolean;
}

export type Bool =
  | { kind: 'test'; test: Test }
  | { kind: 'and' | 'or'; left: Bool; right: Bool }
  | { kind: 'not'; expr: Bool };

export const test = (op: JumpOp, a: Val, b: Val, arith = false): Bool => ({ kind: 'test', test: { op, a, b, arith } });
export const and = (left: Bool, right: Bool): Bool => ({ kind: 'and', left, right });
export const or = (left: Bool, right: Bool): Bool => ({ kind: 'or', left, right });
export const not = (expr: Bool): Bool => ({ kind: 'not', expr });

/** Left to right: the first is evaluated first. */
export const andAll = (items: readonly Bool[]): Bool => items.reduce((l, r) => and(l, r));
export const orAll = (items: readonly Bool[]): Bool => items.reduce((l, r) => or(l, r));

/** `and` where either side may be absent (a load with no protocol check). */
export function andMaybe(left: Bool | undefined, right: Bool | undefined): Bool | undefined {
  if (!left) return right;
  if (!right) return left;
  return and(left, right);
}

/** bytes at off == value */
export const cmp = (size: Size, off: number, value: number): Bool => test('jeq', abs(size, off), konst(value));

/** (bytes at off & mask) == value; no `and` when the mask is all ones, as libpcap emits it */
export function cmpMasked(size: Size, off: number, value: number, mask: number): Bool {
  const full = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  if ((mask & full) >>> 0 === full) return cmp(size, off, value);
  return test('jeq', alu('and', abs(size, off), konst(mask), 'k'), konst(value));
}

/**
 * Bytes at [off, off + n) equal `bytes`, compared as libpcap does: in 4-byte
 * then 2-byte then 1-byte pieces, starting from the end of the field.
 */
export function cmpBytes(off: number, bytes: Uint8Array): Bool {
  const pieces: Bool[] = [];
  let n = bytes.length;
  const word = (at: number, size: Size): number => bytes.subarray(at, at + size).reduce((v, b) => v * 256 + b, 0);
  while (n >= 4) {
    pieces.push(cmp(4, off + n - 4, word(n - 4, 4)));
    n -= 4;
  }
  while (n >= 2) {
    pieces.push(cmp(2, off + n - 2, word(n - 2, 2)));
    n -= 2;
  }
  if (n > 0) pieces.push(cmp(1, off, bytes[0]!));
  return andAll(pieces);
}
