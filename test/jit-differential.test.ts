import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { DiffStats, describeStats, differentialProperty, loopCallCount, newStats } from './jit-gen.js';

/**
 * The JIT against the interpreter on JIT_DIFF_TOTAL (default 100,000) random
 * programs per run of the suite — loops, bpf-to-bpf calls, atomics, helpers,
 * callbacks, packet loads (jit-gen.ts): the same r0 or error, memory, stack
 * and instruction count. The count is fixed, not a time budget; the work is
 * split over worker threads (this file is also the worker), one fast-check
 * seed each, so a failure names its shard's seed and counterexample.
 */
const TOTAL = Number(process.env.JIT_DIFF_TOTAL ?? 100_000);

interface Shard {
  seed: number;
  runs: number;
}

type Report = { stats: Omit<DiffStats, 'errors'> & { errors: [string, number][] }; loops: number } | { failure: string };

if (!isMainThread) {
  const { seed, runs } = workerData as Shard;
  const stats = newStats();
  let report: Report;
  try {
    fc.assert(differentialProperty(stats), { numRuns: runs, seed });
    report = { stats: { ...stats, errors: [...stats.errors] }, loops: loopCallCount() };
  } catch (e) {
    report = { failure: `shard seed ${seed}: ${e instanceof Error ? e.message : String(e)}` };
  }
  parentPort!.postMessage(report);
} else {
  test(`differential: ${TOTAL.toLocaleString('en-US')} random programs give the same results on both engines (worker threads)`, { timeout: 30 * 60_000 }, async () => {
    const workers = Math.max(1, Math.min(availableParallelism(), 4, TOTAL));
    const shards: Shard[] = Array.from({ length: workers }, (_, k) => ({ seed: 0x5eed + k, runs: Math.floor(TOTAL / workers) + (k < TOTAL % workers ? 1 : 0) }));
    const reports = await Promise.all(shards.map((shard) => runShard(shard)));
    const failures = reports.flatMap((r) => ('failure' in r ? [r.failure] : []));
    assert.deepEqual(failures, []);
    const total = newStats();
    let loops = 0;
    for (const r of reports) {
      if ('failure' in r) continue;
      total.programs += r.stats.programs;
      total.runs += r.stats.runs;
      total.slots += r.stats.slots;
      total.executed += r.stats.executed;
      for (const [k, v] of r.stats.errors) total.errors.set(k, (total.errors.get(k) ?? 0) + v);
      loops += r.loops;
    }
    assert.equal(total.programs, TOTAL);
    console.log(`jit differential (${workers} workers): ${describeStats(total, loops)}`);
  });
}

function runShard(shard: Shard): Promise<Report> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: shard });
    w.once('message', (r: Report) => resolve(r));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`differential worker (seed ${shard.seed}) exited with ${code}`));
    });
  });
}
