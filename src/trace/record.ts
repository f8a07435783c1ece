import type { Runtime } from '../runtime/runtime.js';
import { TraceBuffer, traceBufferOf } from './buffer.js';
import { FilterEngine, TraceFilter } from './filter.js';
import type { ContextWriter } from './context.js';
import type { RecordEvent, TraceSink, Tracepoint } from './tracepoint.js';

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
  const sink = new RecordingSink(buffer, cpu, filter);
  let detachSink: () => void;
  try {
    detachSink = tp.attach(sink);
  } catch (e) {
    filter?.dispose(); // a source that cannot start leaves nothing behind
    throw e;
  }
  return {
    tp,
    buffer,
    filter,
    get recorded() {
      return sink.recorded;
    },
    get dropped() {
      return sink.dropped;
    },
    get errors() {
      return sink.errors;
    },
    get lastError() {
      return sink.lastError;
    },
    // a filter's record and stack go back to the Runtime at detach (a fire in progress took the old list of sinks: its hit checks `live`)
    detach() {
      if (!sink.stop()) return;
      detachSink();
      filter?.dispose();
    },
  };
}

/**
 * Records each event (that its filter passes) into the buffer. A class, as
 * a handler's sink is (handler.ts): one hit() for every recording, so the
 * tracepoint's call into its sinks stays monomorphic.
 */
class RecordingSink implements TraceSink {
  // reads fields by name: the filter, and the buffer's copy of an event's leaves (valueAt)
  readonly byName = true;
  /** a JIT filter's record: a source may write the event into it and call hitRecord */
  readonly record: ContextWriter | undefined;
  recorded = 0;
  dropped = 0;
  errors = 0;
  lastError: Error | undefined = undefined;
  private live = true;

  constructor(private readonly buffer: TraceBuffer, private readonly cpu: number, private readonly filter: TraceFilter | undefined) {
    this.record = filter?.record;
  }

  hit(values: Record<string, unknown>, tp: Tracepoint): void {
    if (this.live) this.keep(this.filter === undefined || this.passes(values, undefined), values, tp);
  }

  hitRecord(event: RecordEvent): void {
    if (this.live) this.keep(this.passes(undefined, event), event.values, this.filter!.tp);
  }

  /** Record the event if it passed, else count it dropped. */
  private keep(passed: boolean, values: Record<string, unknown>, tp: Tracepoint): void {
    if (!passed) {
      this.dropped++;
      return;
    }
    this.recorded++;
    this.buffer.event(tp, values, this.cpu);
  }

  /** The filter's word on `values` (or `event`, written into its record). A fault must not reach the traced code: it is counted and the event dropped. */
  private passes(values: Record<string, unknown> | undefined, event: RecordEvent | undefined): boolean {
    try {
      return event !== undefined ? this.filter!.testRecord(event) : this.filter!.test(values!);
    } catch (e) {
      this.errors++;
      this.lastError = e as Error;
      return false;
    }
  }

  /** No more events (false if already stopped). */
  stop(): boolean {
    if (!this.live) return false;
    this.live = false;
    return true;
  }
}
