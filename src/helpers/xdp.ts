import { err } from './access.js';
import { packetOf, s32 } from './packet-access.js';
import type { HelperDef, HelperEnv } from './registry.js';

/**
 * The XDP helpers of net/core/filter.c that move the frame's bounds inside
 * its buffer. The buffer starts with a struct xdp_frame (40 bytes) that the
 * frame may not grow into, and ends with tailroom for skb_shared_info
 * (PacketEnv.hardEnd is before it). Both keep at least an Ethernet header.
 */

const ETH_HLEN = 14;
/** sizeof(struct xdp_frame) */
const XDP_FRAME_SIZE = 40;

/**
 * long bpf_xdp_adjust_head(struct xdp_md *xdp_md, int delta): move data by
 * `delta` (negative grows the frame at the front, into the headroom);
 * metadata moves with it. -EINVAL when data would leave the headroom after
 * the xdp_frame and the metadata, or less than ETH_HLEN bytes.
 */
function adjustHead(env: HelperEnv, r1: bigint, r2: bigint): bigint {
  const p = packetOf(env, r1, 'xdp', 'xdp_adjust_head');
  const delta = s32(r2);
  const metalen = p.data - p.dataMeta;
  const data = p.data + delta;
  if (data < p.hardStart + XDP_FRAME_SIZE + metalen || data > p.dataEnd - ETH_HLEN) return err('EINVAL');
  if (metalen) p.bytes().copyWithin(p.dataMeta + delta, p.dataMeta, p.data);
  p.move(data, p.dataEnd, p.dataMeta + delta);
  return 0n;
}

/**
 * long bpf_xdp_adjust_tail(struct xdp_md *xdp_md, int delta): move data_end
 * by `delta`; the bytes a positive delta adds are zeroed. -EINVAL past the
 * buffer's end or below ETH_HLEN bytes of frame.
 */
function adjustTail(env: HelperEnv, r1: bigint, r2: bigint): bigint {
  const p = packetOf(env, r1, 'xdp', 'xdp_adjust_tail');
  const delta = s32(r2);
  const dataEnd = p.dataEnd + delta;
  if (dataEnd > p.hardEnd || dataEnd < p.data + ETH_HLEN) return err('EINVAL');
  if (delta > 0) p.bytes().fill(0, p.dataEnd, dataEnd);
  p.move(p.data, dataEnd, p.dataMeta);
  return 0n;
}

export const xdpAdjustHead: HelperDef = {
  id: 44,
  name: 'xdp_adjust_head',
  proto: { ret: 'INTEGER', args: ['PTR_TO_CTX', 'ANYTHING'] },
  fn: (env, r1, r2) => adjustHead(env, r1, r2),
};

export const xdpAdjustTail: HelperDef = {
  id: 65,
  name: 'xdp_adjust_tail',
  proto: { ret: 'INTEGER', args: ['PTR_TO_CTX', 'ANYTHING'] },
  fn: (env, r1, r2) => adjustTail(env, r1, r2),
};

export const XDP_HELPERS: readonly HelperDef[] = [xdpAdjustHead, xdpAdjustTail];
