import type { HelperRegistry } from '../helpers/registry.js';
import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import type { ProgramType } from '../progtypes/progtype.js';
import { checkAlu } from './alu.js';
import type { CtxBtf } from './btf-access.js';
import { checkCondJmp } from './branches.js';
import { checkFuncCall, prepareFuncExit, pushCallback } from './calls.js';
import { Cfg } from './cfg.js';
import { Ctx, VerifierError, reject } from './context.js';
import { checkHelperCall } from './helpers-check.js';
import { checkLdAbs, checkLdImm64, checkLdx, checkSt, checkStx, PtrTypes } from './load-store.js';
import { Log, Scratch, frameLog } from './log.js';
import { formatInsnLog, LddwNames } from './log-insn.js';
import { readReg } from './operands.js';
import { Exact, regsIdentical, statesEqual } from './prune.js';
import { checkRefLeak } from './refs.js';
import { Reg, VerifierMap, constScalar, pointer } from './reg.js';
import { FuncState, Slot, VerifierState, cloneState, curFrame, newFrame } from './state.js';
import { Backtrack, GiveUp, HistEntry, Loc, backtrackInsn, histEntry } from './precision.js';
import { CallChain, callChain } from './scc.js';
import { sameCallsites, widenImprecise } from './widen.js';

/**
 * The path exploration (Linux's do_check): instructions are checked one by
 * one on the current state; a conditional jump whose outcome is unknown
 * queues the other branch; `exit` of the program ends the path and the next
 * queued state is taken up. At prune points the state is compared with the
 * states already explored there (prune.ts): an included state ends the path
 * early. A path that grows beyond the instruction budget, or that comes back
 * to a loop head in exactly the same state, is rejected.
 */

export const INSN_LIMIT = 1_000_000;

/** A state kept at a prune point, and how many paths from it are still being explored. */
interface Checkpoint {
  state: VerifierState;
  insn: number;
  branches: number;
  parent?: Checkpoint;
  /** the instructions from the parent checkpoint to this one */
  hist: HistEntry[];
  /** stack slots (frame * 64 + slot) read by some path after this state before being overwritten */
  read: Set<number>;
  /** slots wholly written on the way from the parent checkpoint, and the first frame made anew (a call) */
  written: Set<number>;
  reset: number;
  hits: number;
  misses: number;
  /** dropped from the comparisons but still counted as alive (Linux's free list) until fully explored */
  evicted?: boolean;
  /** the loop the state is in (fixed for its life: looked up at every comparison with it) */
  chain: CallChain | undefined;
}

/**
 * Where a path stands: its last checkpoint, the instructions since, the
 * slots it wholly wrote since and the first frame it created since.
 */
interface PathPos {
  parent?: Checkpoint;
  hist: HistEntry[];
  written: Set<number>;
  reset: number;
  insn: number;
  frames: number;
}

/** Where a precision walk began in a history, and what it wanted there (Verifier.walked). */
interface Walk {
  hist: HistEntry[] | undefined;
  end: number;
  bt: Backtrack;
}

const newWalk = (): Walk => ({ hist: undefined, end: 0, bt: new Backtrack(0) });

/** A path pruned against a loop state whose marks may still grow (Linux's bpf_scc_backedge). */
interface Backedge {
  equal: Checkpoint;
  at: PathPos;
}

/** A loop (by call chain) entered on the current path: its first checkpoint and its backedges (bpf_scc_visit). */
interface SccVisit {
  chain: CallChain;
  entry?: Checkpoint;
  backedges: Backedge[];
}

interface Pending {
  state: VerifierState;
  insn: number;
  prev: number;
  logPos: number;
  parent?: Checkpoint;
  hist: HistEntry[];
  written: Set<number>;
  reset: number;
}

export interface ExploreOptions {
  insns: readonly Insn[];
  progType: ProgramType | undefined;
  helpers: HelperRegistry;
  priv: boolean;
  log: Log;
  cfg: Cfg;
  live: Uint16Array;
  /** the loop (SCC) of each instruction, 0 for none (scc.ts) */
  scc: Uint32Array;
  gpl: boolean;
  funcInfo: boolean;
  insnLimit: number;
  resolveMap(src: number, imm: number): VerifierMap | undefined;
  lddwNames: LddwNames;
  /** the source line of an instruction, from BTF line info */
  lineAt?(idx: number): SourceLine | undefined;
  ctxBtf?: CtxBtf;
}

