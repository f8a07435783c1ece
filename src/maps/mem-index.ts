import type { AddressSpace } from '../vm/memory.js';
import { staysPut } from './key-table.js';
import { readU32, writeU32 } from './keys.js';

/**
 * A hash map's index laid out in the address space, so that compiled code
 * can find a key without leaving WebAssembly (vm/jit/hash-lookup.ts), as
 * Linux's htab_map_gen_lookup has the JIT call __htab_map_lookup_elem
 * directly instead of through the helper.
 *
 * An open-addressing table of `mask + 1` buckets (twice the entries at
 * least, so a probe always ends at an empty bucket), 8 bytes each: the
 * key's hash (keyHash) and its element's slot + 1 (0: empty). Deletion
 * shifts later entries of a probe run back, so there are no tombstones.
 * The key of slot s is at `keys + s * keySize`. The map keeps this index in
 * step with its own (hash.ts) on every insert and delete.
 */
export interface MemIndexLayout {
  /** address of the buckets */
  table: number;
  /** buckets - 1 (a power of two, less one) */
  mask: number;
  /** address of the keys, keySize bytes per slot */
  keys: number;
  keySize: number;
}

/** The largest table and keys a map gets an index in memory for; a bigger map's lookups take the helper. */
const MAX_BYTES = 16 << 20;
const BUCKET = 8;
/** Compiled code compares a key in loads of up to 8 bytes, unrolled: up to 8 of them. */
export const MAX_KEY_SIZE = 64;

export class MemIndex implements MemIndexLayout {
  readonly table: number;
  readonly mask: number;
  readonly keys: number;

  private constructor(private readonly space: AddressSpace, entries: number, readonly keySize: number) {
    const buckets = bucketsFor(entries);
    this.mask = buckets - 1;
    this.table = space.alloc(buckets * BUCKET);
    this.keys = space.alloc(entries * keySize);
  }

  /** An index for `entries` keys of `keySize` bytes, or undefined when it would take more than MAX_BYTES. */
  static create(space: AddressSpace, entries: number, keySize: number): MemIndex | undefined {
    if (keySize > MAX_KEY_SIZE) return undefined;
    const bytes = bucketsFor(entries) * BUCKET + entries * keySize;
    return bytes <= MAX_BYTES ? new MemIndex(space, entries, keySize) : undefined;
  }

  /** Add `key` (not present) as the element in `slot`. */
  add(key: Uint8Array, slot: number): void {
    const mem = this.space.bytes;
    mem.set(key, this.keys + slot * this.keySize);
    const h = keyHash(mem, this.keys + slot * this.keySize, this.keySize);
    let b = h & this.mask;
    while (readU32(mem, this.bucket(b) + 4) !== 0) b = (b + 1) & this.mask;
    writeU32(mem, this.bucket(b), h);
    writeU32(mem, this.bucket(b) + 4, slot + 1);
  }

  /** Remove the element in `slot` (present). */
  remove(slot: number): void {
    const mem = this.space.bytes;
    let hole = this.find(mem, this.keys + slot * this.keySize);
    for (let j = (hole + 1) & this.mask; readU32(mem, this.bucket(j) + 4) !== 0; j = (j + 1) & this.mask) {
      if (staysPut(hole, j, readU32(mem, this.bucket(j)) & this.mask)) continue;
      mem.copyWithin(this.bucket(hole), this.bucket(j), this.bucket(j) + BUCKET);
      hole = j;
    }
    writeU32(mem, this.bucket(hole) + 4, 0);
  }

  /** The slot of the key at `keyAddr`, or -1: what the compiled lookup computes, for the tests and remove(). */
  slotOf(keyAddr: number): number {
    const mem = this.space.bytes;
    const b = this.find(mem, keyAddr);
    return b < 0 ? -1 : readU32(mem, this.bucket(b) + 4) - 1;
  }

  private find(mem: Uint8Array, keyAddr: number): number {
    const h = keyHash(mem, keyAddr, this.keySize);
    for (let b = h & this.mask; ; b = (b + 1) & this.mask) {
      const s = readU32(mem, this.bucket(b) + 4);
      if (s === 0) return -1;
      if (readU32(mem, this.bucket(b)) === h && sameKey(mem, this.keys + (s - 1) * this.keySize, keyAddr, this.keySize)) return b;
    }
  }

  private bucket(b: number): number {
    return this.table + b * BUCKET;
  }
}

/** Buckets for `entries` keys: a power of two, at least twice as many, so a probe always ends at an empty one. */
function bucketsFor(entries: number): number {
  return 2 ** Math.ceil(Math.log2(2 * entries));
}

function sameKey(mem: Uint8Array, a: number, b: number, size: number): boolean {
  for (let i = 0; i < size; i++) if (mem[a + i] !== mem[b + i]) return false;
  return true;
}

/**
 * The hash of the `size`-byte key at `off`, as a u32: each little-endian
 * 32-bit word (the last one's missing high bytes 0) mixed in, then
 * finished so the low bits, the home bucket, depend on every byte.
 * hash-lookup.ts computes the same in WebAssembly.
 */
export function keyHash(mem: Uint8Array, off: number, size: number): number {
  let h = size;
  let i = 0;
  for (; i + 4 <= size; i += 4) h = mixWord(h, readU32(mem, off + i));
  if (i < size) {
    let w = 0;
    for (let j = size - 1; j >= i; j--) w = (w << 8) | mem[off + j]!;
    h = mixWord(h, w);
  }
  return finishHash(h);
}

export const HASH_MUL = 0x9e3779b1;
export const FINISH_MUL = 0x85ebca6b;

function mixWord(h: number, w: number): number {
  h = Math.imul(h ^ w, HASH_MUL);
  return h ^ (h >>> 16);
}

function finishHash(h: number): number {
  h = Math.imul(h ^ (h >>> 15), FINISH_MUL);
  return (h ^ (h >>> 13)) >>> 0;
}
