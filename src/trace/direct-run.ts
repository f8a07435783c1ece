import { BpfError } from '../errno.js';
import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { STACK_BYTES } from '../vm/interpreter.js';
import { RuntimeImport, compileProgram } from '../vm/jit/compile.js';
import { Entry, TrustedRun } from '../vm/jit/entry.js';
import { AddressSpace } from '../vm/memory.js';

/**
 * A verified program that calls nothing outside itself (no helper, kfunc
 * or packet load: a filter, a counter or histogram on a map value it
 * addresses directly) run on one fixed context with the least work per
 * event: compiled trusted by the JIT (vm/jit: no region checks, no budget)
 * and entered through the memory's shared entry with the context's address
 * and nothing else (vm/jit/entry.ts enterCtx: numbers both ways, one JS →
 * wasm call site for every program), without an engine's per-run setup.
 * Returns r0's low 32 bits.
 */
export interface DirectRun {
  run(): number;
  /** give back its stack and entry slot: run() faults afterwards (the caller stops calling it first) */
  dispose(): void;
}

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
  const stackStart = space.alloc(STACK_BYTES);
  const compiled = compileProgram(insns, { stackStart, stackEnd: stackStart + STACK_BYTES, hasHelper: () => false, trusted: true });
  const env = { memory: space.memory, ...faults(what) };
  const exports = new WebAssembly.Instance(new WebAssembly.Module(compiled.bytes), { env: env as WebAssembly.ModuleImports }).exports;
  return new CompiledRun(space, stackStart, r1, exports.run as unknown as TrustedRun);
}

/**
 * One compiled program on its context. A class, not closures: every
 * handler and filter of a process calls the same run(), so the call sites
 * that reach it stay monomorphic (closures made per program made them
 * polymorphic once two programs ran: handler.ts's HandlerSink).
 */
class CompiledRun implements DirectRun {
  private readonly entry: Entry;
  private readonly slot: number;
  private readonly stackEnd: number;
  private live = true;

  constructor(private readonly space: AddressSpace, private readonly stackStart: number, private readonly r1: number, main: TrustedRun) {
    this.entry = Entry.of(space.memory);
    this.slot = this.entry.add(main);
    this.stackEnd = stackStart + STACK_BYTES;
  }

  run(): number {
    return this.entry.enterCtx(this.slot, this.stackEnd, this.r1);
  }

  dispose(): void {
    if (!this.live) return;
    this.live = false;
    this.entry.remove(this.slot);
    this.space.free(this.stackStart, STACK_BYTES);
  }
}

/** A verified program that calls nothing never faults; these are there because the module imports them. */
function faults(what: string): Record<RuntimeImport, (...args: never[]) => never> {
  const fault = (how: string) => (): never => {
    throw new BpfError('EFAULT', `${what}: ${how} (a tsbpf bug: the program was verified)`);
  };
  return { miss: fault('memory access'), trap: fault('trap'), callx: fault('helper call'), loadPacket: fault('packet load') };
}
