/**
 * Which helpers each program type may call: the *_func_proto functions of
 * Linux (net/core/filter.c, kernel/trace/bpf_trace.c, kernel/bpf/helpers.c)
 * as data. The lists are those of Linux 6.18 for a privileged loader
 * (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN), probed with kernel-oracle.py: a
 * program calling each helper id from 1 to 211 was loaded, and an id is
 * listed unless the verifier answered "unknown func" or "program of this type
 * cannot use helper". Ids tsbpf does not implement stay listed: the list says
 * what a type may call, the helper registry what exists.
 */

const set = (ids: readonly number[]): ReadonlySet<number> => new Set(ids);

/** sk_filter_func_proto: skb_load_bytes(_relative), socket cookie/uid, perf_event_output, then bpf_sk_base_func_proto. */
export const SOCKET_FILTER_HELPERS = set([
  1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 26, 35, 37, 42, 46, 47, 55, 68, 80, 87, 88, 89, 93, 94, 105, 106,
  109, 112, 113, 114, 115, 117, 118, 120, 122, 123, 125, 130, 131, 132, 133, 134, 136, 137, 138, 139, 140, 141, 148,
  149, 153, 154, 156, 157, 158, 160, 164, 165, 169, 170, 171, 172, 175, 176, 177, 178, 180, 181, 182, 191, 194, 195,
  196, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211,
]);

/** tc_cls_act_func_proto: the skb helpers (store/load bytes, checksums, redirect, tunnels …) and the base set. */
export const SCHED_CLS_HELPERS = set([
  1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 28, 29, 30, 31, 32, 33,
  34, 35, 37, 38, 39, 40, 41, 42, 43, 46, 47, 48, 50, 55, 66, 68, 69, 79, 80, 83, 84, 85, 86, 87, 88, 89, 93, 94, 95,
  96, 97, 98, 99, 100, 105, 106, 107, 108, 109, 110, 112, 113, 114, 115, 117, 118, 120, 122, 123, 124, 125, 130, 131,
  132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 148, 149, 151, 152, 153, 154, 155, 156, 157, 158, 160, 163, 164,
  165, 169, 170, 171, 172, 175, 176, 177, 178, 180, 181, 182, 191, 192, 194, 195, 196, 197, 198, 199, 200, 201, 202,
  203, 204, 205, 206, 207, 208, 209, 210, 211,
]);

/** xdp_func_proto: csum_diff, xdp_adjust_head/meta/tail, redirect(_map), fib_lookup, xdp_load/store_bytes … and the base set. */
export const XDP_HELPERS = set([
  1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 23, 25, 28, 35, 37, 42, 44, 51, 54, 55, 65, 69, 80, 84, 85, 86, 87, 88,
  89, 93, 94, 99, 100, 105, 106, 109, 110, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 136,
  137, 138, 139, 140, 141, 148, 149, 153, 154, 156, 157, 158, 160, 163, 164, 165, 169, 170, 171, 172, 175, 176, 177,
  178, 180, 181, 182, 188, 189, 190, 191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208,
  209, 210, 211,
]);

/** bpf_tracing_func_proto, as kprobe, tracepoint and raw tracepoint programs get it (probe_read, get_stackid, task …). */
const TRACING = [
  1, 2, 3, 4, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 27, 35, 37, 42, 45, 55, 67, 80, 87, 88, 89, 93, 94, 105, 106,
  109, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 141, 148, 149, 153, 154, 156, 157, 158,
  164, 165, 169, 170, 171, 172, 173, 174, 175, 176, 177, 180, 181, 182, 191, 194, 195, 197, 198, 199, 200, 201, 202,
  203, 208, 209, 210, 211,
];
export const TRACING_HELPERS = set(TRACING);
/** pe_prog_func_proto adds perf_prog_read_value (56) and read_branch_records (119). */
export const PERF_EVENT_HELPERS = set([...TRACING, 56, 119].sort((a, b) => a - b));
