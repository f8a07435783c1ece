/**
 * The verifier test suite of issue 5: small programs, each with the verdict
 * and (for rejections) the error line the Linux kernel gave for it.
 *
 * Assembler cases: test/verifier-suite/cases/GROUP/NAME.s, in the assembler's
 * llvm-objdump / verifier-log syntax (src/isa/asm.ts), after a header of `;`
 * comments (see README.md):
 *
 *   ; rule: alu64.and            the rule it checks (each rule has accept and reject cases)
 *   ; type: socket_filter        program type, Linux's name (BPF_PROG_TYPE_*, lower case)
 *   ; maps: hash:4:8:1           one map per entry, TYPE:KEY:VALUE:MAX[:FLAGS]; `map[idx:N]` is the N-th
 *   ; priv: unprivileged         optional; default privileged
 *   ; expect: reject             accept | reject, as the kernel said
 *   ; reason: R0 unbounded ...   the kernel's error line (the oracle's `error_line`), rejections only
 *   ; errno: EACCES              the kernel's errno, rejections only
 *   ; twin: alu64/and-ok.s       the case of the other verdict for the same rule (path under cases/)
 *
 * C cases: test/verifier-suite/c/NAME.c, one program each, with the same
 * header in `//` comments plus `// prog: FUNCTION`; compiled with the corpus
 * flags of test/objects/build.ts into a temporary cache.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assemble } from '../../src/isa/asm.js';
import { Insn } from '../../src/isa/instruction.js';
import { CLANG_AVAILABLE, CLANG_VERSION, compileFile } from '../objects/build.js';

/** test/verifier-suite in the source tree (this file runs from dist/test/verifier-suite). */
export const SUITE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/verifier-suite');
export const CASES_DIR = path.join(SUITE_DIR, 'cases');
export const C_DIR = path.join(SUITE_DIR, 'c');

/** Map type names in UAPI order (enum bpf_map_type), as the kernel oracle's --map takes them. */
export const MAP_TYPE_NAMES = [
  'unspec', 'hash', 'array', 'prog_array', 'perf_event_array', 'percpu_hash', 'percpu_array', 'stack_trace',
  'cgroup_array', 'lru_hash', 'lru_percpu_hash', 'lpm_trie', 'array_of_maps', 'hash_of_maps', 'devmap', 'sockmap',
  'cpumap', 'xskmap', 'sockhash', 'cgroup_storage', 'reuseport_sockarray', 'percpu_cgroup_storage', 'queue', 'stack',
  'sk_storage', 'devmap_hash', 'struct_ops', 'ringbuf', 'inode_storage', 'task_storage', 'bloom_filter',
  'user_ringbuf', 'cgrp_storage', 'arena',
] as const;

/** Program type names in UAPI order (enum bpf_prog_type). */
export const PROG_TYPE_NAMES = [
  'unspec', 'socket_filter', 'kprobe', 'sched_cls', 'sched_act', 'tracepoint', 'xdp', 'perf_event', 'cgroup_skb',
  'cgroup_sock', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sock_ops', 'sk_skb', 'cgroup_device', 'sk_msg', 'raw_tracepoint',
  'cgroup_sock_addr', 'lwt_seg6local', 'lirc_mode2', 'sk_reuseport', 'flow_dissector', 'cgroup_sysctl',
  'raw_tracepoint_writable', 'cgroup_sockopt', 'tracing', 'struct_ops', 'ext', 'lsm', 'sk_lookup', 'syscall',
  'netfilter',
] as const;

