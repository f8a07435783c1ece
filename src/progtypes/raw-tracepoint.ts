import { TRACING_HELPERS } from './helper-lists.js';
import { ANY_RETVAL, ProgramType, f } from './progtype.js';
import { ctxTestRun } from './tracing.js';

/**
 * BPF_PROG_TYPE_RAW_TRACEPOINT (17): a program on a tracepoint that gets the
 * tracepoint's arguments as they were passed, not a formatted record. Its
 * context is an array of u64 arguments (`struct bpf_raw_tracepoint_args`),
 * at most MAX_BPF_FUNC_ARGS (12) of them; reads only, aligned to their size
 * (bpf_tracing_ctx_access).
 *
 * Test run (bpf_prog_test_run_raw_tp): ctx is the arguments (at most 96
 * bytes; without one, r1 is NULL); no data, no repeat (EINVAL), one run.
 */

/** MAX_BPF_FUNC_ARGS */
export const MAX_RAW_TP_ARGS = 12;

/** The context of a raw tracepoint run: the arguments as little-endian u64s. */
export function rawTracepointArgs(args: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(8 * args.length);
  const dv = new DataView(out.buffer);
  args.forEach((a, i) => dv.setBigUint64(8 * i, BigInt.asUintN(64, a), true));
  return out;
}

export const rawTracepoint: ProgramType = {
  type: 17,
  name: 'raw_tracepoint',
  ctxType: 'struct bpf_raw_tracepoint_args',
  ctxSize: 8 * MAX_RAW_TP_ARGS,
  fields: Array.from({ length: MAX_RAW_TP_ARGS }, (_, i) => f(`args[${i}]`, 8 * i, 8, [1, 2, 4, 8])),
  helpers: TRACING_HELPERS,
  retval: ANY_RETVAL,
  testRun: ctxTestRun({ name: 'raw_tracepoint', ctxType: 'u64 args[]', max: 8 * MAX_RAW_TP_ARGS, fixed: false, noRepeat: true, nullCtx: true }),
};
