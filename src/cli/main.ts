#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { Engine } from '../vm/execute.js';
import { asmFile, disasmFile } from './asm.js';
import { runFiles } from './run.js';
import { MAP_VERBS, mapCommand } from './map.js';
import { objectShow } from './object.js';
import { btfCommand } from './btf.js';
import { cbpfCommand } from './cbpf.js';
import { seccompCommand } from './seccomp.js';
import { pcapCommand } from './pcap.js';
import { traceCommand, TraceFlags } from './trace.js';
import { tracepointsCommand } from './tracepoints.js';
import { verifyCommand } from './verify.js';
import { VerifyFlags, addVerifyOptions } from './verify-flags.js';
import { ProgCliOptions, progDump, progList, progLoad } from './prog.js';
import { errorText, printError } from './output.js';
import { BpfError } from '../errno.js';
import { readFileSync } from 'node:fs';
import { PROGRAM_TYPES, ProgramType, programType } from '../progtypes/index.js';

/**
 * The `tsbpf` command line. Verbs so far: run, asm, disasm (DESIGN.md,
 * "Command line"). Each verb's work lives in its own module; this file only
 * declares options and sets the exit code.
 */

function parseMem(value: string): Uint8Array {
  const digits = value.replace(/\s+/g, '').replace(/^0x/i, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new InvalidArgumentError('Expected hex bytes, e.g. "01 02 ff" or "0102ff".');
  return Uint8Array.from(digits.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** HEX bytes, or @FILE for a file's bytes (--data, --ctx). */
function parseBytes(value: string): Uint8Array {
  if (!value.startsWith('@')) return parseMem(value);
  try {
    return new Uint8Array(readFileSync(value.slice(1)));
  } catch (e) {
    throw new InvalidArgumentError(`Cannot read ${value.slice(1)}: ${(e as Error).message}`);
  }
}

function parseType(value: string): ProgramType {
  const pt = programType(/^\d+$/.test(value) ? Number(value) : value);
  if (!pt) throw new InvalidArgumentError(`Unknown program type; one of ${PROGRAM_TYPES.map((t) => t.name).join(', ')}.`);
  return pt;
}

function parseBudget(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('Expected a positive whole number of instructions.');
  }
  return Number(value);
}

function parseEngine(value: string): Engine {
  if (value === 'interp' || value === 'jit') return value;
  throw new InvalidArgumentError('Unknown engine; expected interp or jit.');
}

function finish(ok: boolean): void {
  if (!ok) process.exitCode = 1;
}

interface RunFlags {
  mem?: Uint8Array;
  type?: ProgramType;
  data?: Uint8Array;
  ctx?: Uint8Array;
  repeat?: number;
  engine: Engine;
  budget?: number;
  json?: boolean;
  verify: boolean;
  unprivileged?: boolean;
  logLevel?: number;
  prog: string[];
  kconfig?: string;
  btf?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const BTF_HELP = 'BTF that CO-RE relocations resolve against (raw BTF or an object\'s .BTF); default /sys/kernel/btf/vmlinux';
const KCONFIG_HELP = 'kernel .config (plain or gzipped) for .kconfig externs; default: the running kernel\'s (/boot/config-RELEASE or /proc/config.gz)';

function runCommand(parent: Command): void {
  const run = parent
    .command('run')
    .description('run programs once and print r0 (.s/.asm assembler text, .bin raw bytecode, .data conformance vectors); test-run the programs of ELF objects (.o) as their sections\' types')
    .argument('<files...>', 'programs to run')
    .option('--mem <hex>', 'input bytes: r1 = address of a writable copy, r2 = their length (not for .data files)', parseMem)
    .addOption(new Option('--engine <name>', 'execution engine: interp (the interpreter) or jit (compiled to WebAssembly)').argParser(parseEngine).default('jit'))
    .option('--budget <n>', 'stop a run after this many instructions (E2BIG); default: none for a verified program, 1,000,000 for an unverified one', parseBudget)
    .option('--type <type>', 'program type: a test run as BPF_PROG_TEST_RUN does it (xdp, sched_cls, socket_filter, …)', parseType)
    .option('--data <hex|@file>', 'with --type: the packet (data_in)', parseBytes)
    .option('--ctx <hex|@file>', 'with --type: the context (ctx_in), in its UAPI layout', parseBytes)
    .option('--repeat <n>', 'with --type: run N times; the duration printed is the average', parseBudget)
    .option('--json', 'one JSON object per line per FILE')
    .option('--prog <name>', 'for .o files: only this program (repeatable)', collect, [])
    .option('--kconfig <file>', KCONFIG_HELP)
    .option('--btf <file>', BTF_HELP)
    .addHelpText('after', `
Verification: a program with a type (--type, or an object's section names) is verified before it runs,
as BPF_PROG_LOAD verifies it; a rejection prints the verifier's error, source line and fix, and exits 1.
A bare run (no --type: r1 = the --mem bytes, r2 = their length, as the conformance vectors run) has no
Linux program type and so no verifier rules: it is the ISA harness, run unverified with every memory
access checked and a budget of 1,000,000 instructions.`);
  addVerifyOptions(run)
    .action((files: string[], flags: RunFlags) => {
      const input = flags.data || flags.ctx || flags.repeat;
      const testRun = flags.type || input ? { type: flags.type, data: flags.data, ctx: flags.ctx, repeat: flags.repeat } : undefined;
      if (!flags.type && input && !files.every((f) => f.toLowerCase().endsWith('.o'))) {
        printError('run', '--data, --ctx and --repeat need --type, except for ELF objects, whose sections name their type (EINVAL)');
        return finish(false);
      }
      const bare = !flags.type && !files.some((f) => f.toLowerCase().endsWith('.o'));
      if (bare && (flags.unprivileged || flags.logLevel)) {
        printError('run', 'a bare run (no --type) is not verified: --unprivileged and --log-level need --type (EINVAL)');
        return finish(false);
      }
      const verify = { verify: flags.verify, unprivileged: flags.unprivileged, logLevel: flags.logLevel };
      finish(runFiles(files, { mem: flags.mem, engine: flags.engine, budget: flags.budget, json: flags.json === true, testRun, prog: flags.prog, kconfig: flags.kconfig, btf: flags.btf, verify }));
    });
}

function asmCommand(parent: Command): void {
  parent
    .command('asm')
    .description('assemble FILE; without -o or --json print each 8-byte slot in hex')
    .argument('<file>', 'assembler text (.s/.asm; .bin and .data are accepted too)')
    .option('-o, --output <file>', 'write the little-endian bytecode to this file')
    .option('--json', 'print the instructions as JSON')
    .action((file: string, flags: { output?: string; json?: boolean }) => {
      finish(asmFile(file, { output: flags.output, json: flags.json === true }));
    });
}

function disasmCommand(parent: Command): void {
  parent
    .command('disasm')
    .description('disassemble FILE (.bin, .s/.asm or .data)')
    .argument('<file>', 'program to disassemble')
    .option('--indices', 'prefix each line with its slot index')
    .option('--json', 'print an array of {index, code, dst, src, off, imm, next_imm (lddw only), text}, one per instruction')
    .action((file: string, flags: { indices?: boolean; json?: boolean }) => {
      finish(disasmFile(file, { indices: flags.indices === true, json: flags.json === true }));
    });
}

function mapCommandLine(parent: Command): void {
  parent
    .command('map')
    .description(`maps in a pin directory, as bpftool does them: ${MAP_VERBS.join('|')}
  create PATH type TYPE key N value N entries N [name NAME] [flags N]
  show|list [pinned PATH | id N]        dump pinned PATH | id N
  lookup MAP key BYTES                  update MAP key BYTES value BYTES [any|noexist|exist]
  delete MAP key BYTES                  pin MAP NEWPATH (moves the map to NEWPATH)
  BYTES: numbers 0..255 (7 0 0 0, 0x07 0 0 0) or hex 07 00 00 00`)
    .argument('<verb>', MAP_VERBS.join('|'))
    .argument('[args...]', 'keyword arguments')
    .option('--pin-dir <dir>', 'where pinned maps live', './.tsbpf')
    .option('--json', 'JSON output')
    .action((verb: string, args: string[], flags: { pinDir: string; json?: boolean }) => {
      try {
        mapCommand(verb, args, { pinDir: flags.pinDir, json: flags.json === true });
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        printError('map', errorText(e));
        finish(false);
      }
    });
}

/** Run a verb's work; a BpfError becomes `tsbpf: WHAT: message (ERRNO)` and exit code 1. */
function guarded(what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    printError(what, errorText(e));
    finish(false);
  }
}


interface ProgFlags {
  pinDir: string;
  json?: boolean;
  prog: string[];
  kconfig?: string;
  source?: boolean;
  btf?: string;
  jited?: boolean;
  trusted?: boolean;
}

const progOptions = (flags: ProgFlags): ProgCliOptions => ({
  pinDir: flags.pinDir, json: flags.json === true, prog: flags.prog, kconfig: flags.kconfig, source: flags.source === true, btf: flags.btf,
  jited: flags.jited === true, trusted: flags.trusted === true,
});


function progCommandLine(parent: Command): void {
  const prog = parent.command('prog').description('programs: load an ELF object, list and show pinned programs, dump an object\'s programs');
  const common = (c: Command): Command =>
    c
      .option('--pin-dir <dir>', 'where pinned maps and programs live', './.tsbpf')
      .option('--json', 'JSON output')
      .option('--prog <name>', 'only this program (repeatable)', collect, [])
      .option('--kconfig <file>', KCONFIG_HELP)
      .option('--btf <file>', BTF_HELP);
  addVerifyOptions(common(prog.command('load').description('load FILE.o (verifying each program); pin its maps as OBJECT/MAP (or MAP for maps pinned by name) and programs as OBJECT/PROGRAM').argument('<file>', 'ELF object (clang -target bpf)')))
    .action((file: string, flags: ProgFlags & VerifyFlags) => guarded(file, () => progLoad(file, { ...progOptions(flags), verify: { verify: flags.verify, unprivileged: flags.unprivileged, logLevel: flags.logLevel } })));
  for (const verb of ['list', 'show']) {
    common(prog.command(verb).description('pinned programs (show pinned PATH: one)').argument('[args...]', 'pinned PATH'))
      .action((args: string[], flags: ProgFlags) => guarded('prog', () => progList(args, progOptions(flags))));
  }
  verifyCommand(prog);
  common(prog.command('dump').description('the instructions of FILE.o\'s programs after linking, with functions and relocations marked').argument('<file>', 'ELF object (with --jited also .s, .bin, .data)'))
    .option('--source', 'show each C source line (from .BTF.ext) above its instructions')
    .option('--jited', 'the WebAssembly the JIT compiles each program to, as text (WAT), each eBPF instruction marked')
    .option('--trusted', 'with --jited: the code of a verified program (no region checks, no budget)')
    .action((file: string, flags: ProgFlags) => guarded(file, () => progDump(file, progOptions(flags))));
}

function objectCommandLine(parent: Command): void {
  const object = parent.command('object').description('ELF objects as clang builds them');
  object
    .command('show')
    .description('what FILE.o holds and how it would load: programs, maps, relocations')
    .argument('<file>', 'ELF object')
    .option('--json', 'JSON output')
    .option('--kconfig <file>', KCONFIG_HELP)
    .option('--btf <file>', BTF_HELP)
    .action((file: string, flags: { json?: boolean; kconfig?: string; btf?: string }) => guarded(file, () => objectShow(file, flags.json === true, flags.kconfig, flags.btf)));
}

function program(): Command {
  const tsbpf = new Command('tsbpf')
    .description('eBPF in user space: assemble, disassemble and run programs, and keep maps')
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'tsbpf: ')) });
  runCommand(tsbpf);
  asmCommand(tsbpf);
  disasmCommand(tsbpf);
  mapCommandLine(tsbpf);
  progCommandLine(tsbpf);
  objectCommandLine(tsbpf);
  btfCommand(tsbpf);
  cbpfCommand(tsbpf);
  seccompCommand(tsbpf);
  pcapCommand(tsbpf);
  traceCommandLine(tsbpf);
  return tsbpf;
}

