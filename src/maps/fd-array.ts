import { Region } from '../vm/memory.js';
import { code, MapBase } from './base.js';
import { readU32 } from './keys.js';
import { ACCESS_MASK, checkExactly, checkFlags, checkNonZero } from './kind.js';
import { KMALLOC_MAX_SIZE } from './limits.js';
import { MapEnv, MapFlags, UpdateFlags } from './map.js';
import { need, NormalSpec } from './spec.js';

/**
 * What the fd arrays of Linux (kernel/bpf/arraymap.c fd_array_*) share:
 * PERF_EVENT_ARRAY and PROG_ARRAY. A u32 index keys an object that user space
 * names by a u32 (a perf buffer, a program); programs never address the
 * elements directly (lookup gives NULL, update and delete -EINVAL), they hand
 * the map to a helper.
 */
export abstract class FdArrayMap<T> extends MapBase {
  readonly regions: readonly Region[] = [];
  protected readonly elems: Array<T | undefined>;
  private readonly bytes: number;

  constructor(spec: NormalSpec, env: MapEnv) {
    super(spec, env);
    this.bytes = this.reserve(spec.maxEntries * 8);
    this.elems = new Array<T | undefined>(spec.maxEntries).fill(undefined);
  }

  /** what an element holds, for messages: "perf buffer", "program" */
  protected abstract readonly holds: string;

  /** The object a user-space u32 names, or the error to throw (EBADF when there is none). */
  protected abstract resolve(id: number): T;

  /** BPF_MAP_UPDATE_ELEM: install the object `value` names (fd_array_map_update_elem). */
  update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlags.ANY): void {
    this.checkKey('update', key);
    this.checkValue('update', value, 4);
    if (flags !== UpdateFlags.ANY) throw this.error('update', 'EINVAL', `flags ${flags}: an fd array takes only BPF_ANY (0)`);
    const i = readU32(key);
    if (i >= this.spec.maxEntries) throw this.error('update', 'E2BIG', this.outOfRange(i));
    this.elems[i] = this.resolve(readU32(value));
  }

  delete(key: Uint8Array): void {
    this.checkKey('delete', key);
    const i = readU32(key);
    if (i >= this.spec.maxEntries) throw this.error('delete', 'E2BIG', this.outOfRange(i));
    if (this.elems[i] === undefined) throw this.error('delete', 'ENOENT', `element ${i} holds no ${this.holds}`);
    this.elems[i] = undefined;
  }

  nextKey(key: Uint8Array | undefined): Uint8Array {
    return this.nextIndex(key);
  }

  /** The object at `index`, if any (for the helpers). */
  at(index: number): T | undefined {
    return index < this.spec.maxEntries ? this.elems[index] : undefined;
  }

  lookupElem(_keyAddr: number, _cpu: number): number {
    return 0;
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

  protected outOfRange(i: number): string {
    return `index ${i} >= max_entries ${this.spec.maxEntries}`;
  }
}

/** fd_array_map_alloc_check, then array_map_alloc_check. */
export function checkFdArray(s: NormalSpec, what: string): NormalSpec {
  checkExactly(s, 'valueSize', 4, `(a u32: the ${what})`);
  need(!(s.flags & (MapFlags.RDONLY_PROG | MapFlags.WRONLY_PROG)), s, 'EINVAL', 'map_flags BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG do not apply to an fd array');
  checkNonZero(s, 'maxEntries');
  checkExactly(s, 'keySize', 4, '(a u32 index)');
  checkFlags(s, MapFlags.NUMA_NODE | MapFlags.MMAPABLE | ACCESS_MASK | MapFlags.PRESERVE_ELEMS | MapFlags.INNER_MAP);
  need(!(s.flags & (MapFlags.MMAPABLE | MapFlags.INNER_MAP)), s, 'EINVAL', 'map_flags BPF_F_MMAPABLE and BPF_F_INNER_MAP are only for plain arrays');
  need(s.valueSize <= KMALLOC_MAX_SIZE, s, 'E2BIG', `value_size ${s.valueSize} is more than ${KMALLOC_MAX_SIZE}`);
  return s;
}
