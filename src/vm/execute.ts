import { HelperRegistry } from '../helpers/registry.js';
import { BpfError } from '../errno.js';
import { Insn } from '../isa/instruction.js';
import { BPF_PSEUDO_FUNC, LDDW } from '../isa/opcodes.js';
import { validate } from '../isa/validate.js';
import { Interpreter } from './interpreter.js';
import { JitEngine, JitOptions } from './jit/engine.js';
import { AddressSpace } from './memory.js';

/** The reference interpreter, or the compiler to WebAssembly (same results, errors and counts). */
export type Engine = 'interp' | 'jit';

/** Either engine: both have the same surface (run, executed, stack). */
export type EngineInstance = Interpreter | JitEngine;

/** `options.verified` makes the JIT run trusted code; the interpreter checks every access whatever it is told. */
export function createEngine(engine: Engine, insns: readonly Insn[], options: JitOptions): EngineInstance {
  return engine === 'jit' ? new JitEngine(insns, options) : new Interpreter(insns, options);
}

export interface ExecuteOptions {
  /** input bytes: r1 = address of a writable copy, r2 = their length */
  mem?: Uint8Array;
  helpers?: HelperRegistry;
  /** instruction budget (default 1,000,000) */
  budget?: number;
  engine?: Engine;
}

export interface ExecuteResult {
  r0: bigint;
  /** the input bytes as the program left them */
  mem: Uint8Array;
  /** instruction slots executed (a lddw counts two) */
  executed: number;
}

/**
 * Validate and run a program once, unverified, in a fresh address space: the
 * harness of the conformance vectors and of `tsbpf run --no-verify`.
 */
export function execute(insns: readonly Insn[], options: ExecuteOptions = {}): ExecuteResult {
  validate(insns);
  refuseUnresolved(insns);
  const space = new AddressSpace();
  const mem = options.mem ?? new Uint8Array(0);
  const vm = createEngine(options.engine ?? 'jit', insns, { space, helpers: options.helpers, budget: options.budget });
  const region = space.map(mem, 'mem');
  const r0 = vm.run([BigInt(mem.length ? region.start : 0), BigInt(mem.length)], [region]);
  return { r0, mem: space.bytes.slice(region.start, region.end), executed: vm.executed };
}

/**
 * A bare run has no maps and no BTF, so a `lddw` that names a map or a BTF
 * object cannot be resolved: refuse it at load, as Linux refuses an fd that
 * is not a map (EBADF). Function pointers (src 4) need nothing outside the
 * program.
 */
function refuseUnresolved(insns: readonly Insn[]): void {
  insns.forEach((ins, i) => {
    if (ins.code === LDDW && ins.src !== 0 && ins.src !== BPF_PSEUDO_FUNC) {
      throw new BpfError('EBADF', `insn ${i}: lddw with src=${ins.src} refers to map or BTF object ${ins.imm}, but this run has no maps or BTF (load it into a Runtime)`);
    }
  });
}
