import { BpfError } from '../errno.js';
import { BPF_MAX_LOOPS } from '../helpers/loop.js';
import { HelperEnv, HelperExit, HelperRegistry, KernelEnv } from '../helpers/registry.js';
import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { DecodedProgram, Op, decodeOps, packOps } from './decode-ops.js';
import { callbackIndex, callbackTargets, outOfBudget, tooDeep } from './callback.js';
import { AddressSpace, Region, checkedRegion } from './memory.js';
import { packetLoad } from './packet-load.js';

export const DEFAULT_BUDGET = 1_000_000;
export const STACK_SIZE = 512;
export const MAX_CALL_FRAMES = 8;
/** a run's whole stack region: every call frame's */
export const STACK_BYTES = STACK_SIZE * MAX_CALL_FRAMES;
/** Linux's BPF_MAX_LOOPS: how many times `may_goto` falls through before it jumps. */
export const MAY_GOTO_BUDGET = BPF_MAX_LOOPS;

export interface InterpreterOptions {
  space: AddressSpace;
  helpers?: HelperRegistry;
  /** instructions one run may execute before it is stopped (E2BIG) */
  budget?: number;
}

export interface RunExtras {
  /** packet that legacy LD_ABS / LD_IND loads read */
  packet?: Region;
  /** the Runtime's side of helper calls (maps, host, trace pipe) */
  kernel?: KernelEnv;
}


/**
 * The eBPF interpreter. Registers are 64-bit values held as two int32 halves
 * (`lo`, `hi`) in typed arrays, so no operation allocates; 64-bit division is
 * the only operation that may fall back to BigInt, and only for operands wider
 * than 32 bits. Every load and store is checked against the regions mapped for
 * the run, so an unverified program faults with a clear error instead of
 * reading what it was not given.
 */
export class Interpreter {
  /** instruction slots executed by the last run (a lddw counts two, as slot numbers do) */
  executed = 0;
  /** the stack region of this interpreter: MAX_CALL_FRAMES frames of STACK_SIZE bytes, growing down */
  readonly stack: Region;
  private readonly prog: DecodedProgram;
  /** the packed program (decode-ops.ts STRIDE layout) */
  private readonly code: Int32Array;
  /** registers and constant slots as (lo, hi) int32 pairs */
  private readonly r: Int32Array;
  private readonly frames = new Int32Array(MAX_CALL_FRAMES * 9);
  /** the caller's r1–r10 while a callback runs, per caller depth */
  private readonly saved = new Int32Array(MAX_CALL_FRAMES * 20);
  /** the functions the program may pass to a helper (callback.ts) */
  private readonly targets: number[];
  private readonly budget: number;
  private readonly helpers: HelperRegistry;
  private regions: readonly Region[] = [];
  /** the caller's region list that `regions` was built from */
  private given: readonly Region[] | undefined;
  /** dispose() gave the stack back: no more runs */
  private disposed = false;
  private packet: Region | undefined;
  private kernel: KernelEnv | undefined;
  private readonly env: HelperEnv = this.makeEnv();
  private helperPc = 0;
  /** r0 of the last runCtx */
  private r0 = 0n;
  // Run state the dispatch loop keeps in locals, stored here across a helper
  // call so that a callback (a nested loop()) shares it.
  private left = 0;
  private mayGotoLeft = 0;
  private depth = 0;
  /** callbacks in progress (HelperEnv.inCallback) */
  private callbacks = 0;
  private u8 = new Uint8Array(0);
  private dv = new DataView(new ArrayBuffer(0));
  // Bounds of the regions that satisfied the last read and the last write.
  private rS = 0;
  private rE = 0;
  private wS = 0;
  private wE = 0;

  constructor(readonly insns: readonly Insn[], readonly options: InterpreterOptions) {
    this.prog = decodeOps(insns);
    this.code = packOps(this.prog);
    // Registers r0–r10, then the constant slots, each as two int32 halves (lo, hi).
    this.r = new Int32Array(2 * (11 + this.prog.constLo.length));
    this.prog.constLo.forEach((v, i) => {
      this.r[2 * (11 + i)] = v;
      this.r[2 * (11 + i) + 1] = this.prog.constHi[i]!;
    });
    this.budget = options.budget ?? DEFAULT_BUDGET;
    this.helpers = options.helpers ?? new HelperRegistry();
    this.stack = options.space.map(new Uint8Array(STACK_BYTES), 'stack');
    this.targets = callbackTargets(insns);
  }

