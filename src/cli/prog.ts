import { BpfError } from '../errno.js';
import { CollectionProgramSpec, CollectionSpec } from '../elf/collection.js';
import { progTypeName } from '../elf/section-names.js';
import { helperName, linuxHelpers } from '../helpers/linux.js';
import { BPF_CALL, BPF_JMP } from '../isa/opcodes.js';
import { disassemble } from '../isa/disasm.js';
import { Collection, loadCollection } from '../runtime/collection.js';
import { nodeHost } from '../runtime/node-host.js';
import { PinStore } from '../runtime/pins.js';
import { Program } from '../runtime/program.js';
import { Runtime } from '../runtime/runtime.js';
import { Insn } from '../isa/instruction.js';
import { JitEngine } from '../vm/jit/engine.js';
import path from 'node:path';
import { loadProgram } from './load-program.js';
import { programRecord, programTypeLabel, readObject, targetBtfFor } from './object.js';
import { insnRecords, printJson, printLine } from './output.js';
import { VerifyFlags, specOptions, withVerifierLog } from './verify-flags.js';

/**
 * `tsbpf prog …`: load an object's programs into a pin directory (the bpffs of
 * tsbpf), list and show what is pinned there, and dump an object's programs.
 */
export interface ProgCliOptions {
  pinDir: string;
  json: boolean;
  /** program names to take from the object (all when empty) */
  prog: string[];
  /** kernel .config for `.kconfig` externs (default: the running kernel's) */
  kconfig?: string;
  /** dump: show the C source line (from .BTF.ext) above its instructions */
  source?: boolean;
  /** the BTF CO-RE relocations resolve against (default the running kernel's) */
  btf?: string;
  /** load: the verifier's options */
  verify?: VerifyFlags;
  /** dump: the WebAssembly the JIT makes of each program, as text */
  jited?: boolean;
  /** dump --jited: the code of a verified program (no region checks, no budget) */
  trusted?: boolean;
}

function openRuntime(pinDir: string): Runtime {
  const rt = new Runtime({ helpers: linuxHelpers(), host: nodeHost(), pins: new PinStore(pinDir) });
  for (const s of rt.pinSkipped) process.stderr.write(`tsbpf: warning: skipped ${s.file}: ${s.reason}\n`);
  return rt;
}

/**
 * Load FILE.o and pin what it made: maps under OBJECT/MAP (maps pinned by
 * name at MAP), programs under OBJECT/PROGRAM. Nothing stays pinned if any
 * step fails.
 */
export function progLoad(file: string, o: ProgCliOptions): void {
  const spec = readObject(file, o.kconfig);
  const rt = openRuntime(o.pinDir);
  const verify = o.verify ?? { verify: true };
  for (const p of spec.programs) Object.assign(p, specOptions(verify));
  const load = () => loadCollection(rt, spec, { programs: o.prog.length ? o.prog : undefined, targetBtf: targetBtfFor(spec, o.btf) });
  const collection = withVerifierLog(verify, load, (c) => c.programs.values());
  const pinned = pinCollection(rt, spec, collection);
  if (o.json) {
    printJson({
      programs: [...collection.programs].map(([name, p]) => ({ id: p.id, name, type: typeLabel(p), insns: p.insns.length, verified: p.verified, insns_processed: p.verification?.insnsProcessed ?? null, pinned: pinned.get(`prog:${name}`) })),
      maps: [...collection.maps].map(([name, id]) => ({ id, name, pinned: pinned.get(`map:${name}`) })),
      skipped: collection.skipped,
    });
    return;
  }
  for (const [name, p] of collection.programs) {
    const verdict = p.verification ? `verified (processed ${p.verification.insnsProcessed} insns)` : 'unverified';
    printLine(`${p.id}: ${typeLabel(p)}  name ${name}  insns ${p.insns.length}  ${verdict}  pinned ${pinned.get(`prog:${name}`)}`);
  }
  for (const [name, id] of collection.maps) printLine(`map ${id}: ${name}  pinned ${pinned.get(`map:${name}`)}`);
  for (const s of collection.skipped) printLine(`skipped ${s.name}: ${s.reason}`);
  for (const w of collection.warnings) process.stderr.write(`tsbpf: warning: ${w}\n`);
}

/** Pin every map and program of a freshly loaded collection; undo all of it on failure. */
function pinCollection(rt: Runtime, spec: CollectionSpec, c: Collection): Map<string, string> {
  const done = new Map<string, string>();
  const undo: (() => void)[] = [];
  try {
    for (const m of spec.maps) {
      const path = m.pinByName ? m.name : `${spec.name}/${m.name}`;
      if (!m.pinByName) {
        rt.pin(path, c.maps.get(m.name)!);
        undo.push(() => rt.unpin(path));
      }
      done.set(`map:${m.name}`, path);
    }
    for (const [name, p] of c.programs) {
      const path = `${spec.name}/${name}`;
      rt.pinProgram(path, p.id);
      undo.push(() => rt.unpinProgram(path));
      done.set(`prog:${name}`, path);
    }
    return done;
  } catch (e) {
    for (const u of undo.reverse()) u();
    throw e;
  }
}

function typeLabel(p: Program): string {
  return p.type?.name ?? progTypeName(p.spec.type ?? 0) ?? 'unspec';
}

interface ProgramInfo {
  id: number;
  type: string;
  name: string;
  insns: number;
  license: string;
  map_ids: readonly number[];
  pinned: string;
}

function programInfo(path: string, p: Program): ProgramInfo {
  return { id: p.id, type: typeLabel(p), name: p.spec.name ?? '', insns: p.insns.length, license: p.spec.license ?? '', map_ids: p.spec.maps ?? [], pinned: path };
}

