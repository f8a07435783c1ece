/**
 * Records the running kernel's answers to the map programs in
 * map-programs.kernel.json (root, Linux; run from the repository root):
 *
 *   node dist/test/kernel-probes/record-map-programs.js [FILTER…]
 *
 * Only cases whose name contains a FILTER are asked again (all without one);
 * the others keep their recorded answers. Prints, for each case asked, where
 * tsbpf (interpreter) first disagrees with the kernel, if anywhere.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { C_UNAVAILABLE } from './c-programs.js';
import { ACCESS_CASES, MAP_PROGRAMS as ASM_PROGRAMS, cMapPrograms } from './map-programs.js';
import { RECORD_FILE, Recording, describe, loadRecording, normalize, stepsHash } from './map-record.js';
import { kernelAnswers, kernelCpus, kernelUnavailable, tsbpfAnswers } from './steps.js';
import { isDeepStrictEqual } from 'node:util';

/** Ask the kernel again and rewrite the recording. */
function record(): void {
  if (C_UNAVAILABLE) console.error(`C programs not recorded: ${C_UNAVAILABLE}`);
  const MAP_PROGRAMS = [...ASM_PROGRAMS, ...ACCESS_CASES, ...(C_UNAVAILABLE ? [] : cMapPrograms())];
  const why = kernelUnavailable();
  if (why) {
    console.error(`cannot record: ${why}`);
    process.exit(1);
  }
  const filters = process.argv.slice(2);
  const cpus = kernelCpus()!;
  const old = loadRecording();
  const rec: Recording = { kernel: execFileSync('uname', ['-r']).toString().trim(), cpus, cases: old?.cpus === cpus ? { ...old.cases } : {} };
  for (const c of MAP_PROGRAMS) {
    if (filters.length && !filters.some((f) => c.name.includes(f))) continue;
    const kernel = normalize(c.steps, kernelAnswers(c.steps));
    rec.cases[c.name] = { steps: stepsHash(c.steps), answers: kernel };
    const ours = normalize(c.steps, tsbpfAnswers(c.steps, 'interp', undefined, cpus));
    const at = kernel.findIndex((k, i) => !isDeepStrictEqual(k, ours[i]));
    console.log(at < 0 ? `same   ${c.name}` : `DIFFER ${c.name}: ${describe(c.steps, at)}\n  kernel ${JSON.stringify(kernel[at])}\n  tsbpf  ${JSON.stringify(ours[at])}`);
  }
  // Cases no longer in map-programs.ts are dropped (C cases are kept when clang is missing here).
  const known = new Set(MAP_PROGRAMS.map((c) => c.name));
  rec.cases = Object.fromEntries(Object.entries(rec.cases).filter(([name]) => known.has(name) || (C_UNAVAILABLE && name.startsWith('C: '))));
  writeFileSync(RECORD_FILE, JSON.stringify(rec, null, 1) + '\n');
  console.log(`wrote ${Object.keys(rec.cases).length} cases to ${RECORD_FILE}`);
}

// `node --test dist/test/` runs every file under test/: recording is for a person to start, never a test run
if (!process.env.NODE_TEST_CONTEXT) record();
