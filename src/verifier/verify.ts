import { ErrnoName } from '../errno.js';
import { linuxHelpers } from '../helpers/linux.js';
import { HelperRegistry } from '../helpers/registry.js';
import * as o from '../isa/opcodes.js';
import type { MapSpec } from '../maps/map.js';
import { MapType } from '../maps/map.js';
import { ProgramType, programType } from '../progtypes/index.js';
import type { ProgramSpec } from '../runtime/program.js';
import { CtxBtf, checkCtxBtf } from './btf-access.js';
import { checkCfg } from './cfg.js';
import { VerifierError } from './context.js';
import { ExploreStats, INSN_LIMIT, SourceLine, Verifier } from './explore.js';
import { defaultHint } from './hints.js';
import { liveRegisters } from './liveness.js';
import { loopsOf } from './scc.js';
import { Log, frameLog } from './log.js';
import { MAX_VAR_OFF } from './ptr-alu.js';
import { VerifierMap } from './reg.js';
import { MAX_BPF_STACK, curFrame } from './state.js';
import { checkStackDepth } from './stack-depth.js';

/**
 * The verifier's entry point: is this program safe to run, as Linux's
 * verifier would decide it, and why not.
 */

/** A map as the verifier needs it: a MapSpec, maybe with the contents of a global-data map. */
export type VerifierMapSpec = MapSpec & { data?: Uint8Array; freeze?: boolean };

/** One source line of BTF line info (elf/collection.ts CollectionProgramSpec.lineInfo). */
export interface LineInfo {
  insn: number;
  fileName: string;
  line: string;
  lineNum: number;
  column?: number;
}

export interface VerifyEnv {
  /** the program type (a ProgramType, its `enum bpf_prog_type` number or name); default: the spec's */
  progType?: ProgramType | number | string;
  /** helper prototypes (default: linuxHelpers()) */
  helpers?: HelperRegistry;
  /** maps by id: `lddw` src 1/2 (BPF_PSEUDO_MAP_FD/VALUE) name them by id, as spec.maps lists them for src 5/6 */
  mapsById?: ReadonlyMap<number, VerifierMapSpec> | ((id: number) => VerifierMapSpec | undefined);
  /** maps by index: `lddw` src 5/6 (fd_array index) — and src 1/2 when mapsById is absent */
  mapsByIndex?: readonly VerifierMapSpec[];
  /** what root gets (default); false: the rules Linux applies without CAP_BPF */
  privileged?: boolean;
  /** 0: no log, 1: the failing path, 2: every path */
  logLevel?: number;
  /** also print "stack depth" (Linux's BPF_LOG_STATS) */
  logStats?: boolean;
  lineInfo?: readonly LineInfo[];
  /** whether BTF func info came with the program (Linux requires it for callbacks) */
  funcInfo?: boolean;
  /** processed-instruction budget (default 1,000,000; 4096 instructions of program for unprivileged) */
  insnLimit?: number;
  /**
   * tracing with types: the BTF that describes the context — u64 arguments
   * of known types (tp_btf; `tracepointArgs(vmlinux, name)` gives them), or
   * a context that is itself a BTF struct (`{ btf, struct: id }`)
   */
  ctxBtf?: CtxBtf;
}

export interface VerifyErrorInfo {
  /** the instruction rejected (-1 for a whole-program check) */
  insn: number;
  /** the kernel's message */
  message: string;
  errno: ErrnoName;
  /** what would make it safe */
  hint?: string;
  /** "file.c:12" and the source text, from line info */
  line?: string;
  source?: string;
  /** the registers and stack at the rejected instruction, as the log prints them */
  state?: string;
}

export interface VerifyStats {
  maxStatesPerInsn: number;
  totalStates: number;
  peakStates: number;
  markRead: number;
  /** bytes of stack of each function, in order */
  stackDepth: number[];
}

export interface VerifyResult {
  accepted: boolean;
  /** loads through BTF pointers, by instruction: run them as probe reads (a fault reads zero), as Linux's PROBE_MEM */
  probeLoads: number[];
  /**
   * The map of each helper call given the same map, known by id, on every
   * path (Linux's insn_aux map_ptr_state): an engine may compile the call for
   * that map, as Linux's fixups inline a lookup.
   */
  callMaps: Array<{ insn: number; id: number }>;
  error?: VerifyErrorInfo;
  insnsProcessed: number;
  log: string;
  stats: VerifyStats;
}

/** BPF_MAXINSNS: the longest program an unprivileged loader may load. */
export const MAX_UNPRIV_INSNS = 4096;

const GPL = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

