import type { FieldType, Tracepoint, TraceRegistry } from '../tracepoint.js';
import { whenAttached } from '../on-attach.js';

/**
 * An event source of Node exposed as a tracepoint: `origin` says where its
 * events come from (a diagnostics_channel's own name such as
 * `http.server.request.start`, `perf_hooks gc`, `process 'exit'`), since a
 * tracepoint's name must be `provider:event` with C identifiers.
 */
export interface NodeSource {
  readonly tracepoint: Tracepoint;
  readonly origin: string;
}

/** Subscribes to the source, firing `tp` with the values of each event (tp.fire itself: a wrapper would be one more call per event); returns the unsubscribe function. */
export type Subscribe = (tp: Tracepoint) => () => void;

export interface SourceSpec {
  name: string;
  origin: string;
  fields: Record<string, FieldType>;
  subscribe: Subscribe;
}

/** Define the tracepoint of `spec` in `registry`, subscribed to its source only while something is attached. */
export function defineSource(registry: TraceRegistry, spec: SourceSpec): NodeSource {
  const tp = registry.define(spec.name, spec.fields);
  whenAttached(tp, () => spec.subscribe(tp));
  return { tracepoint: tp, origin: spec.origin };
}

/** The name of a thrown value (TypeError, AbortError, …), or its type when it is no Error. */
export function errorName(e: unknown): string {
  if (e instanceof Error) return e.name;
  return e === null ? 'null' : typeof e;
}

/** `code` of a Node error (ECONNREFUSED, ERR_…), or ''. */
export function errorCode(e: unknown): string {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : '';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