function traceCommandLine(parent: Command): void {
  parent
    .command('tracepoints')
    .description('list the tracepoints of a traced Node program (its event sources) with their formats')
    .argument('[pattern]', 'a glob on provider:event (node_http:*), or a provider')
    .option('--json', 'one JSON array of tracepoints, with fields and format')
    .action((pattern: string | undefined, flags: { json?: boolean }) => {
      try {
        tracepointsCommand(pattern, flags.json ?? false);
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        printError('tracepoints', errorText(e));
        process.exitCode = 1;
      }
    });
  parent
    .command('trace')
    .description('run a Node program and stream its events (trace_pipe text, or JSON lines): tsbpf trace [options] TRACEPOINT… -- node app.js')
    .argument('[tracepoints...]', 'tracepoint names or globs (node_http:server_*, app:query_start), then -- and the command')
    .option('--filter <expr>', 'record only the events this trace event filter passes (Linux\'s filter syntax, compiled to eBPF)')
    .option('--prog <file.o>', 'attach the object\'s tracepoint/raw_tracepoint programs; print its maps when the program exits')
    .option('--probe <spec>', 'place a function probe, MODULE:EXPORT (node:fs:readFile); its tracepoints are probe_js:NAME and probe_js:NAME__return', collect, [])
    .option('--kconfig <file>', KCONFIG_HELP)
    .option('--json', 'one JSON object per event (and per map at exit)')
    .action(async (args: string[], flags: TraceFlags) => {
      const dash = process.argv.indexOf('--');
      const command = dash < 0 ? [] : process.argv.slice(dash + 1);
      try {
        process.exitCode = await traceCommand(args.slice(0, args.length - command.length), command, flags);
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        printError('trace', errorText(e));
        process.exitCode = 1;
      }
    });
}

// A reader that stops early (`tsbpf run … | head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

program().parse(process.argv);
