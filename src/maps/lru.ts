import { BpfError } from '../errno.js';
import { SlotAllocator } from './slots.js';

interface LruList {
  free: number[];
  /** slots in use, least recently used first */
  used: Set<number>;
}

/**
 * The LRU policy of LRU_HASH and LRU_PERCPU_HASH: exact least-recently-used
 * eviction. With one list (the common LRU) every slot is shared; with
 * BPF_F_NO_COMMON_LRU each CPU owns count/cpus slots and an insertion on a
 * CPU evicts from that CPU's list only, as in Linux.
 *
 * Linux's bpf_lru_list only approximates LRU (active/inactive lists,
 * reference bits, per-CPU free lists refilled in batches that can evict up to
 * 128 elements at once, a node taken even to replace an existing key); this
 * policy evicts exactly one element, the least recently used, and only when
 * a new key needs a slot, so the outcome is deterministic and testable.
 * Calls from user space (bpf(2)) act as CPU 0.
 */
export class LruSlots implements SlotAllocator {
  private readonly lists: LruList[] = [];
  private readonly perList: number;

  /** `evict(slot)` removes the element in `slot` from the map before the slot is reused. */
  constructor(count: number, lists: number, private readonly evict: (slot: number) => void) {
    this.perList = count / lists;
    for (let l = 0; l < lists; l++) {
      const free: number[] = [];
      for (let s = (l + 1) * this.perList - 1; s >= l * this.perList; s--) free.push(s);
      this.lists.push({ free, used: new Set() });
    }
  }

  acquire(cpu: number): number {
    const list = this.lists.length === 1 ? this.lists[0] : this.lists[cpu];
    if (!list) throw new BpfError('EINVAL', `LRU: cpu ${cpu} is not in 0..${this.lists.length - 1}`);
    let slot = list.free.pop();
    if (slot === undefined) {
      slot = list.used.values().next().value as number;
      list.used.delete(slot);
      this.evict(slot);
    }
    list.used.add(slot);
    return slot;
  }

  release(slot: number): void {
    const list = this.listOf(slot);
    list.used.delete(slot);
    list.free.push(slot);
  }

  touch(slot: number): void {
    const list = this.listOf(slot);
    list.used.delete(slot);
    list.used.add(slot);
  }

  private listOf(slot: number): LruList {
    return this.lists[Math.floor(slot / this.perList)];
  }
}
