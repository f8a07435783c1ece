import { BpfError } from '../errno.js';
import type { HelperEnv, PacketEnv } from './registry.js';

/**
 * The packet of the run, for a helper whose first argument is the context
 * (ARG_PTR_TO_CTX). The verifier will make both checks at load; until it
 * does, calling a packet helper from a run without that packet, or with
 * another pointer than the context, ends the run with EINVAL.
 */
export function packetOf(env: HelperEnv, ctxArg: bigint, kind: 'skb' | 'xdp', helper: string): PacketEnv {
  const p = env.kernel?.packet;
  const want = kind === 'skb' ? 'a struct __sk_buff' : 'a struct xdp_md';
  if (!p || p.kind !== kind) throw new BpfError('EINVAL', `bpf_${helper} needs ${want} context; this run has ${p ? `a ${p.kind} packet` : 'no packet'}`);
  if (ctxArg !== BigInt(p.ctx)) {
    throw new BpfError('EINVAL', `bpf_${helper}: argument 1 must be the context (0x${p.ctx.toString(16)}), not 0x${ctxArg.toString(16)}`);
  }
  return p;
}

/** A helper's `int` parameter: the low 32 bits, signed. */
export function s32(r: bigint): number {
  return Number(BigInt.asIntN(32, r));
}
