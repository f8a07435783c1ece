import { BpfError } from '../errno.js';
import { AddressSpace, Region } from '../vm/memory.js';
import { MAX_CALL_FRAMES } from '../vm/interpreter.js';
import { round8 } from './limits.js';
import { SlotStore } from './storage.js';

/**
 * Where bpf_for_each_map_elem shows a callback the key of the element it
 * visits: one key_size slot per level of nesting (a callback may iterate the
 * same map again, at most one level per frame), read-only to programs.
 * Linux points at the key inside the element (hash) or at a u32 on the
 * helper's stack (array); a program may only read it, so a copy serves.
 * A few bytes, not charged to the map's memory, as Linux's are not.
 */
export class ElemKeys {
  private readonly store: SlotStore;
  private level = 0;

  constructor(space: AddressSpace, keySize: number, name: string) {
    this.store = new SlotStore(space, MAX_CALL_FRAMES, round8(keySize), name, false);
  }

  get region(): Region {
    return this.store.region;
  }

  /** Run `walk` with the address of a key slot no iteration in progress uses; returns what it returns. */
  walk(walk: (keyAddr: number) => number): number {
    if (this.level === MAX_CALL_FRAMES) throw new BpfError('E2BIG', `${this.store.region.name}: more than ${MAX_CALL_FRAMES} nested iterations`);
    const addr = this.store.addr(this.level++);
    try {
      return walk(addr);
    } finally {
      this.level--;
    }
  }
}
