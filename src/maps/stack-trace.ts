import { ErrnoName } from '../errno.js';
import { Region } from '../vm/memory.js';
import { code, MapBase } from './base.js';
import { jhash2 } from './jhash.js';
import { readU32, u32Bytes } from './keys.js';
import { checkExactly, checkFlags, checkNonZero, MapKind } from './kind.js';
import { MapEnv, MapFlags } from './map.js';
import { need, NormalSpec } from './spec.js';

/**
 * STACK_TRACE (kernel/bpf/stackmap.c): call chains, stored by bpf_get_stackid
 * and read by user space. A stack id is the jhash2 of the chain's addresses
 * masked to the bucket count (max_entries rounded up to a power of two), so
 * ids may reach that count, not max_entries; max_entries is the number of
 * chains stored at once. A different chain hashing to a taken bucket is
 * refused (-EEXIST) unless BPF_F_REUSE_STACKID replaces it.
 *
 * Values are u64 addresses, innermost first, zero-padded to value_size; with
 * BPF_F_STACK_BUILD_ID, 32-byte `struct bpf_stack_build_id` records instead.
 * Where the addresses come from is the host's business (HostInfo.stack):
 * tsbpf has no ELF build ids to offer, so every record has status
 * BPF_STACK_BUILD_ID_IP and the address, what Linux reports for a frame
 * whose build id it cannot read.
 *
 * Programs only pass the map to bpf_get_stackid (lookup gives NULL, update
 * and delete -EINVAL); user space can look up, delete and walk the ids, not
 * update.
 */

/** The flags of bpf_get_stackid and bpf_get_stack (BPF_F_SKIP_FIELD_MASK …). */
export const StackFlags = {
  SKIP_MASK: 0xff,
  USER_STACK: 1 << 8,
  FAST_STACK_CMP: 1 << 9,
  REUSE_STACKID: 1 << 10,
  USER_BUILD_ID: 1 << 11,
} as const;

/** kernel.perf_event_max_stack, its default: the deepest call chain recorded. */
export const PERF_EVENT_MAX_STACK = 127;
/** sizeof(struct bpf_stack_build_id) */
export const BUILD_ID_RECORD_SIZE = 32;
/** BPF_STACK_BUILD_ID_IP: the record holds an address, not a build id and offset */
const BUILD_ID_STATUS_IP = 2;

/** The chain as a value: 8-byte addresses, or build-id records when `buildId`. */
export function stackRecords(ips: readonly bigint[], buildId: boolean): Uint8Array {
  const size = buildId ? BUILD_ID_RECORD_SIZE : 8;
  const out = new Uint8Array(ips.length * size);
  const dv = new DataView(out.buffer);
  ips.forEach((ip, i) => {
    if (!buildId) return dv.setBigUint64(8 * i, BigInt.asUintN(64, ip), true);
    dv.setInt32(size * i, BUILD_ID_STATUS_IP, true);
    dv.setBigUint64(size * i + 24, BigInt.asUintN(64, ip), true); // the union's `ip`, after status and build_id[20]
  });
  return out;
}

interface Bucket {
  hash: number;
  /** the chain's records */
  data: Uint8Array;
}

export class StackTraceMap extends MapBase {
  readonly regions: readonly Region[] = [];
  private readonly buckets: Array<Bucket | undefined>;
  /** chains that can still be stored (Linux's preallocated free list) */
  private free: number;
  private readonly buildId: boolean;
  private readonly bytes: number;

  constructor(spec: NormalSpec, env: MapEnv) {
    super(spec, env);
    const n = bucketCount(spec.maxEntries);
    this.bytes = this.reserve(n * 8 + spec.maxEntries * (16 + spec.valueSize));
    this.buckets = new Array<Bucket | undefined>(n).fill(undefined);
    this.free = spec.maxEntries;
    this.buildId = (spec.flags & MapFlags.STACK_BUILD_ID) !== 0;
  }

  /** bytes per frame: an address, or a build-id record */
  get recordSize(): number {
    return this.buildId ? BUILD_ID_RECORD_SIZE : 8;
  }

