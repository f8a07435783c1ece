import { S32_MAX, S32_MIN, S64_MAX, S64_MIN } from './bounds.js';
import { Reg, typeStr } from './reg.js';
import { FuncState, REG_SIZE, SLOT_CHAR, Slot, VerifierState } from './state.js';
import { U32_MAX, U64_MAX, tnumIsConst, tnumIsUnknown } from './tnum.js';

/**
 * The verifier log, in the format of Linux's (kernel/bpf/log.c): one line per
 * instruction processed, the registers and stack slots the instruction
 * touched after it (`0: (b7) r0 = 0                        ; R0=0`), the
 * error, and the statistics line. At level 1 the lines of a path that ended
 * well are taken back when the next path starts, as Linux does, so that a
 * rejection shows the path that failed; level 2 keeps every path and prints
 * each branch's state ("from 3 to 5: ...").
 */
export class Log {
  private chunks: string[] = [];
  /** characters written so far (Linux's end_pos), counting those dropped from the front */
  private len = 0;
  /** characters dropped from the front when the log outgrew its cap */
  private dropped = 0;
  /** end_pos right after the last instruction line, and that line's length after "N: " */
  private insnEnd = -1;
  private insnLen = 0;
  /** whether the beginning of the log was dropped (as Linux's rotating log buffer drops it) */
  truncated = false;

  constructor(readonly level: number, private readonly cap = 16 << 20) {}

  get enabled(): boolean {
    return this.level > 0;
  }

  write(s: string): void {
    if (!this.enabled || !s) return;
    this.chunks.push(s);
    this.len += s.length;
    if (this.len - this.dropped > 2 * this.cap) this.dropFront();
  }

  /** Forget the front of a log that outgrew its cap, keeping at least cap characters (text() cuts exactly). */
  private dropFront(): void {
    let keep = this.len - this.dropped;
    let i = 0;
    while (i < this.chunks.length - 1 && keep - this.chunks[i]!.length >= this.cap) keep -= this.chunks[i++]!.length;
    for (let j = 0; j < i; j++) this.dropped += this.chunks[j]!.length;
    this.chunks = this.chunks.slice(i);
    this.truncated = true;
  }

  /** A position to come back to (reset): the characters written so far. */
  get pos(): number {
    return this.len;
  }

  /** Take back everything after `pos`, cutting a chunk in the middle if need be (as Linux does). */
  reset(pos: number): void {
    while (this.len > pos && this.chunks.length) {
      const last = this.chunks.pop()!;
      this.len -= last.length;
      if (this.len < pos) {
        this.chunks.push(last.slice(0, pos - this.len));
        this.len = pos;
      }
    }
    if (this.len > pos) this.len = this.dropped = pos;
  }

  /** `N: (b7) r0 = 0` */
  insn(idx: number, text: string): void {
    if (!this.enabled) return;
    this.write(`${idx}: `);
    this.write(`${text}\n`);
    this.insnEnd = this.len;
    this.insnLen = `${idx}: `.length + text.length + 1;
  }

  /**
   * The state an instruction left: on the instruction's own line when nothing
   * was printed since, aligned as Linux aligns it; else on a line of its own.
   */
  insnState(idx: number, state: string): void {
    if (!this.enabled) return;
    if (this.insnEnd === this.len && this.insnEnd > 0) {
      // (insnEnd stays: a reset back to it puts the next state on this line again, as in Linux)
      const end = this.insnEnd;
      this.reset(this.len - 1);
      this.insnEnd = end;
      this.write(`${' '.repeat(alignment(this.insnLen))};${state}\n`);
    } else {
      this.write(`${idx}:${state}\n`);
    }
  }

  /** The log; one that outgrew its buffer keeps its last cap - 1 characters, as Linux's rotating buffer does. */
  text(): string {
    const t = this.chunks.join('');
    return t.length > this.cap - 1 ? t.slice(t.length - (this.cap - 1)) : t;
  }
}

/** Linux's vlog_alignment: pad so that ';' falls on a multiple of 8, at column 40 or more. */
function alignment(pos: number): number {
  const want = Math.max(pos + 4, 40);
  return Math.ceil(want / 8) * 8 - pos - 1;
}

const S16_MIN = -32768n;
const S16_MAX = 32767n;
const U16_MAX = 65535n;

export const unum = (v: bigint): string => (v <= U16_MAX ? v.toString() : `0x${BigInt.asUintN(64, v).toString(16)}`);
export const snum = (v: bigint): string => (v >= S16_MIN && v <= S16_MAX ? v.toString() : `0x${BigInt.asUintN(64, v).toString(16)}`);

/** A tnum as the log prints it: a constant, or "(value; mask)". */
export function tnumLog(t: { value: bigint; mask: bigint }): string {
  if (t.mask === 0n) return unum(t.value);
  return `(0x${t.value.toString(16)}; 0x${t.mask.toString(16)})`;
}

