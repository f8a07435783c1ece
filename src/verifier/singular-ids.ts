import { Reg } from './reg.js';
import { REG_SIZE, Slot, VerifierState } from './state.js';

/**
 * Before a state is kept for pruning, a scalar id that no other register or
 * spilled slot shares is dropped (Linux's clear_singular_ids): a link with
 * nothing can propagate nothing, and a stale id would only make the kept
 * state look different from later ones.
 */
export function clearSingularIds(st: VerifierState): void {
  const regs: Reg[] = [];
  for (const f of st.frames) {
    regs.push(...f.regs);
    for (const slot of f.stack) if (slot.types[REG_SIZE - 1] === Slot.SPILL) regs.push(slot.spilled);
  }
  const count = new Map<number, number>();
  for (const r of regs) if (r.type === 'scalar' && r.id) count.set(r.id, (count.get(r.id) ?? 0) + 1);
  for (const r of regs) {
    if (r.type !== 'scalar' || !r.id || count.get(r.id) !== 1) continue;
    r.id = 0;
    r.off = 0;
    r.addConst = 0;
  }
}
