/**
 * Random programs for the verifier's differential and soundness tests:
 * XDP, socket filter, tc and kprobe programs made of small blocks that exercise what the verifier tracks —
 * scalar arithmetic in 64 and 32 bits, conditional jumps, stack spills,
 * map lookups with NULL checks and bounded or unbounded indexes, packet
 * accesses with and without a check against data_end, bounded loops. Most
 * blocks are correct, some are subtly not, so that both verdicts occur.
 *
 * The program is assembler text (src/isa/asm.ts syntax); map 0 is an ARRAY
 * map (key 4, value 16, 4 entries) named by `map[idx:0]`, map 1 a ring
 * buffer. Some programs call functions of their own, appended after the
 * main program.
 */
import fc from 'fast-check';
import { XorShift32 } from './rng.js';

export const GEN_MAP = { type: 2, typeName: 'array', keySize: 4, valueSize: 16, maxEntries: 4, flags: 0 };
export const GEN_RINGBUF = { type: 27, typeName: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 };
/** The maps every generated program is given: map[idx:0] and map[idx:1]. */
export const GEN_MAPS = [GEN_MAP, GEN_RINGBUF];

/** A tiny deterministic PRNG (xorshift32), so that a seed gives a program. */
export class Rng extends XorShift32 {
  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.next() % xs.length]!;
  }
}

const SCALARS = ['r7', 'r8', 'r9'];
const ALU = ['+=', '-=', '*=', '&=', '|=', '^=', '<<=', '>>=', 's>>=', '/=', '%='];
const CMP = ['==', '!=', '>', '>=', '<', '<=', 's>', 's>=', 's<', 's<=', '&'];

/** An immediate that is often small, sometimes near a boundary. */
function imm(r: Rng): number {
  switch (r.int(0, 5)) {
    case 0:
      return r.int(-4, 4);
    case 1:
      return r.int(0, 20);
    case 2:
      return r.pick([15, 16, 31, 32, 63, 64, 255, 256, 0x7fff, 0xffff]);
    case 3:
      return r.pick([-1, -16, 0x7fffffff, -0x80000000, 0x80000000 | 0]);
    default:
      return r.int(-100, 100);
  }
}

/** The program types the generator writes for, with what their context offers. */
export type GenType = 'xdp' | 'socket_filter' | 'sched_cls' | 'kprobe';
export const GEN_TYPES: readonly GenType[] = ['xdp', 'socket_filter', 'sched_cls', 'kprobe'];

/** Context fields to read (offset, sizes that are allowed, plus some that are not) and to write. */
const CTX: Record<GenType, { read: [number, number[]][]; write: [number, number[]][] }> = {
  xdp: { read: [[12, [4]], [16, [4]], [12, [2]], [20, [4]]], write: [[12, [4]]] },
  socket_filter: { read: [[0, [4, 2, 1]], [8, [4]], [16, [4]], [48, [4, 8]], [56, [4]], [76, [4]]], write: [[48, [4, 8]], [52, [4]], [8, [4]]] },
  sched_cls: { read: [[0, [4]], [8, [4]], [32, [4]], [44, [4]], [48, [4]], [152, [8]]], write: [[8, [4]], [32, [4]], [44, [4]], [48, [4]], [0, [4]]] },
  kprobe: { read: [[0, [8]], [8, [8]], [112, [8, 4]], [160, [8]], [168, [8]], [4, [4]]], write: [[0, [8]]] },
};

class Gen {
  private lines: string[] = [];
  private label = 0;
  /** functions to append after the main program */
  readonly funcs: string[][] = [];
  constructor(private r: Rng, readonly type: GenType = 'xdp') {}

  emit(s: string): void {
    this.lines.push(s);
  }
  fresh(): string {
    return `L${this.label++}`;
  }
  text(): string {
    return this.lines.join('\n');
  }

  scalarSource(dst: string): void {
    const r = this.r;
    switch (r.int(0, 4)) {
      case 0:
        this.emit(`${dst} = ${imm(r)}`);
        break;
      case 1:
      case 2: {
        const [off, sizes] = r.pick(CTX[this.type].read);
        const size = r.chance(0.9) ? r.pick(sizes) : r.pick([1, 2, 4, 8]);
        this.emit(`${dst} = *(u${size * 8} *)(r6 + ${off})`);
        break;
      }
      case 3:
        this.emit('call 7');
        this.emit(`${dst} = r0`);
        break;
      default:
        this.emit(`${dst} = ${r.pick(SCALARS)}`);
    }
  }

