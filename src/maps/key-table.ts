import { KeyId, NUMERIC_KEY_BYTES, numericKeyAt } from './keys.js';

const MIN_CAPACITY = 16;

/**
 * A hash map's index from key id to its entry: what a program's lookup
 * searches on every call. One open-addressing table (linear probing,
 * deletion by backward shift, so no tombstones) of typed arrays for the
 * hashes beside the ids and values. A numeric id (a key of up to 6 bytes,
 * keys.ts) is found in a few array reads where a JS Map hashes a heap
 * number; a string id (a longer key, one char per byte) is hashed from its
 * chars, so `getAt` can hash and compare the key's bytes where they lie in
 * memory and never build the string a Map would need.
 */
export class KeyTable<V> {
  private hashes = new Int32Array(MIN_CAPACITY);
  private ids: (KeyId | undefined)[] = new Array<KeyId | undefined>(MIN_CAPACITY);
  private values: (V | undefined)[] = new Array<V | undefined>(MIN_CAPACITY);
  private bits = Math.log2(MIN_CAPACITY);
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(id: KeyId): V | undefined {
    const i = this.find(id, hashOf(id));
    return i < 0 ? undefined : this.values[i];
  }

  /** get() of the id of the `size`-byte key at `off` of `mem` (keys.ts keyIdAt), without making the id. */
  getAt(mem: Uint8Array, off: number, size: number): V | undefined {
    if (size <= NUMERIC_KEY_BYTES) return this.get(numericKeyAt(mem, off, size));
    const h = hashBytes(mem, off, size);
    for (let i = this.slot(h); ; i = this.next(i)) {
      const at = this.ids[i];
      if (at === undefined) return undefined;
      if (this.hashes[i] === h && sameBytes(at as string, mem, off, size)) return this.values[i];
    }
  }

  has(id: KeyId): boolean {
    return this.find(id, hashOf(id)) >= 0;
  }

  set(id: KeyId, value: V): void {
    const h = hashOf(id);
    let i = this.slot(h);
    for (; this.ids[i] !== undefined; i = this.next(i)) {
      if (this.hashes[i] === h && this.ids[i] === id) {
        this.values[i] = value;
        return;
      }
    }
    this.hashes[i] = h;
    this.ids[i] = id;
    this.values[i] = value;
    if (++this.count * 2 > this.hashes.length) this.grow();
  }

  delete(id: KeyId): boolean {
    let hole = this.find(id, hashOf(id));
    if (hole < 0) return false;
    for (let j = this.next(hole); this.ids[j] !== undefined; j = this.next(j)) {
      if (staysPut(hole, j, this.slot(this.hashes[j]!))) continue;
      this.hashes[hole] = this.hashes[j]!;
      this.ids[hole] = this.ids[j];
      this.values[hole] = this.values[j];
      hole = j;
    }
    this.ids[hole] = undefined;
    this.values[hole] = undefined;
    this.count--;
    return true;
  }

  private find(id: KeyId, h: number): number {
    for (let i = this.slot(h); ; i = this.next(i)) {
      const at = this.ids[i];
      if (at === undefined) return -1;
      if (this.hashes[i] === h && at === id) return i;
    }
  }

  /** Home slot: the hash's top bits. */
  private slot(h: number): number {
    return h >>> (32 - this.bits);
  }

  private next(i: number): number {
    return (i + 1) & (this.hashes.length - 1);
  }

  private grow(): void {
    const [ids, values] = [this.ids, this.values];
    this.bits++;
    this.hashes = new Int32Array(1 << this.bits);
    this.ids = new Array<KeyId | undefined>(1 << this.bits);
    this.values = new Array<V | undefined>(1 << this.bits);
    this.count = 0;
    ids.forEach((id, i) => {
      if (id !== undefined) this.set(id, values[i]!);
    });
  }
}

/**
 * Deletion by backward shift in a linear-probing table: whether the entry at
 * `j`, later in the probe run than the `hole`, must stay where it is because
 * its `home` slot lies after the hole (wrapping at the table's end); every
 * other entry moves back into the hole.
 */
export function staysPut(hole: number, j: number, home: number): boolean {
  return hole <= j ? hole < home && home <= j : hole < home || home <= j;
}

/** A numeric id's hash: its two 32-bit halves mixed; a string's: its chars as bytes (hashBytes). */
function hashOf(id: KeyId): number {
  if (typeof id === 'number') {
    const lo = id >>> 0;
    const hi = (id / 0x1_0000_0000) >>> 0;
    return Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1);
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return finish(h);
}

/** hashOf the string id of `size` bytes at `off` (FNV-1a, then mixed so the top bits, the slot, depend on every byte). */
function hashBytes(mem: Uint8Array, off: number, size: number): number {
  let h = 0x811c9dc5;
  for (let i = off, end = off + size; i < end; i++) h = Math.imul(h ^ mem[i]!, 0x01000193);
  return finish(h);
}

function finish(h: number): number {
  return Math.imul(h ^ (h >>> 15), 0x9e3779b1);
}

function sameBytes(id: string, mem: Uint8Array, off: number, size: number): boolean {
  if (id.length !== size) return false;
  for (let i = 0; i < size; i++) if (id.charCodeAt(i) !== mem[off + i]) return false;
  return true;
}
