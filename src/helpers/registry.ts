import { BpfError } from '../errno.js';
import type { BpfMap } from '../maps/map.js';

/**
 * What a helper can see of the run that called it: checked access to the
 * memory the program may touch, and (when the program runs in a Runtime) the
 * Runtime's objects and the host.
 */
export interface HelperEnv {
  /** Copy `len` bytes at `addr`; EFAULT if the range is not mapped for this run. */
  read(addr: bigint, len: number): Uint8Array;
  /** Write `data` at `addr`; EFAULT if the range is not mapped writable for this run. */
  write(addr: bigint, data: Uint8Array): void;
  /** The address of `len` bytes at `addr` as a number, after the same check as read/write, without copying. */
  check(addr: bigint, len: number, write: boolean): number;
  /** check() of an address below 2^32 given as a number (numeric helpers: no BigInt made) */
  checkAt(addr: number, len: number, write: boolean): number;
  /**
   * The whole address space, to look at bytes before deciding how many to
   * check (a string's NUL); valid until the next allocation. A helper reads
   * or writes through it only at addresses `check` accepted.
   */
  memory?(): Uint8Array;
  /**
   * Call the program's function `fn` (a function pointer, as `lddw rX, func`
   * loads it) with r1–r5 = a1–a5 and return its r0: a new frame on the run's
   * stack of frames, on the run's instruction budget (src/vm/callback.ts).
   * A fault, the budget running out or a stack too deep throws; a helper
   * lets it pass, so it ends the run. Only helpers whose prototype has a
   * PTR_TO_FUNC argument may call it: the JIT hands the run's state over at
   * calls of those only. Both engines provide it.
   */
  callback?(fn: bigint, a1: bigint, a2: bigint, a3: bigint, a4: bigint, a5: bigint): bigint;
  /** whether a callback is running (the helper was called from one, or from a function it called) */
  readonly inCallback?: boolean;
  /** the Runtime side of the run; absent for a bare run (execute()) */
  kernel?: KernelEnv;
}

/**
 * The "kernel" a helper talks to: implemented by the Runtime. Kept as an
 * interface so helpers stay in the core (no Node imports) and can be tested
 * with a small stand-in.
 */
export interface KernelEnv {
  /** the map a map pointer (from `lddw rX, map`) designates, or undefined */
  map(ptr: bigint): BpfMap | undefined;
  /** the same, for a pointer as a number (HelperDef.numeric) */
  mapAt?(ptr: number): BpfMap | undefined;
  /** the CPU the program runs on, 0 ≤ cpu < cpus */
  readonly cpu: number;
  readonly host: HostInfo;
  /** append a line to the trace pipe (bpf_trace_printk) */
  trace(line: string): void;
  /**
   * bpf_tail_call: continue in program `progId` (throws TailCall, so it does
   * not return) unless the run has already chained 33 tail calls, in which
   * case it returns and the caller falls through, as in Linux.
   */
  tailCall?(progId: number): void;
  /** the packet of a networking program's run (socket filter, tc, XDP); absent otherwise */
  packet?: PacketEnv;
}

/**
 * The packet a networking program runs on, for the packet helpers
 * (skb_load_bytes, xdp_adjust_head …); supplied by the program type for the
 * run (progtypes/). Addresses are in the run's address space. The helpers
 * read and write packet bytes through `bytes()`, not through the regions the
 * program may touch: a socket filter may not load from its packet directly,
 * yet skb_load_bytes reads it.
 */
export interface PacketEnv {
  /** the context: 'skb' is a `struct __sk_buff`, 'xdp' a `struct xdp_md` */
  readonly kind: 'skb' | 'xdp';
  /** the context's address (r1 at entry): what a helper's ARG_PTR_TO_CTX must be */
  readonly ctx: number;
  /** the packet is [data, dataEnd); XDP metadata is [dataMeta, data) (dataMeta = data without any) */
  readonly data: number;
  readonly dataEnd: number;
  readonly dataMeta: number;
  /** the buffer the packet may move or grow in: [hardStart, hardEnd) */
  readonly hardStart: number;
  readonly hardEnd: number;
  /** set new bounds; the context's data / data_end / data_meta and the program's packet region follow */
  move(data: number, dataEnd: number, dataMeta: number): void;
  /** the whole memory (take a new view after anything that may grow it) */
  bytes(): Uint8Array;
  /** forget the skb's flow hash (skb->hash = 0), for BPF_F_INVALIDATE_HASH */
  clearHash?(): void;
}

