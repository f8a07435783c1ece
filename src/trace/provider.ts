import type { FieldType, Tracepoint, TraceRegistry } from './tracepoint.js';
import { tracepoints } from './tracepoint.js';

/**
 * Static probes defined by an application — what USDT is to C:
 *
 * ```ts
 * const app = provider('app');
 * const queryStart = app.probe('query_start', { sql: 'string', id: 'u64' });
 * queryStart(sql, id);                                  // fires app:query_start
 * if (queryStart.enabled) queryStart(expensive(), id);  // the USDT semaphore
 * ```
 *
 * The probe's arguments are its fields in declared order. A probe nothing
 * is attached to costs one flag check and builds no values object.
 */

export interface StaticProbe {
  (...args: unknown[]): void;
  /** true while anything is attached (USDT's semaphore) */
  readonly enabled: boolean;
  readonly tracepoint: Tracepoint;
}

export interface Provider {
  readonly name: string;
  /** define `<provider>:<event>`; defining it again with the same fields returns a probe of the same tracepoint */
  probe(event: string, fields: Record<string, FieldType>): StaticProbe;
}

export function provider(name: string, registry: TraceRegistry = tracepoints): Provider {
  return {
    name,
    probe(event, fields) {
      const tp = registry.define(`${name}:${event}`, fields);
      const names = Object.keys(fields);
      const fire = function (...args: unknown[]): void {
        if (!tp.enabled) return;
        const values: Record<string, unknown> = {};
        for (let i = 0; i < names.length; i++) values[names[i]!] = args[i];
        tp.fire(values);
      };
      Object.defineProperty(fire, 'name', { value: event });
      Object.defineProperty(fire, 'enabled', { get: () => tp.enabled });
      Object.defineProperty(fire, 'tracepoint', { value: tp });
      return fire as StaticProbe;
    },
  };
}
