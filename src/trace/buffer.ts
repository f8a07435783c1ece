import { BpfError } from '../errno.js';
import { RecordsOptions, WaitQueue } from '../maps/ringbuf.js';
import type { HostInfo } from '../helpers/registry.js';
import { scalarValue, stringOf, valueAt } from './context.js';
import { FieldLayout, isDynamic } from './layout.js';
import type { Tracepoint } from './tracepoint.js';

/**
 * The trace buffer: what ftrace's ring buffer is to Linux's tracepoints and
 * bpf_trace_printk. One ring of records per CPU, each of a fixed number of
 * entries. When a ring is full, `overwrite` (Linux's default) drops its
 * oldest record, otherwise the new one is dropped; either way the ring counts
 * the record lost, and the reader sees `CPU:N [LOST M EVENTS]` before that
 * CPU's next record, as trace_pipe prints it.
 *
 * Records are kept as values, not bytes: the event's field values as given
 * to fire() (a string is kept by reference — no copy, no encoding), with
 * the time, CPU, pid and comm. Reading merges the CPUs' rings in time order
 * and gives records, or lines in trace_pipe's format:
 *
 * ```
 *            node-4242    [000] ..... 81234.567890: generate: sig=10 comm=bash
 * ```
 *
 * The reader's async iterators (`records()`, `lines()`) sleep on a wait queue
 * (maps/ringbuf.ts's WaitQueue, as the ring buffer map's reader does) and
 * wake after the producer's synchronous work: every record written meanwhile
 * arrives in one batch, never one wakeup per event.
 */

export interface TraceBufferOptions {
  /** rings (default 1) */
  cpus?: number;
  /** records per CPU ring (default 4096) */
  entries?: number;
  /** when full: drop the oldest record (true, the default) or the newest */
  overwrite?: boolean;
  /** the process identity and clock (default: pid 0, comm 'tsbpf', the web performance clock) */
  host?: Pick<HostInfo, 'pid' | 'comm' | 'monotonicNs'>;
}

/** One record: an event, a bpf_trace_printk line, or a count of records lost on a CPU. */
export type TraceRecord =
  | { kind: 'event'; cpu: number; ts: number; pid: number; comm: string; tp: Tracepoint; values: readonly unknown[] }
  | { kind: 'printk'; cpu: number; ts: number; pid: number; comm: string; text: string }
  | { kind: 'lost'; cpu: number; count: number };

type Stored = Exclude<TraceRecord, { kind: 'lost' }>;

class Ring {
  readonly slots: (Stored | undefined)[];
  head = 0;
  count = 0;
  /** records lost since the reader last saw this ring's count */
  lost = 0;
  /** records lost in all */
  lostTotal = 0;
  constructor(readonly size: number) {
    this.slots = new Array(size).fill(undefined);
  }
}

export class TraceBuffer {
  readonly cpus: number;
  readonly entries: number;
  readonly overwrite: boolean;
  /** times a sleeping reader was woken (once per burst of records, not per record) */
  wakeups = 0;
  private readonly rings: Ring[];
  private readonly waitq = new WaitQueue();
  private readonly pid: number;
  private readonly comm: string;
  /** ns of the monotonic clock at `t0` (ms of performance.now()) */
  private readonly ns0: number;
  private readonly t0: number;

  constructor(options: TraceBufferOptions = {}) {
    this.cpus = options.cpus ?? 1;
    this.entries = options.entries ?? 4096;
    this.overwrite = options.overwrite ?? true;
    if (!Number.isInteger(this.cpus) || this.cpus < 1 || this.cpus > 1024) throw new BpfError('EINVAL', `trace buffer: cpus must be 1 to 1024, not ${options.cpus}`);
    if (!Number.isInteger(this.entries) || this.entries < 1 || this.entries > 1 << 24) throw new BpfError('EINVAL', `trace buffer: entries must be 1 to 2^24, not ${options.entries}`);
    this.rings = Array.from({ length: this.cpus }, () => new Ring(this.entries));
    this.pid = options.host?.pid ?? 0;
    this.comm = options.host?.comm ?? 'tsbpf';
    this.t0 = performance.now();
    this.ns0 = options.host ? Number(options.host.monotonicNs()) : Math.round(this.t0 * 1e6);
  }

  /** the monotonic clock in ns, as a number (exact to the µs trace_pipe prints) */
  now(): number {
    return this.ns0 + Math.round((performance.now() - this.t0) * 1e6);
  }

  /** Record an event on `cpu`: the values of the tracepoint's leaves are kept (strings by reference). */
  event(tp: Tracepoint, values: Record<string, unknown>, cpu = 0): void {
    const leaves = tp.layout.leaves;
    const kept = new Array<unknown>(leaves.length);
    for (let i = 0; i < leaves.length; i++) kept[i] = valueAt(values, leaves[i]!.path);
    this.put(cpu, { kind: 'event', cpu, ts: this.now(), pid: this.pid, comm: this.comm, tp, values: kept });
  }

