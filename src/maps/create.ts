import { ARRAY, PERCPU_ARRAY } from './array.js';
import { BLOOM_FILTER } from './bloom-filter.js';
import { HASH, LRU_HASH, LRU_PERCPU_HASH, PERCPU_HASH } from './hash.js';
import { MapKind } from './kind.js';
import { BPF_OBJ_NAME_LEN, U32_MAX } from './limits.js';
import { LPM_TRIE } from './lpm-trie.js';
import { ARRAY_OF_MAPS, HASH_OF_MAPS, isMapOfMaps } from './map-in-map.js';
import { BpfMap, MapEnv, MapFlags, MapSpec, MapType } from './map.js';
import { PERF_EVENT_ARRAY } from './perf-event-array.js';
import { PROG_ARRAY } from './prog-array.js';
import { QUEUE, STACK } from './queue-stack.js';
import { RINGBUF } from './ringbuf.js';
import { STACK_TRACE } from './stack-trace.js';
import { createError, need, NormalSpec, typeName } from './spec.js';

/** The map types tsbpf implements, by `enum bpf_map_type` number. */
export const MAP_KINDS: ReadonlyMap<number, MapKind> = new Map([
  [MapType.HASH, HASH],
  [MapType.ARRAY, ARRAY],
  [MapType.PERCPU_HASH, PERCPU_HASH],
  [MapType.PERCPU_ARRAY, PERCPU_ARRAY],
  [MapType.LRU_HASH, LRU_HASH],
  [MapType.LRU_PERCPU_HASH, LRU_PERCPU_HASH],
  [MapType.LPM_TRIE, LPM_TRIE],
  [MapType.QUEUE, QUEUE],
  [MapType.STACK, STACK],
  [MapType.BLOOM_FILTER, BLOOM_FILTER],
  [MapType.RINGBUF, RINGBUF],
  [MapType.PERF_EVENT_ARRAY, PERF_EVENT_ARRAY],
  [MapType.PROG_ARRAY, PROG_ARRAY],
  [MapType.ARRAY_OF_MAPS, ARRAY_OF_MAPS],
  [MapType.HASH_OF_MAPS, HASH_OF_MAPS],
  [MapType.STACK_TRACE, STACK_TRACE],
]);

/**
 * BPF_MAP_CREATE: check `spec` as Linux's map_create and the type's
 * map_alloc_check / map_alloc do (same errno: EINVAL, E2BIG, ENOTSUPP), then
 * create the map, its storage charged to `env`. The name is checked before
 * anything is allocated (Linux checks it last, with the same errno).
 */
export function createMap(spec: MapSpec, env: MapEnv): BpfMap {
  const s = normalize(spec);
  need(s.extra === 0 || s.type === MapType.BLOOM_FILTER, s, 'EINVAL', `map_extra ${s.extra}: only bloom filters take map_extra`);
  const rw = MapFlags.RDONLY | MapFlags.WRONLY;
  need((s.flags & rw) !== rw, s, 'EINVAL', 'map_flags BPF_F_RDONLY and BPF_F_WRONLY exclude each other');
  const kind = MAP_KINDS.get(s.type);
  if (!kind) {
    const known = s.type !== MapType.UNSPEC && (Object.values(MapType) as number[]).includes(s.type);
    throw createError(s, 'EINVAL', known ? `map type ${typeName(s.type)} (${s.type}) is not supported by tsbpf yet` : `unknown map type ${s.type}`);
  }
  const checked = kind.check(s, env);
  checkName(checked);
  return kind.create(checked, env);
}

/** Fill in the optional fields; EINVAL for numbers bpf_attr could not hold. */
function normalize(spec: MapSpec): NormalSpec {
  const s: NormalSpec = {
    name: spec.name ?? '',
    type: spec.type,
    keySize: spec.keySize,
    valueSize: spec.valueSize,
    maxEntries: spec.maxEntries,
    flags: spec.flags ?? 0,
    extra: spec.extra ?? 0,
    // inner_map_fd means something to maps of maps only; the others ignore it
    innerMapId: isMapOfMaps(spec.type) ? (spec.innerMapId ?? 0) : 0,
  };
  const u32 = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= U32_MAX;
  for (const [field, name] of [['type', 'map_type'], ['keySize', 'key_size'], ['valueSize', 'value_size'], ['maxEntries', 'max_entries'], ['flags', 'map_flags'], ['innerMapId', 'inner_map_fd']] as const) {
    need(u32(s[field]), s, 'EINVAL', `${name} ${s[field]} is not a u32`);
  }
  need(Number.isSafeInteger(s.extra) && s.extra >= 0, s, 'EINVAL', `map_extra ${s.extra} is not a u64`);
  return s;
}

/** bpf_obj_name_cpy: at most BPF_OBJ_NAME_LEN - 1 characters, each alphanumeric, '_' or '.'. */
function checkName(spec: NormalSpec): void {
  const name = spec.name;
  need(name.length < BPF_OBJ_NAME_LEN, spec, 'EINVAL', `name '${name}' is longer than ${BPF_OBJ_NAME_LEN - 1} characters`);
  const bad = [...name].find((c) => !/^[A-Za-z0-9_.]$/.test(c));
  need(bad === undefined, spec, 'EINVAL', `name '${name}' has the character ${JSON.stringify(bad)}: only letters, digits, '_' and '.' are allowed`);
}
