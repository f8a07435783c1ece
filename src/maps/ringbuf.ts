import { BpfError } from '../errno.js';
import { Region } from '../vm/memory.js';
import { code, MapBase } from './base.js';
import { checkExactly, checkFlags, MapKind } from './kind.js';
import { BpfMap, MapEnv, MapFlags, MapType } from './map.js';
import { need, NormalSpec } from './spec.js';

/** PAGE_SIZE of the kernels tsbpf mirrors (x86-64): the ring's size and layout are in these pages. */
export const RINGBUF_PAGE_SIZE = 4096;
/** BPF_RINGBUF_HDR_SZ: the record header, `struct bpf_ringbuf_hdr { u32 len; u32 pg_off; }` */
export const BPF_RINGBUF_HDR_SZ = 8;
/** BPF_RINGBUF_BUSY_BIT: set in `len` while the record is reserved and not yet committed */
export const BPF_RINGBUF_BUSY_BIT = 0x80000000;
/** BPF_RINGBUF_DISCARD_BIT: set in `len` of a discarded record (the consumer skips it) */
export const BPF_RINGBUF_DISCARD_BIT = 0x40000000;
/** RINGBUF_MAX_RECORD_SZ (UINT_MAX / 4): a larger reservation always fails */
export const RINGBUF_MAX_RECORD_SZ = 0x3fffffff;
/**
 * RINGBUF_PGOFF: pages of `struct bpf_ringbuf` before the consumer page (its
 * kernel-private fields); RINGBUF_POS_PAGES: the consumer and producer pages.
 * A record's `pg_off` counts pages from the start of that struct, so the data
 * area starts at page RINGBUF_PGOFF + RINGBUF_POS_PAGES = 3.
 */
export const RINGBUF_PGOFF = 1;
export const RINGBUF_POS_PAGES = 2;
/** RINGBUF_MAX_DATA_SZ: 32-bit pg_off with 8 bits kept back, less the meta pages */
export const RINGBUF_MAX_DATA_SZ = ((1 << 24) - RINGBUF_POS_PAGES - RINGBUF_PGOFF) * RINGBUF_PAGE_SIZE;

/** `flags` of bpf_ringbuf_output/submit/discard. */
export const RingbufFlags = {
  NO_WAKEUP: 1,
  FORCE_WAKEUP: 2,
} as const;

/** `flags` of bpf_ringbuf_query. */
export const RingbufQuery = {
  AVAIL_DATA: 0,
  RING_SIZE: 1,
  CONS_POS: 2,
  PROD_POS: 3,
} as const;

export interface RecordsOptions {
  /** ends the iteration (also while it waits for data) */
  signal?: AbortSignal;
  /**
   * like ring_buffer__poll's timeout: when no wakeup arrives within this many
   * ms, look at the ring anyway (records committed with BPF_RB_NO_WAKEUP are
   * then seen); default: wait for a wakeup however long it takes
   */
  pollMs?: number;
}

/**
 * RINGBUF (kernel/bpf/ringbuf.c): one ring shared by every CPU, written by
 * programs (bpf_ringbuf_output, or reserve then submit/discard) and read by
 * user space in order of reservation.
 *
 * max_entries is the size of the data area: a power of 2 and a multiple of
 * the page size (4096); key_size and value_size are 0. The ring lives in the
 * address space as Linux lays it out for mmap: the consumer position page
 * (`consumer_pos`, u64 at offset 0), the producer position page
 * (`producer_pos` at 0 and the kernel's `pending_pos` at 8), then the data
 * area. A record is an 8-byte header — `len` (the size asked for, with
 * BPF_RINGBUF_BUSY_BIT while reserved and BPF_RINGBUF_DISCARD_BIT once
 * discarded) and `pg_off` (pages from the start of `struct bpf_ringbuf`,
 * whose first, kernel-private page tsbpf does not allocate) — and the data,
 * the whole rounded up to 8 bytes. Positions only grow; a record sits at
 * `position & (size - 1)`.
 *
 * Linux maps the data pages twice in a row so that a record running past the
 * end of the area is contiguous in memory. One WebAssembly.Memory cannot alias
 * pages, so tsbpf follows the data area with a second area of the same size
 * (the "mirror"): a record that wraps is handed out contiguous — its tail in
 * the mirror, which is first filled with what the start of the data area
 * holds, as Linux's second mapping would show — and its tail is copied back to
 * the start of the data area when it is committed. The data area and its
 * mirror form the one region programs may load and store in (what
 * bpf_ringbuf_reserve returns points there); the position pages are in no
 * region, as in Linux no program holds a pointer to them.
 *
 * User space reads with consume() (libbpf's ring_buffer__consume) or the async
 * iterator records() (ring_buffer__poll in a loop); a program's commit wakes a
 * waiting reader with Linux's heuristic: only when the reader had caught up
 * to that very record, unless BPF_RB_NO_WAKEUP or BPF_RB_FORCE_WAKEUP says
 * otherwise.
 *
 * bpf(2) lookup/update/delete/get-next-key give ENOTSUPP, as in Linux.
 * memoryUsed() is what the ring holds in the address space: the two position
 * pages, the data area and its mirror.
 */
