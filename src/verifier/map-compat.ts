import { MapType } from '../maps/map.js';
import { reject } from './context.js';
import type { Proto } from './helper-protos.js';
import type { VerifierMap } from './reg.js';

/**
 * Which helpers work on which map types, both ways (Linux's
 * check_map_func_compatibility): a ring buffer takes only the ringbuf
 * helpers, a program array only tail calls, and each of those helpers only
 * its map type.
 */

const PERF_HELPERS = [22, 25, 55, 111, 121];
const RINGBUF_HELPERS = [130, 131, 134, 198, 199, 200];

/** For maps that only some helpers may use: those helpers. */
const MAP_ONLY: Partial<Record<number, readonly number[]>> = {
  [MapType.PROG_ARRAY]: [12],
  [MapType.PERF_EVENT_ARRAY]: PERF_HELPERS,
  [MapType.RINGBUF]: RINGBUF_HELPERS,
  [MapType.STACK_TRACE]: [27],
  [MapType.CGROUP_ARRAY]: [33, 37],
  [MapType.ARRAY_OF_MAPS]: [1],
  [MapType.HASH_OF_MAPS]: [1],
  [MapType.QUEUE]: [87, 88, 89],
  [MapType.STACK]: [87, 88, 89],
  [MapType.BLOOM_FILTER]: [87, 89],
};

/** For helpers that only some map types may be given to: those types. */
const FUNC_ONLY: Partial<Record<number, readonly number[]>> = {
  12: [MapType.PROG_ARRAY],
  22: [MapType.PERF_EVENT_ARRAY],
  25: [MapType.PERF_EVENT_ARRAY],
  55: [MapType.PERF_EVENT_ARRAY],
  111: [MapType.PERF_EVENT_ARRAY],
  121: [MapType.PERF_EVENT_ARRAY],
  130: [MapType.RINGBUF],
  131: [MapType.RINGBUF],
  134: [MapType.RINGBUF],
  27: [MapType.STACK_TRACE],
  88: [MapType.QUEUE, MapType.STACK],
  87: [MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER],
  89: [MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER],
};

export function checkMapFuncCompat(map: VerifierMap, proto: Proto): void {
  const allowed = MAP_ONLY[map.type];
  const types = FUNC_ONLY[proto.id];
  if ((allowed && !allowed.includes(proto.id)) || (types && !types.includes(map.type))) {
    reject('EINVAL', `cannot pass map_type ${map.type} into func bpf_${proto.name}#${proto.id}`, `bpf_${proto.name} does not work on this kind of map`);
  }
}
