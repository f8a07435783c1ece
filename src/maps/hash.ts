import { ErrnoName } from '../errno.js';
import { Region } from '../vm/memory.js';
import { code, MapBase, updateFlagsError, updateFlagsReason } from './base.js';
import { ElemKeys } from './elem-keys.js';
import { KeyId, keyId } from './keys.js';
import { ACCESS_MASK, checkFlags, checkNonZero, MapKind } from './kind.js';
import { HTAB_BUCKET_SIZE, HTAB_ELEM_SIZE, KMALLOC_MAX_SIZE, PCPU_MIN_UNIT_SIZE, round8, U32_MAX } from './limits.js';
import { LinuxLru } from './lru.js';
import { HashLookup, MapEnv, MapFlags, UpdateFlags } from './map.js';
import { MemIndex } from './mem-index.js';
import { OrderedIndex } from './ordered-index.js';
import { BucketIndex } from './bucket-index.js';
import { jhash } from './jhash.js';
import { FreeSlots, SlotAllocator } from './slots.js';
import { need, NormalSpec } from './spec.js';
import { ValueSlots } from './values.js';

export interface HashKind {
  /** one value per CPU (PERCPU_HASH, LRU_PERCPU_HASH) */
  percpu: boolean;
  /** evict the least recently used element when full (LRU_HASH, LRU_PERCPU_HASH) */
  lru: boolean;
}

interface Entry {
  key: Uint8Array;
  slot: number;
}

/** How the value of an element is set (a new element's slot is zeroed first). */
type Fill = (slot: number) => void;

/**
 * HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH (kernel/bpf/hashtab.c).
 *
 * Values live in max_entries slots of the address space, allocated at
 * creation (as Linux preallocates; BPF_F_NO_PREALLOC is accepted and changes
 * nothing). The index is a JS Map keyed by the key's bytes.
 *
 * get-next-key: Linux walks its buckets in hash order, which depends on a
 * random seed; tsbpf walks the keys in insertion order (a key updated in
 * place keeps its place). With BPF_F_ZERO_SEED the order is Linux's
 * (BucketIndex: jhash of the key with seed 0; a replaced HASH or LRU_HASH
 * element goes to the head of its bucket, a per-CPU one stays). As in Linux,
 * a key that is not in the map yields the first key, and the last key
 * yields ENOENT.
 *
 * An update of an existing HASH key writes the value in place (Linux swaps
 * in a new element; a program holding the old value's address sees the new
 * value here rather than the old one). LRU maps follow Linux's order of work
 * (LinuxLru): an update takes a node first, which may evict, even to replace
 * a key (LRU_HASH) or when its flags then fail; the replaced or unused node
 * is freed after.
 *
 * memoryUsed(): the value slots plus sizeof(struct htab_elem) and the key,
 * rounded up to 8, for each of max_entries elements, all charged at creation.
 */
export class HashMap extends MapBase {
  readonly regions: readonly Region[];
  private readonly values: ValueSlots;
  private readonly keys: ElemKeys;
  private readonly index: OrderedIndex<Entry> | BucketIndex<Entry>;
  /** the id of the element in each slot, for eviction */
  private readonly ids: (KeyId | undefined)[];
  private readonly slots: SlotAllocator;
  private readonly lru: boolean;
  /** Linux replaces a HASH or LRU_HASH element with a new one (per-CPU values are written in place) */
  private readonly renewOnReplace: boolean;
  private readonly bytes: number;
  /** the index compiled code probes (HASH only: a per-CPU value depends on the CPU, an LRU lookup marks its node) */
  private readonly memIndex: MemIndex | undefined;
  /** made once: the JIT gives each distinct layout object one lookup function in a module */
  private readonly lookupLayout: HashLookup | undefined;

