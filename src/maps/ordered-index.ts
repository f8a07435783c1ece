import { KeyTable } from './key-table.js';
import type { KeyId } from './keys.js';
interface Link<V> {
  id: KeyId;
  value: V;
  prev: Link<V> | undefined;
  next: Link<V> | undefined;
}

/**
 * A Map from string ids to values that keeps insertion order and finds the
 * value after an id in O(1): what get-next-key needs.
 */
export class OrderedIndex<V> {
  private readonly links = new KeyTable<Link<V>>();
  private head: Link<V> | undefined;
  private tail: Link<V> | undefined;

  get size(): number {
    return this.links.size;
  }

  get(id: KeyId): V | undefined {
    return this.links.get(id)?.value;
  }

  /** get() of the key of `size` bytes at `off` of `mem`, read in place (KeyTable.getAt) */
  getAt(mem: Uint8Array, off: number, size: number): V | undefined {
    return this.links.getAt(mem, off, size)?.value;
  }

  /** Append (the id must not be present). */
  add(id: KeyId, value: V): void {
    const link: Link<V> = { id, value, prev: this.tail, next: undefined };
    if (this.tail) this.tail.next = link;
    else this.head = link;
    this.tail = link;
    this.links.set(id, link);
  }

  remove(id: KeyId): V | undefined {
    const link = this.links.get(id);
    if (!link) return undefined;
    this.links.delete(id);
    if (link.prev) link.prev.next = link.next;
    else this.head = link.next;
    if (link.next) link.next.prev = link.prev;
    else this.tail = link.prev;
    return link.value;
  }

  /** The ids and values in order, as they are now (a copy: the index may change while it is walked). */
  snapshot(): [KeyId, V][] {
    const out: [KeyId, V][] = [];
    for (let l = this.head; l; l = l.next) out.push([l.id, l.value]);
    return out;
  }

  first(): V | undefined {
    return this.head?.value;
  }

  /** The value after `id`'s (undefined at the end); `id` must be present. */
  after(id: KeyId): V | undefined {
    return this.links.get(id)?.next?.value;
  }
}
