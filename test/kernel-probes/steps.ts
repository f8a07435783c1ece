/**
 * Test utility: one list of bpf(2)-like steps, run on tsbpf and on the Linux
 * kernel (through bpf_steps.py and kernel-oracle.py), with answers in one
 * format so they can be compared: "ok", an errno name, hex bytes,
 * {map: NAME} for a map stored in a map of maps, [key, value] pairs for a
 * dump, a list of values for a drained queue or consumed ring buffer,
 * {retval, data?} for a test run, {load: ERRNO} for a program that did not
 * load, a number for map_flags. See bpf_steps.py for every step.
 *
 * The Runtime stands for one process that created every map: its handle on a
 * map is the fd BPF_MAP_CREATE returned (so BPF_F_RDONLY / BPF_F_WRONLY
 * apply to it), and a map or program is named by the step's name where the
 * kernel side uses an fd.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpfError } from '../../src/errno.js';
import { linuxHelpers } from '../../src/helpers/linux.js';
import type { HostInfo } from '../../src/helpers/registry.js';
import { decode } from '../../src/isa/instruction.js';
import { readU32, u32Bytes } from '../../src/maps/keys.js';
import { isMapOfMaps } from '../../src/maps/map-in-map.js';
import { ringbufOf } from '../../src/maps/ringbuf.js';
import type { Program } from '../../src/runtime/program.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { Engine } from '../../src/vm/execute.js';

export type ProgTypeName = keyof typeof PROG_TYPES;

export type Step =
  | { op: 'create'; name: string; type: number; key: number; value: number; max: number; flags?: number; extra?: number; inner?: string }
  | { op: 'update'; map: string; key: string; value: string | { map: string } | { prog: string } | { percpu: string[] }; flags?: number }
  | { op: 'lookup' | 'delete'; map: string; key: string }
  | { op: 'next'; map: string; key?: string }
  | { op: 'dump' | 'drain' | 'ringbuf' | 'freeze' | 'info'; map: string }
  | { op: 'push'; map: string; value: string; flags?: number }
  | { op: 'pop'; map: string; key?: string }
  | { op: 'peek'; map: string; value?: string }
  | { op: 'batch'; cmd: 'lookup' | 'lookup_and_delete' | 'update' | 'delete'; map: string; keys?: string[]; values?: string[]; count?: number }
  | { op: 'load'; name: string; type: ProgTypeName; insns: string; maps?: string[]; funcs?: number[] }
  | ({ op: 'run'; maps?: string[]; data?: string; ctx?: string; out?: boolean; cpu?: number } & ({ type: ProgTypeName; insns: string; funcs?: number[] } | { prog: string }));

// `funcs` (where each function starts) is for the verifiers, which want BTF
// func_info for a program with callbacks.

/** A test run's answer: its retval, and with `out` the packet as the program left it (data_out). */
export type RunAnswer = { retval: number; data?: string };

export type Answer = string | number | string[] | { map: string } | RunAnswer | { load: string } | { testrun: string } | Array<[string, string]>;

const ORACLE = join(process.cwd(), '..', 'shared', 'tools', 'kernel-oracle.py');
const STEPS_PY = join(process.cwd(), 'test', 'kernel-probes', 'bpf_steps.py');

/** Why the kernel cannot answer here (not Linux, not root, no oracle), or undefined when it can. */
export function kernelUnavailable(): string | undefined {
  if (!existsSync(ORACLE)) return `${ORACLE} not found`;
  if (!existsSync(STEPS_PY)) return `${STEPS_PY} not found (run the tests from the repository root)`;
  try {
    const out = execFileSync('python3', [ORACLE, 'check'], { stdio: 'pipe', timeout: 60_000 }).toString();
    return /5 passed, 0 failed/.test(out) ? undefined : `kernel-oracle.py check: ${out.trim().split('\n').pop()}`;
  } catch (e) {
    return `kernel-oracle.py check failed (needs Linux and root): ${(e as Error).message.split('\n')[0]}`;
  }
}

