import { BpfError } from '../errno.js';
import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { SK_BUFF_SIZE, SKB } from '../progtypes/sk-buff.js';
import { DEFAULT_BUDGET, STACK_BYTES } from '../vm/interpreter.js';
import { RuntimeImport, SCRATCH, Trap, compileProgram } from '../vm/jit/compile.js';
import { Code, I32, I64, ModuleBuilder, OP } from '../vm/jit/wasm.js';
import { AddressSpace } from '../vm/memory.js';

/**
 * A translated socket filter compiled by the JIT (vm/jit/compile.ts) and run
 * by a host made for filtering many packets, all of it WebAssembly: the
 * legacy packet loads the compiled code imports are a small wasm function
 * reading the packet from the memory (so a load is a wasm-to-wasm call, not
 * a trip through JavaScript), and a wasm driver runs the program on one
 * packet or on a batch of packets described in the memory, with 32-bit
 * arguments (no BigInt on the way in or out). The engine's general host
 * (vm/jit/engine.ts: helpers, region lists, budget accounting, a JavaScript
 * function per packet load) costs more per run than tcpdump spends on a
 * whole packet.
 *
 * A load outside the packet does not unwind: it records the failure and
 * gives 0, the program runs on (a classic filter has no side effects and
 * always ends), and the driver then returns 0, which is what Linux and
 * libpcap return. The program may read its context (`struct __sk_buff`, for
 * `ld len`) and use its stack; any other access faults (EFAULT). Programs
 * that call helpers are for the general engine (see `usable`).
 */

/** Packets per batch: the driver reads descriptors and writes verdicts for this many at a time. */
export const BATCH = 4096;

type Filter1 = (start: number, length: number, wireLen: number) => number;
type FilterRecords = (at: number, end: number, bigEndian: number) => number;

export class JitFilter {
  /** per batch entry: start, captured length and length on the wire (u32 each) */
  descriptors!: Uint32Array;
  /** per batch entry: the verdict (bytes to keep; 0 rejects) */
  verdicts!: Uint32Array;
  private readonly one: Filter1;
  private readonly batch: (count: number) => void;
  private readonly records: FilterRecords;
  private readonly layout: { descriptors: number; verdicts: number };
  private readonly state: number;

  /** Whether this host can run the program: it calls no helpers or functions. */
  static usable(insns: readonly Insn[]): boolean {
    return !insns.some((i) => i.code === (o.BPF_JMP | o.BPF_CALL) || i.code === (o.BPF_JMP32 | o.BPF_CALL));
  }

  /** `ctx` is a zeroed `struct __sk_buff` in `space`; call `refresh` after the space grows. */
  constructor(insns: readonly Insn[], private readonly space: AddressSpace, ctx: number) {
    const stackStart = space.alloc(STACK_BYTES);
    const stackEnd = stackStart + STACK_BYTES;
    const state = space.alloc(16);
    this.state = state;
    const table = space.alloc(8 * Math.max(insns.length, 1));
    this.layout = { descriptors: space.alloc(12 * BATCH), verdicts: space.alloc(4 * BATCH) };
    fillTable(new DataView(space.memory.buffer, table, 8 * insns.length), insns);
    // The inline checks start each run with the context as the region last read; nothing is written.
    new Uint32Array(space.memory.buffer).set([ctx, SK_BUFF_SIZE, 8, 0], SCRATCH.initial / 4);

    const memory = space.memory;
    const loader = instantiate(loaderModule(state, table), { memory });
    const compiled = compileProgram(insns, { stackStart, stackEnd, hasHelper: () => false });
    const program = instantiate(compiled.bytes, { memory, ...faults(), loadPacket: loader.loadPacket });
    const driver = instantiate(driverModule(state, ctx, this.layout), { memory, run: program.run });
    this.one = driver.filterOne as unknown as Filter1;
    this.batch = driver.filterBatch as unknown as (count: number) => void;
    this.records = driver.filterRecords as unknown as FilterRecords;
    this.refresh();
  }

  /** Take new views of the memory (growing it detaches the old ones). */
  refresh(): void {
    const buf = this.space.memory.buffer;
    this.descriptors = new Uint32Array(buf, this.layout.descriptors, 3 * BATCH);
    this.verdicts = new Uint32Array(buf, this.layout.verdicts, BATCH);
  }

  /** The verdict for the packet at [start, start + length) of the memory, whose length on the wire is `wireLen`. */
  filter(start: number, length: number, wireLen: number): number {
    return this.one(start, length, wireLen) >>> 0;
  }

  /** Verdicts for the first `count` (at most BATCH) packets described in `descriptors`, into `verdicts`. */
  filterBatch(count: number): void {
    this.batch(count);
  }

  /**
   * Verdicts, into `verdicts`, for up to BATCH records of a classic pcap file
   * whose record at memory address `at` is next and which ends at `end`.
   * Returns how many were filtered and where the scan stopped: at `end`, at
   * the next record, or at a damaged record (the caller reports it).
   */
  filterRecords(at: number, end: number, bigEndian: boolean): { count: number; next: number } {
    const count = this.records(at, end, Number(bigEndian));
    return { count, next: new Uint32Array(this.space.memory.buffer, this.state + NEXT, 1)[0]! };
  }
}