  /** run([r1]) with r1 a number below 2^32, r0's low 32 bits as the result, as the JIT engine has it (JitEngine.runCtx). */
  runCtx(r1: number, regions: readonly Region[], extras: RunExtras = {}): number {
    this.r0 = this.run([BigInt(r1)], regions, extras);
    return Number(this.r0 & 0xffffffffn);
  }

  /** The whole r0 of the last runCtx. */
  lastR0(): bigint {
    return this.r0;
  }

  /** Run with r1..r5 = args; loads and stores may touch `regions` and the stack. Returns r0. */
  run(args: readonly bigint[], regions: readonly Region[], extras: RunExtras = {}): bigint {
    this.begin(args, regions, extras);
    try {
      const r0 = this.loop(0, 0);
      this.executed = this.budget - this.left;
      return r0;
    } catch (e) {
      if (e instanceof HelperExit) return BigInt.asUintN(64, e.r0);
      throw e;
    }
  }

  /** Give back the stack: the engine runs no more (EBADF). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.options.space.unmap(this.stack);
  }

  private begin(args: readonly bigint[], regions: readonly Region[], extras: RunExtras): void {
    if (this.disposed) throw disposedError();
    if (regions !== this.given) {
      this.given = regions;
      this.regions = [this.stack, ...regions];
    }
    this.packet = extras.packet;
    this.kernel = extras.kernel;
    if (this.u8.buffer !== this.options.space.memory.buffer) this.refreshViews();
    this.rS = this.rE = this.wS = this.wE = 0;
    this.r.fill(0, 0, 22);
    for (let i = 0; i < args.length && i < 5; i++) this.setReg(i + 1, args[i]!);
    this.r[20] = this.stack.end;
    this.executed = 0;
    this.left = this.budget;
    this.mayGotoLeft = MAY_GOTO_BUDGET;
    this.callbacks = 0;
  }

  private refreshViews(): void {
    const buf = this.options.space.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.dv = new DataView(buf);
  }

  private setReg(r: number, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.r[2 * r] = Number(u & 0xffffffffn);
    this.r[2 * r + 1] = Number(u >> 32n);
  }

  private reg(r: number): bigint {
    return (BigInt(this.r[2 * r + 1]! >>> 0) << 32n) | BigInt(this.r[2 * r]! >>> 0);
  }

  /**
   * Address of [base + off, +size) after checking it lies in a region the run
   * may read; `pc` is the slot a fault names (the load's, inside a fused group).
   */
  private rd(pc: number, base: number, baseHi: number, off: number, size: number): number {
    const a = (base >>> 0) + off;
    if (baseHi === 0 && a >= this.rS && a + size <= this.rE) return a;
    const r = this.region(pc, base, baseHi, off, size, false);
    this.rS = r.start;
    this.rE = r.end;
    return a;
  }

  private wr(pc: number, base: number, baseHi: number, off: number, size: number): number {
    const a = (base >>> 0) + off;
    if (baseHi === 0 && a >= this.wS && a + size <= this.wE) return a;
    const r = this.region(pc, base, baseHi, off, size, true);
    this.wS = r.start;
    this.wE = r.end;
    return a;
  }

  private region(pc: number, base: number, baseHi: number, off: number, size: number, write: boolean): Region {
    return checkedRegion(this.regions, pc, base, baseHi, off, size, write);
  }

