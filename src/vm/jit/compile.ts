import { Insn } from '../../isa/instruction.js';
import * as o from '../../isa/opcodes.js';
import { DecodedProgram, OP_COUNT, Op, decodeOps } from '../decode-ops.js';
import { MAX_CALL_FRAMES, MAY_GOTO_BUDGET, STACK_BYTES, STACK_SIZE } from '../interpreter.js';
import { Block, FunctionCfg, ProgramCfg, buildCfg, functionCfg, width } from './cfg.js';
import { Arena } from './arena.js';
import { BlockHooks, emitDispatch, emitStructured } from './structure.js';
import type { InlineLookup } from '../../maps/map.js';
import { HASH_LOOKUP_LOCALS, HASH_LOOKUP_PARAMS, HASH_LOOKUP_RESULTS, hashLookupCode } from './hash-lookup.js';
import { NEEDS_HELPER, STR_COPY_LOCALS, STR_COPY_PARAMS, STR_COPY_RESULTS, strCopyCode } from './str-copy.js';
import { Code, I32, I64, ModuleBuilder, OP, Opcode, ValType } from './wasm.js';

/**
 * eBPF → WebAssembly. One wasm function per eBPF function (slot 0 and every
 * local-call target), with signature (r0…r9, r10, depth) → (r0…r5): registers
 * are i64 locals, a local call is a wasm call (the callee's r6–r9 are its own
 * locals, so the caller's survive; r0–r5 come back as results, as the
 * interpreter leaves them). The exported `run(r1…r5, budget) → r0` starts
 * function 0 with r10 at the top of the stack; the exported `callback(k,
 * r1…r5, pc) → r0` runs the k-th callback target (callback.ts) for a helper
 * that calls back, one frame below the helper's caller.
 *
 * Semantics follow the interpreter (src/vm/interpreter.ts) exactly:
 * - every load and store is checked against the run's regions: inline against
 *   the engine's stack (constant bounds) and a last-hit region per direction
 *   (locals, mirrored in globals for the other functions), else the imported
 *   `missRead`/`missWrite`, which finds the region (and leaves its bounds in
 *   the scratch area) or throws EFAULT;
 * - the budget is charged per basic block (slots) and checked on every taken
 *   jump and local call, which gives the interpreter's count and its E2BIG at
 *   the same pc; a call of a helper that may call back first charges the
 *   block up to the call and leaves the budget and the frame depth in
 *   globals, where the callback takes them up, as the interpreter does;
 * - division guards: x/0 = 0, x%0 = x, INT_MIN s/ -1 = INT_MIN.
 *
 * Values cross between wasm and JS through a scratch area in the first page
 * of the memory, which is never mapped for programs (memory.ts): helper
 * arguments r1–r5 (read by JS as unsigned BigInts, no conversion call), the
 * bounds of a region found by a miss, and the budget left after a run. Each
 * is written right before control passes to the other side and read at once,
 * so engines sharing the memory (even nested runs) cannot disturb it.
 */

/**
 * Byte addresses of the scratch area: helper arguments (5 × u64), a region
 * found by a miss (start, length: u32), the budget left (f64), and the
 * last-hit regions a run starts with (read start, length, write start,
 * length: u32), which the engine sets to the caller's first region.
 */
export const SCRATCH = { args: 256, region: 296, budget: 304, initial: 312 } as const;

/**
 * What the engine provides as imports (module "env") after the memory; a
 * module imports only those its code calls. Each import costs V8 a wrapper
 * when the module compiles (measured: ~0.1 ms each, a large part of a small
 * program's compile), so the faults share one `trap` and the region misses
 * one `miss`.
 */
export const RUNTIME_IMPORTS = ['miss', 'trap', 'callx', 'loadPacket'] as const;

export type RuntimeImport = (typeof RUNTIME_IMPORTS)[number];

/** trap(kind, pc, arg): the faults that end a run. */
export const enum Trap {
  /** the budget ran out at pc */
  OutOfBudget,
  /** a call at pc would make frame `arg` */
  TooDeep,
  /** an unverified program ran past its last instruction (pc = n) */
  FellOff,
  /** a kfunc call (BTF id `arg`) */
  Kfunc,
  /** a call of helper `arg`, which is not registered */
  UnknownHelper,
}

/** Name of the import through which a static `call id` reaches helper `id`. */
export const helperImport = (id: number): string => `helper${id}`;

export interface CompileOptions {
  /** the engine's stack region: MAX_CALL_FRAMES × STACK_SIZE bytes ending at stackEnd */
  stackStart: number;
  stackEnd: number;
  /** whether a helper id is registered (unknown ids compile to an EINVAL trap at the call) */
  hasHelper(id: number): boolean;
  /** whether helper `id` may call back into the program (HelperEnv.callback); none when absent */
  callsBack?(id: number): boolean;
  /**
   * The arity of helper `id`'s numeric form (HelperDef.numeric), if it has
   * one; a trusted module calls that form, with i32 arguments and an i32
   * result, instead of passing BigInts through the scratch area.
   */
  numericArity?(id: number): number | undefined;
  /**
   * For a call of helper `id` with the constant map pointer `mapPtr` in r1:
   * the array layout when the call is map_lookup_elem on a map whose lookup
   * a trusted module computes inline (BpfMap.inlineLookup), else undefined.
   */
  inlineLookup?(id: number, mapPtr: number): InlineLookup | undefined;
  /** the map pointer r1 holds at helper call `pc` on every path, when the verifier knows it (VerifyResult.callMaps) */
  mapAtCall?(pc: number): number | undefined;
  /**
   * Memory every run may read (a tracing handler's record): a trusted
   * module copies a string from it inline (str-copy.ts) at a call of a
   * helper for which `readsString` holds (a probe_read*_str with a numeric
   * form), and calls the helper only for a string elsewhere.
   */
  stringWindow?: { start: number; end: number };
  readsString?(id: number): boolean;
  /**
   * The program passed the verifier: compile it trusted, with no region
   * checks (WebAssembly's own bounds check on the memory remains), no
   * instruction budget (the verifier proved termination) and no frame-depth
   * checks. Default false: checked, as the interpreter.
   */
  trusted?: boolean;
  /** Record where each instruction's code starts (Code.marks), for the text listing (wat.ts). */
  listing?: boolean;
}

export interface CompiledModule {
  bytes: Uint8Array<ArrayBuffer>;
  /** the module as built, for the text printer (wat.ts) */
  module: ModuleBuilder;
  /** wasm function index of each eBPF function, by its entry slot */
  functionIndex: ReadonlyMap<number, number>;
  /** helper ids imported, as helperImport(id) */
  helperIds: number[];
  functions: number;
  /** functions compiled as structured control flow (the others use a dispatch loop) */
  structured: number;
}

export function compileProgram(insns: readonly Insn[], options: CompileOptions): CompiledModule {
  return Arena.with((arena) => compileWith(insns, options, arena));
}