  alu(): void {
    const r = this.r;
    const w = r.chance(0.3);
    const d = r.pick(SCALARS);
    const reg = (x: string): string => (w ? x.replace('r', 'w') : x);
    const op = r.pick(ALU);
    if (r.chance(0.15)) {
      this.emit(`${reg(d)} = -${reg(d)}`);
      return;
    }
    if (r.chance(0.1)) {
      this.emit(`${d} = ${r.pick(['be16', 'be32', 'le16', 'le32', 'bswap16', 'bswap64'])} ${d}`);
      return;
    }
    if (r.chance(0.1)) {
      this.emit(`${reg(d)} = (s${r.pick(w ? [8, 16] : [8, 16, 32])})${reg(r.pick(SCALARS))}`);
      return;
    }
    if (r.chance(0.4)) {
      this.emit(`${reg(d)} ${op} ${reg(r.pick(SCALARS))}`);
      return;
    }
    let k = imm(r);
    if (op === '<<=' || op === '>>=' || op === 's>>=') k = r.chance(0.9) ? r.int(0, w ? 31 : 63) : r.int(-1, 70);
    if ((op === '/=' || op === '%=') && k === 0) k = r.chance(0.9) ? 3 : 0;
    this.emit(`${reg(d)} ${op} ${k}`);
  }

  branch(body: () => void): void {
    const r = this.r;
    const l = this.fresh();
    const w = r.chance(0.25) ? 'w' : 'r';
    const a = r.pick(SCALARS).replace('r', w);
    const b = r.chance(0.3) ? r.pick(SCALARS).replace('r', w) : `${imm(r)}`;
    this.emit(`if ${a} ${r.pick(CMP)} ${b} goto ${l}`);
    body();
    this.emit(`${l}:`);
  }

  spill(): void {
    const r = this.r;
    const slot = r.pick([8, 16, 24]);
    const s = r.pick(SCALARS);
    if (r.chance(0.5)) this.emit(`*(u64 *)(r10 - ${slot}) = ${s}`);
    else this.emit(`*(u32 *)(r10 - ${slot}) = ${s}`);
    if (r.chance(0.8)) this.emit(`${r.pick(SCALARS)} = *(${r.pick(['u64', 'u32', 'u16', 'u8'])} *)(r10 - ${slot})`);
  }

  /** A lookup in the array map, then an access at an index computed from a scalar. */
  mapAccess(): void {
    const r = this.r;
    const out = this.fresh();
    this.emit(`*(u32 *)(r10 - 4) = ${r.chance(0.7) ? r.int(0, 5) : 'r7'}`.replace('= r7', '= r7'));
    this.emit('r2 = r10');
    this.emit('r2 += -4');
    this.emit('r1 = map[idx:0] ll');
    this.emit('call 1');
    if (r.chance(0.9)) this.emit(`if r0 == 0 goto ${out}`);
    const i = r.pick(SCALARS);
    const size = r.pick([1, 2, 4, 8]);
    if (r.chance(0.6)) {
      this.emit(`r1 = ${i}`);
      if (r.chance(0.7)) this.emit(`r1 &= ${r.pick([3, 7, 15, 8, 12])}`);
      else if (r.chance(0.5)) this.emit(`if r1 > ${r.pick([7, 8, 15, 16])} goto ${out}`);
      this.emit('r0 += r1');
    }
    const off = r.pick([0, 4, 8, 12, 15, 16]);
    if (r.chance(0.5)) this.emit(`${r.pick(SCALARS)} = *(u${size * 8} *)(r0 + ${off})`);
    else this.emit(`*(u${size * 8} *)(r0 + ${off}) = ${r.pick(SCALARS)}`);
    this.emit(`${out}:`);
  }

