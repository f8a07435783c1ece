import { test } from 'node:test';
import assert from 'node:assert/strict';
import { C_UNAVAILABLE } from './kernel-probes/c-programs.js';
import { ACCESS_CASES, MAP_PROGRAMS, MapProgramCase, cMapPrograms } from './kernel-probes/map-programs.js';
import { describe, loadRecording, normalize, recorded } from './kernel-probes/map-record.js';
import { Answer, kernelAnswers, kernelCpus, kernelUnavailable, tsbpfAnswers } from './kernel-probes/steps.js';

// The map differential: small programs that use maps and helpers, in
// assembler (kernel-probes/map-programs.ts) and C (kernel-probes/c/), run
// with the same input by Linux (BPF_PROG_TEST_RUN through bpf_steps.py) and
// by tsbpf on both engines; every map is read back afterwards, and every
// helper's return value is in a map, so each answer is compared. The
// kernel's answers are also recorded (kernel-probes/map-programs.kernel.json,
// written by record-map-programs.js) so hosts without the kernel still check
// tsbpf against Linux.

const C_CASES: MapProgramCase[] = C_UNAVAILABLE ? [] : cMapPrograms();
const CASES: MapProgramCase[] = [...MAP_PROGRAMS, ...C_CASES, ...ACCESS_CASES];
const REC = loadRecording();
const ENGINES = ['interp', 'jit'] as const;

/** Equal answers, or an assertion naming the first step that differs. */
function assertSame(c: MapProgramCase, got: readonly Answer[], want: readonly Answer[], who: string): void {
  assert.equal(got.length, want.length, `${c.name}: ${got.length} answers from ${who}, ${want.length} expected`);
  got.forEach((g, i) => assert.deepEqual(g, want[i], `${c.name} (${who}), ${describe(c.steps, i)}`));
}

test('the differential has at least 30 programs, each run and read back', () => {
  const programs = [...MAP_PROGRAMS, ...C_CASES];
  assert.ok(programs.length >= 30, `${programs.length} programs`);
  for (const c of programs) {
    assert.ok(c.steps.some((s) => s.op === 'run'), `${c.name} runs a program`);
    assert.ok(c.steps.some((s) => ['dump', 'drain', 'ringbuf', 'peek'].includes(s.op)), `${c.name} reads a map back`);
  }
  if (C_UNAVAILABLE) console.log(`# C programs skipped: ${C_UNAVAILABLE}`);
});

for (const c of CASES) {
  for (const engine of ENGINES) {
    test(`${c.name} (${engine}): tsbpf answers as Linux did`, (t) => {
      const want = recorded(REC, c);
      if (typeof want === 'string') {
        console.log(`# ${want}`);
        t.skip(want);
        return;
      }
      assertSame(c, normalize(c.steps, tsbpfAnswers(c.steps, engine, undefined, REC!.cpus)), want, `tsbpf ${engine}`);
    });
  }
}

test('differential: the running kernel answers every case as tsbpf does', async (t) => {
  const why = kernelUnavailable();
  if (why) {
    console.log(`# kernel oracle unavailable, skipping: ${why}`);
    t.skip(why);
    return;
  }
  const cpus = kernelCpus()!;
  for (const c of CASES) {
    await t.test(c.name, () => {
      const kernel = normalize(c.steps, kernelAnswers(c.steps));
      for (const engine of ENGINES) assertSame(c, normalize(c.steps, tsbpfAnswers(c.steps, engine, undefined, cpus)), kernel, `tsbpf ${engine} against the kernel`);
      // A kernel that answers otherwise than the recording: the recording is of another kernel, or stale.
      const rec = recorded(REC, c);
      if (typeof rec !== 'string' && REC!.cpus === cpus && JSON.stringify(rec) !== JSON.stringify(kernel)) {
        console.log(`# note: this kernel answers '${c.name}' otherwise than the recording (${REC!.kernel}): record again`);
      }
    });
  }
});
