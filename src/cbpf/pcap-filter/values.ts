import { BpfError } from '../../errno.js';

/**
 * The 32-bit values a filter computes, as trees: constants, packet loads,
 * the IPv4 header length (`4*([k]&0xf)`), the packet length and arithmetic.
 *
 * A tree is kept as the expression was written (its "raw" form, which the
 * unoptimised program computes step by step) and can be simplified
 * (`canonical`) the way libpcap's optimiser does: constants folded, x+0 and
 * x*0 reduced, loads with a constant index made absolute. What matters for
 * matching tcpdump is which packet loads a simplified tree still performs:
 * a load outside the packet ends a classic filter with 0, so dropping one
 * changes which truncated packets pass.
 */
export type Size = 1 | 2 | 4;

export type AluOp = 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'and' | 'or' | 'xor' | 'lsh' | 'rsh';

export type Val =
  | { v: 'const'; k: number }
  /** bytes at a fixed offset */
  | { v: 'abs'; size: Size; off: number }
  /** bytes at off + the value of idx (classic `ld [x + off]`) */
  | { v: 'ind'; size: Size; off: number; idx: Val }
  /** 4 * (byte at off & 0xf): the IPv4 header length (classic `ldxb 4*([off]&0xf)`) */
  | { v: 'msh'; off: number }
  /** the packet's length on the wire */
  | { v: 'len' }
  /**
   * arithmetic; `form` records whether libpcap computes it with a constant
   * operand (`and #0xfff`, from its own primitives) or through X (user
   * arithmetic), since its optimiser tells the two apart before it folds
   */
  | { v: 'alu'; op: AluOp; a: Val; b: Val; form: 'k' | 'x' }
  | { v: 'neg'; a: Val };

export const konst = (k: number): Val => ({ v: 'const', k: k >>> 0 });
export const abs = (size: Size, off: number): Val => ({ v: 'abs', size, off });
export const ind = (size: Size, off: number, idx: Val): Val => ({ v: 'ind', size, off, idx });
export const msh = (off: number): Val => ({ v: 'msh', off });
export const LEN: Val = { v: 'len' };
export const alu = (op: AluOp, a: Val, b: Val, form: 'k' | 'x' = 'x'): Val => ({ v: 'alu', op, a, b, form });

const keys = new WeakMap<Val, string>();

/**
 * A string that is equal for equal raw trees: the value number libpcap's
 * optimiser gives the value before it simplifies statements.
 */
export function rawKey(val: Val): string {
  let key = keys.get(val);
  if (key === undefined) {
    key = computeKey(val);
    keys.set(val, key);
  }
  return key;
}

function computeKey(val: Val): string {
  switch (val.v) {
    case 'const':
      return `#${val.k}`;
    case 'abs':
      return `L${val.size}[${val.off}]`;
    case 'ind':
      return `I${val.size}[${val.off}+${rawKey(val.idx)}]`;
    case 'msh':
      return `msh[${val.off}]`;
    case 'len':
      return 'len';
    case 'alu':
      return `${val.op}${val.form}(${rawKey(val.a)},${rawKey(val.b)})`;
    case 'neg':
      return `neg(${rawKey(val.a)})`;
  }
}

export const isConst = (val: Val): val is { v: 'const'; k: number } => val.v === 'const';

/** Apply a 32-bit ALU operation to constants; division by zero is the caller's to refuse. */
export function fold(op: AluOp, a: number, b: number): number {
  switch (op) {
    case 'add':
      return (a + b) >>> 0;
    case 'sub':
      return (a - b) >>> 0;
    case 'mul':
      return Math.imul(a, b) >>> 0;
    case 'div':
      return Math.floor(a / b) >>> 0;
    case 'mod':
      return a % b >>> 0;
    case 'and':
      return (a & b) >>> 0;
    case 'or':
      return (a | b) >>> 0;
    case 'xor':
      return (a ^ b) >>> 0;
    case 'lsh':
      return (a << b) >>> 0;
    case 'rsh':
      return a >>> b;
  }
}

/**
 * The simplified value, as libpcap's optimiser leaves it: constants folded,
 * identities applied (x+0, x|0, x^0, x<<0, x>>0 are x; x*0, x&0 are 0; 0+x,
 * 0|x, 0^x are x; 0*x, 0/x, 0%x, 0&x, 0<<x, 0>>x are 0), loads through a
 * constant index made absolute, and a constant added to the IPv4 header
 * length moved into the load's offset. `x - 0` is kept, as libpcap keeps it.
 */
export function canonical(val: Val): Val {
  switch (val.v) {
    case 'ind':
      return canonicalLoad(val.size, val.off, canonical(val.idx));
    case 'alu':
      return canonicalAlu(val.op, canonical(val.a), canonical(val.b));
    case 'neg': {
      const a = canonical(val.a);
      return isConst(a) ? konst(-a.k) : { v: 'neg', a };
    }
    default:
      return val;
  }
}

function canonicalLoad(size: Size, off: number, idx: Val): Val {
  if (isConst(idx)) return abs(size, (off + idx.k) >>> 0);
  if (idx.v === 'alu' && idx.op === 'add') {
    if (isConst(idx.a) && idx.b.v === 'msh') return ind(size, (off + idx.a.k) >>> 0, idx.b);
    if (isConst(idx.b) && idx.a.v === 'msh') return ind(size, (off + idx.b.k) >>> 0, idx.a);
  }
  return ind(size, off, idx);
}

const ZERO_RIGHT_IDENTITY = new Set<AluOp>(['add', 'or', 'xor', 'lsh', 'rsh']);
const ZERO_RIGHT_ZERO = new Set<AluOp>(['mul', 'and']);
const ZERO_LEFT_IDENTITY = new Set<AluOp>(['add', 'or', 'xor']);
const ZERO_LEFT_ZERO = new Set<AluOp>(['mul', 'div', 'mod', 'and', 'lsh', 'rsh']);

function canonicalAlu(op: AluOp, a: Val, b: Val): Val {
  if (isConst(b)) {
    if ((op === 'div' || op === 'mod') && b.k === 0) {
      throw new BpfError('EINVAL', op === 'div' ? 'division by zero' : 'modulus by zero');
    }
    if (isConst(a)) return konst(fold(op, a.k, b.k));
    if (b.k === 0 && ZERO_RIGHT_IDENTITY.has(op)) return a;
    if (b.k === 0 && ZERO_RIGHT_ZERO.has(op)) return konst(0);
  } else if (isConst(a) && a.k === 0) {
    if (ZERO_LEFT_IDENTITY.has(op)) return b;
    if (ZERO_LEFT_ZERO.has(op)) return konst(0);
  }
  return alu(op, a, b, isConst(b) ? 'k' : 'x');
}

/** The packet loads a value performs, in the order the classic program performs them. */
export function loadsOf(val: Val, out: Val[] = []): Val[] {
  switch (val.v) {
    case 'abs':
    case 'msh':
      out.push(val);
      break;
    case 'ind':
      loadsOf(val.idx, out);
      out.push(val);
      break;
    case 'alu':
      loadsOf(val.a, out);
      loadsOf(val.b, out);
      break;
    case 'neg':
      loadsOf(val.a, out);
      break;
  }
  return out;
}
