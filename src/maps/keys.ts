/** Bytes of keys and small integers as maps read and write them. */

const CHUNK = 4096;

/**
 * A string naming exactly these bytes (one char per byte, latin1): the key of
 * the JS Map that indexes a hash map.
 */
export function keyId(bytes: Uint8Array): string {
  // A loop beats spreading into fromCharCode for the short keys maps usually have.
  if (bytes.length <= 32) {
    let id = '';
    for (let i = 0; i < bytes.length; i++) id += String.fromCharCode(bytes[i]!);
    return id;
  }
  if (bytes.length <= CHUNK) return String.fromCharCode(...bytes);
  let id = '';
  for (let i = 0; i < bytes.length; i += CHUNK) id += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return id;
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
