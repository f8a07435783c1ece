import { TRACING_HELPERS } from './helper-lists.js';
import { ANY_RETVAL, ProgramType, f } from './progtype.js';
import { ctxTestRun } from './tracing.js';

/**
 * BPF_PROG_TYPE_TRACEPOINT (5): a program on a kernel (here: host)
 * tracepoint. Its context is the tracepoint's raw record, as the
 * tracepoint's `format` file describes it: the common header (common_type
 * u16, common_flags u8, common_preempt_count u8, common_pid s32), then the
 * event's fields. tp_prog_is_valid_access: reads only, aligned to their
 * size, from offset 8 (the common header is off limits) to
 * PERF_MAX_TRACE_SIZE; what lies there is up to the tracepoint.
 *
 * Test run: Linux has none for tracepoints (ENOTSUPP); tsbpf runs the
 * program on a record given as ctx (at most PERF_MAX_TRACE_SIZE bytes).
 */

/** PERF_MAX_TRACE_SIZE: the largest record */
export const PERF_MAX_TRACE_SIZE = 8192;
/** the common header every record starts with */
export const TRACE_COMMON_SIZE = 8;

export const tracepoint: ProgramType = {
  type: 5,
  name: 'tracepoint',
  ctxType: 'tracepoint record',
  ctxSize: PERF_MAX_TRACE_SIZE,
  fields: [
    f('common_type', 0, 2, []),
    f('common_flags', 2, 1, []),
    f('common_preempt_count', 3, 1, []),
    f('common_pid', 4, 4, []),
    f('fields', TRACE_COMMON_SIZE, PERF_MAX_TRACE_SIZE - TRACE_COMMON_SIZE, [1, 2, 4, 8]),
  ],
  helpers: TRACING_HELPERS,
  retval: ANY_RETVAL,
  testRun: ctxTestRun({ name: 'tracepoint', ctxType: 'tracepoint record', max: PERF_MAX_TRACE_SIZE, fixed: false }),
};
