import { BpfError, ErrnoName } from '../errno.js';
import { code } from './base.js';
import { MapKind } from './kind.js';
import { BpfMap, MapEnv, MapType } from './map.js';
import { RINGBUF_PAGE_SIZE, WaitQueue } from './ringbuf.js';
import { checkFdArray, FdArrayMap } from './fd-array.js';
import { NormalSpec } from './spec.js';

/** `enum perf_event_type` of linux/perf_event.h: the records tsbpf writes. */
export const PERF_RECORD_LOST = 2;
export const PERF_RECORD_SAMPLE = 9;
/** sizeof(struct perf_event_header): u32 type, u16 misc, u16 size */
export const PERF_EVENT_HEADER_SIZE = 8;
/** a PERF_RECORD_LOST: header, u64 id, u64 lost (no sample_id: libbpf leaves sample_id_all unset) */
export const PERF_LOST_RECORD_SIZE = 24;
/** offsets in `struct perf_event_mmap_page` (the first page of a perf buffer) */
export const PerfMmapPage = {
  DATA_HEAD: 1024,
  DATA_TAIL: 1032,
  DATA_OFFSET: 1040,
  DATA_SIZE: 1048,
} as const;
/** BPF_F_INDEX_MASK / BPF_F_CURRENT_CPU of bpf_perf_event_output's flags */
export const BPF_F_INDEX_MASK = 0xffffffff;
export const BPF_F_CURRENT_CPU = BPF_F_INDEX_MASK;
/** data pages of a buffer when open() is not told (a power of 2, as perf requires) */
export const DEFAULT_PERF_PAGES = 8;

/** What a perf buffer holds: a sample (`data`: the raw bytes, see PerfBuffer) or a count of samples lost. */
export type PerfRecord = { cpu: number; data: Uint8Array } | { cpu: number; lost: number };

export interface PerfOpenOptions {
  /** data pages of the buffer: a power of 2 (default 8, i.e. 32 KiB) */
  pages?: number;
}

export interface PerfRecordsOptions {
  /** ends the iteration (also while it waits for data) */
  signal?: AbortSignal;
  /** like perf_buffer__poll's timeout: look at the buffers after this many ms without a wakeup */
  pollMs?: number;
}

/** A perf event's id (PERF_RECORD_LOST.id) and the "fd" a PERF_EVENT_ARRAY element holds. */
let nextEventId = 1;

/**
 * One CPU's buffer, what libbpf's perf_buffer__new opens for each CPU: a
 * PERF_COUNT_SW_BPF_OUTPUT event on that CPU with sample_type
 * PERF_SAMPLE_RAW and wakeup_events 1, and its mmap()ed ring. `mmap` is laid
 * out as the mapping is: a `struct perf_event_mmap_page` (data_head,
 * data_tail, data_offset, data_size at their UAPI offsets), then `pages`
 * pages of data. It is the host's memory, not the address space: no program
 * ever holds a pointer into it (bpf_perf_event_output copies).
 *
 * A sample is a PERF_RECORD_SAMPLE: the header (type 9, misc 0, size), a u32
 * raw size and the bytes, padded with zeros so that the u32 and the bytes
 * take a multiple of 8; as in Linux the raw size counts the padding, so a
 * reader gets the bytes and the zeros after them. When a sample does not fit,
 * it is lost: the output fails with -ENOSPC and a count grows; the next
 * sample that fits (with room for both) is preceded by a PERF_RECORD_LOST
 * carrying that count, as perf_output_begin writes it.
 */
export class PerfBuffer {
  readonly id: number;
  /** the buffer as mmap()ed: control page then data pages */
  readonly mmap: Uint8Array;
  /** bytes of data */
  readonly size: number;
  /** samples lost in all (the event's lost_samples) */
  lostSamples = 0;
  /** samples written */
  samples = 0;
  private head = 0;
  private tail = 0;
  /** lost since the last PERF_RECORD_LOST was written (the ring's `lost`) */
  private pendingLost = 0;
  private readonly dv: DataView;
  private closed = false;