export class RingBufMap extends MapBase {
  readonly regions: readonly Region[];
  /** data size: max_entries */
  readonly size: number;
  /** address of the consumer position page (`consumer_pos` is the u64 at its start) */
  readonly consumerPage: number;
  /** address of the producer position page (`producer_pos` at +0, `pending_pos` at +8) */
  readonly producerPage: number;
  /** address of the data area (its mirror follows at data + size) */
  readonly data: number;
  /** times a commit woke the readers (the kernel's irq_work queued) */
  wakeups = 0;
  private readonly mask: number;
  private readonly bytes: number;
  private cons = 0;
  private prod = 0;
  private pend = 0;
  /** records handed out and not yet committed: data address → size */
  private readonly busy = new Map<number, number>();
  private readonly waitq = new WaitQueue();
  private u8 = new Uint8Array(0);
  private dv = new DataView(new ArrayBuffer(0));

  constructor(spec: NormalSpec, env: MapEnv) {
    super(spec, env);
    this.size = spec.maxEntries;
    this.mask = this.size - 1;
    this.bytes = this.reserve(RINGBUF_POS_PAGES * RINGBUF_PAGE_SIZE + 2 * this.size);
    this.consumerPage = env.space.alloc(this.bytes, RINGBUF_PAGE_SIZE);
    this.producerPage = this.consumerPage + RINGBUF_PAGE_SIZE;
    this.data = this.producerPage + RINGBUF_PAGE_SIZE;
    this.regions = [{ start: this.data, end: this.data + 2 * this.size, writable: true, name: `${this.label} data` }];
  }

  // ---- positions -------------------------------------------------------

  get consumerPos(): number {
    return this.cons;
  }

  get producerPos(): number {
    return this.prod;
  }

  /** the kernel's pending_pos: below it every record is committed */
  get pendingPos(): number {
    return this.pend;
  }

  /** bytes reserved and not yet consumed (BPF_RB_AVAIL_DATA) */
  get availData(): number {
    return this.prod - this.cons;
  }

  /** bpf_ringbuf_query */
  query(flags: bigint): bigint {
    switch (flags) {
      case 0n:
        return BigInt(this.availData);
      case 1n:
        return BigInt(this.size);
      case 2n:
        return BigInt(this.cons);
      case 3n:
        return BigInt(this.prod);
      default:
        return 0n;
    }
  }

  // ---- producer side (the helpers) --------------------------------------

