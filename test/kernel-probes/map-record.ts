/**
 * Test utility: the kernel's answers to the map programs (map-programs.ts),
 * recorded in map-programs.kernel.json so that tsbpf is checked against
 * Linux on hosts where the kernel cannot be asked. Each case keeps a hash of
 * its steps: a case edited since the recording is reported stale, not
 * compared with old answers.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MapFlags, MapType } from '../../src/maps/map.js';
import type { MapProgramCase } from './map-programs.js';
import type { Answer, Step } from './steps.js';

/** In the source tree (this file runs from dist/test/kernel-probes). */
export const RECORD_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'kernel-probes', 'map-programs.kernel.json');

export interface Recording {
  /** `uname -r` of the kernel that answered */
  kernel: string;
  /** its possible CPUs: the number of values a per-CPU lookup gives */
  cpus: number;
  cases: Record<string, { steps: string; answers: Answer[] }>;
}

export const stepsHash = (steps: readonly Step[]): string => createHash('sha256').update(JSON.stringify(steps)).digest('hex').slice(0, 16);

export function loadRecording(): Recording | undefined {
  return existsSync(RECORD_FILE) ? (JSON.parse(readFileSync(RECORD_FILE, 'utf8')) as Recording) : undefined;
}

/** The recorded answers of `c`, or why there are none. */
export function recorded(rec: Recording | undefined, c: MapProgramCase): Answer[] | string {
  const r = rec?.cases[c.name];
  if (!r) return `no recorded kernel answers for '${c.name}' (node dist/test/kernel-probes/record-map-programs.js, as root)`;
  if (r.steps !== stepsHash(c.steps)) return `the recorded kernel answers for '${c.name}' are stale: its steps changed (record again)`;
  return r.answers;
}

const HASHED = new Set<number>([MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH]);

/**
 * Answers in a form both sides can agree on: the dump of a hash map whose
 * seed is random (no BPF_F_ZERO_SEED) is sorted by key, since Linux walks
 * its buckets in an order that changes from one map to the next.
 */
export function normalize(steps: readonly Step[], answers: readonly Answer[]): Answer[] {
  const specs = new Map(steps.flatMap((s) => (s.op === 'create' ? [[s.name, s] as const] : [])));
  return answers.map((a, i) => {
    const s = steps[i]!;
    if (s.op !== 'dump' || !Array.isArray(a)) return a;
    const spec = specs.get(s.map);
    if (!spec || !HASHED.has(spec.type) || (spec.flags ?? 0) & MapFlags.ZERO_SEED) return a;
    return [...(a as Array<[string, string]>)].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  });
}

/** "step N (op …): what the step was", to name the first step where two lists of answers differ. */
export function describe(steps: readonly Step[], i: number): string {
  const s = steps[i]!;
  const { insns: _insns, ...rest } = s as Step & { insns?: string };
  return `step ${i}: ${JSON.stringify(rest).slice(0, 200)}`;
}