function compileWith(insns: readonly Insn[], options: CompileOptions, arena: Arena): CompiledModule {
  const prog = decodeOps(insns, (n) => arena.int32(n));
  const cfg = buildCfg(insns, prog, arena);
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory');
  const uses = programUses(prog, cfg, options, arena);
  const { helperIds, inlined } = uses;
  const imports = declareImports(m, runtimeImports(uses, options, cfg.callbacks.length > 0), helperIds, (id) => numericArity(options, id));
  const globals = new Globals(m);
  const [fnType, locals] = options.trusted ? [m.type(TRUSTED_PARAMS, [I64]), TRUSTED_LOCALS] : [m.type(CHECKED_PARAMS, CHECKED_RESULTS), LOCAL_TYPES];
  const fnIndex = new Map(cfg.entries.map((e) => [e, m.declareFunc(fnType, locals)]));
  const hashLookups = defineHashLookups(m, inlined);
  const strCopy = defineStrCopy(m, options, helperIds);
  const ctx: Context = { insns, prog, options, imports, globals, fnIndex, inlined, hashLookups, strCopy, mayGoto: uses.ops[Op.MAY_GOTO] === 1 };
  let structured = 0;
  for (const [entry, index] of fnIndex) {
    const f = new FunctionCompiler(ctx, functionCfg(cfg, entry, arena));
    m.defineFunc(index, f.compile());
    if (f.structured) structured++;
  }
  m.exportFunc('run', options.trusted ? trustedRun(m, ctx, fnType) : checkedRun(m, ctx));
  if (cfg.callbacks.length) {
    const callback = m.declareFunc(m.type([I32, ...Array<ValType>(5).fill(I64), I32], [I64]), [I32, I64]);
    m.defineFunc(callback, callbackDispatcher(ctx, cfg.callbacks.map((t) => fnIndex.get(t)!)));
    m.exportFunc('callback', callback);
  }
  return { bytes: m.encode(), module: m, functionIndex: fnIndex, helperIds, functions: fnIndex.size, structured };
}

interface Context {
  insns: readonly Insn[];
  prog: DecodedProgram;
  options: CompileOptions;
  imports: Record<string, number>;
  globals: Globals;
  fnIndex: Map<number, number>;
  /** helper calls compiled inline, by pc (programUses) */
  inlined: ReadonlyMap<number, InlineLookup>;
  /** the function that looks up each hash map of `inlined` (hash-lookup.ts) */
  hashLookups: ReadonlyMap<InlineLookup, number>;
  /** the function that copies a string from the string window (str-copy.ts), where calls may use it */
  strCopy: number | undefined;
  /** the code has may_goto: each run starts its counter afresh */
  mayGoto: boolean;
}

/** One lookup function per hash map the inline lookups search. */
function defineHashLookups(m: ModuleBuilder, inlined: ReadonlyMap<number, InlineLookup>): Map<InlineLookup, number> {
  const out = new Map<InlineLookup, number>();
  for (const l of inlined.values()) {
    if (l.kind !== 'hash' || out.has(l)) continue;
    const f = m.declareFunc(m.type(HASH_LOOKUP_PARAMS, HASH_LOOKUP_RESULTS), HASH_LOOKUP_LOCALS);
    m.defineFunc(f, hashLookupCode(l));
    out.set(l, f);
  }
  return out;
}

/** The string copy function, when trusted code calls a string-reading helper and has a window to copy from. */
function defineStrCopy(m: ModuleBuilder, options: CompileOptions, helperIds: readonly number[]): number | undefined {
  const window = options.stringWindow;
  if (!window || !helperIds.some((id) => copiesInline(options, id))) return undefined;
  const f = m.declareFunc(m.type(STR_COPY_PARAMS, STR_COPY_RESULTS), STR_COPY_LOCALS);
  m.defineFunc(f, strCopyCode(window));
  return f;
}

/** Whether a call of helper `id` tries the string copy first. */
const copiesInline = (options: CompileOptions, id: number): boolean => numericArity(options, id) === 3 && (options.readsString?.(id) ?? false);

/** What a program's code calls and touches, found in one pass over its slots. */
interface ProgramUses {
  /** 1 at each operation (Op) that occurs */
  ops: Uint8Array;
  /** the helpers the code calls, ascending (not counting calls compiled inline): one import each */
  helperIds: number[];
  /** a call of a helper that is not registered */
  unknownHelper: boolean;
  /** helper calls compiled inline, by pc (inlineLookup) */
  inlined: Map<number, InlineLookup>;
}

function programUses(prog: DecodedProgram, cfg: ProgramCfg, options: CompileOptions, arena: Arena): ProgramUses {
  const uses: ProgramUses = { ops: arena.uint8(OP_COUNT), helperIds: [], unknownHelper: false, inlined: new Map() };
  const n = prog.op.length;
  for (let i = 0; i < n; i += width(prog, i)) {
    const op = prog.op[i]!;
    uses.ops[op] = 1;
    if (op !== Op.CALL) continue;
    const id = prog.imm[i]!;
    const known = options.hasHelper(id);
    if (!known) uses.unknownHelper = true;
    const layout = inlineLookup(prog, cfg, options, i);
    if (layout) uses.inlined.set(i, layout);
    else if (known && !uses.helperIds.includes(id)) uses.helperIds.push(id);
  }
  uses.helperIds.sort((a, b) => a - b);
  return uses;
}

/**
 * The layout of the map a trusted module looks up inline at the helper
 * call `pc`: map_lookup_elem on an array or hash map (options.inlineLookup)
 * whose pointer r1 holds as a constant — loaded in the call's block, or
 * proved by the verifier on every path (options.mapAtCall) — as Linux's
 * fixups inline a lookup whose map the verifier knows.
 */
function inlineLookup(prog: DecodedProgram, cfg: ProgramCfg, options: CompileOptions, pc: number): InlineLookup | undefined {
  if (!options.trusted || !options.inlineLookup) return undefined;
  const ptr = constantR1(prog, cfg, pc) ?? options.mapAtCall?.(pc);
  return ptr === undefined ? undefined : options.inlineLookup(prog.imm[pc]!, ptr);
}

/** What r1 holds at `pc` when an `lddw r1` earlier in pc's block set it and nothing since wrote r1. */
function constantR1(prog: DecodedProgram, cfg: ProgramCfg, pc: number): number | undefined {
  let start = pc;
  while (!cfg.blockAt[start]) start--;
  let value: number | undefined;
  for (let k = start; k < pc; k += width(prog, k)) {
    if (prog.op[k] === Op.LDDW && prog.dst[k] === 1) value = prog.imm2[k] === 0 ? prog.imm[k]! >>> 0 : undefined;
    else if (mayWriteR1(prog, k)) value = undefined;
  }
  return value;
}