/** A map the case needs, shaped like MapSpec (src/maps/map.ts) plus the type's name. */
export interface SuiteMap {
  type: number;
  typeName: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

export interface SuiteCase {
  /** path under cases/ (or c/NAME.c) without extension, e.g. "alu64/and-ok" */
  name: string;
  /** absolute path of the case file */
  file: string;
  /** 'asm' for cases/…/*.s, 'c' for c/*.c */
  source: 'asm' | 'c';
  rule: string;
  /** program type name (socket_filter, xdp, …); for C cases, from the section name */
  type: string;
  /** program type number (BPF_PROG_TYPE_*) */
  progType: number;
  /** instruction slots (assembler cases; empty for C cases: load `object`) */
  insns: Insn[];
  maps: SuiteMap[];
  /** false: loaded by the kernel oracle with CAP_BPF only (no CAP_PERFMON, CAP_SYS_ADMIN, CAP_NET_ADMIN) */
  privileged: boolean;
  expect: 'accept' | 'reject';
  /** the kernel's error line (kernel-oracle.py's `error_line`); undefined when the kernel printed no log */
  reason?: string;
  /** the kernel's errno name on rejection (EACCES, EINVAL, E2BIG, …) */
  errno?: string;
  /** name of the twin case (the other verdict of the same rule) */
  twin?: string;
  /** one sentence on what the case checks, when the header has `; what:` */
  what?: string;
  /** C cases: the compiled object (undefined when clang is missing: see `skip`) */
  object?: string;
  /** C cases: the program (function) name in the object */
  program?: string;
  /** why the case cannot be used on this host (C case without clang) */
  skip?: string;
}

interface Header {
  fields: Map<string, string[]>;
}

/** `; key: value` (or `// key: value`) lines anywhere in the file; a key may repeat. */
function parseHeader(text: string, marker: RegExp): Header {
  const fields = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    const m = marker.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    fields.set(key, [...(fields.get(key) ?? []), m[2]!.trim()]);
  }
  return { fields };
}

const ASM_HEADER = /^\s*;\s*([a-z]+):(.*)$/i;
const C_HEADER = /^\s*\/\/\s*([a-z]+):(.*)$/i;

function one(h: Header, key: string, file: string, required = true): string | undefined {
  const v = h.fields.get(key);
  if (!v || v.length === 0) {
    if (required) throw new Error(`${file}: missing '${key}:' header`);
    return undefined;
  }
  if (v.length > 1) throw new Error(`${file}: '${key}:' given ${v.length} times`);
  return v[0];
}

/** `hash:4:8:1[:0x80]` → SuiteMap. */
export function parseMap(spec: string, file = '?'): SuiteMap {
  const f = spec.split(':');
  const typeName = f[0]!.toLowerCase();
  const type = (MAP_TYPE_NAMES as readonly string[]).indexOf(typeName);
  if (type < 0 || f.length < 4 || f.length > 5) throw new Error(`${file}: bad map '${spec}' (TYPE:KEY:VALUE:MAX[:FLAGS])`);
  const [keySize, valueSize, maxEntries] = f.slice(1, 4).map((x) => Number(x)) as [number, number, number];
  const flags = f[4] === undefined ? 0 : Number(f[4]);
  if (![keySize, valueSize, maxEntries, flags].every((x) => Number.isInteger(x) && x >= 0)) throw new Error(`${file}: bad map '${spec}'`);
  return { type, typeName, keySize, valueSize, maxEntries, flags };
}

/** The oracle's --map spelling of a SuiteMap. */
export const mapArg = (m: SuiteMap): string =>
  `${m.typeName}:${m.keySize}:${m.valueSize}:${m.maxEntries}${m.flags ? `:0x${m.flags.toString(16)}` : ''}`;

function common(h: Header, file: string, strict: boolean) {
  const rule = one(h, 'rule', file)!;
  const expect = one(h, 'expect', file);
  if (expect !== 'accept' && expect !== 'reject') throw new Error(`${file}: 'expect:' must be accept or reject, got '${expect}'`);
  const priv = one(h, 'priv', file, false) ?? 'privileged';
  if (priv !== 'privileged' && priv !== 'unprivileged') throw new Error(`${file}: 'priv:' must be privileged or unprivileged`);
  const reason = one(h, 'reason', file, false);
  const errno = one(h, 'errno', file, false);
  if (strict && expect === 'reject' && !errno) throw new Error(`${file}: a rejection needs 'errno:'`);
  if (strict && expect === 'accept' && (reason || errno)) throw new Error(`${file}: an accepted case has no reason/errno`);
  const twin = one(h, 'twin', file, false);
  const what = one(h, 'what', file, false);
  const maps = (h.fields.get('maps') ?? []).flatMap((l) => l.split(/[\s,]+/).filter(Boolean)).map((s) => parseMap(s, file));
  return {
    rule, expect: expect as 'accept' | 'reject', privileged: priv === 'privileged', maps,
    ...(reason ? { reason } : {}), ...(errno ? { errno } : {}),
    ...(twin ? { twin: twin.replace(/\.(s|c)$/, '') } : {}), ...(what ? { what } : {}),
  };
}

