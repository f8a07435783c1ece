import { AddressSpace, Region } from '../vm/memory.js';
import type { MemIndexLayout } from './mem-index.js';

/** `enum bpf_map_type` of linux/bpf.h. */
export const MapType = {
  UNSPEC: 0,
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  STACK_TRACE: 7,
  CGROUP_ARRAY: 8,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
  QUEUE: 22,
  STACK: 23,
  RINGBUF: 27,
  BLOOM_FILTER: 30,
} as const;

export type MapTypeName = keyof typeof MapType;

/** Map flags (`map_flags` of BPF_MAP_CREATE). */
export const MapFlags = {
  NO_PREALLOC: 1 << 0,
  NO_COMMON_LRU: 1 << 1,
  NUMA_NODE: 1 << 2,
  RDONLY: 1 << 3,
  WRONLY: 1 << 4,
  STACK_BUILD_ID: 1 << 5,
  ZERO_SEED: 1 << 6,
  RDONLY_PROG: 1 << 7,
  WRONLY_PROG: 1 << 8,
  CLONE: 1 << 9,
  MMAPABLE: 1 << 10,
  PRESERVE_ELEMS: 1 << 11,
  INNER_MAP: 1 << 12,
} as const;

/** Update flags of BPF_MAP_UPDATE_ELEM / bpf_map_update_elem. */
export const UpdateFlags = {
  ANY: 0,
  NOEXIST: 1,
  EXIST: 2,
  LOCK: 4,
} as const;

/**
 * What a map is, as plain data (cilium/ebpf's MapSpec): what BPF_MAP_CREATE
 * takes. It can be inspected and edited before the map is created.
 */
export interface MapSpec {
  name?: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  /**
   * `map_extra` of BPF_MAP_CREATE: only the bloom filter takes it (the low 4
   * bits are its number of hash functions, 0 meaning 5); 0 for every other type.
   */
  extra?: number;
  /**
   * `inner_map_fd` of BPF_MAP_CREATE, as a map ID: the template every map
   * stored in an ARRAY_OF_MAPS or HASH_OF_MAPS must match. Other types ignore
   * it (0), as Linux does.
   */
  innerMapId?: number;
}

/** A live map as the Runtime knows it: its ID and the address programs use for it (`lddw rX, map`). */
export interface MapRef {
  id: number;
  map: BpfMap;
  ptr: number;
}

/** What a map gets from the Runtime that creates it. */
export interface MapEnv {
  space: AddressSpace;
  /** number of possible CPUs: per-CPU maps keep one value per CPU */
  cpus: number;
  /** reserve `bytes` of the Runtime's memory budget; throws ENOMEM/E2BIG when over */
  charge(bytes: number): void;
  /** the loaded program with this ID (its `enum bpf_prog_type`), or undefined (PROG_ARRAY updates) */
  program?(id: number): { type: number } | undefined;
  /** the live map with this ID, or undefined (map-in-map: the inner template and the maps stored) */
  mapRef?(id: number): MapRef | undefined;
}

/**
 * A live map. The user-space side takes and returns bytes, as bpf(2) does
 * (a per-CPU value is every CPU's value, each rounded up to 8 bytes); the
 * program side works on addresses in the address space, as the helpers do,
 * and returns 0 or a negative errno.
 */
/** BpfMap.inlineLookup: where a map's values are, as the JIT finds them. */
export type InlineLookup = ArrayLookup | HashLookup;

/** An array's: the value of u32 key k < maxEntries at `values + k * stride`. */
export interface ArrayLookup {
  kind: 'array';
  values: number;
  stride: number;
  maxEntries: number;
}

/** A hash map's: its index in memory (mem-index.ts); the value of the element in slot s at `values + s * stride`. */
export interface HashLookup extends MemIndexLayout {
  kind: 'hash';
  values: number;
  stride: number;
}

export interface BpfMap {
  readonly spec: Readonly<Required<MapSpec>>;
  /** regions holding element storage: a run may load and store there */
  readonly regions: readonly Region[];

  lookup(key: Uint8Array): Uint8Array;
  update(key: Uint8Array, value: Uint8Array, flags?: number): void;
  delete(key: Uint8Array): void;
  /** the key after `key` (the first key when `key` is undefined); ENOENT after the last */
  nextKey(key: Uint8Array | undefined): Uint8Array;

  /** address of this CPU's value for the key at `keyAddr`, or 0 */
  lookupElem(keyAddr: number, cpu: number): number;
  /**
   * For a map whose lookup compiled code can do itself: where values are,
   * so that a verified program's lookup can be compiled inline, as Linux's
   * map_gen_lookup emits it — index arithmetic for an ARRAY, a probe of
   * the index in memory for a HASH.
   */
  inlineLookup?(): InlineLookup | undefined;
  updateElem(keyAddr: number, valueAddr: number, flags: number, cpu: number): number;
  deleteElem(keyAddr: number, cpu: number): number;

  /** bytes of memory the map holds */
  memoryUsed(): number;

  /**
   * Program side of bpf_for_each_map_elem (hash and array maps): `visit`
   * each element, in get-next-key order, with the address of a copy of its
   * key (read-only to programs) and of `cpu`'s value, until `visit` returns
   * true. Returns the number of elements visited. Elements that `visit`
   * deletes before the walk reaches them are skipped; elements it adds are
   * not visited.
   */
  forEachElem?(cpu: number, visit: (keyAddr: number, valueAddr: number) => boolean): number;

  // QUEUE, STACK and BLOOM_FILTER only (the bpf_map_push/pop/peek_elem helpers
  // and BPF_MAP_UPDATE_ELEM / BPF_MAP_LOOKUP_AND_DELETE_ELEM on them).

  /** add `value` (flags BPF_ANY, or BPF_EXIST to overwrite the oldest element of a full queue or stack) */
  push?(value: Uint8Array, flags?: number): void;
  /** take the next value out (queue: oldest, stack: newest); ENOENT when empty */
  pop?(): Uint8Array;
  /**
   * queue/stack: the next value, left in place (ENOENT when empty); bloom
   * filter: `value` itself when it may be in the set, ENOENT when it surely is not
   */
  peek?(value?: Uint8Array): Uint8Array;
  /** program side of push: the value is at `valueAddr`; returns 0 or -errno */
  pushElem?(valueAddr: number, flags: number): number;
  /**
   * program side of pop (`pop` true) and peek (`pop` false): queue/stack copy
   * the value to `valueAddr`; the bloom filter's peek tests the value at
   * `valueAddr`. Returns 0 or -errno.
   */
  popElem?(valueAddr: number, pop: boolean): number;
}
