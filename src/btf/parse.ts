import { BpfError, ErrnoName } from '../errno.js';
import { Btf } from './btf.js';
import { describeType } from './describe.js';
import {
  BTF_HEADER_SIZE, BTF_INFO_MASK, BTF_KIND_MAX, BTF_MAGIC, BTF_MAX_NAME_OFFSET, BTF_MAX_TYPE, BTF_TYPE_SIZE,
  BTF_VERSION, IntEncoding, KIND_NAMES, LINKAGES, Linkage,
} from './kinds.js';
import { StringTable } from './strings.js';
import { BtfType, Member, VOID, referencedIds } from './types.js';

/**
 * Reading `.BTF` bytes into a {@link Btf}. This checks what must hold for the
 * bytes to mean anything — the header and section layout the kernel's
 * btf_parse_hdr/btf_check_sec_info demand, every type record complete, kinds
 * known, string offsets and type ids in range, no bits set that the format
 * leaves unused — so that everything built on the result can trust it.
 * The kernel's semantic rules (names, sizes, member layout, loops) are
 * checkBtf's (check.ts): objects fresh from clang break some of them until
 * the loader fixes them up, and bpftool still dumps them.
 */

export interface ParseOptions {
  /** the base BTF of a split BTF (vmlinux for a kernel module's BTF) */
  base?: Btf;
  /** what to call the blob in messages (default `.BTF`) */
  source?: string;
}

interface Header {
  littleEndian: boolean;
  hdrLen: number;
  typeOff: number;
  typeLen: number;
  strOff: number;
  strLen: number;
}

export function parseBtf(bytes: Uint8Array, options: ParseOptions = {}): Btf {
  const source = options.source ?? '.BTF';
  const hdr = parseHeader(bytes, source, options.base !== undefined);
  const data = bytes.subarray(hdr.hdrLen);
  const strings = new StringTable(data.subarray(hdr.strOff, hdr.strOff + hdr.strLen), options.base?.strings);
  const types: BtfType[] = options.base ? options.base.types.slice() : [VOID];
  const reader = new TypeReader(data.subarray(hdr.typeOff, hdr.typeOff + hdr.typeLen), hdr.littleEndian, strings, types, source);
  reader.readAll();
  const btf = new Btf(types, strings, { base: options.base, littleEndian: hdr.littleEndian });
  if (reader.maxRef >= types.length) throw badTypeId(btf, source);
  return btf;
}

/** Byte order of a BTF (or BTF.ext) blob from its magic; both orders are accepted, as libbpf does. */
export function detectEndianness(bytes: Uint8Array, source: string): boolean {
  if (bytes.length < 2) throw new BpfError('EINVAL', `${source}: ${bytes.length} bytes, too short for a magic number`);
  const le = bytes[0]! | (bytes[1]! << 8);
  if (le === BTF_MAGIC) return true;
  if (((bytes[0]! << 8) | bytes[1]!) === BTF_MAGIC) return false;
  throw new BpfError('EINVAL', `${source}: Invalid magic 0x${le.toString(16).padStart(4, '0')} (expected 0x${BTF_MAGIC.toString(16)} in either byte order)`);
}