function progTypeNumber(type: string, file: string): number {
  const n = (PROG_TYPE_NAMES as readonly string[]).indexOf(type);
  if (n < 0) throw new Error(`${file}: unknown program type '${type}'`);
  return n;
}

/** Parse one assembler case file. */
export function loadAsmCase(file: string, strict = true): SuiteCase {
  const text = readFileSync(file, 'utf8');
  const h = parseHeader(text, ASM_HEADER);
  const type = one(h, 'type', file)!;
  let insns: Insn[];
  try {
    insns = assemble(text);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const name = path.relative(CASES_DIR, file).replace(/\\/g, '/').replace(/\.s$/, '');
  return { name, file, source: 'asm', type, progType: progTypeNumber(type, file), insns, ...common(h, file, strict) };
}

const C_CACHE = path.join(tmpdir(), 'tsbpf-verifier-suite');

/** Compile a C case into the cache (keyed by compiler and source), returning the .o path. */
export function compileCase(src: string): string {
  const h = createHash('sha256').update(`${CLANG_VERSION}\n`).update(readFileSync(src)).digest('hex').slice(0, 16);
  const out = path.join(C_CACHE, `${path.basename(src, '.c')}-${h}.o`);
  if (existsSync(out)) return out;
  mkdirSync(C_CACHE, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  compileFile(src, tmp);
  renameSync(tmp, out);
  return out;
}

/** Section name → program type, for the section names the C cases use (libbpf's conventions). */
const SECTION_TYPES: [RegExp, string][] = [
  [/^socket/, 'socket_filter'], [/^xdp/, 'xdp'], [/^(tc|classifier)/, 'sched_cls'],
  [/^(tracepoint|tp)\//, 'tracepoint'], [/^(kprobe|kretprobe)\//, 'kprobe'],
  [/^(raw_tracepoint|raw_tp)\//, 'raw_tracepoint'], [/^perf_event/, 'perf_event'],
];

/** Parse one C case (compiling it unless `compile` is false or clang is missing). */
export function loadCCase(file: string, compile = true, strict = true): SuiteCase {
  const text = readFileSync(file, 'utf8');
  const h = parseHeader(text, C_HEADER);
  const program = one(h, 'prog', file)!;
  // SEC("name") then, before the body, the function's name: `int f(` or `int BPF_KPROBE(f, …)`
  const fn = new RegExp(`SEC\\("([^"]+)"\\)[^;{]*?\\b${program}\\b`).exec(text);
  if (!fn) throw new Error(`${file}: no SEC("…") function named ${program}`);
  const type = SECTION_TYPES.find(([re]) => re.test(fn[1]!))?.[1];
  if (!type) throw new Error(`${file}: section '${fn[1]}' has no known program type`);
  const name = `c/${path.basename(file, '.c')}`;
  const c: SuiteCase = { name, file, source: 'c', type, progType: progTypeNumber(type, file), insns: [], program, ...common(h, file, strict) };
  if (!compile) return c;
  if (!CLANG_AVAILABLE) return { ...c, skip: 'clang not found' };
  return { ...c, object: compileCase(file) };
}

function walk(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p, ext) : p.endsWith(ext) ? [p] : [];
  });
}

/** Every case of the suite, assembler cases first, in path order. */
export function loadSuite(opts: { compile?: boolean; strict?: boolean } = {}): SuiteCase[] {
  const strict = opts.strict ?? true;
  return [
    ...walk(CASES_DIR, '.s').map((f) => loadAsmCase(f, strict)),
    ...walk(C_DIR, '.c').map((f) => loadCCase(f, opts.compile ?? true, strict)),
  ];
}