  /**
   * __bpf_get_stackid: store `ips` (the chain after the skipped frames,
   * already no deeper than value_size allows) and return its id, or -EEXIST
   * (another chain holds the bucket), -ENOMEM (max_entries chains stored).
   * BPF_F_FAST_STACK_CMP takes a bucket with the same hash as the same chain.
   */
  stackId(ips: readonly bigint[], flags: number): number {
    const words = stackRecords(ips, false);
    const hash = jhash2(new Uint32Array(words.buffer));
    const id = hash & (this.buckets.length - 1);
    const bucket = this.buckets[id];
    const hashMatches = bucket !== undefined && bucket.hash === hash;
    if (hashMatches && flags & StackFlags.FAST_STACK_CMP) return id;
    // A build-id map builds the records in a free element before comparing: even a known chain needs one.
    if (this.buildId && this.free === 0) return code('ENOMEM');
    const data = stackRecords(ips, this.buildId);
    if (hashMatches && sameBytes(bucket.data, data)) return id;
    if (bucket && !(flags & StackFlags.REUSE_STACKID)) return code('EEXIST');
    // Linux takes the new element from the free list before it returns the old one.
    if (this.free === 0) return code('ENOMEM');
    this.free -= bucket ? 0 : 1;
    this.buckets[id] = { hash, data };
    return id;
  }

  /** bpf_stackmap_copy: the chain, zero-padded to value_size; ENOENT for an empty or out-of-range id. */
  lookup(key: Uint8Array): Uint8Array {
    this.checkKey('lookup', key);
    const b = this.buckets[readU32(key)];
    if (!b) throw this.error('lookup', 'ENOENT', `no stack with id ${readU32(key)}`);
    const out = new Uint8Array(this.spec.valueSize);
    out.set(b.data);
    return out;
  }

  update(key: Uint8Array): void {
    this.checkKey('update', key);
    throw this.error('update', 'EINVAL', 'stacks are stored by bpf_get_stackid, not by user space');
  }

  delete(key: Uint8Array): void {
    this.checkKey('delete', key);
    const err = this.remove(readU32(key));
    this.check('delete', err, { E2BIG: `id ${readU32(key)} >= ${this.buckets.length} buckets`, ENOENT: `no stack with id ${readU32(key)}` });
  }

  /** The next stored id after `key` (from the start for no key or an id not stored). */
  nextKey(key: Uint8Array | undefined): Uint8Array {
    if (key !== undefined) this.checkKey('next key', key);
    const from = key === undefined ? -1 : readU32(key);
    let id = from < this.buckets.length && this.buckets[from] ? from + 1 : 0;
    while (id < this.buckets.length && !this.buckets[id]) id++;
    if (id >= this.buckets.length) throw this.error('next key', 'ENOENT', 'no stack after this one');
    return u32Bytes(id);
  }

  lookupElem(): number {
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

  private remove(id: number): ErrnoName | undefined {
    if (id >= this.buckets.length) return 'E2BIG';
    if (!this.buckets[id]) return 'ENOENT';
    this.buckets[id] = undefined;
    this.free++;
    return undefined;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** roundup_pow_of_two */
function bucketCount(maxEntries: number): number {
  return 2 ** Math.ceil(Math.log2(maxEntries));
}

/** STACK_CREATE_FLAG_MASK */
const STACK_FLAGS = MapFlags.NUMA_NODE | MapFlags.RDONLY | MapFlags.WRONLY | MapFlags.STACK_BUILD_ID;

/** The checks of stack_map_alloc, in its order (all EINVAL but the last, E2BIG). */
function checkStackTrace(spec: NormalSpec): NormalSpec {
  checkFlags(spec, STACK_FLAGS);
  checkNonZero(spec, 'maxEntries');
  checkExactly(spec, 'keySize', 4, '(a u32 stack id)');
  const size = spec.flags & MapFlags.STACK_BUILD_ID ? BUILD_ID_RECORD_SIZE : 8;
  const what = size === 8 ? '8 (u64 addresses)' : `${size} (struct bpf_stack_build_id records)`;
  need(spec.valueSize >= 8 && spec.valueSize % size === 0, spec, 'EINVAL', `value_size ${spec.valueSize} must be a non-zero multiple of ${what}`);
  need(spec.valueSize / size <= PERF_EVENT_MAX_STACK, spec, 'EINVAL', `value_size ${spec.valueSize} holds more than perf_event_max_stack (${PERF_EVENT_MAX_STACK}) frames`);
  need(spec.maxEntries <= 2 ** 31, spec, 'E2BIG', `max_entries ${spec.maxEntries} is more than 2^31`);
  return spec;
}

export const STACK_TRACE: MapKind = { check: (spec) => checkStackTrace(spec), create: (spec, env) => new StackTraceMap(spec, env) };
