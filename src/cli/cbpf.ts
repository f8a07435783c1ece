import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { assembleClassic } from '../cbpf/asm.js';
import { checkSocketFilter, prepareSeccomp } from '../cbpf/check.js';
import { disassembleClassic, formatBpfAsm, formatClassicC, formatClassicCommas, formatClassicDecimal } from '../cbpf/disasm.js';
import { decodeClassic, encodeClassic } from '../cbpf/encoding.js';
import { ClassicFilter, FilterEngine } from '../cbpf/filter.js';
import { SockFilter } from '../cbpf/instruction.js';
import { BpfError } from '../errno.js';
import { fileError } from './load-program.js';
import { errorText, printError, printJson, printLine } from './output.js';

/**
 * `tsbpf cbpf asm|disasm|run`: classic BPF programs in the forms of bpf_asm
 * and tcpdump (-d, -dd, -ddd), and runs of them on a frame.
 */

/**
 * A classic program from a file: `.bin` is raw `struct sock_filter` bytes
 * (little-endian); anything else is text in any form asm.ts reads
 * (bpf_asm, `tcpdump -d`, `-dd`, `-ddd`). Errors on a line name the file.
 */
export function readClassicFile(file: string): SockFilter[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw fileError(e, `cannot read ${file}`);
  }
  if (path.extname(file).toLowerCase() === '.bin') return decodeClassic(new Uint8Array(bytes));
  try {
    return assembleClassic(bytes.toString('utf8'));
  } catch (e) {
    if (e instanceof BpfError && /^line \d+:/.test(e.message)) throw new BpfError(e.errno, `${file}:${e.message.slice(5)}`);
    throw e;
  }
}

/** Run one verb; a BpfError becomes `tsbpf: FILE: message (ERRNO)` on stderr and exit code 1. */
function guarded(file: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    printError(file, errorText(e));
    process.exitCode = 1;
  }
}

const out = (text: string): void => {
  process.stdout.write(text);
};

interface AsmFlags {
  dd?: boolean;
  ddd?: boolean;
  output?: string;
  json?: boolean;
  seccomp?: boolean;
  check: boolean;
}

/** Check the program as Linux would load it: a socket filter, or with --seccomp a seccomp filter. */
function checkAs(prog: readonly SockFilter[], flags: { seccomp?: boolean; check: boolean }): void {
  if (!flags.check) return;
  if (flags.seccomp) prepareSeccomp(prog);
  else checkSocketFilter(prog);
}

function asmVerb(file: string, flags: AsmFlags): void {
  const prog = readClassicFile(file);
  checkAs(prog, flags);
  if (flags.output !== undefined) {
    try {
      writeFileSync(flags.output, encodeClassic(prog));
    } catch (e) {
      throw fileError(e, `cannot write ${flags.output}`);
    }
  }
  if (flags.json) printJson(prog.map((f) => ({ code: f.code, jt: f.jt, jf: f.jf, k: f.k >>> 0 })));
  else if (flags.dd) out(formatClassicC(prog));
  else if (flags.ddd) out(formatClassicDecimal(prog));
  else if (flags.output === undefined) out(formatClassicCommas(prog));
}

interface DisasmFlags {
  asm?: boolean;
  dd?: boolean;
  ddd?: boolean;
  json?: boolean;
}

function disasmVerb(file: string, flags: DisasmFlags): void {
  const prog = readClassicFile(file);
  if (flags.json) printJson(prog.map((f, i) => ({ index: i, code: f.code, jt: f.jt, jf: f.jf, k: f.k >>> 0, text: disassembleClassic([f]).trim().replace(/^\(\d+\) /, '') })));
  else if (flags.asm) out(formatBpfAsm(prog));
  else if (flags.dd) out(formatClassicC(prog));
  else if (flags.ddd) out(formatClassicDecimal(prog));
  else out(disassembleClassic(prog));
}

interface RunFlags {
  data: Uint8Array;
  engine: FilterEngine;
  layer: 'link' | 'network';
  mark?: number;
  json?: boolean;
}

