import { BpfError } from '../errno.js';
import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { validate } from '../isa/validate.js';
import { Interpreter } from '../vm/interpreter.js';
import { Region } from '../vm/memory.js';
import type { Runtime } from './runtime.js';

/** A program as plain data, before loading (cilium/ebpf's ProgramSpec). */
export interface ProgramSpec {
  name?: string;
  /** `enum bpf_prog_type` (0 until program types land) */
  type?: number;
  insns: readonly Insn[];
  license?: string;
  /** map IDs that `lddw` src 5/6 index (BPF_PROG_LOAD's fd_array) */
  maps?: readonly number[];
  /** instruction budget of one run (default 1,000,000) */
  budget?: number;
}

export interface RunOptions {
  /** input bytes: r1 = address of a writable copy, r2 = their length */
  mem?: Uint8Array;
  /** the CPU the run is on (per-CPU maps, bpf_get_smp_processor_id) */
  cpu?: number;
}

export interface RunResult {
  r0: bigint;
  /** the input bytes as the program left them */
  mem: Uint8Array;
}

/** A loaded program: map references resolved to addresses in the Runtime's space. */
export class Program {
  readonly insns: readonly Insn[];
  private readonly vm: Interpreter;
  private input: Region | undefined;

  constructor(readonly id: number, readonly spec: ProgramSpec, private readonly runtime: Runtime) {
    validate(spec.insns);
    this.insns = relocate(spec, runtime);
    this.vm = new Interpreter(this.insns, { space: runtime.space, helpers: runtime.helpers, budget: spec.budget });
  }

  run(options: RunOptions = {}): RunResult {
    const cpu = options.cpu ?? 0;
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.runtime.cpus) {
      throw new BpfError('EINVAL', `program ${this.id}: cpu ${cpu} is not one of the runtime's ${this.runtime.cpus}`);
    }
    const mem = options.mem ?? new Uint8Array(0);
    const region = this.inputRegion(mem);
    const regions = [region, ...this.runtime.mapRegions()];
    const r0 = this.vm.run([BigInt(region.start), BigInt(mem.length)], regions, { kernel: this.runtime.kernelEnv(cpu) });
    return { r0, mem: this.runtime.space.bytes.slice(region.start, region.end) };
  }

  /** The program's input buffer, reused across runs and grown when needed. */
  private inputRegion(mem: Uint8Array): Region {
    if (!this.input || this.input.end - this.input.start < mem.length) {
      this.input = this.runtime.space.map(mem, 'mem');
    }
    const region = { ...this.input, end: this.input.start + mem.length };
    this.runtime.space.bytes.set(mem, region.start);
    return region;
  }
}

/** Copy the instructions with every map `lddw` rewritten to the address it designates. */
function relocate(spec: ProgramSpec, runtime: Runtime): Insn[] {
  const out = spec.insns.map((i) => ({ ...i }));
  for (let i = 0; i < out.length; i++) {
    const ins = out[i]!;
    if (ins.code !== o.LDDW) continue;
    const src = ins.src;
    if (src === o.BPF_PSEUDO_BTF_ID) throw new BpfError('ENOTSUPP', `insn ${i}: lddw of a BTF object needs BTF, which this runtime does not have yet`);
    if (src !== 0 && src !== o.BPF_PSEUDO_FUNC) {
      const byIndex = src === o.BPF_PSEUDO_MAP_IDX || src === o.BPF_PSEUDO_MAP_IDX_VALUE;
      const value = src === o.BPF_PSEUDO_MAP_VALUE || src === o.BPF_PSEUDO_MAP_IDX_VALUE;
      const addr = runtime.mapAddress(ins.imm, byIndex, value, value ? out[i + 1]!.imm : 0, spec.maps ?? []);
      ins.imm = addr | 0;
      out[i + 1]!.imm = 0;
    }
    i++;
  }
  return out;
}
