import { BpfError } from '../errno.js';
import type { Btf } from '../btf/index.js';
import { codes, globElements, globMatch } from './glob.js';
import { FieldLayout, FieldType, RecordLayout, formatText, layoutRecord, recordBtf } from './layout.js';
import type { ContextWriter } from './context.js';

export type { FieldType, ScalarType, FieldLayout, RecordLayout } from './layout.js';

/**
 * Tracepoints: named, typed events a program fires and tracers attach to.
 *
 * `defineTracepoint('app:query', {sql: 'string', rows: 'u32'})` declares one
 * in the process-wide registry. The code being traced guards each firing
 * with the `enabled` flag, so a tracepoint nothing is attached to costs one
 * property load and a branch, and builds no values object:
 *
 * ```ts
 * if (tp.enabled) tp.fire({ sql, rows });
 * ```
 *
 * Whatever consumes events is a TraceSink attached to the tracepoint: a
 * recorder into a Runtime's trace buffer (optionally behind a filter
 * compiled to eBPF — record.ts, filter.ts), a verified TRACEPOINT /
 * RAW_TRACEPOINT program (handler.ts), or any object with a `hit` method.
 * `fire` calls every sink in attach order; the sink list is replaced, never
 * mutated, so attaching or detaching from a sink during a fire is safe.
 *
 * Each tracepoint's record layout (layout.ts: the C struct of Linux's
 * tracepoint format, with `common_*` header and `__data_loc` strings), its
 * BTF and its `format` text are computed once, at definition.
 */

/** Something attached to a tracepoint that takes its events. */
export interface TraceSink {
  /** one event: `values` as given to fire() (it must not keep them past the call) */
  hit(values: Record<string, unknown>, tp: Tracepoint): void;
  /**
   * The sink reads `values` only by field name (properties, as valueAt
   * does; never by enumerating them), so a source may give it fields that
   * are computed when read (getters) and skip the fields nobody reads.
   */
  readonly byName?: boolean;
  /**
   * The top-level fields the sink reads (a struct's name for any of its
   * members); without it, any of them. A source may skip the work of a
   * field no sink reads — a timed source's clock at the start event, a
   * probe's clock when nothing reads latency_ns.
   */
  readonly reads?: readonly string[];
  /**
   * The record the sink runs on (a program's context, a compiled filter's),
   * when it can take events by hitRecord: a source that reads its fields
   * itself (channels.ts) then writes them into the record straight from its
   * message, with no values object between.
   */
  readonly record?: ContextWriter;
  hitRecord?(event: RecordEvent): void;
}

/** A sink that runs on its own record (TraceSink.record). It reads values by name (byName). */
export interface RecordSink extends TraceSink {
  readonly record: ContextWriter;
  hitRecord(event: RecordEvent): void;
}

/**
 * One event as a source gives it to a RecordSink: the sink has the event's
 * fields written into its record when it needs them (inside its own guard:
 * a field's read may throw, and that must not reach the traced code).
 */
export interface RecordEvent {
  /** write the event's scalar fields into `record`, the sink's (ContextWriter.writeFixed) */
  writeFixed(record: ContextWriter): void;
  /** write its variable-length fields (ContextWriter.writeDynamic) */
  writeDynamic(record: ContextWriter): void;
  /** the event's values by name, as hit() is given them */
  readonly values: Record<string, unknown>;
}

export interface Tracepoint {
  /** "provider:event" */
  readonly name: string;
  readonly provider: string;
  readonly event: string;
  /** the record's `common_type`, the ID line of the format */
  readonly id: number;
  /** the declared fields, in order, as laid out in the record */
  readonly fields: readonly FieldLayout[];
  readonly layout: RecordLayout;
  /** the record as BTF (`struct trace_event_raw_<event>`), and that struct's id */
  readonly btf: Btf;
  readonly btfTypeId: number;
  /** true while anything is attached: callers guard with `if (tp.enabled) tp.fire({...})` */
  readonly enabled: boolean;
  /** true while every attached sink reads the values by name only (TraceSink.byName) */
  readonly byName: boolean;
  /** the attached sinks while every one runs on its own record (TraceSink.record), else undefined */
  readonly recordSinks: readonly RecordSink[] | undefined;
  /** whether an attached sink may read the top-level field `name` (TraceSink.reads) */
  reads(name: string): boolean;
  /** how many times the attached sinks changed: what a source learned from reads() holds while this does */
  readonly changes: number;
  /** deliver one event to every attached sink; a no-op when nothing is attached */
  fire(values: Record<string, unknown>): void;
  /** like Linux's events/<provider>/<event>/format */
  format(): string;
  /** attach a sink; returns the function that detaches it (idempotent) */
  attach(sink: TraceSink): () => void;
  /** the field with this name (dotted for a nested struct's member), or undefined */
  field(name: string): FieldLayout | undefined;
}

const NAME = /^([A-Za-z_][A-Za-z0-9_]*):([A-Za-z_][A-Za-z0-9_]*)$/;

