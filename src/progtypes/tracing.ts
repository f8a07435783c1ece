import { BpfError } from '../errno.js';
import type { Region } from '../vm/memory.js';
import { TestRunHost, TestRunInput, TestRunResult, ctxIn, refuse, runCount, timedRuns } from './progtype.js';

/** How a tracing type's test run takes its context. */
export interface CtxRun {
  name: string;
  /** the C type, for the region's name */
  ctxType: string;
  /** the largest context */
  max: number;
  /** zero-extend a shorter ctx to `max` (a fixed struct) or map exactly the bytes given (a record) */
  fixed: boolean;
  /** refuse repeat, as Linux's raw tracepoint test run does */
  noRepeat?: boolean;
  /** a missing ctx: r1 = NULL (raw tracepoint), else an error */
  nullCtx?: boolean;
}

/**
 * The test run of a tracing type: no packet; the context is the bytes given
 * (registers, arguments, a tracepoint record), read-only, as the event would
 * have produced them. r0 is whatever the program returns.
 */
export function ctxTestRun(spec: CtxRun) {
  return (host: TestRunHost, input: TestRunInput): TestRunResult => {
    refuse(spec.name, input, spec.noRepeat ? ['data', 'repeat'] : ['data'], 'a tracing program has no packet' + (spec.noRepeat ? ' and runs once' : ''));
    const runs = runCount(spec.name, input.repeat);
    const ctx = context(spec, input.ctx);
    const regions: Region[] = [];
    let addr = 0;
    if (ctx) {
      addr = host.buffer('ctx', Math.max(ctx.length, 1));
      host.space.bytes.set(ctx, addr);
      regions.push({ start: addr, end: addr + ctx.length, writable: false, name: `ctx (${spec.ctxType})` });
    }
    return timedRuns(host, runs, host.runner({ ctx: addr, regions }));
  };
}

function context(spec: CtxRun, ctx: Uint8Array | undefined): Uint8Array | undefined {
  if (ctx === undefined) {
    if (spec.nullCtx) return undefined;
    throw new BpfError('EINVAL', `${spec.name} test run: needs ctx (the ${spec.ctxType} the program reads)`);
  }
  if (spec.fixed) return ctxIn(spec.name, ctx, spec.max);
  if (ctx.length > spec.max) throw new BpfError('EINVAL', `${spec.name} test run: ctx has ${ctx.length} bytes, at most ${spec.max}`);
  return ctx;
}
