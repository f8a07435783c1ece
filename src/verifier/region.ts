import { S64_MIN } from './bounds.js';
import { reject2 } from './context.js';
import { MAX_VAR_OFF } from './ptr-alu.js';
import { Reg } from './reg.js';
import { VerifierError } from './context.js';

/**
 * Bounds of an access inside a region of known size — a map value or key,
 * ring buffer memory, a packet's checked range (Linux's __check_mem_access
 * and check_mem_region_access): the access must fit for every value of the
 * pointer's variable offset, its smallest and its largest.
 */

/** The message Linux prints for an access of `size` at `off` outside [0, memSize). */
function outside(regno: number, r: Reg, off: number, size: number, memSize: number): string {
  switch (r.type) {
    case 'map_key':
      return `invalid access to map key, key_size=${memSize} off=${off} size=${size}`;
    case 'map_value':
      return `invalid access to map value, value_size=${memSize} off=${off} size=${size}`;
    case 'pkt':
    case 'pkt_meta':
    case 'pkt_end':
      return `invalid access to packet, off=${off} size=${size}, R${regno}(id=${r.id},off=${off},r=${memSize})`;
    default:
      return `invalid access to memory, mem_size=${memSize >>> 0} off=${off} size=${size}`;
  }
}

/** Whether [off, off+size) lies in [0, memSize); when not, the message. */
export function memAccess(regno: number, r: Reg, off: number, size: number, memSize: number, zeroOk: boolean): string | undefined {
  const sizeOk = size > 0 || (size === 0 && zeroOk);
  if (off >= 0 && sizeOk && off + size <= memSize) return undefined;
  return outside(regno, r, off, size, memSize);
}

/** Linux's check_mem_region_access: the region [0, memSize) through a pointer with a variable offset. */
export function regionAccess(regno: number, r: Reg, off: number, size: number, memSize: number, zeroOk: boolean, what: string): void {
  if (r.smin < 0n && (r.smin === S64_MIN || !fitsS32(BigInt(off) + r.smin) || r.smin + BigInt(off) < 0n)) {
    throw new VerifierError(
      'EACCES',
      `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`,
      `make sure the offset added to the ${what} pointer cannot be negative (use an unsigned type, or check it is >= 0)`,
    );
  }
  const lo = memAccess(regno, r, Number(r.smin) + off, size, memSize, zeroOk);
  if (lo) reject2('EACCES', lo, `R${regno} min value is outside of the allowed memory range`, `the lowest offset this access can have is outside the ${what}: check the index before using it`);
  if (r.umax >= BigInt(MAX_VAR_OFF)) {
    throw new VerifierError('EACCES', `R${regno} unbounded memory access, make sure to bounds check any such access`, `bound the offset first, e.g. \`if (idx >= N) return 0;\` with N * size <= ${memSize}`);
  }
  const hi = memAccess(regno, r, Number(r.umax) + off, size, memSize, zeroOk);
  if (hi) {
    reject2('EACCES', hi, `R${regno} max value is outside of the allowed memory range`, `the highest offset this access can have is past the ${memSize}-byte ${what}: bound the index so that offset + ${size} <= ${memSize}`);
  }
}

const fitsS32 = (v: bigint): boolean => v === BigInt.asIntN(32, v);
