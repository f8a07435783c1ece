import { readFileSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { disassembleClassic } from '../cbpf/disasm.js';
import { SockFilter } from '../cbpf/instruction.js';
import { compileFilter } from '../cbpf/pcap-filter/index.js';
import { BpfError } from '../errno.js';
import { Capture, LINKTYPE_ETHERNET, PacketRecord, readCapture, writePcap } from '../pcap/capture.js';
import { PacketEngine, PacketFilter } from '../pcap/packet-filter.js';
import { formatSummary, summarize } from '../pcap/summary.js';
import { fileError } from './load-program.js';
import { errorText, printError, printJson, printLine } from './output.js';

/**
 * `tsbpf pcap FILE [EXPR...]`: filter a capture (classic pcap or pcapng)
 * with a tcpdump filter expression, compiled to classic BPF and run through
 * the JIT; print the matching packets one per line, or write them to a pcap
 * file (-w), or print the compiled filter (-d, as `tcpdump -d`).
 */
export interface PcapFlags {
  write?: string;
  json?: boolean;
  engine: PacketEngine;
  d?: boolean;
  optimize: boolean;
}

export function pcapCommand(parent: Command): void {
  parent
    .command('pcap')
    .description('filter a capture file (pcap or pcapng) with a tcpdump expression; print the matching packets (UTC time, VLANs, addresses and ports, protocol, length) or write them (-w)')
    .argument('<file>', 'the capture (classic pcap, either byte order, micro- or nanosecond; or pcapng)')
    .argument('[expr...]', 'filter expression, as for tcpdump (pcap-filter(7)); none: every packet')
    .option('-w, --write <out>', 'write the matching packets to this pcap file instead of printing them')
    .option('--json', 'one JSON object per matching packet')
    .addOption(new Option('--engine <name>', 'run the filter on: jit (eBPF compiled to WebAssembly), interp (eBPF interpreter), classic (classic interpreter)').argParser(parseEngine).default('jit'))
    .option('-d', 'print the compiled filter as tcpdump -d does, and exit')
    .option('-O, --no-optimize', 'do not optimise the filter (as tcpdump -O)')
    .action((file: string, expr: string[], flags: PcapFlags) => {
      try {
        runPcap(file, expr.join(' '), flags);
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        printError(file, errorText(e));
        process.exitCode = 1;
      }
    });
}

function parseEngine(value: string): PacketEngine {
  if (value === 'jit' || value === 'interp' || value === 'classic') return value;
  throw new InvalidArgumentError('Unknown engine; expected jit, interp or classic.');
}

export function runPcap(file: string, expr: string, flags: PcapFlags): void {
  const prog = expr.trim() ? compileFilter(expr, { optimize: flags.optimize }) : undefined;
  if (flags.d) {
    process.stdout.write(disassembleClassic(prog ?? compileFilter('')));
    return;
  }
  const capture = readCapture(readBytes(file));
  const matching = filterCapture(capture, prog, flags.engine);
  if (flags.write !== undefined) return writeMatching(flags.write, capture, matching);
  for (const { index, packet } of matching) {
    const s = summarize(packet);
    if (flags.json) {
      printJson({ index, sec: packet.sec, nsec: packet.nsec, caplen: packet.data.length, len: packet.len, iface: packet.iface, linktype: packet.linktype, ...s });
    } else printLine(formatSummary(packet, s, capture.nanosecond));
  }
}

function readBytes(file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw fileError(e, `cannot read ${file}`);
  }
}

/** The packets the filter accepts, with their positions in the file (0-based). */
export function filterCapture(capture: Capture, prog: readonly SockFilter[] | undefined, engine: PacketEngine): { index: number; packet: PacketRecord }[] {
  const all = capture.packets.map((packet, index) => ({ index, packet }));
  if (!prog) return all;
  const foreign = capture.packets.find((p) => p.linktype !== LINKTYPE_ETHERNET);
  if (foreign) throw new BpfError('EOPNOTSUPP', `filter expressions are compiled for Ethernet (link type 1); this capture has link type ${foreign.linktype}`);
  return new PacketFilter(prog, { engine }).select(capture).map((index) => all[index]!);
}

function writeMatching(out: string, capture: Capture, matching: readonly { packet: PacketRecord }[]): void {
  const first = capture.interfaces[0];
  const bytes = writePcap(
    matching.map((m) => m.packet),
    { linktype: first?.linktype ?? LINKTYPE_ETHERNET, snaplen: first?.snaplen || 262144, nanosecond: capture.nanosecond },
  );
  try {
    writeFileSync(out, bytes);
  } catch (e) {
    throw fileError(e, `cannot write ${out}`);
  }
}
