/**
 * Records the kernel's verdicts in the suite's case headers.
 *
 *   node dist/test/verifier-suite/record.js [--write] [FILTER…]
 *   node dist/test/verifier-suite/record.js --counts
 *
 * Asks the running kernel (kernel-oracle.py, root) about every case whose
 * name contains one of the FILTERs (all cases without one), prints each case
 * whose header disagrees with the kernel, and with --write rewrites the
 * `expect:`, `reason:` and `errno:` lines to what the kernel said. A verdict
 * that flips is printed as `FLIP`: look at the case (and its twin) again.
 * --counts prints the table of cases per rule of README.md (no kernel needed).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { askKernel, disagreement, oracleUnavailable } from './oracle.js';
import { loadSuite } from './suite.js';

function rewrite(file: string, marker: string, fields: [string, string | undefined][]): void {
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = (k: string) => lines.findIndex((l) => new RegExp(`^\\s*${marker}\\s*${k}:`).test(l));
  for (const [k, v] of fields) {
    const i = at(k);
    if (v === undefined) {
      if (i >= 0) lines.splice(i, 1);
    } else if (i >= 0) {
      lines[i] = `${marker} ${k}: ${v}`;
    } else {
      lines.splice(at('expect') + 1, 0, `${marker} ${k}: ${v}`);
    }
  }
  writeFileSync(file, lines.join('\n'));
}

function counts(): void {
  const cases = loadSuite({ compile: false });
  const rules = new Map<string, { accept: number; reject: number }>();
  for (const c of cases) {
    const r = rules.get(c.rule) ?? { accept: 0, reject: 0 };
    r[c.expect]++;
    rules.set(c.rule, r);
  }
  const accept = cases.filter((c) => c.expect === 'accept').length;
  console.log(`${cases.length} cases (${accept} accept, ${cases.length - accept} reject; ${cases.filter((c) => !c.privileged).length} unprivileged; ${cases.filter((c) => c.source === 'c').length} in C), ${rules.size} rules\n`);
  console.log('| rule | accept | reject |\n|---|---:|---:|');
  for (const [rule, r] of [...rules].sort(([a], [b]) => (a < b ? -1 : 1))) console.log(`| ${rule} | ${r.accept} | ${r.reject} |`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--counts')) return counts();
  const write = args.includes('--write');
  const filters = args.filter((a) => a !== '--write');
  const why = oracleUnavailable();
  if (why) throw new Error(`cannot ask the kernel: ${why}`);
  const cases = loadSuite({ strict: false }).filter((c) => filters.length === 0 || filters.some((f) => c.name.includes(f) || c.file.includes(f)));
  const t0 = Date.now();
  const verdicts = await askKernel(cases);
  let differ = 0;
  cases.forEach((c, i) => {
    const v = verdicts[i]!;
    const d = disagreement(c, v);
    if (!d) return;
    differ++;
    const flip = (v.accepted ? 'accept' : 'reject') !== c.expect;
    console.log(`${flip ? 'FLIP ' : 'fix  '}${d}`);
    if (!write) return;
    const marker = c.source === 'c' ? '//' : ';';
    rewrite(c.file, marker, [
      ['expect', v.accepted ? 'accept' : 'reject'],
      ['errno', v.accepted ? undefined : v.errnoName],
      ['reason', v.accepted ? undefined : (v.error_line ?? undefined)],
    ]);
  });
  console.log(`${cases.length} cases, ${differ} differ from the kernel${write && differ ? ' (rewritten)' : ''}, ${Date.now() - t0} ms`);
}

// `node --test dist/test/` runs every file under test/ as a test: do nothing there
if (!process.env['NODE_TEST_CONTEXT']) {
  main().catch((e) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
