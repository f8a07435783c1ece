import type { KeyId } from './keys.js';

/** No id: ids are whole numbers ≥ 0 or strings. */
const EMPTY = -1;
const MIN_CAPACITY = 16;

/**
 * A hash map's index from key id to its entry: what a program's lookup
 * searches on every call. Numeric ids (keys of up to 6 bytes, keys.ts) sit
 * in an open-addressing table of typed arrays (linear probing, deletion by
 * backward shift, so no tombstones), which finds a small key in a few
 * array reads where a JS Map hashes a heap number; string ids are in a Map.
 */
export class KeyTable<V> {
  private ids = new Float64Array(MIN_CAPACITY).fill(EMPTY);
  private values: (V | undefined)[] = new Array<V | undefined>(MIN_CAPACITY);
  private bits = Math.log2(MIN_CAPACITY);
  private count = 0;
  private readonly strings = new Map<string, V>();

  get size(): number {
    return this.count + this.strings.size;
  }

  get(id: KeyId): V | undefined {
    if (typeof id === 'string') return this.strings.get(id);
    const i = this.find(id);
    return i < 0 ? undefined : this.values[i];
  }

  has(id: KeyId): boolean {
    return typeof id === 'string' ? this.strings.has(id) : this.find(id) >= 0;
  }

  set(id: KeyId, value: V): void {
    if (typeof id === 'string') {
      this.strings.set(id, value);
      return;
    }
    let i = this.slot(id);
    for (; this.ids[i] !== EMPTY; i = this.next(i)) {
      if (this.ids[i] === id) {
        this.values[i] = value;
        return;
      }
    }
    this.ids[i] = id;
    this.values[i] = value;
    if (++this.count * 2 > this.ids.length) this.grow();
  }

  delete(id: KeyId): boolean {
    if (typeof id === 'string') return this.strings.delete(id);
    let hole = this.find(id);
    if (hole < 0) return false;
    // Move later entries of the probe run back into the hole unless their home slot lies after it.
    for (let j = this.next(hole); this.ids[j] !== EMPTY; j = this.next(j)) {
      const home = this.slot(this.ids[j]!);
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      this.ids[hole] = this.ids[j]!;
      this.values[hole] = this.values[j];
      hole = j;
    }
    this.ids[hole] = EMPTY;
    this.values[hole] = undefined;
    this.count--;
    return true;
  }

  private find(id: number): number {
    for (let i = this.slot(id); ; i = this.next(i)) {
      const at = this.ids[i]!;
      if (at === id) return i;
      if (at === EMPTY) return -1;
    }
  }

  /** Home slot: a multiplicative hash of the id's two 32-bit halves. */
  private slot(id: number): number {
    const lo = id >>> 0;
    const hi = (id / 0x1_0000_0000) >>> 0;
    return Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1) >>> (32 - this.bits);
  }

  private next(i: number): number {
    return (i + 1) & (this.ids.length - 1);
  }

  private grow(): void {
    const [ids, values] = [this.ids, this.values];
    this.bits++;
    this.ids = new Float64Array(1 << this.bits).fill(EMPTY);
    this.values = new Array<V | undefined>(1 << this.bits);
    this.count = 0;
    ids.forEach((id, i) => {
      if (id !== EMPTY) this.set(id, values[i]!);
    });
  }
}
