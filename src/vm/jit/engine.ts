import { BpfError } from '../../errno.js';
import { HelperDef, HelperEnv, HelperExit, HelperRegistry, NumericHelper } from '../../helpers/registry.js';
import { mapLookupElem } from '../../helpers/maps.js';
import { STRING_READERS } from '../../helpers/probe.js';
import type { BpfMap } from '../../maps/map.js';
import { Insn } from '../../isa/instruction.js';
import { DEFAULT_BUDGET, InterpreterOptions, MAX_CALL_FRAMES, RunExtras, STACK_BYTES, disposedError } from '../interpreter.js';
import { callbackIndex, callbackTargets, outOfBudget, tooDeep } from '../callback.js';
import { Region, checkedRegion } from '../memory.js';
import { packetLoad } from '../packet-load.js';
import { formatInsn } from '../../isa/disasm.js';
import { CompiledModule, RuntimeImport, SCRATCH, Trap, compileProgram, helperImport } from './compile.js';
import { WatListing, printWat } from './wat.js';
import { Entry, TrustedRun } from './entry.js';

type WasmRun = (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, budget: bigint) => bigint;
/** The module's callback dispatcher (compile.ts): callback target k with r1..r5, for the helper call at pc. */
type WasmCallback = (k: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, pc: number) => bigint;

/** A wasm i64 (a signed BigInt) as the unsigned value the engines hand out; allocates only for negatives. */
const u64 = (v: bigint): bigint => (v >= 0n ? v : BigInt.asUintN(64, v));

const U32_MAX = 0xffffffffn;

/** A helper that ends the run (bpf_tail_call's fall-through aside, HelperExit) gives r0; anything else passes on. */
function helperExit(e: unknown): bigint {
  if (e instanceof HelperExit) return u64(e.r0);
  throw e;
}

/** Views of the memory for the scratch area (compile.ts SCRATCH); stale after the memory grows. */
class Views {
  u8: Uint8Array;
  u32: Uint32Array;
  u64: BigUint64Array;
  f64: Float64Array;

  constructor(readonly memory: WebAssembly.Memory) {
    [this.u8, this.u32, this.u64, this.f64] = Views.of(memory.buffer);
  }

  /** Refresh after growth (growing a memory detaches its old buffer, whose views then have length 0). */
  fresh(): this {
    if (this.u8.length === 0) [this.u8, this.u32, this.u64, this.f64] = Views.of(this.memory.buffer);
    return this;
  }

  private static of(b: ArrayBuffer): [Uint8Array, Uint32Array, BigUint64Array, Float64Array] {
    return [new Uint8Array(b), new Uint32Array(b), new BigUint64Array(b), new Float64Array(b)];
  }
}

const ARG = SCRATCH.args / 8;

export interface JitOptions extends InterpreterOptions {
  /**
   * The program passed the verifier: run it trusted (compile.ts
   * CompileOptions.trusted): no region checks, no budget, so `executed` is
   * not counted (0). Unverified programs must leave this unset: they keep
   * the interpreter's checks, errors and counts.
   */
  verified?: boolean;
  /** the Runtime's map for a map pointer: a verified program's lookups in an array map then compile inline (BpfMap.inlineLookup) */
  mapAt?(ptr: number): BpfMap | undefined;
  /** the map pointer r1 holds at each helper call, by pc, where the verifier proved it (VerifyResult.callMaps): lookups whose map is not loaded in the call's block compile inline too */
  callMaps?: ReadonlyMap<number, number>;
  /** memory every run may read, from which trusted code copies strings inline (CompileOptions.stringWindow) */
  stringWindow?: { start: number; end: number };
}

/** The extras of a run that gives none, shared so a run allocates nothing for them. */
const NO_EXTRAS: RunExtras = {};

/**
 * The JIT engine: the program compiled to a WebAssembly module over the
 * AddressSpace's memory (compile.ts), with the Interpreter's public surface
 * so callers can swap engines. Compiled on the first run and kept; helpers
 * are bound then (a helper registered later is not seen by this engine).
 * Results, memory effects, errors and `executed` are the interpreter's.
 */
