import { BpfError } from '../errno.js';

/**
 * A reader for ELF64 relocatable objects, the container clang writes for
 * `-target bpf` / `bpfel` / `bpfeb`. Every field is checked against the file
 * before it is used, so a damaged object yields an error naming the section
 * and byte offset instead of an exception from deep inside a later stage.
 */

export const EM_BPF = 247;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_SYMTAB_SHNDX = 18;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

export const STV_DEFAULT = 0;
export const STV_HIDDEN = 2;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;
const RELA_SIZE = 24;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** The section's bytes (a view into the file); empty for SHT_NOBITS. */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  type: number;
  bind: number;
  visibility: number;
  /** Section index the symbol is defined in (SHN_UNDEF for externs). */
  shndx: number;
}

export interface ElfRelocation {
  /** Byte offset inside the section the relocation applies to. */
  offset: number;
  /** Index into the symbol table. */
  symbol: number;
  type: number;
  addend: number;
}

/** A relocation section together with the section it patches. */
export interface ElfRelocationSection {
  section: ElfSection;
  target: ElfSection;
  entries: ElfRelocation[];
}

export interface ElfFile {
  fileName: string;
  littleEndian: boolean;
  type: number;
  machine: number;
  flags: number;
  sections: ElfSection[];
  symbols: ElfSymbol[];
  relocations: ElfRelocationSection[];
}

/** The first section with this name, if any. */
export function elfSection(elf: ElfFile, name: string): ElfSection | undefined {
  return elf.sections.find((s) => s.name === name);
}

