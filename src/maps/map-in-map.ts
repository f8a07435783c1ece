import { ErrnoName } from '../errno.js';
import { Region } from '../vm/memory.js';
import { code, MapBase, updateFlagsError, updateFlagsReason } from './base.js';
import { checkFdArray, FdArrayMap } from './fd-array.js';
import { HASH } from './hash.js';
import { keyId, readU32, u32Bytes } from './keys.js';
import { checkExactly, MapKind } from './kind.js';
import { HTAB_ELEM_SIZE, round8 } from './limits.js';
import { MapEnv, MapFlags, MapRef, MapType, UpdateFlags } from './map.js';
import { OrderedIndex } from './ordered-index.js';
import { createError, mapLabel, need, NormalSpec, typeName } from './spec.js';

/**
 * ARRAY_OF_MAPS and HASH_OF_MAPS (kernel/bpf/arraymap.c, hashtab.c,
 * map_in_map.c): maps whose values are maps.
 *
 * Creation takes a template (`innerMapId`, Linux's inner_map_fd): a live
 * map whose type, key and value sizes, flags and — for ARRAY inner maps
 * without BPF_F_INNER_MAP — max_entries every stored map must share
 * (bpf_map_meta_equal / array_map_meta_equal), so that a program verified
 * against the template works with any of them. The template's properties
 * are copied: closing it later changes nothing.
 *
 * User space stores a map by its ID (Linux: by fd) and reads back the
 * stored map's ID. A program's bpf_map_lookup_elem gives the stored map's
 * pointer, the address `lddw rX, map` loads for it, or NULL; the program
 * may pass it to further map helpers. Programs cannot update or delete
 * elements (the verifier refuses; unverified runs get -EINVAL).
 */

/** Whether `type` is ARRAY_OF_MAPS or HASH_OF_MAPS. */
export function isMapOfMaps(type: number): boolean {
  return type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS;
}

/** BPF_F_RDONLY and BPF_F_WRONLY only set the permissions of an fd: Linux does not keep them in the map's flags. */
const FD_ONLY_FLAGS = MapFlags.RDONLY | MapFlags.WRONLY;

/** The template an outer map holds (Linux's inner_map_meta): what a verifier may assume of any map stored. */
export type Template = Pick<NormalSpec, 'type' | 'keySize' | 'valueSize' | 'maxEntries' | 'flags'>;

/**
 * bpf_map_meta_alloc: the template `spec.innerMapId` names. EBADF when no
 * map has that ID; EINVAL when none was given (Linux would read fd 0) or the
 * template holds maps itself (one level only); ENOTSUPP for PROG_ARRAY, the
 * only tsbpf type Linux cannot nest (it has no map_meta_equal).
 */
function template(spec: NormalSpec, env: MapEnv): Template {
  need(spec.innerMapId !== 0, spec, 'EINVAL', 'a map of maps needs an inner map template (innerMapId, the inner_map_fd of BPF_MAP_CREATE)');
  const ref = env.mapRef?.(spec.innerMapId);
  if (!ref) throw createError(spec, 'EBADF', `inner map template: ${spec.innerMapId} is not the id of a map`);
  const t = ref.map.spec;
  need(!isMapOfMaps(t.type), spec, 'EINVAL', `inner map template ${mapLabel(t)} holds maps itself: maps nest one level only`);
  need(t.type !== MapType.PROG_ARRAY, spec, 'ENOTSUPP', `inner map template ${mapLabel(t)}: a program array cannot be stored in a map`);
  return { type: t.type, keySize: t.keySize, valueSize: t.valueSize, maxEntries: t.maxEntries, flags: t.flags & ~FD_ONLY_FLAGS };
}

/** Why `map` may not be stored under `t` (map_meta_equal), or undefined when it may. */
function mismatch(t: Template, map: Template): string | undefined {
  if (map.type !== t.type) return `its type is ${typeName(map.type)}, the template's ${typeName(t.type)}`;
  if (map.keySize !== t.keySize) return `its key_size is ${map.keySize}, the template's ${t.keySize}`;
  if (map.valueSize !== t.valueSize) return `its value_size is ${map.valueSize}, the template's ${t.valueSize}`;
  const flags = map.flags & ~FD_ONLY_FLAGS;
  if (flags !== t.flags) return `its map_flags are ${flags}, the template's ${t.flags}`;
  // Only plain arrays: a program may index one by a bound proved against max_entries.
  const sized = t.type === MapType.ARRAY && !(t.flags & MapFlags.INNER_MAP);
  if (sized && map.maxEntries !== t.maxEntries) return `its max_entries is ${map.maxEntries}, the template's ${t.maxEntries} (BPF_F_INNER_MAP on the template lifts this)`;
  return undefined;
}

/** The map a stored u32 names, checked against the template (bpf_map_fd_get_ptr): EBADF, EINVAL. */
function resolveInner(env: MapEnv, t: Template, id: number, fail: (errno: ErrnoName, why: string) => Error): MapRef {
  const ref = env.mapRef?.(id);
  if (!ref) throw fail('EBADF', `${id} is not the id of a map`);
  const why = mismatch(t, ref.map.spec);
  if (why) throw fail('EINVAL', `${mapLabel(ref.map.spec)} (id ${id}) does not match the inner map template: ${why}`);
  return ref;
}

/** ARRAY_OF_MAPS: an fd array (u32 index keys, only BPF_ANY updates) whose elements are maps. */
export class ArrayOfMaps extends FdArrayMap<MapRef> {
  protected readonly holds = 'map';

