import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DELIBERATE, Outcome, runCase } from './verifier-suite-run.js';
import { loadSuite } from './verifier-suite/suite.js';

/**
 * tsbpf's verifier against the suite of test/verifier-suite: for every case,
 * the verdict Linux 6.18 gave, and for a rejection the error line (the last
 * meaningful line of the log, as kernel-oracle.py picks it) and the errno.
 * Deliberate differences are listed, with their reason, in
 * verifier-suite-run.ts (DELIBERATE); each must still be a difference.
 */

const cases = loadSuite();
const usable = cases.filter((c) => !c.skip);
const skipped = cases.filter((c) => c.skip);
if (skipped.length) console.log(`# verifier suite: ${skipped.length} cases skipped (${[...new Set(skipped.map((c) => c.skip))].join('; ')})`);

const outcomes = new Map<string, Outcome>();
for (const c of usable) outcomes.set(c.name, runCase(c));

test('the suite has its cases', () => {
  assert.ok(cases.length >= 400, `only ${cases.length} cases`);
});

test('verdicts agree with Linux on every case but the deliberate differences', () => {
  const differ = usable
    .filter((c) => !DELIBERATE.has(c.name))
    .map((c) => outcomes.get(c.name)!)
    .filter((o) => !o.verdictOk)
    .map((o) => `${o.name}: kernel ${o.expect}, tsbpf ${o.accepted ? 'accept' : `reject (${o.ourReason})`}`);
  assert.deepEqual(differ, []);
});

test('rejections give Linux\'s error line and errno', () => {
  const differ = usable
    .filter((c) => !DELIBERATE.has(c.name))
    .map((c) => outcomes.get(c.name)!)
    .filter((o) => o.verdictOk && (!o.reasonOk || !o.errnoOk))
    .map((o) => `${o.name}: kernel '${o.reason}' ${o.errno}, tsbpf '${o.ourReason}' ${o.ourErrno}`);
  assert.deepEqual(differ, []);
});

test('every rejection says what would make the program safe (a hint)', () => {
  const bare = [...outcomes.values()].filter((o) => !o.hinted).map((o) => `${o.name}: ${o.ourReason}`);
  assert.deepEqual(bare, []);
});

test('every deliberate difference is still a difference', () => {
  for (const [name, why] of DELIBERATE) {
    const o = outcomes.get(name);
    assert.ok(o, `${name} (${why}) is not a case of the suite`);
    assert.ok(!(o.verdictOk && o.reasonOk && o.errnoOk), `${name} now agrees with Linux: remove it from DELIBERATE`);
  }
});

test('agreement counts', () => {
  const all = [...outcomes.values()];
  const verdict = all.filter((o) => o.verdictOk).length;
  const full = all.filter((o) => o.verdictOk && o.reasonOk && o.errnoOk).length;
  const ms = all.reduce((a, o) => a + o.ms, 0);
  console.log(`# verifier suite: ${all.length} cases, verdict agrees on ${verdict}, verdict+error line+errno on ${full}; ${DELIBERATE.size} deliberate differences; ${ms.toFixed(0)} ms`);
  assert.equal(verdict + [...DELIBERATE.keys()].filter((n) => !outcomes.get(n)?.verdictOk).length, all.length);
});
