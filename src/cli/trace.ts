import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { BpfError } from '../errno.js';
import { TraceSession } from '../trace/node-session.js';
import { readObject } from './object.js';
import { TRACE_ENV, TraceChildConfig, preloadOption } from './trace-config.js';

/**
 * `tsbpf trace [--filter EXPR] [--prog FILE.o] [--probe SPEC]… TRACEPOINT… -- COMMAND…`:
 * run a Node program with tracing set up inside it (trace-preload.ts) and
 * stream its events to stdout, as trace_pipe text or JSON lines.
 *
 * Bad input is refused before the program starts: the same session is set
 * up here first, in check mode (patterns, the filter compiled and verified
 * for every tracepoint it names, the object loaded and its programs verified
 * against their tracepoints). What only the program can define (its static
 * probes, function probes) is checked when it appears, and a failure there
 * is reported on stderr while the program runs on untraced by it.
 */

export interface TraceFlags {
  filter?: string;
  prog?: string;
  probe: string[];
  kconfig?: string;
  json?: boolean;
}

const OUT_FD = 3;

/** The exit code: the program's own (128 + signal number when a signal ended it). */
export async function traceCommand(patterns: string[], command: string[], flags: TraceFlags): Promise<number> {
  if (command.length === 0) throw new BpfError('EINVAL', 'no program to trace: give it after --, e.g. tsbpf trace node_http:* -- node server.js');
  if (patterns.length === 0 && !flags.prog && flags.probe.length === 0) throw new BpfError('EINVAL', 'nothing to trace: name tracepoints, --probe or --prog');
  const prog = flags.prog === undefined ? undefined : path.resolve(flags.prog);
  new TraceSession({ patterns, filter: flags.filter, probes: flags.probe, collection: prog ? readObject(prog, flags.kconfig) : undefined, check: true }).close();

  const config: TraceChildConfig = { fd: OUT_FD, patterns, filter: flags.filter, probes: flags.probe, prog, kconfig: flags.kconfig, json: flags.json ?? false };
  const env = { ...process.env, [TRACE_ENV]: JSON.stringify(config), NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${preloadOption()}` };
  const child = spawn(command[0]!, command.slice(1), { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], env });
  if (process.stderr.isTTY) process.stderr.write(`tsbpf: tracing ${command.join(' ')} (pid ${child.pid ?? '?'}); Ctrl-C stops it\n`);
  const out = child.stdio[OUT_FD] as NodeJS.ReadableStream;
  out.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  // Ctrl-C reaches the program too (one process group): let it end, and report what it sent until then
  const ignore = (): void => {};
  process.on('SIGINT', ignore);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', (e) => reject(new BpfError('ENOENT', `cannot run ${command[0]}: ${e.message}`)));
      child.on('close', (c, s) => resolve([c, s]));
    });
    return code ?? 128 + (signal ? signalNumber(signal) : 0);
  } finally {
    process.off('SIGINT', ignore);
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return os.constants.signals[signal] ?? 0;
}
