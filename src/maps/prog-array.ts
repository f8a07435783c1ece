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
 *
 * A tail call must land in a program of the caller's type (its context is
 * passed on), so the array has an owner type, as Linux's map->owner: set by
 * the first program stored in it or loaded with it among its maps, and kept
 * when the array empties; a program of another type is EINVAL in either
 * place. Linux also compares the JIT state, xdp_has_frags and the expected
 * attach type: tsbpf's engines tail-call each other, and its programs have
 * neither flags nor attach types, so the type is the whole of it.
 */
export class ProgArrayMap extends FdArrayMap<number> {
  protected readonly holds = 'program';
  /** the `enum bpf_prog_type` every program in the array has, once one is known */
  private owner: number | undefined;

  protected resolve(id: number): number {
    const prog = this.env.program?.(id);
    if (!prog) throw this.error('update', 'EBADF', `${id} is not the id of a loaded program`);
    this.claim(prog.type, 'update', `program ${id}`);
    return id;
  }

  /** Make `type` the owner type, or check that it is (EINVAL naming `who` otherwise). */
  claim(type: number, op: string, who: string): void {
    if (this.owner === undefined) this.owner = type;
    else if (this.owner !== type) throw this.error(op, 'EINVAL', `${who} is of program type ${type}, but the array holds programs of type ${this.owner}: a tail call keeps the caller's context`);
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

/**
 * At load, as Linux's bpf_check_tail_call: a program with program arrays
 * among its maps owns those without an owner and must match the others
 * (EINVAL). `who` names the program in the message.
 */
export function claimProgArrays(maps: readonly BpfMap[], type: number, who: string): void {
  for (const m of maps) if (m instanceof ProgArrayMap) m.claim(type, 'load', who);
}
