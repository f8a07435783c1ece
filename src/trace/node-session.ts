import { BpfError } from '../errno.js';
import type { CollectionSpec } from '../elf/collection.js';
import { linuxHelpers } from '../helpers/linux.js';
import { typeName } from '../maps/spec.js';
import { loadCollection } from '../runtime/collection.js';
import { nodeHost } from '../runtime/node-host.js';
import type { Program } from '../runtime/program.js';
import { Runtime } from '../runtime/runtime.js';
import { TraceBuffer, TraceRecord, formatRecord, traceBufferOf } from './buffer.js';
import { scalarValue, stringOf } from './context.js';
import { attachProgram } from './handler.js';
import { isDynamic } from './layout.js';
import { defineNodeSources } from './node-sources/index.js';
import { parseProbeSpec, probeFunction } from './node-probe.js';
import { onDefine } from './on-define.js';
import { recordEvents } from './record.js';
import { Tracepoint, TraceRegistry, tracepoints } from './tracepoint.js';

/**
 * What `tsbpf trace` sets up inside the traced Node process: Node's event
 * sources, function probes, the named tracepoints recorded into the trace
 * buffer (behind the filter, compiled to eBPF), and an object's programs
 * attached to the tracepoints their sections name (`tracepoint/P/E`,
 * `tp/P/E`, `raw_tracepoint/E`, `raw_tp/E`).
 *
 * Setting up throws a BpfError for a bad pattern, filter or program before
 * anything is attached. The CLI first sets up a session in its own process
 * with `check: true` (no probes: they would load the application's modules)
 * to refuse bad input before the program starts. Tracepoints of providers
 * other than Node's (`app:*` static probes, `probe_js:*`) may be defined
 * later by the program: patterns and programs naming them attach when they
 * are, and a failure then goes to `onError`, leaving the program running.
 */

export interface TraceSessionOptions {
  /** tracepoint names or globs ("node_http:*", "app:query_start"), or a provider alone */
  patterns: readonly string[];
  /** a trace event filter for every recorded tracepoint */
  filter?: string;
  /** an object whose programs attach as handlers; its maps are dumped by maps() */
  collection?: CollectionSpec;
  /** function probes to place, MODULE:EXPORT (probeFunction) */
  probes?: readonly string[];
  /** read() gives JSON lines instead of trace_pipe text */
  json?: boolean;
  /** only check: do not place probes */
  check?: boolean;
  registry?: TraceRegistry;
  /** a failure attaching to a tracepoint defined later */
  onError?: (e: BpfError) => void;
}

const NODE_PROVIDER = /^node_/;

export class TraceSession {
  readonly rt: Runtime;
  readonly buffer: TraceBuffer;
  private readonly registry: TraceRegistry;
  private readonly detaches: (() => void)[] = [];
  private readonly recorded = new Set<Tracepoint>();
  private maps = new Map<string, number>();