function runVerb(file: string, flags: RunFlags): void {
  const prog = readClassicFile(file);
  const filter = new ClassicFilter(prog, { engine: flags.engine, layer: flags.layer });
  const kept = filter.run(flags.data, { mark: flags.mark });
  if (flags.json) {
    printJson({ file, retval: kept, kept: Math.min(kept, flags.data.length), engine: flags.engine, layer: flags.layer });
    return;
  }
  const verdict = kept === 0 ? 'drop' : `keep ${Math.min(kept, flags.data.length)} of ${flags.data.length} bytes`;
  printLine(`${file}: ${kept} (0x${kept.toString(16)}): ${verdict}`);
}

function parseHex(value: string): Uint8Array {
  const digits = value.replace(/[\s:]+/g, '').replace(/^0x/i, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new InvalidArgumentError('Expected hex bytes, e.g. "ffffffffffff 001122334455 0800 …".');
  return Uint8Array.from(digits.match(/../g) ?? [], (b) => parseInt(b, 16));
}

function parseEngine(value: string): FilterEngine {
  if (value === 'interp' || value === 'jit' || value === 'classic') return value;
  throw new InvalidArgumentError('Expected interp, jit or classic.');
}

function parseLayer(value: string): 'link' | 'network' {
  if (value === 'link' || value === 'network') return value;
  throw new InvalidArgumentError('Expected link or network.');
}

function parseU32(value: string): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new InvalidArgumentError('Expected a number from 0 to 2^32-1.');
  return v;
}

const FORMS = 'FILE: bpf_asm text, `tcpdump -d` output, a `tcpdump -dd` C array, `tcpdump -ddd` numbers, or .bin struct sock_filter bytes';

export function cbpfCommand(parent: Command): void {
  const cbpf = parent.command('cbpf').description('classic BPF: assemble, disassemble and run socket filters (bpf_asm and tcpdump syntax)');
  cbpf
    .command('asm')
    .description(`assemble FILE and check it as Linux checks a socket filter; print bpf_asm's "N,code jt jf k,…" form (${FORMS})`)
    .argument('<file>', 'classic program')
    .option('--dd', 'print a C array, as tcpdump -dd')
    .option('--ddd', 'print decimal numbers, as tcpdump -ddd')
    .option('-o, --output <file>', 'write the struct sock_filter array (little-endian) to this file')
    .option('--json', 'print the instructions as JSON [{code, jt, jf, k}]')
    .option('--seccomp', 'check it as a seccomp filter instead')
    .option('--no-check', 'do not check it')
    .action((file: string, flags: AsmFlags) => guarded(file, () => asmVerb(file, flags)));
  cbpf
    .command('disasm')
    .description(`print FILE as tcpdump -d does (${FORMS})`)
    .argument('<file>', 'classic program')
    .option('--asm', 'print bpf_asm source with labels instead')
    .option('--dd', 'print a C array, as tcpdump -dd')
    .option('--ddd', 'print decimal numbers, as tcpdump -ddd')
    .option('--json', 'print [{index, code, jt, jf, k, text}]')
    .action((file: string, flags: DisasmFlags) => guarded(file, () => disasmVerb(file, flags)));
  cbpf
    .command('run')
    .description('run the filter in FILE on one Ethernet frame and print what it returns: how many bytes to keep, 0 to drop')
    .argument('<file>', 'classic program')
    .requiredOption('--data <hex>', 'the frame, from its Ethernet header', parseHex)
    .addOption(new Option('--engine <name>', 'interp or jit (translated to eBPF), or classic (the classic interpreter)').argParser(parseEngine).default('jit'))
    .addOption(new Option('--layer <where>', 'where offset 0 is: link (the Ethernet header, as on a packet socket and for tcpdump filters) or network (the IP header, as a socket filter on an IP socket)').argParser(parseLayer).default('link'))
    .option('--mark <n>', 'skb->mark (ld #mark)', parseU32)
    .option('--json', 'print {file, retval, kept, engine, layer}')
    .action((file: string, flags: RunFlags) => guarded(file, () => runVerb(file, flags)));
}
