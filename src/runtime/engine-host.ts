import { TestRunHost, engineRunner } from '../progtypes/progtype.js';
import { EngineInstance } from '../vm/execute.js';
import { Region } from '../vm/memory.js';
import type { Runtime } from './runtime.js';

/**
 * A test-run host (progtypes' TestRunHost) around one engine of a Runtime's
 * address space, for running a program type's test run on an engine built
 * by hand — the benchmark's trusted JIT, the engines' differential tests —
 * the way Program.testRun runs it, without tail calls. Buffers are reused
 * from one test run to the next, as Linux reuses its frame.
 */
export function engineTestHost(rt: Runtime, engine: EngineInstance, now: () => bigint, cpu = 0): TestRunHost {
  const buffers = new Map<string, Region>();
  return {
    space: rt.space,
    now,
    buffer: (slot, size) => {
      let b = buffers.get(slot);
      if (!b || b.end - b.start < size) {
        const start = rt.space.alloc(Math.max(size, 1));
        b = { start, end: start + size, writable: true, name: slot };
        buffers.set(slot, b);
      }
      rt.space.bytes.fill(0, b.start, b.start + size);
      return b.start;
    },
    runner: (setup) => {
      const regions = [...setup.regions, ...rt.mapRegions()];
      const extras = { kernel: { ...rt.kernelEnv(cpu), packet: setup.packet?.env }, packet: setup.packet?.ldAbs ? setup.packet.region : undefined };
      return engineRunner(engine, setup.ctx, regions, extras);
    },
  };
}