  /** A context write (sometimes of a field the type may not write). */
  ctxWrite(): void {
    const r = this.r;
    const [off, sizes] = r.pick(CTX[this.type].write);
    const size = r.chance(0.9) ? r.pick(sizes) : r.pick([1, 2, 4, 8]);
    if (r.chance(0.5)) this.emit(`*(u${size * 8} *)(r6 + ${off}) = ${r.pick(SCALARS)}`);
    else this.emit(`*(u${size * 8} *)(r6 + ${off}) = ${imm(r)}`);
  }

  /** What each type reads of its data: packets, LD_ABS/LD_IND, skb_load_bytes, probe reads. */
  data(): void {
    const r = this.r;
    switch (this.type) {
      case 'xdp':
        return this.packet(0, 4);
      case 'sched_cls':
        return this.packet(76, 80);
      case 'socket_filter':
        if (r.chance(0.5)) {
          const size = r.pick([8, 16, 32]);
          if (r.chance(0.5)) this.emit(`r0 = *(u${size} *)skb[${r.int(0, 40)}]`);
          else this.emit(`r0 = *(u${size} *)skb[${r.pick(SCALARS)} + ${r.int(0, 20)}]`);
          this.emit(`${r.pick(SCALARS)} = r0`);
          return;
        }
        return this.helperRead(26);
      default:
        return this.helperRead(113);
    }
  }

  /** skb_load_bytes(ctx, off, buf, len) or probe_read_kernel(buf, len, ptr) into the stack. */
  helperRead(id: number): void {
    const r = this.r;
    const slot = r.pick([16, 32]);
    const len = r.chance(0.7) ? r.pick([4, 8, 16]) : r.pick(SCALARS);
    if (len.toString().startsWith('r') && r.chance(0.7)) this.emit(`${len} &= 15`);
    if (id === 26) {
      this.emit('r1 = r6');
      this.emit(`r2 = ${r.int(0, 30)}`);
      this.emit('r3 = r10');
      this.emit(`r3 += -${slot}`);
      this.emit(`r4 = ${len}`);
    } else {
      this.emit('r1 = r10');
      this.emit(`r1 += -${slot}`);
      this.emit(`r2 = ${len}`);
      this.emit(`r3 = ${r.pick(SCALARS)}`);
    }
    this.emit(`call ${id}`);
    if (r.chance(0.7)) this.emit(`${r.pick(SCALARS)} = *(u${r.pick([8, 32, 64])} *)(r10 - ${slot})`);
  }

  /** A packet read, usually after a comparison with data_end. */
  packet(data: number, end: number): void {
    const r = this.r;
    const out = this.fresh();
    const n = r.pick([1, 2, 4, 8, 14, 20]);
    this.emit(`r2 = *(u32 *)(r6 + ${data})`);
    this.emit(`r3 = *(u32 *)(r6 + ${end})`);
    this.emit('r4 = r2');
    this.emit(`r4 += ${n}`);
    if (r.chance(0.85)) this.emit(`if r4 ${r.pick(['>', '>', '>='])} r3 goto ${out}`);
    const size = r.pick([1, 2, 4]);
    const off = r.int(0, n);
    this.emit(`${r.pick(SCALARS)} = *(u${size * 8} *)(r2 + ${off})`);
    this.emit(`${out}:`);
  }

  /** A ring buffer reservation, written, then (usually) submitted or discarded. */
  ringbuf(): void {
    const r = this.r;
    const out = this.fresh();
    const size = r.pick([8, 16, 16, 24]);
    this.emit('r1 = map[idx:1] ll');
    this.emit(`r2 = ${size}`);
    this.emit('r3 = 0');
    this.emit('call 131');
    if (r.chance(0.9)) this.emit(`if r0 == 0 goto ${out}`);
    this.emit(`*(u64 *)(r0 + ${r.pick([0, 8, 8, 16])}) = ${r.pick(SCALARS)}`);
    if (r.chance(0.3)) this.branch(() => this.alu());
    if (r.chance(0.9)) {
      this.emit('r1 = r0');
      this.emit('r2 = 0');
      this.emit(`call ${r.pick([132, 133])}`);
    }
    this.emit(`${out}:`);
  }