  /** Run from slot `entry` in frame `base` until that frame exits; returns r0. */
  private loop(entry: number, base: number): bigint {
    const code = this.code;
    const r = this.r;
    // Views of the memory; a helper call may grow it, so they are re-read after one.
    let u8 = this.u8;
    let dv = this.dv;
    let budget = this.left;
    let pc = entry;
    let depth = base;
    let mayGoto = this.mayGotoLeft;
    // Straight-line code cannot loop, so the budget is charged only when
    // control transfers (and at helper calls, see below): `start` is the
    // first slot not charged yet.
    let start = entry;
    for (;;) {
      const at = pc << 2; // pc * STRIDE
      const w = code[at]!;
      const d = (w >>> 8) & 0x1f;
      const a = (w >>> 13) & 0x1f;
      let s = code[at + 1]!;
      let taken = false;
      switch (w & 0xff) {
        case Op.ADD64:
          add64(r, d, a, s);
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.SUB64: {
          const x = r[a]!;
          const y = r[s]!;
          r[d + 1] = (r[a + 1]! - r[s + 1]! - (x >>> 0 < y >>> 0 ? 1 : 0)) | 0;
          r[d] = (x - y) | 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        }
        case Op.MUL64:
          mul64(r, d, a, s);
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.DIV64:
        case Op.SDIV64:
        case Op.MOD64:
        case Op.SMOD64:
          div64(r, d, a, s, w & 0xff);
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.OR64:
          r[d] = r[a]! | r[s]!;
          r[d + 1] = r[a + 1]! | r[s + 1]!;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.AND64:
          r[d] = r[a]! & r[s]!;
          r[d + 1] = r[a + 1]! & r[s + 1]!;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.XOR64:
          r[d] = r[a]! ^ r[s]!;
          r[d + 1] = r[a + 1]! ^ r[s + 1]!;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.MOV64:
          r[d] = r[s]!;
          r[d + 1] = r[s + 1]!;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.LSH64: {
          const n = r[s]! & 63;
          const l = r[a]!;
          const h = r[a + 1]!;
          r[d] = n >= 32 ? 0 : l << n;
          r[d + 1] = n >= 32 ? l << (n - 32) : n === 0 ? h : (h << n) | (l >>> (32 - n));
          pc = (pc + (w >>> 18)) | 0;
          continue;
        }
        case Op.RSH64: {
          const n = r[s]! & 63;
          const l = r[a]!;
          const h = r[a + 1]!;
          r[d] = n >= 32 ? h >>> (n - 32) : n === 0 ? l : (l >>> n) | (h << (32 - n));
          r[d + 1] = n >= 32 ? 0 : h >>> n;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        }
        case Op.ARSH64: {
          const n = r[s]! & 63;
          const l = r[a]!;
          const h = r[a + 1]!;
          r[d] = n >= 32 ? h >> (n - 32) : n === 0 ? l : (l >>> n) | (h << (32 - n));
          r[d + 1] = n >= 32 ? h >> 31 : h >> n;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        }
        case Op.NEG64: {
          const l = r[d]!;
          r[d] = -l;
          r[d + 1] = ~r[d + 1]! + (l === 0 ? 1 : 0);
          pc = (pc + (w >>> 18)) | 0;
          continue;
        }
        case Op.MOVSX8_64:
          r[d] = (r[s]! << 24) >> 24;
          r[d + 1] = r[d]! >> 31;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.MOVSX16_64:
          r[d] = (r[s]! << 16) >> 16;
          r[d + 1] = r[d]! >> 31;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.MOVSX32_64:
          r[d] = r[s]!;
          r[d + 1] = r[s]! >> 31;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.BSWAP16: {
          const v = r[d]!;
          r[d] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        }
        case Op.BSWAP32:
          r[d] = bswap32(r[d]!);
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.BSWAP64: {
          const l = r[d]!;
          r[d] = bswap32(r[d + 1]!);
          r[d + 1] = bswap32(l);
          pc = (pc + (w >>> 18)) | 0;
          continue;
        }
        case Op.ADD32:
          add32(r, d, a, s);
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.SUB32:
          r[d] = r[a]! - r[s]!;
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.MUL32:
          r[d] = Math.imul(r[a]!, r[s]!);
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.DIV32: {
          const b = r[s]! >>> 0;
          r[d] = b === 0 ? 0 : Math.floor((r[a]! >>> 0) / b);
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        }
        case Op.SDIV32: {
          const b = r[s]!;
          r[d] = b === 0 ? 0 : Math.trunc(r[a]! / b);
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        }
        case Op.MOD32: {
          const b = r[s]! >>> 0;
          r[d] = b === 0 ? r[a]! : (r[a]! >>> 0) % b;
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        }
        case Op.SMOD32: {
          const b = r[s]!;
          r[d] = b === 0 ? r[a]! : r[a]! % b;
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        }
        case Op.OR32:
          r[d] = r[a]! | r[s]!;
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.AND32:
          r[d] = r[a]! & r[s]!;
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.XOR32:
          r[d] = r[a]! ^ r[s]!;
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.LSH32:
          r[d] = r[a]! << r[s]!;
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.RSH32:
          r[d] = r[a]! >>> r[s]!;
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.ARSH32:
          r[d] = r[a]! >> r[s]!;
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.NEG32:
          r[d] = -r[d]!;
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.MOV32:
          r[d] = r[s]!;
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.MOVSX8_32:
          r[d] = (r[s]! << 24) >> 24;
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.MOVSX16_32:
          r[d] = (r[s]! << 16) >> 16;
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.LE16:
          r[d] = r[d]! & 0xffff;
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.NOP:
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.LDXB_IDX:
          add64(r, d, a, s);
          s = d;
        // falls through
        case Op.LDXB:
          r[d] = u8[this.rd(pc + (w >>> 18) - 1, r[s]!, r[s + 1]!, code[at + 2]!, 1)]!;
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.LDXH_IDX:
          add64(r, d, a, s);
          s = d;
        // falls through
        case Op.LDXH:
          r[d] = dv.getUint16(this.rd(pc + (w >>> 18) - 1, r[s]!, r[s + 1]!, code[at + 2]!, 2), true);
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.LDXW_IDX:
          add64(r, d, a, s);
          s = d;
        // falls through
        case Op.LDXW:
          r[d] = dv.getInt32(this.rd(pc + (w >>> 18) - 1, r[s]!, r[s + 1]!, code[at + 2]!, 4), true);
          r[d + 1] = 0;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.LDXDW_IDX:
          add64(r, d, a, s);
          s = d;
        // falls through
        case Op.LDXDW: {
          const addr = this.rd(pc + (w >>> 18) - 1, r[s]!, r[s + 1]!, code[at + 2]!, 8);
          r[d] = dv.getInt32(addr, true);
          r[d + 1] = dv.getInt32(addr + 4, true);
          pc = (pc + (w >>> 18)) | 0;
          continue;
        }
        case Op.LDXSB:
          r[d] = dv.getInt8(this.rd(pc + (w >>> 18) - 1, r[s]!, r[s + 1]!, code[at + 2]!, 1));
          r[d + 1] = r[d]! >> 31;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.LDXSH:
          r[d] = dv.getInt16(this.rd(pc + (w >>> 18) - 1, r[s]!, r[s + 1]!, code[at + 2]!, 2), true);
          r[d + 1] = r[d]! >> 31;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.LDXSW:
          r[d] = dv.getInt32(this.rd(pc + (w >>> 18) - 1, r[s]!, r[s + 1]!, code[at + 2]!, 4), true);
          r[d + 1] = r[d]! >> 31;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.STB:
          u8[this.wr(pc, r[d]!, r[d + 1]!, code[at + 2]!, 1)] = r[s]!;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.STH:
          dv.setInt16(this.wr(pc, r[d]!, r[d + 1]!, code[at + 2]!, 2), r[s]!, true);
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.STW:
          dv.setInt32(this.wr(pc, r[d]!, r[d + 1]!, code[at + 2]!, 4), r[s]!, true);
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.STDW: {
          const a = this.wr(pc, r[d]!, r[d + 1]!, code[at + 2]!, 8);
          dv.setInt32(a, r[s]!, true);
          dv.setInt32(a + 4, r[s + 1]!, true);
          pc = (pc + (w >>> 18)) | 0;
          continue;
        }
        case Op.ATOMIC:
          this.atomic(pc);
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.LDDW:
          r[d] = code[at + 3]!;
          r[d + 1] = this.prog.imm2[pc]!;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.LDPKT:
          // out of range ends the whole run with 0, from a callback too (as the JIT does)
          if (!this.loadPacket(pc)) throw new HelperExit(0n);
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.JA:
          taken = true;
          break;
        case Op.ADD_JEQ64:
          add64(r, d, d, code[at + 3]!);
        // falls through
        case Op.JEQ64:
          taken = r[d] === r[s] && r[d + 1] === r[s + 1];
          break;
        case Op.ADD_JNE64:
          add64(r, d, d, code[at + 3]!);
        // falls through
        case Op.JNE64:
          taken = r[d] !== r[s] || r[d + 1] !== r[s + 1];
          break;
        case Op.ADD_JSET64:
          add64(r, d, d, code[at + 3]!);
        // falls through
        case Op.JSET64:
          taken = (r[d]! & r[s]!) !== 0 || (r[d + 1]! & r[s + 1]!) !== 0;
          break;
        case Op.ADD_JGT64:
          add64(r, d, d, code[at + 3]!);
        // falls through
        case Op.JGT64:
          taken = cmpU64(r, d, s) > 0;
          break;
        case Op.ADD_JGE64:
          add64(r, d, d, code[at + 3]!);
        // falls through
        case Op.JGE64:
          taken = cmpU64(r, d, s) >= 0;
          break;
        case Op.ADD_JLT64:
          add64(r, d, d, code[at + 3]!);
        // falls through
        case Op.JLT64:
          taken = cmpU64(r, d, s) < 0;
          break;
        case Op.ADD_JLE64:
          add64(r, d, d, code[at + 3]!);
        // falls through
        case Op.JLE64:
          taken = cmpU64(r, d, s) <= 0;
          break;
        case Op.ADD_JSGT64:
          add64(r, d, d, code[at + 3]!);
        // falls through
        case Op.JSGT64:
          taken = cmpS64(r, d, s) > 0;
          break;
        case Op.ADD_JSGE64:
          add64(r, d, d, code[at + 3]!);
        // falls through
        case Op.JSGE64:
          taken = cmpS64(r, d, s) >= 0;
          break;
        case Op.ADD_JSLT64:
          add64(r, d, d, code[at + 3]!);
        // falls through
        case Op.JSLT64:
          taken = cmpS64(r, d, s) < 0;
          break;
        case Op.ADD_JSLE64:
          add64(r, d, d, code[at + 3]!);
        // falls through
        case Op.JSLE64:
          taken = cmpS64(r, d, s) <= 0;
          break;
        case Op.ADD_JEQ32:
          add32(r, d, d, code[at + 3]!);
        // falls through
        case Op.JEQ32:
          taken = r[d] === r[s];
          break;
        case Op.ADD_JNE32:
          add32(r, d, d, code[at + 3]!);
        // falls through
        case Op.JNE32:
          taken = r[d] !== r[s];
          break;
        case Op.ADD_JSET32:
          add32(r, d, d, code[at + 3]!);
        // falls through
        case Op.JSET32:
          taken = (r[d]! & r[s]!) !== 0;
          break;
        case Op.ADD_JGT32:
          add32(r, d, d, code[at + 3]!);
        // falls through
        case Op.JGT32:
          taken = r[d]! >>> 0 > r[s]! >>> 0;
          break;
        case Op.ADD_JGE32:
          add32(r, d, d, code[at + 3]!);
        // falls through
        case Op.JGE32:
          taken = r[d]! >>> 0 >= r[s]! >>> 0;
          break;
        case Op.ADD_JLT32:
          add32(r, d, d, code[at + 3]!);
        // falls through
        case Op.JLT32:
          taken = r[d]! >>> 0 < r[s]! >>> 0;
          break;
        case Op.ADD_JLE32:
          add32(r, d, d, code[at + 3]!);
        // falls through
        case Op.JLE32:
          taken = r[d]! >>> 0 <= r[s]! >>> 0;
          break;
        case Op.ADD_JSGT32:
          add32(r, d, d, code[at + 3]!);
        // falls through
        case Op.JSGT32:
          taken = r[d]! > r[s]!;
          break;
        case Op.ADD_JSGE32:
          add32(r, d, d, code[at + 3]!);
        // falls through
        case Op.JSGE32:
          taken = r[d]! >= r[s]!;
          break;
        case Op.ADD_JSLT32:
          add32(r, d, d, code[at + 3]!);
        // falls through
        case Op.JSLT32:
          taken = r[d]! < r[s]!;
          break;
        case Op.ADD_JSLE32:
          add32(r, d, d, code[at + 3]!);
        // falls through
        case Op.JSLE32:
          taken = r[d]! <= r[s]!;
          break;
        case Op.CALL:
        case Op.CALLX:
          // Charge the slots up to the call and hand the run state over: a
          // callback the helper makes continues from there, as in the JIT.
          budget -= pc + 1 - start;
          start = pc + 1;
          this.left = budget;
          this.mayGotoLeft = mayGoto;
          this.depth = depth;
          this.callHelper(pc, (w & 0xff) === Op.CALL ? code[at + 3]! : r[d]!);
          budget = this.left;
          mayGoto = this.mayGotoLeft;
          u8 = this.u8;
          dv = this.dv;
          pc = (pc + (w >>> 18)) | 0;
          continue;
        case Op.KFUNC:
          throw new BpfError('ENOTSUPP', `pc ${pc}: kfunc call (BTF id ${this.prog.imm[pc]}) needs a runtime that provides kfuncs`);
        case Op.CALL_LOCAL:
          if (depth + 1 >= MAX_CALL_FRAMES) throw tooDeep(pc, depth + 2, MAX_CALL_FRAMES);
          this.pushFrame(depth++, pc + 1);
          taken = true;
          break;
        case Op.EXIT:
          budget -= pc + 1 - start;
          if (depth === base) {
            this.left = budget;
            this.mayGotoLeft = mayGoto;
            return this.reg(0);
          }
          pc = start = this.popFrame(--depth) | 0;
          continue;
        case Op.MAY_GOTO:
          taken = mayGoto === 0;
          if (!taken) mayGoto--;
          break;
        case Op.FELL_OFF:
          throw new BpfError('EINVAL', `pc ${pc}: ran past the last instruction (the program must end with exit or a jump)`);
        default:
          throw new BpfError('EINVAL', `pc ${pc}: no operation ${w & 0xff} (interpreter bug)`);
      }
      if (taken) {
        // A fused group ends at its jump: charge every slot of the run up to it.
        const next = pc + (w >>> 18);
        budget -= next - start;
        if (budget < 0) this.outOfBudget(next - 1);
        pc = start = code[at + 2]!;
      } else pc = (pc + (w >>> 18)) | 0;
    }
  }

