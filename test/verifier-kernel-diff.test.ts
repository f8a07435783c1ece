import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { compareSeeds } from './verifier-diff.js';

/**
 * tsbpf's verifier against the running kernel on random programs
 * (verifier-gen.ts): the same verdict, the same error line, the same number
 * of processed instructions and the same level-1 log (map addresses aside).
 * Needs Linux 6.18, root and python3; skipped, with the reason, elsewhere.
 * TSBPF_VERIFIER_DIFF sets how many programs (default 400).
 */
const COUNT = Number(process.env.TSBPF_VERIFIER_DIFF ?? 400);

function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  const r = spawnSync('python3', ['-c', 'import ctypes'], { encoding: 'utf8' });
  if (r.status !== 0) return 'no python3';
  const release = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  if (!release.startsWith('6.18') && !process.env.TSBPF_VSUITE_ANY_KERNEL) return `kernel ${release}, not 6.18 (set TSBPF_VSUITE_ANY_KERNEL=1 to compare anyway)`;
  return undefined;
}

const skip = unavailable();
if (skip) console.log(`# verifier kernel differential test skipped: ${skip}`);

test(`random programs: tsbpf and Linux agree (${COUNT} programs)`, { skip }, () => {
  const { differences, accepted, rejected } = compareSeeds(1, COUNT, 1);
  console.log(`# ${COUNT} random programs: Linux accepted ${accepted}, rejected ${rejected}; ${differences.length} differences`);
  assert.deepEqual(differences.map((d) => `seed ${d.seed} ${d.what}: kernel ${d.kernel} | tsbpf ${d.tsbpf}`), []);
});
