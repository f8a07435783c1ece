import { BpfError } from '../errno.js';
import { ProgramType } from '../progtypes/index.js';
import { VerifierMapSpec, VerifyErrorInfo, VerifyResult, verify } from '../verifier/index.js';
import type { ProgramSpec } from './program.js';
import type { Runtime } from './runtime.js';

/**
 * BPF_PROG_LOAD's verification step: a program reaches an engine only after
 * the verifier accepted it for its type, its maps (as the Runtime created
 * them) and the loader's privileges — or when its spec says `unverified`,
 * tsbpf's named mode for tests of the engines themselves.
 */

/** A load the verifier refused: the kernel's errno and message, with the log and the error's details. */
export class VerifierRejection extends BpfError {
  constructor(
    readonly result: VerifyResult,
    readonly info: VerifyErrorInfo,
    what: string,
  ) {
    super(info.errno, rejectionText(what, info));
    this.name = 'VerifierRejection';
  }

  /** the verifier log (level 1 unless the spec asked for another) */
  get log(): string {
    return this.result.log;
  }
}

/** "program 'x': rejected by the verifier at insn 7 (prog.c:12): message", then the source line and a fix. */
function rejectionText(what: string, e: VerifyErrorInfo): string {
  const at = e.insn >= 0 ? ` at insn ${e.insn}${e.line ? ` (${e.line})` : ''}` : '';
  const lines = [`${what}: rejected by the verifier${at}: ${e.message}`];
  if (e.source) lines.push(`  source: ${e.source}`);
  if (e.hint) lines.push(`  fix:    ${e.hint}`);
  return lines.join('\n');
}

/**
 * Verify a spec about to be loaded; undefined for an unverified load.
 * Linux's loaders (libbpf) load with no log and, on a rejection, load again
 * at log level 1 to say why: so does a spec that sets no logLevel.
 */
export function verifyForLoad(spec: ProgramSpec, type: ProgramType | undefined, runtime: Runtime, what: string): VerifyResult | undefined {
  if (spec.unverified) return undefined;
  if (!type) {
    throw new BpfError('EINVAL', `${what}: a program needs a type to be verified (ProgramSpec.type); a run with no type is the ISA harness: load it with unverified: true`);
  }
  const run = (logLevel: number): VerifyResult =>
    verify(spec, {
      progType: type,
      helpers: runtime.helpers,
      mapsById: (id) => runtime.verifierMap(id),
      privileged: spec.privileged ?? true,
      logLevel,
      lineInfo: spec.lineInfo,
      funcInfo: (spec.funcInfo?.length ?? 0) > 0,
      insnLimit: spec.insnLimit,
    });
  let result = run(spec.logLevel ?? 0);
  if (result.accepted) return result;
  if (spec.logLevel === undefined) result = run(1);
  throw new VerifierRejection(result, result.error!, what);
}

export type { VerifierMapSpec };
