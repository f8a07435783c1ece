/**
 * Bob Jenkins' lookup3 `hashword` (public domain), which Linux calls jhash2:
 * a hash of an array of u32 words. The stack trace map buckets call chains by
 * it, so the same call chain gets the stack id Linux would give it.
 */

/** lookup3's initial value, added to the length in bytes and the seed */
const INITVAL = 0xdeadbeef;

const rol = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** The hash of `words` (u32 values) with seed `initval`. */
export function jhash2(words: ArrayLike<number>, initval = 0): number {
  let n = words.length;
  let a = (INITVAL + n * 4 + initval) >>> 0;
  let b = a;
  let c = a;
  let i = 0;
  for (; n > 3; n -= 3, i += 3) {
    a = (a + words[i]!) >>> 0;
    b = (b + words[i + 1]!) >>> 0;
    c = (c + words[i + 2]!) >>> 0;
    // mix
    a = ((a - c) ^ rol(c, 4)) >>> 0; c = (c + b) >>> 0;
    b = ((b - a) ^ rol(a, 6)) >>> 0; a = (a + c) >>> 0;
    c = ((c - b) ^ rol(b, 8)) >>> 0; b = (b + a) >>> 0;
    a = ((a - c) ^ rol(c, 16)) >>> 0; c = (c + b) >>> 0;
    b = ((b - a) ^ rol(a, 19)) >>> 0; a = (a + c) >>> 0;
    c = ((c - b) ^ rol(b, 4)) >>> 0; b = (b + a) >>> 0;
  }
  if (n === 0) return c; // nothing left: no final mix
  if (n === 3) c = (c + words[i + 2]!) >>> 0;
  if (n >= 2) b = (b + words[i + 1]!) >>> 0;
  a = (a + words[i]!) >>> 0;
  // final
  c = ((c ^ b) - rol(b, 14)) >>> 0;
  a = ((a ^ c) - rol(c, 11)) >>> 0;
  b = ((b ^ a) - rol(a, 25)) >>> 0;
  c = ((c ^ b) - rol(b, 16)) >>> 0;
  a = ((a ^ c) - rol(c, 4)) >>> 0;
  b = ((b ^ a) - rol(a, 14)) >>> 0;
  c = ((c ^ b) - rol(b, 24)) >>> 0;
  return c;
}