export interface SourceLine {
  file: string;
  line: number;
  text: string;
}

export interface ExploreStats {
  insnsProcessed: number;
  maxStatesPerInsn: number;
  totalStates: number;
  peakStates: number;
  /** the stack depth each function reached, by its first instruction */
  stackDepth: Map<number, number>;
}

export class Verifier implements Ctx {
  readonly insns: readonly Insn[];
  readonly progType: ProgramType | undefined;
  readonly helpers: HelperRegistry;
  readonly priv: boolean;
  readonly log: Log;
  readonly subprogStarts: readonly number[];
  state: VerifierState;
  insnIdx = 0;
  readonly scratch: Scratch = { regs: 0x7ff, stack: new Set() };
  private allScratched = true;
  private idGen = 0;
  private readonly pending: Pending[] = [];
  private readonly explored = new Map<number, Checkpoint[]>();
  private parent: Checkpoint | undefined;
  private readonly ptrTypes: PtrTypes = new Map();
  readonly stats: ExploreStats = { insnsProcessed: 0, maxStatesPerInsn: 0, totalStates: 0, peakStates: 0, stackDepth: new Map() };
  private curStates = 0;
  private jmps = 0;
  private prevJmps = 0;
  private prevInsns = 0;
  private printState = false;
  private prevInsnIdx = -1;
  /** the instructions of the current path since its last checkpoint */
  private hist: HistEntry[] = [];
  /** the slots this path wholly wrote since its last checkpoint, and the first frame it created since */
  private written = new Set<number>();
  private reset = Infinity;
  private readonly visits = new Map<string, SccVisit>();
  /** whether marking precision changed a checkpoint (for the backedge fixed point) */
  private marked = false;

  constructor(private readonly opts: ExploreOptions) {
    this.insns = opts.insns;
    this.progType = opts.progType;
    this.helpers = opts.helpers;
    this.priv = opts.priv;
    this.log = opts.log;
    this.subprogStarts = opts.cfg.subprogs;
    const main = newFrame(0, -1, 0);
    main.regs[1] = pointer('ctx');
    this.state = { frames: [main], refs: [], mayGotoDepth: 0, cbUnrollDepth: 0 };
    this.stats.stackDepth.set(0, 0);
  }

  newId(): number {
    return ++this.idGen;
  }

  /** immOperand's registers, by instruction: an ALU or jump with an immediate runs once per iteration of a loop */
  private readonly imms: (Reg | undefined)[] = [];

  immOperand(): Reg {
    return (this.imms[this.insnIdx] ??= constScalar(BigInt(this.insns[this.insnIdx]!.imm)));
  }

  resolveMap(src: number, imm: number): VerifierMap | undefined {
    return this.opts.resolveMap(src, imm);
  }

  noteStackDepth(f: FuncState, depth: number): void {
    const prev = this.stats.stackDepth.get(f.subprog) ?? 0;
    if (depth > prev) this.stats.stackDepth.set(f.subprog, depth);
  }

  push(state: VerifierState, insn: number, again = false): void {
    if (this.parent) this.parent.branches++;
    // a state entering a new frame (a callback) starts that frame's stack afresh
    const reset = Math.min(this.reset, state.frames.length > this.state.frames.length ? this.state.frames.length : Infinity);
    const hist = this.hist.slice(0, again ? this.hist.length - 1 : this.hist.length);
    this.pending.push({ state, insn, prev: this.insnIdx, logPos: this.log.pos, parent: this.parent, hist, written: new Set(this.written), reset });
    if (this.pending.length > 8192) reject('EFAULT', `The sequence of ${this.pending.length} jumps is too complex.`, 'the program has too many branches pending at once: simplify its conditions');
  }

  /** Explore every path; throws VerifierError at the first unsafe instruction. */
  run(): void {
    for (;;) {
      const end = this.step();
      if (!end) continue;
      this.pathEnded();
      if (!this.popPending()) return;
    }
  }

  /** One instruction of the current path; true when the path ended. */
  private step(): boolean {
    const idx = this.insnIdx;
    if (idx < 0 || idx >= this.insns.length) reject('EFAULT', `invalid insn idx ${idx} insn_cnt ${this.insns.length}`);
    if (++this.stats.insnsProcessed > this.opts.insnLimit) {
      reject('E2BIG', `BPF program is too large. Processed ${this.stats.insnsProcessed} insn`, 'the program has too many paths or loop iterations to explore: bound loops more tightly, or split the program (tail calls)');
    }
    if (this.opts.cfg.prunePoints[idx] && this.stateVisited(idx)) {
      if (this.log.enabled) this.log.write(this.printState ? `\nfrom ${this.prevInsnIdx} to ${idx}: safe\n` : `${idx}: safe\n`);
      return true;
    }
    this.logInsn(idx);
    this.prevInsnIdx = idx;
    this.hist.push(histEntry(idx, this.state.frames.length - 1));
    return this.exec(this.insns[idx]!);
  }