  private outOfBudget(pc: number): never {
    this.executed = this.budget;
    throw outOfBudget(pc, this.budget);
  }

  /**
   * HelperEnv.callback: run function `fn` as a new frame below the calling
   * one (callback.ts), on the run's budget; the caller's r1–r10 come back.
   * A callback that ends past the budget stops the run at the helper call.
   */
  private callback(fn: bigint, a1: bigint, a2: bigint, a3: bigint, a4: bigint, a5: bigint): bigint {
    const pc = this.helperPc;
    const depth = this.depth;
    const entry = this.targets[callbackIndex(this.targets, fn, pc)]!;
    if (depth + 1 >= MAX_CALL_FRAMES) throw tooDeep(pc, depth + 2, MAX_CALL_FRAMES);
    const r = this.r;
    const saved = this.saved;
    const save = depth * 20 - 2;
    for (let i = 2; i < 22; i++) saved[save + i] = r[i]!;
    r.fill(0, 0, 22);
    this.setReg(1, a1);
    this.setReg(2, a2);
    this.setReg(3, a3);
    this.setReg(4, a4);
    this.setReg(5, a5);
    r[20] = this.stack.end - (depth + 1) * STACK_SIZE;
    this.callbacks++;
    const r0 = this.loop(entry, depth + 1);
    this.callbacks--;
    for (let i = 2; i < 22; i++) r[i] = saved[save + i]!;
    this.helperPc = pc;
    this.depth = depth;
    if (this.left < 0) this.outOfBudget(pc);
    return r0;
  }

