import { ERRNO, ErrnoName } from '../errno.js';
import { Region } from '../vm/memory.js';
import { code, MapBase } from './base.js';
import { jhash } from './jhash.js';
import { ACCESS_MASK, checkExactly, checkFlags, checkNonZero, MapKind } from './kind.js';
import { KMALLOC_MAX_SIZE, U32_MAX } from './limits.js';
import { MapEnv, MapFlags, UpdateFlags } from './map.js';
import { need, NormalSpec } from './spec.js';

/** What Linux returns for pop, delete and get-next-key. */
const EOPNOTSUPP = ERRNO.EOPNOTSUPP;

/**
 * BLOOM_FILTER (kernel/bpf/bloom_filter.c): key_size 0, a value is an
 * element. Push adds it (flags must be BPF_ANY); peek answers "maybe present"
 * (0) or "surely absent" (ENOENT). Nothing can be removed.
 *
 * The bit array is sized as Linux sizes it: max_entries × nr_hashes × 7/5
 * bits, rounded up to a power of two (at least 64; 2^32 past 2^31). Hash
 * function i is jhash of the value seeded with seed + i, as in Linux, the
 * seed a random u32 unless BPF_F_ZERO_SEED: with a zero seed the same values
 * collide as in Linux. There are never false negatives. The bits live outside
 * the address space (no program can address them); memoryUsed() is the bit
 * array.
 *
 * Pop, delete and get-next-key fail with EOPNOTSUPP, as in Linux.
 */
export class BloomFilterMap extends MapBase {
  readonly regions: readonly Region[] = [];
  private readonly bits: Uint32Array;
  private readonly mask: number;
  private readonly hashes: number;
  private readonly seed: number;

  constructor(spec: NormalSpec, env: MapEnv) {
    super(spec, env);
    this.hashes = spec.extra & 0xf || 5;
    const nbits = bitCount(spec.maxEntries, this.hashes);
    this.mask = (nbits - 1) >>> 0;
    this.reserve(nbits / 8);
    this.bits = new Uint32Array(Math.ceil(nbits / 32));
    this.seed = spec.flags & MapFlags.ZERO_SEED ? 0 : randomU32();
  }

  push(value: Uint8Array, flags: number = UpdateFlags.ANY): void {
    this.checkValue('push', value, this.spec.valueSize);
    this.check('push', this.add(value, flags), { EINVAL: `flags ${flags}: a bloom filter push takes only BPF_ANY (0)` });
  }

  peek(value?: Uint8Array): Uint8Array {
    if (value === undefined) throw this.error('peek', 'EINVAL', 'a bloom filter peek needs the value to test');
    this.checkValue('peek', value, this.spec.valueSize);
    if (!this.has(value)) throw this.error('peek', 'ENOENT', 'the value is not in the filter');
    return value.slice();
  }

  pop(): Uint8Array {
    throw this.error('pop', 'EOPNOTSUPP', 'nothing can be taken out of a bloom filter');
  }

  pushElem(valueAddr: number, flags: number): number {
    return code(this.add(this.valueAt(valueAddr), flags));
  }

  /** Peek tests the value at `valueAddr`; pop is not supported. */
  popElem(valueAddr: number, pop: boolean): number {
    if (pop) return -EOPNOTSUPP;
    return this.has(this.valueAt(valueAddr)) ? 0 : code('ENOENT');
  }

  /** bpf(2) passes the value to test to a bloom filter's lookup; this API has no room for it. */
  lookup(key: Uint8Array): Uint8Array {
    this.checkKey('lookup', key);
    throw this.error('lookup', 'EINVAL', 'a bloom filter is tested with peek(value)');
  }

  /** BPF_MAP_UPDATE_ELEM: push. */
  update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlags.ANY): void {
    this.checkKey('update', key);
    this.checkValue('update', value, this.spec.valueSize);
    this.check('update', this.add(value, flags), { EINVAL: `flags ${flags}: a bloom filter push takes only BPF_ANY (0)` });
  }

  delete(): void {
    throw this.error('delete', 'EOPNOTSUPP', 'nothing can be deleted from a bloom filter');
  }

  nextKey(): Uint8Array {
    throw this.error('next key', 'EOPNOTSUPP', 'a bloom filter has no keys');
  }

  lookupElem(): number {
    return 0;
  }

  updateElem(): number {
    return code('EINVAL');
  }

  deleteElem(): number {
    return -EOPNOTSUPP;
  }

  memoryUsed(): number {
    return this.bits.byteLength;
  }

  private valueAt(addr: number): Uint8Array {
    return this.env.space.bytes.subarray(addr, addr + this.spec.valueSize);
  }

  private add(value: Uint8Array, flags: number): ErrnoName | undefined {
    if (flags !== UpdateFlags.ANY) return 'EINVAL';
    for (let i = 0; i < this.hashes; i++) {
      const h = this.bit(value, i);
      this.bits[h >>> 5] |= 1 << (h & 31);
    }
    return undefined;
  }

  private has(value: Uint8Array): boolean {
    for (let i = 0; i < this.hashes; i++) {
      const h = this.bit(value, i);
      if ((this.bits[h >>> 5] & (1 << (h & 31))) === 0) return false;
    }
    return true;
  }

  /** The bit the i-th hash function picks for `value`. */
  private bit(value: Uint8Array, i: number): number {
    return (jhash(value, (this.seed + i) >>> 0) & this.mask) >>> 0;
  }
}

/** Bits of the array, as bloom_map_alloc computes them. */
function bitCount(maxEntries: number, hashes: number): number {
  const n = maxEntries * hashes;
  if (n > U32_MAX) return 2 ** 32;
  const bits = Math.floor(n / 5) * 7;
  if (bits > U32_MAX || bits > 2 ** 31) return 2 ** 32;
  if (bits <= 64) return 64;
  return 2 ** Math.ceil(Math.log2(bits));
}

function randomU32(): number {
  const c = (globalThis as { crypto?: { getRandomValues(a: Uint32Array): Uint32Array } }).crypto;
  if (c) return c.getRandomValues(new Uint32Array(1))[0];
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}

/** bloom_map_alloc_check, then the checks of bloom_map_alloc. */
function checkBloom(spec: NormalSpec): NormalSpec {
  need(spec.valueSize <= KMALLOC_MAX_SIZE, spec, 'E2BIG', `value_size ${spec.valueSize} is more than ${KMALLOC_MAX_SIZE}`);
  checkExactly(spec, 'keySize', 0, '(a bloom filter has no keys: the value is the element)');
  checkNonZero(spec, 'valueSize');
  checkNonZero(spec, 'maxEntries');
  checkFlags(spec, MapFlags.NUMA_NODE | MapFlags.ZERO_SEED | ACCESS_MASK);
  need(spec.extra <= 0xf, spec, 'EINVAL', `map_extra ${spec.extra}: only its low 4 bits (the number of hash functions) may be set`);
  return spec;
}

export const BLOOM_FILTER: MapKind = { check: checkBloom, create: (spec, env) => new BloomFilterMap(spec, env) };
