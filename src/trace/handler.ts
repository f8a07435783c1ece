import { BpfError } from '../errno.js';
import type { KernelEnv } from '../helpers/registry.js';
import type { Program } from '../runtime/program.js';
import type { Runtime } from '../runtime/runtime.js';
import { LineInfo, verify } from '../verifier/index.js';
import { createEngine } from '../vm/execute.js';
import { AddressSpace, Region } from '../vm/memory.js';
import { traceBufferOf } from './buffer.js';
import { ContextWriter, neededLeaves, scalarValue, valueAt } from './context.js';
import { ctxReads } from './ctx-reads.js';
import { callsNothing, compileDirect } from './direct-run.js';
import { FieldLayout, isDynamic } from './layout.js';
import type { RecordEvent, TraceSink, Tracepoint } from './tracepoint.js';

/**
 * Programs as handlers: a loaded TRACEPOINT or RAW_TRACEPOINT program runs
 * on every event of a tracepoint, as `bpf_link_create` / perf_event_open
 * attach one in Linux.
 *
 * - TRACEPOINT (5): r1 is the event's record (layout.ts). Only the fields
 *   the program's loads touch are written (ctx-reads.ts decides from the
 *   instructions; a program whose context pointer escapes gets them all);
 *   variable-length fields are written when their `__data_loc` is read.
 * - RAW_TRACEPOINT (17): r1 is `u64 args[]`, the event's fields in order
 *   (at most 12), integers widened with their sign, strings and byte arrays
 *   as the address of their bytes (the program reads them with
 *   bpf_probe_read_kernel_str).
 *
 * The program is verified first (as the tracepoint type Linux would check
 * it as); maps, the ring buffer and the perf buffer work as in any run, and
 * bpf_trace_printk writes to the Runtime's trace buffer. Each link runs the
 * program's instructions in its own engine instance (the program's engine,
 * the JIT by default), with its context, regions and kernel side built once:
 * an event is one engine call — or, for a verified JIT program that calls
 * no helper, one direct call of its code (direct-run.ts). Tail calls are not followed from a handler
 * (bpf_tail_call returns an error, as for a missing target).
 *
 * A fault in a run (impossible for a verified program, but a handler must
 * never throw into the code it traces) is counted in `errors`, kept in
 * `lastError`, and the event goes on to the other sinks.
 */

export const TRACEPOINT = 5;
export const RAW_TRACEPOINT = 17;
const MAX_RAW_ARGS = 12;

export interface AttachOptions {
  /** the CPU the program runs on (per-CPU maps, bpf_get_smp_processor_id; default 0) */
  cpu?: number;
  /** verify before attaching (default true; false for a program the caller has verified) */
  verify?: boolean;
}

/** An attached program (a bpf_link). */
export interface Link {
  readonly tp: Tracepoint;
  readonly program: Program;
  /** runs so far, runs that faulted, and the last fault */
  readonly runs: number;
  readonly errors: number;
  readonly lastError: Error | undefined;
  /** detach: later events no longer run the program (idempotent) */
  detach(): void;
}

export function attachProgram(rt: Runtime, tp: Tracepoint, program: Program, options: AttachOptions = {}): Link {
  const type = program.spec.type ?? 0;
  if (type !== TRACEPOINT && type !== RAW_TRACEPOINT) {
    throw new BpfError('EINVAL', `program ${program.id} ('${program.spec.name ?? ''}') is of type ${program.type?.name ?? type}: a tracepoint takes tracepoint (5) or raw_tracepoint (17) programs`);
  }
  const cpu = options.cpu ?? 0;
  if (!Number.isInteger(cpu) || cpu < 0 || cpu >= rt.cpus) throw new BpfError('EINVAL', `attach to ${tp.name}: cpu ${cpu} is not one of the runtime's ${rt.cpus}`);
  // a program the Runtime verified at load is not verified again; either way a verified program runs trusted
  if (!program.verified && options.verify !== false) checkProgram(rt, program, tp);
  const verified = program.verified || options.verify !== false;
  const buffer = traceBufferOf(rt);
  const kernel: KernelEnv = { ...rt.kernelEnv(cpu), trace: (line) => buffer.printk(line, cpu) };
  const ctx = type === TRACEPOINT ? recordContext(rt, tp, program) : new RawContext(rt.space, tp, rt.host.pid);
  let run: Runner;
  try {
    run = runner(rt, program, verified, ctx, kernel);
  } catch (e) {
    ctx.dispose();
    throw e;
  }
  const sink = new HandlerSink(ctx, run);
  let detachSink: () => void;
  try {
    detachSink = tp.attach(sink);
  } catch (e) {
    sink.release(); // a source that cannot start leaves nothing behind
    throw e;
  }
  return {
    tp, program,
    detach: () => sink.stop() && detachSink(),
    get runs() { return sink.runs; },
    get errors() { return sink.errors; },
    get lastError() { return sink.lastError; },
  };
}

