import { BpfError } from '../errno.js';
import { HelperEnv, HelperExit, HelperRegistry } from '../helpers/registry.js';
import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { DecodedProgram, Op, decodeOps } from './decode-ops.js';
import { AddressSpace, Region, findRegion, formatAddr } from './memory.js';

export const DEFAULT_BUDGET = 1_000_000;
export const STACK_SIZE = 512;
export const MAX_CALL_FRAMES = 8;
/** Linux's BPF_MAX_LOOPS: how many times `may_goto` falls through before it jumps. */
export const MAY_GOTO_BUDGET = 8 * 1024 * 1024;

export interface InterpreterOptions {
  space: AddressSpace;
  helpers?: HelperRegistry;
  /** instructions one run may execute before it is stopped (E2BIG) */
  budget?: number;
}

export interface RunExtras {
  /** packet that legacy LD_ABS / LD_IND loads read */
  packet?: Region;
}

const TWO32 = 4294967296;

/**
 * The eBPF interpreter. Registers are 64-bit values held as two int32 halves
 * (`lo`, `hi`) in typed arrays, so no operation allocates; 64-bit division is
 * the only operation that may fall back to BigInt, and only for operands wider
 * than 32 bits. Every load and store is checked against the regions mapped for
 * the run, so an unverified program faults with a clear error instead of
 * reading what it was not given.
 */
export class Interpreter {
  /** instructions executed by the last run */
  executed = 0;
  /** the stack region of this interpreter: MAX_CALL_FRAMES frames of STACK_SIZE bytes, growing down */
  readonly stack: Region;
  private readonly prog: DecodedProgram;
  private readonly lo: Int32Array;
  private readonly hi: Int32Array;
  private readonly frames = new Int32Array(MAX_CALL_FRAMES * 9);
  private readonly budget: number;
  private readonly helpers: HelperRegistry;
  private regions: readonly Region[] = [];
  private packet: Region | undefined;
  private u8 = new Uint8Array(0);
  private dv = new DataView(new ArrayBuffer(0));
  // Bounds of the regions that satisfied the last read and the last write.
  private rS = 0;
  private rE = 0;
  private wS = 0;
  private wE = 0;

  constructor(readonly insns: readonly Insn[], readonly options: InterpreterOptions) {
    this.prog = decodeOps(insns);
    const slots = 11 + this.prog.constLo.length;
    this.lo = new Int32Array(slots);
    this.hi = new Int32Array(slots);
    this.lo.set(this.prog.constLo, 11);
    this.hi.set(this.prog.constHi, 11);
    this.budget = options.budget ?? DEFAULT_BUDGET;
    this.helpers = options.helpers ?? new HelperRegistry();
    this.stack = options.space.map(new Uint8Array(STACK_SIZE * MAX_CALL_FRAMES), 'stack');
  }

  /** Run with r1..r5 = args; loads and stores may touch `regions` and the stack. Returns r0. */
  run(args: readonly bigint[], regions: readonly Region[], extras: RunExtras = {}): bigint {
    this.begin(args, regions, extras);
    try {
      return this.loop();
    } catch (e) {
      if (e instanceof HelperExit) return BigInt.asUintN(64, e.r0);
      throw e;
    } finally {
      this.u8 = new Uint8Array(0);
    }
  }

  private begin(args: readonly bigint[], regions: readonly Region[], extras: RunExtras): void {
    this.regions = [this.stack, ...regions];
    this.packet = extras.packet;
    this.refreshViews();
    this.rS = this.rE = this.wS = this.wE = 0;
    this.lo.fill(0, 0, 11);
    this.hi.fill(0, 0, 11);
    args.slice(0, 5).forEach((v, i) => this.setReg(i + 1, v));
    this.lo[10] = this.stack.end;
    this.executed = 0;
  }

  private refreshViews(): void {
    const buf = this.options.space.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.dv = new DataView(buf);
  }

  private setReg(r: number, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.lo[r] = Number(u & 0xffffffffn);
    this.hi[r] = Number(u >> 32n);
  }

