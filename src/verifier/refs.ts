import { Ctx, VerifierError } from './context.js';
import { setNotInit, setUnknown } from './reg.js';
import { allRegs } from './state.js';

/**
 * Acquired references (Linux's reference_state): a ring buffer reservation
 * must be submitted or discarded on every path before the program ends. A
 * reference is acquired by the helper call that returns it (its id is the
 * returned pointer's ref_obj_id) and released by the helper it is passed to;
 * every copy of the pointer becomes unusable then.
 */

export function acquireRef(ctx: Ctx): number {
  const id = ctx.newId();
  ctx.state.refs.push({ id, insn: ctx.insnIdx });
  return id;
}

/** Release reference `id`: drop it and invalidate every register holding it. Returns whether it was held. */
export function releaseRef(ctx: Ctx, id: number): boolean {
  const i = ctx.state.refs.findIndex((r) => r.id === id);
  if (i < 0) return false;
  ctx.state.refs.splice(i, 1);
  for (const r of allRegs(ctx.state)) {
    if (r.refObjId !== id) continue;
    if (ctx.priv) setUnknown(r);
    else setNotInit(r);
  }
  return true;
}

/** Release without touching registers: the NULL branch of a reservation, which holds nothing. */
export function dropRef(ctx: Ctx, st: Ctx['state'], id: number): void {
  void ctx;
  const i = st.refs.findIndex((r) => r.id === id);
  if (i >= 0) st.refs.splice(i, 1);
}

/**
 * Instructions that end the program (exit, tail call, LD_ABS faults) must
 * not leave references held: Linux lists them, then says what would leak.
 */
export function checkRefLeak(ctx: Ctx, what: string): void {
  if (ctx.state.refs.length === 0) return;
  const lines = ctx.state.refs.map((x) => `Unreleased reference id=${x.id} alloc_insn=${x.insn}`);
  throw new VerifierError('EINVAL', `${what} would lead to reference leak`, releaseHint(ctx.state.refs[0]!.insn), lines);
}

const releaseHint = (insn: number): string =>
  `the reservation made at insn ${insn} is not submitted or discarded on this path: call bpf_ringbuf_submit() or bpf_ringbuf_discard() on it before returning`;
