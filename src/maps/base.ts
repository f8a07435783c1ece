import { BpfError, ERRNO, ErrnoName } from '../errno.js';
import { Region } from '../vm/memory.js';
import { KeyId, keyIdAt, readU32, u32Bytes } from './keys.js';
import { BpfMap, MapEnv, MapFlags, UpdateFlags } from './map.js';
import { mapLabel, NormalSpec } from './spec.js';

/** 0, or the negative errno a program-side call returns. */
export function code(errno: ErrnoName | undefined): number {
  return errno === undefined ? 0 : -ERRNO[errno];
}

/** Reasons for the errors one operation may give, by errno. */
export type Reasons = Partial<Record<ErrnoName, string>>;

/**
 * What every map type shares: its spec and environment, the checks of the
 * sizes of what user space passes, reading keys from the address space, and
 * errors that name the map, the operation and what was wrong.
 */
export abstract class MapBase implements BpfMap {
  abstract readonly regions: readonly Region[];
  protected readonly label: string;

  constructor(
    readonly spec: NormalSpec,
    protected readonly env: MapEnv,
  ) {
    this.label = mapLabel(spec);
  }

  abstract lookup(key: Uint8Array): Uint8Array;
  abstract update(key: Uint8Array, value: Uint8Array, flags?: number): void;
  abstract delete(key: Uint8Array): void;
  abstract nextKey(key: Uint8Array | undefined): Uint8Array;
  abstract lookupElem(keyAddr: number, cpu: number): number;
  abstract updateElem(keyAddr: number, valueAddr: number, flags: number, cpu: number): number;
  abstract deleteElem(keyAddr: number, cpu: number): number;
  abstract memoryUsed(): number;

  protected error(op: string, errno: ErrnoName, why: string): BpfError {
    return new BpfError(errno, `${this.label}: ${op}: ${why}`);
  }

  /** Throw the error for `errno` (if any), with the reason `reasons` gives for it. */
  protected check(op: string, errno: ErrnoName | undefined, reasons: Reasons): void {
    if (errno !== undefined) throw this.error(op, errno, reasons[errno] ?? `failed (${errno})`);
  }

  protected checkKey(op: string, key: Uint8Array): void {
    if (key.length !== this.spec.keySize) throw this.error(op, 'EINVAL', `key size ${key.length} != key_size ${this.spec.keySize}`);
  }

  protected checkValue(op: string, value: Uint8Array, size: number, what = `value_size ${size}`): void {
    if (value.length !== size) throw this.error(op, 'EINVAL', `value size ${value.length} != ${what}`);
  }

  /**
   * get-next-key of the array-shaped maps (u32 index keys): index + 1; 0 for
   * no key or an index out of range; ENOENT after the last.
   */
  protected nextIndex(key: Uint8Array | undefined): Uint8Array {
    if (key !== undefined) this.checkKey('next key', key);
    const i = key === undefined ? this.spec.maxEntries : readU32(key);
    if (i >= this.spec.maxEntries) return u32Bytes(0);
    if (i === this.spec.maxEntries - 1) throw this.error('next key', 'ENOENT', `${i} is the last index`);
    return u32Bytes(i + 1);
  }

  /** A view of the key_size bytes at `addr` (valid until the next allocation). */
  protected keyAt(addr: number): Uint8Array {
    return this.env.space.bytes.subarray(addr, addr + this.spec.keySize);
  }

  /** The element of `index` whose key is the key_size bytes at `addr`, read in place. */
  protected elemAt<V>(index: { getAt(mem: Uint8Array, off: number, size: number): V | undefined }, addr: number): V | undefined {
    return index.getAt(this.env.space.bytes, addr, this.spec.keySize);
  }

  /** The id (keys.ts) of the key_size bytes at `addr`, read in place. */
  protected keyIdAt(addr: number): KeyId {
    return keyIdAt(this.env.space.bytes, addr, this.spec.keySize);
  }

  /** The map's storage is read-only to programs (BPF_F_RDONLY_PROG). */
  protected get progWritable(): boolean {
    return (this.spec.flags & MapFlags.RDONLY_PROG) === 0;
  }

  /** Reserve the map's memory with the Runtime (before allocating it). */
  protected reserve(bytes: number): number {
    this.env.charge(bytes);
    return bytes;
  }
}

/**
 * The update flags of array and hash maps: BPF_ANY, BPF_NOEXIST or BPF_EXIST.
 * BPF_F_LOCK is refused too: Linux takes it only for a value holding a
 * struct bpf_spin_lock, which a map without BTF (every tsbpf map) has not.
 */
export function updateFlagsError(flags: number): ErrnoName | undefined {
  return flags === UpdateFlags.ANY || flags === UpdateFlags.NOEXIST || flags === UpdateFlags.EXIST ? undefined : 'EINVAL';
}

export function updateFlagsReason(flags: number): string {
  if (flags >= 0 && flags & UpdateFlags.LOCK) return 'BPF_F_LOCK needs a struct bpf_spin_lock in the value, and the map has no BTF to declare one';
  return `flags ${flags} are not BPF_ANY (0), BPF_NOEXIST (1) or BPF_EXIST (2)`;
}
