import { KeyTable } from './key-table.js';
import type { KeyId } from './keys.js';
interface Placed<V> {
  id: KeyId;
  value: V;
  bucket: number;
  /** the neighbours in the bucket's list, newest first */
  prev: Placed<V> | undefined;
  next: Placed<V> | undefined;
}

/**
 * The index of a hash map in Linux's order (kernel/bpf/hashtab.c): a key
 * lives in bucket hash & (buckets - 1), a bucket lists its keys newest
 * first, and a walk (get-next-key, for_each_map_elem) takes the buckets in
 * order. Used where the hash is known, with BPF_F_ZERO_SEED: Linux's seed is
 * otherwise random, and so is its order (OrderedIndex then keeps insertion
 * order). Same interface as OrderedIndex, plus renew().
 *
 * Non-empty buckets are marked in a bitmap, so finding the next one skips 32
 * empty buckets per step.
 */
export class BucketIndex<V> {
  private readonly placed = new KeyTable<Placed<V>>();
  /** the newest element of each bucket */
  private readonly heads: Array<Placed<V> | undefined>;
  private readonly used: Uint32Array;

  /** `hash(value)` of a value's key; `count` buckets (a power of two). */
  constructor(private readonly count: number, private readonly hash: (value: V) => number) {
    this.heads = new Array<Placed<V> | undefined>(count).fill(undefined);
    this.used = new Uint32Array(Math.ceil(count / 32));
  }

  get size(): number {
    return this.placed.size;
  }

  get(id: KeyId): V | undefined {
    return this.placed.get(id)?.value;
  }

  /** get() of the key of `size` bytes at `off` of `mem`, read in place (KeyTable.getAt) */
  getAt(mem: Uint8Array, off: number, size: number): V | undefined {
    return this.placed.getAt(mem, off, size)?.value;
  }

  /** Insert at the head of the value's bucket (the id must not be present). */
  add(id: KeyId, value: V): void {
    const bucket = (this.hash(value) & (this.count - 1)) >>> 0;
    const p: Placed<V> = { id, value, bucket, prev: undefined, next: this.heads[bucket] };
    if (p.next) p.next.prev = p;
    this.heads[bucket] = p;
    this.used[bucket >>> 5]! |= 1 << (bucket & 31);
    this.placed.set(id, p);
  }

  remove(id: KeyId): V | undefined {
    const p = this.placed.get(id);
    if (!p) return undefined;
    this.placed.delete(id);
    if (p.prev) p.prev.next = p.next;
    else this.heads[p.bucket] = p.next;
    if (p.next) p.next.prev = p.prev;
    if (!this.heads[p.bucket]) this.used[p.bucket >>> 5]! &= ~(1 << (p.bucket & 31));
    return p.value;
  }

  /** Move `id` to the head of its bucket: Linux replaces an element by a new one added there. */
  renew(id: KeyId): void {
    if (this.placed.has(id)) this.add(id, this.remove(id)!);
  }

  snapshot(): [KeyId, V][] {
    const out: [KeyId, V][] = [];
    for (let p = this.firstPlaced(); p; p = this.nextPlaced(p)) out.push([p.id, p.value]);
    return out;
  }

  first(): V | undefined {
    return this.firstPlaced()?.value;
  }

  /** The value after `id`'s: the next in its bucket, else the first of the next non-empty bucket. */
  after(id: KeyId): V | undefined {
    const p = this.placed.get(id);
    return p && this.nextPlaced(p)?.value;
  }

  private firstPlaced(): Placed<V> | undefined {
    const b = this.nextBucket(0);
    return b < 0 ? undefined : this.heads[b];
  }

  private nextPlaced(p: Placed<V>): Placed<V> | undefined {
    if (p.next) return p.next;
    const b = this.nextBucket(p.bucket + 1);
    return b < 0 ? undefined : this.heads[b];
  }

  /** The first non-empty bucket at or after `from`, or -1. */
  private nextBucket(from: number): number {
    for (let w = from >>> 5; w < this.used.length; w++) {
      let bits = this.used[w]!;
      if (w === from >>> 5) bits &= ~((1 << (from & 31)) - 1);
      if (bits !== 0) return w * 32 + (31 - Math.clz32(bits & -bits));
    }
    return -1;
  }
}
