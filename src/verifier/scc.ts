import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { jumpTarget } from './cfg.js';
import { VerifierState } from './state.js';

/**
 * Loops of the control-flow graph as strongly connected components (SCCs),
 * numbered as Linux numbers them (its log names them: "SCC enter (3)").
 *
 * Why they matter: a path pruned against a state that is part of a loop
 * still being explored may be pruned on incomplete information (the state's
 * precision marks can still grow from paths not yet walked). Linux keeps,
 * per loop entered on the current path (a "visit"), the states pruned that
 * way ("backedges"); while some are kept, states of the loop are compared
 * strictly (every scalar's range, not only the precise ones), and when the
 * state that entered the loop is fully explored, the marks are pushed again
 * through every backedge until nothing changes.
 */

/**
 * The successors of every instruction within its function, fall-through
 * first (Linux's bpf_insn_successors), those inside the program only: two
 * entries per instruction, -1 for none (flat, as programs run to a million
 * instructions).
 */
function successors(insns: readonly Insn[]): Int32Array {
  const n = insns.length;
  const succ = new Int32Array(2 * n).fill(-1);
  const inside = (t: number): number => (t >= 0 && t < n ? t : -1);
  for (let i = 0; i < n; i++) {
    const ins = insns[i]!;
    const c = o.cls(ins.code);
    const jmp = c === o.BPF_JMP || c === o.BPF_JMP32;
    const op = o.op(ins.code);
    const fall = (!jmp || (op !== o.BPF_EXIT && op !== o.BPF_JA)) && i + 1 < n ? inside(i + (ins.code === o.LDDW ? 2 : 1)) : -1;
    const t = jmp && op !== o.BPF_EXIT && op !== o.BPF_CALL ? inside(jumpTarget(ins, i)) : -1;
    if (fall >= 0) succ[2 * i] = fall;
    if (t >= 0 && t !== fall) succ[fall >= 0 ? 2 * i + 1 : 2 * i] = t;
  }
  return succ;
}

/**
 * The SCC of every instruction (0: in no loop), by Tarjan's algorithm run
 * from each not yet visited instruction in order, successors taken in
 * order: the order Linux numbers them in. An SCC counts if it has more
 * than one instruction or an instruction jumping to itself.
 */
export function computeScc(insns: readonly Insn[]): Uint32Array {
  const n = insns.length;
  const scc = new Uint32Array(n);
  const pre = new Float64Array(n);
  const low = new Float64Array(n);
  const succ = successors(insns);
  const stack: number[] = [];
  let nextPre = 1;
  let nextScc = 1;
  for (let i = 0; i < n; i++) {
    if (pre[i]) continue;
    const dfs = [i];
    walk: while (dfs.length) {
      const w = dfs[dfs.length - 1]!;
      if (!pre[w]) {
        pre[w] = low[w] = nextPre++;
        stack.push(w);
      }
      for (let k = 2 * w; k < 2 * w + 2; k++) {
        const t = succ[k]!;
        if (t < 0) break;
        if (!pre[t]) {
          dfs.push(t);
          continue walk;
        }
        low[w] = Math.min(low[w]!, low[t]!);
      }
      dfs.pop();
      // some instruction still on the stack is reachable from w: w belongs to its component
      if (low[w]! < pre[w]!) continue;
      const real = stack[stack.length - 1] !== w || succ[2 * w] === w || succ[2 * w + 1] === w;
      let t: number;
      do {
        t = stack.pop()!;
        low[t] = Infinity;
        if (real) scc[t] = nextScc;
      } while (t !== w);
      if (real) nextScc++;
    }
  }
  return scc;
}

/**
 * computeScc, when the depth-first walk of the control-flow graph found a
 * back-edge (cfg.ts loopHeads); without one every path is acyclic and no
 * instruction is in a loop.
 */
export function loopsOf(insns: readonly Insn[], loopHeads: Uint8Array): Uint32Array {
  return loopHeads.includes(1) ? computeScc(insns) : new Uint32Array(insns.length);
}

/**
 * The loop a state is in, named by the calls leading to it: for each frame
 * from the outermost, the instruction it is at (the call, for the callers);
 * the first one inside an SCC ends the chain (Linux's compute_scc_callchain).
 */
export interface CallChain {
  key: string;
  /** as Linux prints it: "(callsite,...,scc)" */
  text: string;
}

export function callChain(scc: Uint32Array, st: VerifierState, insn: number): CallChain | undefined {
  const sites: number[] = [];
  for (let i = 0; i < st.frames.length; i++) {
    const at = i === st.frames.length - 1 ? insn : st.frames[i + 1]!.callsite;
    const id = scc[at]!;
    if (id) {
      // Linux stops printing at a call site 0 (its array is zero-terminated)
      const shown = sites.indexOf(0) < 0 ? sites : sites.slice(0, sites.indexOf(0));
      return { key: `${sites.join(',')}|${id}`, text: `(${shown.map((s) => `${s},`).join('')}${id})` };
    }
    if (i === st.frames.length - 1) return undefined;
    sites.push(at);
  }
  return undefined;
}
