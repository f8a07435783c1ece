/**
 * Bob Jenkins' lookup3 (public domain), as Linux uses it: jhash2 hashes an
 * array of u32 words (`hashword`), jhash a string of bytes (`hashlittle`,
 * bytes taken little-endian). The stack trace map buckets call chains by
 * jhash2, so the same call chain gets the stack id Linux would give it; the
 * bloom filter and hash maps with BPF_F_ZERO_SEED hash as Linux does, so the
 * same values collide and keys fall in the same buckets.
 */

/** lookup3's initial value, added to the length in bytes and the seed */
const INITVAL = 0xdeadbeef;

const rol = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** The hash of `words` (u32 values) with seed `initval`. */
export function jhash2(words: ArrayLike<number>, initval = 0): number {
  return lookup3((i) => words[i]!, words.length, words.length * 4, initval);
}

/**
 * The hash of `bytes` with seed `initval`. The bytes are read as
 * little-endian u32 words, the last one padded with zeros: that is what
 * hashlittle adds, and only the initial value (the byte length) differs from
 * jhash2, so for a length that is a multiple of 4 the two agree.
 */
export function jhash(bytes: Uint8Array, initval = 0): number {
  const word = (i: number): number => {
    const at = i * 4;
    return ((bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16) | ((bytes[at + 3] ?? 0) << 24)) >>> 0;
  };
  return lookup3(word, Math.ceil(bytes.length / 4), bytes.length, initval);
}

/** lookup3 over `count` words (the tail zero-padded), its state starting from the length in bytes. */
function lookup3(word: (i: number) => number, count: number, byteLength: number, initval: number): number {
  let n = count;
  let a = (INITVAL + byteLength + initval) >>> 0;
  let b = a;
  let c = a;
  let i = 0;
  for (; n > 3; n -= 3, i += 3) {
    a = (a + word(i)) >>> 0;
    b = (b + word(i + 1)) >>> 0;
    c = (c + word(i + 2)) >>> 0;
    // mix
    a = ((a - c) ^ rol(c, 4)) >>> 0; c = (c + b) >>> 0;
    b = ((b - a) ^ rol(a, 6)) >>> 0; a = (a + c) >>> 0;
    c = ((c - b) ^ rol(b, 8)) >>> 0; b = (b + a) >>> 0;
    a = ((a - c) ^ rol(c, 16)) >>> 0; c = (c + b) >>> 0;
    b = ((b - a) ^ rol(a, 19)) >>> 0; a = (a + c) >>> 0;
    c = ((c - b) ^ rol(b, 4)) >>> 0; b = (b + a) >>> 0;
  }
  if (n === 0) return c; // nothing left: no final mix
  if (n === 3) c = (c + word(i + 2)) >>> 0;
  if (n >= 2) b = (b + word(i + 1)) >>> 0;
  a = (a + word(i)) >>> 0;
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
