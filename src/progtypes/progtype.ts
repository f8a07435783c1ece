import { BpfError } from '../errno.js';
import type { PacketEnv } from '../helpers/registry.js';
import type { RunExtras } from '../vm/interpreter.js';
import type { AddressSpace, Region } from '../vm/memory.js';

/**
 * Program types as data (DESIGN decision 4): one module per `enum
 * bpf_prog_type`, each a plain ProgramType object — its context layout, which
 * context fields are readable or writable and with which access sizes, which
 * helpers it may call, the return values it is expected to produce, and how
 * a test run (BPF_PROG_TEST_RUN) feeds it.
 *
 * The context lives in the address space in its exact UAPI layout. Linux lets
 * a program load `struct __sk_buff` fields at their UAPI offsets and rewrites
 * each load into a load from the kernel's real `struct sk_buff`
 * (convert_ctx_access). tsbpf has no verifier yet to rewrite anything, so it
 * lays the UAPI struct itself out in memory, filled with the values Linux's
 * rewritten loads would produce. Addresses in tsbpf are below 4 GiB, so the
 * u32 `data` / `data_end` / `data_meta` fields hold the real packet
 * addresses: `r2 = *(u32 *)(r1 + 76)` yields a pointer the program can load
 * through, just as Linux's rewritten load does.
 *
 * The field tables below are what the verifier will enforce; until it lands,
 * a run enforces only the context region as a whole (writable for the types
 * that have writable fields, read-only otherwise).
 */

/** Access sizes in bytes (BPF_B, BPF_H, BPF_W, BPF_DW). */
export type AccessSize = 1 | 2 | 4 | 8;

/** What a load of a context field gives the verifier: a number, or a pointer it tracks. */
export type FieldYield = 'scalar' | 'packet' | 'packet_end' | 'packet_meta' | 'sock_common_or_null';

/** One field of a context struct, at its UAPI offset. */
export interface CtxField {
  name: string;
  offset: number;
  size: number;
  /** sizes a load may use, each at an offset that is a multiple of the size; empty: not readable */
  read: readonly AccessSize[];
  /** sizes a store may use; empty: not writable */
  write: readonly AccessSize[];
  /** a pointer field's register type (default 'scalar') */
  yields?: FieldYield;
}

/** The return values a program of the type is expected to produce. */
export interface RetvalSpec {
  /** the meaningful values [min, max] of r0 read as a signed 32-bit int; absent: any value */
  range?: readonly [number, number];
  /**
   * whether Linux's verifier rejects a program that may return outside the
   * range; for the types here it does not (an XDP program returning 7 loads,
   * and the driver treats 7 as XDP_ABORTED), so a verifier may only warn
   */
  enforced: boolean;
  /** names of the values, e.g. 1: 'XDP_DROP' */
  names?: Readonly<Record<number, string>>;
}

/** What BPF_PROG_TEST_RUN is given (`union bpf_attr.test`). */
export interface TestRunInput {
  /** data_in: the packet (networking types) */
  data?: Uint8Array;
  /** ctx_in: the context, in its UAPI layout; giving it (even empty) also asks for ctx_out */
  ctx?: Uint8Array;
  /** runs; 0 or absent is 1, as in Linux; the state a run leaves is the next run's input */
  repeat?: number;
  /** the Runtime's CPU the program runs on (default 0) */
  cpu?: number;
}

/** What BPF_PROG_TEST_RUN returns. */
export interface TestRunResult {
  /** r0 of the last run, as the u32 `test.retval` */
  retval: number;
  /** the whole r0 register of the last run */
  r0: bigint;
  /** data_out: the packet as the last run left it (networking types) */
  dataOut?: Uint8Array;
  /** ctx_out, for types that copy the context back and only when ctx was given */
  ctxOut?: Uint8Array;
  /** average wall time of one run, ns (`test.duration`, at most 2^32-1) */
  durationNs: number;
}

/** The packet of a run: the region the program may touch and what packet helpers see. */
export interface RunPacket {
  /** the region of packet bytes the program may touch; a helper may move its bounds */
  region: Region;
  /** what the packet helpers see (KernelEnv.packet) */
  env: PacketEnv;
  /** whether legacy LD_ABS / LD_IND read this packet (skb types) */
  ldAbs: boolean;
}

/** One prepared run: r1 = ctx, the regions loads and stores may touch, the packet. */
export interface RunSetup {
  ctx: number;
  regions: Region[];
  packet?: RunPacket;
}

/**
 * One run of a program with a test run's setup: returns r0's low 32 bits
 * (the u32 `test.retval`, a number, so that repeated runs allocate nothing);
 * `r0()` is the whole r0 of the last run.
 */
export interface Runner {
  (): number;
  r0(): bigint;
}

/** What runs a program with r1 = a context: the engines of vm/ (runCtx, lastR0). */
export interface CtxEngine {
  runCtx(r1: number, regions: readonly Region[], extras?: RunExtras): number;
  lastR0(): bigint;
}

/** The runner of an engine on a context (no tail calls: the Program's runner follows those). */
export function engineRunner(vm: CtxEngine, ctx: number, regions: readonly Region[], extras?: RunExtras): Runner {
  return Object.assign(() => vm.runCtx(ctx, regions, extras), { r0: () => vm.lastR0() });
}

