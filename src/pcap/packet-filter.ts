import { checkSocketFilter } from '../cbpf/check.js';
import { SockFilter } from '../cbpf/instruction.js';
import { execClassic, socketSource } from '../cbpf/interpreter.js';
import { translate } from '../cbpf/translate.js';
import { SK_BUFF_SIZE, SKB } from '../progtypes/sk-buff.js';
import { EngineInstance, createEngine } from '../vm/execute.js';
import { AddressSpace, Region } from '../vm/memory.js';
import { BATCH, JitFilter } from './jit-filter.js';
import { readCapture } from './capture.js';
import { FIRST_RECORD, pcapHeader, recordTable } from './pcap.js';
import { Capture } from './record.js';

/**
 * A classic filter run over captured packets with libpcap's semantics for
 * capture files: loads see the captured bytes (a load past them ends the
 * filter with 0) and `ld len` is the packet's length on the wire, which a
 * cut packet has larger than its captured bytes.
 *
 * The program is translated to eBPF once (cbpf/translate.ts) and runs on the
 * JIT (default; jit-filter.ts) or the eBPF interpreter, in an address space
 * of its own holding one `struct __sk_buff` whose `len` each run sets. A
 * packet is either copied into a reused buffer (`run`), or read where it
 * lies: `select` copies a whole capture file into the memory once and runs
 * each packet in place. 'classic' runs the classic interpreter instead (the
 * reference).
 */
export type PacketEngine = 'jit' | 'interp' | 'classic';

export interface PacketFilterOptions {
  engine?: PacketEngine;
}

/** Room for a packet of tcpdump's largest snapshot length; larger packets get a larger buffer. */
const INITIAL_BUFFER = 262144;

export class PacketFilter {
  readonly prog: readonly SockFilter[];
  readonly engine: PacketEngine;
  private readonly space = new AddressSpace();
  private readonly ctx: number;
  private readonly jit: JitFilter | undefined;
  private readonly vm: EngineInstance | undefined;
  private buf: number;
  private capacity: number;
  /** where an attached capture file lies in the memory, and its bytes outside it */
  private file: { at: number; bytes: Uint8Array } | undefined;
  private u8: Uint8Array;
  private u32: Uint32Array;
  private readonly args: bigint[];
  private readonly regions: Region[];
  private readonly packet: Region = { start: 0, end: 0, writable: false, name: 'packet' };

  constructor(prog: readonly SockFilter[], options: PacketFilterOptions = {}) {
    checkSocketFilter(prog);
    this.prog = prog;
    this.engine = options.engine ?? 'jit';
    this.ctx = this.space.alloc(SK_BUFF_SIZE);
    this.capacity = INITIAL_BUFFER;
    this.buf = this.space.alloc(this.capacity);
    if (this.engine !== 'classic') {
      const insns = translate(prog);
      if (this.engine === 'jit' && JitFilter.usable(insns)) this.jit = new JitFilter(insns, this.space, this.ctx);
      else this.vm = createEngine(this.engine, insns, { space: this.space });
    }
    this.u8 = this.space.bytes;
    this.u32 = new Uint32Array(this.space.memory.buffer);
    this.args = [BigInt(this.ctx)];
    this.regions = [{ start: this.ctx, end: this.ctx + SK_BUFF_SIZE, writable: false, name: 'ctx (struct __sk_buff)' }];
  }

  /** Bytes to keep of a packet (0: the filter rejects it), given its captured bytes and its length on the wire. */
  run(data: Uint8Array, wireLen: number): number {
    if (data.length > this.capacity) {
      this.capacity = data.length;
      this.buf = this.alloc(data.length);
    }
    this.u8.set(data, this.buf);
    return this.runAt(this.buf, data.length, wireLen);
  }

  /**
   * Copy a capture file's bytes into the filter's memory, so that packets
   * read from it (their `data` a view of `file`) run in place.
   */
  attach(file: Uint8Array): void {
    if (this.file?.bytes === file) return;
    // bytes handed out by fileBuffer (perhaps a part of them) are in place already
    if (this.file && file.buffer === this.u8.buffer && file.byteOffset === this.file.at) {
      this.file = { at: this.file.at, bytes: file };
      return;
    }
    const at = this.file && this.file.bytes.length >= file.length ? this.file.at : this.alloc(file.length);
    this.u8.set(file, at);
    this.file = { at, bytes: file };
  }

