import { SourceSpec, errorCode, errorMessage, errorName } from './source.js';

/**
 * The process's life as tracepoints. Only listeners that change nothing are
 * added: 'exit', 'warning' (Node prints warnings whatever listens), and
 * 'uncaughtExceptionMonitor' — never 'uncaughtException' or
 * 'unhandledRejection', whose mere presence stops the crash they report. An
 * unhandled rejection is therefore seen when it becomes an uncaught
 * exception (the default --unhandled-rejections=throw mode).
 */

/** process.on with a listener typed for its event (they differ per event) */
function listen(event: string, fn: (...args: any[]) => void): () => void {
  process.on(event, fn);
  return () => void process.off(event, fn);
}

const ERROR = { error: 'string', code: 'string', message: 'string' } as const;

export const LIFECYCLE_SOURCES: readonly SourceSpec[] = [
  {
    name: 'node_process:exit', origin: "process 'exit'",
    fields: { code: 's32' }, subscribe: (tp) => listen('exit', (code: number) => tp.fire({ code })),
  },
  {
    name: 'node_process:warning', origin: "process 'warning'",
    fields: { name: 'string', code: 'string', message: 'string' },
    subscribe: (tp) => listen('warning', (w: Error) => tp.fire({ name: w.name, code: errorCode(w), message: w.message })),
  },
  {
    name: 'node_process:uncaught_exception', origin: "process 'uncaughtExceptionMonitor'",
    fields: { ...ERROR, origin: 'string' },
    subscribe: (tp) => listen('uncaughtExceptionMonitor', (e: unknown, origin: string) => tp.fire({ error: errorName(e), code: errorCode(e), message: errorMessage(e), origin })),
  },
  {
    name: 'node_process:unhandled_rejection', origin: "process 'uncaughtExceptionMonitor', origin unhandledRejection",
    fields: ERROR,
    subscribe: (tp) => listen('uncaughtExceptionMonitor', (e: unknown, origin: string) => {
      if (origin === 'unhandledRejection') tp.fire({ error: errorName(e), code: errorCode(e), message: errorMessage(e) });
    }),
  },
];