  /** Save r6–r9, the return slot and r10; the callee gets the next frame down. */
  private pushFrame(depth: number, ret: number): void {
    const f = depth * 9;
    this.frames.set(this.r.subarray(12, 20), f);
    this.frames[f + 8] = ret;
    this.r[20] = this.r[20]! - STACK_SIZE;
  }

  private popFrame(depth: number): number {
    const f = depth * 9;
    this.r.set(this.frames.subarray(f, f + 8), 12);
    this.r[20] = this.r[20]! + STACK_SIZE;
    return this.frames[f + 8]!;
  }

  private callHelper(pc: number, id: number): void {
    const h = this.helpers.get(id);
    if (!h) throw new BpfError('EINVAL', `pc ${pc}: invalid func unknown#${id >>> 0} (no helper with that id)`);
    this.helperPc = pc;
    const r0 = h.fn(this.env, this.reg(1), this.reg(2), this.reg(3), this.reg(4), this.reg(5));
    this.setReg(0, r0);
    // A helper may have grown the memory, which detaches the old buffer, or
    // moved a region (xdp_adjust_head moves the packet): forget the last hits.
    if (this.u8.buffer !== this.options.space.memory.buffer) this.refreshViews();
    this.rS = this.rE = this.wS = this.wE = 0;
  }

