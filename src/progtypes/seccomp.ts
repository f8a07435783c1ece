import { BpfError } from '../errno.js';
import type { Region } from '../vm/memory.js';
import { ProgramType, TestRunHost, TestRunInput, TestRunResult, ctxIn, f, refuse, runCount, timedRuns } from './progtype.js';

/**
 * seccomp filters: classic BPF programs that see one system call as a
 * `struct seccomp_data` (linux/seccomp.h) and return an action for it.
 * Linux runs them as classic programs converted to eBPF and has no
 * `enum bpf_prog_type` for them; tsbpf gives the type the private number
 * SECCOMP_PROG_TYPE (outside Linux's enum) so the translated filters run
 * like any other program type.
 */

/** tsbpf's number for the type: above every `enum bpf_prog_type` value, so it never collides with one. */
export const SECCOMP_PROG_TYPE = 0x10000;

/** sizeof(struct seccomp_data) */
export const SECCOMP_DATA_SIZE = 64;

/** struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]. */
export const SECCOMP_DATA_LAYOUT: ReadonlyArray<readonly [string, number, number]> = [
  ['nr', 0, 4],
  ['arch', 4, 4],
  ['instruction_pointer', 8, 8],
  ['args', 16, 48],
];

// Return values (linux/seccomp.h): the action in the high 16 bits, its data in the low 16.
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
export const SECCOMP_RET_ACTION = 0x7fff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;
/** MAX_ERRNO: a larger ERRNO data is clamped to it */
export const MAX_ERRNO = 4095;

export type SeccompActionName = 'KILL_PROCESS' | 'KILL_THREAD' | 'TRAP' | 'ERRNO' | 'USER_NOTIF' | 'TRACE' | 'LOG' | 'ALLOW';

const ACTIONS: ReadonlyArray<readonly [number, SeccompActionName]> = [
  [SECCOMP_RET_KILL_PROCESS, 'KILL_PROCESS'],
  [SECCOMP_RET_KILL_THREAD, 'KILL_THREAD'],
  [SECCOMP_RET_TRAP, 'TRAP'],
  [SECCOMP_RET_ERRNO, 'ERRNO'],
  [SECCOMP_RET_USER_NOTIF, 'USER_NOTIF'],
  [SECCOMP_RET_TRACE, 'TRACE'],
  [SECCOMP_RET_LOG, 'LOG'],
  [SECCOMP_RET_ALLOW, 'ALLOW'],
];

/** What a filter's return value makes Linux do. */
export interface SeccompAction {
  /** the action Linux takes; an action value it does not know is KILL_PROCESS (the default case of __seccomp_filter) */
  action: SeccompActionName;
  /** the low 16 bits: the errno of ERRNO (clamped to MAX_ERRNO), the si_errno of TRAP, the message of TRACE */
  data: number;
  /** the u32 the filter returned */
  ret: number;
  /** whether the action value is one Linux knows */
  known: boolean;
}

export function seccompAction(ret: number): SeccompAction {
  const r = ret >>> 0;
  const full = (r & SECCOMP_RET_ACTION_FULL) >>> 0;
  const known = ACTIONS.find(([v]) => v === full);
  const action = known?.[1] ?? 'KILL_PROCESS';
  const raw = r & SECCOMP_RET_DATA;
  return { action, data: action === 'ERRNO' ? Math.min(raw, MAX_ERRNO) : raw, ret: r, known: known !== undefined };
}

/** `ERRNO(1)`, `TRAP(0)`, `TRACE(7)`, `ALLOW` …; an unknown action adds its value. */
export function formatSeccompAction(a: SeccompAction): string {
  const withData = a.action === 'ERRNO' || a.action === 'TRAP' || a.action === 'TRACE';
  const text = withData ? `${a.action}(${a.data})` : a.action;
  return a.known ? text : `${text} (unknown action 0x${a.ret.toString(16).padStart(8, '0')})`;
}