/** Per instruction: its imm, and its load size (1, 2, 4; 0 for no packet load) with bit 8 set for LD_IND. */
function fillTable(dv: DataView, insns: readonly Insn[]): void {
  insns.forEach((ins, pc) => {
    const cls = ins.code & 0x07;
    const mode = ins.code & 0xe0;
    const packet = cls === o.BPF_LD && (mode === o.BPF_ABS || mode === o.BPF_IND);
    dv.setInt32(8 * pc, ins.imm, true);
    dv.setUint32(8 * pc + 4, packet ? o.sizeBytes(ins.code) | (mode === o.BPF_IND ? 0x100 : 0) : 0, true);
  });
}

function instantiate(bytes: Uint8Array<ArrayBuffer>, env: Record<string, unknown>): Record<string, unknown> {
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: env as WebAssembly.ModuleImports }).exports;
}

/** The runtime imports other than loadPacket: none of them is reached by a filter that only loads its packet, context and stack. */
function faults(): Record<Exclude<RuntimeImport, 'loadPacket'>, (...args: number[]) => never> {
  const fault = (what: string) => (pc: number): never => {
    throw new BpfError('EFAULT', `pc ${pc}: ${what}`);
  };
  return {
    miss: fault('access outside the context and the stack'),
    trap: (kind: number, pc: number) => {
      if (kind === Trap.OutOfBudget) throw new BpfError('E2BIG', `pc ${pc}: instruction budget of ${DEFAULT_BUDGET} exhausted`);
      return fault('call, or ran past the last instruction')(pc);
    },
    callx: fault('helper call'),
  };
}

// State words: the current packet's start and captured length, whether a load failed, and where a record scan stopped.
const START = 0;
const LENGTH = 4;
const FAILED = 8;
const NEXT = 12;

/** u32 at a constant address, as i32. */
const load32 = (c: Code, at: number): Code => c.i32(at).mem(OP.i64_load32_u).op(OP.i32_wrap_i64);
/** the byte at the address in local `a` plus `plus`, as i32 */
const byte = (c: Code, a: number, plus: number): Code => c.get(a).i32(plus).op(OP.i32_add).mem(OP.i64_load8_u).op(OP.i32_wrap_i64);

/**
 * loadPacket(pc, index) → the big-endian bytes at imm (+ index for LD_IND);
 * outside the packet: 0, and the failure is recorded.
 */
function loaderModule(state: number, table: number): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory');
  const f = m.declareFunc(m.type([I32, I32], [I32]), [I32, I32, I32]);
  const [PC, INDEX, K, W, A] = [0, 1, 2, 3, 4];
  const c = new Code();
  // w = size | indexed << 8; k = imm (+ index)
  c.get(PC).i32(3).op(OP.i32_shl).i32(table + 4).op(OP.i32_add).mem(OP.i64_load32_u).op(OP.i32_wrap_i64).set(W);
  c.get(PC).i32(3).op(OP.i32_shl).i32(table).op(OP.i32_add).mem(OP.i64_load32_u).op(OP.i32_wrap_i64).set(K);
  c.get(W).i32(0x100).op(OP.i32_and).open(OP.if).get(K).get(INDEX).op(OP.i32_add).set(K).op(OP.end);
  c.get(W).i32(0xff).op(OP.i32_and).set(W);
  // outside: k < 0, or k > length - size (signed: a packet is far shorter than 2 GiB)
  c.get(K).i32(0).op(OP.i32_lt_s);
  c.get(K);
  load32(c, state + LENGTH).get(W).op(OP.i32_sub).op(OP.i32_gt_s).op(OP.i32_or).open(OP.if);
  c.i32(state + FAILED).i64(1).mem(OP.i64_store32).i32(0).op(OP.return).op(OP.end);
  load32(c, state + START).get(K).op(OP.i32_add).set(A);
  c.get(W).i32(1).op(OP.i32_eq).open(OP.if);
  byte(c, A, 0).op(OP.return).op(OP.end);
  c.get(W).i32(2).op(OP.i32_eq).open(OP.if);
  byte(c, A, 0).i32(8).op(OP.i32_shl);
  byte(c, A, 1).op(OP.i32_or).op(OP.return).op(OP.end);
  byte(c, A, 0).i32(24).op(OP.i32_shl);
  byte(c, A, 1).i32(16).op(OP.i32_shl).op(OP.i32_or);
  byte(c, A, 2).i32(8).op(OP.i32_shl).op(OP.i32_or);
  byte(c, A, 3).op(OP.i32_or);
  m.defineFunc(f, c);
  m.exportFunc('loadPacket', f);
  return m.encode();
}

/**
 * filterOne(start, length, wireLen) → the verdict; filterBatch(count) runs
 * filterOne on each descriptor and stores the verdicts.
 */