  /** The HelperEnv of every run; `helperPc` names the calling instruction in its faults. */
  private makeEnv(): HelperEnv {
    const self = this;
    const at = (addr: bigint, len: number, write: boolean): number => {
      const u = BigInt.asUintN(64, addr);
      return (write ? this.wr : this.rd).call(this, this.helperPc, Number(u & 0xffffffffn), Number(u >> 32n), 0, len);
    };
    return {
      read: (addr, len) => {
        if (len === 0) return new Uint8Array(0);
        const a = at(addr, len, false);
        return this.u8.slice(a, a + len);
      },
      write: (addr, data) => {
        if (data.length) this.u8.set(data, at(addr, data.length, true));
      },
      check: at,
      checkAt: (addr, len, write) => (write ? this.wr : this.rd).call(this, this.helperPc, addr, 0, 0, len),
      memory: () => this.u8,
      callback: (fn, a1, a2, a3, a4, a5) => this.callback(fn, a1, a2, a3, a4, a5),
      get inCallback() {
        return self.callbacks > 0;
      },
      get kernel() {
        return self.kernel;
      },
    };
  }

  private atomic(pc: number): void {
    const { code, dst: d, src: s, off, imm } = this.insns[pc]!;
    const size = o.sizeBytes(code);
    if (imm === o.BPF_LOAD_ACQ) {
      const a = this.rd(pc, this.r[2 * s]!, this.r[2 * s + 1]!, off, size);
      this.setReg(d, this.load(a, size));
      return;
    }
    const a = this.wr(pc, this.r[2 * d]!, this.r[2 * d + 1]!, off, size);
    const mask = size === 8 ? 0xffffffffffffffffn : 0xffffffffn;
    const src = this.reg(s) & mask;
    if (imm === o.BPF_STORE_REL) return this.store(a, size, src);
    const old = this.load(a, size);
    if (imm === o.BPF_CMPXCHG) {
      if (old === (this.reg(0) & mask)) this.store(a, size, src);
      this.setReg(0, old);
      return;
    }
    this.store(a, size, atomicResult(imm & ~o.BPF_FETCH, old, src) & mask);
    if (imm & o.BPF_FETCH) this.setReg(s, old);
  }