/** ACTION_ONLY: the action bits as a signed 32-bit number, so KILL_PROCESS (0x80000000) is the lowest. */
const actionOnly = (ret: number): number => (ret & SECCOMP_RET_ACTION_FULL) | 0;

/**
 * Linux's precedence when several filters are stacked (seccomp_run_filters):
 * every filter runs, newest first; the return whose action is lowest as a
 * signed number wins, and between equal actions the first one met, i.e.
 * the newest filter's. `rets` is in installation order (oldest first).
 * Returns the winning return value and the index of its filter; with no
 * filter, ALLOW.
 */
export function combineSeccomp(rets: readonly number[]): { ret: number; filter: number } {
  let ret = SECCOMP_RET_ALLOW;
  let filter = -1;
  for (let i = rets.length - 1; i >= 0; i--) {
    if (actionOnly(rets[i]!) < actionOnly(ret)) {
      ret = rets[i]! >>> 0;
      filter = i;
    }
  }
  return { ret, filter };
}

/** One system call as a filter sees it. */
export interface SeccompData {
  nr: number;
  /** AUDIT_ARCH_* (AUDIT_ARCH_X86_64 = 0xc000003e) */
  arch: number;
  instructionPointer?: bigint;
  /** up to six arguments, as u64 */
  args?: readonly bigint[];
}

/** `struct seccomp_data` in its little-endian layout (x86-64, arm64). */
export function encodeSeccompData(d: SeccompData): Uint8Array {
  if ((d.args?.length ?? 0) > 6) throw new BpfError('EINVAL', `seccomp_data has 6 arguments, not ${d.args!.length}`);
  const out = new Uint8Array(SECCOMP_DATA_SIZE);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, d.nr | 0, true);
  dv.setUint32(4, d.arch >>> 0, true);
  dv.setBigUint64(8, BigInt.asUintN(64, d.instructionPointer ?? 0n), true);
  (d.args ?? []).forEach((a, i) => dv.setBigUint64(16 + 8 * i, BigInt.asUintN(64, a), true));
  return out;
}

/** Fields: any aligned 4-byte read (all a classic filter can do), and 8-byte reads of the u64s; nothing is writable. */
const fields = SECCOMP_DATA_LAYOUT.map(([name, offset, size]) => f(name, offset, size, size === 4 ? [4] : [4, 8]));

/**
 * A test run: ctx_in is the `struct seccomp_data` (shorter ones are
 * zero-extended); there is no packet. The context is read-only, as it is to
 * a seccomp filter.
 */
function seccompTestRun(host: TestRunHost, input: TestRunInput): TestRunResult {
  refuse('seccomp', input, ['data'], 'a seccomp filter sees a struct seccomp_data, not a packet');
  if (input.ctx === undefined) throw new BpfError('EINVAL', 'seccomp test run: ctx_in (struct seccomp_data) is required');
  const cin = ctxIn('seccomp', input.ctx, SECCOMP_DATA_SIZE);
  const runs = runCount('seccomp', input.repeat);
  const ctx = host.buffer('ctx', SECCOMP_DATA_SIZE);
  host.space.bytes.set(cin, ctx);
  const region: Region = { start: ctx, end: ctx + SECCOMP_DATA_SIZE, writable: false, name: 'ctx (struct seccomp_data)' };
  return timedRuns(host, runs, host.runner({ ctx, regions: [region] }));
}

export const seccomp: ProgramType = {
  type: SECCOMP_PROG_TYPE,
  name: 'seccomp',
  ctxType: 'struct seccomp_data',
  ctxSize: SECCOMP_DATA_SIZE,
  fields,
  // converted classic filters call no helpers
  helpers: new Set<number>(),
  retval: { enforced: false, names: Object.fromEntries(ACTIONS.map(([v, n]) => [v | 0, n])) },
  testRun: seccompTestRun,
};