  constructor(spec: NormalSpec, env: MapEnv, kind: HashKind) {
    super(spec, env);
    const cpus = kind.percpu ? env.cpus : 0;
    const n = spec.maxEntries;
    this.bytes = this.reserve(ValueSlots.bytes(n, spec.valueSize, cpus) + n * (HTAB_ELEM_SIZE + round8(spec.keySize)));
    this.values = new ValueSlots(env.space, n, spec.valueSize, cpus, `${this.label} values`, this.progWritable);
    this.keys = new ElemKeys(env.space, spec.keySize, `${this.label} keys`);
    this.regions = [this.values.region, this.keys.region];
    this.ids = new Array<string | undefined>(n);
    this.lru = kind.lru;
    this.index = spec.flags & MapFlags.ZERO_SEED ? new BucketIndex(2 ** Math.ceil(Math.log2(n)), (e) => jhash(e.key, 0)) : new OrderedIndex();
    this.renewOnReplace = !kind.percpu;
    this.slots = kind.lru ? new LinuxLru(n, env.cpus, (spec.flags & MapFlags.NO_COMMON_LRU) !== 0, (slot) => this.evict(slot)) : new FreeSlots(n);
    this.memIndex = kind.percpu || kind.lru ? undefined : MemIndex.create(env.space, n, spec.keySize);
    const m = this.memIndex;
    this.lookupLayout = m && { kind: 'hash', table: m.table, mask: m.mask, keys: m.keys, keySize: m.keySize, values: this.values.addr(0, 0), stride: this.values.stride };
  }

  /** A HASH map's lookup compiles to a probe of its index in memory (mem-index.ts). */
  inlineLookup(): HashLookup | undefined {
    return this.lookupLayout;
  }

  /** number of elements */
  get count(): number {
    return this.index.size;
  }

  lookup(key: Uint8Array): Uint8Array {
    this.checkKey('lookup', key);
    const e = this.index.get(keyId(key));
    if (!e) throw this.error('lookup', 'ENOENT', 'no such key');
    return this.values.readUser(e.slot);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlags.ANY): void {
    this.checkKey('update', key);
    this.checkValue('update', value, this.values.userSize, this.valueWhat());
    const err = this.put(key, keyId(key), flags, 0, (slot) => this.values.writeUser(slot, value));
    this.check('update', err, {
      EINVAL: updateFlagsReason(flags),
      EEXIST: 'the key exists and flags are BPF_NOEXIST',
      ENOENT: 'no such key and flags are BPF_EXIST',
      E2BIG: `the map is full (max_entries ${this.spec.maxEntries})`,
      ENOMEM: 'the LRU lists have no node to give (all taken on other CPUs)',
    });
  }

  delete(key: Uint8Array): void {
    this.checkKey('delete', key);
    this.check('delete', this.remove(keyId(key)), { ENOENT: 'no such key' });
  }

  nextKey(key: Uint8Array | undefined): Uint8Array {
    if (key !== undefined) this.checkKey('next key', key);
    const id = key === undefined ? undefined : keyId(key);
    const next = id !== undefined && this.index.get(id) ? this.index.after(id) : this.index.first();
    if (!next) throw this.error('next key', 'ENOENT', this.index.size === 0 ? 'the map is empty' : 'no key after the last one');
    return next.key.slice();
  }

  lookupElem(keyAddr: number, cpu: number): number {
    const e = this.elemAt(this.index, keyAddr);
    if (!e) return 0;
    if (this.lru) this.slots.touch(e.slot);
    return this.values.addr(e.slot, cpu);
  }

  updateElem(keyAddr: number, valueAddr: number, flags: number, cpu: number): number {
    const key = this.keyAt(keyAddr);
    return code(
      // only this CPU's value: a new per-CPU element has the other CPUs' values zero
      this.put(key, keyId(key), flags, cpu, (slot) => this.values.copyIn(slot, cpu, valueAddr)),
    );
  }

  deleteElem(keyAddr: number): number {
    return code(this.remove(this.keyIdAt(keyAddr)));
  }

  memoryUsed(): number {
    return this.bytes;
  }

