import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BpfError, ERRNO, ErrnoName } from '../errno.js';
import { Insn, decode } from '../isa/instruction.js';
import { DataFile, parseDataFile } from '../vectors/datafile.js';
import { assembleAt, vectorProgram } from '../vectors/run.js';

/**
 * The one place where a file given on the command line becomes a program,
 * by extension: `.s`/`.asm` assembler text, `.bin` raw little-endian
 * bytecode, `.data` conformance vector.
 */
export type FileKind = 'asm' | 'bin' | 'data';

export interface LoadedProgram {
  kind: FileKind;
  insns: Insn[];
  /** the parsed vector, for `.data` files */
  vector?: DataFile;
}

const KINDS: Record<string, FileKind> = { '.s': 'asm', '.asm': 'asm', '.bin': 'bin', '.data': 'data' };

export function fileKind(file: string): FileKind {
  const ext = path.extname(file).toLowerCase();
  const kind = KINDS[ext];
  if (!kind) throw new BpfError('EINVAL', `unknown file type '${ext || '(none)'}' (expected .s, .asm, .bin or .data)`);
  return kind;
}

export function loadProgram(file: string): LoadedProgram {
  const kind = fileKind(file);
  switch (kind) {
    case 'asm':
      return { kind, insns: assembleAt(readText(file), file) };
    case 'bin':
      return { kind, insns: decode(readBytes(file)) };
    case 'data': {
      const vector = readVectorFile(file);
      return { kind, insns: vectorProgram(vector), vector };
    }
  }
}

/** Parse a `.data` vector; its `@` includes are read relative to its folder. */
export function readVectorFile(file: string): DataFile {
  const dir = path.dirname(file);
  return parseDataFile(readText(file), { name: file, readFile: (rel) => readText(path.resolve(dir, rel)) });
}

export function readText(file: string): string {
  return readBytes(file).toString();
}

export function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw fileError(e, `cannot read ${file}`);
  }
}

/** A Node file-system error as a BpfError with the same errno name when Linux has one. */
export function fileError(e: unknown, what: string): BpfError {
  const code = (e as { code?: string }).code;
  const errno: ErrnoName = code !== undefined && code in ERRNO ? (code as ErrnoName) : 'EINVAL';
  const reason = e instanceof Error ? e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '') : String(e);
  return new BpfError(errno, `${what}: ${reason}`);
}