  private reg(r: number): bigint {
    return (BigInt(this.hi[r]! >>> 0) << 32n) | BigInt(this.lo[r]! >>> 0);
  }

  /** Address of [base + off, +size) after checking it lies in a region the run may read. */
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
    const a = (base >>> 0) + off;
    const inRange = a >= 0 && a < TWO32;
    const r = inRange ? findRegion(this.regions, a | 0, baseHi, size) : undefined;
    if (r && (r.writable || !write)) return r;
    const addr = formatAddr(inRange ? a | 0 : 0, baseHi) ;
    const shown = inRange ? addr : `${formatAddr(base, baseHi)}${off < 0 ? '-' : '+'}${Math.abs(off)}`;
    const what = r ? `the ${r.name} region is read-only` : `outside every region mapped for this run (${this.describeRegions()})`;
    throw new BpfError('EFAULT', `pc ${pc}: invalid ${write ? 'write' : 'read'} of ${size} byte${size > 1 ? 's' : ''} at ${shown}: ${what}`);
  }

  private describeRegions(): string {
    return this.regions.map((r) => `${r.name} [0x${r.start.toString(16)}, 0x${r.end.toString(16)})`).join(', ');
  }

  private loop(): bigint {
    const { word: words, src: srcs, off: offs } = this.prog;
    const lo = this.lo;
    const hi = this.hi;
    // Views of the memory; a helper call may grow it, so they are re-read after one.
    let u8 = this.u8;
    let dv = this.dv;
    let budget = this.budget;
    let pc = 0;
    let depth = 0;
    let mayGoto = MAY_GOTO_BUDGET;
    // Straight-line code cannot loop, so the budget is charged only when
    // control transfers: `start` is the first slot of the current run.
    let start = 0;
    for (;;) {
      const w = words[pc]!;
      const d = (w >>> 8) & 0xf;
      const a = (w >>> 12) & 0xf;
      const s = srcs[pc]!;
      let taken: boolean;
      switch (w & 0xff) {
        case Op.ADD64: {
          const x = lo[a]!;
          const l = (x + lo[s]!) | 0;
          hi[d] = (hi[a]! + hi[s]! + (l >>> 0 < x >>> 0 ? 1 : 0)) | 0;
          lo[d] = l;
          pc += w >>> 16;
          continue;
        }
        case Op.SUB64: {
          const x = lo[a]!;
          const y = lo[s]!;
          hi[d] = (hi[a]! - hi[s]! - (x >>> 0 < y >>> 0 ? 1 : 0)) | 0;
          lo[d] = (x - y) | 0;
          pc += w >>> 16;
          continue;
        }
        case Op.MUL64:
          mul64(lo, hi, d, a, s);
          pc += w >>> 16;
          continue;
        case Op.DIV64:
        case Op.SDIV64:
        case Op.MOD64:
        case Op.SMOD64:
          div64(lo, hi, d, a, s, w & 0xff);
          pc += w >>> 16;
          continue;
        case Op.OR64:
          lo[d] = lo[a]! | lo[s]!;
          hi[d] = hi[a]! | hi[s]!;
          pc += w >>> 16;
          continue;
        case Op.AND64:
          lo[d] = lo[a]! & lo[s]!;
          hi[d] = hi[a]! & hi[s]!;
          pc += w >>> 16;
          continue;
        case Op.XOR64:
          lo[d] = lo[a]! ^ lo[s]!;
          hi[d] = hi[a]! ^ hi[s]!;
          pc += w >>> 16;
          continue;
        case Op.MOV64:
          lo[d] = lo[s]!;
          hi[d] = hi[s]!;
          pc += w >>> 16;
          continue;
        case Op.LSH64: {
          const n = lo[s]! & 63;
          const l = lo[a]!;
          const h = hi[a]!;
          lo[d] = n >= 32 ? 0 : l << n;
          hi[d] = n >= 32 ? l << (n - 32) : n === 0 ? h : (h << n) | (l >>> (32 - n));
          pc += w >>> 16;
          continue;
        }
        case Op.RSH64: {
          const n = lo[s]! & 63;
          const l = lo[a]!;
          const h = hi[a]!;
          lo[d] = n >= 32 ? h >>> (n - 32) : n === 0 ? l : (l >>> n) | (h << (32 - n));
          hi[d] = n >= 32 ? 0 : h >>> n;
          pc += w >>> 16;
          continue;
        }
        case Op.ARSH64: {
          const n = lo[s]! & 63;
          const l = lo[a]!;
          const h = hi[a]!;
          lo[d] = n >= 32 ? h >> (n - 32) : n === 0 ? l : (l >>> n) | (h << (32 - n));
          hi[d] = n >= 32 ? h >> 31 : h >> n;
          pc += w >>> 16;
          continue;
        }
        case Op.NEG64: {
          const l = lo[d]!;
          lo[d] = -l;
          hi[d] = ~hi[d]! + (l === 0 ? 1 : 0);
          pc += w >>> 16;
          continue;
        }
        case Op.MOVSX8_64:
          lo[d] = (lo[s]! << 24) >> 24;
          hi[d] = lo[d]! >> 31;
          pc += w >>> 16;
          continue;
        case Op.MOVSX16_64:
          lo[d] = (lo[s]! << 16) >> 16;
          hi[d] = lo[d]! >> 31;
          pc += w >>> 16;
          continue;
        case Op.MOVSX32_64:
          lo[d] = lo[s]!;
          hi[d] = lo[s]! >> 31;
          pc += w >>> 16;
          continue;
        case Op.BSWAP16: {
          const v = lo[d]!;
          lo[d] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        }
        case Op.BSWAP32:
          lo[d] = bswap32(lo[d]!);
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.BSWAP64: {
          const l = lo[d]!;
          lo[d] = bswap32(hi[d]!);
          hi[d] = bswap32(l);
          pc += w >>> 16;
          continue;
        }
        case Op.ADD32:
          lo[d] = lo[a]! + lo[s]!;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.SUB32:
          lo[d] = lo[a]! - lo[s]!;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.MUL32:
          lo[d] = Math.imul(lo[a]!, lo[s]!);
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.DIV32: {
          const b = lo[s]! >>> 0;
          lo[d] = b === 0 ? 0 : Math.floor((lo[a]! >>> 0) / b);
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        }
        case Op.SDIV32: {
          const b = lo[s]!;
          lo[d] = b === 0 ? 0 : Math.trunc(lo[a]! / b);
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        }
        case Op.MOD32: {
          const b = lo[s]! >>> 0;
          lo[d] = b === 0 ? lo[a]! : (lo[a]! >>> 0) % b;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        }
        case Op.SMOD32: {
          const b = lo[s]!;
          lo[d] = b === 0 ? lo[a]! : lo[a]! % b;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        }
        case Op.OR32:
          lo[d] = lo[a]! | lo[s]!;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.AND32:
          lo[d] = lo[a]! & lo[s]!;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.XOR32:
          lo[d] = lo[a]! ^ lo[s]!;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.LSH32:
          lo[d] = lo[a]! << lo[s]!;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.RSH32:
          lo[d] = lo[a]! >>> lo[s]!;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.ARSH32:
          lo[d] = lo[a]! >> lo[s]!;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.NEG32:
          lo[d] = -lo[d]!;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.MOV32:
          lo[d] = lo[s]!;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.MOVSX8_32:
          lo[d] = (lo[s]! << 24) >> 24;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.MOVSX16_32:
          lo[d] = (lo[s]! << 16) >> 16;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.LE16:
          lo[d] = lo[d]! & 0xffff;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.NOP:
          pc += w >>> 16;
          continue;
        case Op.LDXB:
          lo[d] = u8[this.rd(pc, lo[s]!, hi[s]!, offs[pc]!, 1)]!;
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.LDXH:
          lo[d] = dv.getUint16(this.rd(pc, lo[s]!, hi[s]!, offs[pc]!, 2), true);
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.LDXW:
          lo[d] = dv.getInt32(this.rd(pc, lo[s]!, hi[s]!, offs[pc]!, 4), true);
          hi[d] = 0;
          pc += w >>> 16;
          continue;
        case Op.LDXDW: {
          const a = this.rd(pc, lo[s]!, hi[s]!, offs[pc]!, 8);
          lo[d] = dv.getInt32(a, true);
          hi[d] = dv.getInt32(a + 4, true);
          pc += w >>> 16;
          continue;
        }
        case Op.LDXSB:
          lo[d] = dv.getInt8(this.rd(pc, lo[s]!, hi[s]!, offs[pc]!, 1));
          hi[d] = lo[d]! >> 31;
          pc += w >>> 16;
          continue;
        case Op.LDXSH:
          lo[d] = dv.getInt16(this.rd(pc, lo[s]!, hi[s]!, offs[pc]!, 2), true);
          hi[d] = lo[d]! >> 31;
          pc += w >>> 16;
          continue;
        case Op.LDXSW:
          lo[d] = dv.getInt32(this.rd(pc, lo[s]!, hi[s]!, offs[pc]!, 4), true);
          hi[d] = lo[d]! >> 31;
          pc += w >>> 16;
          continue;
        case Op.STB:
          u8[this.wr(pc, lo[d]!, hi[d]!, offs[pc]!, 1)] = lo[s]!;
          pc += w >>> 16;
          continue;
        case Op.STH:
          dv.setInt16(this.wr(pc, lo[d]!, hi[d]!, offs[pc]!, 2), lo[s]!, true);
          pc += w >>> 16;
          continue;
        case Op.STW:
          dv.setInt32(this.wr(pc, lo[d]!, hi[d]!, offs[pc]!, 4), lo[s]!, true);
          pc += w >>> 16;
          continue;
        case Op.STDW: {
          const a = this.wr(pc, lo[d]!, hi[d]!, offs[pc]!, 8);
          dv.setInt32(a, lo[s]!, true);
          dv.setInt32(a + 4, hi[s]!, true);
          pc += w >>> 16;
          continue;
        }
        case Op.ATOMIC:
          this.atomic(pc, d, s);
          pc += w >>> 16;
          continue;
        case Op.LDDW:
          lo[d] = this.prog.imm[pc]!;
          hi[d] = this.prog.imm2[pc]!;
          pc += w >>> 16;
          continue;
        case Op.LDPKT:
          if (!this.loadPacket(pc, s)) return 0n;
          pc += w >>> 16;
          continue;
        case Op.JA:
          taken = true;
          break;
        case Op.JEQ64:
          taken = lo[d] === lo[s] && hi[d] === hi[s];
          break;
        case Op.JNE64:
          taken = lo[d] !== lo[s] || hi[d] !== hi[s];
          break;
        case Op.JSET64:
          taken = (lo[d]! & lo[s]!) !== 0 || (hi[d]! & hi[s]!) !== 0;
          break;
        case Op.JGT64:
          taken = cmpU64(lo, hi, d, s) > 0;
          break;
        case Op.JGE64:
          taken = cmpU64(lo, hi, d, s) >= 0;
          break;
        case Op.JLT64:
          taken = cmpU64(lo, hi, d, s) < 0;
          break;
        case Op.JLE64:
          taken = cmpU64(lo, hi, d, s) <= 0;
          break;
        case Op.JSGT64:
          taken = cmpS64(lo, hi, d, s) > 0;
          break;
        case Op.JSGE64:
          taken = cmpS64(lo, hi, d, s) >= 0;
          break;
        case Op.JSLT64:
          taken = cmpS64(lo, hi, d, s) < 0;
          break;
        case Op.JSLE64:
          taken = cmpS64(lo, hi, d, s) <= 0;
          break;
        case Op.JEQ32:
          taken = lo[d] === lo[s];
          break;
        case Op.JNE32:
          taken = lo[d] !== lo[s];
          break;
        case Op.JSET32:
          taken = (lo[d]! & lo[s]!) !== 0;
          break;
        case Op.JGT32:
          taken = lo[d]! >>> 0 > lo[s]! >>> 0;
          break;
        case Op.JGE32:
          taken = lo[d]! >>> 0 >= lo[s]! >>> 0;
          break;
        case Op.JLT32:
          taken = lo[d]! >>> 0 < lo[s]! >>> 0;
          break;
        case Op.JLE32:
          taken = lo[d]! >>> 0 <= lo[s]! >>> 0;
          break;
        case Op.JSGT32:
          taken = lo[d]! > lo[s]!;
          break;
        case Op.JSGE32:
          taken = lo[d]! >= lo[s]!;
          break;
        case Op.JSLT32:
          taken = lo[d]! < lo[s]!;
          break;
        case Op.JSLE32:
          taken = lo[d]! <= lo[s]!;
          break;
        case Op.CALL:
          this.callHelper(pc, this.prog.imm[pc]!);
          u8 = this.u8;
          dv = this.dv;
          pc += w >>> 16;
          continue;
        case Op.CALLX:
          this.callHelper(pc, lo[d]!);
          u8 = this.u8;
          dv = this.dv;
          pc += w >>> 16;
          continue;
        case Op.KFUNC:
          throw new BpfError('ENOTSUPP', `pc ${pc}: kfunc call (BTF id ${this.prog.imm[pc]}) needs a runtime that provides kfuncs`);
        case Op.CALL_LOCAL:
          if (depth + 1 >= MAX_CALL_FRAMES) {
            throw new BpfError('E2BIG', `pc ${pc}: the call stack of ${depth + 2} frames is too deep (at most ${MAX_CALL_FRAMES})`);
          }
          this.pushFrame(depth++, pc + 1);
          taken = true;
          break;
        case Op.EXIT:
          budget -= pc + 1 - start;
          if (depth === 0) {
            this.executed = this.budget - budget;
            return this.reg(0);
          }
          pc = start = this.popFrame(--depth);
          continue;
        case Op.MAY_GOTO:
          taken = mayGoto === 0;
          if (!taken) mayGoto--;
          break;
        default:
          throw new BpfError('EINVAL', `pc ${pc}: no instruction to execute (the program must end with exit)`);
      }
      if (taken) {
        budget -= pc + 1 - start;
        if (budget < 0) this.outOfBudget(pc);
        pc = start = offs[pc]!;
      } else pc++;
    }
  }

  private outOfBudget(pc: number): never {
    this.executed = this.budget;
    throw new BpfError('E2BIG', `pc ${pc}: instruction budget of ${this.budget} exhausted (runaway program?)`);
  }

  /** Save r6–r9, the return slot and r10; the callee gets the next frame down. */
  private pushFrame(depth: number, ret: number): void {
    const f = depth * 9;
    for (let r = 6; r <= 9; r++) {
      this.frames[f + (r - 6) * 2] = this.lo[r]!;
      this.frames[f + (r - 6) * 2 + 1] = this.hi[r]!;
    }
    this.frames[f + 8] = ret;
    this.lo[10] = this.lo[10]! - STACK_SIZE;
  }

  private popFrame(depth: number): number {
    const f = depth * 9;
    for (let r = 6; r <= 9; r++) {
      this.lo[r] = this.frames[f + (r - 6) * 2]!;
      this.hi[r] = this.frames[f + (r - 6) * 2 + 1]!;
    }
    this.lo[10] = this.lo[10]! + STACK_SIZE;
    return this.frames[f + 8]!;
  }

  private callHelper(pc: number, id: number): void {
    const h = this.helpers.get(id);
    if (!h) throw new BpfError('EINVAL', `pc ${pc}: invalid func unknown#${id >>> 0} (no helper with that id)`);
    const r0 = h.fn(this.env(pc), this.reg(1), this.reg(2), this.reg(3), this.reg(4), this.reg(5));
    this.setReg(0, r0);
    // A helper may have grown the memory, which detaches the old buffer.
    this.refreshViews();
  }

  private env(pc: number): HelperEnv {
    const at = (addr: bigint, len: number, write: boolean): number => {
      const u = BigInt.asUintN(64, addr);
      return (write ? this.wr : this.rd).call(this, pc, Number(u & 0xffffffffn), Number(u >> 32n), 0, len);
    };
    return {
      read: (addr, len) => (len === 0 ? new Uint8Array(0) : this.u8.slice(at(addr, len, false), at(addr, len, false) + len)),
      write: (addr, data) => {
        if (data.length) this.u8.set(data, at(addr, data.length, true));
      },
    };
  }

  private atomic(pc: number, d: number, s: number): void {
    const code = this.insns[pc]!.code;
    const imm = this.prog.imm[pc]!;
    const size = o.sizeBytes(code);
    const off = this.prog.off[pc]!;
    if (imm === o.BPF_LOAD_ACQ) {
      const a = this.rd(pc, this.lo[s]!, this.hi[s]!, off, size);
      this.setReg(d, this.load(a, size));
      return;
    }
    const a = this.wr(pc, this.lo[d]!, this.hi[d]!, off, size);
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
  private loadPacket(pc: number, s: number): boolean {
    const ins = this.insns[pc]!;
    if (!this.packet) throw new BpfError('EINVAL', `pc ${pc}: legacy packet load needs a packet (socket filter context)`);
    const size = o.sizeBytes(ins.code);
    const rel = BigInt(ins.imm) + (o.mode(ins.code) === o.BPF_IND ? BigInt.asIntN(32, this.reg(s)) : 0n);
    const len = BigInt(this.packet.end - this.packet.start);
    if (rel < 0n || rel + BigInt(size) > len) return false;
    const a = this.packet.start + Number(rel);
    let v = 0n;
    for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(this.u8[a + i]!);
    this.setReg(0, v);
    for (let r = 1; r <= 5; r++) this.lo[r] = this.hi[r] = 0;
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

function cmpU64(lo: Int32Array, hi: Int32Array, d: number, s: number): number {
  const a = hi[d]! >>> 0;
  const b = hi[s]! >>> 0;
  if (a !== b) return a > b ? 1 : -1;
  const c = lo[d]! >>> 0;
  const e = lo[s]! >>> 0;
  return c === e ? 0 : c > e ? 1 : -1;
}

function cmpS64(lo: Int32Array, hi: Int32Array, d: number, s: number): number {
  const a = hi[d]!;
  const b = hi[s]!;
  if (a !== b) return a > b ? 1 : -1;
  const c = lo[d]! >>> 0;
  const e = lo[s]! >>> 0;
  return c === e ? 0 : c > e ? 1 : -1;
}

/**
 * Low 64 bits of the product, from 16-bit partial products; Math.imul keeps
 * every step in int32 arithmetic (only the low 32 bits of each sum matter).
 */
function mul64(lo: Int32Array, hi: Int32Array, d: number, a: number, s: number): void {
  const al = lo[a]!;
  const bl = lo[s]!;
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p01 = Math.imul(a0, b1);
  const p10 = Math.imul(a1, b0);
  const mid = (Math.imul(a0, b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const carry = (Math.imul(a1, b1) + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
  hi[d] = (carry + Math.imul(al, hi[s]!) + Math.imul(hi[a]!, bl)) | 0;
  lo[d] = Math.imul(al, bl);
}

/** DIV/SDIV/MOD/SMOD in 64 bits with the ISA's rules: x/0 = 0, x%0 = x, INT_MIN/-1 wraps. */
function div64(lo: Int32Array, hi: Int32Array, d: number, a: number, s: number, op: Op): void {
  const signed = op === Op.SDIV64 || op === Op.SMOD64;
  const isDiv = op === Op.DIV64 || op === Op.SDIV64;
  const bZero = lo[s] === 0 && hi[s] === 0;
  if (bZero) {
    lo[d] = isDiv ? 0 : lo[a]!;
    hi[d] = isDiv ? 0 : hi[a]!;
    return;
  }
  const n = (BigInt(hi[a]!) << 32n) | BigInt(lo[a]! >>> 0);
  const m = (BigInt(hi[s]!) << 32n) | BigInt(lo[s]! >>> 0);
  const [x, y] = signed ? [BigInt.asIntN(64, n), BigInt.asIntN(64, m)] : [BigInt.asUintN(64, n), BigInt.asUintN(64, m)];
  const r = BigInt.asUintN(64, isDiv ? x / y : x % y);
  lo[d] = Number(r & 0xffffffffn);
  hi[d] = Number(r >> 32n);
}
