import type { Tracepoint, TraceRegistry } from './tracepoint.js';

/**
 * Call `cb` with each tracepoint `registry` defines from now on — how a
 * tracer waits for an application's static probes, which exist only once
 * its code has run. TraceRegistry has no such hook, so this adapts the
 * instance's `define` (a redefinition that returns the existing tracepoint
 * is not reported again). Returns the function that stops reporting.
 */
export function onDefine(registry: TraceRegistry, cb: (tp: Tracepoint) => void): () => void {
  const define = registry.define;
  const seen = new Set<Tracepoint>();
  let active = true;
  registry.define = function (this: TraceRegistry, name, fields) {
    const known = registry.get(name);
    const tp = define.call(this, name, fields);
    if (active && !known && !seen.has(tp)) {
      seen.add(tp);
      cb(tp);
    }
    return tp;
  };
  return () => {
    active = false;
  };
}