  constructor(
    readonly cpu: number,
    readonly pages: number,
    private readonly owner: PerfEventArrayMap,
  ) {
    this.id = nextEventId++;
    this.size = pages * RINGBUF_PAGE_SIZE;
    this.mmap = new Uint8Array(RINGBUF_PAGE_SIZE + this.size);
    this.dv = new DataView(this.mmap.buffer);
    this.dv.setBigUint64(PerfMmapPage.DATA_OFFSET, BigInt(RINGBUF_PAGE_SIZE), true);
    this.dv.setBigUint64(PerfMmapPage.DATA_SIZE, BigInt(this.size), true);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** data_head: where the kernel writes next */
  get dataHead(): number {
    return this.head;
  }

  /** data_tail: where the reader is */
  get dataTail(): number {
    return this.tail;
  }

  /**
   * perf_event_output of a raw sample: 0, -ENOSPC when it is lost (no room),
   * -E2BIG when the record would not fit the u16 size of its header (Linux
   * then writes a header whose size has wrapped; tsbpf refuses instead).
   */
  output(data: Uint8Array): number {
    const raw = padded(data.length);
    const recSize = PERF_EVENT_HEADER_SIZE + raw;
    if (recSize > 0xffff) return code('E2BIG');
    const need = recSize + (this.pendingLost ? PERF_LOST_RECORD_SIZE : 0);
    // CIRC_SPACE(head, tail, size): one byte is always left free.
    const space = mod(this.tail - (this.head + 1), this.size);
    if (space < need) {
      this.pendingLost++;
      this.lostSamples++;
      return code('ENOSPC');
    }
    let at = this.head;
    if (this.pendingLost) {
      const lost = new Uint8Array(PERF_LOST_RECORD_SIZE);
      const v = new DataView(lost.buffer);
      v.setUint32(0, PERF_RECORD_LOST, true);
      v.setUint16(6, PERF_LOST_RECORD_SIZE, true);
      v.setBigUint64(8, BigInt(this.id), true);
      v.setBigUint64(16, BigInt(this.pendingLost), true);
      this.put(at, lost);
      at += PERF_LOST_RECORD_SIZE;
      this.pendingLost = 0;
    }
    const rec = new Uint8Array(recSize);
    const v = new DataView(rec.buffer);
    v.setUint32(0, PERF_RECORD_SAMPLE, true);
    v.setUint16(6, recSize, true);
    v.setUint32(8, raw - 4, true);
    rec.set(data, 12);
    this.put(at, rec);
    this.head = at + recSize;
    this.dv.setBigUint64(PerfMmapPage.DATA_HEAD, BigInt(this.head), true);
    this.samples++;
    this.owner.wake(); // wakeup_events 1: every sample wakes the reader
    return 0;
  }

  /**
   * Read every record from data_tail to data_head, as libbpf's
   * perf_event_read_simple does (a record that wraps around the end is
   * joined), and move data_tail past them.
   */
  consume(): PerfRecord[] {
    const out: PerfRecord[] = [];
    let tail = this.tail;
    while (tail < this.head) {
      const hdr = this.get(tail, PERF_EVENT_HEADER_SIZE);
      const h = new DataView(hdr.buffer);
      const type = h.getUint32(0, true);
      const size = h.getUint16(6, true);
      if (size < PERF_EVENT_HEADER_SIZE || tail + size > this.head) {
        throw new BpfError('EFAULT', `perf buffer ${this.id} (cpu ${this.cpu}): record at ${tail} has size ${size}, past data_head ${this.head}`);
      }
      const rec = this.get(tail, size);
      const r = new DataView(rec.buffer);
      if (type === PERF_RECORD_SAMPLE) {
        const n = r.getUint32(8, true);
        out.push({ cpu: this.cpu, data: rec.slice(12, 12 + n) });
      } else if (type === PERF_RECORD_LOST) {
        out.push({ cpu: this.cpu, lost: Number(r.getBigUint64(16, true)) });
      }
      tail += size;
      this.tail = tail;
      this.dv.setBigUint64(PerfMmapPage.DATA_TAIL, BigInt(tail), true);
    }
    return out;
  }

  /** Take the buffer out of every element that holds it; it is never written again. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.owner.detach(this);
  }

  private put(pos: number, bytes: Uint8Array): void {
    const off = pos % this.size;
    const first = Math.min(bytes.length, this.size - off);
    this.mmap.set(bytes.subarray(0, first), RINGBUF_PAGE_SIZE + off);
    if (first < bytes.length) this.mmap.set(bytes.subarray(first), RINGBUF_PAGE_SIZE);
  }

  private get(pos: number, len: number): Uint8Array {
    const off = pos % this.size;
    const first = Math.min(len, this.size - off);
    const out = new Uint8Array(len);
    out.set(this.mmap.subarray(RINGBUF_PAGE_SIZE + off, RINGBUF_PAGE_SIZE + off + first), 0);
    if (first < len) out.set(this.mmap.subarray(RINGBUF_PAGE_SIZE, RINGBUF_PAGE_SIZE + len - first), first);
    return out;
  }
}

/** round_up(n + sizeof(u32), 8): the raw part of a sample, its u32 size included */
function padded(n: number): number {
  return Math.ceil((n + 4) / 8) * 8;
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

function isPowerOf2(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n <= 0x40000000 && (n & (n - 1)) === 0;
}

/**
 * PERF_EVENT_ARRAY (kernel/bpf/arraymap.c, kernel/trace/bpf_trace.c): key a
 * u32 index (by convention the CPU), value a u32 — in Linux the fd of a perf
 * event, here the id of a PerfBuffer. User space opens one buffer per CPU with
 * open(cpu, {pages}), which installs it at index `cpu` (libbpf's
 * perf_buffer__new); bpf(2) update installs an open buffer by id, delete
 * takes it out. Programs write with bpf_perf_event_output (the helper in
 * helpers/perf.ts, through output()); user space reads with consume() or the
 * async iterator records(), over every open buffer.
 *
 * max_entries 0 means the number of CPUs (as libbpf fills it in). memoryUsed()
 * is the element array (8 bytes each, Linux's pointers); the buffers are the
 * perf events' memory, charged to the Runtime's budget when opened (the
 * largest total ever open, as nothing is handed back).
 */
export class PerfEventArrayMap extends FdArrayMap<PerfBuffer> {
  protected readonly holds = 'perf buffer';
  private readonly open_ = new Map<number, PerfBuffer>();
  private readonly waitq = new WaitQueue();
  private charged = 0;

  /**
   * Open a buffer for `cpu` and install it at index `cpu` (replacing what was
   * there, which stays open). EINVAL for a CPU the Runtime does not have or
   * `pages` not a power of 2; E2BIG when `cpu` is not below max_entries.
   */
  open(cpu: number, options: PerfOpenOptions = {}): PerfBuffer {
    const pages = options.pages ?? DEFAULT_PERF_PAGES;
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.env.cpus) {
      throw this.error('open', 'EINVAL', `cpu ${cpu} is not one of the runtime's ${this.env.cpus}`);
    }
    if (cpu >= this.spec.maxEntries) throw this.error('open', 'E2BIG', this.outOfRange(cpu));
    if (!isPowerOf2(pages)) throw this.error('open', 'EINVAL', `pages ${pages}: a perf buffer has a power of 2 of data pages`);
    this.chargeBuffers(RINGBUF_PAGE_SIZE * (pages + 1));
    const buf = new PerfBuffer(cpu, pages, this);
    this.open_.set(buf.id, buf);
    this.elems[cpu] = buf;
    return buf;
  }

  /** the buffer at `index`, or undefined */
  buffer(index: number): PerfBuffer | undefined {
    return this.elems[index];
  }

  /** every open buffer, by CPU */
  buffers(): PerfBuffer[] {
    return [...this.open_.values()].sort((a, b) => a.cpu - b.cpu || a.id - b.id);
  }

  /**
   * __bpf_perf_event_output's checks, then the write: `flags` (already known
   * to be within BPF_F_INDEX_MASK) is an index or BPF_F_CURRENT_CPU; E2BIG
   * past max_entries, ENOENT for an empty element, EOPNOTSUPP for a buffer
   * of another CPU than the one the program runs on; then 0 or ENOSPC (lost).
   * `data` is read only once the checks pass.
   */
  target(flags: number, cpu: number): PerfBuffer | ErrnoName {
    const index = flags === BPF_F_CURRENT_CPU ? cpu : flags;
    if (index >= this.spec.maxEntries) return 'E2BIG';
    const buf = this.elems[index];
    if (!buf) return 'ENOENT';
    if (buf.cpu !== cpu) return 'EOPNOTSUPP';
    return buf;
  }

  /** Take every record of every open buffer (libbpf's perf_buffer__consume). */
  consume(): PerfRecord[] {
    return this.buffers().flatMap((b) => b.consume());
  }

  /** Records as programs write them, until `signal` aborts (perf_buffer__poll in a loop). */
  records(options: PerfRecordsOptions = {}): AsyncGenerator<PerfRecord, void, undefined> {
    return this.waitq.drain(() => this.consume(), options);
  }

  /** @internal a buffer's sample wakes the readers */
  wake(): void {
    this.waitq.wakeAll();
  }

  /** @internal a buffer closed */
  detach(buf: PerfBuffer): void {
    this.open_.delete(buf.id);
    for (let i = 0; i < this.elems.length; i++) if (this.elems[i] === buf) this.elems[i] = undefined;
  }

  lookup(key: Uint8Array): Uint8Array {
    this.checkKey('lookup', key);
    throw this.error('lookup', 'ENOTSUPP', 'the elements of a perf event array are perf events, which user space cannot read back');
  }

  /** An update installs the open buffer whose id is the value. */
  protected resolve(id: number): PerfBuffer {
    const buf = this.open_.get(id);
    if (!buf) throw this.error('update', 'EBADF', `${id} is not an open perf buffer (open one with open(cpu))`);
    return buf;
  }

  /** Charge the budget for what the open buffers now hold, past the most ever charged. */
  private chargeBuffers(adding: number): void {
    let live = adding;
    for (const b of this.open_.values()) live += b.mmap.length;
    if (live > this.charged) {
      this.env.charge(live - this.charged);
      this.charged = live;
    }
  }
}

/** fd_array_map_alloc_check, then array_map_alloc_check; max_entries 0 becomes the number of CPUs. */
function checkPerfEventArray(spec: NormalSpec, env: MapEnv): NormalSpec {
  return checkFdArray(spec.maxEntries === 0 ? { ...spec, maxEntries: env.cpus } : spec, 'perf event');
}

export const PERF_EVENT_ARRAY: MapKind = { check: checkPerfEventArray, create: (spec, env) => new PerfEventArrayMap(spec, env) };

/** `map` as a perf event array (its buffers and consumer API); EINVAL for another map type. */
export function perfEventArrayOf(map: BpfMap): PerfEventArrayMap {
  if (map instanceof PerfEventArrayMap) return map;
  throw new BpfError('EINVAL', `map '${map.spec.name}' is not a perf event array (type ${map.spec.type}, not ${MapType.PERF_EVENT_ARRAY})`);
}
