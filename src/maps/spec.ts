import { BpfError, ErrnoName } from '../errno.js';
import { MapFlags, MapSpec, MapType } from './map.js';

/** A MapSpec with every field filled in, as a live map reports it. */
export type NormalSpec = Readonly<Required<MapSpec>>;

/** "hash", "percpu_array", … (the name of `enum bpf_map_type` without its prefix), or "type N". */
export function typeName(type: number): string {
  const entry = Object.entries(MapType).find(([, v]) => v === type);
  return entry ? entry[0].toLowerCase() : `type ${type}`;
}

/** How messages name a map: "map 'counts' (hash)", or "map (hash)" when it has no name. */
export function mapLabel(spec: { name?: string; type: number }): string {
  return spec.name ? `map '${spec.name}' (${typeName(spec.type)})` : `map (${typeName(spec.type)})`;
}

/** "BPF_F_NO_PREALLOC|BPF_F_MMAPABLE" for a set of map flags; unknown bits in hex. */
export function flagNames(flags: number): string {
  const names: string[] = [];
  let rest = flags >>> 0;
  for (const [name, bit] of Object.entries(MapFlags)) {
    if (rest & bit) {
      names.push(`BPF_F_${name}`);
      rest &= ~bit;
    }
  }
  if (rest) names.push('0x' + (rest >>> 0).toString(16));
  return names.join('|') || '0';
}

/** The error BPF_MAP_CREATE gives for `spec`: "map 'x' (hash): create: …". */
export function createError(spec: { name?: string; type: number }, errno: ErrnoName, why: string): BpfError {
  return new BpfError(errno, `${mapLabel(spec)}: create: ${why}`);
}

/** Throw createError(…) unless `ok`. */
export function need(ok: boolean, spec: { name?: string; type: number }, errno: ErrnoName, why: string): void {
  if (!ok) throw createError(spec, errno, why);
}
