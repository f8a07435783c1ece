import { Reg, setUnknown } from './reg.js';
import { newIdMap, regsExact, IdMap } from './prune.js';
import { REG_SIZE, Slot, VerifierState } from './state.js';

/**
 * Loop convergence (Linux's widen_imprecise_scalars): before another round
 * of a loop whose iterations the verifier counts itself (may_goto, the
 * callback of bpf_loop), every scalar that changed since the previous
 * round's state and that no decision depended on (imprecise) is forgotten.
 * Without this, a counter nobody checks would make every round's state new
 * and the exploration would never end; forgetting it is sound because
 * nothing needed its value.
 */
export function widenImprecise(prev: VerifierState, cur: VerifierState): void {
  const ids = newIdMap();
  for (let f = prev.frames.length - 1; f >= 0; f--) {
    const pf = prev.frames[f]!;
    const cf = cur.frames[f];
    if (!cf) continue;
    pf.regs.forEach((r, i) => widen(r, cf.regs[i]!, ids));
    const slots = Math.min(pf.stack.length, cf.stack.length);
    for (let i = 0; i < slots; i++) {
      const ps = pf.stack[i]!;
      const cs = cf.stack[i]!;
      if (ps.types[REG_SIZE - 1] !== Slot.SPILL || cs.types[REG_SIZE - 1] !== Slot.SPILL) continue;
      widen(ps.spilled, cs.spilled, ids);
    }
  }
}

function widen(prev: Reg, cur: Reg, ids: IdMap): void {
  if (prev.type !== 'scalar' || cur.type !== 'scalar') return;
  if (prev.precise || cur.precise || regsExact(prev, cur, ids)) return;
  setUnknown(cur);
}

/** The same function at every level of the call stack. */
export function sameCallsites(a: VerifierState, b: VerifierState): boolean {
  return a.frames.length === b.frames.length && a.frames.every((f, i) => f.callsite === b.frames[i]!.callsite);
}