export function verify(spec: ProgramSpec, env: VerifyEnv = {}): VerifyResult {
  const priv = env.privileged ?? true;
  const log = new Log(env.logLevel ?? 1);
  const progType = resolveType(env.progType ?? spec.type);
  const insns = spec.insns;
  const maps = mapResolver(spec, env);
  const lineAt = lineLookup(env.lineInfo);
  let v: Verifier | undefined;
  let stats: ExploreStats | undefined;
  try {
    if (insns.length === 0 || insns.length > (priv ? INSN_LIMIT : MAX_UNPRIV_INSNS)) {
      throw new VerifierError('E2BIG', `program has ${insns.length} instructions; Linux loads 1 to ${priv ? INSN_LIMIT : MAX_UNPRIV_INSNS}`);
    }
    if (!progType) throw new VerifierError('EINVAL', `unknown program type ${String(env.progType ?? spec.type ?? '(none)')}`, 'give the program a type (e.g. xdp, socket_filter, kprobe)');
    if (env.ctxBtf) checkCtxBtf(env.ctxBtf);
    const helpers = env.helpers ?? new HelperRegistry(linuxHelpers());
    const cfg = checkCfg(insns, priv, maps.check);
    v = new Verifier({
      insns, progType, helpers, priv, log, cfg,
      live: liveRegisters(insns, helpers),
      scc: loopsOf(insns, cfg.loopHeads),
      gpl: spec.license === undefined || GPL.has(spec.license),
      funcInfo: env.funcInfo ?? false,
      insnLimit: env.insnLimit ?? INSN_LIMIT,
      resolveMap: maps.get,
      lddwNames: { map: maps.label },
      lineAt,
      ...(env.ctxBtf ? { ctxBtf: env.ctxBtf } : {}),
    });
    stats = v.stats;
    v.run();
    checkStackDepth(insns, cfg.subprogs, stats.stackDepth);
    // at level 1 the log is for rejections: an accepted program's paths are taken back
    if (log.level === 1) log.reset(0);
    finish(log, stats, cfg.subprogs, env.logStats);
    return { accepted: true, probeLoads: [...v.probeLoads].sort((a, b) => a - b), callMaps: knownCallMaps(v.callMaps), insnsProcessed: stats.insnsProcessed, log: log.text(), stats: statsOf(stats, cfg.subprogs) };
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    const insn = e.at ?? (v && stats && stats.insnsProcessed > 0 ? v.insnIdx : -1);
    for (const l of e.before) log.write(`${l}\n`);
    log.write(`${e.message}\n`);
    for (const l of e.after) log.write(`${l}\n`);
    const subprogs = v?.subprogStarts ?? [0];
    const st = stats ?? { insnsProcessed: 0, maxStatesPerInsn: 0, totalStates: 0, peakStates: 0, stackDepth: new Map() };
    finish(log, st, subprogs, env.logStats);
    const src = insn >= 0 ? lineAt?.(insn) : undefined;
    return {
      accepted: false,
      probeLoads: [],
      callMaps: [],
      error: {
        insn,
        message: e.message,
        errno: e.errno,
        hint: e.hint ?? defaultHint(e.message),
        ...(src ? { line: `${src.file.slice(src.file.lastIndexOf('/') + 1)}:${src.line}`, source: src.text.trim() } : {}),
        ...(v && insn >= 0 ? { state: frameLog(v.state, curFrame(v.state)).trim() } : {}),
      },
      insnsProcessed: st.insnsProcessed,
      log: log.text(),
      stats: statsOf(st, subprogs),
    };
  }
}

function finish(log: Log, st: ExploreStats, subprogs: readonly number[], withStats = false): void {
  if (withStats) log.write(`stack depth ${subprogs.map((s) => st.stackDepth.get(s) ?? 0).join('+')}\n`);
  log.write(`processed ${st.insnsProcessed} insns (limit ${INSN_LIMIT}) max_states_per_insn ${st.maxStatesPerInsn} total_states ${st.totalStates} peak_states ${st.peakStates} mark_read 0\n`);
}

function statsOf(st: ExploreStats, subprogs: readonly number[]): VerifyStats {
  return {
    maxStatesPerInsn: st.maxStatesPerInsn,
    totalStates: st.totalStates,
    peakStates: st.peakStates,
    markRead: 0,
    stackDepth: subprogs.map((s) => st.stackDepth.get(s) ?? 0),
  };
}

function resolveType(t: ProgramType | number | string | undefined): ProgramType | undefined {
  if (t === undefined || t === 0) return undefined;
  return typeof t === 'object' ? t : programType(t);
}

