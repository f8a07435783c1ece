import { BpfError } from '../errno.js';
import { Insn } from '../isa/instruction.js';
import { DEFAULT_BUDGET, MAX_CALL_FRAMES, STACK_SIZE } from '../vm/interpreter.js';
import { RuntimeImport, SCRATCH, Trap, compileProgram } from '../vm/jit/compile.js';
import { I32, I64, ModuleBuilder, OP, Code } from '../vm/jit/wasm.js';
import { AddressSpace, checkedRegion } from '../vm/memory.js';
import type { ContextWriter } from './context.js';
import { MAX_RECORD_SIZE } from './layout.js';

/**
 * The host a compiled filter runs in: the JIT's WebAssembly (vm/jit) with a
 * driver made for one call per event, as pcap's JitFilter is for packets.
 * The engine's general host (helpers, region lists, BigInt arguments,
 * exceptions for tail calls) costs more per run than a rejecting filter
 * may; a filter calls no helpers, so its whole run is one call of a wasm
 * function with no arguments: the driver sets the run's first read region
 * and calls the program with the record's address as a constant.
 *
 * Strings are copied only when a load reaches them. The record's fixed
 * scalars are written before the run; the run starts with the record mapped
 * only up to its first variable-length field, so the first load of a
 * `__data_loc` or of string bytes misses the inline check and lands in
 * `missRead`, which writes the strings (writer.writeDynamic), maps the whole
 * record, and lets the load go on. A filter that decides on the integers
 * alone never copies a string.
 */
export class FilterHost {
  private pending: Record<string, unknown> = {};
  private materialized = false;
  private readonly call: () => number;
  private readonly stack: { start: number; end: number };

  constructor(insns: readonly Insn[], private readonly space: AddressSpace, private readonly writer: ContextWriter) {
    const start = space.alloc(STACK_SIZE * MAX_CALL_FRAMES);
    this.stack = { start, end: start + STACK_SIZE * MAX_CALL_FRAMES };
    const compiled = compileProgram(insns, { stackStart: this.stack.start, stackEnd: this.stack.end, hasHelper: () => false });
    const memory = space.memory;
    const program = instantiate(compiled.bytes, { memory, ...this.imports() });
    const driver = instantiate(driverModule(writer.base, writer.eagerEnd), { memory, run: program.run });
    this.call = driver.filter as () => number;
  }

  /** Whether the event passes: its scalars are written, the program runs, strings follow on demand. */
  run(values: Record<string, unknown>): boolean {
    this.writer.writeFixed(values);
    this.pending = values;
    this.materialized = false;
    return this.call() !== 0;
  }

  private imports(): Record<RuntimeImport, (...args: never[]) => unknown> {
    const fault = (what: string) => (pc: number): never => {
      throw new BpfError('EFAULT', `filter: pc ${pc}: ${what}`);
    };
    return {
      // a filter never writes: a write miss faults, a read miss may map the record's strings
      miss: (pc: number, base: bigint, off: number, sizeWrite: number) => {
        if (sizeWrite > 0xff) checkedRegion([], pc, Number(BigInt.asUintN(32, base)), Number(BigInt.asUintN(64, base) >> 32n), off, sizeWrite & 0xff, true);
        this.missRead(pc, base, off, sizeWrite);
      },
      trap: (kind: number, pc: number) => fault(kind === Trap.OutOfBudget ? `instruction budget of ${DEFAULT_BUDGET} exhausted` : 'call, or ran past the last instruction')(pc),
      callx: fault('helper call'),
      loadPacket: fault('packet load'),
    };
  }

  /** A load past the mapped part: inside the record, write the strings and map it all; elsewhere, EFAULT. */
  private missRead(pc: number, base: bigint, off: number, size: number): void {
    const w = this.writer;
    const u = BigInt.asUintN(64, base);
    const record = { start: w.base, end: w.base + MAX_RECORD_SIZE, writable: false, name: 'record' };
    const r = checkedRegion([record], pc, Number(u & 0xffffffffn), Number(u >> 32n), off, size, false);
    if (!this.materialized) {
      w.writeDynamic(this.pending);
      this.materialized = true;
    }
    new Uint32Array(this.space.memory.buffer).set([r.start, r.end - r.start], SCRATCH.region / 4);
  }
}

function instantiate(bytes: Uint8Array<ArrayBuffer>, env: Record<string, unknown>): Record<string, unknown> {
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: env as WebAssembly.ModuleImports }).exports;
}

/**
 * filter() → 0 or 1: the run's first read region is the record up to
 * `eager` bytes, no write region (the empty one at 8, as the engine's
 * lastHit has it), then run(record, 0, 0, 0, 0, budget) != 0.
 */
function driverModule(record: number, eager: number): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory');
  const run = m.importFunc('env', 'run', m.type([I64, I64, I64, I64, I64, I64], [I64]));
  const f = m.declareFunc(m.type([], [I32]), []);
  const c = new Code();
  [record, eager, 8, 0].forEach((v, i) => c.i32(SCRATCH.initial + 4 * i).i64(v).mem(OP.i64_store32));
  c.i64(record).i64(0).i64(0).i64(0).i64(0).i64(DEFAULT_BUDGET).call(run).i64(0).op(OP.i64_ne);
  m.defineFunc(f, c);
  m.exportFunc('filter', f);
  return m.encode();
}
