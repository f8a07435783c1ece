import { BpfError } from '../errno.js';
import {
  SeccompAction,
  SeccompData,
  combineSeccomp,
  encodeSeccompData,
  seccomp as seccompType,
  seccompAction,
} from '../progtypes/seccomp.js';
import { TestRunHost, engineRunner } from '../progtypes/progtype.js';
import { Engine, createEngine } from '../vm/execute.js';
import { AddressSpace } from '../vm/memory.js';
import { prepareSeccomp } from './check.js';
import { SockFilter } from './instruction.js';
import { execClassic } from './interpreter.js';
import { AARCH64_SYSCALLS_TEXT, X86_64_SYSCALLS_TEXT, syscallTable } from './syscalls.js';
import { translate } from './translate.js';

/**
 * Evaluating seccomp policies without installing them: each filter is
 * checked and rewritten as seccomp(2) does (check.ts), run on the system
 * call's `struct seccomp_data`, and the results of stacked filters are
 * combined with Linux's precedence (progtypes/seccomp.ts).
 */

/** The architectures whose system call numbers tsbpf knows, with their AUDIT_ARCH_* values (linux/audit.h). */
export const SECCOMP_ARCHES = {
  x86_64: { audit: 0xc000003e, table: X86_64_SYSCALLS_TEXT },
  aarch64: { audit: 0xc00000b7, table: AARCH64_SYSCALLS_TEXT },
} as const;

export type SeccompArch = keyof typeof SECCOMP_ARCHES;

const tables = new Map<SeccompArch, ReadonlyMap<string, number>>();

function table(arch: SeccompArch): ReadonlyMap<string, number> {
  let t = tables.get(arch);
  if (!t) tables.set(arch, (t = syscallTable(SECCOMP_ARCHES[arch].table)));
  return t;
}

export function isSeccompArch(name: string): name is SeccompArch {
  return Object.hasOwn(SECCOMP_ARCHES, name);
}

/** The number of a system call given by name (or as a number), for `arch`; ENOENT for an unknown name. */
export function syscallNumber(arch: SeccompArch, name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const nr = table(arch).get(name.replace(/^(sys_|__NR_)/, ''));
  if (nr === undefined) throw new BpfError('ENOENT', `unknown system call '${name}' on ${arch}`);
  return nr;
}

/** The name of system call `nr` on `arch`, or undefined. */
export function syscallName(arch: SeccompArch, nr: number): string | undefined {
  for (const [name, n] of table(arch)) if (n === nr) return name;
  return undefined;
}

/** How filters run: the classic interpreter, or translated to eBPF on one of tsbpf's engines. */
export type SeccompEngine = 'classic' | Engine;

/** A filter as seccomp keeps it after checking, and its eBPF translation. */
export interface SeccompFilter {
  /** the checked, rewritten classic program */
  prog: SockFilter[];
  insns: ReturnType<typeof translate>;
}

/** Check a filter as seccomp(SECCOMP_SET_MODE_FILTER) does (EINVAL naming the instruction) and translate it. */
export function loadSeccompFilter(prog: readonly SockFilter[]): SeccompFilter {
  const checked = prepareSeccomp(prog);
  return { prog: checked, insns: translate(prog, { kind: 'seccomp' }) };
}

export interface SeccompVerdict extends SeccompAction {
  /** the index of the filter whose return decided (-1: none did, every filter allowed) */
  filter: number;
  /** each filter's own return value, in installation order */
  rets: number[];
}

/**
 * Run stacked filters (installation order, oldest first) on one system
 * call and combine their returns as Linux does.
 */
export function evaluateSeccomp(filters: readonly SeccompFilter[], data: SeccompData, engine: SeccompEngine = 'interp'): SeccompVerdict {
  const bytes = encodeSeccompData(data);
  const rets = filters.map((f) => runSeccompFilter(f, bytes, engine));
  const { ret, filter } = combineSeccomp(rets);
  return { ...seccompAction(ret), filter, rets };
}

/** One filter's return value for a `struct seccomp_data`. */
export function runSeccompFilter(f: SeccompFilter, data: Uint8Array, engine: SeccompEngine = 'interp'): number {
  if (engine === 'classic') return execClassic(f.prog, seccompSource(data));
  return seccompType.testRun!(engineHost(f, engine), { ctx: data }).retval;
}

/** A seccomp filter's loads: host-order (little-endian) words of struct seccomp_data. */
function seccompSource(data: Uint8Array) {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    load: () => undefined,
    len: data.length,
    ancillary: () => 0,
    word: (k: number) => dv.getUint32(k, true),
  };
}

/** The smallest test-run host: a fresh address space and one engine for the translated filter. */
function engineHost(f: SeccompFilter, engine: Engine): TestRunHost {
  const space = new AddressSpace({ maxBytes: 1 << 20 });
  const vm = createEngine(engine, f.insns, { space });
  return {
    space,
    buffer: (_slot, size) => space.alloc(size),
    runner: (setup) => engineRunner(vm, setup.ctx, setup.regions),
    now: () => 0n,
  };
}
