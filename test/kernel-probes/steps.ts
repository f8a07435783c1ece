/**
 * Test utility: one list of bpf(2)-like steps, run on tsbpf and on the Linux
 * kernel (through bpf_steps.py and kernel-oracle.py), with answers in one
 * format so they can be compared: "ok", an errno name, hex bytes,
 * {map: NAME} for a map stored in a map of maps, [key, value] pairs for a
 * dump, {retval} for a test run,
 * {load: ERRNO} for a program that did not load. See bpf_steps.py.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BpfError } from '../../src/errno.js';
import { linuxHelpers } from '../../src/helpers/linux.js';
import type { HostInfo } from '../../src/helpers/registry.js';
import { decode } from '../../src/isa/instruction.js';
import { readU32, u32Bytes } from '../../src/maps/keys.js';
import { isMapOfMaps } from '../../src/maps/map-in-map.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { Engine } from '../../src/vm/execute.js';

export type Step =
  | { op: 'create'; name: string; type: number; key: number; value: number; max: number; flags?: number; inner?: string }
  | { op: 'update'; map: string; key: string; value: string | { map: string }; flags?: number }
  | { op: 'lookup' | 'delete'; map: string; key: string }
  | { op: 'next'; map: string; key?: string }
  | { op: 'dump'; map: string }
  | { op: 'run'; type: 'socket_filter' | 'raw_tracepoint'; insns: string; maps?: string[]; data?: string; ctx?: string };

export type Answer = string | { map: string } | { retval: number } | { load: string } | { testrun: string } | Array<[string, string]>;

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

const PROG_TYPES = { socket_filter: 1, raw_tracepoint: 17 } as const;
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * tsbpf's answers to `steps`, in a fresh Runtime with every Linux helper,
 * programs run by `engine`. A test wanting both engines replays the steps
 * once per engine: runs have effects, so one Runtime cannot run each twice.
 */
export function tsbpfAnswers(steps: readonly Step[], engine: Engine = 'interp', host?: HostInfo): Answer[] {
  const rt = new Runtime({ helpers: linuxHelpers(), ...(host ? { host } : {}) });
  const ids = new Map<string, number>();
  const id = (name: string): number => ids.get(name) ?? 999_999;
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
  return steps.map((s) =>
    answer((): Answer => {
      switch (s.op) {
        case 'create': {
          const inner = s.inner === undefined || s.inner === 'none' ? undefined : s.inner === 'bad-fd' ? 1_000_000 : id(s.inner);
          ids.set(s.name, rt.createMap({ name: s.name, type: s.type, keySize: s.key, valueSize: s.value, maxEntries: s.max, flags: s.flags ?? 0, innerMapId: inner }));
          return 'ok';
        }
        case 'update': {
          const value = typeof s.value === 'string' ? hex(s.value) : u32Bytes(id(s.value.map));
          rt.updateElem(id(s.map), hex(s.key), value, s.flags ?? 0);
          return 'ok';
        }
        case 'lookup': {
          const v = rt.map(id(s.map)).lookup(hex(s.key));
          return ofMaps(s.map) ? { map: nameOf(readU32(v)) } : toHex(v);
        }
        case 'delete':
          rt.deleteElem(id(s.map), hex(s.key));
          return 'ok';
        case 'next':
          return toHex(rt.map(id(s.map)).nextKey(s.key === undefined ? undefined : hex(s.key)));
        case 'dump':
          return rt.entries(id(s.map)).map(([k, v]): [string, string] => [toHex(k), toHex(v)]);
        case 'run':
          return testRun(rt, s, engine, id);
      }
    }),
  );
}

function testRun(rt: Runtime, s: Extract<Step, { op: 'run' }>, engine: Engine, id: (name: string) => number): Answer {
  let prog;
  try {
    prog = rt.loadProgram({ type: PROG_TYPES[s.type], insns: decode(hex(s.insns)), license: 'GPL', maps: (s.maps ?? []).map(id), engine });
  } catch (e) {
    if (e instanceof BpfError) return { load: e.errno };
    throw e;
  }
  try {
    const input = { ...(s.data ? { data: hex(s.data) } : {}), ...(s.ctx ? { ctx: hex(s.ctx) } : {}) };
    return { retval: prog.testRun(input).retval };
  } catch (e) {
    if (e instanceof BpfError) return { testrun: e.errno };
    throw e;
  } finally {
    rt.unloadProgram(prog.id);
  }
}
