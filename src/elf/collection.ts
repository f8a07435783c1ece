import { BpfError } from '../errno.js';
import { KMALLOC_MAX_SIZE } from '../maps/limits.js';
import { Insn, decode } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { MapFlags, MapSpec, MapType } from '../maps/map.js';
import type { ProgramSpec } from '../runtime/program.js';
import {
  ElfFile, ElfSection, ElfSymbol, EM_BPF, SHF_ALLOC, SHF_EXECINSTR, SHN_UNDEF, SHT_NOBITS, SHT_PROGBITS, STB_LOCAL, STB_WEAK, STT_FUNC, STT_SECTION,
  elfSection, parseElf, sectionView,
} from './elf.js';
import { InsnRef, ObjectFunction, Placement, SectionRefs, linkProgram } from './link.js';
import { SectionDef, sectionDef } from './section-names.js';
import { Btf } from '../btf/btf.js';
import { parseBtf } from '../btf/parse.js';
import { checkBtf } from '../btf/check.js';
import { fixupDatasecs } from './btf-fixup.js';
import { BtfExt, CoreRelo, ExtSection, FuncInfo, LineInfo, parseBtfExt } from '../btf/ext.js';
import { KconfigOptions, layoutKconfig } from './kconfig.js';
import { BtfMapDef, LIBBPF_PIN_BY_NAME, LIBBPF_PIN_NONE, readBtfMapDef } from './btf-maps.js';

/**
 * What an ELF object built by clang holds, as plain data the user can
 * inspect and change before loading (cilium/ebpf's CollectionSpec): programs
 * linked with their sub-programs, maps from every definition style libbpf
 * knows, and the license. Map references in the programs' `lddw`s are
 * indexes into `maps` (BPF_PSEUDO_MAP_IDX / _IDX_VALUE), bound to map IDs
 * when the collection is loaded.
 */
export interface CollectionSpec {
  /** libbpf's object name: the file's base name up to its first '.' */
  name: string;
  fileName: string;
  littleEndian: boolean;
  license: string;
  /** the `version` section (kernel version for old kprobe programs), 0 when absent */
  version: number;
  maps: CollectionMapSpec[];
  programs: CollectionProgramSpec[];
  /** the object's `.BTF`, when it has one, with DATASEC sizes and offsets filled in as libbpf does */
  btf?: Btf;
  /** what is wrong but not fatal, as libbpf warns (e.g. BTF the kernel would refuse) */
  warnings: string[];
}

/** Where a map's definition came from. */
export type MapOrigin = 'btf' | 'legacy' | 'data' | 'kconfig';

export interface CollectionMapSpec extends MapSpec {
  name: string;
  origin: MapOrigin;
  /** ELF section of the definition (.maps, maps, .data, .rodata.foo, …) */
  section: string;
  /** initial value of element 0 of a global-data map */
  data?: Uint8Array;
  /** frozen once filled, as libbpf freezes .rodata and .kconfig */
  freeze?: boolean;
  /** LIBBPF_PIN_BY_NAME: pinned under its name in the pin directory */
  pinByName?: boolean;
  /** the BTF ids of key and value, when the definition gives types (`__type`) */
  keyType?: number;
  valueType?: number;
  /** map-in-map: the template every inner map must match */
  inner?: CollectionMapSpec;
  /** initial slots of a map-in-map (map names) or program array (program names), set at load */
  values?: { index: number; name: string }[];
}

export interface CollectionProgramSpec extends ProgramSpec {
  name: string;
  section: string;
  /** libbpf's reading of the section name; undefined for names libbpf does not know */
  sectionDef?: SectionDef;
  insns: Insn[];
  license: string;
  /** the object's functions in this program, in order: the entry first, then what it calls */
  functions: { name: string; section: string; at: number; length: number; /** first instruction's index in its section */ start: number }[];
  /** what the loader bound: each relocated instruction and the map, data or function it names */
  relocations: ProgramRelocation[];
  /** source lines from .BTF.ext, by instruction index in the linked program */
  lineInfo: (Omit<LineInfo, 'insnOff'> & { insn: number })[];
  /** the BTF FUNC of each function, by the index of its first instruction */
  funcInfo: (Omit<FuncInfo, 'insnOff'> & { insn: number })[];
  /** CO-RE relocations still to apply against a target BTF */
  coreRelos: (Omit<CoreRelo, 'insnOff'> & { insn: number })[];
}

