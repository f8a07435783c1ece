import { BpfError } from '../errno.js';
import { linuxHelpers } from '../helpers/linux.js';
import { Insn } from '../isa/instruction.js';
import { ProgramType } from '../progtypes/index.js';
import { TestRunResult } from '../progtypes/progtype.js';
import { loadCollection } from '../runtime/collection.js';
import { readObject, targetBtfFor } from './object.js';
import { nodeHost } from '../runtime/node-host.js';
import { Runtime } from '../runtime/runtime.js';
import { Engine, execute } from '../vm/execute.js';
import { describeOutcome, hex64, runVector, VectorReport } from '../vectors/run.js';
import { fileKind, loadProgram, readVectorFile } from './load-program.js';
import { perFile, printError, printJson, printLine } from './output.js';
import { VerifyFlags, specOptions, withVerifierLog } from './verify-flags.js';
import path from 'node:path';

/** `tsbpf run FILE…`: run each program once and print r0; `.data` vectors are also checked against their expectation. */
export interface RunOptions {
  mem?: Uint8Array;
  engine: Engine;
  budget?: number;
  json: boolean;
  /** run as BPF_PROG_TEST_RUN for a program type instead of a bare run */
  testRun?: { type?: ProgramType; data?: Uint8Array; ctx?: Uint8Array; repeat?: number };
  /** for ELF objects: the programs to run (all when empty) */
  prog?: readonly string[];
  /** for ELF objects: kernel .config for .kconfig externs */
  kconfig?: string;
  /** for ELF objects: the BTF CO-RE relocations resolve against */
  btf?: string;
  /** the verifier's options (typed runs and objects; a bare run is not verified) */
  verify: VerifyFlags;
}

/** Returns true when every FILE ran (and every vector matched its expectation). */
export function runFiles(files: readonly string[], options: RunOptions): boolean {
  let ok = true;
  for (const file of files) ok = perFile(file, options.json, () => runFile(file, options)) && ok;
  return ok;
}

function runFile(file: string, options: RunOptions): boolean {
  if (file.toLowerCase().endsWith('.o')) return runObject(file, options);
  return fileKind(file) === 'data' ? runData(file, options) : runProgram(file, options);
}

/** An ELF object: load it as libbpf would and test-run each program as its section's type. */
function runObject(file: string, options: RunOptions): boolean {
  if (options.mem) throw new BpfError('EINVAL', '--mem is for bare runs; an object\'s programs are test-run: give the packet with --data');
  const spec = readObject(file, options.kconfig);
  const t = options.testRun ?? {};
  const verify = specOptions(options.verify);
  for (const p of spec.programs) {
    if (t.type) p.type = t.type.type;
    Object.assign(p, { engine: options.engine, budget: options.budget }, verify);
  }
  const rt = new Runtime({ helpers: linuxHelpers(), host: nodeHost() });
  const load = () => loadCollection(rt, spec, { programs: options.prog?.length ? options.prog : undefined, targetBtf: targetBtfFor(spec, options.btf) });
  const c = withVerifierLog(options.verify, load, (c) => c.programs.values());
  for (const [name, prog] of c.programs) printTestRun(`${file}:${name}`, prog.testRun({ data: t.data, ctx: t.ctx, repeat: t.repeat }), options.json);
  for (const s of c.skipped) if (!options.prog?.length) process.stderr.write(`tsbpf: ${file}: skipped ${s.name}: ${s.reason}\n`);
  return c.programs.size > 0;
}

const formatR0 = (r0: bigint): string => `r0 = ${hex64(r0)} (${BigInt.asUintN(64, r0)})`;

function runProgram(file: string, options: RunOptions): boolean {
  const { insns } = loadProgram(file);
  if (options.testRun) return testRunProgram(file, insns, options, options.testRun);
  const { r0 } = execute(insns, { mem: options.mem, budget: options.budget, engine: options.engine });
  if (options.json) printJson({ file, r0: hex64(r0) });
  else printLine(`${file}: ${formatR0(r0)}`);
  return true;
}

/** `--type T`: load into a Runtime with the Linux helpers (verifying, unless --no-verify) and test-run it. */
function testRunProgram(file: string, insns: Insn[], options: RunOptions, t: NonNullable<RunOptions['testRun']>): boolean {
  if (options.mem) throw new BpfError('EINVAL', '--mem is for bare runs; with --type give the packet with --data');
  const rt = new Runtime({ helpers: linuxHelpers(), host: nodeHost() });
  if (!t.type) throw new BpfError('EINVAL', 'a test run needs --type');
  const spec = { name: path.basename(file), insns, type: t.type.type, engine: options.engine, budget: options.budget, ...specOptions(options.verify) };
  const prog = withVerifierLog(options.verify, () => rt.loadProgram(spec), (p) => [p]);
  printTestRun(file, prog.testRun({ data: t.data, ctx: t.ctx, repeat: t.repeat }), options.json);
  return true;
}

function printTestRun(file: string, r: TestRunResult, json: boolean): void {
  if (json) {
    printJson({ file, retval: r.retval, r0: hex64(r.r0), duration_ns: r.durationNs, ...(r.dataOut ? { data_out: hex(r.dataOut) } : {}), ...(r.ctxOut ? { ctx_out: hex(r.ctxOut) } : {}) });
    return;
  }
  printLine(`${file}: retval = ${r.retval} (0x${r.retval.toString(16)}), duration ${r.durationNs} ns`);
  if (r.dataOut) printLine(`  data_out: ${hex(r.dataOut)}`);
  if (r.ctxOut) printLine(`  ctx_out: ${hex(r.ctxOut)}`);
}

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

function runData(file: string, options: RunOptions): boolean {
  if (options.mem) throw new BpfError('EINVAL', '--mem cannot be used with a .data file: the vector carries its own input');
  const report = runVector(readVectorFile(file), { budget: options.budget });
  if (options.json) printJson(vectorRecord(file, report));
  const line = `${outcomeText(report)}: ${report.status === 'pass' ? 'pass' : 'FAIL'} (expected ${report.expected})`;
  if (report.status === 'pass') {
    if (!options.json) printLine(`${file}: ${line}`);
  } else {
    printError(file, line);
  }
  return report.status === 'pass';
}

function outcomeText(report: VectorReport): string {
  return report.outcome.kind === 'result' ? formatR0(report.outcome.r0) : describeOutcome(report.outcome);
}

function vectorRecord(file: string, report: VectorReport): Record<string, unknown> {
  const o = report.outcome;
  const got =
    o.kind === 'result' ? { r0: hex64(o.r0) }
    : o.kind === 'built' ? { slots: o.slots }
    : { error: o.message, errno: o.errno, stage: o.stage };
  return { file, ...got, expected: report.expected, status: report.status };
}
