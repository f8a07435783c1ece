import { BpfError } from '../errno.js';
import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../vm/interpreter.js';
import { RuntimeImport, compileProgram } from '../vm/jit/compile.js';
import { Code, I32, ModuleBuilder, OP } from '../vm/jit/wasm.js';
import { AddressSpace } from '../vm/memory.js';

/**
 * A verified program that calls nothing outside itself (no helper, kfunc
 * or packet load: a filter, a counter or histogram on a map value it
 * addresses directly) run on one fixed context with the least work per
 * event: compiled trusted by the JIT (vm/jit: no region checks, no budget)
 * and given one more export, `direct() → i32`, that calls the module's run
 * with r1 = the context's address as a constant and returns r0's low 32
 * bits. An event is then one JS → wasm call with no argument and an i32
 * result: no BigInt either way, where the engine's run (vm/jit/engine.ts)
 * takes BigInt registers and returns a BigInt r0.
 *
 * Every direct program of an address space is entered through one wasm
 * function, enter(slot) → call_indirect of the program's `direct`: V8's JS →
 * wasm call is cheap where a call site always sees the same wasm function
 * (the reason of vm/jit/entry.ts, whose enter has the engine's BigInt
 * signature), and the sinks of every probe and tracepoint share their call
 * sites.
 */
export type DirectRun = () => number;

/** Whether `insns` call nothing the direct run cannot give them: no helper, kfunc, callx or legacy packet load (a call of a sub-program is fine). */
export function callsNothing(insns: readonly Insn[]): boolean {
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i]!;
    const cls = ins.code & 0x07;
    if (ins.code === o.LDDW) i++;
    else if (cls === o.BPF_LD) return false;
    else if ((cls === o.BPF_JMP || cls === o.BPF_JMP32) && (ins.code & 0xf0) === o.BPF_CALL && ins.src !== o.BPF_PSEUDO_CALL) return false;
  }
  return true;
}

/** Compile `insns` (verified, and callsNothing) to run on the context at `r1`, with a stack of their own in `space`. */
export function compileDirect(insns: readonly Insn[], space: AddressSpace, r1: number, what: string): DirectRun {
  const stackStart = space.alloc(STACK_SIZE * MAX_CALL_FRAMES);
  const stackEnd = stackStart + STACK_SIZE * MAX_CALL_FRAMES;
  const compiled = compileProgram(insns, { stackStart, stackEnd, hasHelper: () => false, trusted: true });
  const m = compiled.module;
  const run = m.exports.find((e) => e.name === 'run')!.index;
  const f = m.declareFunc(m.type([], [I32]), []);
  const c = new Code().i64(r1);
  for (let r = 2; r <= 5; r++) c.i64(0);
  m.defineFunc(f, c.call(run).op(OP.i32_wrap_i64));
  m.exportFunc('direct', f);
  const env = { memory: space.memory, ...faults(what) };
  const exports = new WebAssembly.Instance(new WebAssembly.Module(m.encode()), { env: env as WebAssembly.ModuleImports }).exports;
  const entry = DirectEntry.of(space.memory);
  const slot = entry.add(exports.direct as WebAssembly.ExportValue);
  const enter = entry.enter;
  return () => enter(slot);
}

/** enter(slot) → i32: the direct programs of one memory, in a table. */
class DirectEntry {
  private static readonly byMemory = new WeakMap<WebAssembly.Memory, DirectEntry>();
  readonly enter: (slot: number) => number;
  private readonly table = new WebAssembly.Table({ element: 'anyfunc', initial: 4 });
  private used = 0;

  private constructor() {
    const m = new ModuleBuilder();
    m.importTable('env', 'table');
    const direct = m.type([], [I32]);
    const enter = m.declareFunc(m.type([I32], [I32]), []);
    m.defineFunc(enter, new Code().get(0).callIndirect(direct));
    m.exportFunc('enter', enter);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(m.encode()), { env: { table: this.table } });
    this.enter = instance.exports.enter as (slot: number) => number;
  }

  static of(memory: WebAssembly.Memory): DirectEntry {
    let e = DirectEntry.byMemory.get(memory);
    if (!e) DirectEntry.byMemory.set(memory, (e = new DirectEntry()));
    return e;
  }

  /** Put a program's direct() in the table; returns its slot. */
  add(direct: WebAssembly.ExportValue): number {
    if (this.used === this.table.length) this.table.grow(this.table.length);
    this.table.set(this.used, direct);
    return this.used++;
  }
}

/** A verified program that calls nothing never faults; these are there because the module imports them. */
function faults(what: string): Record<RuntimeImport, (...args: never[]) => never> {
  const fault = (how: string) => (): never => {
    throw new BpfError('EFAULT', `${what}: ${how} (a tsbpf bug: the program was verified)`);
  };
  return { miss: fault('memory access'), trap: fault('trap'), callx: fault('helper call'), loadPacket: fault('packet load') };
}
