/**
 * Runs cases of the verifier suite (test/verifier-suite/) through tsbpf's
 * verifier and compares with the kernel's recorded verdicts. Shared by
 * test/verifier-suite.test.ts and the `report` entry below
 * (`node dist/test/verifier-suite-run.js [FILTER…]` prints every
 * disagreement).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCollectionSpec } from '../src/elf/collection.js';
import { VerifyResult, verify } from '../src/verifier/index.js';
import { SuiteCase, loadSuite } from './verifier-suite/suite.js';

/**
 * Where tsbpf deliberately differs from Linux 6.18, by case name, with the
 * reason. A listed case must still disagree (so the list stays true).
 */
export const DELIBERATE: ReadonlyMap<string, string> = new Map([
  // Maps in tsbpf are not kernel objects: no `struct bpf_htab` behind a map pointer.
  ['ptr/map-ptr-read-ok', 'Linux lets a program read a map pointer\'s kernel struct bpf_map (vmlinux BTF); tsbpf has no kernel structure behind a map, so a map pointer cannot be dereferenced'],
  ['ptr/map-ptr-write-bad', 'rejected by both; Linux\'s reason names the kernel struct (only read from bpf_htab is supported), tsbpf refuses any dereference of a map pointer'],
  // Helpers Linux has and tsbpf does not implement: a program that calls one cannot run here.
  ['helper/avail-func-ip-ok', 'bpf_get_func_ip is not implemented by tsbpf: the verifier refuses calls of helpers the runtime does not have'],
  ['helper/avail-perf-read-value-ok', 'bpf_perf_prog_read_value is not implemented by tsbpf: the verifier refuses calls of helpers the runtime does not have'],
]);

export interface Outcome {
  name: string;
  expect: 'accept' | 'reject';
  accepted: boolean;
  /** the kernel's error line and errno, and ours */
  reason?: string;
  errno?: string;
  ourReason?: string;
  ourErrno?: string;
  /** what agrees: the verdict, and for rejections the line and errno */
  verdictOk: boolean;
  reasonOk: boolean;
  errnoOk: boolean;
  /** a rejection says what would make the program safe */
  hinted: boolean;
  ms: number;
}

/** Lines of the log that are not the error (the oracle's error_line rule, tools/kernel-oracle.py). */
const TRAILER = /^(processed \d+ insns|verification time|stack depth|-- (END|BEGIN) PROG LOAD LOG|mark_precise:|Live regs before insn|\(\d+\) frame \d+ insn|\(\d+\) live stack|func#\d+ @\d+|libbpf: |Validating |Func#\d+ |; |\d+: \([0-9a-f]{2}\) )/;

/** The last meaningful line of a verifier log, as kernel-oracle.py's error_line picks it. */
export function errorLine(log: string): string | undefined {
  const lines = log.split(/\r?\n/).map((l) => l.trimEnd());
  for (let i = lines.length - 1; i >= 0; i--) {
    const s = lines[i]!.trim();
    if (!s || TRAILER.test(s)) continue;
    return s;
  }
  return undefined;
}

export function verifyCase(c: SuiteCase, logLevel = 1): VerifyResult {
  const common = { privileged: c.privileged, logLevel };
  if (c.source === 'asm') {
    return verify({ insns: c.insns, type: c.progType }, { ...common, progType: c.progType, mapsByIndex: c.maps });
  }
  const spec = readCollectionSpec(new Uint8Array(readFileSync(c.object!)), { fileName: c.object! });
  const prog = spec.programs.find((p) => p.name === c.program);
  if (!prog) throw new Error(`${c.name}: no program ${c.program} in ${c.object}`);
  return verify(prog, {
    ...common,
    progType: c.progType,
    mapsByIndex: spec.maps,
    lineInfo: prog.lineInfo,
    funcInfo: prog.funcInfo.length > 0,
  });
}

export function runCase(c: SuiteCase): Outcome {
  const t0 = performance.now();
  const r = verifyCase(c);
  const ms = performance.now() - t0;
  const ourReason = r.accepted ? undefined : errorLine(r.log);
  const ourErrno = r.error?.errno;
  const verdictOk = r.accepted === (c.expect === 'accept');
  return {
    name: c.name,
    expect: c.expect,
    accepted: r.accepted,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.errno ? { errno: c.errno } : {}),
    ...(ourReason ? { ourReason } : {}),
    ...(ourErrno ? { ourErrno } : {}),
    verdictOk,
    reasonOk: c.expect === 'accept' || !verdictOk || ourReason === c.reason,
    errnoOk: c.expect === 'accept' || !verdictOk || ourErrno === c.errno,
    hinted: r.accepted || !!r.error?.hint,
    ms,
  };
}

/** `node dist/test/verifier-suite-run.js [FILTER…]`: every disagreement, then the counts. */
function report(filters: string[]): void {
  const cases = loadSuite().filter((c) => !c.skip && (filters.length === 0 || filters.some((f) => c.name.includes(f))));
  let verdict = 0;
  let reason = 0;
  let errno = 0;
  for (const c of cases) {
    let o: Outcome;
    try {
      o = runCase(c);
    } catch (e) {
      console.log(`CRASH ${c.name}: ${(e as Error).stack}`);
      continue;
    }
    if (o.verdictOk) verdict++;
    if (o.verdictOk && o.reasonOk) reason++;
    if (o.verdictOk && o.errnoOk) errno++;
    if (!o.verdictOk) console.log(`VERDICT ${c.name}: kernel ${c.expect}${c.reason ? ` (${c.reason})` : ''}, tsbpf ${o.accepted ? 'accept' : `reject (${o.ourReason})`}`);
    else if (!o.reasonOk || !o.errnoOk) console.log(`REASON  ${c.name}: kernel '${c.reason}' ${c.errno}, tsbpf '${o.ourReason}' ${o.ourErrno}`);
    if (o.ms > 1000) console.log(`SLOW    ${c.name}: ${o.ms.toFixed(0)} ms`);
  }
  console.log(`${cases.length} cases: verdict agrees ${verdict}, error line agrees ${reason}, errno agrees ${errno}`);
}

// `node --test dist/test/` runs every file here: the report runs only when started by hand
if (process.argv[1] === fileURLToPath(import.meta.url) && !process.env.NODE_TEST_CONTEXT) report(process.argv.slice(2));
