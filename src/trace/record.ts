import type { Runtime } from '../runtime/runtime.js';
import { TraceBuffer, traceBufferOf } from './buffer.js';
import { FilterEngine, TraceFilter } from './filter.js';
import type { Tracepoint } from './tracepoint.js';

/**
 * Recording a tracepoint's events into a Runtime's trace buffer, as
 * enabling an event in tracefs does — optionally behind a filter (the
 * event's `filter` file): only events the filter passes are recorded.
 */

export interface RecordOptions {
  /** a trace event filter expression (filter-parse.ts) */
  filter?: string;
  /** how the filter runs (default 'jit') */
  engine?: FilterEngine;
  /** the CPU the events are recorded on (default 0) */
  cpu?: number;
}

/** An attached recording: counts, the filter, and detach. */
export interface Recording {
  readonly tp: Tracepoint;
  readonly buffer: TraceBuffer;
  readonly filter: TraceFilter | undefined;
  /** events recorded, and events the filter dropped */
  readonly recorded: number;
  readonly dropped: number;
  /** events dropped because the filter faulted (never for a verified filter), and the last fault */
  readonly errors: number;
  readonly lastError: Error | undefined;
  detach(): void;
}

export function recordEvents(rt: Runtime, tp: Tracepoint, options: RecordOptions = {}): Recording {
  const cpu = options.cpu ?? 0;
  const buffer = traceBufferOf(rt);
  const env = { pid: rt.host.pid, comm: rt.host.comm, cpu, type: tp.id };
  const filter = options.filter === undefined ? undefined : new TraceFilter(options.filter, tp, { space: rt.space, env, engine: options.engine });
  // live: a field, not a closure variable, as the handler's (handler.ts: a mutable closure variable cost ns per event there)
  const counts = { recorded: 0, dropped: 0, errors: 0, lastError: undefined as Error | undefined, live: true };
  // both read fields by name: the filter's, and the buffer's copy of an event's leaves (valueAt)
  const sink = filter
    ? {
        byName: true,
        hit(values: Record<string, unknown>): void {
          if (!counts.live) return;
          // a fault must not reach the traced code: it is counted and the event dropped
          let pass = false;
          try {
            pass = filter.test(values);
          } catch (e) {
            counts.errors++;
            counts.lastError = e as Error;
          }
          if (pass) {
            counts.recorded++;
            buffer.event(tp, values, cpu);
          } else counts.dropped++;
        },
      }
    : {
        byName: true,
        hit(values: Record<string, unknown>): void {
          counts.recorded++;
          buffer.event(tp, values, cpu);
        },
      };
  let detachSink: () => void;
  try {
    detachSink = tp.attach(sink);
  } catch (e) {
    filter?.dispose(); // a source that cannot start leaves nothing behind
    throw e;
  }
  // a filter's record and stack go back to the Runtime at detach (a fire in progress took the old list of sinks: its hit checks `live`)
  const detach = (): void => {
    if (!counts.live) return;
    counts.live = false;
    detachSink();
    filter?.dispose();
  };
  return {
    tp,
    buffer,
    filter,
    get recorded() {
      return counts.recorded;
    },
    get dropped() {
      return counts.dropped;
    },
    get errors() {
      return counts.errors;
    },
    get lastError() {
      return counts.lastError;
    },
    detach,
  };
}
