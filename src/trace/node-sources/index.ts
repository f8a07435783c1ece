import { TraceRegistry, tracepoints } from '../tracepoint.js';
import { NodeSource, defineSource } from './source.js';
import { CHANNEL_SOURCES } from './channels.js';
import { PERF_SOURCES } from './perf.js';
import { LIFECYCLE_SOURCES } from './lifecycle.js';

export type { NodeSource } from './source.js';

/**
 * Node's own event sources as tracepoints (node_http:*, node_net:*,
 * node_undici:*, node_gc:gc, node_loop:delay, node_process:*, …), defined in
 * `registry` once; each subscribes to its source only while attached.
 */
const defined = new WeakMap<TraceRegistry, readonly NodeSource[]>();

export function defineNodeSources(registry: TraceRegistry = tracepoints): readonly NodeSource[] {
  let sources = defined.get(registry);
  if (!sources) {
    sources = [...CHANNEL_SOURCES, ...PERF_SOURCES, ...LIFECYCLE_SOURCES].map((spec) => defineSource(registry, spec));
    defined.set(registry, sources);
  }
  return sources;
}

/** Where a tracepoint's events come from, if it is one of Node's sources in `registry`. */
export function nodeSourceOrigin(name: string, registry: TraceRegistry = tracepoints): string | undefined {
  return defined.get(registry)?.find((s) => s.tracepoint.name === name)?.origin;
}