  noteStack(frame: number, spi: number): void {
    this.hist[this.hist.length - 1]!.stack = { frame, spi };
  }

  noteLinked(locs: Loc[]): void {
    this.hist[this.hist.length - 1]!.linked = locs;
  }

  liveRegs(insn: number): number {
    return this.opts.live[insn] ?? 0x7ff;
  }

  get gpl(): boolean {
    return this.opts.gpl;
  }

  get ctxBtf(): CtxBtf | undefined {
    return this.opts.ctxBtf;
  }

  /** the loads through BTF pointers (instruction indices) */
  readonly probeLoads = new Set<number>();

  noteProbeLoad(): void {
    this.probeLoads.add(this.insnIdx);
  }

  /** the map each helper call is given, by instruction; null where paths give it different maps (Linux's poisoned map_ptr_state) */
  readonly callMaps = new Map<number, VerifierMap | null>();

  noteCallMap(map: VerifierMap): void {
    const had = this.callMaps.get(this.insnIdx);
    if (had === undefined) this.callMaps.set(this.insnIdx, map);
    else if (had !== null && had.index !== map.index) this.callMaps.set(this.insnIdx, null);
  }

  noteStackWrite(frame: number, spi: number): void {
    this.written.add(frame * 64 + spi);
  }

  /**
   * A read of a stack slot: every checkpoint of this path back to the last
   * whole write of the slot must keep comparing it (Linux's read marks).
   */
  noteStackRead(frame: number, spi: number): void {
    markRead(frame * 64 + spi, this.written, this.reset, this.parent);
  }

  /**
   * Linux's __mark_chain_precision: the registers and slots in `locs` must
   * be compared exactly wherever this path could be pruned; walk back over
   * the path (the instructions before the current one) and mark precise, in
   * each checkpoint state on the way, what they were computed from.
   */
  markPrecise(locs: Loc[]): void {
    const bt = this.wanted.clear(this.state.frames.length - 1);
    for (const l of locs) bt.set(l);
    // the current instruction itself is not walked: the request is about its inputs
    const end = this.hist.length - (this.hist.length && this.hist[this.hist.length - 1]!.idx === this.insnIdx ? 1 : 0);
    // (the level-2 log shows every step: then every walk goes all the way)
    const done = this.log.level < 2 && this.walked.hist === this.hist ? this.walked : undefined;
    // the two records take turns, so that the previous walk's stays readable during this one
    const w = this.spareWalk;
    this.spareWalk = this.walked;
    this.walked = w;
    w.hist = this.hist;
    w.end = end;
    w.bt.assign(bt);
    this.backtrack(bt, this.hist, this.parent, this.insnIdx, end, done);
  }

  /**
   * The last walk markPrecise made over the current history: where it began
   * and what it wanted there. A bounded loop asks for its counter at every
   * iteration, and each walk would go back over all the iterations since the
   * last checkpoint; but marks only grow, so a walk that reaches where the
   * previous one began, wanting no more than it did, would mark nothing new.
   */
  private walked: Walk = newWalk();
  /** what markPrecise's walk wants: one object for every walk (walks do not nest) */
  private readonly wanted = new Backtrack(0);
  /** the record the next walk fills in (markPrecise runs at every decided branch: it allocates none) */
  private spareWalk: Walk = newWalk();

