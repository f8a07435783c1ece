import { BpfError } from '../errno.js';

/**
 * What a helper can see of the run that called it: checked access to the
 * memory the program may touch.
 */
export interface HelperEnv {
  /** Copy `len` bytes at `addr`; EFAULT if the range is not mapped for this run. */
  read(addr: bigint, len: number): Uint8Array;
  /** Write `data` at `addr`; EFAULT if the range is not mapped writable for this run. */
  write(addr: bigint, data: Uint8Array): void;
}

/** One helper implementation, called by every engine with r1..r5 as unsigned 64-bit values; returns r0. */
export type HelperFn = (env: HelperEnv, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

export interface HelperDef {
  id: number;
  name: string;
  fn: HelperFn;
}

/**
 * Thrown by a helper that ends the program at once (uBPF's "unwind" helper;
 * later bpf_tail_call failure paths do not need it). The interpreter catches it
 * and returns `r0`.
 */
export class HelperExit {
  constructor(readonly r0: bigint) {}
}

/** Helpers by ID (DESIGN decision 4: a helper is one entry, not a case in a switch). */
export class HelperRegistry {
  private readonly byId = new Map<number, HelperDef>();

  constructor(defs: readonly HelperDef[] = []) {
    for (const d of defs) this.register(d);
  }

  register(def: HelperDef): void {
    if (this.byId.has(def.id)) throw new BpfError('EEXIST', `helper ${def.id} is already registered as ${this.byId.get(def.id)!.name}`);
    this.byId.set(def.id, def);
  }

  get(id: number): HelperDef | undefined {
    return this.byId.get(id);
  }

  ids(): number[] {
    return [...this.byId.keys()].sort((a, b) => a - b);
  }
}
