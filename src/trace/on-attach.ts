import type { Tracepoint } from './tracepoint.js';

/**
 * Run `start` when the first sink attaches to `tp`, and the function it
 * returns when the last one detaches — so an event source (a
 * diagnostics_channel subscription, a perf_hooks observer, a process
 * listener) exists only while someone listens, and a tracepoint nothing is
 * attached to costs its source nothing at all.
 *
 * Tracepoint has no attach hook of its own, so this adapts the instance: its
 * `attach` is wrapped, keeping attach's contract (a detach function,
 * idempotent). Call once per tracepoint.
 */
export function whenAttached(tp: Tracepoint, start: () => () => void): void {
  const attach = tp.attach.bind(tp);
  let stop: (() => void) | undefined;
  tp.attach = (sink) => {
    const detach = attach(sink);
    try {
      stop ??= start();
    } catch (e) {
      detach(); // a source that cannot start leaves nothing attached
      throw e;
    }
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      detach();
      if (!tp.enabled && stop) {
        const s = stop;
        stop = undefined;
        s();
      }
    };
  };
}