/** A DataView over a section's bytes, in the object's byte order. */
export function sectionView(section: ElfSection): DataView {
  return new DataView(section.data.buffer, section.data.byteOffset, section.data.byteLength);
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Reads fixed-size fields with the file's byte order, refusing anything outside it. */
class Reader {
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array, readonly le: boolean, private readonly fileName: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(what: string): never {
    throw new BpfError('EINVAL', `${this.fileName}: malformed ELF: ${what}`);
  }

  need(offset: number, size: number, what: string): void {
    if (offset + size > this.bytes.length) {
      this.fail(`${what} at offset ${hex(offset)} (${size} bytes) runs past the end of the file (${this.bytes.length} bytes)`);
    }
  }

  u8(offset: number): number {
    return this.view.getUint8(offset);
  }

  u16(offset: number): number {
    return this.view.getUint16(offset, this.le);
  }

  u32(offset: number): number {
    return this.view.getUint32(offset, this.le);
  }

  /** A 64-bit field that must fit a JS number to be meaningful (offsets, sizes). */
  u64(offset: number, what: string): number {
    // Two 32-bit halves: BigInt reads cost more than the whole rest of a relocation entry.
    const hi = this.view.getUint32(offset + (this.le ? 4 : 0), this.le);
    const lo = this.view.getUint32(offset + (this.le ? 0 : 4), this.le);
    if (hi > 0x1fffff) this.fail(`${what} 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is absurdly large`);
    return hi * 0x100000000 + lo;
  }

  i64(offset: number): number {
    const hi = this.view.getInt32(offset + (this.le ? 4 : 0), this.le);
    const lo = this.view.getUint32(offset + (this.le ? 0 : 4), this.le);
    return hi * 0x100000000 + lo;
  }
}

/** A NUL-terminated name at `offset` inside a string table section. */
function stringAt(r: Reader, table: ElfSection, offset: number, what: string): string {
  if (offset >= table.data.length) {
    if (offset === 0 && table.data.length === 0) return '';
    r.fail(`${what}: name offset ${offset} is outside string table ${table.name || `#${table.index}`} (${table.data.length} bytes)`);
  }
  const end = table.data.indexOf(0, offset);
  if (end < 0) r.fail(`${what}: name at offset ${offset} in ${table.name || `#${table.index}`} is not NUL-terminated`);
  return decodeLatin1(table.data.subarray(offset, end));
}

function decodeLatin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

interface Header {
  type: number;
  machine: number;
  flags: number;
  shoff: number;
  shnum: number;
  shstrndx: number;
}

function readIdent(bytes: Uint8Array, fileName: string): boolean {
  const fail = (what: string): never => {
    throw new BpfError('EINVAL', `${fileName}: not a BPF ELF object: ${what}`);
  };
  if (bytes.length < 16) fail(`file is ${bytes.length} bytes, shorter than an ELF identification`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) fail('no ELF magic (\\x7fELF) at offset 0');
  if (bytes[4] !== 2) fail(`ELF class ${bytes[4]} at offset 0x4; BPF objects are ELF64 (class 2)`);
  if (bytes[5] !== 1 && bytes[5] !== 2) fail(`data encoding ${bytes[5]} at offset 0x5 is neither little (1) nor big (2) endian`);
  if (bytes[6] !== 1) fail(`ELF version ${bytes[6]} at offset 0x6; expected 1`);
  return bytes[5] === 1;
}

function readHeader(r: Reader): Header {
  r.need(0, EHDR_SIZE, 'ELF header');
  const shentsize = r.u16(58);
  const shoff = r.u64(40, 'section header offset e_shoff');
  let shnum = r.u16(60);
  let shstrndx = r.u16(62);
  if (shoff === 0) r.fail('no section header table (e_shoff is 0)');
  if (shentsize !== SHDR_SIZE) r.fail(`section header size e_shentsize is ${shentsize} at offset 0x3a; expected ${SHDR_SIZE}`);
  r.need(shoff, SHDR_SIZE, 'section header 0');
  // Extended numbering: the real counts live in section 0 when they overflow 16 bits.
  if (shnum === 0) shnum = r.u64(shoff + 32, 'section count in section 0');
  if (shstrndx === SHN_XINDEX) shstrndx = r.u32(shoff + 40);
  if (shnum > (r.bytes.length - shoff) / SHDR_SIZE) {
    r.fail(`section header table at ${hex(shoff)} with ${shnum} entries runs past the end of the file (${r.bytes.length} bytes)`);
  }
  if (shstrndx === SHN_UNDEF || shstrndx >= shnum) r.fail(`section name table index e_shstrndx ${shstrndx} is not one of the ${shnum} sections`);
  return { type: r.u16(16), machine: r.u16(18), flags: r.u32(48), shoff, shnum, shstrndx };
}

function readSectionHeader(r: Reader, shoff: number, index: number): ElfSection {
  const at = shoff + index * SHDR_SIZE;
  const what = (field: string): string => `section ${index}: ${field}`;
  const s: ElfSection = {
    index,
    name: '',
    type: r.u32(at + 4),
    flags: r.u64(at + 8, what('sh_flags')),
    addr: r.u64(at + 16, what('sh_addr')),
    offset: r.u64(at + 24, what('sh_offset')),
    size: r.u64(at + 32, what('sh_size')),
    link: r.u32(at + 40),
    info: r.u32(at + 44),
    addralign: r.u64(at + 48, what('sh_addralign')),
    entsize: r.u64(at + 56, what('sh_entsize')),
    data: new Uint8Array(0),
  };
  if (s.type !== SHT_NOBITS && s.type !== SHT_NULL) {
    if (s.offset + s.size > r.bytes.length) {
      r.fail(`section ${index}: contents at offset ${hex(s.offset)}, size ${s.size}, run past the end of the file (${r.bytes.length} bytes)`);
    }
    s.data = r.bytes.subarray(s.offset, s.offset + s.size);
  }
  return s;
}

function label(s: ElfSection): string {
  return s.name ? `section ${s.index} (${s.name})` : `section ${s.index}`;
}

/** Section contents must not overlap each other or the headers: a sign of a forged file. */
function checkOverlaps(r: Reader, sections: ElfSection[], h: Header): void {
  const spans = sections
    .filter((s) => s.data.length > 0)
    .map((s) => ({ start: s.offset, end: s.offset + s.size, what: label(s) }));
  spans.push({ start: 0, end: EHDR_SIZE, what: 'the ELF header' });
  spans.push({ start: h.shoff, end: h.shoff + h.shnum * SHDR_SIZE, what: 'the section header table' });
  spans.sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1];
    const cur = spans[i];
    if (cur.start < prev.end) {
      r.fail(`${cur.what} at offset ${hex(cur.start)} overlaps ${prev.what} (${hex(prev.start)}..${hex(prev.end)})`);
    }
  }
}

function nameSections(r: Reader, sections: ElfSection[], h: Header): void {
  const names = sections[h.shstrndx];
  if (names.type !== SHT_STRTAB) r.fail(`section name table (section ${h.shstrndx}) has type ${names.type}, not SHT_STRTAB`);
  for (let i = 0; i < sections.length; i++) {
    sections[i].name = stringAt(r, names, r.u32(h.shoff + i * SHDR_SIZE), `section ${i}`);
  }
}

function symbolIndexes(r: Reader, sections: ElfSection[], symtab: ElfSection): Uint32Array | undefined {
  const ext = sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === symtab.index);
  if (!ext) return undefined;
  if (ext.size % 4 !== 0) r.fail(`${label(ext)}: size ${ext.size} is not a multiple of 4`);
  const view = sectionView(ext);
  return Uint32Array.from({ length: ext.size / 4 }, (_, i) => view.getUint32(i * 4, r.le));
}