  /**
   * Walk back over `hist` (its first `end` entries: the current instruction
   * may be left out), then the checkpoints before it; stop early where the
   * walk `done` began in `hist` if it wanted all that is wanted there.
   */
  private backtrack(bt: Backtrack, hist: HistEntry[], cp: Checkpoint | undefined, last: number, end = hist.length, done?: { end: number; bt: Backtrack }): void {
    const log2 = this.log.level >= 2;
    const first = cp;
    let subseq = -1;
    try {
      for (;;) {
        const first = end ? hist[0]!.idx : last;
        if (log2) this.log.write(`mark_precise: frame${bt.frame}: last_idx ${last} first_idx ${first} subseq_idx ${subseq} \n`);
        subseq = first;
        for (let i = end; ; i--) {
          if (done && i === done.end && bt.within(done.bt)) return;
          if (i === 0) break;
          const e = hist[i - 1]!;
          if (log2) this.log.write(`mark_precise: frame${bt.frame}: regs=${bt.regList()} stack=${bt.stackList()} before ${e.idx}: ${formatInsnLog(this.insns, e.idx, this.opts.lddwNames)}\n`);
          backtrackInsn(this.insns, e, bt);
          if (bt.empty()) return;
        }
        done = undefined;
        if (!cp) return;
        if (markInState(cp.state, bt)) this.marked = true;
        if (log2) this.logParent(cp.state, bt);
        if (bt.empty()) return;
        hist = cp.hist;
        end = hist.length;
        cp = cp.parent;
        last = end ? hist[end - 1]!.idx : subseq;
      }
    } catch (e) {
      if (!(e instanceof GiveUp)) throw e;
      if (log2) this.log.write(`mark_precise: frame${bt.frame}: falling back to forcing all scalars precise\n`);
      this.forceAllPrecise(first);
    }
  }

  /**
   * Linux's mark_all_scalars_precise: when backtracking gives up, every
   * scalar of every checkpoint from `cp` up counts.
   */
  private forceAllPrecise(cp: Checkpoint | undefined): void {
    const log2 = this.log.level >= 2;
    for (; cp; cp = cp.parent) {
      cp.state.frames.forEach((f, i) => {
        f.regs.forEach((r, j) => {
          if (j === 10 || r.type !== 'scalar' || r.precise) return;
          r.precise = true;
          this.marked = true;
          if (log2) this.log.write(`force_precise: frame${i}: forcing r${j} to be precise\n`);
        });
        f.stack.forEach((slot, j) => {
          const r = slot.spilled;
          if (slot.types[7] !== Slot.SPILL || r.type !== 'scalar' || r.precise) return;
          r.precise = true;
          this.marked = true;
          if (log2) this.log.write(`force_precise: frame${i}: forcing fp${-(j + 1) * 8} to be precise\n`);
        });
      });
    }
  }

  private logParent(st: VerifierState, bt: Backtrack): void {
    for (let f = Math.min(bt.frame, st.frames.length - 1); f >= 0; f--) {
      this.log.write(`mark_precise: frame${f}: parent state regs=${bt.regList(f)} stack=${bt.stackList(f)}: ${frameLog(st, st.frames[f]!)}\n`);
    }
  }

  /** After a prune: what the matched state needed precise, the path at `at` needs precise too (propagate_precision). */
  private propagatePrecision(old: VerifierState, at: PathPos = this.pos()): void {
    const locs: Loc[] = [];
    old.frames.forEach((f, frame) => {
      f.regs.forEach((r, regno) => {
        if (r.type === 'scalar' && r.precise) locs.push({ frame, regno });
      });
      f.stack.forEach((slot, spi) => {
        if (slot.types[7] === Slot.SPILL && slot.spilled.type === 'scalar' && slot.spilled.precise) locs.push({ frame, spi });
      });
    });
    if (!locs.length) return;
    if (this.log.level >= 2) {
      for (let f = 0; f < old.frames.length; f++) {
        const names = locs.filter((l) => l.frame === f).map((l) => (l.regno !== undefined ? `r${l.regno}` : `fp${-(l.spi! + 1) * 8}`));
        if (names.length) this.log.write(`frame ${f}: propagating ${names.join(',')}\n`);
      }
    }
    const bt = new Backtrack(at.frames - 1);
    for (const l of locs) bt.set(l);
    this.backtrack(bt, at.hist, at.parent, at.insn);
  }

  private pos(): PathPos {
    return { parent: this.parent, hist: this.hist, written: this.written, reset: this.reset, insn: this.insnIdx, frames: this.state.frames.length };
  }

  private logInsn(idx: number): void {
    const log = this.log;
    if (!log.enabled) return;
    if (log.level >= 2 && this.printState) {
      log.write(`\nfrom ${this.prevInsnIdx} to ${idx}:${frameLog(this.state, curFrame(this.state))}\n`);
    }
    this.printState = false;
    this.flushScratch();
    this.logSourceLine(idx);
    log.insn(idx, formatInsnLog(this.insns, idx, this.opts.lddwNames));
  }

  private prevLine: SourceLine | undefined;

