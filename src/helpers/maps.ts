import { MapType, type BpfMap } from '../maps/map.js';
import { err, ret } from './access.js';
import type { HelperDef, HelperEnv } from './registry.js';

/**
 * The map helpers of Linux (kernel/bpf/helpers.c): r1 is a map pointer (what
 * `lddw rX, map` loaded), resolved through the Runtime with `env.kernel.map`.
 *
 * The verifier proves r1 is a map and that the key and value pointers cover
 * key_size and value_size bytes. Unverified runs get the same guarantees here:
 * a run without a Runtime, or an r1 that is not a map, gets -EINVAL (NULL from
 * map_lookup_elem, whose result the program may only test against NULL); a
 * key or value pointer the run may not read (or, for the value that
 * pop/peek fill, write) faults with EFAULT before the map sees it, so a map
 * never reads or writes memory that the program was not given.
 */

/** The queue/stack/bloom-filter operations, on the map types that have them. */
interface QueueOps {
  /** 0 or -errno */
  pushElem(valueAddr: number, flags: number): number;
  /** fill the value at `valueAddr` with the head (`pop`: and remove it); 0 or -errno */
  popElem(valueAddr: number, pop: boolean): number;
}

function queueOps(map: BpfMap): (BpfMap & QueueOps) | undefined {
  const m = map as BpfMap & Partial<QueueOps>;
  return typeof m.pushElem === 'function' && typeof m.popElem === 'function' ? (m as BpfMap & QueueOps) : undefined;
}

function mapOf(env: HelperEnv, ptr: bigint): BpfMap | undefined {
  return env.kernel?.map(ptr);
}

/** The address of `size` bytes the run may read, as a number; EFAULT otherwise. */
function readable(env: HelperEnv, addr: bigint, size: number): number {
  return env.check(addr, size, false);
}

/** The address of `size` bytes the run may write; EFAULT otherwise. */
function writable(env: HelperEnv, addr: bigint, size: number): number {
  return env.check(addr, size, true);
}

/** A u64 flags argument as a number; flags past 32 bits are unknown to every map type (-EINVAL). */
function flagsOf(r: bigint): number | undefined {
  return r > 0xffffffffn ? undefined : Number(r);
}

/** void *bpf_map_lookup_elem(struct bpf_map *map, const void *key): the value's address or NULL. */
export const mapLookupElem: HelperDef = {
  id: 1,
  name: 'map_lookup_elem',
  proto: { ret: 'PTR_TO_MAP_VALUE_OR_NULL', args: ['CONST_MAP_PTR', 'PTR_TO_MAP_KEY'] },
  fn: (env, r1, r2) => {
    const map = mapOf(env, r1);
    if (!map) return 0n;
    const key = readable(env, r2, map.spec.keySize);
    return ret(map.lookupElem(key, env.kernel!.cpu));
  },
  numeric: {
    arity: 2,
    fn: (env, ptr, key) => {
      const k = env.kernel;
      const map = k && (k.mapAt ? k.mapAt(ptr) : k.map(BigInt(ptr)));
      return map ? map.lookupElem(key, k!.cpu) : 0;
    },
  },
};

/** long bpf_map_update_elem(struct bpf_map *map, const void *key, const void *value, u64 flags) */
export const mapUpdateElem: HelperDef = {
  id: 2,
  name: 'map_update_elem',
  proto: { ret: 'INTEGER', args: ['CONST_MAP_PTR', 'PTR_TO_MAP_KEY', 'PTR_TO_MAP_VALUE', 'ANYTHING'] },
  fn: (env, r1, r2, r3, r4) => {
    const map = mapOf(env, r1);
    if (!map) return err('EINVAL');
    const key = readable(env, r2, map.spec.keySize);
    const value = readable(env, r3, map.spec.valueSize);
    const flags = flagsOf(r4);
    if (flags === undefined) return err('EINVAL');
    return ret(map.updateElem(key, value, flags, env.kernel!.cpu));
  },
};

/** long bpf_map_delete_elem(struct bpf_map *map, const void *key) */
export const mapDeleteElem: HelperDef = {
  id: 3,
  name: 'map_delete_elem',
  proto: { ret: 'INTEGER', args: ['CONST_MAP_PTR', 'PTR_TO_MAP_KEY'] },
  fn: (env, r1, r2) => {
    const map = mapOf(env, r1);
    if (!map) return err('EINVAL');
    const key = readable(env, r2, map.spec.keySize);
    return ret(map.deleteElem(key, env.kernel!.cpu));
  },
};

/**
 * long bpf_map_push_elem(struct bpf_map *map, const void *value, u64 flags):
 * queue, stack (BPF_EXIST replaces the oldest when full) and bloom filter.
 * Other map types have no push: -EINVAL.
 */
export const mapPushElem: HelperDef = {
  id: 87,
  name: 'map_push_elem',
  proto: { ret: 'INTEGER', args: ['CONST_MAP_PTR', 'PTR_TO_MAP_VALUE', 'ANYTHING'] },
  fn: (env, r1, r2, r3) => {
    const map = mapOf(env, r1);
    const q = map && queueOps(map);
    if (!q) return err('EINVAL');
    const value = readable(env, r2, q.spec.valueSize);
    const flags = flagsOf(r3);
    if (flags === undefined) return err('EINVAL');
    return ret(q.pushElem(value, flags));
  },
};

function popOrPeek(env: HelperEnv, r1: bigint, r2: bigint, pop: boolean): bigint {
  const map = mapOf(env, r1);
  const q = map && queueOps(map);
  if (!q) return err('EINVAL');
  // A bloom filter's peek reads the value (a membership test); the others fill it.
  const value =
    q.spec.type === MapType.BLOOM_FILTER ? readable(env, r2, q.spec.valueSize) : writable(env, r2, q.spec.valueSize);
  return ret(q.popElem(value, pop));
}

/**
 * long bpf_map_pop_elem(struct bpf_map *map, void *value). The kernel types
 * the value `ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE`; ArgKind has no
 * flags, so it reads PTR_TO_MAP_VALUE here.
 */
export const mapPopElem: HelperDef = {
  id: 88,
  name: 'map_pop_elem',
  proto: { ret: 'INTEGER', args: ['CONST_MAP_PTR', 'PTR_TO_MAP_VALUE'] },
  fn: (env, r1, r2) => popOrPeek(env, r1, r2, true),
};

/** long bpf_map_peek_elem(struct bpf_map *map, void *value); same value type as pop. */
export const mapPeekElem: HelperDef = {
  id: 89,
  name: 'map_peek_elem',
  proto: { ret: 'INTEGER', args: ['CONST_MAP_PTR', 'PTR_TO_MAP_VALUE'] },
  fn: (env, r1, r2) => popOrPeek(env, r1, r2, false),
};

export const MAP_HELPERS: readonly HelperDef[] = [mapLookupElem, mapUpdateElem, mapDeleteElem, mapPushElem, mapPopElem, mapPeekElem];