export class JitEngine {
  /** instruction slots executed by the last run (a lddw counts two, as slot numbers do) */
  executed = 0;
  /** the stack region of this engine: MAX_CALL_FRAMES frames of STACK_SIZE bytes, growing down */
  readonly stack: Region;
  private readonly budget: number;
  private readonly budgetBig: bigint;
  private readonly helpers: HelperRegistry;
  private runWasm: WasmRun | undefined;
  /** a trusted program's entry (entry.ts) and its slot there */
  private entry: Entry | undefined;
  private slot = 0;
  private disposed = false;
  /** a trusted run's frame pointer: the top of the stack region */
  private readonly fp: number;
  private readonly trusted: boolean;
  private callbackWasm: WasmCallback | undefined;
  /** the functions the program may pass to a helper (callback.ts) */
  private readonly targets: number[];
  /** callbacks in progress (HelperEnv.inCallback) */
  private callbacks = 0;
  private regions: readonly Region[] = [];
  private given: readonly Region[] | undefined;
  /** the extras of the last run, whose packet and kernel are in place */
  private extras: RunExtras | undefined;
  /** the last-hit regions (read start, length, write start, length) a run starts with */
  private initial = initialHits(undefined);
  private packet: Region | undefined;
  /** pc of the helper call in progress, for the env's error messages */
  private pc = 0;
  private readonly env: HelperEnv;
  private readonly views: Views;
  /** r0 of the last runCtx: its low 32 bits, and the whole when it was made as a BigInt (else the entry keeps the high bits) */
  private r0Low = 0;
  private r0: bigint | undefined;

  constructor(readonly insns: readonly Insn[], readonly options: JitOptions) {
    this.trusted = options.verified ?? false;
    this.budget = options.budget ?? DEFAULT_BUDGET;
    this.budgetBig = BigInt(this.budget);
    this.helpers = options.helpers ?? new HelperRegistry();
    this.stack = options.space.map(new Uint8Array(STACK_BYTES), 'stack');
    this.fp = this.stack.end;
    this.views = new Views(options.space.memory);
    this.targets = callbackTargets(insns);
    const self = this;
    this.env = {
      kernel: undefined,
      read: (addr, len) => {
        if (len === 0) return new Uint8Array(0);
        const a = this.envAddress(addr, len, false);
        return this.views.fresh().u8.slice(a, a + len);
      },
      write: (addr, data) => {
        if (data.length) this.views.fresh().u8.set(data, this.envAddress(addr, data.length, true));
      },
      check: (addr, len, write) => this.envAddress(addr, len, write),
      checkAt: (addr, len, write) => {
        checkedRegion(this.regions, this.pc, addr, 0, 0, len, write);
        return addr;
      },
      memory: () => this.views.fresh().u8,
      callback: (fn, a1, a2, a3, a4, a5) => this.callback(fn, a1, a2, a3, a4, a5),
      get inCallback() {
        return self.callbacks > 0;
      },
    };
  }

  /** Run with r1..r5 = args; loads and stores may touch `regions` and the stack. Returns r0. */
  run(args: readonly bigint[], regions: readonly Region[], extras: RunExtras = NO_EXTRAS): bigint {
    this.prepare(regions, extras);
    try {
      if (!this.entry) return u64(this.runChecked(args));
      // reading past the end of a short array is a slow path in V8: test the length instead
      const n = args.length;
      return u64(this.entry.enter(this.slot, this.fp, n > 0 ? args[0]! : 0n, n > 1 ? args[1]! : 0n, n > 2 ? args[2]! : 0n, n > 3 ? args[3]! : 0n, n > 4 ? args[4]! : 0n));
    } catch (e) {
      return helperExit(e);
    }
  }

  /**
   * run([r1]) for an r1 below 2^32 (a context address, as every program
   * type passes), with r0's low 32 bits as the result (a u32: what Linux
   * hands back of a program's r0 — test.retval, a filter's or an action's
   * verdict); lastR0() has the whole of it. A trusted program is entered
   * with numbers only (entry.ts enterCtx): nothing is allocated.
   */
  runCtx(r1: number, regions: readonly Region[], extras: RunExtras = NO_EXTRAS): number {
    const entry = this.entry;
    // a handler's or a test run's every event: trusted code on the last run's regions and extras (prepare's checks cost ~5 ns a run)
    if (entry === undefined || regions !== this.given || extras !== this.extras) return this.runCtxPrepared(r1, regions, extras);
    this.callbacks = 0;
    this.r0 = undefined;
    try {
      return (this.r0Low = entry.enterCtx(this.slot, this.fp, r1) >>> 0);
    } catch (e) {
      return this.keep(helperExit(e));
    }
  }

  /** runCtx after taking up the run's regions and extras (compiling on first use); checked code runs here. */
  private runCtxPrepared(r1: number, regions: readonly Region[], extras: RunExtras): number {
    this.prepare(regions, extras);
    if (this.entry) return this.runCtx(r1, regions, extras);
    try {
      return this.keep(u64(this.runChecked([BigInt(r1)])));
    } catch (e) {
      return this.keep(helperExit(e));
    }
  }

  /** The whole r0 of the last runCtx (read it before another program runs on this memory). */
  lastR0(): bigint {
    return this.r0 ?? ((BigInt(this.entry!.high() >>> 0) << 32n) | BigInt(this.r0Low));
  }