  /** "; return x + 1; @ prog.c:12" when the instruction starts a new source line (Linux's verbose_linfo). */
  private logSourceLine(idx: number): void {
    const l = this.opts.lineAt?.(idx);
    if (!l || (this.prevLine && l.file === this.prevLine.file && l.line === this.prevLine.line)) return;
    this.prevLine = l;
    this.log.write(`; ${l.text.trimStart()} @ ${l.file.slice(l.file.lastIndexOf('/') + 1)}:${l.line}\n`);
  }

  /** Print the registers and slots the last instruction touched, then forget them. */
  flushScratch(): void {
    const s = this.scratch;
    if (this.log.enabled && (s.regs || s.stack.size || this.allScratched)) {
      const f = curFrame(this.state);
      const st = frameLog(this.state, f, this.allScratched ? undefined : s);
      this.log.insnState(this.insnIdx, st);
    }
    s.regs = 0;
    // (Set.clear makes a new table even when the set is empty: this runs at every jump)
    if (s.stack.size) s.stack.clear();
    this.allScratched = false;
  }

  private exec(ins: Insn): boolean {
    switch (o.cls(ins.code)) {
      case o.BPF_ALU:
      case o.BPF_ALU64:
        checkAlu(this, ins);
        break;
      case o.BPF_LDX:
        checkLdx(this, ins, this.ptrTypes);
        break;
      case o.BPF_STX:
        checkStx(this, ins, this.ptrTypes);
        break;
      case o.BPF_ST:
        checkSt(this, ins, this.ptrTypes);
        break;
      case o.BPF_LD:
        if (o.mode(ins.code) === o.BPF_ABS || o.mode(ins.code) === o.BPF_IND) checkLdAbs(this, ins);
        else {
          checkLdImm64(this, ins, this.opts.funcInfo);
          this.insnIdx += 2;
          return false;
        }
        break;
      default:
        return this.jump(ins);
    }
    this.insnIdx++;
    return false;
  }

  private jump(ins: Insn): boolean {
    this.jmps++;
    const op = o.op(ins.code);
    const x = o.srcBit(ins.code) === o.BPF_X;
    const jmp32 = o.cls(ins.code) === o.BPF_JMP32;
    switch (op) {
      case o.BPF_CALL:
        return this.call(ins, x, jmp32);
      case o.BPF_JA:
        if (x || ins.src !== 0 || ins.dst !== 0 || (jmp32 ? ins.off !== 0 : ins.imm !== 0)) reject('EINVAL', 'BPF_JA uses reserved fields');
        this.insnIdx += 1 + (jmp32 ? ins.imm : ins.off);
        return false;
      case o.BPF_EXIT:
        if (x || ins.src !== 0 || ins.dst !== 0 || ins.off !== 0 || ins.imm !== 0 || jmp32) reject('EINVAL', 'BPF_EXIT uses reserved fields');
        return this.exit();
      case o.BPF_JCOND:
        return this.mayGoto(ins);
      default: {
        if (op > o.BPF_JSLE && op !== o.BPF_JCOND) reject('EINVAL', `invalid BPF_JMP/JMP32 opcode ${op.toString(16)}`);
        const b = checkCondJmp(this, ins);
        if (b.other) this.push(b.other.state, b.other.insn);
        if (b.state) this.state = b.state;
        this.flushScratch();
        this.insnIdx = b.next;
        return false;
      }
    }
  }

  /**
   * may_goto: a loop that runs until a hidden counter (8 million) runs out.
   * The path where it runs out takes the jump now; the path that goes on
   * round the loop is queued one iteration deeper, with the scalars that
   * changed since the previous iteration forgotten, so that its states
   * repeat and exploration ends (Linux widens the imprecise ones).
   */
  private mayGoto(ins: Insn): boolean {
    if (ins.src !== o.BPF_MAY_GOTO || ins.dst !== 0 || ins.imm !== 0 || o.srcBit(ins.code) !== 0) reject('EINVAL', `invalid may_goto imm ${ins.imm}`);
    const queued = cloneState(this.state);
    queued.mayGotoDepth++;
    // the previous round's state here: not the checkpoint just made at this
    // instruction (may_goto always makes one) but the one before it
    let prev = this.parent?.insn === this.insnIdx ? this.parent.parent : this.parent;
    while (prev && !(prev.insn === this.insnIdx && sameCallsites(prev.state, this.state))) prev = prev.parent;
    if (prev) widenImprecise(prev.state, queued);
    this.push(queued, this.insnIdx + 1);
    this.insnIdx += 1 + ins.off;
    return false;
  }