  /** Record a bpf_trace_printk line on `cpu`. */
  printk(text: string, cpu = 0): void {
    this.put(cpu, { kind: 'printk', cpu, ts: this.now(), pid: this.pid, comm: this.comm, text });
  }

  private put(cpu: number, rec: Stored): void {
    const ring = this.rings[cpu] ?? this.rings[0]!;
    if (ring.count === ring.size) {
      ring.lost++;
      ring.lostTotal++;
      if (!this.overwrite) return;
      ring.slots[ring.head] = undefined;
      ring.head = (ring.head + 1) % ring.size;
      ring.count--;
    }
    ring.slots[(ring.head + ring.count) % ring.size] = rec;
    ring.count++;
    if (this.waitq.sleeping > 0) {
      this.wakeups++;
      this.waitq.wakeAll();
    }
  }

  /** records waiting to be read, over all CPUs */
  get pending(): number {
    return this.rings.reduce((n, r) => n + r.count, 0);
  }

  /** records lost per CPU since the buffer was made */
  get lost(): number[] {
    return this.rings.map((r) => r.lostTotal);
  }

  /**
   * Take up to `max` records, oldest first across the CPUs (trace_pipe's
   * merge); a CPU that lost records gives a 'lost' record before its next.
   */
  read(max = Infinity): TraceRecord[] {
    const out: TraceRecord[] = [];
    for (const r of this.rings) this.reportLost(r, out);
    while (out.length < max) {
      let best: Ring | undefined;
      for (const r of this.rings) if (r.count && (!best || r.slots[r.head]!.ts < best.slots[best.head]!.ts)) best = r;
      if (!best) break;
      this.reportLost(best, out);
      out.push(best.slots[best.head]!);
      best.slots[best.head] = undefined;
      best.head = (best.head + 1) % best.size;
      best.count--;
    }
    return out;
  }

  private reportLost(r: Ring, out: TraceRecord[]): void {
    if (r.lost === 0) return;
    out.push({ kind: 'lost', cpu: this.rings.indexOf(r), count: r.lost });
    r.lost = 0;
  }

  /** Take every record as trace_pipe text (a line each, each ending in a newline). */
  readText(max = Infinity): string {
    return this.read(max).map((r) => formatRecord(r) + '\n').join('');
  }

  /** Every record as it comes, in batches: sleeps while the buffer is empty, ends when `signal` aborts. */
  records(options: RecordsOptions = {}): AsyncGenerator<TraceRecord, void, undefined> {
    return this.waitq.drain(() => this.read(), options);
  }

  /** The same as trace_pipe lines. */
  async *lines(options: RecordsOptions = {}): AsyncGenerator<string, void, undefined> {
    for await (const r of this.records(options)) yield formatRecord(r);
  }
}

/** A record as trace_pipe prints it (print_trace_line with the default options: irq-info on, no tgid). */
export function formatRecord(r: TraceRecord): string {
  if (r.kind === 'lost') return `CPU:${r.cpu} [LOST ${r.count} EVENTS]`;
  const us = Math.floor(r.ts / 1000);
  const time = `${String(Math.floor(us / 1e6)).padStart(5)}.${String(us % 1e6).padStart(6, '0')}`;
  const head = `${r.comm.padStart(16)}-${String(r.pid).padEnd(7)} [${String(r.cpu).padStart(3, '0')}] ..... ${time}: `;
  if (r.kind === 'printk') return `${head}bpf_trace_printk: ${r.text.replace(/\n$/, '')}`;
  return `${head}${r.tp.event}: ${formatValues(r.tp.layout.leaves, r.values)}`;
}

/** `name=value` for each field, as the print format of the tracepoint says. */
export function formatValues(leaves: readonly FieldLayout[], values: readonly unknown[]): string {
  return leaves.map((f, i) => `${f.name}=${formatValue(f, values[i])}`).join(' ');
}

function formatValue(f: FieldLayout, v: unknown): string {
  if (f.type === 'string') return stringOf(v);
  if (isDynamic(f.type)) return v instanceof Uint8Array ? [...v].map((b) => b.toString(16).padStart(2, '0')).join('') : '';
  return String(scalarValue(f, v));
}

/** The trace buffer of a Runtime-like owner (one per owner, made on first use). */
const buffers = new WeakMap<object, TraceBuffer>();

export function traceBufferOf(owner: { cpus: number; host: HostInfo }, options: Omit<TraceBufferOptions, 'cpus' | 'host'> = {}): TraceBuffer {
  let b = buffers.get(owner);
  if (!b) buffers.set(owner, (b = new TraceBuffer({ ...options, cpus: owner.cpus, host: owner.host })));
  return b;
}
