import { ErrnoName } from '../errno.js';
import { Region } from '../vm/memory.js';
import { code, MapBase, updateFlagsError, updateFlagsReason } from './base.js';
import { ElemKeys } from './elem-keys.js';
import { readU32, writeU32 } from './keys.js';
import { ACCESS_MASK, checkExactly, checkFlags, checkNonZero, MapKind } from './kind.js';
import { INT_MAX, PCPU_MIN_UNIT_SIZE, round8 } from './limits.js';
import { InlineLookup, MapEnv, MapFlags, MapType, UpdateFlags } from './map.js';
import { need, NormalSpec } from './spec.js';
import { ValueSlots } from './values.js';

/**
 * ARRAY and PERCPU_ARRAY (kernel/bpf/arraymap.c): key_size 4, the key is a
 * u32 index; every element exists from creation, zeroed; elements cannot be
 * deleted. memoryUsed() is the value slots: max_entries × round_up(value_size,
 * 8), times the number of CPUs for PERCPU_ARRAY.
 */
export class ArrayMap extends MapBase {
  readonly regions: readonly Region[];
  private readonly values: ValueSlots;
  private readonly keys: ElemKeys;
  private readonly bytes: number;

  constructor(spec: NormalSpec, env: MapEnv, percpu: boolean) {
    super(spec, env);
    const cpus = percpu ? env.cpus : 0;
    this.bytes = this.reserve(ValueSlots.bytes(spec.maxEntries, spec.valueSize, cpus));
    this.values = new ValueSlots(env.space, spec.maxEntries, spec.valueSize, cpus, `${this.label} values`, this.progWritable);
    this.keys = new ElemKeys(env.space, spec.keySize, `${this.label} keys`);
    this.regions = [this.values.region, this.keys.region];
  }

  lookup(key: Uint8Array): Uint8Array {
    this.checkKey('lookup', key);
    const i = readU32(key);
    if (i >= this.spec.maxEntries) throw this.error('lookup', 'ENOENT', this.outOfRange(i));
    return this.values.readUser(i);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlags.ANY): void {
    this.checkKey('update', key);
    const v = this.values;
    this.checkValue('update', value, v.userSize, v.cpus === 0 ? undefined : `${v.cpus} CPUs × round_up(value_size ${v.valueSize}, 8) = ${v.userSize}`);
    const i = readU32(key);
    this.check('update', this.canUpdate(i, flags), {
      EINVAL: updateFlagsReason(flags),
      E2BIG: this.outOfRange(i),
      EEXIST: 'every element of an array exists, so BPF_NOEXIST always fails',
    });
    v.writeUser(i, value);
  }

  delete(key: Uint8Array): void {
    this.checkKey('delete', key);
    throw this.error('delete', 'EINVAL', 'array elements cannot be deleted');
  }

  nextKey(key: Uint8Array | undefined): Uint8Array {
    return this.nextIndex(key);
  }

  lookupElem(keyAddr: number, cpu: number): number {
    const i = readU32(this.env.space.bytes, keyAddr);
    return i < this.spec.maxEntries ? this.values.addr(i, cpu) : 0;
  }

  /** A per-CPU array's value depends on the CPU of the run: not inline. */
  inlineLookup(): InlineLookup | undefined {
    const v = this.values;
    return v.copies === 1 ? { kind: 'array', values: v.addr(0, 0), stride: v.stride, maxEntries: this.spec.maxEntries } : undefined;
  }

  updateElem(keyAddr: number, valueAddr: number, flags: number, cpu: number): number {
    const i = readU32(this.env.space.bytes, keyAddr);
    const err = this.canUpdate(i, flags);
    if (!err) this.values.copyIn(i, cpu, valueAddr);
    return code(err);
  }

  deleteElem(): number {
    return code('EINVAL');
  }

  /** Every index in order (all elements of an array exist). */
  forEachElem(cpu: number, visit: (keyAddr: number, valueAddr: number) => boolean): number {
    return this.keys.walk((keyAddr) => {
      const n = this.spec.maxEntries;
      for (let i = 0; i < n; i++) {
        writeU32(this.env.space.bytes, keyAddr, i);
        if (visit(keyAddr, this.values.addr(i, cpu))) return i + 1;
      }
      return n;
    });
  }

  memoryUsed(): number {
    return this.bytes;
  }

  /** The checks of array_map_update_elem, in its order. */
  private canUpdate(i: number, flags: number): ErrnoName | undefined {
    const bad = updateFlagsError(flags);
    if (bad) return bad;
    if (i >= this.spec.maxEntries) return 'E2BIG';
    if (flags === UpdateFlags.NOEXIST) return 'EEXIST';
    return undefined;
  }

  private outOfRange(i: number): string {
    return `index ${i} >= max_entries ${this.spec.maxEntries}`;
  }
}

/** ARRAY_CREATE_FLAG_MASK */
const ARRAY_FLAGS = MapFlags.NUMA_NODE | MapFlags.MMAPABLE | ACCESS_MASK | MapFlags.PRESERVE_ELEMS | MapFlags.INNER_MAP;

/** array_map_alloc_check. */
function checkArray(spec: NormalSpec, percpu: boolean): NormalSpec {
  checkNonZero(spec, 'maxEntries');
  checkExactly(spec, 'keySize', 4, '(a u32 index)');
  checkNonZero(spec, 'valueSize');
  checkFlags(spec, ARRAY_FLAGS);
  need(!percpu || !(spec.flags & MapFlags.NUMA_NODE), spec, 'EINVAL', 'map_flags BPF_F_NUMA_NODE does not go with per-CPU values');
  need(spec.type === MapType.ARRAY || !(spec.flags & (MapFlags.MMAPABLE | MapFlags.INNER_MAP)), spec, 'EINVAL', 'map_flags BPF_F_MMAPABLE and BPF_F_INNER_MAP are only for plain arrays');
  need(!(spec.flags & MapFlags.PRESERVE_ELEMS), spec, 'EINVAL', 'map_flags BPF_F_PRESERVE_ELEMS is only for perf event arrays');
  need(spec.valueSize <= INT_MAX, spec, 'E2BIG', `value_size ${spec.valueSize} is more than ${INT_MAX}`);
  need(!percpu || round8(spec.valueSize) <= PCPU_MIN_UNIT_SIZE, spec, 'E2BIG', `value_size ${spec.valueSize} rounded up to 8 is more than a per-CPU value may hold (${PCPU_MIN_UNIT_SIZE})`);
  return spec;
}

function arrayKind(percpu: boolean): MapKind {
  return {
    check: (spec) => checkArray(spec, percpu),
    create: (spec, env) => new ArrayMap(spec, env, percpu),
  };
}

export const ARRAY = arrayKind(false);
export const PERCPU_ARRAY = arrayKind(true);
