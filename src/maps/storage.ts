import { AddressSpace, Region } from '../vm/memory.js';

/**
 * `count` slots of `slotSize` bytes (a multiple of 8), one contiguous 8-byte
 * aligned block of the address space, zeroed. Every read and write takes a
 * fresh view of the memory, since any allocation may grow (and detach) it.
 */
export class SlotStore {
  readonly base: number;
  readonly region: Region;

  constructor(
    private readonly space: AddressSpace,
    readonly count: number,
    readonly slotSize: number,
    name: string,
    writable: boolean,
  ) {
    this.base = space.alloc(count * slotSize, 8);
    this.region = { start: this.base, end: this.base + count * slotSize, writable, name };
  }

  get size(): number {
    return this.count * this.slotSize;
  }

  addr(slot: number, off = 0): number {
    return this.base + slot * this.slotSize + off;
  }

  /** A copy of `len` bytes at `off` in `slot`. */
  read(slot: number, off: number, len: number): Uint8Array {
    const a = this.addr(slot, off);
    return this.space.bytes.slice(a, a + len);
  }

  write(slot: number, off: number, data: Uint8Array): void {
    this.space.bytes.set(data, this.addr(slot, off));
  }

  /** Copy `len` bytes from address `src` into `slot` at `off`. */
  copyIn(slot: number, off: number, src: number, len: number): void {
    this.space.bytes.copyWithin(this.addr(slot, off), src, src + len);
  }

  /** Copy `len` bytes of `slot` at `off` to address `dst`. */
  copyOut(slot: number, off: number, dst: number, len: number): void {
    const a = this.addr(slot, off);
    this.space.bytes.copyWithin(dst, a, a + len);
  }

  clear(slot: number): void {
    const a = this.addr(slot);
    this.space.bytes.fill(0, a, a + this.slotSize);
  }
}