function mayWriteR1(prog: DecodedProgram, k: number): boolean {
  const op = prog.op[k] as Op;
  if (STORE_SIZE[op]! >= 0) return false;
  if (op === Op.ATOMIC) return prog.src[k] === 1;
  // calls and legacy packet loads clobber r1–r5
  if (op === Op.CALL || op === Op.CALLX || op === Op.KFUNC || op === Op.LDPKT) return true;
  return prog.dst[k] === 1;
}

/**
 * The runtime imports a program's code calls, each when its instructions
 * occur. Checked code always has `trap` (its faults need no analysis);
 * trusted code only for a kfunc, an unknown helper or a callback's depth
 * check: each import signature costs V8 a wrapper per module (measured
 * ~0.25 ms), the larger part of compiling a small program.
 */
function runtimeImports(uses: ProgramUses, options: CompileOptions, callbacks: boolean): RuntimeImport[] {
  const { ops } = uses;
  const memory = ops[Op.ATOMIC] || ops.some((used, op) => used && (LOAD_OP[op]! >= 0 || STORE_SIZE[op]! >= 0));
  const used: RuntimeImport[] = [];
  if (memory && !options.trusted) used.push('miss');
  if (!options.trusted || callbacks || uses.unknownHelper || ops[Op.KFUNC]) used.push('trap');
  if (ops[Op.CALLX]) used.push('callx');
  if (ops[Op.LDPKT]) used.push('loadPacket');
  return used;
}

/** The arity of the numeric form a trusted module calls helper `id` through, if any. */
export function numericArity(options: CompileOptions, id: number): number | undefined {
  return options.trusted ? options.numericArity?.(id) : undefined;
}

/** Parameter and result types of each runtime import; a module declares only the types of the imports it has. */
const RUNTIME_IMPORT_TYPES: Record<RuntimeImport, [ValType[], ValType[]]> = {
  // (pc, base, off, size | write << 8)
  miss: [[I32, I64, I32, I32], []],
  // (kind, pc, arg)
  trap: [[I32, I32, I32], []],
  callx: [[I32, I32], [I64]],
  loadPacket: [[I32, I32], [I32]],
};

function declareImports(m: ModuleBuilder, used: readonly RuntimeImport[], helperIds: readonly number[], arity: (id: number) => number | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of used) out[name] = m.importFunc('env', name, m.type(...RUNTIME_IMPORT_TYPES[name]));
  // (pc) → r0, or for a numeric form (pc, r1…r<arity> as i32) → r0 as i32
  for (const id of helperIds) {
    const n = arity(id);
    const type = n === undefined ? m.type([I32], [I64]) : m.type(Array<ValType>(n + 1).fill(I32), [I32]);
    out[helperImport(id)] = m.importFunc('env', helperImport(id), type);
  }
  return out;
}

/**
 * The module's globals, each declared at its first use: each costs V8 time
 * per module (measured ~1.5 µs), and trusted code uses one or two of the
 * seven (checked code keeps the budget and the last-hit regions in them).
 */
class Globals {
  private readonly index: Partial<Record<GlobalName, number>> = {};

  constructor(private readonly m: ModuleBuilder) {}

  get(name: GlobalName): number {
    return (this.index[name] ??= this.m.global(GLOBAL_TYPES[name]));
  }
}

/**
 * The globals and their types: the budget left, may_goto's counter, the
 * last-hit regions, and the frame depth of the last call of a helper that
 * may call back.
 */
const GLOBAL_TYPES = { budget: I64, mayGoto: I32, rdStart: I64, rdEnd: I64, wrStart: I64, wrEnd: I64, depth: I32 } as const;

type GlobalName = keyof typeof GLOBAL_TYPES;

/** run(r1…r5, budget): set the per-run globals, call function 0, leave the budget in the scratch area, return r0. */
function runWrapper(ctx: Context, entryFn: number): Code {
  const g = ctx.globals;
  const c = new Code();
  c.get(5).globalSet(g.get('budget'));
  if (ctx.mayGoto) c.i32(MAY_GOTO_BUDGET).globalSet(g.get('mayGoto'));
  const initial = (at: number, start: number, end: number): void => {
    c.i32(at).mem(OP.i64_load32_u).globalSet(start);
    c.globalGet(start).i32(at + 4).mem(OP.i64_load32_u).op(OP.i64_add).globalSet(end);
  };
  initial(SCRATCH.initial, g.get('rdStart'), g.get('rdEnd'));
  initial(SCRATCH.initial + 8, g.get('wrStart'), g.get('wrEnd'));
  callEntry(c, ctx, entryFn);
  c.i32(SCRATCH.budget).globalGet(g.get('budget')).op(OP.f64_convert_i64_s).mem(OP.f64_store);
  return c;
}

/**
 * run(fp, r1…r5) of a trusted module (entry.ts): the main function itself,
 * with no budget and no regions to set up — or, for a program with
 * may_goto, a wrapper that first sets its counter.
 */
function trustedRun(m: ModuleBuilder, ctx: Context, fnType: number): number {
  const main = ctx.fnIndex.get(0)!;
  if (!ctx.mayGoto) return main;
  const run = m.declareFunc(fnType, []);
  const c = new Code().i32(MAY_GOTO_BUDGET).globalSet(ctx.globals.get('mayGoto'));
  for (let p = 0; p < TRUSTED_PARAMS.length; p++) c.get(p);
  m.defineFunc(run, c.call(main));
  return run;
}

/** run(r1…r5, budget) of a checked module (runWrapper). */
function checkedRun(m: ModuleBuilder, ctx: Context): number {
  const run = m.declareFunc(m.type(Array<ValType>(6).fill(I64), [I64]), []);
  m.defineFunc(run, runWrapper(ctx, ctx.fnIndex.get(0)!));
  return run;
}

/** Call function 0 with r0 = 0, r1–r5 = the wrapper's first five parameters, r6–r9 = 0, r10 = the stack's top; leave its r0. */
function callEntry(c: Code, ctx: Context, entryFn: number): Code {
  c.i64(0);
  for (let r = 0; r < 5; r++) c.get(r);
  for (let r = 6; r < 10; r++) c.i64(0);
  c.i64(ctx.options.stackEnd).i32(0).call(entryFn);
  for (let r = 0; r < 5; r++) c.op(OP.drop);
  return c;
}

/**
 * callback(k, r1…r5, pc): call the k-th callback target one frame below the
 * depth its helper's call left in the global (E2BIG past MAX_CALL_FRAMES, at
 * the helper's pc), r0 and r6–r9 zero, and return its r0. The depth global
 * is restored for the helper's next callback; a budget the callback overran
 * ends the run at the helper's pc (exits do not check it, the caller does).
 */