  private call(ins: Insn, x: boolean, jmp32: boolean): boolean {
    if (x || jmp32 || ins.off !== 0 || ins.dst !== 0 || (ins.src !== 0 && ins.src !== o.BPF_PSEUDO_CALL && ins.src !== o.BPF_PSEUDO_KFUNC_CALL)) {
      reject('EINVAL', 'BPF_CALL uses reserved fields');
    }
    if (ins.src === o.BPF_PSEUDO_KFUNC_CALL) reject('EINVAL', 'kernel function calls (kfuncs) are not supported by tsbpf');
    if (ins.src === o.BPF_PSEUDO_CALL) {
      this.reset = Math.min(this.reset, this.state.frames.length);
      this.insnIdx = checkFuncCall(this, ins);
      this.allScratched = true;
      return false;
    }
    checkHelperCall(this, ins, pushCallback);
    this.insnIdx++;
    return false;
  }

  private exit(): boolean {
    if (this.state.frames.length > 1) {
      const callback = curFrame(this.state).inCallback;
      this.insnIdx = prepareFuncExit(this);
      this.printState = true;
      // back at the helper that called the callback: forget what changed since the
      // previous visit there and decided nothing, so that the iterations converge
      if (callback) {
        this.hist[this.hist.length - 1]!.cbExit = true;
        let prev = this.parent;
        while (prev && !(prev.insn === this.insnIdx && prev.branches > 0 && sameCallsites(prev.state, this.state))) prev = prev.parent;
        if (prev) widenImprecise(prev.state, this.state);
      }
      return false;
    }
    checkRefLeak(this, 'BPF_EXIT instruction in main prog');
    const r0 = readReg(this, 0);
    if (!this.priv && r0.type !== 'scalar') reject('EACCES', 'R0 leaks addr as return value', 'return a number: unprivileged programs may not return pointers');
    return true;
  }

  /** The current path is over: its checkpoints may now be complete. */
  private pathEnded(): void {
    this.allScratched = true;
    for (let cp = this.parent; cp; cp = cp.parent) {
      if (--cp.branches > 0) break;
      this.maybeExitScc(cp);
      if (cp.evicted && !this.incompleteMarks(cp)) {
        cp.evicted = false;
        this.curStates--;
      }
    }
  }

  private popPending(): boolean {
    const p = this.pending.pop();
    if (!p) return false;
    if (this.log.level === 1) this.log.reset(p.logPos);
    this.state = p.state;
    this.insnIdx = p.insn;
    this.prevInsnIdx = p.prev;
    this.parent = p.parent;
    this.hist = p.hist;
    this.written = p.written;
    this.reset = p.reset;
    this.printState = true;
    this.allScratched = true;
    return true;
  }

  /** The registers each frame may still read: here for the innermost, after the call for the callers. */
  private liveAt = (st: VerifierState, frame: number): number => {
    if (frame === st.frames.length - 1) return this.opts.live[this.insnIdx]!;
    return this.opts.live[st.frames[frame + 1]!.callsite]!;
  };

