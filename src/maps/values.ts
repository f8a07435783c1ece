import { BpfError } from '../errno.js';
import { AddressSpace, Region } from '../vm/memory.js';
import { round8 } from './limits.js';
import { SlotStore } from './storage.js';

/**
 * Where a map's values live, one slot per element, and how user space sees
 * them. A plain value takes round_up(value_size, 8) bytes. A per-CPU value
 * (PERCPU_ARRAY, PERCPU_HASH, LRU_PERCPU_HASH) keeps one such copy per CPU,
 * side by side, which is also the layout bpf(2) reads and writes: CPU c's
 * value at c × round_up(value_size, 8).
 */
export class ValueSlots {
  /** distance between two CPUs' copies */
  readonly stride: number;
  /** bytes of a value as user space passes it */
  readonly userSize: number;
  readonly store: SlotStore;

  /** copies per value: the number of CPUs for a per-CPU map, else 1 */
  readonly copies: number;

  /** `cpus` is 0 for plain values, else the number of CPUs of a per-CPU map. */
  constructor(space: AddressSpace, count: number, readonly valueSize: number, readonly cpus: number, name: string, writable: boolean) {
    this.stride = round8(valueSize);
    this.copies = Math.max(cpus, 1);
    this.userSize = cpus === 0 ? valueSize : this.stride * cpus;
    this.store = new SlotStore(space, count, this.stride * this.copies, name, writable);
  }

  /** Bytes a store of `count` values takes (to charge before creating it); `cpus` as for the constructor. */
  static bytes(count: number, valueSize: number, cpus: number): number {
    return count * round8(valueSize) * Math.max(cpus, 1);
  }

  get region(): Region {
    return this.store.region;
  }

  /** Address of `cpu`'s copy of the value in `slot` (cpu is ignored for a plain value). */
  addr(slot: number, cpu: number): number {
    return this.store.addr(slot, this.offset(cpu));
  }

  /** The value as bpf(2) returns it: value_size bytes, or every CPU's copy. */
  readUser(slot: number): Uint8Array {
    return this.store.read(slot, 0, this.userSize);
  }

  /** Set the value from user space (every CPU's copy for a per-CPU value). */
  writeUser(slot: number, value: Uint8Array): void {
    this.store.write(slot, 0, value);
  }

  /** Set `cpu`'s copy from value_size bytes at address `src`, as a program's update does. */
  copyIn(slot: number, cpu: number, src: number): void {
    this.store.copyIn(slot, this.offset(cpu), src, this.valueSize);
  }

  clear(slot: number): void {
    this.store.clear(slot);
  }

  private offset(cpu: number): number {
    if (this.cpus === 0) return 0;
    if (!(cpu >= 0 && cpu < this.cpus)) throw new BpfError('EINVAL', `per-CPU value: cpu ${cpu} is not in 0..${this.cpus - 1}`);
    return cpu * this.stride;
  }
}
