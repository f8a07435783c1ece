/**
 * Filtering a capture with a tcpdump expression: packets per second through
 * the JIT (the default engine of `tsbpf pcap`), beside tcpdump doing the same
 * (`tcpdump -r FILE EXPR -w /dev/null`), timed in the same run.
 *
 * The capture is 100,000 packets of mixed synthetic traffic (test/pcap-gen.ts:
 * IPv4, IPv6, ARP, VLAN tags, TCP/UDP/ICMP/SCTP, a few cut packets), written
 * to a temporary file. tsbpf is timed in process, reading the file into the
 * filter's memory and filtering it; tcpdump is a process, so its time
 * includes starting up, which is also measured alone (on a file with no
 * packets) and subtracted for the second ratio. Each number is the median
 * of several runs.
 *
 *   node dist/bench/pcap.js [--json] [--packets N]
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileFilter } from '../src/cbpf/pcap-filter/index.js';
import { readCapture, writePcap } from '../src/pcap/capture.js';
import { PacketEngine, PacketFilter } from '../src/pcap/packet-filter.js';
import { generatePackets } from '../test/pcap-gen.js';
import { median } from './stats.js';

const EXPR = 'tcp port 80 and host 10.0.0.1';
const RUNS = 9;
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const COUNT = Number(arg('--packets') ?? 100_000);


/** Median wall time of `fn` in milliseconds, after warm-up runs. */
function time(fn: () => void, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(samples);
}

/** Read a file into the filter's memory (no copy after the read) and filter it. */
function readAndFilter(filter: PacketFilter, file: string): number[] {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const bytes = filter.fileBuffer(size);
    for (let at = 0; at < size; ) at += readSync(fd, bytes, at, size - at, at);
    return filter.selectFile(bytes);
  } finally {
    closeSync(fd);
  }
}

const TCPDUMP = ['/usr/bin/tcpdump', '/usr/sbin/tcpdump'].find((p) => spawnSync(p, ['--version']).status === 0);

function tcpdump(file: string, expr: string, out = '/dev/null'): { ms: number; ok: boolean } {
  const t = process.hrtime.bigint();
  const r = spawnSync(TCPDUMP!, ['-r', file, '-w', out, expr], { stdio: 'ignore' });
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, ok: r.status === 0 };
}

const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-bench-pcap-'));
try {
  const packets = generatePackets(2024, COUNT, { truncate: 0.02, garbage: 0.01 });
  const file = path.join(dir, 'mixed.pcap');
  const empty = path.join(dir, 'empty.pcap');
  writeFileSync(file, writePcap(packets));
  writeFileSync(empty, writePcap([]));
  const packetsFileSize = statSync(file).size;
  const prog = compileFilter(EXPR);

  const engines: { engine: PacketEngine; filterMs: number; totalMs: number; matched: number }[] = [];
  for (const engine of ['jit', 'interp', 'classic'] as const) {
    const filter = new PacketFilter(prog, { engine });
    const matched = readAndFilter(filter, file).length;
    const totalMs = time(() => readAndFilter(filter, file));
    // The file is in the filter's memory now: the same room again, bytes untouched.
    const bytes = filter.fileBuffer(packetsFileSize);
    const filterMs = time(() => filter.selectFile(bytes));
    engines.push({ engine, filterMs, totalMs, matched });
  }

  let theirs: { ms: number; startupMs: number; matched: number } | undefined;
  if (TCPDUMP) {
    const out = path.join(dir, 'out.pcap');
    tcpdump(file, EXPR, out);
    const matched = readCapture(new Uint8Array(readFileSync(out))).packets.length;
    const ms = median(Array.from({ length: RUNS }, () => tcpdump(file, EXPR).ms));
    const startupMs = median(Array.from({ length: RUNS }, () => tcpdump(empty, EXPR).ms));
    theirs = { ms, startupMs, matched };
  }

  const pps = (ms: number): number => Math.round(COUNT / (ms / 1000));
  const jit = engines[0]!;
  const result = {
    expression: EXPR,
    packets: COUNT,
    tsbpf: engines.map((e) => ({ engine: e.engine, matched: e.matched, filterMs: e.filterMs, filterPps: pps(e.filterMs), readAndFilterMs: e.totalMs, readAndFilterPps: pps(e.totalMs) })),
    tcpdump: theirs && { matched: theirs.matched, ms: theirs.ms, pps: pps(theirs.ms), startupMs: theirs.startupMs, ppsWithoutStartup: pps(Math.max(theirs.ms - theirs.startupMs, 0.001)) },
    ratio: theirs && { readAndFilter: theirs.ms / jit.totalMs, withoutStartup: (theirs.ms - theirs.startupMs) / jit.totalMs },
  };

  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(result));
  } else {
    console.log(`filtering ${COUNT} packets with '${EXPR}' (median of ${RUNS} runs)`);
    for (const e of result.tsbpf) {
      console.log(`  tsbpf ${e.engine.padEnd(7)} read+filter ${e.readAndFilterMs.toFixed(1).padStart(7)} ms  ${String(e.readAndFilterPps).padStart(10)} packets/s   filter alone ${e.filterMs.toFixed(1).padStart(7)} ms  ${String(e.filterPps).padStart(10)} packets/s   (${e.matched} matched)`);
    }
    const t = result.tcpdump;
    if (!t) console.log('  tcpdump: not installed');
    else {
      console.log(`  tcpdump         process     ${t.ms.toFixed(1).padStart(7)} ms  ${String(t.pps).padStart(10)} packets/s   (${t.matched} matched; ${t.startupMs.toFixed(1)} ms of it starting up)`);
      console.log(`  ratio: tsbpf JIT read+filter is ${result.ratio!.readAndFilter.toFixed(2)}× tcpdump's speed (${result.ratio!.withoutStartup.toFixed(2)}× without tcpdump's start-up)`);
      if (t.matched !== jit.matched) console.log(`  MISMATCH: tcpdump kept ${t.matched} packets, tsbpf ${jit.matched}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
