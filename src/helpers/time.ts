import { ret } from './access.js';
import type { HelperDef, HelperEnv } from './registry.js';

/**
 * The clock helpers of Linux (kernel/bpf/helpers.c). The clocks are the
 * host's, through `env.kernel.host` (DESIGN decision 7: the core reads no
 * clock itself). A bare run, without a Runtime, has no clock: these return 0.
 */

/**
 * The tick rate this runtime pretends to have. Linux's CONFIG_HZ is 100, 250,
 * 300 or 1000 depending on the build; 250 is the default of the common
 * distribution kernels, so a jiffy is 4 ms.
 */
export const HZ = 250;
/** nanoseconds in one jiffy */
export const NSEC_PER_JIFFY = 1_000_000_000n / BigInt(HZ);

const host = (env: HelperEnv) => env.kernel?.host;

/** u64 bpf_ktime_get_ns(void): CLOCK_MONOTONIC in ns (does not count suspend). */
export const ktimeGetNs: HelperDef = {
  id: 5,
  name: 'ktime_get_ns',
  proto: { ret: 'INTEGER', args: [] },
  fn: (env) => ret(host(env)?.monotonicNs() ?? 0n),
};

/** u64 bpf_ktime_get_boot_ns(void): CLOCK_BOOTTIME in ns (counts suspend). */
export const ktimeGetBootNs: HelperDef = {
  id: 125,
  name: 'ktime_get_boot_ns',
  proto: { ret: 'INTEGER', args: [] },
  fn: (env) => ret(host(env)?.boottimeNs() ?? 0n),
};

/**
 * u64 bpf_ktime_get_coarse_ns(void): CLOCK_MONOTONIC_COARSE, the monotonic
 * clock as of the last tick. Here: the monotonic clock rounded down to a
 * whole jiffy, so it is never ahead of ktime_get_ns and moves in 4 ms steps.
 */
export const ktimeGetCoarseNs: HelperDef = {
  id: 160,
  name: 'ktime_get_coarse_ns',
  proto: { ret: 'INTEGER', args: [] },
  fn: (env) => {
    const ns = ret(host(env)?.monotonicNs() ?? 0n);
    return ns - (ns % NSEC_PER_JIFFY);
  },
};

/**
 * u64 bpf_jiffies64(void): ticks of HZ since boot, taken from the boot-time
 * clock: floor(boottime_ns / (1e9 / HZ)). Linux starts jiffies_64 at
 * INITIAL_JIFFIES (2^32 - 300 * HZ, so the 32-bit counter wraps five minutes
 * after boot) and stops it while suspended; programs use jiffies only for
 * differences and comparisons, which this keeps, so the offset is left out.
 */
export const jiffies64: HelperDef = {
  id: 118,
  name: 'jiffies64',
  proto: { ret: 'INTEGER', args: [] },
  fn: (env) => ret(host(env)?.boottimeNs() ?? 0n) / NSEC_PER_JIFFY,
};

export const TIME_HELPERS: readonly HelperDef[] = [ktimeGetNs, ktimeGetBootNs, ktimeGetCoarseNs, jiffies64];
