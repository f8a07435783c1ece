import { Command, InvalidArgumentError } from 'commander';
import { applyCoreRelocations } from '../btf/core.js';
import { BpfError } from '../errno.js';
import { CollectionProgramSpec, CollectionSpec } from '../elf/collection.js';
import { MapSpec, MapType } from '../maps/map.js';
import { PROGRAM_TYPES, ProgramType, programType } from '../progtypes/index.js';
import { CtxBtf, VerifyEnv, VerifyResult, tracepointArgs, verify } from '../verifier/index.js';
import type { Btf } from '../btf/btf.js';
import { readBtfFile } from './btf.js';
import { loadProgram } from './load-program.js';
import { VMLINUX_BTF, readObject, targetBtfFor } from './object.js';
import { printError, printJson, printLine } from './output.js';

/**
 * `tsbpf prog verify FILE [--prog NAME] [--type T] [--log-level 1|2]
 * [--unprivileged] [--json]`: ask tsbpf's verifier whether it would load a
 * program, and why not — the kernel's message, the instruction, the C source
 * line (from the object's line info), the registers there and what would
 * make it safe; with --log-level, the verifier log as Linux prints it.
 *
 * FILE is an ELF object (.o: every program, or those named by --prog, with
 * the object's maps) or an assembler (.s/.asm) or raw (.bin) program, which
 * needs --type and takes its maps from --map (the i-th --map is `map[idx:i]`
 * and `map[fd:i]` in the program).
 */
export interface VerifyCliOptions {
  prog: string[];
  type?: ProgramType;
  logLevel: number;
  unprivileged: boolean;
  json: boolean;
  maps: MapSpec[];
  btf?: string;
  kconfig?: string;
}

/** `hash:4:8:16[:FLAGS]`, as kernel-oracle.py's --map spells a map. */
export function parseMapArg(value: string, previous: MapSpec[] = []): MapSpec[] {
  const f = value.split(':');
  const type = (MapType as Record<string, number>)[f[0]!.toUpperCase()];
  const nums = f.slice(1).map((x) => Number(x));
  if (type === undefined || f.length < 4 || f.length > 5 || nums.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new InvalidArgumentError(`Expected TYPE:KEY:VALUE:MAX[:FLAGS] with TYPE one of ${Object.keys(MapType).map((k) => k.toLowerCase()).join(', ')}.`);
  }
  return [...previous, { type, keySize: nums[0]!, valueSize: nums[1]!, maxEntries: nums[2]!, flags: nums[3] ?? 0 }];
}

function parseType(value: string): ProgramType {
  const pt = programType(/^\d+$/.test(value) ? Number(value) : value);
  if (!pt) throw new InvalidArgumentError(`Unknown program type; one of ${PROGRAM_TYPES.map((t) => t.name).join(', ')}.`);
  return pt;
}

function parseLevel(value: string): number {
  if (value !== '0' && value !== '1' && value !== '2') throw new InvalidArgumentError('Expected 0, 1 or 2.');
  return Number(value);
}

