import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker, parentPort, workerData } from 'node:worker_threads';

/**
 * Benchmark configurations measured each in a worker thread of its own: a
 * fresh isolate, so what V8 learned from the other configurations (the
 * targets a call site has seen, the shapes of the objects it was given)
 * does not slow this one, as it would not in a service that runs one of
 * them. Workers run one at a time and the main thread waits idle, so the
 * process's CPU time is the worker's.
 *
 * A bench module calls `isolatedConfig()` first: in a worker it is the
 * configuration to measure (the module measures it and `reply`s), in the
 * main thread undefined (the module runs `inWorker` for each).
 */
export function isolatedConfig(): number | undefined {
  const i = process.argv.indexOf('--config');
  return parentPort && i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

/** The data given to inWorker, in the worker. */
export function isolatedData<T>(): T {
  return workerData as T;
}

export function reply(result: unknown): void {
  parentPort!.postMessage(result);
}

/** Configuration `k` of the bench module at `moduleUrl` (its import.meta.url), measured in a worker (given `data`, structured-cloned). */
export async function inWorker<T = number>(moduleUrl: string, k: number, data?: unknown): Promise<T> {
  const worker = new Worker(fileURLToPath(moduleUrl), { argv: [...process.argv.slice(2), '--config', String(k)], workerData: data });
  const exited = once(worker, 'exit'); // listened for from the start: it may come right after the message
  const [result] = (await once(worker, 'message')) as [T];
  await exited;
  return result;
}