/**
 * A program attached to a tracepoint. A class, as its context and its
 * direct run are: every handler of a process runs the same hit(), write()
 * and run(), so the tracepoint's call into its sinks and the calls within
 * stay monomorphic. Closures made per attach (the same code, but different
 * functions to V8) did not: a probe with an entry counter and a return
 * histogram cost 146 ns per call with them, 127 as classes (clock aside).
 */
class HandlerSink implements TraceSink {
  readonly byName = true; // the context writers read fields by path (valueAt)
  readonly reads: readonly string[];
  /** a TRACEPOINT program's record: a source may write the event into it and call hitRecord */
  readonly record: ContextWriter | undefined;
  runs = 0;
  errors = 0;
  lastError: Error | undefined = undefined;
  private live = true;
  /** runs in progress: a run may fire this tracepoint again, through a helper's JS */
  private running = 0;

  constructor(private readonly ctx: HandlerContext, private readonly runner: Runner) {
    this.reads = ctx.fields;
    this.record = ctx.record;
  }

  hit(values: Record<string, unknown>): void {
    this.runOn(values, undefined);
  }

  hitRecord(event: RecordEvent): void {
    this.runOn(undefined, event);
  }

  /** One run, on `values` written into the context, or on `event` written into the record by its source. */
  private runOn(values: Record<string, unknown> | undefined, event: RecordEvent | undefined): void {
    if (!this.live) return; // detached by another sink of this same event
    this.runs++;
    this.running++;
    try {
      if (event === undefined) this.ctx.write(values!);
      else this.ctx.writeEvent!(event);
      this.runner.run();
    } catch (e) {
      this.errors++;
      this.lastError = e as Error;
    }
    if (--this.running === 0 && !this.live) this.release();
  }

  /** No more runs (false if already stopped); the memory goes back now, or when the last run in progress (if the detach came from within one) ends. */
  stop(): boolean {
    if (!this.live) return false;
    this.live = false;
    if (this.running === 0) this.release();
    return true;
  }

  /** the record and the engine's memory back to the Runtime */
  release(): void {
    this.runner.dispose();
    this.ctx.dispose();
  }
}

interface Runner {
  run(): unknown;
  dispose(): void;
}

/**
 * One run of the program on its context: directly when it is verified JIT
 * code that calls nothing (direct-run.ts: no BigInt registers in or out),
 * else through its engine with the regions and kernel side of the run.
 */
function runner(rt: Runtime, program: Program, verified: boolean, ctx: HandlerContext, kernel: KernelEnv): Runner {
  const engineName = program.spec.engine ?? 'jit';
  const trusted = verified && program.spec.budget === undefined;
  if (trusted && engineName === 'jit' && callsNothing(program.insns)) return compileDirect(program.insns, rt.space, ctx.address, `program ${program.id}`);
  const engine = createEngine(engineName, program.insns, {
    space: rt.space, helpers: rt.helpers, budget: program.spec.budget, verified: trusted, mapAt: (ptr) => rt.mapAt(ptr), callMaps: program.callMaps, stringWindow: ctx.strings,
  });
  // a closure, not a class as the direct run is: as a class this path measured ~6 ns more per event (/work/scratch/ab-trace2.mjs)
  const regions = [...ctx.regions, ...rt.mapRegions()];
  const extras = { kernel };
  return { run: () => engine.runCtx(ctx.address, regions, extras), dispose: () => engine.dispose() };
}

/** What one run is given: r1, the regions it may read, and how an event is written there. */
interface HandlerContext {
  address: number;
  regions: Region[];
  /** the top-level fields written (TraceSink.reads) */
  fields: readonly string[];
  /** the record, where the event's strings are (the JIT copies them from there inline) */
  strings: Region;
  /** the writer of a record that is the whole context (TRACEPOINT): a source may fill it itself, by writeEvent */
  record?: ContextWriter;
  write(values: Record<string, unknown>): void;
  /** write(), the event written into `record` by its source */
  writeEvent?(event: RecordEvent): void;
  /** give back the record's memory */
  dispose(): void;
}

