import { HelperRegistry } from '../helpers/registry.js';
import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { jumpTarget } from './cfg.js';

/**
 * Which registers each instruction may still read before writing them
 * (backward liveness, as Linux 6.18 computes it before exploring:
 * compute_live_registers). Pruning compares only live registers: a value
 * that will never be read cannot make a path unsafe.
 *
 * A bit mask per instruction: bit r set when register r is live on entry.
 */
const ARGS = (n: number): number => ((1 << (n + 1)) - 1) & ~1; // r1..rn
const CALLER_SAVED = 0b111111; // r0..r5

interface UseDef {
  use: number;
  def: number;
}

function useDef(insns: readonly Insn[], i: number, helpers: HelperRegistry): UseDef {
  const ins = insns[i]!;
  const d = 1 << ins.dst;
  const s = 1 << ins.src;
  const x = o.srcBit(ins.code) === o.BPF_X;
  switch (o.cls(ins.code)) {
    case o.BPF_ALU:
    case o.BPF_ALU64: {
      const op = o.op(ins.code);
      if (op === o.BPF_MOV) return { use: x ? s : 0, def: d };
      if (op === o.BPF_NEG || op === o.BPF_END) return { use: d, def: d };
      return { use: d | (x ? s : 0), def: d };
    }
    case o.BPF_LDX:
      return { use: s, def: d };
    case o.BPF_ST:
      return { use: d, def: 0 };
    case o.BPF_STX: {
      if (o.mode(ins.code) !== o.BPF_ATOMIC) return { use: d | s, def: 0 };
      if (ins.imm === o.BPF_LOAD_ACQ) return { use: s, def: d };
      if (ins.imm === o.BPF_CMPXCHG) return { use: d | s | 1, def: 1 };
      return { use: d | s, def: ins.imm & o.BPF_FETCH ? s : 0 };
    }
    case o.BPF_LD:
      if (ins.code === o.LDDW) return { use: 0, def: d };
      // Linux's liveness keeps its defaults for LD_ABS/LD_IND: every register may be read
      return { use: 0x3ff, def: 0 };
    default:
      return jmpUseDef(ins, helpers, d, s, x);
  }
}

function jmpUseDef(ins: Insn, helpers: HelperRegistry, d: number, s: number, x: boolean): UseDef {
  switch (o.op(ins.code)) {
    case o.BPF_JA:
      return { use: 0, def: 0 };
    case o.BPF_EXIT:
      return { use: 1, def: 0 };
    case o.BPF_CALL: {
      if (x) return { use: d | ARGS(5), def: CALLER_SAVED };
      if (ins.src !== 0) return { use: ARGS(5), def: CALLER_SAVED };
      const n = helpers.get(ins.imm)?.proto?.args.length ?? 5;
      return { use: ARGS(n), def: CALLER_SAVED };
    }
    case o.BPF_JCOND:
      return { use: 0, def: 0 };
    default:
      return { use: d | (x ? s : 0), def: 0 };
  }
}

/** Where control goes after `i` into succ[2i] and succ[2i + 1] (-1 for none, or outside the program). */
function successors(insns: readonly Insn[], i: number, succ: Int32Array): void {
  const ins = insns[i]!;
  const n = insns.length;
  const inside = (t: number): number => (t >= 0 && t < n ? t : -1);
  let a = i + 1;
  let b = -1;
  const c = o.cls(ins.code);
  if (ins.code === o.LDDW) a = i + 2;
  else if (c === o.BPF_JMP || c === o.BPF_JMP32) {
    const op = o.op(ins.code);
    if (op === o.BPF_EXIT) a = -1;
    else if (op === o.BPF_JA) a = jumpTarget(ins, i);
    else if (op !== o.BPF_CALL) b = jumpTarget(ins, i);
  }
  succ[2 * i] = inside(a);
  succ[2 * i + 1] = inside(b);
}

export function liveRegisters(insns: readonly Insn[], helpers: HelperRegistry): Uint16Array {
  const n = insns.length;
  // flat tables (programs run to a million instructions): uses, defs, two successors each
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  const succ = new Int32Array(2 * n);
  let backward = false;
  for (let i = 0; i < n; i++) {
    const ud = useDef(insns, i, helpers);
    use[i] = ud.use;
    def[i] = ud.def;
    successors(insns, i, succ);
    if ((succ[2 * i]! >= 0 && succ[2 * i]! <= i) || (succ[2 * i + 1]! >= 0 && succ[2 * i + 1]! <= i)) backward = true;
  }
  const live = new Uint16Array(n);
  const at = (t: number): number => (t >= 0 ? live[t]! : 0);
  // one backward pass is the fixed point when every edge goes forward; a backward edge needs passes until nothing changes
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      const out = at(succ[2 * i]!) | at(succ[2 * i + 1]!);
      const v = (use[i]! | (out & ~def[i]!)) & 0x7ff;
      if (v !== live[i]) {
        live[i] = v;
        changed = backward;
      }
    }
  }
  return live;
}
