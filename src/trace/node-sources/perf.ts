import { PerformanceObserver, constants, monitorEventLoopDelay } from 'node:perf_hooks';
import { SourceSpec } from './source.js';

/**
 * perf_hooks as tracepoints: each garbage collection (a PerformanceObserver
 * of 'gc' entries, which Node delivers in batches after the fact), and the
 * event loop's delay (monitorEventLoopDelay's histogram, summarised and reset
 * every LOOP_DELAY_INTERVAL_MS).
 */

export const LOOP_DELAY_INTERVAL_MS = 1000;

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

const ms = (v: number): number => Math.round(v * 1e6);

export const PERF_SOURCES: readonly SourceSpec[] = [
  {
    name: 'node_gc:gc', origin: "perf_hooks 'gc' entries",
    fields: { kind: 'string', flags: 'u32', duration_ns: 'u64' },
    subscribe: (tp) => {
      const obs = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          const detail = (e as { detail?: unknown }).detail as { kind?: number; flags?: number } | undefined;
          const kind = detail?.kind ?? 0;
          tp.fire({ kind: GC_KINDS[kind] ?? String(kind), flags: detail?.flags ?? 0, duration_ns: ms(e.duration) });
        }
      });
      obs.observe({ entryTypes: ['gc'] });
      return () => obs.disconnect();
    },
  },
  {
    name: 'node_loop:delay', origin: `perf_hooks monitorEventLoopDelay, every ${LOOP_DELAY_INTERVAL_MS} ms`,
    fields: { count: 'u64', min_ns: 'u64', max_ns: 'u64', mean_ns: 'u64', p50_ns: 'u64', p99_ns: 'u64' },
    subscribe: (tp) => {
      const h = monitorEventLoopDelay({ resolution: 10 });
      h.enable();
      const timer = setInterval(() => {
        if (h.count === 0) return;
        tp.fire({ count: h.count, min_ns: h.min, max_ns: h.max, mean_ns: h.mean, p50_ns: h.percentile(50), p99_ns: h.percentile(99) });
        h.reset();
      }, LOOP_DELAY_INTERVAL_MS);
      timer.unref(); // tracing must not keep a program alive
      return () => {
        clearInterval(timer);
        h.disable();
      };
    },
  },
];