  private keep(r0: bigint): number {
    this.r0 = r0;
    return (this.r0Low = Number(r0 & 0xffffffffn));
  }

  /** Give back the stack and the entry's slot (the module can then be collected): the engine runs no more (EBADF). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.entry?.remove(this.slot);
    this.entry = undefined;
    this.runWasm = undefined;
    this.callbackWasm = undefined;
    this.options.space.unmap(this.stack);
  }

  /** Compile on first use; take up a run's regions and extras when they are not the last run's. */
  private prepare(regions: readonly Region[], extras: RunExtras): void {
    if (this.disposed) throw disposedError();
    if (!this.runWasm && !this.entry) this.instantiate();
    if (regions !== this.given) {
      this.given = regions;
      this.regions = [this.stack, ...regions];
      this.initial = initialHits(regions[0]);
    }
    if (extras !== this.extras) {
      this.extras = extras;
      this.packet = extras.packet;
      this.env.kernel = extras.kernel;
    }
    this.callbacks = 0;
  }

  /** A checked run: the last-hit regions and the budget go in, the budget left comes out as `executed`. */
  private runChecked(args: readonly bigint[]): bigint {
    this.views.fresh().u32.set(this.initial, SCRATCH.initial / 4);
    this.executed = 0;
    const n = args.length;
    const r0 = this.runWasm!(n > 0 ? args[0]! : 0n, n > 1 ? args[1]! : 0n, n > 2 ? args[2]! : 0n, n > 3 ? args[3]! : 0n, n > 4 ? args[4]! : 0n, this.budgetBig);
    this.executed = this.budget - this.views.fresh().f64[SCRATCH.budget / 8]!;
    return r0;
  }

  private compile(listing = false): CompiledModule {
    return compileProgram(this.insns, {
      stackStart: this.stack.start,
      stackEnd: this.stack.end,
      hasHelper: (id) => this.helpers.get(id) !== undefined,
      callsBack: (id) => this.helpers.get(id)?.proto?.args.includes('PTR_TO_FUNC') ?? false,
      numericArity: (id) => this.helpers.get(id)?.numeric?.arity,
      inlineLookup: (id, ptr) => (this.helpers.get(id) === mapLookupElem ? this.options.mapAt?.(ptr)?.inlineLookup?.() : undefined),
      mapAtCall: (pc) => this.options.callMaps?.get(pc),
      stringWindow: this.options.stringWindow,
      readsString: (id) => STRING_READERS.includes(this.helpers.get(id)!),
      trusted: this.trusted,
      listing,
    });
  }

  /**
   * The module this engine runs, as WebAssembly text: each eBPF function a
   * wasm function (`$bpf_SLOT`), each eBPF instruction's code under a
   * comment with its slot and disassembly.
   */
  listing(): WatListing {
    const compiled = this.compile(true);
    const m = compiled.module;
    const byIndex = new Map<number, string>();
    m.imports.forEach((imp, k) => byIndex.set(k, imp.name));
    for (const e of m.exports) byIndex.set(e.index, e.name);
    for (const [entry, index] of compiled.functionIndex) byIndex.set(index, `bpf_${entry}`);
    return printWat(m, { func: (k) => byIndex.get(k) ?? `f${k}`, insn: (pc) => formatInsn(this.insns, pc) });
  }

  private instantiate(): void {
    const compiled = this.compile();
    const module = new WebAssembly.Module(compiled.bytes);
    const env: Record<string, unknown> = { memory: this.options.space.memory, ...this.runtimeImports() };
    for (const id of compiled.helperIds) {
      const h = this.helpers.get(id)!;
      env[helperImport(id)] = this.trusted && h.numeric ? this.numericTrampoline(h.numeric) : this.trampoline(h);
    }
    const exports = new WebAssembly.Instance(module, { env: env as WebAssembly.ModuleImports }).exports;
    if (this.trusted) {
      this.entry = Entry.of(this.options.space.memory);
      this.slot = this.entry.add(exports.run as unknown as TrustedRun);
    } else this.runWasm = exports.run as unknown as WasmRun;
    this.callbackWasm = exports.callback as unknown as WasmCallback | undefined;
  }

  /**
   * HelperEnv.callback: the module's dispatcher runs the function one frame
   * below the helper's caller, on the run's budget (compile.ts). The pc of
   * the helper call is kept for the helper's own faults after it returns.
   */
  private callback(fn: bigint, a1: bigint, a2: bigint, a3: bigint, a4: bigint, a5: bigint): bigint {
    const pc = this.pc;
    const k = callbackIndex(this.targets, fn, pc);
    this.callbacks++;
    const r0 = this.callbackWasm!(k, a1, a2, a3, a4, a5, pc);
    this.callbacks--;
    this.pc = pc;
    return u64(r0);
  }