  private load(a: number, size: number): bigint {
    switch (size) {
      case 1:
        return BigInt(this.u8[a]!);
      case 2:
        return BigInt(this.dv.getUint16(a, true));
      case 4:
        return BigInt(this.dv.getUint32(a, true));
      default:
        return this.dv.getBigUint64(a, true);
    }
  }

  private store(a: number, size: number, v: bigint): void {
    switch (size) {
      case 1:
        this.u8[a] = Number(v & 0xffn);
        break;
      case 2:
        this.dv.setUint16(a, Number(v & 0xffffn), true);
        break;
      case 4:
        this.dv.setUint32(a, Number(v & 0xffffffffn), true);
        break;
      default:
        this.dv.setBigUint64(a, v, true);
    }
  }

  /**
   * Legacy LD_ABS / LD_IND: r0 = big-endian load from the packet; r1–r5 are
   * clobbered like a call. Out of range ends the program with 0, as in Linux.
   */
  private loadPacket(pc: number): boolean {
    const ins = this.insns[pc]!;
    const v = packetLoad(this.u8, this.packet, ins, this.r[2 * ins.src]!, pc);
    if (v === undefined) return false;
    this.setReg(0, BigInt(v));
    this.r.fill(0, 2, 12);
    return true;
  }
}

function atomicResult(op: number, old: bigint, src: bigint): bigint {
  switch (op) {
    case o.BPF_ADD:
      return old + src;
    case o.BPF_OR:
      return old | src;
    case o.BPF_AND:
      return old & src;
    case o.BPF_XOR:
      return old ^ src;
    default:
      return src; // BPF_XCHG
  }
}

