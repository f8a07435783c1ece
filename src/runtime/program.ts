import { BpfError } from '../errno.js';
import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { validate } from '../isa/validate.js';
import { PROGRAM_TYPES, ProgramType, RunSetup, Runner, TestRunHost, TestRunInput, TestRunResult, checkHelperCalls, programType } from '../progtypes/index.js';
import { Engine, EngineInstance, createEngine } from '../vm/execute.js';
import { Region } from '../vm/memory.js';
import type { Runtime } from './runtime.js';
import { TailCall } from '../helpers/registry.js';
import { MAX_TAIL_CALL_CNT } from '../helpers/tail-call.js';
import { RunExtras } from '../vm/interpreter.js';
import { CORE_POISON_HELPER_ID } from '../btf/core-patch.js';
import { claimProgArrays } from '../maps/prog-array.js';
import type { LineInfo, VerifyResult } from '../verifier/index.js';
import { verifyForLoad } from './verification.js';

/** A program as plain data, before loading (cilium/ebpf's ProgramSpec). */
export interface ProgramSpec {
  name?: string;
  /**
   * `enum bpf_prog_type` (progtypes/): its context, the helpers it may call,
   * its test run. 0 or absent: no type (an unverified load only, for bare runs).
   */
  type?: number;
  insns: readonly Insn[];
  license?: string;
  /** map IDs that `lddw` src 5/6 index (BPF_PROG_LOAD's fd_array) */
  maps?: readonly number[];
  /**
   * instruction budget of one run: default none for a verified program (the
   * verifier proved it ends, and Linux runs it unbudgeted), 1,000,000 for an
   * unverified one
   */
  budget?: number;
  /** the engine that runs it (default the JIT; the interpreter for stepping and debugging) */
  engine?: Engine;
  /** instructions a CO-RE relocation could not resolve, with why: reaching one ends the run with that reason */
  poisoned?: ReadonlyMap<number, string>;
  /**
   * load without the verifier: tsbpf's named mode for tests of the engines
   * and for programs with no type (every access is still checked, and the
   * budget stops loops)
   */
  unverified?: boolean;
  /** the loader's privileges: true (default) what root gets, false the rules Linux applies without CAP_BPF */
  privileged?: boolean;
  /** BTF line info: the verifier's errors and log name the source line */
  lineInfo?: readonly LineInfo[];
  /** BTF func info records (Linux requires them for callbacks) */
  funcInfo?: readonly unknown[];
  /** the verifier's log level (BPF_PROG_LOAD's log_level); unset: none, and level 1 for a rejection */
  logLevel?: number;
  /** processed-instruction limit of the verifier, below Linux's 1,000,000 (fuzzing) */
  insnLimit?: number;
}