  constructor(spec: NormalSpec, env: MapEnv, readonly template: Template) {
    super(spec, env);
  }

  protected resolve(id: number): MapRef {
    return resolveInner(this.env, this.template, id, (errno, why) => this.error('update', errno, why));
  }

  /** The stored map's ID (map_fd_sys_lookup_elem); ENOENT for an empty or out-of-range element. */
  lookup(key: Uint8Array): Uint8Array {
    this.checkKey('lookup', key);
    const ref = this.at(readU32(key));
    if (!ref) throw this.error('lookup', 'ENOENT', `element ${readU32(key)} holds no map`);
    return u32Bytes(ref.id);
  }

  override lookupElem(keyAddr: number): number {
    return this.at(readU32(this.env.space.bytes, keyAddr))?.ptr ?? 0;
  }
}

interface Entry {
  key: Uint8Array;
  ref: MapRef;
}

/**
 * HASH_OF_MAPS: a hash map whose values are maps. Keys are kept in
 * insertion order for get-next-key, as tsbpf's HASH does (Linux walks its
 * buckets in hash order).
 */
export class HashOfMaps extends MapBase {
  readonly regions: readonly Region[] = [];
  private readonly index = new OrderedIndex<Entry>();
  private readonly bytes: number;

  constructor(spec: NormalSpec, env: MapEnv, readonly template: Template) {
    super(spec, env);
    // htab elements as Linux sizes them: header, key, and the value holding a pointer
    this.bytes = this.reserve(spec.maxEntries * (HTAB_ELEM_SIZE + round8(spec.keySize) + 8));
  }

  lookup(key: Uint8Array): Uint8Array {
    this.checkKey('lookup', key);
    const e = this.index.get(keyId(key));
    if (!e) throw this.error('lookup', 'ENOENT', 'no such key');
    return u32Bytes(e.ref.id);
  }

  /**
   * bpf_fd_htab_map_update_elem, in Linux's order: BPF_F_LOCK (no spin lock
   * in the value) before anything, the stored map before the flags and the
   * element's presence, fullness last.
   */
  update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlags.ANY): void {
    this.checkKey('update', key);
    this.checkValue('update', value, 4);
    if (flags >= 0 && flags & UpdateFlags.LOCK) throw this.error('update', 'EINVAL', updateFlagsReason(flags));
    const ref = resolveInner(this.env, this.template, readU32(value), (errno, why) => this.error('update', errno, why));
    this.check('update', this.put(key, flags, ref), {
      EINVAL: updateFlagsReason(flags),
      EEXIST: 'the key exists and flags are BPF_NOEXIST',
      ENOENT: 'no such key and flags are BPF_EXIST',
      E2BIG: `the map is full (max_entries ${this.spec.maxEntries})`,
    });
  }

  delete(key: Uint8Array): void {
    this.checkKey('delete', key);
    if (!this.index.remove(keyId(key))) throw this.error('delete', 'ENOENT', 'no such key');
  }

  nextKey(key: Uint8Array | undefined): Uint8Array {
    if (key !== undefined) this.checkKey('next key', key);
    const id = key === undefined ? undefined : keyId(key);
    const next = id !== undefined && this.index.get(id) ? this.index.after(id) : this.index.first();
    if (!next) throw this.error('next key', 'ENOENT', this.index.size === 0 ? 'the map is empty' : 'no key after the last one');
    return next.key.slice();
  }

  lookupElem(keyAddr: number): number {
    return this.elemAt(this.index, keyAddr)?.ref.ptr ?? 0;
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

  private put(key: Uint8Array, flags: number, ref: MapRef): ErrnoName | undefined {
    const bad = updateFlagsError(flags);
    if (bad) return bad;
    const id = keyId(key);
    const old = this.index.get(id);
    if (old && flags === UpdateFlags.NOEXIST) return 'EEXIST';
    if (!old && flags === UpdateFlags.EXIST) return 'ENOENT';
    if (old) {
      old.ref = ref;
      return undefined;
    }
    if (this.index.size >= this.spec.maxEntries) return 'E2BIG';
    this.index.add(id, { key: key.slice(), ref });
    return undefined;
  }
}

/** fd_array_map_alloc_check and array_map_alloc_check, then the template (array_of_map_alloc). */
function checkArrayOfMaps(spec: NormalSpec): NormalSpec {
  checkFdArray(spec, 'id of the map stored');
  need(!(spec.flags & MapFlags.PRESERVE_ELEMS), spec, 'EINVAL', 'map_flags BPF_F_PRESERVE_ELEMS is only for perf event arrays');
  return spec;
}

/** fd_htab_map_alloc_check: value_size 4, then the checks of a hash map. */
function checkHashOfMaps(spec: NormalSpec, env: MapEnv): NormalSpec {
  checkExactly(spec, 'valueSize', 4, '(a u32: the id of the map stored)');
  return HASH.check(spec, env);
}

export const ARRAY_OF_MAPS: MapKind = {
  check: (spec, env) => {
    const s = checkArrayOfMaps(spec);
    template(s, env);
    return s;
  },
  create: (spec, env) => new ArrayOfMaps(spec, env, template(spec, env)),
};

export const HASH_OF_MAPS: MapKind = {
  check: (spec, env) => {
    const s = checkHashOfMaps(spec, env);
    template(s, env);
    return s;
  },
  create: (spec, env) => new HashOfMaps(spec, env, template(spec, env)),
};
