import { BpfMap, MapEnv, MapFlags } from './map.js';
import { flagNames, need, NormalSpec, typeName } from './spec.js';

/**
 * One map type as data (DESIGN decision 4): how BPF_MAP_CREATE checks a spec
 * for it (the type's map_alloc_check and the checks of its map_alloc, in
 * Linux's order and with Linux's errno) and how it creates the map.
 */
export interface MapKind {
  /** Throw what Linux would refuse the spec with; return it as the map will report it. */
  check(spec: NormalSpec, env: MapEnv): NormalSpec;
  create(spec: NormalSpec, env: MapEnv): BpfMap;
}

/** BPF_F_ACCESS_MASK: the read/write permission flags every type takes. */
export const ACCESS_MASK = MapFlags.RDONLY | MapFlags.WRONLY | MapFlags.RDONLY_PROG | MapFlags.WRONLY_PROG;

/** EINVAL unless the flags are within `allowed` and not both RDONLY_PROG and WRONLY_PROG (bpf_map_flags_access_ok). */
export function checkFlags(spec: NormalSpec, allowed: number): void {
  const extra = spec.flags & ~allowed;
  need(extra === 0, spec, 'EINVAL', `map_flags ${flagNames(extra)} not allowed for ${typeName(spec.type)} maps (allowed: ${flagNames(allowed)})`);
  const both = MapFlags.RDONLY_PROG | MapFlags.WRONLY_PROG;
  need((spec.flags & both) !== both, spec, 'EINVAL', 'map_flags BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG exclude each other');
}

/** EINVAL when `field` is 0. */
export function checkNonZero(spec: NormalSpec, field: 'keySize' | 'valueSize' | 'maxEntries'): void {
  need(spec[field] !== 0, spec, 'EINVAL', `${FIELD_NAMES[field]} must not be 0`);
}

/** EINVAL unless `field` is exactly `size`. */
export function checkExactly(spec: NormalSpec, field: 'keySize' | 'valueSize', size: number, why: string): void {
  need(spec[field] === size, spec, 'EINVAL', `${FIELD_NAMES[field]} must be ${size} ${why}, not ${spec[field]}`);
}

export const FIELD_NAMES = { keySize: 'key_size', valueSize: 'value_size', maxEntries: 'max_entries' } as const;