/** smin=..,smax=umax=.. as print_scalar_ranges joins equal bounds. */
function scalarRanges(r: Reg): string[] {
  const fmt32 = (v: bigint): bigint => (v >= S16_MIN && v <= S16_MAX ? v : BigInt.asUintN(32, v));
  const ms = [
    { name: 'smin', val: r.smin, omit: r.smin === S64_MIN },
    { name: 'smax', val: r.smax, omit: r.smax === S64_MAX },
    { name: 'umin', val: r.umin, omit: r.umin === 0n },
    { name: 'umax', val: r.umax, omit: r.umax === U64_MAX },
    { name: 'smin32', val: fmt32(r.s32min), omit: r.s32min === S32_MIN },
    { name: 'smax32', val: fmt32(r.s32max), omit: r.s32max === S32_MAX },
    { name: 'umin32', val: r.u32min, omit: r.u32min === 0n },
    { name: 'umax32', val: r.u32max, omit: r.u32max === U32_MAX },
  ];
  const out: string[] = [];
  // Values compare as the u64 Linux stores them; signs must match to be joined.
  const key = (v: bigint): bigint => BigInt.asUintN(64, v);
  const neg = (m: { name: string; val: bigint }): boolean => m.name[0] === 's' && BigInt.asIntN(64, m.val) < 0n;
  for (let i = 0; i < ms.length; i++) {
    const m1 = ms[i]!;
    if (m1.omit) continue;
    let s = `${m1.name}=`;
    for (let j = i + 2; j < ms.length; j += 2) {
      const m2 = ms[j]!;
      if (m2.omit || key(m2.val) !== key(m1.val) || neg(m2) !== neg(m1)) continue;
      m2.omit = true;
      s += `${m2.name}=`;
    }
    out.push(s + (m1.name[0] === 's' ? snum(BigInt.asIntN(64, m1.val)) : unum(m1.val)));
  }
  return out;
}

/** One register as print_reg_state prints it: "0", "ctx()", "fp-8", "map_value(map=m,ks=4,vs=8)", "scalar(umax=255,var_off=(0x0; 0xff))". */
export function regLog(r: Reg, frameno: number): string {
  const p = r.type === 'scalar' && r.precise ? 'P' : '';
  if (r.type === 'scalar' && tnumIsConst(r.varOff)) return p + snum(BigInt.asIntN(64, r.varOff.value));
  let s = p + typeStr(r) + (r.type === 'btf_id' ? r.btf!.name : '');
  if (r.type === 'stack') {
    if (r.frameno !== frameno) s += `[${r.frameno}]`;
    if (tnumIsConst(r.varOff)) return s + snum(BigInt.asIntN(64, r.varOff.value) + BigInt(r.off));
  }
  const a: string[] = [];
  if (r.id) a.push(`id=${r.id}${r.addConst ? (r.off < 0 ? r.off : `+${r.off}`) : ''}`);
  if (r.refObjId) a.push(`ref_obj_id=${r.refObjId}`);
  if ((r.type === 'map_ptr' || r.type === 'map_value' || r.type === 'map_key') && r.map) {
    if (r.map.name) a.push(`map=${r.map.name}`);
    a.push(`ks=${r.map.keySize},vs=${r.map.valueSize}`);
  }
  if (r.type !== 'scalar' && r.off) a.push(`off=${snum(BigInt(r.off))}`);
  if (r.type === 'pkt' || r.type === 'pkt_meta') a.push(`r=${unum(BigInt.asUintN(64, BigInt(r.range)))}`);
  if (r.type === 'mem') a.push(`sz=${unum(BigInt(r.memSize))}`);
  if (tnumIsConst(r.varOff)) {
    if (r.varOff.value) a.push(`imm=${snum(BigInt.asIntN(64, r.varOff.value))}`);
  } else {
    a.push(...scalarRanges(r));
    if (!tnumIsUnknown(r.varOff)) a.push(`var_off=${tnumLog(r.varOff)}`);
  }
  return `${s}(${a.join(',')})`;
}

/** Which registers and stack slots to print; undefined prints all. */
export interface Scratch {
  regs: number;
  stack: Set<number>;
}

/** A frame's state as print_verifier_state prints it, each item with a leading space. */
export function frameLog(st: VerifierState, f: FuncState, only?: Scratch): string {
  let s = f.frameno ? ` frame${f.frameno}:` : '';
  f.regs.forEach((r, i) => {
    if (r.type === 'not_init' || (only && !(only.regs & (1 << i)))) return;
    s += ` R${i}=${regLog(r, f.frameno)}`;
  });
  f.stack.forEach((slot, i) => {
    if (only && !only.stack.has(i)) return;
    if (slot.types.every((t) => t === Slot.INVALID)) return;
    const chars = slot.types.map((t) => SLOT_CHAR[t]).join('');
    const at = ` fp${-(i + 1) * REG_SIZE}=`;
    if (slot.types[REG_SIZE - 1] === Slot.SPILL) {
      const first = slot.types.indexOf(Slot.SPILL);
      s += at + chars.slice(0, first) + regLog(slot.spilled, f.frameno);
    } else s += at + chars;
  });
  if (st.refs.length) s += ` refs=${st.refs.map((r) => r.id).join(',')}`;
  if (f.inCallback) s += ' cb';
  return s;
}

/** The whole state of the current frame (every register and slot). */
export function stateLog(st: VerifierState): string {
  return frameLog(st, st.frames[st.frames.length - 1]!);
}