  /**
   * Linux's is_state_visited: prune when a completed state here includes
   * the current one; reject an exact repeat of a state still being explored
   * (an endless loop); otherwise maybe keep the current state as a new
   * checkpoint.
   */
  private stateVisited(idx: number): boolean {
    const list = this.explored.get(idx) ?? [];
    // Linux keeps states in hash buckets by (insn ^ callsite) and counts every
    // state of the bucket as compared: max_states_per_insn counts them so too
    const bucket = this.bucketOf(idx);
    const compared = this.buckets.get(bucket) ?? 0;
    const cur = this.state;
    const callback = this.isCallbackCall(idx);
    const mayGoto = this.insns[idx]!.code === (o.BPF_JMP | o.BPF_JCOND);
    const force = callback || mayGoto || this.jmps - this.prevJmps > 40;
    let add = force || (this.jmps - this.prevJmps >= 2 && this.stats.insnsProcessed - this.prevInsns >= 8);
    // newest first, as Linux's lists are
    for (let i = list.length - 1; i >= 0; i--) {
      const cp = list[i]!;
      if (cp.branches > 0) {
        // a state still being explored: only a callback's call may be pruned against it (its loop converged)
        const converged = callback || (mayGoto && cp.state.mayGotoDepth !== cur.mayGotoDepth);
        if (converged && statesEqual(cp.state, cur, this.liveAt, Exact.RANGE, this.priv)) {
          cp.hits++;
          this.propagatePrecision(cp.state);
          // (Linux 6.18 records no backedge for a callback's convergence)
          if (mayGoto) this.addBackedge(cp);
          return true;
        }
        if (!callback && this.looping(cp.state, cur)) this.infiniteLoop(idx, cp);
        if (!force && this.jmps - this.prevJmps < 20 && this.stats.insnsProcessed - this.prevInsns < 100) add = false;
      } else {
        // a loop state whose marks may still grow is compared on every scalar's range
        const loop = this.incompleteMarks(cp);
        if (statesEqual(cp.state, cur, this.liveAt, loop ? Exact.RANGE : Exact.NOT, this.priv, cp.read)) {
          cp.hits++;
          this.propagatePrecision(cp.state);
          for (const key of cp.read) this.noteStackRead(Math.floor(key / 64), key % 64);
          if (loop) this.addBackedge(cp);
          return true;
        }
      }
      if (add) cp.misses++;
      // a state that keeps missing is unlikely to help: stop comparing with it
      const n = (callback || mayGoto) && cp.branches > 0 ? 64 : 3;
      if (cp.misses > cp.hits * n + n) {
        list.splice(i, 1);
        // still needed by paths under way: Linux keeps it (and counts it) until they end
        if (cp.branches > 0 || this.incompleteMarks(cp)) cp.evicted = true;
        else this.curStates--;
        this.buckets.set(bucket, (this.buckets.get(bucket) ?? 1) - 1);
      }
    }
    // as Linux counts it: the states compared with, whether or not this one is kept
    this.stats.maxStatesPerInsn = Math.max(this.stats.maxStatesPerInsn, compared);
    if (!add) return false;
    this.stats.totalStates++;
    this.curStates++;
    this.stats.peakStates = Math.max(this.stats.peakStates, this.curStates);
    this.prevJmps = this.jmps;
    this.prevInsns = this.stats.insnsProcessed;
    const cp: Checkpoint = {
      state: cloneState(cur), insn: idx, branches: 1, parent: this.parent, hist: this.hist, read: new Set(), written: this.written, reset: this.reset, hits: 0, misses: 0,
      chain: callChain(this.opts.scc, cur, idx),
    };
    this.hist = [];
    this.written = new Set();
    this.reset = Infinity;
    list.push(cp);
    this.buckets.set(bucket, (this.buckets.get(bucket) ?? 0) + 1);
    this.explored.set(idx, list);
    this.parent = cp;
    this.maybeEnterScc(cp);
    return false;
  }

  private visitOf(cp: Checkpoint, create: boolean): SccVisit | undefined {
    const chain = cp.chain;
    if (!chain) return undefined;
    let v = this.visits.get(chain.key);
    if (!v && create) this.visits.set(chain.key, (v = { chain, backedges: [] }));
    return v;
  }

  /** A new checkpoint inside a loop not yet entered on this path: it is the loop's entry. */
  private maybeEnterScc(cp: Checkpoint): void {
    const v = this.visitOf(cp, true);
    if (!v || v.entry) return;
    v.entry = cp;
    if (this.log.level >= 2) this.log.write(`SCC enter ${v.chain.text}\n`);
  }

  /** The loop's entry is fully explored: push the marks through its backedges until nothing changes. */
  private maybeExitScc(cp: Checkpoint): void {
    const v = this.visitOf(cp, false);
    if (!v || v.entry !== cp) return;
    if (this.log.level >= 2) this.log.write(`SCC exit ${v.chain.text}\n`);
    v.entry = undefined;
    this.curStates -= v.backedges.length;
    this.propagateBackedges(v);
  }

  private addBackedge(equal: Checkpoint): void {
    const v = this.visitOf(equal, false);
    if (!v) throw new VerifierError('EFAULT', `verifier bug: add backedge: no visit info for insn ${equal.insn}`, undefined, []);
    if (this.log.level >= 2) this.log.write(`SCC backedge ${v.chain.text}\n`);
    v.backedges.unshift({ equal, at: this.pos() });
    // Linux counts the kept copies among the live states
    this.curStates++;
    this.stats.peakStates = Math.max(this.stats.peakStates, this.curStates);
  }

  /** Whether `cp`'s precision and read marks may still grow: its loop has pruned paths waiting (incomplete_read_marks). */
  private incompleteMarks(cp: Checkpoint): boolean {
    return (this.visitOf(cp, false)?.backedges.length ?? 0) > 0;
  }

