import { CollectionMapSpec, CollectionProgramSpec, CollectionSpec, readCollectionSpec } from '../elf/collection.js';
import { progTypeName } from '../elf/section-names.js';
import { flagNames, typeName } from '../maps/spec.js';
import { readBytes } from './load-program.js';
import { hostKconfig } from './kconfig.js';
import { readBtfFile } from './btf.js';
import { Btf } from '../btf/btf.js';
import { existsSync } from 'node:fs';
import { applyCoreRelocations } from '../btf/core.js';
import { BpfError } from '../errno.js';
import { printJson, printLine } from './output.js';

/** `tsbpf object show FILE.o`: what an ELF object holds and how it would load. */

/** Where libbpf finds the kernel's BTF, the default target of CO-RE relocations. */
export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

/**
 * The BTF to resolve the object's CO-RE relocations against: `file` (raw BTF
 * or an object's .BTF), else the running kernel's; read only when some
 * program has CO-RE relocations.
 */
export function targetBtfFor(spec: CollectionSpec, file?: string): Btf | undefined {
  if (!spec.programs.some((p) => p.coreRelos.length > 0)) return undefined;
  if (file) return readBtfFile(file);
  return existsSync(VMLINUX_BTF) ? readBtfFile(VMLINUX_BTF) : undefined;
}

/** Read FILE.o; `.kconfig` externs take their values from `kconfigFile` or the running kernel's config. */
export function readObject(file: string, kconfigFile?: string): CollectionSpec {
  return readCollectionSpec(new Uint8Array(readBytes(file)), { fileName: file, kconfig: hostKconfig(kconfigFile) });
}

export function programTypeLabel(p: CollectionProgramSpec): string {
  if (p.type === undefined) return 'unknown';
  return progTypeName(p.type) ?? `type ${p.type}`;
}

/** A program as `object show --json` and `prog dump --json` give it. */
export function programRecord(p: CollectionProgramSpec): object {
  return {
    name: p.name,
    section: p.section,
    type: programTypeLabel(p),
    attach_type: p.sectionDef?.attachTypeName,
    attach_target: p.sectionDef?.attachTarget,
    autoload: p.sectionDef?.autoload ?? true,
    insns: p.insns.length,
    functions: p.functions,
    relocations: p.relocations,
  };
}

function mapRecord(m: CollectionMapSpec): object {
  return {
    name: m.name,
    type: typeName(m.type),
    key_size: m.keySize,
    value_size: m.valueSize,
    max_entries: m.maxEntries,
    flags: m.flags ?? 0,
    origin: m.origin,
    section: m.section,
    pinning: m.pinByName ? 'by_name' : 'none',
    frozen: m.freeze ?? false,
    inner: m.inner && mapRecord(m.inner),
    values: m.values,
  };
}

function relocationText(p: CollectionProgramSpec): string[] {
  return p.relocations.map((r) => {
    const what = r.kind === 'map' ? `map '${r.target}'` : r.kind === 'map-value' ? `data '${r.target}'+${r.offset}` : `${r.kind === 'call' ? 'call' : 'callback'} ${r.target}`;
    return `insn ${r.insn}: ${what}`;
  });
}

function mapShape(m: CollectionMapSpec): string {
  return `${typeName(m.type)}  key ${m.keySize}B  value ${m.valueSize}B  max_entries ${m.maxEntries}  flags ${flagNames(m.flags ?? 0)}`;
}

/** What each CO-RE relocation resolves to against the target BTF (one line each), or the raw records when there is none. */
function coreLines(spec: CollectionSpec, p: CollectionProgramSpec, target: Btf | undefined): string[] {
  if (p.coreRelos.length === 0) return [];
  if (!target || !spec.btf) return p.coreRelos.map((r) => `insn ${r.insn}: CO-RE ${r.kind} of type [${r.typeId}] access ${r.accessStr} (no target BTF to resolve against)`);
  try {
    return applyCoreRelocations(p.insns, p.coreRelos, spec.btf, target).relocations.map((r) => r.message);
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return [`CO-RE: ${e.message} (${e.errno}): the program cannot load`];
  }
}

function btfSummary(spec: CollectionSpec): object | undefined {
  if (!spec.btf) return undefined;
  const count = (key: 'lineInfo' | 'funcInfo' | 'coreRelos'): number => spec.programs.reduce((n, p) => n + p[key].length, 0);
  return { types: spec.btf.types.length - 1, func_info: count('funcInfo'), line_info: count('lineInfo'), core_relos: count('coreRelos') };
}

export function objectShow(file: string, json: boolean, kconfig?: string, btfFile?: string): void {
  const spec = readObject(file, kconfig);
  const targetBtf = targetBtfFor(spec, btfFile);
  if (json) {
    const programs = spec.programs.map((p) => ({ ...programRecord(p), core: coreLines(spec, p, targetBtf) }));
    printJson({ file, name: spec.name, endian: spec.littleEndian ? 'little' : 'big', license: spec.license, version: spec.version, warnings: spec.warnings, btf: btfSummary(spec), programs, maps: spec.maps.map(mapRecord) });
    return;
  }
  printLine(`object ${spec.name} (${file}): ${spec.littleEndian ? 'little' : 'big'}-endian, license '${spec.license}'${spec.version ? `, version ${spec.version}` : ''}`);
  for (const w of spec.warnings) printLine(`warning: ${w}`);
  printLine(`programs: ${spec.programs.length}`);
  for (const p of spec.programs) {
    const target = p.sectionDef?.attachTarget ? `  target ${p.sectionDef.attachTarget}` : '';
    const unknown = p.sectionDef ? '' : '  (section name unknown to libbpf)';
    printLine(`  ${p.name}  section ${p.section}  type ${programTypeLabel(p)}${target}  insns ${p.insns.length}${unknown}`);
    if (p.functions.length > 1) printLine(`\tfunctions ${p.functions.map((f) => `${f.name}@${f.at}`).join(' ')}`);
    for (const line of relocationText(p)) printLine(`\t${line}`);
    for (const line of coreLines(spec, p, targetBtf)) printLine(`\t${line}`);
  }
  const btf = btfSummary(spec) as { types: number; func_info: number; line_info: number; core_relos: number } | undefined;
  printLine(btf ? `btf: ${btf.types} types; .BTF.ext: ${btf.func_info} func_info, ${btf.line_info} line_info, ${btf.core_relos} CO-RE relocations` : 'btf: none (compile with -g)');
  printLine(`maps: ${spec.maps.length}`);
  for (const m of spec.maps) {
    const extra = [m.pinByName ? 'pinned by name' : '', m.freeze ? 'frozen' : ''].filter(Boolean).join(', ');
    printLine(`  ${m.name}  ${mapShape(m)}  (${m.origin}, section ${m.section}${extra ? `; ${extra}` : ''})`);
    if (m.inner) printLine(`	inner map ${mapShape(m.inner)}`);
    if (m.values?.length) printLine(`	values ${m.values.map((v) => `[${v.index}]=${v.name}`).join(' ')}`);
  }
}