  /** The elements present when the walk starts, in get-next-key order, less those deleted (or replaced) on the way. */
  forEachElem(cpu: number, visit: (keyAddr: number, valueAddr: number) => boolean): number {
    return this.keys.walk((keyAddr) => {
      let n = 0;
      for (const [id, e] of this.index.snapshot()) {
        if (this.index.get(id) !== e) continue;
        this.env.space.bytes.set(e.key, keyAddr);
        n++;
        if (visit(keyAddr, this.values.addr(e.slot, cpu))) break;
      }
      return n;
    });
  }

  /** Add or replace the element of `key` (a view: copied when kept), as htab_map_update_elem does. */
  private put(key: Uint8Array, id: KeyId, flags: number, cpu: number, fill: Fill): ErrnoName | undefined {
    const bad = updateFlagsError(flags);
    if (bad) return bad;
    if (this.lru) return this.renewOnReplace ? this.putLru(key, id, flags, cpu, fill) : this.putLruPercpu(key, id, flags, cpu, fill);
    const old = this.index.get(id);
    if (old && flags === UpdateFlags.NOEXIST) return 'EEXIST';
    if (!old && flags === UpdateFlags.EXIST) return 'ENOENT';
    if (old) {
      fill(old.slot);
      this.slots.touch(old.slot);
      if (this.renewOnReplace && this.index instanceof BucketIndex) this.index.renew(id);
      return undefined;
    }
    const slot = this.slots.acquire(cpu);
    if (slot < 0) return 'E2BIG';
    this.values.clear(slot);
    fill(slot);
    this.index.add(id, { key: key.slice(), slot });
    this.memIndex?.add(key, slot);
    this.ids[slot] = id;
    return undefined;
  }

  /**
   * htab_lru_map_update_elem: a node for the new element first (it may evict,
   * even `key` itself), then the flags; a replaced element's node is freed
   * and the new one starts referenced.
   */
  private putLru(key: Uint8Array, id: KeyId, flags: number, cpu: number, fill: Fill): ErrnoName | undefined {
    const slot = this.slots.acquire(cpu);
    if (slot < 0) return 'ENOMEM';
    const old = this.index.get(id);
    const err = flagsError(old !== undefined, flags);
    if (err) {
      this.slots.release(slot);
      return err;
    }
    this.values.clear(slot);
    fill(slot);
    this.ids[slot] = id;
    if (!old) {
      this.index.add(id, { key: key.slice(), slot });
      return undefined;
    }
    this.ids[old.slot] = undefined;
    this.slots.release(old.slot);
    old.slot = slot;
    this.slots.touch(slot);
    if (this.index instanceof BucketIndex) this.index.renew(id);
    return undefined;
  }

  /**
   * __htab_lru_percpu_map_update_elem: a node first unless flags are
   * BPF_EXIST; an existing element is written in place and referenced; an
   * unused node is freed.
   */
  private putLruPercpu(key: Uint8Array, id: KeyId, flags: number, cpu: number, fill: Fill): ErrnoName | undefined {
    const slot = flags === UpdateFlags.EXIST ? -1 : this.slots.acquire(cpu);
    if (slot < 0 && flags !== UpdateFlags.EXIST) return 'ENOMEM';
    const old = this.index.get(id);
    const err = flagsError(old !== undefined, flags);
    if (!err && old) {
      this.slots.touch(old.slot);
      fill(old.slot);
    } else if (!err) {
      this.values.clear(slot);
      fill(slot);
      this.index.add(id, { key: key.slice(), slot });
      this.ids[slot] = id;
      return undefined;
    }
    if (slot >= 0) this.slots.release(slot);
    return err;
  }

  private remove(id: KeyId): ErrnoName | undefined {
    const e = this.index.remove(id);
    if (!e) return 'ENOENT';
    this.memIndex?.remove(e.slot);
    this.ids[e.slot] = undefined;
    this.slots.release(e.slot);
    return undefined;
  }

  /** The LRU policy reuses `slot`: drop its element; whether there was one. */
  private evict(slot: number): boolean {
    const id = this.ids[slot];
    if (id === undefined) return false;
    this.index.remove(id);
    this.ids[slot] = undefined;
    return true;
  }