export interface ProgramRelocation {
  /** instruction index in the linked program */
  insn: number;
  kind: InsnRef['kind'];
  /** the map, or the function, by name */
  target: string;
  /** for 'map-value': the byte offset into the value */
  offset?: number;
}

export interface ReadOptions {
  /** the object's file name, for messages and for libbpf's object name */
  fileName?: string;
  /** values of the object's `.kconfig` externs */
  kconfig?: KconfigOptions;
}

// ELF relocation types of the BPF backend.
const R_BPF_64_64 = 1;
const R_BPF_64_32 = 10;

/** libbpf's object name: the base name of the file, cut at its first '.'. */
export function objectName(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** Reads the programs and maps of a clang-built BPF object. */
export function readCollectionSpec(bytes: Uint8Array, options: ReadOptions = {}): CollectionSpec {
  const fileName = options.fileName ?? 'object.o';
  const elf = parseElf(bytes, fileName);
  if (elf.machine !== EM_BPF) throw new BpfError('EINVAL', `${fileName}: not a BPF object: e_machine is ${elf.machine}, not EM_BPF (${EM_BPF})`);
  const name = objectName(fileName);
  const btf = readBtf(elf);
  const ext = btf && readBtfExt(elf, btf);
  const maps = new MapTable(elf, name, btf, options.kconfig ?? {});
  const license = readLicense(elf);
  const functions = readFunctions(elf);
  const refs = readRefs(elf, maps);
  const programs = functions
    .filter((f) => f.sectionName !== '.text')
    .map((entry) => buildProgram(entry, functions, refs, license, maps.specs, ext));
  const warnings: string[] = [];
  const fixed = btf && checkedBtf(elf, btf, maps, warnings);
  return { name, fileName, littleEndian: elf.littleEndian, license, version: readVersion(elf), maps: maps.specs, programs, btf: fixed, warnings };
}

/** The object's BTF as libbpf would hand it to the kernel, checked as the kernel checks it; a refusal is a warning, as in libbpf. */
function checkedBtf(elf: ElfFile, btf: Btf, maps: MapTable, warnings: string[]): Btf {
  const fixed = fixupDatasecs(btf, elf, maps.externOffsets(), maps.kconfigSize());
  try {
    checkBtf(fixed, { source: `${elf.fileName}: .BTF` });
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    warnings.push(`${e.message} (${e.errno}): Linux would refuse this BTF; libbpf goes on without it`);
  }
  return fixed;
}

function readBtfExt(elf: ElfFile, btf: Btf): BtfExt | undefined {
  const s = elfSection(elf, '.BTF.ext');
  return s && parseBtfExt(s.data, btf, { source: `${elf.fileName}: section .BTF.ext` });
}

function readBtf(elf: ElfFile): Btf | undefined {
  const s = elfSection(elf, '.BTF');
  return s && parseBtf(s.data, { source: `${elf.fileName}: section .BTF` });
}

function fail(elf: ElfFile, what: string): never {
  throw new BpfError('EINVAL', `${elf.fileName}: ${what}`);
}

function readLicense(elf: ElfFile): string {
  const s = elfSection(elf, 'license');
  if (!s) return '';
  const end = s.data.indexOf(0);
  return String.fromCharCode(...s.data.subarray(0, end < 0 ? s.data.length : end));
}

function readVersion(elf: ElfFile): number {
  const s = elfSection(elf, 'version');
  if (!s) return 0;
  if (s.size !== 4) fail(elf, `section 'version' is ${s.size} bytes; expected a 4-byte kernel version`);
  return sectionView(s).getUint32(0, elf.littleEndian);
}

const isCode = (s: ElfSection): boolean => s.type === SHT_PROGBITS && (s.flags & SHF_EXECINSTR) !== 0 && s.size > 0;

/** Every FUNC symbol of every code section, with its instructions. */
function readFunctions(elf: ElfFile): ObjectFunction[] {
  const out: ObjectFunction[] = [];
  for (const section of elf.sections.filter(isCode)) {
    if (section.size % 8 !== 0) fail(elf, `section '${section.name}' is ${section.size} bytes, not a whole number of instructions`);
    const insns = decode(section.data, elf.littleEndian ? 'little' : 'big');
    const syms = elf.symbols.filter((s) => s.shndx === section.index && s.type === STT_FUNC).sort((a, b) => a.value - b.value);
    if (syms.length === 0) fail(elf, `section '${section.name}' holds code but no function symbol`);
    for (const sym of syms) out.push(functionOf(elf, section, sym, insns));
  }
  return out;
}

function functionOf(elf: ElfFile, section: ElfSection, sym: ElfSymbol, insns: Insn[]): ObjectFunction {
  const where = `section '${section.name}': function '${sym.name}'`;
  if (sym.value % 8 !== 0 || sym.size % 8 !== 0) fail(elf, `${where} at offset ${sym.value}, size ${sym.size}, is not aligned to instructions`);
  if (sym.size === 0 || sym.value + sym.size > section.size) fail(elf, `${where} at offset ${sym.value}, size ${sym.size}, lies outside the section (${section.size} bytes)`);
  if (section.name !== '.text' && sym.bind === STB_LOCAL) {
    fail(elf, `${where} is static; a program in a SEC() section must be a global function (static functions belong in .text)`);
  }
  const start = sym.value / 8;
  return { name: sym.name, section: section.index, sectionName: section.name, start, insns: insns.slice(start, start + sym.size / 8) };
}

/** The references of every code section's instructions, from the relocation sections. */
function readRefs(elf: ElfFile, maps: MapTable): Map<number, SectionRefs> {
  const all = new Map<number, SectionRefs>();
  for (const rel of elf.relocations) {
    if (!isCode(rel.target)) continue;
    const refs: SectionRefs = new Map();
    const insns = decode(rel.target.data, elf.littleEndian ? 'little' : 'big');
    for (const r of rel.entries) {
      const at = r.offset / 8;
      const where = `section '${rel.target.name}', insn ${at}`;
      if (r.offset % 8 !== 0 || !insns[at]) fail(elf, `${where}: relocation at byte offset ${r.offset} is not at an instruction`);
      refs.set(at, refFor(elf, insns[at]!, r.type, elf.symbols[r.symbol]!, maps, where));
    }
    all.set(rel.target.index, refs);
  }
  return all;
}

function refFor(elf: ElfFile, ins: Insn, type: number, sym: ElfSymbol, maps: MapTable, where: string): InsnRef {
  const target = elf.sections[sym.shndx];
  const symName = sym.type === STT_SECTION ? `section '${target?.name}'` : `'${sym.name}'`;
  if (ins.code === (o.BPF_JMP | o.BPF_CALL)) {
    if (type !== R_BPF_64_32 || ins.src !== o.BPF_PSEUDO_CALL || !target || !isCode(target)) {
      fail(elf, `${where}: call relocation against ${symName} does not name a function`);
    }
    return { kind: 'call', section: target.index, target: sym.value / 8 + ins.imm + 1 };
  }
  if (ins.code !== o.LDDW || type !== R_BPF_64_64) fail(elf, `${where}: relocation (type ${type}) against ${symName} on an instruction that is neither lddw nor call`);
  if (sym.shndx === SHN_UNDEF) {
    const ext = maps.externRef(sym.name);
    if (!ext) fail(elf, `${where}: extern '${sym.name}' is not supported: tsbpf resolves .kconfig externs, not kernel symbols (__ksym)`);
    return ext;
  }
  if (target && isCode(target)) {
    if ((sym.value + ins.imm) % 8 !== 0) fail(elf, `${where}: function reference to ${symName}+${ins.imm} is not at an instruction`);
    return { kind: 'func', section: target.index, target: (sym.value + ins.imm) / 8 };
  }
  const ref = maps.refFor(sym, ins.imm);
  if (!ref) fail(elf, `${where}: lddw relocation against ${symName} in section '${target?.name}', which holds no map or global data`);
  return ref;
}

/**
 * `.BTF.ext` records of the linked program: each function's records (byte
 * offsets in its section) moved to where the function landed.
 */
function placeRecords<R extends { insnOff: number }>(sections: ExtSection<R>[] | undefined, placements: Placement[]): (Omit<R, 'insnOff'> & { insn: number })[] {
  const out: (Omit<R, 'insnOff'> & { insn: number })[] = [];
  for (const { fn, at } of placements) {
    const records = sections?.find((x) => x.section === fn.sectionName)?.records ?? [];
    const start = fn.start * 8;
    const end = start + fn.insns.length * 8;
    for (const r of records) {
      if (r.insnOff < start || r.insnOff >= end) continue;
      const { insnOff, ...rest } = r;
      out.push({ ...rest, insn: at + (insnOff - start) / 8 });
    }
  }
  return out.sort((a, b) => a.insn - b.insn);
}

function buildProgram(entry: ObjectFunction, functions: ObjectFunction[], refs: Map<number, SectionRefs>, license: string, maps: CollectionMapSpec[], ext: BtfExt | undefined): CollectionProgramSpec {
  const def = sectionDef(entry.sectionName);
  const linked = linkProgram(entry, functions, refs);
  const fnName = (section: number, target: number): string => functions.find((f) => f.section === section && f.start === target)?.name ?? '?';
  return {
    name: entry.name,
    section: entry.sectionName,
    sectionDef: def,
    type: def?.programType,
    insns: linked.insns,
    license,
    functions: linked.placements.map(placementInfo),
    relocations: linked.refs.map(({ insn, ref }) => {
      if (ref.kind === 'map') return { insn, kind: ref.kind, target: maps[ref.map]!.name };
      if (ref.kind === 'map-value') return { insn, kind: ref.kind, target: maps[ref.map]!.name, offset: ref.offset };
      return { insn, kind: ref.kind, target: fnName(ref.section, ref.target) };
    }),
    lineInfo: placeRecords(ext?.lineInfo, linked.placements),
    funcInfo: placeRecords(ext?.funcInfo, linked.placements),
    coreRelos: placeRecords(ext?.coreRelos, linked.placements),
  };
}

const placementInfo = ({ fn, at }: Placement): CollectionProgramSpec['functions'][number] => ({
  name: fn.name,
  section: fn.sectionName,
  at,
  length: fn.insns.length,
  start: fn.start,
});

/** Sizes of `struct bpf_map_def` in a legacy `maps` section: type, key_size, value_size, max_entries, map_flags. */
const LEGACY_MAP_DEF = 20;

/**
 * The object's maps, and which map a symbol designates: BTF-defined maps in
 * `.maps`, legacy `struct bpf_map_def`s in `maps`, and one array map per
 * global-data section.
 */
class MapTable {
  readonly specs: CollectionMapSpec[] = [];
  /** map index by ELF section index, for global data */
  private readonly dataMaps = new Map<number, number>();
  /** map index by (section index, symbol offset) for map definitions */
  private readonly defs = new Map<string, number>();
  /** `.kconfig` externs: their map and offsets */
  private kconfig: { map: number; offsets: Map<string, number> } | undefined;

  constructor(private readonly elf: ElfFile, private readonly objName: string, private readonly btf: Btf | undefined, kconfig: KconfigOptions) {
    this.readBtfMaps();
    this.readLegacy();
    this.readData();
    this.readKconfig(kconfig);
  }

  externOffsets(): ReadonlyMap<string, number> {
    return this.kconfig?.offsets ?? new Map();
  }

  kconfigSize(): number {
    return this.kconfig ? this.specs[this.kconfig.map]!.valueSize : 0;
  }

  externRef(name: string): InsnRef | undefined {
    const offset = this.kconfig?.offsets.get(name);
    return offset === undefined ? undefined : { kind: 'map-value', map: this.kconfig!.map, offset };
  }

  private readKconfig(options: KconfigOptions): void {
    if (!this.btf) return;
    const weak = (name: string): boolean => this.elf.symbols.some((s) => s.name === name && s.shndx === SHN_UNDEF && s.bind === STB_WEAK);
    const layout = layoutKconfig(this.btf, weak, options);
    if (!layout || layout.data.length === 0) return;
    const map = this.specs.length;
    this.add({
      name: internalMapName(this.objName, '.kconfig'),
      origin: 'kconfig',
      section: '.kconfig',
      type: MapType.ARRAY,
      keySize: 4,
      valueSize: layout.data.length,
      maxEntries: 1,
      flags: MapFlags.MMAPABLE | MapFlags.RDONLY_PROG,
      data: layout.data,
      freeze: true,
    }, -1);
    this.kconfig = { map, offsets: new Map(layout.externs.map((e) => [e.name, e.offset])) };
  }

  refFor(sym: ElfSymbol, imm: number): InsnRef | undefined {
    const data = this.dataMaps.get(sym.shndx);
    if (data !== undefined) return { kind: 'map-value', map: data, offset: (sym.type === STT_SECTION ? 0 : sym.value) + imm };
    const def = this.defs.get(`${sym.shndx}:${sym.value}`);
    return def === undefined ? undefined : { kind: 'map', map: def };
  }

  private add(spec: CollectionMapSpec, section: number, offset?: number): void {
    if (this.specs.some((m) => m.name === spec.name)) fail(this.elf, `map '${spec.name}' is defined twice`);
    const index = this.specs.push(spec) - 1;
    if (offset === undefined) this.dataMaps.set(section, index);
    else this.defs.set(`${section}:${offset}`, index);
  }

  /** Maps defined in `.maps`: one BTF variable each, in the order of its DATASEC. */
  private readBtfMaps(): void {
    const section = elfSection(this.elf, '.maps');
    if (!section) return;
    const btf = this.btf;
    if (!btf) fail(this.elf, `section '.maps' needs BTF to describe its maps, and the object has no .BTF section (compile with -g)`);
    const datasec = btf.find('.maps', 'datasec');
    if (datasec === undefined) fail(this.elf, `.BTF has no DATASEC '.maps' describing section '.maps'`);
    const relocs = this.elf.relocations.find((r) => r.target.index === section.index)?.entries ?? [];
    for (const v of btf.typeOf(datasec, 'datasec').vars) {
      const variable = btf.type(v.type);
      if (variable.kind !== 'var') fail(this.elf, `DATASEC '.maps' lists ${variable.kind.toUpperCase()} [${v.type}], not a map variable`);
      const sym = this.elf.symbols.find((s) => s.shndx === section.index && s.name === variable.name && s.type !== STT_SECTION);
      if (!sym) fail(this.elf, `map '${variable.name}' is in .BTF but has no symbol in section '.maps'`);
      const def = readBtfMapDef(btf, variable.type, variable.name);
      const spec = btfMapSpec(this.elf, variable.name, def);
      if (def.values) spec.values = this.initialValues(variable.name, sym, def.values.bitOffset / 8, relocs);
      this.add(spec, section.index, sym.value);
    }
  }

  /** `.values = { [i] = &x }`: relocations inside the variable's values array, one 8-byte pointer a slot. */
  private initialValues(name: string, sym: ElfSymbol, valuesOffset: number, relocs: { offset: number; symbol: number }[]): { index: number; name: string }[] {
    const start = sym.value + valuesOffset;
    const end = sym.value + sym.size;
    return relocs
      .filter((r) => r.offset >= start && r.offset < end)
      .map((r) => {
        if ((r.offset - start) % 8 !== 0) fail(this.elf, `map '${name}': initial value relocation at offset ${r.offset} is not at a slot`);
        return { index: (r.offset - start) / 8, name: this.elf.symbols[r.symbol]!.name };
      });
  }

  private readLegacy(): void {
    const section = elfSection(this.elf, 'maps');
    if (!section) return;
    const view = sectionView(section);
    const le = this.elf.littleEndian;
    const syms = this.elf.symbols.filter((s) => s.shndx === section.index && s.type !== STT_SECTION && s.name !== '');
    for (const sym of syms) {
      const size = sym.size || section.size / syms.length;
      if (size < LEGACY_MAP_DEF || sym.value + LEGACY_MAP_DEF > section.size) {
        fail(this.elf, `legacy map '${sym.name}' in section 'maps' at offset ${sym.value} is ${size} bytes; struct bpf_map_def needs ${LEGACY_MAP_DEF}`);
      }
      const u32 = (field: number): number => view.getUint32(sym.value + field * 4, le);
      this.add({
        name: sym.name, origin: 'legacy', section: 'maps',
        type: u32(0), keySize: u32(1), valueSize: u32(2), maxEntries: u32(3), flags: u32(4),
      }, section.index, sym.value);
    }
  }

  private readData(): void {
    for (const section of this.elf.sections) {
      const kind = dataKind(section);
      if (!kind || section.size === 0) continue;
      // the section becomes one array value; Linux refuses a larger one (array_map_alloc_check), and a .bss's size is not bounded by the file
      if (section.size > KMALLOC_MAX_SIZE) {
        throw new BpfError('E2BIG', `${this.elf.fileName}: section ${section.name} (${section.size} bytes) is larger than a map value may be (KMALLOC_MAX_SIZE, ${KMALLOC_MAX_SIZE} bytes)`);
      }
      const rodata = kind === '.rodata';
      this.add({
        name: internalMapName(this.objName, section.name),
        origin: 'data',
        section: section.name,
        type: MapType.ARRAY,
        keySize: 4,
        valueSize: section.size,
        maxEntries: 1,
        flags: MapFlags.MMAPABLE | (rodata ? MapFlags.RDONLY_PROG : 0),
        data: section.type === SHT_NOBITS ? new Uint8Array(section.size) : section.data.slice(),
        freeze: rodata,
      }, section.index);
    }
  }
}

const MAP_IN_MAP = new Set<number>([MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS]);

/** The MapSpec of a BTF map definition, with libbpf's defaults. */
function btfMapSpec(elf: ElfFile, name: string, def: BtfMapDef, inner = false): CollectionMapSpec {
  if (def.type === undefined) fail(elf, `map '${name}': its definition has no type`);
  if (def.pinning !== undefined && def.pinning !== LIBBPF_PIN_NONE && def.pinning !== LIBBPF_PIN_BY_NAME) {
    fail(elf, `map '${name}': pinning ${def.pinning} is not supported (0: none, 1: by name)`);
  }
  const isMapInMap = MAP_IN_MAP.has(def.type) || def.type === MapType.PROG_ARRAY;
  const spec: CollectionMapSpec = {
    name: inner ? `${name}.inner` : name,
    origin: 'btf',
    section: '.maps',
    type: def.type,
    keySize: def.keySize ?? 0,
    // a map of maps or programs holds 4-byte ids; libbpf fills that in when values are given by __array
    valueSize: def.valueSize ?? (isMapInMap && def.values ? 4 : 0),
    maxEntries: def.maxEntries ?? 0,
    flags: def.flags ?? 0,
    extra: def.extra ?? 0,
    pinByName: def.pinning === LIBBPF_PIN_BY_NAME,
    keyType: def.keyType,
    valueType: def.valueType,
  };
  if (MAP_IN_MAP.has(def.type)) {
    if (!def.values?.inner) fail(elf, `map '${name}': a map of maps needs an inner map definition (__array(values, struct …))`);
    spec.inner = btfMapSpec(elf, name, def.values.inner, true);
  }
  return spec;
}

/** Which global-data family a section belongs to, as libbpf decides it. */
function dataKind(s: ElfSection): '.data' | '.rodata' | '.bss' | undefined {
  if ((s.flags & SHF_ALLOC) === 0 || (s.flags & SHF_EXECINSTR) !== 0) return undefined;
  for (const kind of ['.data', '.rodata', '.bss'] as const) {
    if (s.name === kind || s.name.startsWith(`${kind}.`)) return kind;
  }
  return undefined;
}

/** Kernel object names are at most 15 characters. */
const OBJ_NAME_MAX = 15;

/**
 * libbpf's name for a global-data map: as much of the object name as fits
 * before the section name (".data" in "myprog.data"), except for sections
 * with a name of their own (".data.foo"), which keep just that name.
 */
export function internalMapName(objName: string, section: string): string {
  const suffix = Math.max(7, section.length);
  const prefix = section.indexOf('.', 1) >= 0 ? 0 : Math.max(0, Math.min(OBJ_NAME_MAX - suffix, objName.length));
  const name = (objName.slice(0, prefix) + section).slice(0, OBJ_NAME_MAX);
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}