function recordContext(rt: Runtime, tp: Tracepoint, program: Program): HandlerContext {
  const reads = ctxReads(program.insns, (id) => rt.helpers.get(id)?.proto?.args.length, (off, size) => isLocWord(tp, off, size));
  const leaves = neededLeaves(tp, reads);
  return new RecordContext(new ContextWriter(rt.space, tp, leaves, rt.host.pid), topLevel(leaves));
}

/** TRACEPOINT: r1 is the record, the fields the program reads written into it. */
class RecordContext implements HandlerContext {
  readonly address: number;
  readonly regions: Region[];
  readonly strings: Region;
  private readonly dynamic: boolean;

  constructor(readonly record: ContextWriter, readonly fields: readonly string[]) {
    this.address = record.base;
    this.regions = [record.region];
    this.strings = record.region;
    this.dynamic = record.hasDynamic;
  }

  write(values: Record<string, unknown>): void {
    this.record.writeFixed(values);
    if (this.dynamic) this.record.writeDynamic(values);
  }

  writeEvent(event: RecordEvent): void {
    event.writeFixed(this.record);
    if (this.dynamic) event.writeDynamic(this.record);
  }

  dispose(): void {
    this.record.dispose();
  }
}

/** The top-level fields of `leaves` (a nested struct's members name it). */
function topLevel(leaves: readonly FieldLayout[]): string[] {
  return [...new Set(leaves.map((f) => f.path[0]!))];
}

/** Whether `size` bytes at `off` lie in a variable-length field's `__data_loc` word. */
function isLocWord(tp: Tracepoint, off: number, size: number): boolean {
  return tp.layout.leaves.some((f) => isDynamic(f.type) && f.offset <= off && off + size <= f.offset + 4);
}

/** RAW_TRACEPOINT: r1 is `u64 args[]`, the fields in order; strings are written into a record, their addresses in args. */
class RawContext implements HandlerContext {
  readonly address: number;
  readonly regions: Region[];
  readonly strings: Region;
  readonly fields: readonly string[];
  private readonly leaves: readonly FieldLayout[];
  private readonly writer: ContextWriter;

  constructor(private readonly space: AddressSpace, tp: Tracepoint, pid: number) {
    this.leaves = tp.layout.leaves.slice(0, MAX_RAW_ARGS);
    this.writer = new ContextWriter(space, tp, this.leaves, pid);
    this.address = space.alloc(8 * MAX_RAW_ARGS);
    this.strings = this.writer.region;
    this.regions = [{ start: this.address, end: this.address + 8 * MAX_RAW_ARGS, writable: false, name: `${tp.name} args` }, { ...this.writer.region }];
    this.fields = topLevel(this.leaves);
  }

  write(values: Record<string, unknown>): void {
    const { writer, address } = this;
    writer.writeFixed(values);
    if (writer.hasDynamic) writer.writeDynamic(values);
    const dv = new DataView(this.space.memory.buffer);
    this.leaves.forEach((f, i) => {
      const v = isDynamic(f.type) ? BigInt(writer.base + (dv.getUint32(writer.base + f.offset, true) & 0xffff)) : BigInt(scalarValue(f, valueAt(values, f.path)));
      dv.setBigUint64(address + 8 * i, BigInt.asUintN(64, v), true);
    });
  }

  dispose(): void {
    this.writer.dispose();
    this.space.free(this.address, 8 * MAX_RAW_ARGS);
  }
}

/** Verify as Linux would for the program's type; EACCES (or the verifier's errno) with its log otherwise. */
function checkProgram(rt: Runtime, program: Program, tp: Tracepoint): void {
  const spec = program.spec as Program['spec'] & { lineInfo?: LineInfo[]; funcInfo?: unknown[] };
  const mapSpec = (id: number) => (rt.mapIds().includes(id) ? rt.map(id).spec : undefined);
  const r = verify(spec, {
    progType: spec.type,
    helpers: rt.helpers,
    mapsById: mapSpec,
    mapsByIndex: (spec.maps ?? []).map((id) => rt.map(id).spec),
    lineInfo: spec.lineInfo,
    funcInfo: (spec.funcInfo?.length ?? 0) > 0,
  });
  if (!r.accepted) {
    const e = r.error;
    throw new BpfError(e?.errno ?? 'EACCES', `attach '${spec.name ?? program.id}' to ${tp.name}: the verifier rejects it at insn ${e?.insn}: ${e?.message}${e?.line ? ` (${e.line})` : ''}\n${r.log}`);
  }
}
