import { BpfError } from '../errno.js';
import { RINGBUF_MAX_RECORD_SZ, RingBufMap } from '../maps/ringbuf.js';
import { err, ret } from './access.js';
import type { HelperDef, HelperEnv } from './registry.js';

/**
 * The ring buffer helpers of Linux (kernel/bpf/ringbuf.c). r1 of output,
 * reserve and query is a map pointer resolved with `env.kernel.map`; submit
 * and discard take the record that reserve returned.
 *
 * Linux finds the ring of a record from the page offset in its header; the
 * verifier guarantees that the pointer is a record the program reserved and
 * has not yet released. tsbpf keeps that guarantee for unverified runs too:
 * every reservation is remembered for the run that made it (keyed by the
 * run's KernelEnv), and submit or discard of anything else — a record of
 * another run, one already committed, any other address — stops the run with
 * EFAULT instead of corrupting a ring.
 */

/** BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP: the flags output, submit and discard know */
const WAKEUP_FLAGS = 3n;
const MAX_RECORD = BigInt(RINGBUF_MAX_RECORD_SZ);
const U32_LIMIT = 0x100000000n;

/** records reserved and not yet released, per run: data address → ring */
const reserved = new WeakMap<object, Map<number, RingBufMap>>();

function ringbuf(env: HelperEnv, ptr: bigint): RingBufMap | undefined {
  const map = env.kernel?.map(ptr);
  return map instanceof RingBufMap ? map : undefined;
}

/** long bpf_ringbuf_output(void *ringbuf, void *data, u64 size, u64 flags): 0, -EINVAL (flags), -EAGAIN (no room). */
export const ringbufOutput: HelperDef = {
  id: 130,
  name: 'ringbuf_output',
  proto: { ret: 'INTEGER', args: ['CONST_MAP_PTR', 'PTR_TO_MEM', 'CONST_SIZE_OR_ZERO', 'ANYTHING'] },
  fn: (env, r1, r2, r3, r4) => {
    if (r4 & ~WAKEUP_FLAGS) return err('EINVAL');
    const rb = ringbuf(env, r1);
    if (!rb) return err('EINVAL');
    // Too large to ever fit: fail before reading the data (Linux's reserve gives NULL).
    if (r3 > BigInt(rb.size)) return err('EAGAIN');
    const data = env.read(r2, Number(r3));
    return ret(rb.output(data, Number(r4)));
  },
};

/**
 * void *bpf_ringbuf_reserve(void *ringbuf, u64 size, u64 flags): the address
 * of `size` bytes of a new record, or NULL (flags not 0, or no room).
 */
export const ringbufReserve: HelperDef = {
  id: 131,
  name: 'ringbuf_reserve',
  proto: { ret: 'PTR_TO_ALLOC_MEM_OR_NULL', args: ['CONST_MAP_PTR', 'CONST_ALLOC_SIZE_OR_ZERO', 'ANYTHING'] },
  fn: (env, r1, r2, r3) => {
    if (r3 !== 0n) return 0n;
    const rb = ringbuf(env, r1);
    if (!rb || r2 > MAX_RECORD) return 0n;
    const addr = rb.reserveRecord(Number(r2));
    if (addr === 0) return 0n;
    const kernel = env.kernel!;
    let mine = reserved.get(kernel);
    if (!mine) reserved.set(kernel, (mine = new Map()));
    mine.set(addr, rb);
    return BigInt(addr);
  },
};

function commit(env: HelperEnv, name: string, sample: bigint, flags: bigint, discard: boolean): bigint {
  const mine = env.kernel && reserved.get(env.kernel);
  const addr = sample < U32_LIMIT ? Number(sample) : -1;
  const rb = mine?.get(addr);
  if (!rb || !rb.isReserved(addr)) {
    throw new BpfError('EFAULT', `${name}: 0x${sample.toString(16)} is not a ring buffer record this run reserved and has not yet submitted or discarded`);
  }
  mine!.delete(addr);
  // Linux ignores unknown bits of the flags here.
  rb.commit(addr, flags === 0n ? 0 : Number(flags & WAKEUP_FLAGS), discard);
  return 0n;
}

/** void bpf_ringbuf_submit(void *data, u64 flags) */
export const ringbufSubmit: HelperDef = {
  id: 132,
  name: 'ringbuf_submit',
  proto: { ret: 'VOID', args: ['PTR_TO_ALLOC_MEM', 'ANYTHING'] },
  fn: (env, r1, r2) => commit(env, 'ringbuf_submit', r1, r2, false),
};

/** void bpf_ringbuf_discard(void *data, u64 flags) */
export const ringbufDiscard: HelperDef = {
  id: 133,
  name: 'ringbuf_discard',
  proto: { ret: 'VOID', args: ['PTR_TO_ALLOC_MEM', 'ANYTHING'] },
  fn: (env, r1, r2) => commit(env, 'ringbuf_discard', r1, r2, true),
};

/**
 * u64 bpf_ringbuf_query(void *ringbuf, u64 flags): BPF_RB_AVAIL_DATA (0),
 * BPF_RB_RING_SIZE (1), BPF_RB_CONS_POS (2), BPF_RB_PROD_POS (3); 0 for any
 * other flags.
 */
export const ringbufQuery: HelperDef = {
  id: 134,
  name: 'ringbuf_query',
  proto: { ret: 'INTEGER', args: ['CONST_MAP_PTR', 'ANYTHING'] },
  fn: (env, r1, r2) => ringbuf(env, r1)?.query(r2) ?? 0n,
};

export const RINGBUF_HELPERS: readonly HelperDef[] = [ringbufOutput, ringbufReserve, ringbufSubmit, ringbufDiscard, ringbufQuery];
