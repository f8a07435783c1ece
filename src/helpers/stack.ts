import { PERF_EVENT_MAX_STACK, StackFlags, StackTraceMap, stackRecords, BUILD_ID_RECORD_SIZE } from '../maps/stack-trace.js';
import { err, ret, u32, writeZeros } from './access.js';
import type { HelperDef, HelperEnv } from './registry.js';

/**
 * bpf_get_stackid and bpf_get_stack (kernel/bpf/stackmap.c). Linux walks the
 * kernel stack from the probe's registers, or the user stack of the current
 * task; tsbpf asks the host (HostInfo.stack) for the call chain of the
 * code running the program ('kernel') or of the application ('user') —
 * whatever addresses the host makes of its frames (the Node host: hashes of
 * JS frames). The context argument is not read: the host knows where the
 * call comes from. Flags, skipping, depth limits, errors and the layout of
 * what is written follow Linux; without a host stack the chain cannot be
 * fetched (-EFAULT), as when Linux's perf callchain is unavailable.
 */

const SKIP = StackFlags.SKIP_MASK;
const STACKID_FLAGS = BigInt(SKIP | StackFlags.USER_STACK | StackFlags.FAST_STACK_CMP | StackFlags.REUSE_STACKID);
const GET_STACK_FLAGS = BigInt(SKIP | StackFlags.USER_STACK | StackFlags.USER_BUILD_ID);

/** The host's call chain, at most `maxDepth` deep; undefined when it has none. */
function chain(env: HelperEnv, flags: number, maxDepth: number): readonly bigint[] | undefined {
  const host = env.kernel?.host;
  const kind = flags & StackFlags.USER_STACK ? 'user' : 'kernel';
  return host?.stack?.(kind, maxDepth).slice(0, maxDepth);
}

/**
 * long bpf_get_stackid(void *ctx, struct bpf_map *map, u64 flags): store the
 * current chain (minus `flags & 0xff` innermost frames, at most value_size
 * worth) in the STACK_TRACE map and return its id. -EINVAL for other maps
 * or unknown flags; -EFAULT when no frame is left after the skipped ones;
 * -EEXIST, -ENOMEM as StackTraceMap.stackId says.
 */
export const getStackId: HelperDef = {
  id: 27,
  name: 'get_stackid',
  proto: { ret: 'INTEGER', args: ['PTR_TO_CTX', 'CONST_MAP_PTR', 'ANYTHING'] },
  fn: (env, _ctx, r2, r3) => {
    const map = env.kernel?.map(r2);
    if (!(map instanceof StackTraceMap) || r3 & ~STACKID_FLAGS) return err('EINVAL');
    const flags = Number(r3);
    const skip = flags & SKIP;
    const trace = chain(env, flags, Math.min(map.spec.valueSize / map.recordSize + skip, PERF_EVENT_MAX_STACK));
    if (!trace || trace.length <= skip) return err('EFAULT');
    return ret(map.stackId(trace.slice(skip), flags));
  },
};

/**
 * long bpf_get_stack(void *ctx, void *buf, u32 size, u64 flags): write the
 * current chain (minus the skipped frames) to `buf` as u64 addresses — or,
 * with BPF_F_USER_BUILD_ID (user stacks only), 32-byte build-id records —
 * zero the rest of `buf`, and return the bytes written. On error `buf` is
 * zeroed: -EINVAL for unknown flags, a build id without BPF_F_USER_STACK or
 * a size not a multiple of the record; -EFAULT when fewer frames than skipped.
 */
export const getStack: HelperDef = {
  id: 67,
  name: 'get_stack',
  proto: { ret: 'INTEGER', args: ['PTR_TO_CTX', 'PTR_TO_UNINIT_MEM', 'CONST_SIZE_OR_ZERO', 'ANYTHING'] },
  fn: (env, _ctx, buf, r3, r4) => {
    const size = u32(r3);
    const fail = (name: 'EINVAL' | 'EFAULT'): bigint => {
      writeZeros(env, buf, size);
      return err(name);
    };
    if (r4 & ~GET_STACK_FLAGS) return fail('EINVAL');
    const flags = Number(r4);
    const buildId = (flags & StackFlags.USER_BUILD_ID) !== 0;
    if (buildId && !(flags & StackFlags.USER_STACK)) return fail('EINVAL');
    const record = buildId ? BUILD_ID_RECORD_SIZE : 8;
    if (size % record) return fail('EINVAL');
    const skip = flags & SKIP;
    const frames = size / record;
    const trace = chain(env, flags, Math.min(frames + skip, PERF_EVENT_MAX_STACK));
    if (!trace || trace.length < skip) return fail('EFAULT');
    const data = stackRecords(trace.slice(skip, skip + frames), buildId);
    env.write(buf, data);
    if (size > data.length) writeZeros(env, buf + BigInt(data.length), size - data.length);
    return ret(data.length);
  },
};

export const STACK_HELPERS: readonly HelperDef[] = [getStackId, getStack];
