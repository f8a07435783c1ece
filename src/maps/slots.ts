/**
 * Who hands out the value slots of a hash map: a free list, or an LRU policy
 * that evicts when the map is full.
 */
export interface SlotAllocator {
  /** A free slot for a new element added on `cpu`, or -1 when the map is full. */
  acquire(cpu: number): number;
  /** The slot's element was deleted. */
  release(slot: number): void;
  /** The slot's element was used (looked up by a program, or updated). */
  touch(slot: number): void;
}

/** A stack of free slots, lowest slot first: [first, first + count). */
export class FreeSlots implements SlotAllocator {
  private readonly free: number[] = [];

  constructor(count: number, first = 0) {
    for (let s = first + count - 1; s >= first; s--) this.free.push(s);
  }

  get available(): number {
    return this.free.length;
  }

  acquire(): number {
    return this.free.pop() ?? -1;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  touch(): void {}
}
