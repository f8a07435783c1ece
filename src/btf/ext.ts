import { BpfError } from '../errno.js';
import type { Btf } from './btf.js';
import { CORE_RELO_KINDS, CoreReloKind } from './kinds.js';
import { detectEndianness } from './parse.js';

/**
 * `.BTF.ext`: per ELF section, the BTF FUNC of each function (func_info),
 * the source line of instructions (line_info) and the CO-RE relocations
 * (bpf_core_relo). Records refer to `.BTF` by type id and by string offset,
 * so they are parsed against the object's BTF and come out with their
 * strings resolved.
 *
 * Instruction offsets are as stored in the object: bytes from the start of
 * the ELF section (divide by 8 for an instruction index).
 */
export interface BtfExt {
  funcInfo: ExtSection<FuncInfo>[];
  lineInfo: ExtSection<LineInfo>[];
  coreRelos: ExtSection<CoreRelo>[];
}

export interface ExtSection<R> {
  /** the ELF section the records are about, e.g. `xdp` or `.text` */
  section: string;
  records: R[];
}

export interface FuncInfo {
  insnOff: number;
  /** a BTF FUNC */
  typeId: number;
}

export interface LineInfo {
  insnOff: number;
  fileName: string;
  /** the text of the source line */
  line: string;
  lineNum: number;
  column: number;
}

export interface CoreRelo {
  insnOff: number;
  /** the local type the access starts from */
  typeId: number;
  /** `0:1:2`: the access path, a field/element index per step */
  accessStr: string;
  kind: CoreReloKind;
}

const HEADER_MIN = 24;
const HEADER_WITH_CORE = 32;

export function parseBtfExt(bytes: Uint8Array, btf: Btf, options: { source?: string } = {}): BtfExt {
  const source = options.source ?? '.BTF.ext';
  if (bytes.length < 8) throw new BpfError('EINVAL', `${source}: ${bytes.length} bytes, too short for a header`);
  const le = detectEndianness(bytes, source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hdrLen = view.getUint32(4, le);
  if (bytes[2] !== 1) throw new BpfError('ENOTSUPP', `${source}: Unsupported version ${bytes[2]}`);
  if (bytes[3] !== 0) throw new BpfError('ENOTSUPP', `${source}: Unsupported flags 0x${bytes[3]!.toString(16)}`);
  if (hdrLen < HEADER_MIN || hdrLen > bytes.length) {
    throw new BpfError('EINVAL', `${source}: hdr_len ${hdrLen} is outside [${HEADER_MIN}, ${bytes.length}]`);
  }
  const r = new ExtReader(view, le, hdrLen, btf, source);
  const hasCore = hdrLen >= HEADER_WITH_CORE;
  return {
    funcInfo: r.sections('func_info', 8, 8, (at) => r.funcInfo(at)),
    lineInfo: r.sections('line_info', 16, 16, (at) => r.lineInfo(at)),
    coreRelos: hasCore ? r.sections('core_relo', 24, 16, (at) => r.coreRelo(at)) : [],
  };
}

class ExtReader {
  private where = '';

  constructor(
    private readonly view: DataView,
    private readonly le: boolean,
    private readonly hdrLen: number,
    private readonly btf: Btf,
    private readonly source: string,
  ) {}

  private u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }

  private fail(msg: string): BpfError {
    return new BpfError('EINVAL', `${this.source}: ${this.where}: ${msg}`);
  }

  /**
   * One info block: located by the header word at `hdrAt` (offset, length
   * after the header); a record size, then per ELF section its name, record
   * count and records.
   */
  sections<R>(what: string, hdrAt: number, minRecord: number, read: (at: number) => R): ExtSection<R>[] {
    this.where = what;
    const off = this.u32(hdrAt);
    const len = this.u32(hdrAt + 4);
    if (len === 0) return [];
    if (off % 4 !== 0) throw this.fail(`offset ${off} is not aligned to 4 bytes`);
    const start = this.hdrLen + off;
    const end = start + len;
    if (end > this.view.byteLength) throw this.fail(`[${start}, ${end}) runs past the ${this.view.byteLength}-byte .BTF.ext`);
    if (len < 4) throw this.fail('no record size');
    const recordSize = this.u32(start);
    if (recordSize < minRecord || recordSize % 4 !== 0) throw this.fail(`bad record size ${recordSize} (at least ${minRecord}, a multiple of 4)`);
    const out: ExtSection<R>[] = [];
    for (let at = start + 4; at < end;) {
      this.where = what;
      if (end - at < 8) throw this.fail(`section header at byte ${at} is truncated`);
      const section = this.string(this.u32(at), 'section name');
      const count = this.u32(at + 4);
      this.where = `${what} of section '${section}'`;
      if (count === 0) throw this.fail('section has no records');
      if ((end - at - 8) / recordSize < count) throw this.fail(`${count} records of ${recordSize} bytes run past the end of ${what}`);
      const records = new Array<R>(count);
      for (let i = 0; i < count; i++) records[i] = read(at + 8 + i * recordSize);
      out.push({ section, records });
      at += 8 + count * recordSize;
    }
    return out;
  }

  private string(offset: number, what: string): string {
    const s = this.btf.str(offset);
    if (s === undefined) throw this.fail(`${what} offset ${offset} is outside the .BTF string section`);
    return s;
  }

  private typeId(id: number): number {
    if (id >= this.btf.types.length) throw this.fail(`type id ${id} is outside .BTF (ids go up to ${this.btf.types.length - 1})`);
    return id;
  }

  funcInfo(at: number): FuncInfo {
    return { insnOff: this.u32(at), typeId: this.typeId(this.u32(at + 4)) };
  }

  lineInfo(at: number): LineInfo {
    const lineCol = this.u32(at + 12);
    return {
      insnOff: this.u32(at),
      fileName: this.string(this.u32(at + 4), 'file name'),
      line: this.string(this.u32(at + 8), 'line text'),
      lineNum: lineCol >>> 10,
      column: lineCol & 0x3ff,
    };
  }

  coreRelo(at: number): CoreRelo {
    const kindNumber = this.u32(at + 12);
    const kind = CORE_RELO_KINDS[kindNumber];
    if (kind === undefined) throw this.fail(`unknown CO-RE relocation kind ${kindNumber} at byte ${at}`);
    return {
      insnOff: this.u32(at),
      typeId: this.typeId(this.u32(at + 4)),
      accessStr: this.string(this.u32(at + 8), 'access string'),
      kind,
    };
  }
}
