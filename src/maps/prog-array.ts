import { BpfError } from '../errno.js';
import { FdArrayMap, checkFdArray } from './fd-array.js';
import { u32Bytes, readU32 } from './keys.js';
import { MapKind } from './kind.js';
import { BpfMap, MapType } from './map.js';

/**
 * PROG_ARRAY: the jump table of bpf_tail_call. Elements are program IDs
 * (tsbpf's stand-in for program fds); an update names a program the Runtime
 * has loaded (EBADF otherwise); a user-space lookup gives the program's ID,
 * as Linux's map_fd_sys_lookup_elem does.
 */
export class ProgArrayMap extends FdArrayMap<number> {
  protected readonly holds = 'program';

  protected resolve(id: number): number {
    if (!this.env.programExists?.(id)) throw this.error('update', 'EBADF', `${id} is not the id of a loaded program`);
    return id;
  }

  lookup(key: Uint8Array): Uint8Array {
    this.checkKey('lookup', key);
    const prog = this.at(readU32(key));
    if (prog === undefined) throw this.error('lookup', 'ENOENT', `element ${readU32(key)} holds no program`);
    return u32Bytes(prog);
  }
}

export const PROG_ARRAY: MapKind = { check: (spec) => checkFdArray(spec, 'program'), create: (spec, env) => new ProgArrayMap(spec, env) };

/** `map` as a program array; EINVAL for another map type. */
export function progArrayOf(map: BpfMap): ProgArrayMap {
  if (map instanceof ProgArrayMap) return map;
  throw new BpfError('EINVAL', `map '${map.spec.name}' is not a program array (type ${map.spec.type}, not ${MapType.PROG_ARRAY})`);
}
