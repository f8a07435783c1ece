import { BpfError } from '../errno.js';
import { Insn } from '../isa/instruction.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../vm/interpreter.js';
import { RuntimeImport, compileProgram } from '../vm/jit/compile.js';
import { Code, I32, OP } from '../vm/jit/wasm.js';
import { AddressSpace } from '../vm/memory.js';
import type { ContextWriter } from './context.js';
import { UNWRITTEN } from './filter-compile.js';

/**
 * The host a compiled filter runs in: the JIT's WebAssembly (vm/jit) with an
 * entry made for one call per event, as pcap's JitFilter is for packets.
 * The engine's general host (helpers, region lists, BigInt arguments and
 * results) costs more per run than a rejecting filter may. A filter is
 * verified (filter.ts) and calls no helpers, so it is compiled trusted (no
 * region checks, no budget) and its module gets one more export,
 * `filter() → i32`, which calls the program's function with the record's
 * address as a constant: an event is one JS → wasm call with no argument
 * and an i32 result, no BigInt either way.
 *
 * Strings are copied only when the program reaches one: the record's fixed
 * scalars are written before the run with every string's `__data_loc` at 0;
 * a program that reaches a string returns UNWRITTEN (filter-compile.ts), and
 * the host then writes the strings (writer.writeDynamic) and runs it again.
 * A filter that decides on the integers alone never copies a string.
 */
export class FilterHost {
  private readonly call: () => number;
  /** whether the record holds the strings of the last event (their __data_loc must be cleared before the next) */
  private written = false;

  constructor(insns: readonly Insn[], space: AddressSpace, private readonly writer: ContextWriter) {
    const stackStart = space.alloc(STACK_SIZE * MAX_CALL_FRAMES);
    const stackEnd = stackStart + STACK_SIZE * MAX_CALL_FRAMES;
    const compiled = compileProgram(insns, { stackStart, stackEnd, hasHelper: () => false, trusted: true });
    const m = compiled.module;
    const f = m.declareFunc(m.type([], [I32]), []);
    m.defineFunc(f, callProgram(compiled.functionIndex.get(0)!, writer.base, stackEnd));
    m.exportFunc('filter', f);
    const env = { memory: space.memory, ...faults() };
    const exports = new WebAssembly.Instance(new WebAssembly.Module(m.encode()), { env: env as WebAssembly.ModuleImports }).exports;
    this.call = exports.filter as () => number;
  }

  /** Whether the event passes: its scalars are written, the program runs, and runs again with the strings if it reached one. */
  run(values: Record<string, unknown>): boolean {
    const w = this.writer;
    w.writeFixed(values);
    if (this.written) {
      w.clearDynamic();
      this.written = false;
    }
    let r = this.call();
    if (r === UNWRITTEN) {
      w.writeDynamic(values);
      this.written = true;
      r = this.call();
    }
    return r !== 0;
  }
}

/** A verified filter never faults; these are there because the module imports them. */
function faults(): Record<RuntimeImport, (...args: never[]) => never> {
  const fault = (what: string) => (): never => {
    throw new BpfError('EFAULT', `filter: ${what} (a tsbpf bug: the filter was verified)`);
  };
  return { miss: fault('memory access'), trap: fault('trap'), callx: fault('helper call'), loadPacket: fault('packet load') };
}

/**
 * filter() → r0 as i32: the program's function 0 (compile.ts: r0…r10, depth
 * → r0…r5) with r1 the record, r10 the stack's top, the rest 0.
 */
function callProgram(fn: number, record: number, stackEnd: number): Code {
  const c = new Code();
  c.i64(0).i64(record);
  for (let r = 2; r < 10; r++) c.i64(0);
  c.i64(stackEnd).i32(0).call(fn);
  for (let r = 1; r <= 5; r++) c.op(OP.drop);
  return c.op(OP.i32_wrap_i64);
}