function callbackDispatcher(ctx: Context, fns: readonly number[]): Code {
  const [K, PC, D, R0] = [0, 6, 7, 8];
  const g = ctx.globals;
  const c = new Code();
  c.globalGet(g.get('depth')).tee(D).i32(MAX_CALL_FRAMES - 1).op(OP.i32_ge_s).open(OP.if);
  c.i32(Trap.TooDeep).get(PC).get(D).i32(2).op(OP.i32_add).call(ctx.imports.trap!).op(OP.unreachable);
  c.op(OP.end);
  const frame = (): Code => c.i64(ctx.options.stackEnd - STACK_SIZE).get(D).op(OP.i64_extend_i32_u).i64(STACK_SIZE).op(OP.i64_mul, OP.i64_sub);
  fns.forEach((fn, k) => {
    c.get(K).i32(k).op(OP.i32_eq).open(OP.if);
    if (ctx.options.trusted) {
      frame();
      for (let r = 1; r <= 5; r++) c.get(r);
      c.call(fn);
    } else {
      c.i64(0);
      for (let r = 1; r <= 5; r++) c.get(r);
      for (let r = 6; r <= 9; r++) c.i64(0);
      frame();
      c.get(D).i32(1).op(OP.i32_add).call(fn);
      for (let r = 5; r >= 1; r--) c.op(OP.drop);
    }
    c.set(R0).op(OP.end);
  });
  c.get(D).globalSet(g.get('depth'));
  if (!ctx.options.trusted) {
    c.globalGet(g.get('budget')).i64(0).op(OP.i64_lt_s).open(OP.if);
    c.i32(Trap.OutOfBudget).get(PC).i32(0).call(ctx.imports.trap!).op(OP.unreachable);
    c.op(OP.end);
  }
  return c.get(R0);
}

/**
 * Locals of an eBPF function: r0–r10 (0–10) and depth (11), then these.
 * Checked code takes all of them as parameters, (r0…r9, r10, depth), and
 * returns r0–r5, since it must leave every register as the interpreter
 * does. Trusted code runs only what the verifier accepted, which never
 * reads r0 or r6–r9 on entry nor r1–r5 after a call: it takes r1–r5 and
 * returns r0 alone (a call with twelve values in and six out cost the
 * empty program ~5 ns of its ~17 per run), and its frame pointer arrives
 * in r0's place, moved to r10 first thing. Its depth is r10's distance
 * from the stack's top, computed where needed (handOver).
 */
const R10 = 10;
const DEPTH = 11;
const BUDGET = 12;
const RD_S = 13;
const RD_E = 14;
const WR_S = 15;
const WR_E = 16;
const ADDR = 17;
const T0 = 18;
const T1 = 19;
const NEXT = 20;
const TI = 21;
const LOCAL_TYPES: ValType[] = [I64, I64, I64, I64, I64, I64, I64, I64, I32, I32];
const CHECKED_PARAMS: ValType[] = [...Array<ValType>(11).fill(I64), I32];
const CHECKED_RESULTS: ValType[] = Array<ValType>(6).fill(I64);
const TRUSTED_PARAMS: ValType[] = Array<ValType>(6).fill(I64);
const TRUSTED_LOCALS: ValType[] = [I64, I64, I64, I64, I64, I32, ...LOCAL_TYPES, I32];
/** trusted code's frame bottom, r10 − STACK_SIZE as an i32: a stack access's address is it and a memarg offset */
const FRAME = 22;

/** Functions with more blocks than this use the dispatch loop (structuring recurses per block). */
const MAX_STRUCTURED_BLOCKS = 4000;


/** A table by Op (-1 for the operations not listed), so the per-instruction dispatch is an array read. */
function byOp(entries: Partial<Record<Op, number>>): Int16Array {
  const table = new Int16Array(OP_COUNT).fill(-1);
  for (const [op, value] of Object.entries(entries)) table[Number(op)] = value!;
  return table;
}

const BIN64 = byOp({
  [Op.ADD64]: OP.i64_add, [Op.SUB64]: OP.i64_sub, [Op.MUL64]: OP.i64_mul, [Op.OR64]: OP.i64_or,
  [Op.AND64]: OP.i64_and, [Op.XOR64]: OP.i64_xor, [Op.LSH64]: OP.i64_shl, [Op.RSH64]: OP.i64_shr_u,
  [Op.ARSH64]: OP.i64_shr_s,
});

const BIN32 = byOp({
  [Op.ADD32]: OP.i32_add, [Op.SUB32]: OP.i32_sub, [Op.MUL32]: OP.i32_mul, [Op.OR32]: OP.i32_or,
  [Op.AND32]: OP.i32_and, [Op.XOR32]: OP.i32_xor, [Op.LSH32]: OP.i32_shl, [Op.RSH32]: OP.i32_shr_u,
  [Op.ARSH32]: OP.i32_shr_s,
});

/** Division family, as bits: 64-bit, signed, division (else modulo). */
const WIDE = 1;
const SIGNED = 2;
const DIV = 4;
const DIVS = byOp({
  [Op.DIV64]: WIDE | DIV, [Op.SDIV64]: WIDE | SIGNED | DIV, [Op.MOD64]: WIDE, [Op.SMOD64]: WIDE | SIGNED,
  [Op.DIV32]: DIV, [Op.SDIV32]: SIGNED | DIV, [Op.MOD32]: 0, [Op.SMOD32]: SIGNED,
});

/** Loads: the wasm op, and the bytes read. */
const LOAD_OP = byOp({
  [Op.LDXB]: OP.i64_load8_u, [Op.LDXH]: OP.i64_load16_u, [Op.LDXW]: OP.i64_load32_u, [Op.LDXDW]: OP.i64_load,
  [Op.LDXSB]: OP.i64_load8_s, [Op.LDXSH]: OP.i64_load16_s, [Op.LDXSW]: OP.i64_load32_s,
});
const LOAD_SIZE = byOp({ [Op.LDXB]: 1, [Op.LDXH]: 2, [Op.LDXW]: 4, [Op.LDXDW]: 8, [Op.LDXSB]: 1, [Op.LDXSH]: 2, [Op.LDXSW]: 4 });

/** Stores: the bytes written. */
const STORE_SIZE = byOp({ [Op.STB]: 1, [Op.STH]: 2, [Op.STW]: 4, [Op.STDW]: 8 });

const LOAD_U: Record<number, Opcode> = { 1: OP.i64_load8_u, 2: OP.i64_load16_u, 4: OP.i64_load32_u, 8: OP.i64_load };
const STORE: Record<number, Opcode> = { 1: OP.i64_store8, 2: OP.i64_store16, 4: OP.i64_store32, 8: OP.i64_store };

