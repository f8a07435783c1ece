import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { checkInsn } from '../isa/validate.js';
import { reject } from './context.js';

/**
 * The program's shape, checked before any path is explored, in the order
 * and with the words of Linux (add_subprog_and_kfunc, check_subprogs,
 * resolve_pseudo_ldimm64, check_cfg): functions are found from call targets
 * and `lddw` function references; jumps stay inside their function; each
 * function ends with an exit or a jump; every instruction is reachable;
 * loops (back-edges) are allowed for privileged loaders only.
 */
export interface Cfg {
  /** first instruction of each function, sorted (0 is the main program) */
  subprogs: number[];
  /** instructions where explored states are kept for pruning (Linux's prune points) */
  prunePoints: Uint8Array;
  /** targets of back-edges: loop heads, where a state is always kept */
  loopHeads: Uint8Array;
  /** second slots of `lddw` */
  tails: Uint8Array;
}

const isCall = (i: Insn): boolean => i.code === (o.BPF_JMP | o.BPF_CALL);
const isPseudoCall = (i: Insn): boolean => isCall(i) && i.src === o.BPF_PSEUDO_CALL;
const isPseudoFunc = (i: Insn): boolean => i.code === o.LDDW && i.src === o.BPF_PSEUDO_FUNC;
const isJmpClass = (i: Insn): boolean => o.cls(i.code) === o.BPF_JMP || o.cls(i.code) === o.BPF_JMP32;
const isJa32 = (i: Insn): boolean => i.code === (o.BPF_JMP32 | o.BPF_JA);

/** Where a jump at `i` goes (Linux's bpf_jmp_offset: JMP32 JA's distance is in imm). */
export const jumpTarget = (ins: Insn, i: number): number => i + 1 + (isJa32(ins) ? ins.imm : ins.off);

export function subprogsOf(insns: readonly Insn[], priv: boolean): number[] {
  const starts = new Set([0]);
  insns.forEach((ins, i) => {
    if (!isPseudoCall(ins) && !isPseudoFunc(ins)) return;
    if (!priv) reject('EPERM', 'loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN');
    const t = i + ins.imm + 1;
    if (t < 0 || t >= insns.length) reject('EINVAL', 'call to invalid destination');
    starts.add(t);
  });
  return [...starts].sort((a, b) => a - b);
}

/** Jumps inside their function; each function's last instruction an exit or a jump. */
function checkSubprogs(insns: readonly Insn[], subprogs: number[]): void {
  for (let s = 0; s < subprogs.length; s++) {
    const start = subprogs[s]!;
    const end = subprogs[s + 1] ?? insns.length;
    for (let i = start; i < end; i++) {
      const ins = insns[i]!;
      if (isJmpClass(ins) && o.op(ins.code) !== o.BPF_EXIT && o.op(ins.code) !== o.BPF_CALL) {
        const t = jumpTarget(ins, i);
        if (t < start || t >= end) reject('EINVAL', `jump out of range from insn ${i} to ${t}`, 'jumps must stay inside their function');
      }
    }
    const last = insns[end - 1]!;
    if (last.code !== (o.BPF_JMP | o.BPF_EXIT) && last.code !== (o.BPF_JMP | o.BPF_JA) && !isJa32(last)) {
      reject('EINVAL', 'last insn is not an exit or jmp', 'end every function with `exit` (or a jump back), so execution cannot run off its end');
    }
  }
}

/** The instruction-by-instruction checks Linux makes before exploring (in resolve_pseudo_ldimm64). */
function checkStatic(insns: readonly Insn[], resolveMap: (src: number, imm: number, next: number) => void): void {
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i]!;
    if (o.cls(ins.code) === o.BPF_LDX && ((o.mode(ins.code) !== o.BPF_MEM && o.mode(ins.code) !== o.BPF_MEMSX) || ins.imm !== 0)) {
      reject('EINVAL', 'BPF_LDX uses reserved fields');
    }
    if (ins.code === o.LDDW) {
      const next = insns[i + 1];
      if (!next || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) reject('EINVAL', 'invalid bpf_ld_imm64 insn');
      if (ins.src !== 0 && ins.src !== o.BPF_PSEUDO_FUNC && ins.src !== o.BPF_PSEUDO_BTF_ID) {
        const valueRef = ins.src === o.BPF_PSEUDO_MAP_VALUE || ins.src === o.BPF_PSEUDO_MAP_IDX_VALUE;
        const mapRef = ins.src === o.BPF_PSEUDO_MAP_FD || ins.src === o.BPF_PSEUDO_MAP_IDX;
        if (!valueRef && !(mapRef && next.imm === 0)) reject('EINVAL', 'unrecognized bpf_ld_imm64 insn');
        resolveMap(ins.src, ins.imm, next.imm >>> 0);
      }
      i++;
      continue;
    }
    const why = checkInsn(insns, i);
    if (why?.startsWith('unknown opcode')) reject('EINVAL', why);
  }
}

const lddwTails = (insns: readonly Insn[]): Uint8Array => {
  const tails = new Uint8Array(insns.length);
  for (let i = 0; i < insns.length; i++) if (insns[i]!.code === o.LDDW && i + 1 < insns.length) tails[++i] = 1;
  return tails;
};