  private propagateBackedges(v: SccVisit): void {
    // the read marks first, to their own fixed point (they do not depend on precision)
    for (let changed = true; changed; ) {
      changed = false;
      for (const b of v.backedges) {
        for (const key of b.equal.read) if (markRead(key, b.at.written, b.at.reset, b.at.parent)) changed = true;
      }
    }
    for (let i = 0; ; i++) {
      if (i > 64) {
        if (this.log.level >= 2) this.log.write('propagate_backedges: too many iterations\n');
        for (const b of v.backedges) this.forceAllPrecise(b.at.parent);
        break;
      }
      this.marked = false;
      for (const b of v.backedges) this.propagatePrecision(b.equal.state, b.at);
      if (!this.marked) break;
    }
    v.backedges = [];
  }

  private readonly buckets = new Map<number, number>();

  private bucketOf(idx: number): number {
    const callsite = this.state.frames.length > 1 ? curFrame(this.state).callsite : -1;
    return ((idx ^ callsite) >>> 0) % this.insns.length;
  }

  private isCallbackCall(idx: number): boolean {
    const ins = this.insns[idx]!;
    return ins.code === (o.BPF_JMP | o.BPF_CALL) && ins.src === 0 && (ins.imm === 181 || ins.imm === 164);
  }

  /**
   * The same state again, on the same iteration counts: a loop that never
   * ends. Linux first asks for the current frame's registers to be
   * identical byte for byte (ids included), then for the states to be equal.
   */
  private looping(old: VerifierState, cur: VerifierState): boolean {
    if (old.mayGotoDepth !== cur.mayGotoDepth || old.cbUnrollDepth !== cur.cbUnrollDepth) return false;
    if (old.frames.length !== cur.frames.length) return false;
    const a = curFrame(old).regs;
    const b = curFrame(cur).regs;
    // the values first: in a loop, some register's (the counter's) differs, and that is cheap to see
    for (let r = 0; r < a.length; r++) if (a[r]!.varOff.value !== b[r]!.varOff.value) return false;
    for (let r = 0; r < a.length; r++) if (!regsIdentical(a[r]!, b[r]!)) return false;
    return statesEqual(old, cur, this.liveAt, Exact.EXACT, this.priv);
  }

  private infiniteLoop(idx: number, cp: Checkpoint): never {
    const st = (s: VerifierState): string => frameLog(s, curFrame(s));
    throw new VerifierError('EINVAL', `infinite loop detected at insn ${idx}`, 'the loop can come back to this instruction in exactly the same state, so it never ends: make every iteration change the loop variable towards its bound', [], {
      after: [`cur state:${st(this.state)}`, `old state:${st(cp.state)}`],
    });
  }
}

/**
 * A read of stack slot `key` (frame * 64 + slot) by a path standing after
 * checkpoint `cp`: every checkpoint back to the last whole write of the slot
 * must keep comparing it (Linux's read marks). Returns whether a mark was new.
 */
function markRead(key: number, written: ReadonlySet<number>, reset: number, cp: Checkpoint | undefined): boolean {
  const frame = Math.floor(key / 64);
  if (written.has(key) || frame >= reset) return false;
  let changed = false;
  for (; cp; cp = cp.parent) {
    if (cp.read.has(key)) return changed;
    cp.read.add(key);
    changed = true;
    if (cp.written.has(key) || frame >= cp.reset) return changed;
  }
  return changed;
}

/**
 * Mark the wanted registers and slots precise in a checkpoint state; those
 * already precise need no more walking. Returns whether a mark was new.
 */
function markInState(st: VerifierState, bt: Backtrack): boolean {
  let changed = false;
  for (let f = 0; f < st.frames.length; f++) {
    const fr = st.frames[f]!;
    for (let r = 0; r < 11; r++) {
      if (!bt.hasReg(r, f)) continue;
      const reg = fr.regs[r]!;
      if (reg.type !== 'scalar' || reg.precise) bt.clearReg(r, f);
      else reg.precise = changed = true;
    }
    for (const spi of bt.slotsOf(f)) {
      const slot = fr.stack[spi];
      const sp = slot && slot.types[7] === Slot.SPILL && slot.spilled.type === 'scalar' ? slot.spilled : undefined;
      if (!sp || sp.precise) bt.clearSlot(f, spi);
      else sp.precise = changed = true;
    }
  }
  return changed;
}