/** What the host process tells helpers about itself. */
export interface HostInfo {
  /** monotonic clock, ns (CLOCK_MONOTONIC) */
  monotonicNs(): bigint;
  /** boot-time clock, ns (CLOCK_BOOTTIME) */
  boottimeNs(): bigint;
  pid: number;
  tgid: number;
  uid: number;
  gid: number;
  /** the task name, at most 15 bytes */
  comm: string;
  /** a uniformly random u32 */
  randomU32(): number;
  /**
   * The current call chain for bpf_get_stackid / bpf_get_stack: instruction
   * addresses, innermost first, at most `maxDepth` of them. 'kernel' is the
   * runtime's side of the call (the host code that runs the program), 'user'
   * the application's (what a probe interrupted). Absent: no stacks, and
   * those helpers fail with -EFAULT.
   */
  stack?(kind: 'kernel' | 'user', maxDepth: number): readonly bigint[];
}

/** Argument kinds of a helper prototype, as `enum bpf_arg_type` names them. */
export type ArgKind =
  | 'ANYTHING'
  | 'CONST_MAP_PTR'
  | 'PTR_TO_MAP_KEY'
  | 'PTR_TO_MAP_VALUE'
  | 'PTR_TO_MEM'
  | 'PTR_TO_UNINIT_MEM'
  | 'CONST_SIZE'
  | 'CONST_SIZE_OR_ZERO'
  | 'PTR_TO_CTX'
  | 'PTR_TO_FUNC'
  | 'PTR_TO_STACK_OR_NULL'
  | 'PTR_TO_CONST_STR'
  | 'CONST_ALLOC_SIZE_OR_ZERO'
  | 'PTR_TO_ALLOC_MEM'
  | 'PTR_TO_LONG';

/** Return kinds, as `enum bpf_return_type` names them. */
export type RetKind = 'INTEGER' | 'VOID' | 'PTR_TO_MAP_VALUE_OR_NULL' | 'PTR_TO_ALLOC_MEM_OR_NULL' | 'PTR_TO_MEM_OR_BTF_ID';

/** The prototype the verifier checks a call against (`struct bpf_func_proto`). */
export interface HelperProto {
  ret: RetKind;
  args: ArgKind[];
}

/** One helper implementation, called by every engine with r1..r5 as unsigned 64-bit values; returns r0. */
export type HelperFn = (env: HelperEnv, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

export interface HelperDef {
  id: number;
  /** the Linux name without the `bpf_` prefix, e.g. `map_lookup_elem` */
  name: string;
  fn: HelperFn;
  proto?: HelperProto;
  /**
   * The same helper for a verified program, with numbers instead of BigInts:
   * the trusted JIT calls it (r1…r<arity> as their low 32 bits, signed, or
   * -1 for a value of 2^32 or more; r0 = the s32 it returns, sign-extended)
   * in place of `fn`. Only for helpers whose arguments are addresses (those
   * the verifier has proven, and unsafe ones whose every value of 2^32 or
   * more faults alike, as 0xffffffff does), maps or u32 values, and whose
   * result fits an s32; it need not check the memory the verifier proved,
   * as Linux does not for a verified program.
   */
  numeric?: NumericHelper;
}

/** A helper's numeric form (HelperDef.numeric): `fn` takes `arity` arguments. */
export interface NumericHelper {
  arity: number;
  fn: (env: HelperEnv, a1: number, a2: number, a3: number, a4: number, a5: number) => number;
}

/**
 * Thrown by a helper that ends the program at once (uBPF's "unwind" helper;
 * later bpf_tail_call failure paths do not need it). The interpreter catches it
 * and returns `r0`.
 */
export class HelperExit {
  constructor(readonly r0: bigint) {}
}

/** Thrown by KernelEnv.tailCall: the Runtime catches it and runs program `progId` in place of the current one. */
export class TailCall {
  constructor(readonly progId: number) {}
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