function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

function add64(r: Int32Array, d: number, a: number, s: number): void {
  const x = r[a]!;
  const l = (x + r[s]!) | 0;
  r[d + 1] = (r[a + 1]! + r[s + 1]! + (l >>> 0 < x >>> 0 ? 1 : 0)) | 0;
  r[d] = l;
}

function add32(r: Int32Array, d: number, a: number, s: number): void {
  r[d] = r[a]! + r[s]!;
  r[d + 1] = 0;
}

function cmpU64(r: Int32Array, d: number, s: number): number {
  const a = r[d + 1]! >>> 0;
  const b = r[s + 1]! >>> 0;
  if (a !== b) return a > b ? 1 : -1;
  const c = r[d]! >>> 0;
  const e = r[s]! >>> 0;
  return c === e ? 0 : c > e ? 1 : -1;
}

function cmpS64(r: Int32Array, d: number, s: number): number {
  const a = r[d + 1]!;
  const b = r[s + 1]!;
  if (a !== b) return a > b ? 1 : -1;
  const c = r[d]! >>> 0;
  const e = r[s]! >>> 0;
  return c === e ? 0 : c > e ? 1 : -1;
}

/**
 * Low 64 bits of the product, from 16-bit partial products; Math.imul keeps
 * every step in int32 arithmetic (only the low 32 bits of each sum matter).
 */
function mul64(r: Int32Array, d: number, a: number, s: number): void {
  const al = r[a]!;
  const bl = r[s]!;
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p01 = Math.imul(a0, b1);
  const p10 = Math.imul(a1, b0);
  const mid = (Math.imul(a0, b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const carry = (Math.imul(a1, b1) + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
  r[d + 1] = (carry + Math.imul(al, r[s + 1]!) + Math.imul(r[a + 1]!, bl)) | 0;
  r[d] = Math.imul(al, bl);
}

/** DIV/SDIV/MOD/SMOD in 64 bits with the ISA's rules: x/0 = 0, x%0 = x, INT_MIN/-1 wraps. */
function div64(r: Int32Array, d: number, a: number, s: number, op: Op): void {
  const signed = op === Op.SDIV64 || op === Op.SMOD64;
  const isDiv = op === Op.DIV64 || op === Op.SDIV64;
  const bZero = r[s] === 0 && r[s + 1] === 0;
  if (bZero) {
    r[d] = isDiv ? 0 : r[a]!;
    r[d + 1] = isDiv ? 0 : r[a + 1]!;
    return;
  }
  const n = (BigInt(r[a + 1]!) << 32n) | BigInt(r[a]! >>> 0);
  const m = (BigInt(r[s + 1]!) << 32n) | BigInt(r[s]! >>> 0);
  const [x, y] = signed ? [BigInt.asIntN(64, n), BigInt.asIntN(64, m)] : [BigInt.asUintN(64, n), BigInt.asUintN(64, m)];
  const q = BigInt.asUintN(64, isDiv ? x / y : x % y);
  r[d] = Number(q & 0xffffffffn);
  r[d + 1] = Number(q >> 32n);
}

/** A run of an engine after dispose(): its stack may belong to someone else by now. */
export function disposedError(): BpfError {
  return new BpfError('EBADF', 'the engine was disposed (its program was detached or unloaded): it runs no more');
}
