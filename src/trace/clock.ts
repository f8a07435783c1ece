/**
 * Node's process.hrtime where the host has it, taken once: a later
 * replacement (a test's fake timers) does not change what a latency
 * measures. Other JS hosts use the standard performance.now().
 */
const hrtime: (() => [number, number]) | undefined = typeof process === 'object' ? process?.hrtime : undefined;
/** the seconds of the first reading: ns since then fit a double's 53 bits exactly for 104 days */
const origin = hrtime ? hrtime()[0] : 0;

/**
 * ns of the monotonic clock, for latencies and durations. Of Node 20's
 * clocks, hrtime() through a reference taken once is the cheapest per
 * read: performance.now() is hrtime() plus a brand check and the
 * conversion to ms (~12 ns more per read here), `process.hrtime` a
 * property lookup on the process object, and hrtime.bigint() a BigInt per
 * read (bench/trace-probes prints them side by side).
 */
export const nowNs: () => number = hrtime
  ? () => {
      const t = hrtime();
      return (t[0] - origin) * 1e9 + t[1];
    }
  : () => Math.round(performance.now() * 1e6);