  /**
   * __bpf_ringbuf_reserve: the address of `size` bytes for a new record (its
   * header written, BUSY), or 0 when the record is too large or does not fit.
   */
  reserveRecord(size: number): number {
    if (!(size >= 0) || size > RINGBUF_MAX_RECORD_SZ) return 0;
    const len = round8(size + BPF_RINGBUF_HDR_SZ);
    if (len > this.size) return 0;
    const dv = this.view();
    // Advance pending_pos over the records committed since.
    let pend = this.pend;
    while (pend < this.prod) {
      const l = dv.getUint32(this.data + (pend & this.mask), true);
      const step = round8((l & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ);
      // (a length running past producer_pos: a header overwritten by an unverified program)
      if (l & BPF_RINGBUF_BUSY_BIT || pend + step > this.prod) break;
      pend += step;
    }
    this.pend = pend;
    const prod = this.prod;
    const next = prod + len;
    if (next - this.cons > this.mask || next - pend > this.mask) {
      setU64(dv, this.producerPage + 8, pend);
      return 0;
    }
    const off = prod & this.mask;
    const hdr = this.data + off;
    dv.setUint32(hdr, (size | BPF_RINGBUF_BUSY_BIT) >>> 0, true);
    dv.setUint32(hdr + 4, RINGBUF_PGOFF + RINGBUF_POS_PAGES + Math.floor(off / RINGBUF_PAGE_SIZE), true);
    this.prod = next;
    setU64(dv, this.producerPage, next);
    setU64(dv, this.producerPage + 8, pend);
    const over = off + BPF_RINGBUF_HDR_SZ + size - this.size;
    if (over > 0) {
      // The record wraps: show the start of the data area through the mirror.
      this.u8.copyWithin(this.data + this.size, this.data, this.data + over);
    }
    const addr = hdr + BPF_RINGBUF_HDR_SZ;
    this.busy.set(addr, size);
    return addr;
  }

  /** Is `addr` the data of a record reserved and not yet committed? */
  isReserved(addr: number): boolean {
    return this.busy.has(addr);
  }

  /**
   * bpf_ringbuf_commit: submit (or discard) the record whose data is at
   * `addr`, then wake the readers if they wait for it. Returns 0, or -EINVAL
   * for an address that is not a reserved record of this ring.
   */
  commit(addr: number, flags: number, discard: boolean): number {
    const size = this.busy.get(addr);
    if (size === undefined) return code('EINVAL');
    this.busy.delete(addr);
    const dv = this.view();
    const hdr = addr - BPF_RINGBUF_HDR_SZ;
    const off = hdr - this.data;
    const over = off + BPF_RINGBUF_HDR_SZ + size - this.size;
    if (over > 0) this.u8.copyWithin(this.data, this.data + this.size, this.data + this.size + over);
    // The length as reserved (a program may have scribbled on its header), BUSY cleared.
    dv.setUint32(hdr, (size | (discard ? BPF_RINGBUF_DISCARD_BIT : 0)) >>> 0, true);
    if (flags & RingbufFlags.FORCE_WAKEUP || ((this.cons & this.mask) === off && !(flags & RingbufFlags.NO_WAKEUP))) {
      this.wakeups++;
      this.waitq.wakeAll();
    }
    return 0;
  }

  /** bpf_ringbuf_output: reserve, copy `data`, submit; 0, or -EAGAIN when it does not fit. */
  output(data: Uint8Array, flags: number): number {
    const addr = this.reserveRecord(data.length);
    if (addr === 0) return code('EAGAIN');
    this.u8.set(data, addr);
    return this.commit(addr, flags, false);
  }

  // ---- consumer side (user space) ---------------------------------------

  /**
   * Take every committed record, oldest first, as libbpf's
   * ring_buffer__consume does: skip discarded records, stop at the first one
   * still reserved (BUSY), and move consumer_pos past each record taken.
   */
  consume(): Uint8Array[] {
    const out: Uint8Array[] = [];
    const dv = this.view();
    let cons = this.cons;
    while (cons < this.prod) {
      const hdr = this.data + (cons & this.mask);
      const len = dv.getUint32(hdr, true);
      if (len & BPF_RINGBUF_BUSY_BIT) break;
      const size = len & ~BPF_RINGBUF_DISCARD_BIT;
      const next = cons + round8(size + BPF_RINGBUF_HDR_SZ);
      if (next > this.prod) {
        throw new BpfError('EFAULT', `${this.label}: consume: the record at position ${cons} has length ${size}, past the producer position ${this.prod}: the ring was overwritten`);
      }
      if (!(len & BPF_RINGBUF_DISCARD_BIT)) out.push(this.readRecord(hdr + BPF_RINGBUF_HDR_SZ, size));
      cons = next;
      this.setConsumer(cons);
    }
    return out;
  }

  /**
   * Records as they are committed, until `signal` aborts: each turn takes
   * every committed record (consume()), then, when there was none, sleeps
   * until a program's commit wakes it (see commit()) or `pollMs` passes.
   * As with epoll on a ring buffer, a record committed with
   * BPF_RB_NO_WAKEUP while the reader sleeps is seen at the next wakeup.
   */
  records(options: RecordsOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    return this.waitq.drain(() => this.consume(), options);
  }

  private readRecord(addr: number, size: number): Uint8Array {
    const end = addr + size;
    const limit = this.data + this.size;
    if (end <= limit) return this.u8.slice(addr, end);
    // The record wraps: its tail is at the start of the data area.
    const out = new Uint8Array(size);
    const head = Math.max(0, limit - addr);
    out.set(this.u8.subarray(addr, addr + head), 0);
    out.set(this.u8.subarray(this.data + Math.max(0, addr - limit), this.data + (end - limit)), head);
    return out;
  }

  private setConsumer(pos: number): void {
    this.cons = pos;
    setU64(this.dv, this.consumerPage, pos);
  }

  /** Views of the memory, taken again after it grew (growing detaches the old buffer: length 0). */
  private view(): DataView {
    if (this.u8.length === 0) {
      const buf = this.env.space.memory.buffer;
      this.u8 = new Uint8Array(buf);
      this.dv = new DataView(buf);
    }
    return this.dv;
  }

  // ---- bpf(2) element operations: none -----------------------------------

  lookup(): Uint8Array {
    throw this.unsupported('lookup');
  }

  update(): void {
    throw this.unsupported('update');
  }

  delete(): void {
    throw this.unsupported('delete');
  }

  nextKey(): Uint8Array {
    throw this.unsupported('next key');
  }

  lookupElem(): number {
    return 0;
  }

  updateElem(): number {
    return code('ENOTSUPP');
  }

  deleteElem(): number {
    return code('ENOTSUPP');
  }

  memoryUsed(): number {
    return this.bytes;
  }

  private unsupported(op: string): BpfError {
    return this.error(op, 'ENOTSUPP', 'a ring buffer has no elements: programs write records, user space consumes them');
  }
}

/** Store a position (< 2^53) as the u64 it is in Linux, without a BigInt. */
function setU64(dv: DataView, addr: number, n: number): void {
  dv.setUint32(addr, n >>> 0, true);
  dv.setUint32(addr + 4, Math.floor(n / 0x100000000), true);
}

function round8(n: number): number {
  return (n + 7) & ~7;
}

function isPowerOf2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** ringbuf_map_alloc's checks, in its order. */
function checkRingbuf(spec: NormalSpec): NormalSpec {
  checkFlags(spec, MapFlags.NUMA_NODE);
  checkExactly(spec, 'keySize', 0, '(a ring buffer has no keys)');
  checkExactly(spec, 'valueSize', 0, '(a ring buffer has no values)');
  const n = spec.maxEntries;
  need(n <= 0x80000000 && isPowerOf2(n) && n % RINGBUF_PAGE_SIZE === 0, spec, 'EINVAL', `max_entries ${n} (the data size) must be a power of 2 and a multiple of the page size ${RINGBUF_PAGE_SIZE}`);
  need(n <= RINGBUF_MAX_DATA_SZ, spec, 'E2BIG', `max_entries ${n} is more than ${RINGBUF_MAX_DATA_SZ}`);
  return spec;
}

export const RINGBUF: MapKind = { check: checkRingbuf, create: (spec, env) => new RingBufMap(spec, env) };

/** `map` as a ring buffer (its consumer API); EINVAL for another map type. */
export function ringbufOf(map: BpfMap): RingBufMap {
  if (map instanceof RingBufMap) return map;
  throw new BpfError('EINVAL', `map '${map.spec.name}' is not a ring buffer (type ${map.spec.type}, not ${MapType.RINGBUF})`);
}

/**
 * Readers sleeping until a producer wakes them (a kernel wait queue), built on
 * Promises so it runs wherever JavaScript runs.
 */
export class WaitQueue {
  private waiters: Array<() => void> = [];

  /** Resolves at the next wakeAll(), when `signal` aborts, or after `ms` milliseconds. */
  wait(signal?: AbortSignal, ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        if (timer !== undefined) clearTimeout(timer);
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
      if (ms !== undefined) timer = setTimeout(done, ms);
    });
  }

  /**
   * wake_up_all: resolve every waiter's promise. The readers run later, after
   * the program that woke them (as Linux defers the wakeup to irq_work).
   */
  wakeAll(): void {
    const waiters = this.waiters;
    if (waiters.length === 0) return;
    this.waiters = [];
    for (const w of waiters) w();
  }

  get sleeping(): number {
    return this.waiters.length;
  }

  /**
   * The reader loop of ring and perf buffers: yield what `consume` takes,
   * sleep (until a wakeup or `pollMs`) only when it took nothing, stop when
   * `signal` aborts.
   */
  async *drain<T>(consume: () => T[], options: RecordsOptions): AsyncGenerator<T, void, undefined> {
    const { signal, pollMs } = options;
    while (!signal?.aborted) {
      const batch = consume();
      for (const rec of batch) {
        yield rec;
        if (signal?.aborted) return;
      }
      if (batch.length === 0) await this.wait(signal, pollMs);
    }
  }
}
