import { BpfError } from '../errno.js';

/** WebAssembly page size; the first page is never mapped, so address 0 is never valid. */
export const PAGE_SIZE = 65536;

/** A range of the address space that a run may touch: [start, end). */
export interface Region {
  start: number;
  end: number;
  writable: boolean;
  /** what the region holds, for error messages: "stack", "mem", "map value" … */
  name: string;
}

/** the 32-bit space less its last page */
const MAX_BYTES = 2 ** 32 - PAGE_SIZE;

export interface AddressSpaceOptions {
  /** upper bound on the memory, in bytes (default 1 GiB; at most 4 GiB less a page: address 0xffffffff is never mapped, the JIT's numeric helper calls rely on it) */
  maxBytes?: number;
}

/**
 * The one address space of a Runtime (DESIGN decision 2): a WebAssembly.Memory
 * holding every byte a program can see. Addresses are byte offsets into it, so
 * the interpreter and the JIT share them.
 */
export class AddressSpace {
  readonly memory: WebAssembly.Memory;
  private readonly maxBytes: number;
  private top = PAGE_SIZE;
  private view = new Uint8Array(0);
  /** blocks given back (free), by size: an alloc of that size takes one before growing the space */
  private readonly freed = new Map<number, number[]>();

  constructor(options: AddressSpaceOptions = {}) {
    this.maxBytes = Math.min(options.maxBytes ?? 1 << 30, MAX_BYTES);
    const maximum = Math.ceil(this.maxBytes / PAGE_SIZE);
    this.memory = new WebAssembly.Memory({ initial: 2, maximum });
  }

  /** A view of the whole memory; take a new one after any allocation (growth detaches the old buffer). */
  get bytes(): Uint8Array {
    // growth detaches the old buffer and empties its views; the memory is never empty (2 pages at least)
    if (this.view.length === 0) this.view = new Uint8Array(this.memory.buffer);
    return this.view;
  }

  /** Reserve `size` zeroed bytes aligned to `align`; ENOMEM past the limit. */
  alloc(size: number, align = 8): number {
    const reused = this.reuse(size, align);
    if (reused !== undefined) return reused;
    const start = Math.ceil(this.top / align) * align;
    const end = start + size;
    if (end > this.maxBytes) {
      throw new BpfError('ENOMEM', `address space exhausted: ${size} bytes requested, ${this.maxBytes - start} left of ${this.maxBytes}`);
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE_SIZE));
    this.top = end;
    this.bytes.fill(0, start, end);
    return start;
  }

  /**
   * Give back `size` bytes at `start` (from alloc, or a region from map):
   * a later alloc of the same size may return them. Engines, handlers and
   * filters give back their stacks and records when they are done, so a
   * service that attaches and detaches programs for hours does not grow
   * its memory (the blocks are a few fixed sizes).
   */
  free(start: number, size: number): void {
    const list = this.freed.get(size);
    if (!list) this.freed.set(size, [start]);
    else if (!list.includes(start)) list.push(start); // given back twice (a writer disposed by its owner and again by hand), it must still be handed out once
  }

  /** The last freed block of `size` bytes aligned to `align`, zeroed, or undefined. */
  private reuse(size: number, align: number): number | undefined {
    const list = this.freed.get(size);
    let k = list ? list.length - 1 : -1;
    while (k >= 0 && list![k]! % align !== 0) k--;
    if (k < 0) return undefined;
    const [start] = list!.splice(k, 1);
    this.bytes.fill(0, start!, start! + size);
    return start;
  }

  /** Map `data` into a fresh region and return it. */
  map(data: Uint8Array, name: string, writable = true): Region {
    const start = this.alloc(Math.max(data.length, 1));
    this.bytes.set(data, start);
    return { start, end: start + data.length, writable, name };
  }

  /** Give back a region from map (free). */
  unmap(region: Region): void {
    this.free(region.start, Math.max(region.end - region.start, 1));
  }
}

/**
 * The region holding [addr, addr+size), or undefined. `addr` is an unsigned
 * 64-bit address split in halves, so an address past 4 GiB never aliases.
 */
export function findRegion(regions: readonly Region[], lo: number, hi: number, size: number): Region | undefined {
  if (hi !== 0) return undefined;
  const a = lo >>> 0;
  for (let i = 0; i < regions.length; i++) {
    const r = regions[i]!;
    if (a >= r.start && a + size <= r.end) return r;
  }
  return undefined;
}

/**
 * The region holding [base + off, +size) for a read or a write, or the EFAULT
 * both engines report: the pc, the address, and the regions of the run.
 * `lo`/`hi` are the halves of the 64-bit base register. Small, so V8
 * inlines it where helpers check their pointers; the fault is built apart.
 */
export function checkedRegion(regions: readonly Region[], pc: number, lo: number, hi: number, off: number, size: number, write: boolean): Region {
  const a = (lo >>> 0) + off;
  const r = a >= 0 && a < 4294967296 ? findRegion(regions, a | 0, hi, size) : undefined;
  if (r !== undefined && (r.writable || !write)) return r;
  throw regionFault(regions, pc, lo, hi, off, size, write, r);
}

function regionFault(regions: readonly Region[], pc: number, lo: number, hi: number, off: number, size: number, write: boolean, r: Region | undefined): BpfError {
  const a = (lo >>> 0) + off;
  const shown = a >= 0 && a < 4294967296 ? formatAddr(a | 0, hi) : `${formatAddr(lo, hi)}${off < 0 ? '-' : '+'}${Math.abs(off)}`;
  const where = regions.map((x) => `${x.name} [0x${x.start.toString(16)}, 0x${x.end.toString(16)})`).join(', ');
  const what = r ? `the ${r.name} region is read-only` : `outside every region mapped for this run (${where})`;
  return new BpfError('EFAULT', `pc ${pc}: invalid ${write ? 'write' : 'read'} of ${size} byte${size > 1 ? 's' : ''} at ${shown}: ${what}`);
}

export function formatAddr(lo: number, hi: number): string {
  return '0x' + ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16);
}
