import { Code, I32, I64, ModuleBuilder, OP, ValType } from './wasm.js';

/** A trusted module's run(frame pointer, r1…r5) → r0 (compile.ts). */
export type TrustedRun = (fp: bigint, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

type Enter = (slot: number, fp: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;
type EnterCtx = (slot: number, fp: number, r1: number) => number;

/**
 * The one function through which JavaScript enters every trusted program of
 * an address space: enter(slot, fp, r1…r5) does a call_indirect of the
 * program's run through a table, with the frame pointer (the top of the
 * caller's stack region, below 2^32) as run's first argument: run is the
 * program's main function itself unless it needs per-run setup (measured
 * ~2 ns per call less than a wrapper that supplied the frame pointer). V8 makes a JS → wasm call cheap (~10 ns) only where
 * the call site always sees the same wasm function; an engine's run() is
 * one call site for every program, and calling a different wasm function
 * there each time cost ~45 ns per call on this machine, against ~15 ns
 * through this entry. One entry per memory, so engines of one Runtime share
 * it and its table lives as long as the memory.
 *
 * enterCtx(slot, fp, r1) is the same call for the common case of one argument
 * below 2^32 (a context address), with r2–r5 zero, and numbers both ways:
 * it returns r0's low 32 bits and keeps the high ones for high(). No BigInt
 * is made, so a run allocates nothing (measured ~6.5 against ~9 ns per call
 * for five BigInts in, and no garbage for the collector's threads).
 */
export class Entry {
  private static readonly byMemory = new WeakMap<WebAssembly.Memory, Entry>();
  readonly enter: Enter;
  readonly enterCtx: EnterCtx;
  /** the high 32 bits of r0 of the last enterCtx on this memory */
  readonly high: () => number;
  private readonly table = new WebAssembly.Table({ element: 'anyfunc', initial: 4 });
  private used = 0;
  /** slots given back (remove), taken again before the table grows */
  private readonly free: number[] = [];

  private constructor() {
    const m = new ModuleBuilder();
    m.importTable('env', 'table');
    const args: ValType[] = [I64, I64, I64, I64, I64];
    const run = m.type([I64, ...args], [I64]);
    const enter = m.declareFunc(m.type([I32, I32, ...args], [I64]), []);
    const c = new Code().get(1).op(OP.i64_extend_i32_u);
    for (let r = 1; r <= 5; r++) c.get(r + 1);
    m.defineFunc(enter, c.get(0).callIndirect(run));
    m.exportFunc('enter', enter);
    const hi = m.global(I32);
    const R0 = 3;
    const enterCtx = m.declareFunc(m.type([I32, I32, I32], [I32]), [I64]);
    const d = new Code().get(1).op(OP.i64_extend_i32_u).get(2).op(OP.i64_extend_i32_u);
    for (let r = 2; r <= 5; r++) d.i64(0);
    d.get(0).callIndirect(run).tee(R0).i64(32).op(OP.i64_shr_u, OP.i32_wrap_i64).globalSet(hi);
    m.defineFunc(enterCtx, d.get(R0).op(OP.i32_wrap_i64));
    m.exportFunc('enterCtx', enterCtx);
    const high = m.declareFunc(m.type([], [I32]), []);
    m.defineFunc(high, new Code().globalGet(hi));
    m.exportFunc('high', high);
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(m.encode()), { env: { table: this.table } });
    this.enter = exports.enter as unknown as Enter;
    this.enterCtx = exports.enterCtx as unknown as EnterCtx;
    this.high = exports.high as unknown as () => number;
  }

  static of(memory: WebAssembly.Memory): Entry {
    let e = Entry.byMemory.get(memory);
    if (!e) Entry.byMemory.set(memory, (e = new Entry()));
    return e;
  }

  /** Put a program's run in the table; returns its slot for enter(). */
  add(run: TrustedRun): number {
    const slot = this.free.pop() ?? this.used++;
    if (slot === this.table.length) this.table.grow(this.table.length);
    this.table.set(slot, run as unknown as WebAssembly.ExportValue);
    return slot;
  }

  /** Take a program out of the table (its module can then be collected); entering the slot traps until add() fills it again. */
  remove(slot: number): void {
    this.table.set(slot, null);
    this.free.push(slot);
  }
}