/** The instruction after `i` when control may go on there. */
function fallThrough(insns: readonly Insn[], i: number): number | undefined {
  const ins = insns[i]!;
  if (ins.code === o.LDDW) return i + 2;
  if (!isJmpClass(ins)) return i + 1;
  const op = o.op(ins.code);
  return op === o.BPF_EXIT || op === o.BPF_JA ? undefined : i + 1;
}

/** The target of a jump, of a call of a function, or of a function reference at `i`. */
function targetOf(insns: readonly Insn[], i: number): number | undefined {
  const ins = insns[i]!;
  if (isPseudoFunc(ins) || isPseudoCall(ins)) return i + 1 + ins.imm;
  if (!isJmpClass(ins)) return undefined;
  const op = o.op(ins.code);
  return op === o.BPF_EXIT || op === o.BPF_CALL ? undefined : jumpTarget(ins, i);
}

/**
 * The k-th place control may go from `i`, fall-through first, or undefined
 * past the last (computed, not listed: programs run to a million instructions).
 */
function successor(insns: readonly Insn[], i: number, k: number): number | undefined {
  const fall = fallThrough(insns, i);
  if (fall === undefined) return k === 0 ? targetOf(insns, i) : undefined;
  return k === 0 ? fall : k === 1 ? targetOf(insns, i) : undefined;
}

/**
 * Where states are kept for pruning, as Linux chooses them (visit_insn,
 * push_insn): jump targets, conditional jumps themselves, calls of functions
 * and function references, and the instruction after any call.
 */
function markPrunePoints(insns: readonly Insn[], i: number, mark: (i: number) => void): void {
  const ins = insns[i]!;
  if (isPseudoFunc(ins)) {
    mark(i);
    mark(i + 2);
    mark(i + 1 + ins.imm);
    return;
  }
  if (!isJmpClass(ins)) return;
  const op = o.op(ins.code);
  if (op === o.BPF_EXIT) return;
  if (op === o.BPF_CALL) {
    mark(i + 1);
    if (isPseudoCall(ins)) {
      mark(i);
      mark(i + 1 + ins.imm);
    } else if (ins.imm === 181 || ins.imm === 164) mark(i);
    return;
  }
  // the target of a jump is a prune point (Linux marks BRANCH edges); a conditional jump itself too
  mark(jumpTarget(ins, i));
  if (op !== o.BPF_JA) mark(i);
}

/** Depth-first walk from the first instruction (Linux's check_cfg). */
function walk(insns: readonly Insn[], tails: Uint8Array, priv: boolean): { loopHeads: Uint8Array; prunePoints: Uint8Array } {
  const n = insns.length;
  const state = new Uint8Array(n); // 0 unseen, 1 on the DFS stack, 2 done
  const loopHeads = new Uint8Array(n);
  const prunePoints = new Uint8Array(n);
  // the DFS stack (an instruction is on it once at most), and how many of each instruction's successors were taken
  const stack = new Int32Array(n);
  let depth = 0;
  const taken = new Uint8Array(n);
  const mark = (i: number): void => {
    if (i >= 0 && i < n) prunePoints[i] = 1;
  };
  const enter = (i: number): void => {
    state[i] = 1;
    markPrunePoints(insns, i, mark);
    stack[depth++] = i;
  };
  enter(0);
  while (depth > 0) {
    const i = stack[depth - 1]!;
    const w = successor(insns, i, taken[i]!);
    if (w === undefined) {
      state[i] = 2;
      depth--;
      continue;
    }
    taken[i]!++;
    if (w < 0 || w >= n) reject('EINVAL', `jump out of range from insn ${i} to ${w}`);
    if (state[w] === 1) {
      if (!priv) reject('EINVAL', `back-edge from insn ${i} to ${w}`, 'loops need a privileged loader (CAP_BPF)');
      loopHeads[w] = 1;
    } else if (state[w] === 0) {
      enter(w);
    }
  }
  for (let i = 0; i < n; i++) {
    if (state[i] !== 2 && !(tails[i] && state[i - 1] === 2)) reject('EINVAL', `unreachable insn ${i}`, 'remove the dead code, or make it reachable');
  }
  for (let i = 0; i < n; i++) {
    if (state[i] !== 2) continue;
    const t = targetOf(insns, i);
    if (t !== undefined && tails[t]) reject('EINVAL', `jump into the middle of ldimm64 insn ${t - 1}`);
  }
  return { loopHeads, prunePoints };
}

/**
 * All static checks, in Linux's order. `resolveMap` checks each map
 * reference of a `lddw` (and throws the kernel's error for a bad one).
 */
export function checkCfg(insns: readonly Insn[], priv: boolean, resolveMap: (src: number, imm: number, next: number) => void): Cfg {
  const subprogs = subprogsOf(insns, priv);
  checkSubprogs(insns, subprogs);
  checkStatic(insns, resolveMap);
  const tails = lddwTails(insns);
  const { loopHeads, prunePoints } = walk(insns, tails, priv);
  return { subprogs, prunePoints, loopHeads, tails };
}

/** The function containing instruction `i`. */
export function subprogOf(subprogs: readonly number[], i: number): number {
  let s = 0;
  for (const start of subprogs) if (start <= i) s = start;
  return s;
}
