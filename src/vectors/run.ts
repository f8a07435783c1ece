import { BpfError, ErrnoName } from '../errno.js';
import { HelperRegistry } from '../helpers/registry.js';
import { assemble } from '../isa/asm.js';
import { Insn, toWord } from '../isa/instruction.js';
import { validate } from '../isa/validate.js';
import { Engine, execute } from '../vm/execute.js';
import { DataFile } from './datafile.js';
import { conformanceHelpers } from './helpers.js';

/**
 * The upstream harness contract for one vector (shared/conformance/README.md,
 * "Running a test"): build the program from `raw`, else from `asm`; run it with
 * r1/r2 describing `mem`; compare r0 as u64 with `result`, or expect a failure
 * for `error` / `error pattern` (any message: the texts are uBPF's own). A file
 * with both accepts either outcome. A file with neither is an assembler check:
 * it passes when the program builds (and `asm` matches `raw`).
 */

/** Where a run stopped: the vector itself is unusable, or assembly, loading or running failed. */
export type Stage = 'vector' | 'assemble' | 'load' | 'run';

export type Outcome =
  | { kind: 'result'; r0: bigint; executed: number }
  | { kind: 'error'; stage: Stage; errno: ErrnoName; message: string }
  | { kind: 'built'; slots: number };

export interface VectorReport {
  name: string;
  status: 'pass' | 'fail';
  outcome: Outcome;
  /** what the vector expects, in words */
  expected: string;
  /** why it passed or failed, in one line */
  reason: string;
}

export interface RunVectorOptions {
  /** instruction budget of the run (default: execute's) */
  budget?: number;
  /** helpers (default: the uBPF test helpers of conformanceHelpers()) */
  helpers?: HelperRegistry;
  /** execution engine (default: execute's, the JIT) */
  engine?: Engine;
}

export const hex64 = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}`;

export function runVector(data: DataFile, options: RunVectorOptions = {}): VectorReport {
  const outcome = attempt(data, options);
  const verdict = judge(data, outcome);
  return { name: data.name, status: verdict.pass ? 'pass' : 'fail', outcome, expected: expectation(data), reason: verdict.reason };
}

/**
 * The program of a vector: `raw` if present (the upstream rule), else the
 * assembled `asm`. When both are present the assembled words must equal `raw`.
 */
export function vectorProgram(data: DataFile): Insn[] {
  const asm = data.asm === undefined ? undefined : assembleSection(data);
  if (data.raw === undefined && asm === undefined) {
    throw new BpfError('EINVAL', 'no program (neither an asm nor a raw section)');
  }
  if (data.raw !== undefined && asm !== undefined) checkSame(asm, data.raw);
  return data.raw ?? asm!;
}

function assembleSection(data: DataFile): Insn[] {
  const src = data.asmSource!;
  return assembleAt(data.asm!, src.file, src.line);
}

/**
 * Assemble text whose first line is line `line` of `file`: the assembler's
 * `line N: …` errors become `FILE:LINE: …`.
 */
export function assembleAt(text: string, file: string, line = 1): Insn[] {
  try {
    return assemble(text);
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    const m = /^line (\d+): ([^]*)$/.exec(e.message);
    throw new BpfError(e.errno, m ? `${file}:${line + Number(m[1]) - 1}: ${m[2]}` : `${file}:${line}: ${e.message}`);
  }
}

function checkSame(asm: Insn[], raw: Insn[]): void {
  const n = Math.max(asm.length, raw.length);
  for (let i = 0; i < n; i++) {
    const a = asm[i] === undefined ? 'nothing' : hex64(toWord(asm[i]!));
    const r = raw[i] === undefined ? 'nothing' : hex64(toWord(raw[i]!));
    if (a !== r) throw new BpfError('EINVAL', `asm and raw differ at slot ${i}: asm gives ${a}, raw has ${r}`);
  }
}

const expectsError = (data: DataFile): boolean => data.error !== undefined || data.errorPattern !== undefined;

/** Thrown inside attempt() to stop at a stage. */
class Stopped {
  constructor(readonly outcome: Outcome) {}
}

function step<T>(stage: Stage, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BpfError) throw new Stopped({ kind: 'error', stage, errno: e.errno, message: e.message });
    throw e;
  }
}

function attempt(data: DataFile, options: RunVectorOptions): Outcome {
  try {
    const insns = step(data.asm !== undefined && data.raw === undefined ? 'assemble' : 'vector', () => vectorProgram(data));
    if (data.result === undefined && !expectsError(data)) return { kind: 'built', slots: insns.length };
    step('load', () => validate(insns));
    const helpers = options.helpers ?? conformanceHelpers();
    const run = step('run', () => execute(insns, { mem: data.mem, helpers, budget: options.budget, engine: options.engine }));
    return { kind: 'result', r0: run.r0, executed: run.executed };
  } catch (e) {
    if (e instanceof Stopped) return e.outcome;
    throw e;
  }
}

function expectation(data: DataFile): string {
  const r0 = data.result === undefined ? undefined : `r0 = ${hex64(data.result)}`;
  if (expectsError(data)) return r0 ? `${r0} or an error` : 'an error';
  return r0 ?? 'a program that builds';
}

export function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'result':
      return `r0 = ${hex64(outcome.r0)}`;
    case 'built':
      return `built ${outcome.slots} slots`;
    default:
      return `${outcome.stage === 'vector' ? 'unusable vector' : `rejected at ${outcome.stage}`}: ${outcome.message} (${outcome.errno})`;
  }
}

function judge(data: DataFile, outcome: Outcome): { pass: boolean; reason: string } {
  const got = describeOutcome(outcome);
  const pass = matches(data, outcome);
  return { pass, reason: pass ? `${got}, as expected` : `${got}; expected ${expectation(data)}` };
}

function matches(data: DataFile, outcome: Outcome): boolean {
  switch (outcome.kind) {
    case 'built':
      return true;
    case 'result':
      return outcome.r0 === data.result;
    default:
      return outcome.stage !== 'vector' && expectsError(data);
  }
}