export function verifyCommand(parent: Command): Command {
  return parent
    .command('verify')
    .description('verify programs as Linux would load them: the verdict, and for a rejection the instruction, source line, registers and a fix')
    .argument('<file>', 'ELF object (.o), assembler (.s/.asm) or raw bytecode (.bin)')
    .option('--prog <name>', 'only this program of the object (repeatable)', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--type <type>', 'program type (needed for .s/.bin; overrides the section name of a .o)', parseType)
    .option('--log-level <n>', 'print the verifier log: 1 the failing path, 2 every path', parseLevel, 0)
    .option('--unprivileged', 'the rules Linux applies to loaders without CAP_BPF/CAP_PERFMON', false)
    .option('--map <spec>', 'a map for a .s/.bin program, TYPE:KEY:VALUE:MAX[:FLAGS] (repeatable; the i-th is map[idx:i])', parseMapArg, [] as MapSpec[])
    .option('--btf <file>', 'BTF CO-RE relocations resolve against (default /sys/kernel/btf/vmlinux)')
    .option('--kconfig <file>', 'kernel .config for .kconfig externs')
    .option('--json', 'one JSON record per program', false)
    .action((file: string, flags: { prog: string[]; type?: ProgramType; logLevel: number; unprivileged: boolean; map: MapSpec[]; btf?: string; kconfig?: string; json: boolean }) => {
      const ok = verifyFile(file, { ...flags, maps: flags.map });
      if (!ok) process.exitCode = 1;
    });
}

/** Verify every program of FILE; false when any is rejected or FILE cannot be read. */
export function verifyFile(file: string, o: VerifyCliOptions): boolean {
  try {
    const results = file.toLowerCase().endsWith('.o') ? verifyObject(file, o) : [verifyRaw(file, o)];
    for (const r of results) print(r, o);
    return results.every((r) => r.result.accepted);
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    if (o.json) printJson({ file, error: e.message, errno: e.errno });
    printError(file, `${e.message} (${e.errno})`);
    return false;
  }
}

interface Verified {
  prog: string;
  result: VerifyResult;
}

function envFor(o: VerifyCliOptions): VerifyEnv {
  return { privileged: !o.unprivileged, logLevel: Math.max(o.logLevel, 1) };
}

function verifyRaw(file: string, o: VerifyCliOptions): Verified {
  if (!o.type) throw new BpfError('EINVAL', `${file}: give the program type with --type (one of ${PROGRAM_TYPES.map((t) => t.name).join(', ')})`);
  const { insns } = loadProgram(file);
  const result = verify({ insns, type: o.type.type }, { ...envFor(o), progType: o.type, mapsByIndex: o.maps });
  return { prog: file, result };
}

function verifyObject(file: string, o: VerifyCliOptions): Verified[] {
  const spec = readObject(file, o.kconfig);
  const progs = o.prog.length ? o.prog.map((n) => findProg(spec, n, file)) : spec.programs;
  if (progs.length === 0) throw new BpfError('ENOENT', `${file}: the object has no programs`);
  // tp_btf programs read their arguments through the kernel's types, CO-RE or not
  const typed = progs.some((p) => tpBtfName(p) !== undefined);
  const btf = targetBtfFor(spec, o.btf) ?? (typed ? readBtfFile(o.btf ?? VMLINUX_BTF) : undefined);
  return progs.map((p) => ({ prog: `${file}:${p.name}`, result: verifyProgram(spec, p, o, btf) }));
}

/** The tracepoint of a `SEC("tp_btf/NAME")` program. */
function tpBtfName(p: CollectionProgramSpec): string | undefined {
  return /^tp_btf\/(.+)$/.exec(p.section)?.[1];
}

/**
 * tp_btf: a raw tracepoint whose u64 arguments have the types of the
 * kernel's `btf_trace_NAME` (tsbpf has no BPF_PROG_TYPE_TRACING of its own).
 */
function tracingContext(p: CollectionProgramSpec, btf: Btf | undefined): { type: ProgramType; ctxBtf: CtxBtf } | undefined {
  const name = tpBtfName(p);
  if (name === undefined) return undefined;
  if (!btf) throw new BpfError('ENOENT', `${p.name}: tp_btf/${name} needs the kernel's BTF (${VMLINUX_BTF}, or --btf FILE)`);
  return { type: programType('raw_tracepoint')!, ctxBtf: tracepointArgs(btf, name) };
}

function findProg(spec: CollectionSpec, name: string, file: string): CollectionProgramSpec {
  const p = spec.programs.find((x) => x.name === name);
  if (!p) throw new BpfError('ENOENT', `${file}: no program '${name}' (the object has ${spec.programs.map((x) => x.name).join(', ') || 'none'})`);
  return p;
}

function verifyProgram(spec: CollectionSpec, p: CollectionProgramSpec, o: VerifyCliOptions, btf: Btf | undefined): VerifyResult {
  const insns = p.coreRelos.length && btf && spec.btf ? applyCoreRelocations(p.insns, p.coreRelos, spec.btf, btf).insns : p.insns;
  const tracing = tracingContext(p, btf);
  const type = o.type ?? tracing?.type ?? (p.type !== undefined ? programType(p.type) : undefined);
  if (!type) throw new BpfError('EINVAL', `${spec.fileName}:${p.name}: section '${p.section}' gives no program type tsbpf knows; give one with --type`);
  const env: VerifyEnv = { ...envFor(o), progType: type, mapsByIndex: spec.maps, lineInfo: p.lineInfo, funcInfo: p.funcInfo.length > 0 };
  return verify({ ...p, insns }, tracing ? { ...env, ctxBtf: tracing.ctxBtf } : env);
}

function print(v: Verified, o: VerifyCliOptions): void {
  const r = v.result;
  if (o.json) {
    printJson({
      prog: v.prog,
      accepted: r.accepted,
      insnsProcessed: r.insnsProcessed,
      error: r.error?.message ?? null,
      ...(r.error ? { errno: r.error.errno, insn: r.error.insn, line: r.error.line ?? null, source: r.error.source ?? null, state: r.error.state ?? null, hint: r.error.hint ?? null } : {}),
      ...(o.logLevel > 0 ? { log: r.log } : {}),
      stats: r.stats,
    });
    return;
  }
  if (o.logLevel > 0) process.stdout.write(r.log);
  if (r.accepted) {
    printLine(`${v.prog}: accepted (processed ${r.insnsProcessed} insns, stack ${r.stats.stackDepth.join('+')} bytes)`);
    return;
  }
  const e = r.error!;
  const at = e.insn >= 0 ? ` at insn ${e.insn}${e.line ? ` (${e.line})` : ''}` : '';
  printLine(`${v.prog}: rejected${at}: ${e.message} (${e.errno})`);
  if (e.source) printLine(`  source: ${e.source}`);
  if (e.state) printLine(`  state:  ${e.state}`);
  if (e.hint) printLine(`  fix:    ${e.hint}`);
}
