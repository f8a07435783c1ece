import { BpfError } from '../errno.js';
import { disassemble } from '../isa/disasm.js';
import { Insn } from '../isa/instruction.js';
import { VerifierRejection } from '../runtime/verification.js';

/** Output conventions of every verb: results to stdout, errors to stderr as `tsbpf: FILE: message (ERRNO)`. */

export function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  printLine(JSON.stringify(value));
}

/** `tsbpf: FILE: message`; a message that already starts with `FILE:LINE:` is not prefixed twice. */
export function printError(file: string, message: string): void {
  const located = message.startsWith(`${file}:`);
  process.stderr.write(`tsbpf: ${located ? '' : `${file}: `}${message}\n`);
}

/** The message and its errno; a verifier rejection has it after its first line, before the source line and fix. */
export function errorText(e: BpfError): string {
  const nl = e instanceof VerifierRejection ? e.message.indexOf('\n') : -1;
  return nl < 0 ? `${e.message} (${e.errno})` : `${e.message.slice(0, nl)} (${e.errno})${e.message.slice(nl)}`;
}

export function errorRecord(file: string, e: BpfError): { file: string; error: string; errno: string; verifier?: object } {
  if (!(e instanceof VerifierRejection)) return { file, error: e.message, errno: e.errno };
  const i = e.info;
  return { file, error: e.message, errno: e.errno, verifier: { insn: i.insn, message: i.message, line: i.line ?? null, source: i.source ?? null, hint: i.hint ?? null, log: e.log } };
}

/** Report a failure for one FILE: always on stderr, and as a JSON record on stdout under --json. */
export function reportError(file: string, e: BpfError, json: boolean): void {
  if (json) printJson(errorRecord(file, e));
  printError(file, errorText(e));
}

export interface InsnRecord {
  /** slot index */
  index: number;
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  /** imm of the second slot, for a two-slot `lddw` */
  next_imm?: number;
  text: string;
}

/**
 * One record per instruction as the disassembler prints it (a well-formed
 * `lddw` is one record for its two slots), with its fields and its text.
 */
export function insnRecords(insns: readonly Insn[]): InsnRecord[] {
  const lines = disassemble(insns, { indices: true }).split('\n').filter((l) => l !== '');
  const indices = lines.map((l) => Number(/^\s*(\d+): /.exec(l)![1]));
  return lines.map((line, k) => {
    const index = indices[k]!;
    const next = (indices[k + 1] ?? insns.length) - index === 2 ? { next_imm: insns[index + 1]!.imm } : {};
    return { index, ...insns[index]!, ...next, text: line.slice(line.indexOf(': ') + 2) };
  });
}

/** Run `fn` for one FILE; a BpfError is reported and makes the result false, anything else is a bug and propagates. */
export function perFile(file: string, json: boolean, fn: () => boolean): boolean {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    reportError(file, e, json);
    return false;
  }
}