/** The budget of a verified program's runs: none (a count no run reaches). */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

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
  /** the program type, when the spec names one */
  readonly type: ProgramType | undefined;
  /** the verifier's verdict and log; undefined for an unverified program */
  readonly verification: VerifyResult | undefined;
  /** the map pointer each helper call is given on every path, by instruction (VerifyResult.callMaps), for the JIT */
  readonly callMaps: ReadonlyMap<number, number>;
  private readonly vm: EngineInstance;
  private input: Region | undefined;
  /** test-run buffers by slot ('ctx', 'packet'), reused across test runs */
  private readonly buffers = new Map<string, Region>();

  constructor(readonly id: number, readonly spec: ProgramSpec, private readonly runtime: Runtime) {
    validate(spec.insns);
    this.type = resolveType(spec);
    this.verification = verifyForLoad(spec, this.type, runtime, `program '${spec.name ?? ''}'`);
    // the verifier checks the helpers of the paths a program can take (Linux accepts a forbidden call on a dead path); unverified, every call is checked
    if (this.type && !this.verification) checkHelperCalls(this.type, spec.insns);
    this.insns = relocate(spec, runtime);
    const budget = spec.budget ?? (this.verification ? UNBOUNDED : undefined);
    this.callMaps = new Map((this.verification?.callMaps ?? []).map((c) => [c.insn, runtime.mapPointer(c.id)]));
    this.vm = createEngine(spec.engine ?? 'jit', this.insns, { space: runtime.space, helpers: runtime.helpers, budget, verified: this.verification !== undefined && spec.budget === undefined, mapAt: (ptr) => runtime.mapAt(ptr), callMaps: this.callMaps });
    claimProgArrays(usedMaps(spec).map((mapId) => runtime.map(mapId)), spec.type ?? 0, `program '${spec.name ?? ''}' (id ${id})`);
  }

  /** whether the verifier accepted the program (engines may then drop their own checks) */
  get verified(): boolean {
    return this.verification !== undefined;
  }

  run(options: RunOptions = {}): RunResult {
    const cpu = this.checkCpu(options.cpu);
    const mem = options.mem ?? new Uint8Array(0);
    const region = this.inputRegion(mem);
    const regions = [region, ...this.runtime.mapRegions()];
    const args = [BigInt(region.start), BigInt(mem.length)];
    const r0 = this.invoker({ kernel: this.runtime.kernelEnv(cpu) }, (vm, extras) => vm.run(args, regions, extras))();
    return { r0, mem: this.runtime.space.bytes.slice(region.start, region.end) };
  }

  /**
   * BPF_PROG_TEST_RUN: run the program on a packet and/or context built the
   * way Linux builds them for its type (see the type's module in progtypes/),
   * `repeat` times, timed with the host's monotonic clock.
   */
  testRun(input: TestRunInput = {}): TestRunResult {
    const pt = this.type;
    if (!pt) throw new BpfError('EINVAL', `program ${this.id}: a test run needs a program type (ProgramSpec.type)`);
    if (!pt.testRun) throw new BpfError('ENOTSUPP', `program ${this.id}: ${pt.name} programs have no test run`);
    return pt.testRun(this.testHost(this.checkCpu(input.cpu)), input);
  }

  /**
   * A function doing one run (`once` on an engine), following tail calls: a
   * tail call ends the current program (TailCall unwinds its engine) and the
   * target runs on the same arguments, regions and context, at most
   * MAX_TAIL_CALL_CNT times per run. What does not change from run to run is
   * built once, here, so that a repeated test run allocates nothing per run.
   */
  private invoker<T>(extras: RunExtras, once: (vm: EngineInstance, extras: RunExtras) => T): () => T {
    let chained = 0;
    const tailCall = (id: number): void => {
      if (chained >= MAX_TAIL_CALL_CNT) return;
      chained++;
      throw new TailCall(id);
    };
    const withTailCalls: RunExtras = { ...extras, kernel: extras.kernel && { ...extras.kernel, tailCall } };
    return () => {
      chained = 0;
      let prog: Program = this;
      for (;;) {
        try {
          return once(prog.vm, withTailCalls);
        } catch (e) {
          if (!(e instanceof TailCall)) throw prog.explainPoison(e);
          prog = this.runtime.program(e.progId);
        }
      }
    };
  }

  /** A run that reached a poisoned CO-RE instruction says which relocation failed, as libbpf's log would. */
  private explainPoison(e: unknown): unknown {
    const at = e instanceof BpfError ? new RegExp(`^pc (\\d+): invalid func unknown#${CORE_POISON_HELPER_ID}\\b`).exec(e.message) : null;
    const reason = at && this.spec.poisoned?.get(Number(at[1]));
    return reason ? new BpfError('EINVAL', `pc ${at[1]}: reached an instruction poisoned by a failed CO-RE relocation: ${reason}`) : e;
  }

  private checkCpu(cpu = 0): number {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.runtime.cpus) {
      throw new BpfError('EINVAL', `program ${this.id}: cpu ${cpu} is not one of the runtime's ${this.runtime.cpus}`);
    }
    return cpu;
  }

  private testHost(cpu: number): TestRunHost {
    const rt = this.runtime;
    return {
      space: rt.space,
      buffer: (slot, size) => this.buffer(slot, size),
      now: () => rt.host.monotonicNs(),
      runner: (setup) => this.runner(setup, cpu),
    };
  }

  /** One run with this setup: r1 = the context; the packet, if any, for LD_ABS and the packet helpers. */
  private runner(setup: RunSetup, cpu: number): Runner {
    const regions = [...setup.regions, ...this.runtime.mapRegions()];
    const kernel = { ...this.runtime.kernelEnv(cpu), packet: setup.packet?.env };
    const extras = { kernel, packet: setup.packet?.ldAbs ? setup.packet.region : undefined };
    // the engine of the last program run (a tail call's target) holds r0
    let last: EngineInstance = this.vm;
    const once = this.invoker(extras, (vm, x) => {
      last = vm;
      return vm.runCtx(setup.ctx, regions, x);
    });
    return Object.assign(once, { r0: () => last.lastR0() });
  }

  /** `size` zeroed bytes for a test-run slot, reusing the slot's earlier buffer when it is large enough. */
  private buffer(slot: string, size: number): number {
    let b = this.buffers.get(slot);
    if (!b || b.end - b.start < size) {
      const start = this.runtime.space.alloc(Math.max(size, 1));
      b = { start, end: start + size, writable: true, name: slot };
      this.buffers.set(slot, b);
    }
    this.runtime.space.bytes.fill(0, b.start, b.start + size);
    return b.start;
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

/** The spec's program type; EINVAL for a number tsbpf has no module for. */
function resolveType(spec: ProgramSpec): ProgramType | undefined {
  if (!spec.type) return undefined;
  const pt = programType(spec.type);
  if (pt) return pt;
  const known = PROGRAM_TYPES.map((t) => `${t.name} ${t.type}`).join(', ');
  throw new BpfError('EINVAL', `program type ${spec.type} is not supported (tsbpf has ${known})`);
}

/** The IDs of the maps the program's `lddw`s name (Linux's used_maps), each once. */
function usedMaps(spec: ProgramSpec): number[] {
  const ids = new Set<number>();
  for (const ins of spec.insns) {
    // the second slot of an lddw has code 0: only the first is looked at
    if (ins.code !== o.LDDW || ins.src === 0 || ins.src === o.BPF_PSEUDO_FUNC || ins.src === o.BPF_PSEUDO_BTF_ID) continue;
    const byIndex = ins.src === o.BPF_PSEUDO_MAP_IDX || ins.src === o.BPF_PSEUDO_MAP_IDX_VALUE;
    const id = byIndex ? spec.maps?.[ins.imm] : ins.imm;
    if (id !== undefined) ids.add(id);
  }
  return [...ids];
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