  private runtimeImports(): Record<RuntimeImport, (...args: never[]) => unknown> {
    return {
      miss: (pc: number, base: bigint, off: number, sizeWrite: number) => this.miss(pc, base, off, sizeWrite & 0xff, sizeWrite > 0xff),
      trap: (kind: Trap, pc: number, arg: number) => this.trap(kind, pc, arg),
      callx: (pc: number, id: number) => this.trampoline(this.helpers.get(id) ?? unknownHelper(pc, id))(pc),
      loadPacket: (pc: number, index: number) => this.loadPacket(pc, index),
    };
  }

  private trap(kind: Trap, pc: number, arg: number): never {
    switch (kind) {
      case Trap.OutOfBudget:
        this.executed = this.budget;
        throw outOfBudget(pc, this.budget);
      case Trap.TooDeep:
        throw tooDeep(pc, arg, MAX_CALL_FRAMES);
      case Trap.FellOff:
        throw new BpfError('EINVAL', `pc ${pc}: ran past the last instruction (the program must end with exit or a jump)`);
      case Trap.Kfunc:
        throw new BpfError('ENOTSUPP', `pc ${pc}: kfunc call (BTF id ${arg}) needs a runtime that provides kfuncs`);
      case Trap.UnknownHelper:
        return unknownHelper(pc, arg);
    }
  }

  /**
   * The import through which compiled code calls helper `h`. The code leaves
   * r1–r5 in the scratch area, read here as unsigned BigInts (the cheapest
   * convention measured: i64 parameters cost a signed BigInt each plus the
   * unsigned conversion). The result goes back through ToBigInt64, which
   * wraps it to 64 bits. The views are refreshed before (other code may have
   * grown the memory since the last call) only when stale.
   */
  private trampoline(h: HelperDef): (pc: number) => bigint {
    const fn = h.fn;
    return (pc) => {
      const a = this.views.fresh().u64;
      this.pc = pc;
      return fn(this.env, a[ARG]!, a[ARG + 1]!, a[ARG + 2]!, a[ARG + 3]!, a[ARG + 4]!);
    };
  }

  /** The import through which trusted code calls a helper's numeric form: numbers both ways, no scratch area. */
  private numericTrampoline(h: NumericHelper): (pc: number, a1: number, a2: number, a3: number, a4: number, a5: number) => number {
    const fn = h.fn;
    return (pc, a1, a2, a3, a4, a5) => {
      this.pc = pc;
      return fn(this.env, a1, a2, a3, a4, a5);
    };
  }

  /** A load or store that missed the inline checks: find its region and make it the last hit, or fault. */
  private miss(pc: number, base: bigint, off: number, size: number, write: boolean): void {
    const u = u64(base);
    const r = checkedRegion(this.regions, pc, Number(u & 0xffffffffn), Number(u >> 32n), off, size, write);
    this.views.fresh().u32.set(lastHit(r), SCRATCH.region / 4);
  }

  private envAddress(addr: bigint, len: number, write: boolean): number {
    const u = u64(addr);
    // an address below 2^32 (all that can be mapped) converts without the BigInt masks
    const low = u <= U32_MAX;
    const lo = low ? Number(u) : Number(u & U32_MAX);
    checkedRegion(this.regions, this.pc, lo, low ? 0 : Number(u >> 32n), 0, len, write);
    return lo;
  }

  /**
   * Legacy LD_ABS / LD_IND, as the interpreter: big-endian bytes of the packet
   * at imm (+ the s32 index register); out of range ends the program with 0.
   */
  private loadPacket(pc: number, index: number): number {
    const v = packetLoad(this.views.fresh().u8, this.packet, this.insns[pc]!, index, pc);
    if (v === undefined) throw new HelperExit(0n);
    return v | 0;
  }
}

/**
 * A region as a last hit (start, length) for the inline checks. Their test
 * `a <= end - size` needs end >= 8 (no mapped region ends that low); for
 * another region, and for none, the empty region at 8: no access is in it.
 */
function lastHit(r: Region | undefined): [number, number] {
  return r && r.end >= 8 ? [r.start, r.end - r.start] : [8, 0];
}

/** The last hits a run starts with: the caller's first region for reads, and for writes if writable. */
function initialHits(r: Region | undefined): Uint32Array {
  return Uint32Array.from([...lastHit(r), ...lastHit(r?.writable ? r : undefined)]);
}

function unknownHelper(pc: number, id: number): never {
  throw new BpfError('EINVAL', `pc ${pc}: invalid func unknown#${id >>> 0} (no helper with that id)`);
}