class TracepointImpl implements Tracepoint {
  enabled = false;
  byName = false;
  recordSinks: readonly RecordSink[] | undefined = undefined;
  changes = 0;
  readonly provider: string;
  readonly event: string;
  readonly layout: RecordLayout;
  private sinks: readonly TraceSink[] = [];
  /** the fields the attached sinks read, or undefined when one of them does not say (an object, not a Set: a source asks per event, and a property load with the name it passes is an inline cache hit where Set.has hashed, ~9 ns) */
  private read: Readonly<Record<string, true>> | undefined = {};
  private bpf: { btf: Btf; typeId: number } | undefined;
  private readonly fieldsByName: Map<string, FieldLayout>;

  constructor(readonly name: string, readonly id: number, fields: Record<string, FieldType>) {
    const m = NAME.exec(name);
    if (!m) throw new BpfError('EINVAL', `tracepoint name '${name}' must be provider:event (C identifiers)`);
    this.provider = m[1]!;
    this.event = m[2]!;
    this.layout = layoutRecord(`tracepoint ${name}`, fields);
    this.fieldsByName = new Map([...this.layout.fields, ...this.layout.leaves].map((f) => [f.name, f]));
  }

  get fields(): readonly FieldLayout[] {
    return this.layout.fields;
  }

  // BTF is built on first use: most tracepoints are never seen by a C program.
  get btf(): Btf {
    return (this.bpf ??= recordBtf(this.event, this.layout)).btf;
  }

  get btfTypeId(): number {
    return (this.bpf ??= recordBtf(this.event, this.layout)).typeId;
  }

  fire(values: Record<string, unknown>): void {
    const sinks = this.sinks;
    for (let i = 0; i < sinks.length; i++) sinks[i]!.hit(values, this);
  }

  format(): string {
    return formatText(this.event, this.id, this.layout);
  }

  reads(name: string): boolean {
    const read = this.read;
    return read === undefined || read[name] === true;
  }

  field(name: string): FieldLayout | undefined {
    return this.fieldsByName.get(name);
  }

  attach(sink: TraceSink): () => void {
    this.setSinks([...this.sinks, sink]);
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      const i = this.sinks.indexOf(sink);
      this.setSinks([...this.sinks.slice(0, i), ...this.sinks.slice(i + 1)]);
    };
  }

  private setSinks(sinks: readonly TraceSink[]): void {
    this.sinks = sinks;
    this.enabled = sinks.length > 0;
    this.byName = this.enabled && sinks.every((s) => s.byName === true);
    this.recordSinks = this.byName && sinks.every(isRecordSink) ? sinks : undefined;
    this.changes++;
    this.read = sinks.some((s) => !s.reads) ? undefined : Object.fromEntries(sinks.flatMap((s) => s.reads!).map((f) => [f, true]));
  }
}

function isRecordSink(s: TraceSink): s is RecordSink {
  return s.record !== undefined && s.hitRecord !== undefined;
}

/** A set of tracepoints by name (the process-wide one is `tracepoints`). */
export class TraceRegistry {
  private readonly byName = new Map<string, Tracepoint>();
  private nextId: number;

  /** IDs (common_type) start at `firstId`. */
  constructor(firstId = 1) {
    this.nextId = firstId;
  }

  /**
   * Define a tracepoint. Defining a name again with the same fields returns
   * the existing one (a module loaded twice); with other fields, EEXIST.
   */
  define(name: string, fields: Record<string, FieldType>): Tracepoint {
    const old = this.byName.get(name);
    if (old) {
      if (sameFields(old, fields)) return old;
      throw new BpfError('EEXIST', `tracepoint ${name} is already defined with other fields (${old.fields.map((f) => f.name).join(', ')})`);
    }
    const tp = new TracepointImpl(name, this.nextId, fields);
    this.nextId++;
    this.byName.set(name, tp);
    return tp;
  }

  get(name: string): Tracepoint | undefined {
    return this.byName.get(name);
  }

  /** The tracepoint named `name`, or ENOENT naming it. */
  named(name: string): Tracepoint {
    const tp = this.byName.get(name);
    if (!tp) throw new BpfError('ENOENT', `no tracepoint named '${name}'`);
    return tp;
  }

  /** Tracepoints by name order; `pattern` is a glob (`*`, `?`, `[...]`) on "provider:event", or a provider name alone. */
  list(pattern?: string): Tracepoint[] {
    const all = [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (pattern === undefined || pattern === '') return all;
    const elems = globElements(codes(pattern.includes(':') ? pattern : `${pattern}:*`));
    return all.filter((tp) => globMatch(elems, codes(tp.name)));
  }
}

function sameFields(tp: Tracepoint, fields: Record<string, FieldType>): boolean {
  return JSON.stringify(tp.fields.map((f) => [f.name, f.type])) === JSON.stringify(Object.entries(fields));
}

/** The process-wide registry. */
export const tracepoints = new TraceRegistry();

/** Define a tracepoint in `tracepoints`. */
export function defineTracepoint(name: string, fields: Record<string, FieldType>): Tracepoint {
  return tracepoints.define(name, fields);
}