/** Conditional jumps: the wasm compare, marked compare64() when 64-bit; JSET is `and` then non-zero. */
const WIDE_COMPARE = 0x100;
const compare64 = (cmp: Opcode): number => cmp | WIDE_COMPARE;
const CONDS = byOp({
  [Op.JEQ64]: compare64(OP.i64_eq), [Op.JNE64]: compare64(OP.i64_ne), [Op.JGT64]: compare64(OP.i64_gt_u), [Op.JGE64]: compare64(OP.i64_ge_u),
  [Op.JLT64]: compare64(OP.i64_lt_u), [Op.JLE64]: compare64(OP.i64_le_u), [Op.JSGT64]: compare64(OP.i64_gt_s), [Op.JSGE64]: compare64(OP.i64_ge_s),
  [Op.JSLT64]: compare64(OP.i64_lt_s), [Op.JSLE64]: compare64(OP.i64_le_s), [Op.JSET64]: compare64(OP.i64_and),
  [Op.JEQ32]: OP.i32_eq, [Op.JNE32]: OP.i32_ne, [Op.JGT32]: OP.i32_gt_u, [Op.JGE32]: OP.i32_ge_u,
  [Op.JLT32]: OP.i32_lt_u, [Op.JLE32]: OP.i32_le_u, [Op.JSGT32]: OP.i32_gt_s, [Op.JSGE32]: OP.i32_ge_s,
  [Op.JSLT32]: OP.i32_lt_s, [Op.JSLE32]: OP.i32_le_s, [Op.JSET32]: OP.i32_and,
});

class FunctionCompiler implements BlockHooks {
  private code: Code;
  structured = false;
  /** the first slot of the current block not charged to the budget yet */
  private charged = 0;
  private readonly trusted: boolean;
  readonly checksTaken: boolean;

  constructor(private readonly ctx: Context, private readonly f: FunctionCfg) {
    this.trusted = ctx.options.trusted ?? false;
    this.checksTaken = !this.trusted;
    this.code = this.freshCode();
  }

  /** A body sized for the function: about the bytes per slot the compiler emits (measured: 9 trusted, 26 checked). */
  private freshCode(): Code {
    let slots = 0;
    for (const b of this.f.order) slots += b.end - b.start;
    return new Code(64 + slots * (this.trusted ? 12 : 32), this.ctx.options.listing);
  }

  compile(): Code {
    if (this.f.reducible && this.f.order.length <= MAX_STRUCTURED_BLOCKS) {
      try {
        this.prologue();
        emitStructured(this.code, this.f, this);
        this.structured = true;
        return this.code;
      } catch (e) {
        if (!(e instanceof RangeError)) throw e; // too deep to recurse: fall back
        this.code = this.freshCode();
      }
    }
    this.prologue();
    emitDispatch(this.code, this.f, this, NEXT);
    return this.code;
  }

  private prologue(): void {
    if (this.trusted) {
      this.code.get(0).tee(R10).op(OP.i32_wrap_i64).i32(STACK_SIZE).op(OP.i32_sub).set(FRAME);
      return;
    }
    this.code.globalGet(this.ctx.globals.get('budget')).set(BUDGET);
    this.reloadCache();
  }

  private reloadCache(): void {
    const g = this.ctx.globals;
    const c = this.code;
    c.globalGet(g.get('rdStart')).set(RD_S).globalGet(g.get('rdEnd')).set(RD_E);
    c.globalGet(g.get('wrStart')).set(WR_S).globalGet(g.get('wrEnd')).set(WR_E);
  }

  // ---- block hooks ----

  body(b: Block): void {
    const { prog } = this.ctx;
    if (b.kind === 'felloff') return this.trap(Trap.FellOff, b.start);
    this.charged = b.start;
    for (let i = b.start; i < b.end; i += width(prog, i)) {
      if (i === b.last && b.kind !== 'fall') break;
      this.code.mark(i);
      this.insn(i);
    }
    // the block's budget charge and its jump, exit or call belong to its last instruction
    if (b.kind !== 'fall') this.code.mark(b.last);
    this.charge(b.end);
    if (b.kind === 'exit') this.exit();
    if (b.kind === 'call') this.localCall(b.last, b.target);
  }

  condition(b: Block): void {
    if (b.kind === 'maygoto') {
      this.code.globalGet(this.ctx.globals.get('mayGoto')).op(OP.i32_eqz);
      return;
    }
    const i = b.last;
    const cond = CONDS[this.ctx.prog.op[i]!]!;
    const cmp = (cond & 0xff) as Opcode;
    const wide = cond >= WIDE_COMPARE;
    const d = this.ctx.prog.dst[i]!;
    if (wide) {
      this.code.get(d);
      this.operand64(i);
      this.code.op(cmp);
      if (cmp === OP.i64_and) this.code.op(OP.i64_eqz, OP.i32_eqz);
    } else {
      this.code.get(d).op(OP.i32_wrap_i64);
      this.operand32(i);
      this.code.op(cmp);
    }
  }

  taken(b: Block): void {
    this.budgetCheck(b.last);
  }

  notTaken(b: Block): void {
    if (b.kind !== 'maygoto') return;
    const g = this.ctx.globals.get('mayGoto');
    this.code.globalGet(g).i32(1).op(OP.i32_sub).globalSet(g);
  }

  // ---- control ----

  /** Charge the budget for the block's slots up to `end`. */
  private charge(end: number): void {
    if (end > this.charged && !this.trusted) this.code.get(BUDGET).i64(end - this.charged).op(OP.i64_sub).set(BUDGET);
    this.charged = end;
  }

  private budgetCheck(pc: number): void {
    if (this.trusted) return;
    this.code.get(BUDGET).i64(0).op(OP.i64_lt_s).open(OP.if);
    this.trap(Trap.OutOfBudget, pc);
    this.code.op(OP.end);
  }

  private exit(): void {
    const c = this.code;
    if (this.trusted) {
      c.get(0).op(OP.return);
      return;
    }
    c.get(BUDGET).globalSet(this.ctx.globals.get('budget'));
    for (let r = 0; r <= 5; r++) c.get(r);
    c.op(OP.return);
  }

  /**
   * Depth check, budget check, then the callee with r10 one frame down; r0–r5
   * come back. Trusted code has neither check (the verifier bounded the depth
   * — no recursion, at most MAX_CALL_FRAMES — and proved termination) and
   * passes r1–r5 for r0 alone.
   */
  private localCall(pc: number, callee: number): void {
    const c = this.code;
    const fn = this.ctx.fnIndex.get(callee)!;
    if (this.trusted) {
      c.get(R10).i64(STACK_SIZE).op(OP.i64_sub);
      for (let r = 1; r <= 5; r++) c.get(r);
      c.call(fn).set(0);
      return;
    }
    c.get(DEPTH).i32(MAX_CALL_FRAMES - 1).op(OP.i32_ge_s).open(OP.if);
    c.i32(Trap.TooDeep).i32(pc).get(DEPTH).i32(2).op(OP.i32_add).call(this.ctx.imports.trap!).op(OP.unreachable);
    c.op(OP.end);
    this.budgetCheck(pc);
    c.get(BUDGET).globalSet(this.ctx.globals.get('budget'));
    for (let r = 0; r < 10; r++) c.get(r);
    c.get(R10).i64(STACK_SIZE).op(OP.i64_sub).get(DEPTH).i32(1).op(OP.i32_add).call(fn);
    for (let r = 5; r >= 0; r--) c.set(r);
    c.globalGet(this.ctx.globals.get('budget')).set(BUDGET);
    this.reloadCache();
  }