/** How `lddw` map references become VerifierMaps, with Linux's errors for bad ones. */
function mapResolver(spec: ProgramSpec, env: VerifyEnv) {
  const cache = new Map<string, VerifierMap>();
  // Linux gets no fd_array when a program has no maps (as the loaders pass it)
  const byIndexList = env.mapsByIndex?.length ? env.mapsByIndex : undefined;
  const byId = (id: number): VerifierMapSpec | undefined =>
    typeof env.mapsById === 'function' ? env.mapsById(id) : env.mapsById?.get(id);
  const lookup = (src: number, imm: number): { spec?: VerifierMapSpec; key: string; id?: number; index?: number } => {
    const byIndex = src === o.BPF_PSEUDO_MAP_IDX || src === o.BPF_PSEUDO_MAP_IDX_VALUE;
    if (!byIndex) {
      if (env.mapsById) return { spec: byId(imm), key: `id:${imm}`, id: imm };
      return { spec: byIndexList?.[imm], key: `idx:${imm}`, index: imm };
    }
    if (byIndexList) return { spec: byIndexList[imm], key: `idx:${imm}`, index: imm };
    const id = spec.maps?.[imm];
    return { spec: id === undefined ? undefined : byId(id), key: `id:${id}`, id, index: imm };
  };
  const get = (src: number, imm: number): VerifierMap | undefined => {
    const l = lookup(src, imm);
    if (!l.spec) return undefined;
    let m = cache.get(l.key);
    if (!m) {
      m = toVerifierMap(l.spec, l.index ?? imm, l.id);
      cache.set(l.key, m);
    }
    return m;
  };
  const check = (src: number, imm: number, next: number): void => {
    const byIndex = src === o.BPF_PSEUDO_MAP_IDX || src === o.BPF_PSEUDO_MAP_IDX_VALUE;
    if (byIndex && !byIndexList && !spec.maps?.length) throw new VerifierError('EPROTO', 'fd_idx without fd_array is invalid');
    const m = get(src, imm);
    if (!m) throw new VerifierError('EBADF', `fd ${imm} is not pointing to valid bpf_map`, 'the program refers to a map that was not given to the verifier');
    if (src !== o.BPF_PSEUDO_MAP_VALUE && src !== o.BPF_PSEUDO_MAP_IDX_VALUE) return;
    if (next >= MAX_VAR_OFF) throw new VerifierError('EINVAL', `direct value offset of ${next} is not allowed`);
    if (m.type !== MapType.ARRAY) throw new VerifierError('EINVAL', 'no direct value access support for this map type');
    if (m.maxEntries !== 1 || next >= m.valueSize) {
      throw new VerifierError(m.maxEntries !== 1 ? 'EOPNOTSUPP' : 'EINVAL', `invalid access to map value pointer, value_size=${m.valueSize} off=${next}`);
    }
  };
  const label = (src: number, imm: number): string | undefined => {
    const m = get(src, imm);
    return m?.name ? `map[${m.name}]` : undefined;
  };
  return { get, check, label };
}

function toVerifierMap(s: VerifierMapSpec, index: number, id: number | undefined): VerifierMap {
  const m: VerifierMap = { index, type: s.type, keySize: s.keySize, valueSize: s.valueSize, maxEntries: s.maxEntries, flags: s.flags ?? 0 };
  if (id !== undefined) m.id = id;
  if (s.name) m.name = s.name;
  if (s.freeze) m.frozen = true;
  if (s.data) m.data = s.data;
  const inner = (s as { inner?: VerifierMapSpec }).inner;
  if (inner) m.inner = toVerifierMap(inner, -1, undefined);
  return m;
}

function lineLookup(info: readonly LineInfo[] | undefined): ((idx: number) => SourceLine | undefined) | undefined {
  if (!info?.length) return undefined;
  const sorted = [...info].sort((a, b) => a.insn - b.insn);
  return (idx) => {
    let lo = 0;
    let hi = sorted.length - 1;
    if (sorted[0]!.insn > idx) return undefined;
    while (lo < hi) {
      const m = lo + Math.ceil((hi - lo) / 2);
      if (sorted[m]!.insn <= idx) lo = m;
      else hi = m - 1;
    }
    const l = sorted[lo]!;
    return { file: l.fileName, line: l.lineNum, text: l.line };
  };
}

export { MAX_BPF_STACK };

function knownCallMaps(maps: ReadonlyMap<number, VerifierMap | null>): VerifyResult['callMaps'] {
  const out: VerifyResult['callMaps'] = [];
  for (const [insn, m] of maps) if (m?.id !== undefined) out.push({ insn, id: m.id });
  return out.sort((a, b) => a.insn - b.insn);
}