/** `prog list` / `prog show [pinned PATH]`: the pinned programs, as bpftool prints them. */
export function progList(args: string[], o: ProgCliOptions): void {
  const rt = openRuntime(o.pinDir);
  let paths = rt.programPinPaths();
  if (args.length) {
    if (args[0] !== 'pinned' || args.length !== 2) throw new BpfError('EINVAL', `expected 'pinned PATH', not '${args.join(' ')}'`);
    rt.pinnedProgram(args[1]!);
    paths = [args[1]!];
  }
  const infos = paths.map((path) => programInfo(path, rt.pinnedProgram(path)));
  if (o.json) return printJson(infos);
  for (const i of infos) {
    printLine(`${i.id}: ${i.type}  name ${i.name}  insns ${i.insns}${i.license === 'GPL' ? '  gpl' : ''}`);
    printLine(`\tpinned ${i.pinned}${i.map_ids.length ? `  map_ids ${i.map_ids.join(',')}` : ''}`);
  }
}

/** `prog dump FILE.o`: each program's instructions after linking, with functions and relocations marked. */
export function progDump(file: string, o: ProgCliOptions): void {
  if (o.jited) return progDumpJited(file, o);
  const spec = readObject(file, o.kconfig);
  const wanted = o.prog.length ? spec.programs.filter((p) => o.prog.includes(p.name)) : spec.programs;
  for (const name of o.prog) {
    if (!spec.programs.some((p) => p.name === name)) throw new BpfError('ENOENT', `${file}: no program named '${name}'`);
  }
  if (o.json) {
    printJson(wanted.map((p) => ({ ...programRecord(p), instructions: insnRecords(p.insns), ...(o.source ? { line_info: p.lineInfo } : {}) })));
    return;
  }
  wanted.forEach((p, k) => {
    if (k > 0) printLine('');
    printLine(`${p.name}: section ${p.section}, type ${programTypeLabel(p)}, ${p.insns.length} insns`);
    for (const line of annotatedListing(p, o.source === true)) printLine(line);
  });
}

/** `; text @ file:line:col` for each instruction where the source line changes (as bpftool's `linum` shows it). */
function sourceLines(p: CollectionProgramSpec): Map<number, string> {
  const out = new Map<number, string>();
  let last = '';
  for (const l of p.lineInfo) {
    if (l.lineNum === 0) continue; // compiler-generated code with no line of its own
    const where = `${l.fileName}:${l.lineNum}`;
    if (where === last) continue;
    last = where;
    out.set(l.insn, `; ${l.line.trim()} @ ${where}:${l.column}`);
  }
  return out;
}

/** The disassembly with a label where each function starts, a comment on each relocated instruction, and optionally source lines. */
function annotatedListing(p: CollectionProgramSpec, source: boolean): string[] {
  const starts = new Map(p.functions.map((f) => [f.at, f.name]));
  const lines = source ? sourceLines(p) : new Map<number, string>();
  const notes = new Map(p.relocations.map((r) => [r.insn, r.kind === 'map' ? `map '${r.target}'` : r.kind === 'map-value' ? `'${r.target}'+${r.offset}` : r.target]));
  const out: string[] = [];
  for (const line of disassemble(p.insns, { indices: true }).split('\n').filter((l) => l)) {
    const index = Number(/^\s*(\d+):/.exec(line)![1]);
    const fn = starts.get(index);
    if (fn !== undefined) out.push(`${fn}:`);
    const src = lines.get(index);
    if (src !== undefined) out.push(src);
    const ins = p.insns[index]!;
    const helper = ins.code === (BPF_JMP | BPF_CALL) && ins.src === 0 ? helperName(ins.imm) : undefined;
    const note = notes.get(index) ?? helper;
    out.push(note ? `${line}\t; ${note}` : line);
  }
  return out;
}

/**
 * `prog dump --jited FILE`: the WebAssembly module the JIT compiles each
 * program to, as text, every eBPF instruction's code under a comment naming
 * it. FILE: an object (its programs linked and their maps created, as `run`
 * would load them; --prog picks some), or one program (.s, .bin, .data).
 */
function progDumpJited(file: string, o: ProgCliOptions): void {
  const rt = new Runtime({ helpers: linuxHelpers(), host: nodeHost() });
  const programs = jitInputs(file, o, rt);
  const listings = programs.map(({ name, insns }) => {
    const { text, ranges } = new JitEngine(insns, { space: rt.space, helpers: rt.helpers, verified: o.trusted === true }).listing();
    return { name, insns: insns.length, mode: o.trusted ? 'trusted' : 'checked', wat: text, ranges };
  });
  if (o.json) return printJson(listings);
  listings.forEach((l, k) => {
    if (k > 0) printLine('');
    printLine(`;; ${l.name}: ${l.insns} insns, ${l.mode} code`);
    process.stdout.write(l.wat);
  });
}

function jitInputs(file: string, o: ProgCliOptions, rt: Runtime): { name: string; insns: readonly Insn[] }[] {
  if (path.extname(file).toLowerCase() !== '.o') return [{ name: file, insns: loadProgram(file).insns }];
  const spec = readObject(file, o.kconfig);
  for (const name of o.prog) {
    if (!spec.programs.some((p) => p.name === name)) throw new BpfError('ENOENT', `${file}: no program named '${name}'`);
  }
  const collection = loadCollection(rt, spec, { programs: o.prog.length ? o.prog : undefined, targetBtf: targetBtfFor(spec, o.btf) });
  return [...collection.programs].map(([name, p]) => ({ name, insns: p.insns }));
}