/** The kernel's answers to `steps`. */
export function kernelAnswers(steps: readonly Step[]): Answer[] {
  const out = execFileSync('python3', [STEPS_PY], { input: JSON.stringify({ steps }), stdio: 'pipe', timeout: 120_000 });
  return (JSON.parse(out.toString()) as Array<Answer & { log?: string }>).map((a) => {
    if (typeof a === 'object' && 'load' in a) return { load: a.load }; // the verifier's log is the kernel's own
    return a;
  });
}

const PROG_TYPES = { socket_filter: 1, sched_cls: 3, xdp: 6, raw_tracepoint: 17 } as const;
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The kernel's number of possible CPUs (what per-CPU values hold), or undefined off Linux. */
export function kernelCpus(): number | undefined {
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    return Math.max(...text.split(',').map((part) => Number(part.split('-').at(-1)) + 1));
  } catch {
    return undefined;
  }
}

/**
 * tsbpf's answers to `steps`, in a fresh Runtime of `cpus` CPUs with every
 * Linux helper, programs run by `engine` on CPU 0 (where bpf_steps.py runs
 * the kernel's). A test wanting both engines replays the steps once per
 * engine: runs have effects, so one Runtime cannot run each twice.
 */
export function tsbpfAnswers(steps: readonly Step[], engine: Engine = 'interp', host?: HostInfo, cpus = 1): Answer[] {
  const rt = new Runtime({ helpers: linuxHelpers(), cpus, ...(host ? { host } : {}) });
  const ids = new Map<string, number>();
  const progs = new Map<string, number>();
  /** A map whose creation failed has no fd: EBADF, as bpf_steps.py answers. */
  const id = (name: string): number => {
    const found = ids.get(name);
    if (found === undefined) throw new BpfError('EBADF', `no map named '${name}' was created`);
    return found;
  };
  const answer = (fn: () => Answer): Answer => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof BpfError) return e.errno;
      throw e;
    }
  };
  const ofMaps = (name: string): boolean => isMapOfMaps(rt.map(id(name)).spec.type);
  const nameOf = (mapId: number): string => [...ids].find(([, v]) => v === mapId)?.[0] ?? `?${mapId}`;
  const value = (map: string, v: Extract<Step, { op: 'update' }>['value']): Uint8Array => {
    if (typeof v === 'string') return hex(v);
    if ('percpu' in v) return percpuValue(v.percpu, rt.map(id(map)).spec.valueSize, cpus);
    return u32Bytes('map' in v ? id(v.map) : progs.get(v.prog) ?? 1_000_000);
  };
  const load = (s: { type: ProgTypeName; insns: string; maps?: string[]; funcs?: number[] }) =>
    rt.loadProgram({ type: PROG_TYPES[s.type], insns: decode(hex(s.insns)), license: 'GPL', maps: (s.maps ?? []).map(id), engine, funcInfo: s.funcs?.map((insn) => ({ insn })) });
  return steps.map((s) =>
    answer((): Answer => {
      switch (s.op) {
        case 'create': {
          const inner = s.inner === undefined || s.inner === 'none' ? undefined : s.inner === 'bad-fd' ? 1_000_000 : id(s.inner);
          ids.set(s.name, rt.createMap({ name: s.name, type: s.type, keySize: s.key, valueSize: s.value, maxEntries: s.max, flags: s.flags ?? 0, extra: s.extra ?? 0, innerMapId: inner }));
          return 'ok';
        }
        case 'update':
          rt.updateElem(id(s.map), hex(s.key), value(s.map, s.value), s.flags ?? 0);
          return 'ok';
        case 'lookup': {
          const v = rt.lookupElem(id(s.map), hex(s.key));
          return ofMaps(s.map) ? { map: nameOf(readU32(v)) } : toHex(v);
        }
        case 'delete':
          rt.deleteElem(id(s.map), hex(s.key));
          return 'ok';
        case 'next':
          return toHex(rt.nextKey(id(s.map), s.key === undefined ? undefined : hex(s.key)));
        case 'dump':
          return rt.entries(id(s.map)).map(([k, v]): [string, string] => [toHex(k), toHex(v)]);
        case 'push':
          rt.updateElem(id(s.map), new Uint8Array(0), hex(s.value), s.flags ?? 0);
          return 'ok';
        case 'pop':
          return toHex(rt.lookupAndDeleteElem(id(s.map), hex(s.key ?? '')));
        case 'peek': {
          const v = rt.lookupElem(id(s.map), new Uint8Array(0), s.value === undefined ? undefined : hex(s.value));
          return s.value === undefined ? toHex(v) : 'ok';
        }
        case 'drain':
          return drain(rt, id(s.map));
        case 'ringbuf':
          return ringbufOf(rt.map(id(s.map))).consume().map(toHex);
        case 'freeze':
          rt.freezeMap(id(s.map));
          return 'ok';
        case 'info':
          return rt.mapInfo(id(s.map)).flags;
        case 'batch':
          return batch(rt, id(s.map), s);
        case 'load':
          try {
            progs.set(s.name, load(s).id);
          } catch (e) {
            if (e instanceof BpfError) return { load: e.errno };
            throw e;
          }
          return 'ok';
        case 'run':
          return testRun(rt, s, 'prog' in s ? () => rt.program(progs.get(s.prog)!) : () => load(s));
      }
    }),
  );
}