  /** A call of a function of the program, with a scalar and a pointer to the caller's stack. */
  call(): void {
    const r = this.r;
    const name = `f${this.funcs.length}`;
    const slot = r.pick([8, 16, 32]);
    const f: string[] = [`${name}:`];
    f.push('r0 = r1');
    f.push(`r0 ${r.pick(['&=', '+=', '*=', '|='])} ${r.pick([3, 7, 15, 1])}`);
    if (r.chance(0.7)) f.push(`*(u64 *)(r2 + 0) = r0`);
    if (r.chance(0.3)) f.push(`r0 = *(u64 *)(r2 + ${r.pick([0, 8])})`);
    if (r.chance(0.2)) f.push('r0 = r2');
    f.push('exit');
    this.funcs.push(f);
    if (r.chance(0.8)) this.emit(`*(u64 *)(r10 - ${slot}) = ${r.pick(SCALARS)}`);
    this.emit(`r1 = ${r.pick(SCALARS)}`);
    this.emit('r2 = r10');
    this.emit(`r2 += -${slot}`);
    this.emit(`call ${name}`);
    this.emit(`${r.pick(SCALARS)} = r0`);
    if (r.chance(0.5)) this.emit(`${r.pick(SCALARS)} = *(u64 *)(r10 - ${slot})`);
  }

  loop(): void {
    const r = this.r;
    if (r.chance(0.4)) return this.mayGotoLoop();
    const head = this.fresh();
    const c = r.pick(SCALARS);
    this.emit(`${c} = 0`);
    this.emit(`${head}:`);
    this.alu();
    this.emit(`${c} += ${r.pick([1, 1, 2])}`);
    this.emit(`if ${c} < ${r.pick([3, 5, 8])} goto ${head}`);
  }

  /** A loop that only may_goto's hidden counter ends, with a branch inside (states converge by widening). */
  mayGotoLoop(): void {
    const r = this.r;
    const head = this.fresh();
    const done = this.fresh();
    const skip = this.fresh();
    this.emit(`${head}:`);
    this.emit(`may_goto ${done}`);
    if (r.chance(0.5)) this.scalarSource(r.pick(SCALARS));
    else this.alu();
    this.emit(`if ${r.pick(SCALARS)} > ${r.int(0, 8)} goto ${skip}`);
    this.emit(`${r.pick(SCALARS)} = ${r.chance(0.5) ? r.int(0, 4) : r.pick(SCALARS)}`);
    this.emit(`${skip}:`);
    if (r.chance(0.5)) this.alu();
    this.emit(`goto ${head}`);
    this.emit(`${done}:`);
  }

  block(depth: number): void {
    const r = this.r;
    switch (r.int(0, 9)) {
      case 0:
      case 1:
        this.scalarSource(r.pick(SCALARS));
        break;
      case 2:
      case 3:
        this.alu();
        break;
      case 4:
        if (depth < 2) this.branch(() => this.blocks(r.int(1, 2), depth + 1));
        else this.alu();
        break;
      case 5:
        this.spill();
        break;
      case 6:
      case 7:
        this.mapAccess();
        break;
      case 8:
        if (r.chance(0.25)) this.ctxWrite();
        else this.data();
        break;
      default:
        if (r.chance(0.3) && depth === 0) this.loop();
        else if (r.chance(0.3)) this.ringbuf();
        else if (r.chance(0.3) && this.funcs.length < 3) this.call();
        else this.alu();
    }
  }

  blocks(n: number, depth: number): void {
    for (let i = 0; i < n; i++) this.block(depth);
  }
}

/** The program type of the program a seed makes. */
export const typeOfSeed = (seed: number): GenType => GEN_TYPES[seed % GEN_TYPES.length]!;

/** A random program (assembler text) from a seed, of the type typeOfSeed gives. */
export function randomProgram(seed: number, blocks = 8): string {
  const r = new Rng(seed);
  const g = new Gen(r, typeOfSeed(seed));
  g.emit('r6 = r1');
  for (const s of SCALARS) g.emit(`${s} = ${r.int(0, 3)}`);
  g.blocks(r.int(2, blocks), 0);
  g.emit(r.chance(0.8) ? 'r0 = 2' : `r0 = ${r.pick(SCALARS)}`);
  g.emit('exit');
  for (const f of g.funcs) for (const l of f) g.emit(l);
  return g.text();
}

export const arbSeed = fc.integer({ min: 1, max: 0x7fffffff });