  constructor(private readonly options: TraceSessionOptions) {
    this.registry = options.registry ?? tracepoints;
    defineNodeSources(this.registry);
    this.rt = new Runtime({ helpers: linuxHelpers(), host: nodeHost() });
    this.buffer = traceBufferOf(this.rt);
    try {
      this.setUp();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private setUp(): void {
    const { options, registry } = this;
    for (const spec of options.probes ?? []) {
      if (options.check) parseProbeSpec(spec);
      else this.detaches.push(probeFunction(spec, { registry }).detach);
    }
    const later: string[] = [];
    for (const pattern of options.patterns) {
      const found = registry.list(pattern);
      if (found.length === 0 && NODE_PROVIDER.test(pattern)) throw new BpfError('ENOENT', `no tracepoint matches '${pattern}' (tsbpf tracepoints lists them)`);
      found.forEach((tp) => this.record(tp));
      later.push(pattern);
    }
    const programs = options.collection ? this.load(options.collection) : [];
    const waiting: { program: Program; target: string }[] = [];
    for (const { program, target } of programs) {
      const tp = this.target(target);
      if (tp) this.detaches.push(attachProgram(this.rt, tp, program).detach);
      else if (NODE_PROVIDER.test(target)) throw new BpfError('ENOENT', `program '${program.spec.name}': no tracepoint ${target}`);
      else waiting.push({ program, target });
    }
    if (later.length > 0 || waiting.length > 0) this.detaches.push(onDefine(registry, (tp) => this.defined(tp, later, waiting)));
  }

  /** A tracepoint defined after setup: record it if a pattern names it, run the programs that wait for it. */
  private defined(tp: Tracepoint, patterns: readonly string[], waiting: { program: Program; target: string }[]): void {
    try {
      if (patterns.some((p) => this.registry.list(p).includes(tp))) this.record(tp);
      for (const w of waiting) if (this.target(w.target) === tp) this.detaches.push(attachProgram(this.rt, tp, w.program).detach);
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      this.options.onError?.(e);
    }
  }

  private record(tp: Tracepoint): void {
    if (this.recorded.has(tp)) return;
    try {
      this.detaches.push(recordEvents(this.rt, tp, { filter: this.options.filter }).detach);
    } catch (e) {
      if (e instanceof BpfError) throw new BpfError(e.errno, `filter for ${tp.name}:\n${e.message}`);
      throw e;
    }
    this.recorded.add(tp);
  }

  /** Load the object and find what each program attaches to. */
  private load(spec: CollectionSpec): { program: Program; target: string }[] {
    const c = loadCollection(this.rt, spec);
    if (c.skipped.length > 0) throw new BpfError('EINVAL', c.skipped.map((s) => `program '${s.name}' not loaded: ${s.reason}`).join('; '));
    this.maps = c.maps;
    return spec.programs.map((p) => ({ program: c.programs.get(p.name)!, target: sectionTarget(p.name, p.section) }));
  }

  /** The tracepoint a section names: provider:event, or an event alone (raw_tp) when one tracepoint has that event name. */
  private target(target: string): Tracepoint | undefined {
    if (target.includes(':')) return this.registry.get(target);
    const all = this.registry.list().filter((tp) => tp.event === target);
    if (all.length > 1) throw new BpfError('EINVAL', `raw tracepoint ${target} is ambiguous: ${all.map((t) => t.name).join(', ')}`);
    return all[0];
  }

  /** What the buffer holds now, as trace_pipe text or JSON lines (empty when nothing waits). */
  read(): string {
    const records = this.buffer.read();
    const line = this.options.json ? (r: TraceRecord) => JSON.stringify(recordJson(r)) : formatRecord;
    return records.map((r) => line(r) + '\n').join('');
  }

  /** The object's maps (not its read-only data), bpftool's `map dump` text or a JSON line each. */
  dumpMaps(): string {
    let out = '';
    for (const [name, id] of this.maps) {
      if (name.startsWith('.rodata') || name === '.kconfig') continue;
      const map = this.rt.map(id);
      const entries = this.rt.entries(id);
      const type = typeName(map.spec.type);
      if (this.options.json) {
        out += JSON.stringify({ map: name, type, entries: entries.map(([k, v]) => ({ key: [...k], value: [...v] })) }) + '\n';
        continue;
      }
      out += `map ${name} (${type}):\n`;
      for (const [k, v] of entries) out += `key: ${hex(k)}  value: ${hex(v)}\n`;
      out += `Found ${entries.length} element${entries.length === 1 ? '' : 's'}\n`;
    }
    return out;
  }

  close(): void {
    for (const d of this.detaches.splice(0).reverse()) d();
  }
}

/** `tracepoint/P/E` and `tp/P/E` name P:E; `raw_tracepoint/E` and `raw_tp/E` an event E. */
function sectionTarget(name: string, section: string): string {
  const tp = /^(?:tracepoint|tp)\/([^/]+)\/([^/]+)$/.exec(section);
  if (tp) return `${tp[1]}:${tp[2]}`;
  const raw = /^(?:raw_tracepoint|raw_tp)(?:\.w)?\/([^/]+)$/.exec(section);
  if (raw) return raw[1]!;
  throw new BpfError('EINVAL', `program '${name}' in section '${section}': tsbpf trace attaches tracepoint/PROVIDER/EVENT or raw_tracepoint/EVENT programs`);
}

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

/** A record as JSON: numbers as numbers when exact, 64-bit ones beyond 2^53 as strings; bytes as hex. */
function recordJson(r: TraceRecord): object {
  if (r.kind === 'lost') return { lost: r.count, cpu: r.cpu };
  const head = { ts: r.ts, cpu: r.cpu, pid: r.pid, comm: r.comm };
  if (r.kind === 'printk') return { ...head, printk: r.text.replace(/\n$/, '') };
  const fields: Record<string, unknown> = {};
  r.tp.layout.leaves.forEach((f, i) => {
    const v = r.values[i];
    if (f.type === 'string') fields[f.name] = stringOf(v);
    else if (isDynamic(f.type)) fields[f.name] = v instanceof Uint8Array ? hex(v) : '';
    else {
      const n = scalarValue(f, v);
      fields[f.name] = typeof n === 'bigint' && (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) ? n.toString() : Number(n);
    }
  });
  return { ...head, event: r.tp.name, fields };
}
