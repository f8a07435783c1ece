import { Command, InvalidArgumentError } from 'commander';
import { BpfError } from '../errno.js';
import { Program, ProgramSpec } from '../runtime/program.js';
import { VerifierRejection } from '../runtime/verification.js';

/**
 * The verifier's options of the verbs that load programs (`run`, `prog
 * load`): loading verifies, as BPF_PROG_LOAD does; `--no-verify` is tsbpf's
 * named unverified mode; `--unprivileged` gives the rules Linux applies
 * without CAP_BPF; `--log-level` prints the verifier log to stderr.
 */
export interface VerifyFlags {
  /** false with --no-verify */
  verify: boolean;
  unprivileged?: boolean;
  logLevel?: number;
}

function parseLogLevel(value: string): number {
  if (value !== '1' && value !== '2') throw new InvalidArgumentError('Expected 1 (the failing path) or 2 (every path).');
  return Number(value);
}

export function addVerifyOptions(c: Command): Command {
  return c
    .option('--no-verify', 'load without the verifier (every access is still checked at run time, and a budget of 1,000,000 instructions stops loops)')
    .option('--unprivileged', 'verify with the rules Linux applies to a loader without CAP_BPF (at most 4,096 instructions, no pointer leaks, …)')
    .option('--log-level <n>', 'print the verifier log to stderr: 1 the failing path, 2 every path', parseLogLevel);
}

/** The ProgramSpec fields these flags set. */
export function specOptions(f: VerifyFlags): Pick<ProgramSpec, 'unverified' | 'privileged' | 'logLevel'> {
  if (!f.verify && (f.unprivileged || f.logLevel)) throw new BpfError('EINVAL', '--unprivileged and --log-level are options of the verifier: they cannot go with --no-verify');
  return { unverified: !f.verify, privileged: !f.unprivileged, ...(f.logLevel ? { logLevel: f.logLevel } : {}) };
}

/** Run a load; with --log-level, the verifier log of each program (or of the rejection) goes to stderr. */
export function withVerifierLog<T>(f: VerifyFlags, load: () => T, programs: (loaded: T) => Iterable<Program>): T {
  try {
    const loaded = load();
    if (f.logLevel) for (const p of programs(loaded)) process.stderr.write(p.verification?.log ?? '');
    return loaded;
  } catch (e) {
    if (f.logLevel && e instanceof VerifierRejection) process.stderr.write(e.log);
    throw e;
  }
}