function readSymbols(r: Reader, sections: ElfSection[]): ElfSymbol[] {
  const tables = sections.filter((s) => s.type === SHT_SYMTAB);
  if (tables.length === 0) return [];
  if (tables.length > 1) r.fail(`${label(tables[1])}: a second symbol table (the first is ${label(tables[0])})`);
  const symtab = tables[0];
  if (symtab.entsize !== SYM_SIZE) r.fail(`${label(symtab)}: entry size ${symtab.entsize}; expected ${SYM_SIZE}`);
  if (symtab.size % SYM_SIZE !== 0) r.fail(`${label(symtab)}: size ${symtab.size} is not a multiple of ${SYM_SIZE}`);
  const strtab = sections[symtab.link];
  if (!strtab || strtab.type !== SHT_STRTAB) r.fail(`${label(symtab)}: sh_link ${symtab.link} is not a string table`);
  const xindex = symbolIndexes(r, sections, symtab);
  const count = symtab.size / SYM_SIZE;
  const symbols: ElfSymbol[] = [];
  for (let i = 0; i < count; i++) {
    const at = symtab.offset + i * SYM_SIZE;
    const info = r.u8(at + 4);
    let shndx = r.u16(at + 6);
    if (shndx === SHN_XINDEX) {
      if (!xindex || i >= xindex.length) r.fail(`${label(symtab)}: symbol ${i} uses SHN_XINDEX but there is no SHT_SYMTAB_SHNDX entry for it`);
      shndx = xindex[i];
    }
    const reserved = shndx >= SHN_LORESERVE && !xindex;
    if (!reserved && shndx >= sections.length) {
      r.fail(`${label(symtab)}: symbol ${i} at offset ${hex(at)} refers to section ${shndx}, but there are ${sections.length}`);
    }
    symbols.push({
      index: i,
      name: stringAt(r, strtab, r.u32(at), `${label(symtab)}: symbol ${i}`),
      value: r.u64(at + 8, `${label(symtab)}: symbol ${i} st_value`),
      size: r.u64(at + 16, `${label(symtab)}: symbol ${i} st_size`),
      type: info & 0xf,
      bind: info >> 4,
      visibility: r.u8(at + 5) & 0x3,
      shndx,
    });
  }
  return symbols;
}

function readRelocations(r: Reader, sections: ElfSection[], symbolCount: number): ElfRelocationSection[] {
  const result: ElfRelocationSection[] = [];
  for (const s of sections) {
    if (s.type !== SHT_REL && s.type !== SHT_RELA) continue;
    const size = s.type === SHT_REL ? REL_SIZE : RELA_SIZE;
    if (s.size % size !== 0) r.fail(`${label(s)}: size ${s.size} is not a multiple of the ${size}-byte relocation entry`);
    if (s.entsize !== 0 && s.entsize !== size) r.fail(`${label(s)}: entry size ${s.entsize}; expected ${size}`);
    const symtab = sections[s.link];
    if (symbolCount > 0 && (!symtab || symtab.type !== SHT_SYMTAB)) r.fail(`${label(s)}: sh_link ${s.link} is not the symbol table`);
    const target = sections[s.info];
    if (!target || s.info === 0) r.fail(`${label(s)}: sh_info ${s.info} names no section to relocate`);
    const entries: ElfRelocation[] = [];
    for (let at = s.offset; at < s.offset + s.size; at += size) {
      const info = r.u32(at + (r.le ? 12 : 8));
      const entry = {
        offset: r.u64(at, `${label(s)}: relocation r_offset`),
        symbol: info,
        type: r.u32(at + (r.le ? 8 : 12)),
        addend: s.type === SHT_RELA ? r.i64(at + 16) : 0,
      };
      if (entry.symbol >= symbolCount) {
        r.fail(`${label(s)}: relocation at offset ${hex(at)} names symbol ${entry.symbol}, but the symbol table has ${symbolCount}`);
      }
      if (entry.offset >= Math.max(target.size, 1) && target.type !== SHT_NOBITS) {
        r.fail(`${label(s)}: relocation at offset ${hex(at)} patches offset ${hex(entry.offset)}, outside ${label(target)} (${target.size} bytes)`);
      }
      entries.push(entry);
    }
    result.push({ section: s, target, entries });
  }
  return result;
}

/**
 * Parses an ELF64 object. Throws BpfError(EINVAL) naming the section and
 * offset of the first thing that does not hold together.
 */
export function parseElf(bytes: Uint8Array, fileName = 'object'): ElfFile {
  const le = readIdent(bytes, fileName);
  const r = new Reader(bytes, le, fileName);
  const h = readHeader(r);
  const sections: ElfSection[] = [];
  for (let i = 0; i < h.shnum; i++) sections.push(readSectionHeader(r, h.shoff, i));
  nameSections(r, sections, h);
  checkOverlaps(r, sections, h);
  const symbols = readSymbols(r, sections);
  const relocations = readRelocations(r, sections, symbols.length);
  return { fileName, littleEndian: le, type: h.type, machine: h.machine, flags: h.flags, sections, symbols, relocations };
}