  private valueWhat(): string {
    const v = this.values;
    return v.cpus === 0 ? `value_size ${v.valueSize}` : `${v.cpus} CPUs × round_up(value_size ${v.valueSize}, 8) = ${v.userSize}`;
  }
}

/** check_flags of hashtab.c, once the flags are known to be BPF_ANY, BPF_NOEXIST or BPF_EXIST. */
function flagsError(exists: boolean, flags: number): ErrnoName | undefined {
  if (exists && flags === UpdateFlags.NOEXIST) return 'EEXIST';
  if (!exists && flags === UpdateFlags.EXIST) return 'ENOENT';
  return undefined;
}

/** HTAB_CREATE_FLAG_MASK */
const HASH_FLAGS = MapFlags.NO_PREALLOC | MapFlags.NO_COMMON_LRU | MapFlags.NUMA_NODE | ACCESS_MASK | MapFlags.ZERO_SEED;

/** htab_map_alloc_check, then the size checks of htab_map_alloc. */
function checkHash(spec: NormalSpec, env: MapEnv, kind: HashKind): NormalSpec {
  const percpuLru = (spec.flags & MapFlags.NO_COMMON_LRU) !== 0;
  checkFlags(spec, HASH_FLAGS);
  need(kind.lru || !percpuLru, spec, 'EINVAL', 'map_flags BPF_F_NO_COMMON_LRU is only for LRU hash maps');
  need(!kind.lru || !(spec.flags & MapFlags.NO_PREALLOC), spec, 'ENOTSUPP', 'LRU hash maps are always preallocated: BPF_F_NO_PREALLOC is not supported');
  const numa = (spec.flags & MapFlags.NUMA_NODE) !== 0;
  need(!numa || !(kind.percpu || percpuLru), spec, 'EINVAL', 'map_flags BPF_F_NUMA_NODE does not go with per-CPU values or per-CPU LRU lists');
  checkNonZero(spec, 'maxEntries');
  checkNonZero(spec, 'keySize');
  checkNonZero(spec, 'valueSize');
  const limit = KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE;
  need(spec.keySize + spec.valueSize < limit, spec, 'E2BIG', `key_size ${spec.keySize} + value_size ${spec.valueSize} must be below ${limit}`);
  need(!kind.percpu || round8(spec.valueSize) <= PCPU_MIN_UNIT_SIZE, spec, 'E2BIG', `value_size ${spec.valueSize} rounded up to 8 is more than a per-CPU value may hold (${PCPU_MIN_UNIT_SIZE})`);
  const maxEntries = percpuLru ? perCpuLruEntries(spec.maxEntries, env.cpus) : spec.maxEntries;
  need(maxEntries <= 2 ** 31, spec, 'E2BIG', `max_entries ${maxEntries} is more than 2^31`);
  const buckets = 2 ** Math.ceil(Math.log2(maxEntries));
  need(buckets <= Math.floor(U32_MAX / HTAB_BUCKET_SIZE), spec, 'E2BIG', `max_entries ${maxEntries} needs ${buckets} buckets, more than ${Math.floor(U32_MAX / HTAB_BUCKET_SIZE)}`);
  return { ...spec, maxEntries };
}

/** With per-CPU LRU lists, max_entries becomes a multiple of the CPUs (rounded up, or down past u32). */
function perCpuLruEntries(maxEntries: number, cpus: number): number {
  const up = Math.ceil(maxEntries / cpus) * cpus;
  return up <= U32_MAX ? up : Math.floor(maxEntries / cpus) * cpus;
}

function hashKind(kind: HashKind): MapKind {
  return {
    check: (spec, env) => checkHash(spec, env, kind),
    create: (spec, env) => new HashMap(spec, env, kind),
  };
}

export const HASH = hashKind({ percpu: false, lru: false });
export const PERCPU_HASH = hashKind({ percpu: true, lru: false });
export const LRU_HASH = hashKind({ percpu: false, lru: true });
export const LRU_PERCPU_HASH = hashKind({ percpu: true, lru: true });