  /** `run` for a packet at `offset` of the attached file. */
  runAttached(offset: number, caplen: number, wireLen: number): number {
    return this.runAt(this.file!.at + offset, caplen, wireLen);
  }

  /**
   * Indices of the packets of a capture that the filter accepts. The file is
   * copied into the filter's memory once and the packets run where they lie
   * (on the JIT, in batches); packets not read from it are copied one by one.
   */
  select(capture: Pick<Capture, 'bytes' | 'packets'>): number[] {
    this.attach(capture.bytes);
    const keep: number[] = [];
    const packets = capture.packets;
    if (this.jit && packets.every((p) => p.offset !== undefined)) {
      let pending = 0;
      const flush = (next: number): void => {
        this.jit!.filterBatch(pending);
        const v = this.jit!.verdicts;
        for (let i = 0; i < pending; i++) if (v[i] !== 0) keep.push(next - pending + i);
        pending = 0;
      };
      packets.forEach((p, i) => {
        this.describe(pending++, p.offset!, p.data.length, p.len);
        if (pending === BATCH) flush(i + 1);
      });
      flush(packets.length);
      return keep;
    }
    packets.forEach((p, i) => {
      if ((p.offset !== undefined ? this.runAttached(p.offset, p.data.length, p.len) : this.run(p.data, p.len)) !== 0) keep.push(i);
    });
    return keep;
  }

  /**
   * Indices of the packets of a capture file that the filter accepts,
   * without building a record per packet for a classic pcap file (the
   * records are scanned straight into the JIT's batches).
   */
  selectFile(bytes: Uint8Array): number[] {
    const header = pcapHeader(bytes);
    if (!header || !this.jit) return this.select(readCapture(bytes));
    this.attach(bytes);
    const base = this.file!.at;
    const end = base + bytes.length;
    const keep: number[] = [];
    let seen = 0;
    for (let at = base + FIRST_RECORD; at < end; ) {
      const { count, next } = this.jit.filterRecords(at, end, header.byteOrder === 'big');
      const v = this.jit.verdicts;
      for (let i = 0; i < count; i++) if (v[i] !== 0) keep.push(seen + i);
      seen += count;
      // A damaged record stops the scan: the JavaScript reader says what is wrong, and where.
      if (count === 0) recordTable(bytes, header, next - base, 1, new Uint32Array(3), 0);
      at = next;
    }
    return keep;
  }

  /**
   * Room in the filter's memory for a capture file of `size` bytes: read the
   * file into it (with fs.readSync, say) and `select`/`selectFile` use it
   * where it is, with no copy.
   */
  fileBuffer(size: number): Uint8Array {
    const at = this.file && this.file.bytes.length >= size ? this.file.at : this.alloc(size);
    const bytes = this.u8.subarray(at, at + size);
    this.file = { at, bytes };
    return bytes;
  }

  /** Batch entry i: the packet at `offset` of the attached file. */
  private describe(i: number, offset: number, caplen: number, len: number): void {
    const d = this.jit!.descriptors;
    d[3 * i] = this.file!.at + offset;
    d[3 * i + 1] = caplen;
    d[3 * i + 2] = len;
  }

  private runAt(start: number, length: number, wireLen: number): number {
    if (this.jit) return this.jit.filter(start, length, wireLen);
    if (!this.vm) return execClassic(this.prog, socketSource(this.u8.subarray(start, start + length), { len: wireLen }));
    this.u32[(this.ctx + SKB.len!) / 4] = wireLen;
    this.packet.start = start;
    this.packet.end = start + length;
    return Number(this.vm.run(this.args, this.regions, { packet: this.packet }) & 0xffffffffn);
  }

  /** Reserve memory; growing it detaches the old views, so they are taken again. */
  private alloc(size: number): number {
    const at = this.space.alloc(size);
    this.u8 = this.space.bytes;
    this.u32 = new Uint32Array(this.space.memory.buffer);
    this.jit?.refresh();
    return at;
  }
}
