import { FINISH_MUL, HASH_MUL } from '../../maps/mem-index.js';
import type { HashLookup } from '../../maps/map.js';
import { Code, I32, OP, Opcode, ValType } from './wasm.js';

/**
 * A hash map's lookup as a WebAssembly function of the program's module,
 * `(key address) → value address or 0`: the probe of the map's index in
 * memory (maps/mem-index.ts) that its lookupElem would do, without leaving
 * WebAssembly. The hash and the key compare are unrolled for the map's key
 * size; the loop ends at an empty bucket, which the table always has.
 */
export const HASH_LOOKUP_PARAMS: readonly ValType[] = [I32];
export const HASH_LOOKUP_RESULTS: readonly ValType[] = [I32];
export const HASH_LOOKUP_LOCALS: readonly ValType[] = [I32, I32, I32, I32];

const KEY = 0;
const H = 1;
/** the address of the bucket probed */
const E = 2;
/** its slot + 1 */
const S = 3;
/** the address of that slot's key */
const K = 4;

export function hashLookupCode(l: HashLookup): Code {
  const c = new Code();
  hashKey(c, l.keySize);
  c.get(H).i32(l.mask).op(OP.i32_and).i32(3).op(OP.i32_shl).i32(l.table | 0).op(OP.i32_add).set(E);
  c.open(OP.loop).open(OP.block);
  // an empty bucket: no such key
  c.get(E).mem(OP.i64_load32_u, 4).op(OP.i32_wrap_i64).tee(S).op(OP.i32_eqz).open(OP.if).i32(0).op(OP.return).op(OP.end);
  c.get(E).mem(OP.i64_load32_u).op(OP.i32_wrap_i64).get(H).op(OP.i32_ne).brIf(0);
  c.get(S).i32(1).op(OP.i32_sub).i32(l.keySize).op(OP.i32_mul).i32(l.keys | 0).op(OP.i32_add).set(K);
  for (const [off, load] of chunks(l.keySize)) {
    c.get(K).mem(load, off).get(KEY).mem(load, off).op(OP.i64_ne).brIf(0);
  }
  c.get(S).i32(1).op(OP.i32_sub).i32(l.stride).op(OP.i32_mul).i32(l.values | 0).op(OP.i32_add).op(OP.return);
  c.op(OP.end);
  // the next bucket, wrapping at the table's end
  c.get(E).i32(l.table | 0).op(OP.i32_sub).i32(8).op(OP.i32_add).i32(l.mask * 8).op(OP.i32_and).i32(l.table | 0).op(OP.i32_add).set(E);
  c.br(0).op(OP.end);
  return c.op(OP.unreachable);
}

/** H = keyHash of the key at KEY (mem-index.ts): each little-endian word mixed in, the last one's missing bytes 0. */
function hashKey(c: Code, size: number): void {
  c.i32(size).set(H);
  let i = 0;
  for (; i + 4 <= size; i += 4) mix(c.get(KEY).mem(OP.i64_load32_u, i).op(OP.i32_wrap_i64));
  const tail = size - i;
  if (tail === 1) mix(c.get(KEY).mem(OP.i64_load8_u, i).op(OP.i32_wrap_i64));
  if (tail === 2) mix(c.get(KEY).mem(OP.i64_load16_u, i).op(OP.i32_wrap_i64));
  if (tail === 3) {
    c.get(KEY).mem(OP.i64_load16_u, i).get(KEY).mem(OP.i64_load8_u, i + 2).i64(16).op(OP.i64_shl, OP.i64_or, OP.i32_wrap_i64);
    mix(c);
  }
  // h = imul(h ^ h >>> 15, FINISH_MUL); h ^= h >>> 13
  c.get(H).get(H).i32(15).op(OP.i32_shr_u, OP.i32_xor).i32(FINISH_MUL | 0).op(OP.i32_mul).set(H);
  c.get(H).get(H).i32(13).op(OP.i32_shr_u, OP.i32_xor).set(H);
}

/** With a word on the stack: h = imul(h ^ word, HASH_MUL); h ^= h >>> 16. */
function mix(c: Code): void {
  c.get(H).op(OP.i32_xor).i32(HASH_MUL | 0).op(OP.i32_mul).set(H);
  c.get(H).get(H).i32(16).op(OP.i32_shr_u, OP.i32_xor).set(H);
}

/** The loads that cover a key of `size` bytes, widest first: (offset, i64 load). */
function chunks(size: number): Array<[number, Opcode]> {
  const out: Array<[number, Opcode]> = [];
  let off = 0;
  for (const [width, load] of [[8, OP.i64_load], [4, OP.i64_load32_u], [2, OP.i64_load16_u], [1, OP.i64_load8_u]] as const) {
    for (; off + width <= size; off += width) out.push([off, load]);
  }
  return out;
}
