import { writeSync } from 'node:fs';
import { BpfError } from '../errno.js';
import { TraceSession } from '../trace/node-session.js';
import { readObject } from './object.js';
import { TRACE_ENV, TraceChildConfig, preloadOption } from './trace-config.js';

/**
 * Loaded into the traced program by `tsbpf trace` (node --import, through
 * NODE_OPTIONS): sets up the session its configuration asks for, and sends
 * what the trace buffer holds to the CLI through the pipe on fd
 * `config.fd`, every FLUSH_MS and at exit (then also the object's maps).
 * It adds nothing that keeps the program alive, and removes itself from the
 * environment so the program's own child processes are not traced.
 * A failure is reported on stderr; the program runs on, untraced.
 */

const FLUSH_MS = 20;

/** write all of `text`, waiting out EAGAIN (the pipe may be non-blocking and full) */
function writeAll(fd: number, text: string): void {
  let buf = Buffer.from(text);
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

function report(e: unknown): void {
  const text = e instanceof BpfError ? `${e.message} (${e.errno})` : String(e);
  process.stderr.write(`tsbpf trace: ${text}\n`);
}

function start(config: TraceChildConfig): void {
  let session: TraceSession;
  try {
    session = new TraceSession({
      patterns: config.patterns, filter: config.filter, probes: config.probes, json: config.json,
      collection: config.prog ? readObject(config.prog, config.kconfig) : undefined, onError: report,
    });
  } catch (e) {
    report(e);
    return;
  }
  let open = true;
  const timer = setInterval(() => send(session.read()), FLUSH_MS).unref();
  // the CLI gone (the pipe broken) ends the tracing, never the program
  const send = (text: string): void => {
    if (!open || !text) return;
    try {
      writeAll(config.fd, text);
    } catch {
      open = false;
      clearInterval(timer);
      session.close();
    }
  };
  process.on('exit', () => {
    send(session.read());
    if (config.prog) send(session.dumpMaps());
  });
}

const raw = process.env[TRACE_ENV];
if (raw !== undefined) {
  delete process.env[TRACE_ENV];
  const own = ` ${preloadOption()}`;
  process.env.NODE_OPTIONS = (process.env.NODE_OPTIONS ?? '').replace(own, '');
  start(JSON.parse(raw) as TraceChildConfig);
}
