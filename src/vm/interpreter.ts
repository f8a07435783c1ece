import { BpfError } from '../errno.js';
import { HelperRegistry } from '../helpers/registry.js';
import { Insn } from '../isa/instruction.js';
import { AddressSpace, Region } from './memory.js';

export const DEFAULT_BUDGET = 1_000_000;
export const STACK_SIZE = 512;
export const MAX_CALL_FRAMES = 8;

export interface InterpreterOptions {
  space: AddressSpace;
  helpers?: HelperRegistry;
  /** instructions one run may execute before it is stopped (E2BIG) */
  budget?: number;
}

/** STUB: replaced by the real interpreter. */
export class Interpreter {
  /** instructions executed by the last run */
  executed = 0;
  /** the stack region of this interpreter (8 frames of 512 bytes) */
  readonly stack: Region;

  constructor(readonly insns: readonly Insn[], readonly options: InterpreterOptions) {
    this.stack = options.space.map(new Uint8Array(STACK_SIZE * MAX_CALL_FRAMES), 'stack');
  }

  /** Run with r1..r5 = args; loads and stores may touch `regions` and the stack. Returns r0. */
  run(_args: readonly bigint[], _regions: readonly Region[]): bigint {
    throw new BpfError('ENOTSUPP', 'interpreter not implemented yet');
  }
}
