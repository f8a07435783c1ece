import { ErrnoName } from '../errno.js';
import { Region } from '../vm/memory.js';
import { code, MapBase, Reasons } from './base.js';
import { ACCESS_MASK, checkExactly, checkFlags, checkNonZero, MapKind } from './kind.js';
import { KMALLOC_MAX_SIZE, round8 } from './limits.js';
import { MapEnv, MapFlags, UpdateFlags } from './map.js';
import { need, NormalSpec } from './spec.js';
import { SlotStore } from './storage.js';

/**
 * QUEUE (FIFO) and STACK (LIFO) (kernel/bpf/queue_stack_maps.c): key_size 0,
 * a ring of max_entries + 1 slots. Push takes BPF_ANY, or BPF_EXIST to make
 * room in a full map by dropping the oldest element (for both kinds, as in
 * Linux); pop and peek give ENOENT when empty. bpf(2) maps LOOKUP_ELEM to
 * peek, UPDATE_ELEM to push and LOOKUP_AND_DELETE_ELEM to pop; DELETE_ELEM
 * and GET_NEXT_KEY give EINVAL, and so do a program's map_lookup/update/delete.
 *
 * The ring lives in the address space (so push and pop copy within it) but is
 * not listed in `regions`: no program ever holds a pointer into it.
 * memoryUsed() is the ring: (max_entries + 1) × round_up(value_size, 8).
 */
export class QueueStackMap extends MapBase {
  readonly regions: readonly Region[] = [];
  private readonly ring: SlotStore;
  private readonly bytes: number;
  private head = 0;
  private tail = 0;

  constructor(spec: NormalSpec, env: MapEnv, private readonly lifo: boolean) {
    super(spec, env);
    const size = spec.maxEntries + 1;
    this.bytes = this.reserve(size * round8(spec.valueSize));
    this.ring = new SlotStore(env.space, size, round8(spec.valueSize), `${this.label} elements`, false);
  }

  /** number of elements */
  get count(): number {
    return (this.head - this.tail + this.ring.count) % this.ring.count;
  }

  push(value: Uint8Array, flags: number = UpdateFlags.ANY): void {
    this.checkValue('push', value, this.spec.valueSize);
    this.check('push', this.pushWith(flags, (slot) => this.ring.write(slot, 0, value)), this.pushReasons(flags));
  }

  pop(): Uint8Array {
    return this.take('pop', true);
  }

  peek(): Uint8Array {
    return this.take('peek', false);
  }

  pushElem(valueAddr: number, flags: number): number {
    return code(this.pushWith(flags, (slot) => this.ring.copyIn(slot, 0, valueAddr, this.spec.valueSize)));
  }

  /** Copy the next value to `valueAddr` (zeroes there when empty, as Linux does). */
  popElem(valueAddr: number, pop: boolean): number {
    const slot = this.next();
    if (slot < 0) {
      this.env.space.bytes.fill(0, valueAddr, valueAddr + this.spec.valueSize);
      return code('ENOENT');
    }
    this.ring.copyOut(slot, 0, valueAddr, this.spec.valueSize);
    if (pop) this.drop(slot);
    return 0;
  }

  /** BPF_MAP_LOOKUP_ELEM: peek. */
  lookup(key: Uint8Array): Uint8Array {
    this.checkKey('lookup', key);
    return this.take('lookup', false);
  }

  /** BPF_MAP_UPDATE_ELEM: push. */
  update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlags.ANY): void {
    this.checkKey('update', key);
    this.checkValue('update', value, this.spec.valueSize);
    this.check('update', this.pushWith(flags, (slot) => this.ring.write(slot, 0, value)), this.pushReasons(flags));
  }

  delete(key: Uint8Array): void {
    this.checkKey('delete', key);
    throw this.error('delete', 'EINVAL', `a ${this.kind} has no keys: pop takes elements out`);
  }

  nextKey(): Uint8Array {
    throw this.error('next key', 'EINVAL', `a ${this.kind} has no keys to iterate`);
  }

  lookupElem(): number {
    return 0;
  }

  updateElem(): number {
    return code('EINVAL');
  }

  deleteElem(): number {
    return code('EINVAL');
  }

  memoryUsed(): number {
    return this.bytes;
  }

  private get kind(): string {
    return this.lifo ? 'stack' : 'queue';
  }

  /** queue_stack_map_push_elem: `write` fills the slot of the new element. */
  private pushWith(flags: number, write: (slot: number) => void): ErrnoName | undefined {
    if (flags !== UpdateFlags.ANY && flags !== UpdateFlags.EXIST) return 'EINVAL';
    const size = this.ring.count;
    if ((this.head + 1) % size === this.tail) {
      if (flags !== UpdateFlags.EXIST) return 'E2BIG';
      this.tail = (this.tail + 1) % size; // overwrite the oldest element
    }
    write(this.head);
    this.head = (this.head + 1) % size;
    return undefined;
  }

  private pushReasons(flags: number): Reasons {
    return {
      EINVAL: `flags ${flags}: a push takes BPF_ANY (0) or BPF_EXIST (2, overwrite the oldest element when full)`,
      E2BIG: `the ${this.kind} is full (max_entries ${this.spec.maxEntries}); BPF_EXIST would overwrite the oldest element`,
    };
  }

  /** The slot of the element pop or peek gives, or -1 when empty. */
  private next(): number {
    if (this.head === this.tail) return -1;
    return this.lifo ? (this.head - 1 + this.ring.count) % this.ring.count : this.tail;
  }

  private drop(slot: number): void {
    if (this.lifo) this.head = slot;
    else this.tail = (this.tail + 1) % this.ring.count;
  }

  private take(op: string, pop: boolean): Uint8Array {
    const slot = this.next();
    if (slot < 0) throw this.error(op, 'ENOENT', `the ${this.kind} is empty`);
    const value = this.ring.read(slot, 0, this.spec.valueSize);
    if (pop) this.drop(slot);
    return value;
  }
}

/** queue_stack_map_alloc_check. */
function checkQueueStack(spec: NormalSpec): NormalSpec {
  checkNonZero(spec, 'maxEntries');
  checkExactly(spec, 'keySize', 0, '(queues and stacks have no keys)');
  checkNonZero(spec, 'valueSize');
  checkFlags(spec, MapFlags.NUMA_NODE | ACCESS_MASK);
  need(spec.valueSize <= KMALLOC_MAX_SIZE, spec, 'E2BIG', `value_size ${spec.valueSize} is more than ${KMALLOC_MAX_SIZE}`);
  return spec;
}

export const QUEUE: MapKind = { check: checkQueueStack, create: (spec, env) => new QueueStackMap(spec, env, false) };
export const STACK: MapKind = { check: checkQueueStack, create: (spec, env) => new QueueStackMap(spec, env, true) };