function driverModule(state: number, ctx: number, at: { descriptors: number; verdicts: number }): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory');
  const run = m.importFunc('env', 'run', m.type([I64, I64, I64, I64, I64, I64], [I64]));
  const one = m.declareFunc(m.type([I32, I32, I32], [I32]), [I64]);
  const batch = m.declareFunc(m.type([I32], []), [I32, I32]);
  const store = (c: Code, addr: number, value: (c: Code) => void): void => {
    c.i32(addr);
    value(c);
    c.op(OP.i64_extend_i32_u).mem(OP.i64_store32);
  };

  const c = new Code();
  const [START_ARG, LENGTH_ARG, WIRE, R0] = [0, 1, 2, 3];
  store(c, state + START, (x) => x.get(START_ARG));
  store(c, state + LENGTH, (x) => x.get(LENGTH_ARG));
  store(c, state + FAILED, (x) => x.i32(0));
  store(c, ctx + SKB.len!, (x) => x.get(WIRE));
  c.i64(ctx).i64(0).i64(0).i64(0).i64(0).i64(DEFAULT_BUDGET).call(run).set(R0);
  c.i32(0);
  c.get(R0).op(OP.i32_wrap_i64);
  load32(c, state + FAILED).op(OP.select);
  m.defineFunc(one, c);

  const b = new Code();
  const [COUNT, I, D] = [0, 1, 2];
  b.open(OP.block).open(OP.loop);
  b.get(I).get(COUNT).op(OP.i32_ge_u).brIf(1);
  b.get(I).i32(12).op(OP.i32_mul).i32(at.descriptors).op(OP.i32_add).set(D);
  b.get(I).i32(2).op(OP.i32_shl).i32(at.verdicts).op(OP.i32_add);
  for (const off of [0, 4, 8]) b.get(D).i32(off).op(OP.i32_add).mem(OP.i64_load32_u).op(OP.i32_wrap_i64);
  b.call(one).op(OP.i64_extend_i32_u).mem(OP.i64_store32);
  b.get(I).i32(1).op(OP.i32_add).set(I).br(0);
  b.op(OP.end, OP.end);
  m.defineFunc(batch, b);
  const records = m.declareFunc(m.type([I32, I32, I32], [I32]), [I32, I32, I32]);
  m.defineFunc(records, recordLoop(one, state, at.verdicts));
  m.exportFunc('filterOne', one);
  m.exportFunc('filterBatch', batch);
  m.exportFunc('filterRecords', records);
  return m.encode();
}

/**
 * filterRecords(at, end, bigEndian) → count: classic pcap records (16-byte
 * header: seconds, fraction, captured length, length on the wire) from `at`,
 * each filtered in place, until `end`, BATCH records, or a record that does
 * not fit (a header cut short, or more captured bytes than remain); where
 * it stopped goes to the NEXT state word.
 */
function recordLoop(one: number, state: number, verdicts: number): Code {
  const [AT, END, BIG, COUNT, CAPLEN, WIRE] = [0, 1, 2, 3, 4, 5];
  const c = new Code();
  /** the u32 at AT + off, in the file's byte order */
  const field = (off: number): void => {
    c.get(BIG).open(OP.if, I32);
    for (const [k, shift] of [[0, 24], [1, 16], [2, 8], [3, 0]] as const) {
      c.get(AT).i32(off + k).op(OP.i32_add).mem(OP.i64_load8_u).op(OP.i32_wrap_i64).i32(shift).op(OP.i32_shl);
      if (k > 0) c.op(OP.i32_or);
    }
    c.op(OP.else).get(AT).i32(off).op(OP.i32_add).mem(OP.i64_load32_u).op(OP.i32_wrap_i64).op(OP.end);
  };
  c.open(OP.block).open(OP.loop);
  c.get(COUNT).i32(BATCH).op(OP.i32_ge_u).brIf(1);
  // the end, or a record header cut short
  c.get(END).get(AT).op(OP.i32_sub).i32(16).op(OP.i32_lt_u).brIf(1);
  field(8);
  c.set(CAPLEN);
  c.get(CAPLEN).get(END).get(AT).op(OP.i32_sub).i32(16).op(OP.i32_sub).op(OP.i32_gt_u).brIf(1);
  field(12);
  c.set(WIRE);
  c.get(COUNT).i32(2).op(OP.i32_shl).i32(verdicts).op(OP.i32_add);
  c.get(AT).i32(16).op(OP.i32_add).get(CAPLEN).get(WIRE).call(one);
  c.op(OP.i64_extend_i32_u).mem(OP.i64_store32);
  c.get(COUNT).i32(1).op(OP.i32_add).set(COUNT);
  c.get(AT).i32(16).op(OP.i32_add).get(CAPLEN).op(OP.i32_add).set(AT);
  c.br(0);
  c.op(OP.end, OP.end);
  c.i32(state + NEXT).get(AT).op(OP.i64_extend_i32_u).mem(OP.i64_store32);
  c.get(COUNT);
  return c;
}
