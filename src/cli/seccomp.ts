import { Command, InvalidArgumentError, Option } from 'commander';
import { SECCOMP_ARCHES, SeccompArch, SeccompEngine, evaluateSeccomp, isSeccompArch, loadSeccompFilter, syscallNumber } from '../cbpf/seccomp.js';
import { BpfError } from '../errno.js';
import { formatSeccompAction } from '../progtypes/seccomp.js';
import { readClassicFile } from './cbpf.js';
import { errorText, printError, printJson, printLine } from './output.js';

/**
 * `tsbpf seccomp check POLICY… --syscall NAME`: what seccomp would do with
 * one system call, given the filters a process installed (oldest first),
 * without installing anything: so policies can be unit-tested.
 */

interface CheckFlags {
  syscall: string;
  arch: SeccompArch;
  args: bigint[];
  ip: bigint;
  engine: SeccompEngine;
  json?: boolean;
}

function checkVerb(policies: string[], flags: CheckFlags): void {
  const nr = syscallNumber(flags.arch, flags.syscall);
  const filters = policies.map((file) => {
    try {
      return loadSeccompFilter(readClassicFile(file));
    } catch (e) {
      // name the file the refused filter came from
      if (e instanceof BpfError && !e.message.startsWith(file)) throw new BpfError(e.errno, `${file}: ${e.message}`);
      throw e;
    }
  });
  const audit = SECCOMP_ARCHES[flags.arch].audit;
  const v = evaluateSeccomp(filters, { nr, arch: audit, instructionPointer: flags.ip, args: flags.args }, flags.engine);
  const text = formatSeccompAction(v);
  if (!flags.json) return printLine(text);
  const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
  printJson({
    action: v.action,
    data: v.data,
    text,
    ret: hex(v.ret),
    syscall: flags.syscall,
    nr,
    arch: flags.arch,
    audit_arch: hex(audit),
    args: flags.args.map(String),
    // the filter that decided, by position and file (null when all allowed)
    filter: v.filter < 0 ? null : { index: v.filter, file: policies[v.filter] },
    rets: v.rets.map(hex),
  });
}

/** A u64 from decimal, 0x hex or a negative number (two's complement). */
function parseU64(text: string): bigint {
  const t = text.trim();
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(t)) throw new InvalidArgumentError(`'${text}' is not a number`);
  const v = BigInt(t.replace(/^-/, '')) * (t.startsWith('-') ? -1n : 1n);
  if (v >= 1n << 64n || v < -(1n << 63n)) throw new InvalidArgumentError(`'${text}' does not fit 64 bits`);
  return BigInt.asUintN(64, v);
}

function parseArgs(value: string): bigint[] {
  const parts = value === '' ? [] : value.split(',');
  if (parts.length > 6) throw new InvalidArgumentError('A system call has at most 6 arguments.');
  return parts.map(parseU64);
}

function parseArch(value: string): SeccompArch {
  if (isSeccompArch(value)) return value;
  throw new InvalidArgumentError(`Expected one of ${Object.keys(SECCOMP_ARCHES).join(', ')}.`);
}

function parseEngine(value: string): SeccompEngine {
  if (value === 'classic' || value === 'interp' || value === 'jit') return value;
  throw new InvalidArgumentError('Expected classic, interp or jit.');
}

export function seccompCommand(parent: Command): void {
  const seccomp = parent.command('seccomp').description('seccomp policies (classic BPF filters) evaluated without installing them');
  seccomp
    .command('check')
    .description('print the action seccomp takes for one system call (ERRNO(1), ALLOW, KILL_PROCESS, …): the filters in the POLICY files are stacked, the first installed first, and combined with Linux\'s precedence')
    .argument('<policy...>', 'filters: bpf_asm text, tcpdump -dd C arrays, -ddd numbers or .bin struct sock_filter bytes')
    .requiredOption('--syscall <name>', 'the system call, by name (openat) or number')
    .addOption(new Option('--arch <arch>', 'the architecture: its system call numbers and AUDIT_ARCH value').argParser(parseArch).default('x86_64'))
    .option('--args <a,b,…>', 'up to six arguments (decimal, 0x hex, negative)', parseArgs, [])
    .addOption(new Option('--ip <addr>', 'the instruction pointer').argParser(parseU64).default(0n, '0'))
    .addOption(new Option('--engine <name>', 'interp or jit (translated to eBPF), or classic (the classic interpreter)').argParser(parseEngine).default('interp'))
    .option('--json', 'print {action, data, text, ret, syscall, nr, arch, audit_arch, args, filter, rets}')
    .action((policies: string[], flags: CheckFlags) => {
      try {
        checkVerb(policies, flags);
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        printError('seccomp', errorText(e));
        process.exitCode = 1;
      }
    });
}