  /**
   * Call the trap import, which throws; the code after it is unreachable.
   * Trusted code without the import (runtimeImports) reaches no trap but
   * fell-off blocks the verifier ruled out: WebAssembly's own trap serves.
   */
  private trap(kind: Trap, pc: number, arg = 0): void {
    const imp = this.ctx.imports.trap;
    if (imp !== undefined) this.code.i32(kind).i32(pc).i32(arg).call(imp);
    this.code.op(OP.unreachable);
  }

  // ---- operands ----

  /** The value of the constant slot `s` (≥ 11) as a signed 64-bit integer. */
  private constant(s: number): bigint {
    const p = this.ctx.prog;
    return (BigInt(p.constHi[s - 11]!) << 32n) | BigInt(p.constLo[s - 11]! >>> 0);
  }

  private operand64(i: number): void {
    const p = this.ctx.prog;
    const s = p.src[i]!;
    if (s <= 10) this.code.get(s);
    else if (p.constHi[s - 11] === p.constLo[s - 11]! >> 31) this.code.i64(p.constLo[s - 11]!); // a sign-extended imm
    else this.code.i64(this.constant(s));
  }

  private operand32(i: number): void {
    const s = this.ctx.prog.src[i]!;
    if (s > 10) this.code.i32(this.ctx.prog.constLo[s - 11]!);
    else this.code.get(s).op(OP.i32_wrap_i64);
  }

  /** Constant operand of instruction i, if it has one: 64-bit value for wide ops, else the low 32 bits (signed). */
  private constOperand(i: number, wide: boolean): bigint | undefined {
    const s = this.ctx.prog.src[i]!;
    if (s <= 10) return undefined;
    return wide ? BigInt.asIntN(64, this.constant(s)) : BigInt(this.ctx.prog.constLo[s - 11]! | 0);
  }

  // ---- instructions ----

  private insn(i: number): void {
    const op = this.ctx.prog.op[i]!;
    if (BIN64[op]! >= 0) return this.binary64(i, BIN64[op] as Opcode);
    if (BIN32[op]! >= 0) return this.binary32(i, BIN32[op] as Opcode);
    if (LOAD_OP[op]! >= 0) return this.load(i, LOAD_SIZE[op]!, LOAD_OP[op] as Opcode);
    if (STORE_SIZE[op]! >= 0) return this.store(i, STORE_SIZE[op]!);
    const div = DIVS[op]!;
    if (div >= 0) return this.division(i, (div & WIDE) !== 0, (div & SIGNED) !== 0, (div & DIV) !== 0);
    this.other(i, op);
  }

  private other(i: number, op: Op): void {
    const { prog } = this.ctx;
    const c = this.code;
    const d = prog.dst[i]!;
    const s = prog.src[i]!;
    switch (op) {
      case Op.MOV64:
        this.operand64(i);
        return void c.set(d);
      case Op.MOV32:
        this.operand32(i);
        return void c.op(OP.i64_extend_i32_u).set(d);
      case Op.NEG64:
        return void c.i64(0).get(d).op(OP.i64_sub).set(d);
      case Op.NEG32:
        return void c.i32(0).get(d).op(OP.i32_wrap_i64, OP.i32_sub, OP.i64_extend_i32_u).set(d);
      case Op.MOVSX8_64:
        return void c.get(s).op(OP.i64_extend8_s).set(d);
      case Op.MOVSX16_64:
        return void c.get(s).op(OP.i64_extend16_s).set(d);
      case Op.MOVSX32_64:
        return void c.get(s).op(OP.i64_extend32_s).set(d);
      case Op.MOVSX8_32:
        return void c.get(s).op(OP.i32_wrap_i64, OP.i32_extend8_s, OP.i64_extend_i32_u).set(d);
      case Op.MOVSX16_32:
        return void c.get(s).op(OP.i32_wrap_i64, OP.i32_extend16_s, OP.i64_extend_i32_u).set(d);
      // to-LE on the little-endian host: le16 truncates, le32 is a MOV32 of dst onto itself, le64 does nothing (decode-ops.ts)
      case Op.LE16:
        return void c.get(d).i64(0xffff).op(OP.i64_and).set(d);
      case Op.NOP:
        return;
      case Op.BSWAP16:
      case Op.BSWAP32:
      case Op.BSWAP64:
        return this.byteSwap(d, op);
      case Op.LDDW:
        return void c.i64((BigInt(prog.imm2[i]!) << 32n) | BigInt(prog.imm[i]! >>> 0)).set(d);
      case Op.ATOMIC:
        return this.atomic(i);
      case Op.LDPKT:
        return this.packetLoad(i);
      case Op.CALL:
        return this.helperCall(i);
      case Op.CALLX:
        // the helper is known only at run time: it may be one that calls back
        this.handOver(i);
        this.spillArgs();
        c.i32(i).get(d).op(OP.i32_wrap_i64).call(this.ctx.imports.callx!).set(0);
        this.takeBack();
        return this.forgetCache();
      case Op.KFUNC:
        return this.trap(Trap.Kfunc, i, prog.imm[i]!);
      default:
        throw new Error(`jit: no translation for operation ${op} at pc ${i}`);
    }
  }

  private binary64(i: number, wop: Opcode): void {
    const d = this.ctx.prog.dst[i]!;
    this.code.get(d);
    this.operand64(i);
    this.code.op(wop).set(d);
  }

  private binary32(i: number, wop: Opcode): void {
    const d = this.ctx.prog.dst[i]!;
    this.code.get(d).op(OP.i32_wrap_i64);
    this.operand32(i);
    this.code.op(wop, OP.i64_extend_i32_u).set(d);
  }

  /**
   * DIV/SDIV/MOD/SMOD guarded against wasm's traps: x/0 = 0, x%0 = x, and
   * INT_MIN s/ -1 = INT_MIN (computed as 0 - x). s% -1 does not trap in wasm.
   */
  private division(i: number, wide: boolean, signed: boolean, div: boolean): void {
    const d = this.ctx.prog.dst[i]!;
    const k = this.constOperand(i, wide);
    if (k !== undefined) return this.divisionByConstant(d, k, wide, signed, div);
    const c = this.code;
    const t = wide ? T0 : TI;
    const w = wide ? W64 : W32;
    this.operand(i, wide);
    c.set(t);
    // the special divisors: 0, and for signed division -1 too (divisor + 1 <= 1, unsigned)
    c.get(t);
    if (signed && div) {
      w.konst(c, 1).op(w.add);
      w.konst(c, 1).op(w.le_u);
    } else c.op(w.eqz);
    c.open(OP.if, w.type);
    if (!div) this.dst(d, wide);
    else if (!signed) w.konst(c, 0);
    else { w.konst(c, 0); w.konst(c, 0); this.dst(d, wide); c.op(w.sub).get(t).op(w.eqz, OP.select); }
    c.op(OP.else);
    this.dst(d, wide);
    c.get(t).op(divOp(wide, signed, div)).op(OP.end);
    if (!wide) c.op(OP.i64_extend_i32_u);
    c.set(d);
  }

