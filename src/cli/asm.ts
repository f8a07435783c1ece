import { writeFileSync } from 'node:fs';
import { disassemble } from '../isa/disasm.js';
import { encode } from '../isa/instruction.js';
import { fileError, loadProgram } from './load-program.js';
import { insnRecords, perFile, printJson, printLine } from './output.js';

/** `tsbpf asm` and `tsbpf disasm`: convert between the file forms and the assembler syntax. */

export interface AsmOptions {
  output?: string;
  json: boolean;
}

/**
 * Assemble FILE. With `-o` the bytecode is written there; with `--json` the
 * slots are printed as records; with neither, each slot is printed as its 8
 * bytes in hex, one slot per line.
 */
export function asmFile(file: string, options: AsmOptions): boolean {
  return perFile(file, options.json, () => {
    const { insns } = loadProgram(file);
    if (options.output !== undefined) writeOutput(options.output, encode(insns));
    if (options.json) printJson(insnRecords(insns));
    else if (options.output === undefined) printHexSlots(encode(insns));
    return true;
  });
}

function writeOutput(out: string, bytes: Uint8Array): void {
  try {
    writeFileSync(out, bytes);
  } catch (e) {
    throw fileError(e, `cannot write ${out}`);
  }
}

function printHexSlots(bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; at += 8) {
    printLine([...bytes.subarray(at, at + 8)].map((b) => b.toString(16).padStart(2, '0')).join(' '));
  }
}

export interface DisasmOptions {
  json: boolean;
  indices: boolean;
}

export function disasmFile(file: string, options: DisasmOptions): boolean {
  return perFile(file, options.json, () => {
    const { insns } = loadProgram(file);
    if (options.json) printJson(insnRecords(insns));
    else process.stdout.write(withNewline(disassemble(insns, { indices: options.indices })));
    return true;
  });
}

const withNewline = (text: string): string => (text === '' || text.endsWith('\n') ? text : `${text}\n`);
