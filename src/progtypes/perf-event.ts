import { PERF_EVENT_HELPERS } from './helper-lists.js';
import { ANY_RETVAL, NARROW64, ProgramType, f } from './progtype.js';
import { PT_REGS_SIZE } from './pt-regs.js';
import { ctxTestRun } from './tracing.js';

/**
 * BPF_PROG_TYPE_PERF_EVENT (7): a program on a perf event's overflow (a
 * sampling timer, a hardware counter). Its context is `struct
 * bpf_perf_event_data`: the registers at the sample (an x86-64 pt_regs),
 * then sample_period and addr (u64). pe_prog_is_valid_access: reads only;
 * the registers as whole u64s, sample_period and addr also narrower.
 *
 * Test run: Linux has none for perf events (ENOTSUPP); tsbpf runs the
 * program on a given bpf_perf_event_data (see perfEventData()).
 */

/** sizeof(struct bpf_perf_event_data) */
export const PERF_EVENT_DATA_SIZE = PT_REGS_SIZE + 16;

/** A struct bpf_perf_event_data from registers (a pt_regs, see ptRegs()), a sample period and an address. */
export function perfEventData(regs: Uint8Array, samplePeriod: bigint, addr: bigint): Uint8Array {
  const out = new Uint8Array(PERF_EVENT_DATA_SIZE);
  out.set(regs.subarray(0, PT_REGS_SIZE));
  const dv = new DataView(out.buffer);
  dv.setBigUint64(PT_REGS_SIZE, BigInt.asUintN(64, samplePeriod), true);
  dv.setBigUint64(PT_REGS_SIZE + 8, BigInt.asUintN(64, addr), true);
  return out;
}

export const perfEvent: ProgramType = {
  type: 7,
  name: 'perf_event',
  ctxType: 'struct bpf_perf_event_data',
  ctxSize: PERF_EVENT_DATA_SIZE,
  fields: [f('regs', 0, PT_REGS_SIZE, [8]), f('sample_period', PT_REGS_SIZE, 8, NARROW64), f('addr', PT_REGS_SIZE + 8, 8, NARROW64)],
  helpers: PERF_EVENT_HELPERS,
  retval: ANY_RETVAL,
  testRun: ctxTestRun({ name: 'perf_event', ctxType: 'struct bpf_perf_event_data', max: PERF_EVENT_DATA_SIZE, fixed: true }),
};