function parseHeader(bytes: Uint8Array, source: string, split: boolean): Header {
  const fail = (msg: string, errno: ErrnoName = 'EINVAL'): BpfError => new BpfError(errno, `${source}: header: ${msg}`);
  if (bytes.length < 8) throw fail(`hdr_len not found (${bytes.length} bytes)`);
  const littleEndian = detectEndianness(bytes, source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hdrLen = view.getUint32(4, littleEndian);
  if (hdrLen > bytes.length) throw fail(`btf_header not found: hdr_len ${hdrLen} > ${bytes.length} bytes`);
  if (hdrLen < BTF_HEADER_SIZE) throw fail(`hdr_len ${hdrLen} is shorter than the ${BTF_HEADER_SIZE}-byte btf_header`);
  for (let i = BTF_HEADER_SIZE; i < hdrLen; i++) {
    if (bytes[i] !== 0) throw fail(`Unsupported btf_header: non-zero byte at offset ${i} past the known fields`, 'E2BIG');
  }
  if (bytes[2] !== BTF_VERSION) throw fail(`Unsupported version ${bytes[2]}`, 'ENOTSUPP');
  if (bytes[3] !== 0) throw fail(`Unsupported flags 0x${bytes[3]!.toString(16)}`, 'ENOTSUPP');
  if (!split && bytes.length === hdrLen) throw fail('No data');
  const u32 = (at: number): number => view.getUint32(at, littleEndian);
  const hdr = { littleEndian, hdrLen, typeOff: u32(8), typeLen: u32(12), strOff: u32(16), strLen: u32(20) };
  checkSections(hdr, bytes.length - hdrLen, fail);
  checkStringSection(hdr, bytes, split, fail);
  if (hdr.typeOff % 4 !== 0) throw fail(`Unaligned type_off ${hdr.typeOff}`);
  if (!split && hdr.typeLen === 0) throw fail('No type found');
  return hdr;
}

/** The type and string sections tile the data after the header: no gap, no overlap, nothing else. */
function checkSections(hdr: Header, dataLen: number, fail: (msg: string) => BpfError): void {
  const secs = [
    { name: 'type', off: hdr.typeOff, len: hdr.typeLen },
    { name: 'string', off: hdr.strOff, len: hdr.strLen },
  ].sort((a, b) => a.off - b.off || a.len - b.len);
  let total = 0;
  for (const s of secs) {
    const where = `${s.name} section [${s.off}, +${s.len})`;
    if (s.off > dataLen) throw fail(`Invalid section offset: ${where} starts past the ${dataLen} bytes after the header`);
    if (s.off > total) throw fail(`Unsupported section found: gap before the ${where}`);
    if (s.off < total) throw fail(`Section overlap found: ${where} overlaps the section before it`);
    if (dataLen - total < s.len) throw fail(`Total section length too long: ${where} ends past the ${dataLen} bytes after the header`);
    total += s.len;
  }
  if (total !== dataLen) throw fail(`Unsupported section found: ${dataLen - total} bytes after the last section`);
}

function checkStringSection(hdr: Header, bytes: Uint8Array, split: boolean, fail: (msg: string) => BpfError): void {
  const start = hdr.hdrLen + hdr.strOff;
  const end = start + hdr.strLen;
  if (end !== bytes.length) throw fail('String section is not at the end');
  if (split && hdr.strLen === 0) return;
  if (hdr.strLen === 0) throw fail('Invalid string section: empty');
  if (hdr.strLen - 1 > BTF_MAX_NAME_OFFSET) throw fail(`Invalid string section: ${hdr.strLen} bytes, more than offsets can address`);
  if (bytes[end - 1] !== 0) throw fail('Invalid string section: the last string is not NUL-terminated');
  if (!split && bytes[start] !== 0) throw fail('Invalid string section: it must start with the empty string');
}

/** One pass over the type section; ids count from `startId`. */
class TypeReader {
  /** the largest type id any record refers to */
  maxRef = 0;
  private readonly view: DataView;
  private off = 0;
  private id: number;
  private info = 0;

  constructor(
    private readonly sec: Uint8Array,
    private readonly le: boolean,
    private readonly strings: StringTable,
    private readonly types: BtfType[],
    private readonly source: string,
  ) {
    this.view = new DataView(sec.buffer, sec.byteOffset, sec.byteLength);
    this.id = types.length;
  }

  /** Appends each type to `types`, its id being its index. */
  readAll(): void {
    while (this.off < this.sec.length) {
      if (this.id > BTF_MAX_TYPE) throw this.fail(`Exceeded max num of types (${BTF_MAX_TYPE})`, 'E2BIG');
      this.types.push(this.readType());
      this.id++;
    }
  }

  /** A type id read from the record at `at`; ids are checked against the final count afterwards. */
  private ref(at: number): number {
    const id = this.u32(at);
    if (id > this.maxRef) this.maxRef = id;
    return id;
  }

  private u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }

  private fail(msg: string, errno: ErrnoName = 'EINVAL'): BpfError {
    return new BpfError(errno, `${this.source}: [${this.id}] at byte ${this.off} of the type section: ${msg}`);
  }

  private need(bytes: number): void {
    const left = this.sec.length - this.off;
    if (left < bytes) throw this.fail(`meta_left:${left} meta_needed:${bytes} (the record runs past the end of the type section)`);
  }

  /** A name; `part` and `index` name the part of the record holding the offset (`member #2`), for the message. */
  private str(offset: number, part = '', index = 0): string {
    const s = this.strings.at(offset);
    if (s === undefined) {
      throw this.fail(`Invalid ${part ? `${part} #${index} ` : ''}name_offset:${offset} (the string section ends at ${this.strings.end})`);
    }
    return s;
  }

  /** The name whose offset is the word at `at`. */
  private name(at: number, part: string, index: number): string {
    const offset = this.u32(at);
    const name = this.str(offset, part, index);
    this.notEmptyAt(offset, name, part, index);
    return name;
  }

  private readType(): BtfType {
    this.need(BTF_TYPE_SIZE);
    this.info = this.u32(this.off + 4);
    if ((this.info & ~BTF_INFO_MASK) !== 0) throw this.fail(`Invalid btf_info:${(this.info >>> 0).toString(16)}`);
    const kind = (this.info >>> 24) & 0x1f;
    if (kind === 0 || kind > BTF_KIND_MAX) throw this.fail(`Invalid kind:${kind}`);
    const nameOff = this.u32(this.off);
    const name = this.str(nameOff);
    // The kernel checks no INT or FLOAT name; every other name check rejects a non-zero offset to "".
    if (kind !== 1 && kind !== 16) this.notEmptyAt(nameOff, name, '');
    return this.readBody(kind, name, this.u32(this.off + 8), this.off + BTF_TYPE_SIZE);
  }

  /**
   * Anonymous is name_off 0. A non-zero offset that lands on an empty string
   * is rejected by the kernel wherever it checks the name, and the model
   * could not tell it from anonymous: refuse it here.
   */
  private notEmptyAt(offset: number, name: string, part: string, index = 0): void {
    if (offset !== 0 && name === '') throw this.fail(`Invalid ${part ? `${part} #${index} ` : ''}name: name_off ${offset} points at an empty string`);
  }

  private get vlen(): number {
    return this.info & 0xffff;
  }

  private get kflag(): boolean {
    return this.info >>> 31 === 1;
  }

  /** The kernel rejects vlen or kind_flag on kinds that give them no meaning; the model has no place for them either. */
  private unused(vlen: boolean, kflag: boolean): void {
    if (vlen && this.vlen !== 0) throw this.fail(`${this.kindLabel()}: vlen != 0`);
    if (kflag && this.kflag) throw this.fail(`${this.kindLabel()}: Invalid btf_info kind_flag`);
  }

  private kindLabel(): string {
    return KIND_NAMES[(this.info >>> 24) & 0x1f]!.toUpperCase();
  }

  /** Decodes the kind-specific part of the record at `body` (`st`: its size/type word) and advances past it. */
  private readBody(kind: number, name: string, st: number, body: number): BtfType {
    switch (kind) {
      case 1: return this.readInt(name, st, body);
      case 2: case 8: case 9: case 10: case 11: {
        this.unused(true, true);
        const k = KIND_NAMES[kind] as 'ptr' | 'typedef' | 'volatile' | 'const' | 'restrict';
        return this.done(body, { kind: k, name, type: this.ref(this.off + 8) });
      }
      case 18:
        this.unused(true, false);
        return this.done(body, { kind: 'type_tag', name, type: this.ref(this.off + 8), attr: this.kflag });
      case 3: return this.readArray(name, st, body);
      case 4: return this.readStruct('struct', name, st, body);
      case 5: return this.readStruct('union', name, st, body);
      case 6: return this.readEnum(name, st, body);
      case 19: return this.readEnum64(name, st, body);
      case 7:
        this.unused(true, false);
        if (st !== 0) throw this.fail('FWD: type != 0');
        return this.done(body, { kind: 'fwd', name, fwdKind: this.kflag ? 'union' : 'struct' });
      case 12:
        this.unused(false, true);
        return this.done(body, { kind: 'func', name, type: this.ref(this.off + 8), linkage: this.linkage(this.vlen, 'FUNC: Invalid func linkage') });
      case 13: return this.readFuncProto(name, body);
      case 14: return this.readVar(name, body);
      case 15: return this.readDatasec(name, st, body);
      case 16:
        this.unused(true, true);
        return this.done(body, { kind: 'float', name, size: st });
      default: return this.readDeclTag(name, body);
    }
  }

  private done<T extends BtfType>(end: number, t: T): T {
    this.off = end;
    return t;
  }

  private linkage(value: number, rule: string): Linkage {
    const l = LINKAGES[value];
    if (l === undefined) throw this.fail(`${rule}: ${value}`);
    return l;
  }

  private readInt(name: string, size: number, body: number): BtfType {
    this.unused(true, true);
    this.need(BTF_TYPE_SIZE + 4);
    const data = this.u32(body);
    if ((data & ~0x0fffffff) !== 0) throw this.fail(`INT: Invalid int_data:${(data >>> 0).toString(16)}`);
    const bits = data & 0xff;
    const bitOffset = (data >>> 16) & 0xff;
    const encoding = INT_ENCODINGS[(data >>> 24) & 0x0f];
    if (encoding === undefined) throw this.fail(`INT: Unsupported encoding ${(data >>> 24) & 0x0f}`, 'ENOTSUPP');
    return this.done(body + 4, { kind: 'int', name, size, bitOffset, bits, encoding });
  }

  private readArray(name: string, size: number, body: number): BtfType {
    this.unused(true, true);
    if (size !== 0) throw this.fail('ARRAY: size != 0');
    this.need(BTF_TYPE_SIZE + 12);
    return this.done(body + 12, { kind: 'array', name, type: this.ref(body), indexType: this.ref(body + 4), nelems: this.u32(body + 8) });
  }

  private readStruct(kind: 'struct' | 'union', name: string, size: number, body: number): BtfType {
    const n = this.vlen;
    this.need(BTF_TYPE_SIZE + 12 * n);
    const kindFlag = this.kflag;
    const members: Member[] = new Array(n);
    for (let i = 0, at = body; i < n; i++, at += 12) {
      const raw = this.u32(at + 8);
      members[i] = {
        name: this.name(at, 'member', i),
        type: this.ref(at + 4),
        bitOffset: kindFlag ? raw & 0xffffff : raw,
        bitfieldSize: kindFlag ? raw >>> 24 : 0,
      };
    }
    return this.done(body + 12 * n, { kind, name, size, kindFlag, members });
  }

  private readEnum(name: string, size: number, body: number): BtfType {
    const n = this.vlen;
    this.need(BTF_TYPE_SIZE + 8 * n);
    const signed = this.kflag;
    const values = new Array(n);
    for (let i = 0, at = body; i < n; i++, at += 8) {
      const value = signed ? this.view.getInt32(at + 4, this.le) : this.u32(at + 4);
      values[i] = { name: this.name(at, 'enumerator', i), value };
    }
    return this.done(body + 8 * n, { kind: 'enum', name, size, signed, values });
  }

  private readEnum64(name: string, size: number, body: number): BtfType {
    const n = this.vlen;
    this.need(BTF_TYPE_SIZE + 12 * n);
    const signed = this.kflag;
    const values = new Array(n);
    for (let i = 0, at = body; i < n; i++, at += 12) {
      const bits = (BigInt(this.u32(at + 8)) << 32n) | BigInt(this.u32(at + 4));
      values[i] = { name: this.name(at, 'enumerator', i), value: signed ? BigInt.asIntN(64, bits) : bits };
    }
    return this.done(body + 12 * n, { kind: 'enum64', name, size, signed, values });
  }

  private readFuncProto(name: string, body: number): BtfType {
    this.unused(false, true);
    const n = this.vlen;
    this.need(BTF_TYPE_SIZE + 8 * n);
    const returnType = this.ref(this.off + 8);
    const params = new Array(n);
    for (let i = 0, at = body; i < n; i++, at += 8) {
      params[i] = { name: this.name(at, 'param', i), type: this.ref(at + 4) };
    }
    return this.done(body + 8 * n, { kind: 'func_proto', name, returnType, params });
  }

  private readVar(name: string, body: number): BtfType {
    this.unused(true, true);
    this.need(BTF_TYPE_SIZE + 4);
    const type = this.ref(this.off + 8);
    return this.done(body + 4, { kind: 'var', name, type, linkage: this.linkage(this.u32(body), 'VAR: Linkage not supported') });
  }

  private readDatasec(name: string, size: number, body: number): BtfType {
    this.unused(false, true);
    const n = this.vlen;
    this.need(BTF_TYPE_SIZE + 12 * n);
    const vars = new Array(n);
    for (let i = 0, at = body; i < n; i++, at += 12) {
      vars[i] = { type: this.ref(at), offset: this.u32(at + 4), size: this.u32(at + 8) };
    }
    return this.done(body + 12 * n, { kind: 'datasec', name, size, vars });
  }

  private readDeclTag(name: string, body: number): BtfType {
    this.unused(true, false);
    this.need(BTF_TYPE_SIZE + 4);
    const type = this.ref(this.off + 8);
    return this.done(body + 4, { kind: 'decl_tag', name, type, componentIdx: this.view.getInt32(body, this.le), attr: this.kflag });
  }
}

const INT_ENCODINGS: readonly (IntEncoding | undefined)[] = ['none', 'signed', 'char', undefined, 'bool'];

/**
 * Every type id a type refers to must exist (libbpf's btf_validate_id; the
 * kernel's "Invalid type_id"). The reader tracks the largest reference; this
 * finds the first type at fault once that is known to be out of range.
 */
function badTypeId(btf: Btf, source: string): BpfError {
  const count = btf.types.length;
  for (let id = btf.startId; id < count; id++) {
    const t = btf.types[id]!;
    const ref = referencedIds(t).find((r) => r >= count);
    if (ref !== undefined) return new BpfError('EINVAL', `${source}: ${describeType(id, t)}: Invalid type_id ${ref} (type ids go up to ${count - 1})`);
  }
  return new BpfError('EINVAL', `${source}: a type id is out of range`);
}