  private divisionByConstant(d: number, k: bigint, wide: boolean, signed: boolean, div: boolean): void {
    const c = this.code;
    const w = wide ? W64 : W32;
    if (k === 0n) {
      if (div) c.i64(0).set(d);
      else if (!wide) c.get(d).op(OP.i32_wrap_i64, OP.i64_extend_i32_u).set(d);
      return;
    }
    if (signed && div && k === -1n) {
      w.konst(c, 0);
      this.dst(d, wide);
      c.op(w.sub);
    } else {
      this.dst(d, wide);
      w.konst(c, k);
      c.op(divOp(wide, signed, div));
    }
    if (!wide) c.op(OP.i64_extend_i32_u);
    c.set(d);
  }

  private operand(i: number, wide: boolean): void {
    if (wide) this.operand64(i);
    else this.operand32(i);
  }

  /** dst as the operation's width: the i64 local, or its low 32 bits. */
  private dst(d: number, wide: boolean): void {
    this.code.get(d);
    if (!wide) this.code.op(OP.i32_wrap_i64);
  }

  /** be16/32/64 and bswap: reverse the low bytes of dst. */
  private byteSwap(d: number, op: Op.BSWAP16 | Op.BSWAP32 | Op.BSWAP64): void {
    const c = this.code;
    if (op === Op.BSWAP16) {
      c.get(d).op(OP.i32_wrap_i64).tee(TI).i32(8).op(OP.i32_shl).i32(0xff00).op(OP.i32_and);
      c.get(TI).i32(8).op(OP.i32_shr_u).i32(0xff).op(OP.i32_and, OP.i32_or, OP.i64_extend_i32_u).set(d);
    } else if (op === Op.BSWAP32) {
      c.get(d).op(OP.i32_wrap_i64);
      this.bswap32();
      c.op(OP.i64_extend_i32_u).set(d);
    } else {
      c.get(d).op(OP.i32_wrap_i64);
      this.bswap32();
      c.op(OP.i64_extend_i32_u).i64(32).op(OP.i64_shl);
      c.get(d).i64(32).op(OP.i64_shr_u, OP.i32_wrap_i64);
      this.bswap32();
      c.op(OP.i64_extend_i32_u, OP.i64_or).set(d);
    }
  }

  /** Reverse the bytes of the i32 on the stack: (rotl 8 & 0x00ff00ff) | (rotr 8 & 0xff00ff00). */
  private bswap32(): void {
    const c = this.code;
    c.tee(TI).i32(8).op(OP.i32_rotl).i32(0x00ff00ff).op(OP.i32_and);
    c.get(TI).i32(8).op(OP.i32_rotr).i32(0xff00ff00 | 0).op(OP.i32_and, OP.i32_or);
  }

  // ---- memory ----

  /**
   * ADDR = base + off, checked for a `size`-byte read or write: the stack
   * (constant bounds) and the last-hit region inline, else the miss import.
   * A frame-pointer base tries the stack first.
   */
  private check(pc: number, base: number, off: number, size: number, write: boolean): void {
    const c = this.code;
    c.get(base);
    if (off !== 0) c.i64(off).op(OP.i64_add);
    c.set(ADDR);
    if (this.trusted) return;
    c.open(OP.block);
    const stack = (): void => {
      c.get(ADDR).i64(this.ctx.options.stackStart).op(OP.i64_sub).i64(STACK_BYTES - size).op(OP.i64_le_u).brIf(0);
    };
    const [lo, hi] = write ? [WR_S, WR_E] : [RD_S, RD_E];
    const cached = (): void => {
      c.get(ADDR).get(lo).op(OP.i64_ge_u).get(ADDR).get(hi).i64(size).op(OP.i64_sub, OP.i64_le_u, OP.i32_and).brIf(0);
    };
    if (base === R10) { stack(); cached(); } else { cached(); stack(); }
    c.i32(pc).get(base).i32(off).i32(size | (write ? 0x100 : 0)).call(this.ctx.imports.miss!);
    const g = this.ctx.globals;
    c.i32(SCRATCH.region).mem(OP.i64_load32_u).tee(lo).globalSet(write ? g.get('wrStart') : g.get('rdStart'));
    c.get(lo).i32(SCRATCH.region + 4).mem(OP.i64_load32_u).op(OP.i64_add).tee(hi).globalSet(write ? g.get('wrEnd') : g.get('rdEnd'));
    c.op(OP.end);
  }

  /** The checked address as the wasm i32 address operand. */
  private address(): void {
    this.code.get(ADDR).op(OP.i32_wrap_i64);
  }

  /**
   * Leave the i32 address of a plain load or store on the stack and return
   * the memarg offset that goes with it. Trusted code uses the register as
   * it is and a non-negative offset as the memarg's (the verifier proved
   * base + off is an address of the access's region, so no wrap happens).
   */
  private access(pc: number, base: number, off: number, size: number, write: boolean): number {
    if (!this.trusted) {
      this.check(pc, base, off, size, write);
      this.address();
      return 0;
    }
    if (base === R10 && off >= -STACK_SIZE && off < 0) {
      this.code.get(FRAME);
      return STACK_SIZE + off;
    }
    this.code.get(base).op(OP.i32_wrap_i64);
    if (off >= 0) return off;
    this.code.i32(off).op(OP.i32_add);
    return 0;
  }

  private load(i: number, size: number, wop: Opcode): void {
    const p = this.ctx.prog;
    const off = this.access(i, p.src[i]!, p.off[i]!, size, false);
    this.code.mem(wop, off).set(p.dst[i]!);
  }

  private store(i: number, size: number): void {
    const p = this.ctx.prog;
    const off = this.access(i, p.dst[i]!, p.off[i]!, size, true);
    this.operand64(i);
    this.code.mem(STORE[size]!, off);
  }

  /**
   * Atomics with single-threaded semantics: load, operate, store. 32-bit
   * forms load zero-extended and store the low half, so any value written to
   * a register is zero-extended. Load-acquire / store-release are a plain
   * load / store.
   */
  private atomic(i: number): void {
    const { dst: d, src: s, off, imm, code: opc } = this.ctx.insns[i]!;
    const size = o.sizeBytes(opc);
    const c = this.code;
    if (imm === o.BPF_LOAD_ACQ) {
      this.check(i, s, off, size, false);
      this.address();
      return void c.mem(LOAD_U[size]!).set(d);
    }
    this.check(i, d, off, size, true);
    if (imm === o.BPF_STORE_REL) {
      this.address();
      return void c.get(s).mem(STORE[size]!);
    }
    // T0 = old value, T1 = src as stored
    this.address();
    c.mem(LOAD_U[size]!).set(T0);
    c.get(s);
    if (size === 4) c.i64(0xffffffff).op(OP.i64_and);
    c.set(T1);
    if (imm === o.BPF_CMPXCHG) return this.compareExchange(size);
    this.address();
    if (imm === o.BPF_XCHG) c.get(T1);
    else c.get(T0).get(T1).op(ATOMIC_OPS[imm & ~o.BPF_FETCH]!);
    c.mem(STORE[size]!);
    if (imm & o.BPF_FETCH) c.get(T0).set(s);
  }

