import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { BpfError } from '../src/errno.js';
import { readVectorFile } from '../src/cli/load-program.js';
import { DataFile } from '../src/vectors/datafile.js';
import { describeOutcome, runVector, VectorReport } from '../src/vectors/run.js';

/**
 * Every conformance vector in ../shared/conformance (README.md there):
 * - bpf_conformance/*.data must pass (callx.data included: tsbpf supports `call %rN`);
 * - bpf_conformance/negative/*.data must be refused: the file does not parse, or
 *   assembly, loading or running fails, or the harness reports a mismatch;
 * - ubpf/**\/*.data must pass, except the files in UBPF_POLICY below, whose
 *   expectation is uBPF policy that contradicts Linux / RFC 9669 semantics.
 */

const CONFORMANCE = path.resolve(process.cwd(), '../shared/conformance');

interface Policy {
  reason: string;
  /** what tsbpf does instead, checked in place of the vector's expectation */
  instead?: { what: string; check: (report: VectorReport) => void };
}

const UBPF_POLICY: Record<string, Policy> = {
  'errors/err-unknown-opcode.data': {
    reason: 'expects opcode 0x06 to be rejected, but 0x06 is JMP32 JA (ja32/gotol) in RFC 9669 and Linux (bpf_conformance/ja32.data)',
    instead: {
      what: '0x06 with imm 0 runs as ja32 +0, then exit gives r0 = 0',
      check: (r) => assert.deepEqual(r.outcome.kind === 'result' && r.outcome.r0, 0n, describeOutcome(r.outcome)),
    },
  },
  'errors/err-too-many-instructions.data': {
    reason: "65 537 slots are over uBPF's 65 536 limit, but within Linux's limit for a privileged load (BPF_COMPLEXITY_LIMIT_INSNS = 1 000 000)",
  },
  'reload.data': {
    reason: 'uBPF VM API: a second load of the same code into one VM must fail; in Linux every BPF_PROG_LOAD is independent and tsbpf has no stateful VM to reload',
  },
};

function dataFiles(dir: string, recursive: boolean): string[] {
  const root = path.join(CONFORMANCE, dir);
  const names = readdirSync(root, { recursive, withFileTypes: false }) as string[];
  return names.filter((n) => n.endsWith('.data')).sort();
}

const tally = {
  bpf_conformance: { pass: 0, fail: 0 },
  negative: { refused: 0, accepted: 0, how: new Map<string, number>() },
  ubpf: { pass: 0, fail: 0, skipped: 0, inverted: 0 },
};

const load = (dir: string, name: string): DataFile => readVectorFile(path.join(CONFORMANCE, dir, name));

test('the conformance data is where it should be', () => {
  assert.equal(dataFiles('bpf_conformance', false).length, 313);
  assert.equal(dataFiles('bpf_conformance/negative', false).length, 60);
  assert.equal(dataFiles('ubpf', true).length, 77);
});

for (const name of dataFiles('bpf_conformance', false)) {
  test(`bpf_conformance/${name}`, () => {
    const report = runVector(load('bpf_conformance', name));
    tally.bpf_conformance[report.status === 'pass' ? 'pass' : 'fail']++;
    assert.equal(report.status, 'pass', report.reason);
  });
}

/** How a negative vector was refused, or undefined when it ran as its author expected a broken harness would. */
function refusal(name: string): string | undefined {
  let data: DataFile;
  try {
    data = load('bpf_conformance/negative', name);
  } catch (e) {
    if (e instanceof BpfError) return 'parse';
    throw e;
  }
  const report = runVector(data);
  if (report.outcome.kind === 'error') return report.outcome.stage;
  return report.status === 'fail' ? 'mismatch' : undefined;
}

for (const name of dataFiles('bpf_conformance/negative', false)) {
  test(`bpf_conformance/negative/${name}`, () => {
    const how = refusal(name);
    const t = tally.negative;
    if (how) t.how.set(how, (t.how.get(how) ?? 0) + 1);
    t[how ? 'refused' : 'accepted']++;
    assert.ok(how, 'the vector was accepted: it parsed, built, ran and matched its expectation');
  });
}

for (const name of dataFiles('ubpf', true)) {
  const policy = UBPF_POLICY[name];
  if (policy?.instead) {
    test(`ubpf/${name} (inverted: ${policy.instead.what})`, () => {
      tally.ubpf.inverted++;
      policy.instead!.check(runVector(load('ubpf', name)));
    });
  } else if (policy) {
    test(`ubpf/${name}`, { skip: policy.reason }, () => {});
    tally.ubpf.skipped++;
  } else {
    test(`ubpf/${name}`, () => {
      const report = runVector(load('ubpf', name));
      tally.ubpf[report.status === 'pass' ? 'pass' : 'fail']++;
      assert.equal(report.status, 'pass', report.reason);
    });
  }
}

after(() => {
  const { bpf_conformance: c, negative: n, ubpf: u } = tally;
  const how = [...n.how].map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`conformance tally:
  bpf_conformance: ${c.pass} pass, ${c.fail} fail
  negative:        ${n.refused} refused (${how}), ${n.accepted} accepted
  ubpf:            ${u.pass} pass, ${u.fail} fail, ${u.inverted} inverted, ${u.skipped} skipped
  ubpf policy exceptions:
${Object.entries(UBPF_POLICY).map(([f, p]) => `    ${f}: ${p.instead ? `inverted (${p.instead.what})` : 'skipped'}: ${p.reason}`).join('\n')}`);
});
