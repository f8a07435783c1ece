import { BpfError, ERRNO, ErrnoName } from '../errno.js';
import type { HelperEnv } from './registry.js';

/**
 * Small pieces shared by the Linux helper families: return values in the
 * kernel's encoding and the memory accesses the helpers make through a
 * HelperEnv.
 */

/** A helper's int/long return value as the unsigned 64-bit r0 (two's complement). */
export function ret(value: number | bigint): bigint {
  return BigInt.asUintN(64, BigInt(value));
}

/** `-errno` as r0, e.g. `err('EINVAL')` = 0xffffffffffffffea. */
export function err(name: ErrnoName): bigint {
  return ret(-ERRNO[name]);
}

/** The low 32 bits of a register: what a helper's `u32` parameter sees. */
export function u32(r: bigint): number {
  return Number(r & 0xffffffffn);
}

/** Is `e` the EFAULT a HelperEnv throws for an address the run may not touch? */
export function isFault(e: unknown): e is BpfError {
  return e instanceof BpfError && e.errno === 'EFAULT';
}

/** Write `size` zero bytes at `addr`, in chunks, so a huge size never allocates a huge buffer. */
export function writeZeros(env: HelperEnv, addr: bigint, size: number): void {
  const CHUNK = 65536;
  const zeros = new Uint8Array(Math.min(size, CHUNK));
  for (let done = 0; done < size; done += CHUNK) {
    const n = Math.min(CHUNK, size - done);
    env.write(addr + BigInt(done), n === zeros.length ? zeros : zeros.subarray(0, n));
  }
}

/** What readCString found: the bytes before the NUL, and whether a NUL was found within the limit. */
export interface CString {
  bytes: Uint8Array;
  terminated: boolean;
}

/**
 * Read a NUL-terminated string at `addr`, looking at no more than `limit`
 * bytes (the NUL included). Bytes past the NUL are never touched, so a string
 * that ends just before the end of a region reads fine; a string that runs
 * into memory the run may not read throws EFAULT from `env.read`.
 */
export function readCString(env: HelperEnv, addr: bigint, limit: number): CString {
  const parts: Uint8Array[] = [];
  let total = 0;
  const CHUNK = 64;
  while (total < limit) {
    const want = Math.min(CHUNK, limit - total);
    const at = addr + BigInt(total);
    let chunk: Uint8Array;
    try {
      chunk = env.read(at, want);
    } catch (e) {
      if (!isFault(e)) throw e;
      // The chunk crosses the end of what is readable: go byte by byte, so
      // only a byte the string really needs can fault.
      for (let i = 0; i < want; i++) {
        const b = env.read(at + BigInt(i), 1)[0]!;
        if (b === 0) return { bytes: join(parts, total), terminated: true };
        parts.push(Uint8Array.of(b));
        total++;
      }
      continue;
    }
    const nul = chunk.indexOf(0);
    if (nul >= 0) {
      parts.push(chunk.subarray(0, nul));
      total += nul;
      return { bytes: join(parts, total), terminated: true };
    }
    parts.push(chunk);
    total += want;
  }
  return { bytes: join(parts, total), terminated: false };
}

function join(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
