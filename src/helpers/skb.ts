import { err, u32, writeZeros } from './access.js';
import { packetOf } from './packet-access.js';
import type { HelperDef, HelperEnv } from './registry.js';

/**
 * The skb helpers of net/core/filter.c that read and write the packet of a
 * socket filter or tc program. Offsets count from the skb's data: the
 * Ethernet header for tc, the network header for a socket filter.
 */

/** INT_MAX: larger offsets are refused before anything else */
const INT_MAX = 0x7fffffff;
/** BPF_F_RECOMPUTE_CSUM, BPF_F_INVALIDATE_HASH: skb_store_bytes' flags */
export const BPF_F_RECOMPUTE_CSUM = 1n;
export const BPF_F_INVALIDATE_HASH = 2n;

/**
 * long bpf_skb_load_bytes(const void *skb, u32 offset, void *to, u32 len):
 * copy `len` bytes at `offset`; -EFAULT, with `to` zeroed, when they are not
 * all inside the packet.
 */
function skbLoadBytes(env: HelperEnv, r1: bigint, r2: bigint, r3: bigint, r4: bigint): bigint {
  const p = packetOf(env, r1, 'skb', 'skb_load_bytes');
  const off = u32(r2);
  const len = u32(r4);
  if (off > INT_MAX || off + len > p.dataEnd - p.data) {
    writeZeros(env, r3, len);
    return err('EFAULT');
  }
  env.write(r3, p.bytes().slice(p.data + off, p.data + off + len));
  return 0n;
}

/**
 * long bpf_skb_store_bytes(struct sk_buff *skb, u32 offset, const void
 * *from, u32 len, u64 flags): write `len` bytes at `offset`. -EINVAL for
 * flags other than BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH; -EFAULT when
 * the bytes are not all inside the packet. BPF_F_INVALIDATE_HASH clears
 * skb->hash. BPF_F_RECOMPUTE_CSUM updates skb->csum of a CHECKSUM_COMPLETE
 * skb; a test run's skb is CHECKSUM_NONE, so there is nothing to update.
 */
function skbStoreBytes(env: HelperEnv, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint {
  const p = packetOf(env, r1, 'skb', 'skb_store_bytes');
  if (r5 & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH)) return err('EINVAL');
  const off = u32(r2);
  const len = u32(r4);
  if (off > INT_MAX || off + len > p.dataEnd - p.data) return err('EFAULT');
  p.bytes().set(env.read(r3, len), p.data + off);
  if (r5 & BPF_F_INVALIDATE_HASH) p.clearHash?.();
  return 0n;
}

export const skbLoadBytesHelper: HelperDef = {
  id: 26,
  name: 'skb_load_bytes',
  proto: { ret: 'INTEGER', args: ['PTR_TO_CTX', 'ANYTHING', 'PTR_TO_UNINIT_MEM', 'CONST_SIZE'] },
  fn: (env, r1, r2, r3, r4) => skbLoadBytes(env, r1, r2, r3, r4),
};

/** `from` is ARG_PTR_TO_MEM | MEM_RDONLY in Linux. */
export const skbStoreBytesHelper: HelperDef = {
  id: 9,
  name: 'skb_store_bytes',
  proto: { ret: 'INTEGER', args: ['PTR_TO_CTX', 'ANYTHING', 'PTR_TO_MEM', 'CONST_SIZE', 'ANYTHING'] },
  fn: skbStoreBytes,
};

export const SKB_HELPERS: readonly HelperDef[] = [skbStoreBytesHelper, skbLoadBytesHelper];
