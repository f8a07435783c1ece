import type { PacketEnv } from '../helpers/registry.js';
import type { AddressSpace, Region } from '../vm/memory.js';
import { view } from './progtype.js';

/** Where a context keeps its packet pointers (u32 fields). */
export interface PacketFields {
  data: number;
  dataEnd: number;
  dataMeta: number;
}

/** Where the packet is and how far it may grow. */
export interface PacketBounds {
  data: number;
  dataEnd: number;
  dataMeta: number;
  hardStart: number;
  hardEnd: number;
}

/**
 * The packet helpers' view of a run (KernelEnv.packet). Moving the packet
 * rewrites the context's data / data_end / data_meta fields and the bounds
 * of the program's packet region (from data_meta for XDP, whose metadata the
 * program may touch; from data for an skb); `onMove` updates whatever else
 * the type keeps (an skb's len).
 *
 * Linux's verifier forgets every packet pointer after a helper that moves the
 * packet, so a verified program re-reads data / data_end and checks its
 * bounds again. An unverified program may still use an old pointer: the
 * engines check accesses against the regions' current bounds, but may keep
 * the bounds of the last region they used for a while, so such an access
 * can reach bytes of the packet's buffer that just left the packet — never
 * anything outside the buffer.
 */
export function packetEnv(
  space: AddressSpace,
  kind: 'skb' | 'xdp',
  ctx: number,
  region: Region,
  bounds: PacketBounds,
  fields: PacketFields,
  onMove?: (env: PacketEnv) => void,
): PacketEnv {
  const env: PacketEnv & PacketBounds = {
    kind,
    ctx,
    ...bounds,
    move(data, dataEnd, dataMeta) {
      Object.assign(env, { data, dataEnd, dataMeta });
      region.start = kind === 'xdp' ? dataMeta : data;
      region.end = dataEnd;
      const dv = view(space, ctx, Math.max(fields.data, fields.dataEnd, fields.dataMeta) + 4);
      dv.setUint32(fields.data, data, true);
      dv.setUint32(fields.dataEnd, dataEnd, true);
      dv.setUint32(fields.dataMeta, dataMeta, true);
      onMove?.(env);
    },
    bytes: () => space.bytes,
  };
  return env;
}
