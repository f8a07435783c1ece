import { Insn } from '../isa/instruction.js';
import { AddressSpace } from '../vm/memory.js';
import type { ContextWriter } from './context.js';
import { DirectRun, compileDirect } from './direct-run.js';
import { UNWRITTEN } from './filter-compile.js';
import type { RecordEvent } from './tracepoint.js';

/**
 * The host a compiled filter runs in: made for one call per event, as
 * pcap's JitFilter is for packets. A filter is verified (filter.ts) and
 * calls no helpers, so it runs directly on its record (direct-run.ts): one
 * JS → wasm call with no argument and an i32 result.
 *
 * Strings are copied only when the program reaches one: the record's fixed
 * scalars are written before the run with every string's `__data_loc` at 0;
 * a program that reaches a string returns UNWRITTEN (filter-compile.ts), and
 * the host then writes the strings (writer.writeDynamic) and runs it again.
 * A filter that decides on the integers alone never copies a string.
 */
export class FilterHost {
  private readonly call: DirectRun;
  /** whether the record holds the strings of the last event (their __data_loc must be cleared before the next) */
  private written = false;

  constructor(insns: readonly Insn[], space: AddressSpace, readonly writer: ContextWriter) {
    this.call = compileDirect(insns, space, writer.base, 'filter');
  }

  /** Whether the event passes: its scalars are written, the program runs, and runs again with the strings if it reached one. */
  run(values: Record<string, unknown>): boolean {
    this.writer.writeFixed(values);
    return this.decide(values, undefined);
  }

  /** run(), the event's fields written by the source that gives it (TraceSink.hitRecord) */
  runRecord(event: RecordEvent): boolean {
    event.writeFixed(this.writer);
    return this.decide(undefined, event);
  }

  /** The program's word on the record's scalars, or on the strings too if it reached one: from `values`, or `event` when given. */
  private decide(values: Record<string, unknown> | undefined, event: RecordEvent | undefined): boolean {
    const w = this.writer;
    if (this.written) {
      w.clearDynamic();
      this.written = false;
    }
    let r = this.call.run();
    if (r === UNWRITTEN) {
      if (event !== undefined) event.writeDynamic(w);
      else w.writeDynamic(values!);
      this.written = true;
      r = this.call.run();
    }
    return r !== 0;
  }

  /** Give back the program's stack and the record. */
  dispose(): void {
    this.call.dispose();
    this.writer.dispose();
  }
}