/** A per-CPU value as bpf(2) takes it: CPU i's bytes padded to round_up(valueSize, 8), CPUs past `values` zero. */
function percpuValue(values: readonly string[], valueSize: number, cpus: number): Uint8Array {
  const slot = Math.ceil(valueSize / 8) * 8;
  const out = new Uint8Array(slot * cpus);
  values.slice(0, cpus).forEach((v, i) => out.set(hex(v).subarray(0, slot), i * slot));
  return out;
}

/** Pop until ENOENT, as bpf_steps.py's drain. */
function drain(rt: Runtime, mapId: number): string[] {
  const out: string[] = [];
  for (;;) {
    try {
      out.push(toHex(rt.lookupAndDeleteElem(mapId, new Uint8Array(0))));
    } catch (e) {
      if (e instanceof BpfError && e.errno === 'ENOENT') return out;
      throw e;
    }
  }
}

/** A batch command from the start of the map (bpf_steps.py's batch). */
function batch(rt: Runtime, mapId: number, s: Extract<Step, { op: 'batch' }>): Answer {
  const keys = (s.keys ?? []).map(hex);
  const pairs = (r: { keys: Uint8Array[]; values: Uint8Array[] }) => r.keys.map((k, i): [string, string] => [toHex(k), toHex(r.values[i]!)]);
  switch (s.cmd) {
    case 'lookup':
      return pairs(rt.lookupBatch(mapId, undefined, s.count ?? keys.length));
    case 'lookup_and_delete':
      return pairs(rt.lookupAndDeleteBatch(mapId, undefined, s.count ?? keys.length));
    case 'update':
      rt.updateBatch(mapId, keys, (s.values ?? []).map(hex));
      return 'ok';
    case 'delete':
      rt.deleteBatch(mapId, keys);
      return 'ok';
  }
}

/** A test run of the program `get` loads (or finds); a program made for this run is unloaded after it. */
function testRun(rt: Runtime, s: Extract<Step, { op: 'run' }>, get: () => Program): Answer {
  let prog: Program;
  try {
    prog = get();
  } catch (e) {
    if (e instanceof BpfError) return { load: e.errno };
    throw e;
  }
  try {
    const input = { ...(s.data ? { data: hex(s.data) } : {}), ...(s.ctx ? { ctx: hex(s.ctx) } : {}), cpu: s.cpu ?? 0 };
    const r = prog.testRun(input);
    return s.out ? { retval: r.retval, data: toHex(r.dataOut ?? new Uint8Array(0)) } : { retval: r.retval };
  } catch (e) {
    if (e instanceof BpfError) return { testrun: e.errno };
    throw e;
  } finally {
    if (!('prog' in s)) rt.unloadProgram(prog.id);
  }
}
