import { err, ret, u32, writeZeros } from './access.js';
import type { HelperDef } from './registry.js';

/**
 * Helpers about the current task and CPU (kernel/bpf/helpers.c). "Current"
 * is the host process as the Runtime describes it in `env.kernel.host`. A
 * bare run has no current task: the task helpers then fail as Linux's do
 * when `current` is NULL (-EINVAL), and the CPU is 0.
 */

/** TASK_COMM_LEN: a task name is at most 15 bytes and a NUL. */
export const TASK_COMM_LEN = 16;

/**
 * u32 bpf_get_prandom_u32(void): a pseudo-random u32 from the host's
 * generator. (Linux keeps a per-CPU prandom state for it; any uniform
 * generator satisfies the contract.) Without a Runtime: Math.random.
 */
export const getPrandomU32: HelperDef = {
  id: 7,
  name: 'get_prandom_u32',
  proto: { ret: 'INTEGER', args: [] },
  fn: (env) => {
    const host = env.kernel?.host;
    return BigInt(host ? host.randomU32() >>> 0 : Math.floor(Math.random() * 0x100000000));
  },
};

/** u32 bpf_get_smp_processor_id(void) */
export const getSmpProcessorId: HelperDef = {
  id: 8,
  name: 'get_smp_processor_id',
  proto: { ret: 'INTEGER', args: [] },
  fn: (env) => BigInt((env.kernel?.cpu ?? 0) >>> 0),
};

/** u64 bpf_get_current_pid_tgid(void): `tgid << 32 | pid` (tgid is what user space calls the pid). */
export const getCurrentPidTgid: HelperDef = {
  id: 14,
  name: 'get_current_pid_tgid',
  proto: { ret: 'INTEGER', args: [] },
  fn: (env) => {
    const host = env.kernel?.host;
    if (!host) return err('EINVAL');
    return (BigInt(host.tgid >>> 0) << 32n) | BigInt(host.pid >>> 0);
  },
};

/** u64 bpf_get_current_uid_gid(void): `gid << 32 | uid`. */
export const getCurrentUidGid: HelperDef = {
  id: 15,
  name: 'get_current_uid_gid',
  proto: { ret: 'INTEGER', args: [] },
  fn: (env) => {
    const host = env.kernel?.host;
    if (!host) return err('EINVAL');
    return (BigInt(host.gid >>> 0) << 32n) | BigInt(host.uid >>> 0);
  },
};

/**
 * long bpf_get_current_comm(void *buf, u32 size_of_buf): the task name into
 * `buf`, as the kernel's strscpy_pad does: at most size-1 bytes of the name,
 * a NUL, and zeros up to `size`; a short buffer truncates the name. Returns 0
 * (also when truncated). Without a current task: `buf` zeroed, -EINVAL.
 */
export const getCurrentComm: HelperDef = {
  id: 16,
  name: 'get_current_comm',
  proto: { ret: 'INTEGER', args: ['PTR_TO_UNINIT_MEM', 'CONST_SIZE'] },
  fn: (env, r1, r2) => {
    const size = u32(r2);
    const host = env.kernel?.host;
    if (!host) {
      writeZeros(env, r1, size);
      return err('EINVAL');
    }
    if (size === 0) return 0n; // the verifier never lets this through (CONST_SIZE > 0)
    const name = new TextEncoder().encode(host.comm).subarray(0, TASK_COMM_LEN - 1);
    const n = Math.min(name.length, size - 1);
    const head = new Uint8Array(Math.min(size, TASK_COMM_LEN));
    head.set(name.subarray(0, n));
    env.write(r1, head);
    if (size > head.length) writeZeros(env, r1 + BigInt(head.length), size - head.length);
    return ret(0);
  },
};

export const TASK_HELPERS: readonly HelperDef[] = [getPrandomU32, getSmpProcessorId, getCurrentPidTgid, getCurrentUidGid, getCurrentComm];
