import { performance } from 'node:perf_hooks';

/**
 * ns of the monotonic clock, for latencies and durations. Of Node's clocks
 * performance.now() is the cheapest per read here (~80 ns; hrtime() ~90 ns
 * with its array, hrtime.bigint() ~100 ns with its BigInt: bench/trace-probes
 * prints them), and taken from node:perf_hooks, not the global: the global
 * `performance` is an accessor, a call per read (~10 ns more).
 */
export function nowNs(): number {
  return Math.round(performance.now() * 1e6);
}
