/** Bytes of keys and small integers as maps read and write them. */

const CHUNK = 4096;

/**
 * What names a key in the JS Map that indexes a hash map: for keys of at
 * most 6 bytes, their little-endian value (a number: no string is built, and
 * a Map finds a number faster); for longer keys a string of one char per
 * byte (latin1). All keys of one map have one size, so the two kinds never
 * meet in one index.
 */
export type KeyId = string | number;

/** Keys up to this size are named by their value (exact in a double: 48 bits). */
export const NUMERIC_KEY_BYTES = 6;

/** The id of the key `bytes`. */
export function keyId(bytes: Uint8Array): KeyId {
  return keyIdAt(bytes, 0, bytes.length);
}

/** The id of the `size`-byte key at `offset` of `mem`, without a view of it. */
export function keyIdAt(mem: Uint8Array, offset: number, size: number): KeyId {
  if (size <= NUMERIC_KEY_BYTES) return numericKeyAt(mem, offset, size);
  // A loop beats spreading into fromCharCode for the short keys maps usually have.
  if (size <= 32) {
    let id = '';
    for (let i = 0; i < size; i++) id += String.fromCharCode(mem[offset + i]!);
    return id;
  }
  const end = offset + size;
  let id = '';
  for (let i = offset; i < end; i += CHUNK) id += String.fromCharCode(...mem.subarray(i, Math.min(end, i + CHUNK)));
  return id;
}

/** The id of a key of at most NUMERIC_KEY_BYTES bytes: its little-endian value. */
export function numericKeyAt(mem: Uint8Array, offset: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + mem[offset + i]!;
  return v;
}

/** The little-endian u32 at `off` (host byte order of the kernels tsbpf mirrors). */
export function readU32(bytes: Uint8Array, off = 0): number {
  return (bytes[off] | (bytes[off + 1] << 8) | (bytes[off + 2] << 16) | (bytes[off + 3] << 24)) >>> 0;
}

export function writeU32(bytes: Uint8Array, off: number, value: number): void {
  bytes[off] = value & 0xff;
  bytes[off + 1] = (value >>> 8) & 0xff;
  bytes[off + 2] = (value >>> 16) & 0xff;
  bytes[off + 3] = (value >>> 24) & 0xff;
}

export function u32Bytes(value: number): Uint8Array {
  const b = new Uint8Array(4);
  writeU32(b, 0, value);
  return b;
}
