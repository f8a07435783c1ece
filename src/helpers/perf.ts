import { PerfEventArrayMap } from '../maps/perf-event-array.js';
import { err, ret } from './access.js';
import type { HelperDef } from './registry.js';

/** BPF_F_INDEX_MASK: the flags bpf_perf_event_output of a tracing program takes (no BPF_F_CTXLEN_MASK) */
const INDEX_MASK = 0xffffffffn;

/**
 * long bpf_perf_event_output(void *ctx, struct bpf_map *map, u64 flags, void
 * *data, u64 size) (kernel/trace/bpf_trace.c): write `size` bytes at `data`
 * as a raw sample to the buffer of the PERF_EVENT_ARRAY element `flags`
 * names — an index, or BPF_F_CURRENT_CPU for the CPU the program runs on.
 *
 * Returns 0; -EINVAL for flags past BPF_F_INDEX_MASK (or r2 not a perf event
 * array); -E2BIG for an index not below max_entries; -ENOENT for an element
 * without a buffer; -EOPNOTSUPP for a buffer of another CPU (a per-CPU perf
 * event only takes output on its CPU); -ENOSPC when the buffer is full and
 * the sample is lost (counted, and reported to the reader by a
 * PERF_RECORD_LOST); -E2BIG too for a sample larger than a perf record can
 * hold. `ctx` only gives the registers of the sample in Linux; tsbpf's
 * samples carry none.
 */
export const perfEventOutput: HelperDef = {
  id: 25,
  name: 'perf_event_output',
  proto: { ret: 'INTEGER', args: ['PTR_TO_CTX', 'CONST_MAP_PTR', 'ANYTHING', 'PTR_TO_MEM', 'CONST_SIZE_OR_ZERO'] },
  fn: (env, _r1, r2, r3, r4, r5) => {
    const map = env.kernel?.map(r2);
    if (!(map instanceof PerfEventArrayMap)) return err('EINVAL');
    if (r3 & ~INDEX_MASK) return err('EINVAL');
    const target = map.target(Number(r3), env.kernel!.cpu);
    if (typeof target === 'string') return err(target);
    if (r5 > 0xffffn) return err('E2BIG');
    return ret(target.output(env.read(r4, Number(r5))));
  },
};

export const PERF_HELPERS: readonly HelperDef[] = [perfEventOutput];
