import assert from 'node:assert/strict';
import { test } from 'node:test';
import { askKernel, disagreement, oracleUnavailable, unprivUnavailable } from './verifier-suite/oracle.js';
import { SuiteCase, loadSuite } from './verifier-suite/suite.js';

/**
 * The verifier suite of issue 5 (test/verifier-suite/README.md): its own
 * consistency, and, where the Linux kernel can be asked (root, Linux,
 * ../shared/tools/kernel-oracle.py), the kernel's verdict and error line on
 * every case against what the case records.
 */

const cases = loadSuite();
const byName = new Map(cases.map((c) => [c.name, c]));

test('suite: at least 400 cases, each assembled (or compiled) and complete', () => {
  assert.ok(cases.length >= 400, `${cases.length} cases`);
  for (const c of cases) {
    if (c.source === 'asm') assert.ok(c.insns.length > 0, `${c.name}: no instructions`);
    if (c.expect === 'reject') assert.ok(c.errno, `${c.name}: a rejection without errno`);
    assert.ok(c.rule.length > 0, `${c.name}: no rule`);
  }
});

test('suite: every rule has an accepting and a rejecting case', () => {
  const rules = new Map<string, Set<string>>();
  for (const c of cases) rules.set(c.rule, (rules.get(c.rule) ?? new Set()).add(c.expect));
  const lopsided = [...rules].filter(([, v]) => v.size !== 2).map(([r, v]) => `${r}: only ${[...v].join()}`);
  assert.deepEqual(lopsided, []);
});

test('suite: every twin exists, checks the same rule and has the other verdict', () => {
  const wrong: string[] = [];
  for (const c of cases) {
    if (!c.twin) {
      wrong.push(`${c.name}: no twin`);
      continue;
    }
    const t = byName.get(c.twin);
    if (!t) wrong.push(`${c.name}: twin ${c.twin} does not exist`);
    else if (t.rule !== c.rule) wrong.push(`${c.name}: twin ${c.twin} checks ${t.rule}, not ${c.rule}`);
    else if (t.expect === c.expect) wrong.push(`${c.name}: twin ${c.twin} has the same verdict`);
  }
  assert.deepEqual(wrong, []);
});

test('suite: a name ending in -ok is accepted, one ending in -bad rejected', () => {
  const wrong = cases.filter((c) => (c.name.endsWith('-ok') && c.expect !== 'accept') || (c.name.endsWith('-bad') && c.expect !== 'reject'));
  assert.deepEqual(wrong.map((c) => c.name), []);
});

const skip = oracleUnavailable();
if (skip) console.log(`# verifier suite: kernel re-check skipped: ${skip}`);
const unprivSkip = skip ? undefined : unprivUnavailable();
if (unprivSkip) console.log(`# verifier suite: unprivileged cases not re-checked: ${unprivSkip}`);

test('kernel: Linux gives every case the verdict, error line and errno it records', { skip, timeout: 180_000 }, async () => {
  const asked: SuiteCase[] = cases.filter((c) => !c.skip && (c.privileged || !unprivSkip));
  const notAsked = cases.filter((c) => !asked.includes(c));
  if (notAsked.length) console.log(`# verifier suite: ${notAsked.length} cases not asked (${[...new Set(notAsked.map((c) => c.skip ?? 'unprivileged'))].join('; ')})`);
  const t0 = Date.now();
  const verdicts = await askKernel(asked);
  const ms = Date.now() - t0;
  console.log(`# verifier suite: ${asked.length} cases re-checked against Linux in ${ms} ms`);
  const differ = asked.map((c, i) => disagreement(c, verdicts[i]!)).filter((d) => d !== undefined);
  assert.deepEqual(differ, []);
});