  private compareExchange(size: number): void {
    const c = this.code;
    c.get(T0).get(0);
    if (size === 4) c.i64(0xffffffff).op(OP.i64_and);
    c.op(OP.i64_eq).open(OP.if);
    this.address();
    c.get(T1).mem(STORE[size]!).op(OP.end);
    c.get(T0).set(0);
  }

  // ---- calls ----

  private helperCall(i: number): void {
    const layout = this.ctx.inlined.get(i);
    if (layout) return this.inlineLookup(layout);
    const id = this.ctx.prog.imm[i]!;
    const imp = this.ctx.imports[helperImport(id)];
    if (imp === undefined) return this.trap(Trap.UnknownHelper, i, id);
    const arity = numericArity(this.ctx.options, id);
    if (arity !== undefined) {
      const copy = this.ctx.strCopy !== undefined && copiesInline(this.ctx.options, id);
      // the string copied inline leaves r0 and skips the call; NEEDS_HELPER falls through to it
      if (copy) this.code.open(OP.block).get(1).op(OP.i32_wrap_i64).get(2).op(OP.i32_wrap_i64).get(3).call(this.ctx.strCopy!).tee(0).i64(NEEDS_HELPER).op(OP.i64_ne).brIf(0);
      this.code.i32(i);
      // an argument of 2^32 or more (an unsafe pointer no mapped byte has) arrives as 0xffffffff, which no mapped byte has either
      for (let r = 1; r <= arity; r++) this.code.i32(-1).get(r).op(OP.i32_wrap_i64).get(r).i64(0xffffffff).op(OP.i64_gt_u, OP.select);
      this.code.call(imp).op(OP.i64_extend_i32_s).set(0);
      if (copy) this.code.op(OP.end);
      return;
    }
    const callsBack = this.ctx.options.callsBack?.(id) ?? false;
    if (callsBack) this.handOver(i);
    this.spillArgs();
    this.code.i32(i).call(imp).set(0);
    if (callsBack) this.takeBack();
    this.forgetCache();
  }

  /**
   * r0 = the value of the key at r2: in an array, of the u32 key if below
   * max_entries, else 0 (Linux's array_map_gen_lookup); in a hash map, what
   * the map's lookup function finds (hash-lookup.ts).
   */
  private inlineLookup(l: InlineLookup): void {
    const c = this.code;
    if (l.kind === 'hash') {
      c.get(2).op(OP.i32_wrap_i64).call(this.ctx.hashLookups.get(l)!).op(OP.i64_extend_i32_u).set(0);
      return;
    }
    c.get(2).op(OP.i32_wrap_i64).mem(OP.i64_load32_u).set(T0);
    c.get(T0).i64(l.stride).op(OP.i64_mul).i64(l.values).op(OP.i64_add).i64(0);
    c.get(T0).i64(l.maxEntries).op(OP.i64_lt_u).op(OP.select).set(0);
  }

  /**
   * Before a helper that may call back: charge the block through the call
   * and leave the budget and this frame's depth where a callback
   * (callbackDispatcher) takes them up.
   */
  private handOver(i: number): void {
    this.charge(i + 1);
    const g = this.ctx.globals;
    if (this.trusted) {
      this.code.i64(this.ctx.options.stackEnd).get(R10).op(OP.i64_sub).i64(STACK_SIZE).op(OP.i64_div_u, OP.i32_wrap_i64).globalSet(g.get('depth'));
      return;
    }
    this.code.get(BUDGET).globalSet(g.get('budget'));
    this.code.get(DEPTH).globalSet(g.get('depth'));
  }

  /** After it: the budget its callbacks left. */
  private takeBack(): void {
    if (!this.trusted) this.code.globalGet(this.ctx.globals.get('budget')).set(BUDGET);
  }

  /**
   * A helper may move a region (xdp_adjust_head moves the packet), so after
   * one the last-hit regions must miss until looked up again: start = end =
   * all ones fails `start <= addr <= end - size` for every address and size.
   */
  private forgetCache(): void {
    if (this.trusted) return;
    const g = this.ctx.globals;
    const c = this.code;
    for (const [local, global] of [[RD_S, g.get('rdStart')], [RD_E, g.get('rdEnd')], [WR_S, g.get('wrStart')], [WR_E, g.get('wrEnd')]] as const) {
      c.i64(-1n).tee(local).globalSet(global);
    }
  }

  /** r1–r5 into the scratch area, where the engine reads them as unsigned BigInts. */
  private spillArgs(): void {
    for (let r = 1; r <= 5; r++) this.code.i32(SCRATCH.args + 8 * (r - 1)).get(r).mem(OP.i64_store);
  }

  /** LD_ABS / LD_IND: r0 = the big-endian packet bytes (the import ends the run when out of range); r1–r5 = 0. */
  private packetLoad(i: number): void {
    const ins = this.ctx.insns[i]!;
    const c = this.code;
    c.i32(i);
    if (o.mode(ins.code) === o.BPF_IND) c.get(ins.src).op(OP.i32_wrap_i64);
    else c.i32(0);
    c.call(this.ctx.imports.loadPacket!).op(OP.i64_extend_i32_u).set(0);
    for (let r = 1; r <= 5; r++) c.i64(0).set(r);
  }
}

const ATOMIC_OPS: Record<number, Opcode> = { [o.BPF_ADD]: OP.i64_add, [o.BPF_OR]: OP.i64_or, [o.BPF_AND]: OP.i64_and, [o.BPF_XOR]: OP.i64_xor };

function divOp(wide: boolean, signed: boolean, div: boolean): Opcode {
  if (wide) return div ? (signed ? OP.i64_div_s : OP.i64_div_u) : signed ? OP.i64_rem_s : OP.i64_rem_u;
  return div ? (signed ? OP.i32_div_s : OP.i32_div_u) : signed ? OP.i32_rem_s : OP.i32_rem_u;
}

/** The opcodes of one operand width, for code shared between 32- and 64-bit forms. */
interface Width {
  type: ValType;
  add: Opcode;
  sub: Opcode;
  eqz: Opcode;
  le_u: Opcode;
  konst(c: Code, v: bigint | number): Code;
}

const W64: Width = { type: I64, add: OP.i64_add, sub: OP.i64_sub, eqz: OP.i64_eqz, le_u: OP.i64_le_u, konst: (c, v) => c.i64(v) };
const W32: Width = { type: I32, add: OP.i32_add, sub: OP.i32_sub, eqz: OP.i32_eqz, le_u: OP.i32_le_u, konst: (c, v) => c.i32(Number(BigInt.asIntN(32, BigInt(v)))) };