/**
 * What a test run needs from the Program running it (implemented in
 * runtime/program.ts, so program types stay in the core).
 */
export interface TestRunHost {
  readonly space: AddressSpace;
  /** `size` zeroed bytes for `slot` ('ctx', 'packet' …), reused from one test run to the next */
  buffer(slot: string, size: number): number;
  /** a function that runs the program once with this setup */
  runner(setup: RunSetup): Runner;
  /** the host's monotonic clock, ns */
  now(): bigint;
}

export interface ProgramType {
  /** `enum bpf_prog_type` of linux/bpf.h */
  type: number;
  /** the name libbpf and bpftool use: 'xdp', 'sched_cls' … */
  name: string;
  /** the C type of the context, e.g. 'struct xdp_md' */
  ctxType: string;
  /** bytes of the context struct (for a tracepoint: the largest record) */
  ctxSize: number;
  fields: readonly CtxField[];
  /** ids of the helpers a program of this type may call */
  helpers: ReadonlySet<number>;
  retval: RetvalSpec;
  /** BPF_PROG_TEST_RUN; absent when the type has no test run */
  testRun?: (host: TestRunHost, input: TestRunInput) => TestRunResult;
}

/** Any value: socket filters (bytes to keep), tracing programs. */
export const ANY_RETVAL: RetvalSpec = { enforced: false };

/**
 * The field an access of `size` bytes at `off` may use, or why it may not —
 * the check Linux's `*_is_valid_access` functions make, as data: the access
 * must lie inside one field, use a size the field allows for that direction,
 * and be aligned to its size.
 */
export function ctxAccess(pt: ProgramType, off: number, size: number, write: boolean): CtxField | string {
  const f = pt.fields.find((x) => off >= x.offset && off < x.offset + x.size);
  const what = `${write ? 'write' : 'read'} of ${size} byte${size === 1 ? '' : 's'} at ${pt.ctxType} offset ${off}`;
  if (!f) return `invalid ${what}: no field there`;
  const sizes = write ? f.write : f.read;
  if (sizes.length === 0) return `invalid ${what}: ${f.name} is not ${write ? 'writable' : 'readable'} by ${pt.name} programs`;
  if (!sizes.includes(size as AccessSize)) return `invalid ${what}: ${f.name} takes ${sizes.join('/')}-byte accesses`;
  if (off % size !== 0) return `invalid ${what}: misaligned`;
  if (off + size > f.offset + f.size) return `invalid ${what}: runs past ${f.name}`;
  return f;
}

/** A field table entry (shorthand for the tables of the type modules). */
export function f(name: string, offset: number, size: number, read: readonly AccessSize[], write: readonly AccessSize[] = [], yields?: FieldYield): CtxField {
  return yields ? { name, offset, size, read, write, yields } : { name, offset, size, read, write };
}

/** Narrow reads of a u32 field: any aligned 1, 2 or 4 bytes (bpf_ctx_narrow_access_ok). */
export const NARROW32: readonly AccessSize[] = [1, 2, 4];
/** Narrow reads of a u64 field. */
export const NARROW64: readonly AccessSize[] = [1, 2, 4, 8];

/** The number of runs a test run makes: Linux runs 0 times as 1. */
export function runCount(name: string, repeat: number | undefined): number {
  const n = repeat ?? 0;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new BpfError('EINVAL', `${name} test run: repeat must be a whole number from 0 to 2^32-1, not ${repeat}`);
  }
  return Math.max(n, 1);
}

/**
 * Run `once` `repeat` times and time the runs with the host's clock, as
 * bpf_test_run does: the duration is the total divided by the runs
 * (rounded down), capped at U32_MAX.
 */
export function timedRuns(host: TestRunHost, repeat: number, once: Runner): { retval: number; r0: bigint; durationNs: number } {
  let retval = 0;
  const start = host.now();
  for (let i = 0; i < repeat; i++) retval = once();
  const avg = (host.now() - start) / BigInt(repeat);
  return { retval, r0: once.r0(), durationNs: Number(avg > 0xffffffffn ? 0xffffffffn : avg < 0n ? 0n : avg) };
}

/** The context bytes given, zero-extended to `size`; E2BIG when a longer one has non-zero bytes past it (bpf_check_uarg_tail_zero). */
export function ctxIn(name: string, ctx: Uint8Array, size: number): Uint8Array {
  if (ctx.length > size && ctx.subarray(size).some((b) => b !== 0)) {
    throw new BpfError('E2BIG', `${name} test run: ctx_in has ${ctx.length} bytes; bytes past the ${size} of the context must be zero`);
  }
  const out = new Uint8Array(size);
  out.set(ctx.subarray(0, size));
  return out;
}

/** Refuse an input a type's test run does not take. */
export function refuse(name: string, input: TestRunInput, keys: ReadonlyArray<'data' | 'ctx' | 'repeat'>, why: string): void {
  for (const k of keys) {
    const v = input[k];
    if (v !== undefined && !(k === 'repeat' && v === 0)) throw new BpfError('EINVAL', `${name} test run: ${k} is not accepted (${why})`);
  }
}

/** A little-endian view of `size` bytes at `addr`. */
export function view(space: AddressSpace, addr: number, size: number): DataView {
  return new DataView(space.memory.buffer, addr, size);
}
