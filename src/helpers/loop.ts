import { BpfError } from '../errno.js';
import { err, ret, u32 } from './access.js';
import type { HelperDef, HelperEnv } from './registry.js';

/** Linux's BPF_MAX_LOOPS: the most iterations bpf_loop runs (and may_goto falls through). */
export const BPF_MAX_LOOPS = 1 << 23;

/** The engine's way back into the program; every engine has one, a bare HelperEnv may not. */
export function callbacks(env: HelperEnv, helper: string): NonNullable<HelperEnv['callback']> {
  if (!env.callback) throw new BpfError('ENOTSUPP', `bpf_${helper}: this run cannot call back into the program (no engine behind its HelperEnv)`);
  return env.callback;
}

/**
 * long bpf_loop(u32 nr_loops, void *callback_fn, void *callback_ctx, u64
 * flags) (id 181): call callback_fn(index, callback_ctx) for index 0, 1, …
 * up to nr_loops - 1, until it returns non-zero (the verifier lets it return
 * only 0 or 1). Returns the number of calls made; -EINVAL for flags other
 * than 0, -E2BIG for more than BPF_MAX_LOOPS iterations, checked in that
 * order, before any call.
 */
export const LOOP: HelperDef = {
  id: 181,
  name: 'loop',
  proto: { ret: 'INTEGER', args: ['ANYTHING', 'PTR_TO_FUNC', 'PTR_TO_STACK_OR_NULL', 'ANYTHING'] },
  fn: (env, nrLoops, fn, ctx, flags) => {
    if (flags !== 0n) return err('EINVAL');
    const n = u32(nrLoops);
    if (n > BPF_MAX_LOOPS) return err('E2BIG');
    const call = callbacks(env, 'loop');
    for (let i = 0; i < n; i++) {
      if (call(fn, BigInt(i), ctx, 0n, 0n, 0n) !== 0n) return ret(i + 1);
    }
    return ret(n);
  },
};
