import { randomInt } from 'node:crypto';
import { basename } from 'node:path';
import { HostInfo } from '../helpers/registry.js';
import { jsStack } from './js-stack.js';

/** The host as Node sees it: this process's ids and name, its monotonic clock. */
export function nodeHost(): HostInfo {
  // hrtime is CLOCK_MONOTONIC on Linux; CLOCK_BOOTTIME differs from it only
  // by time spent suspended, which Node cannot see.
  return {
    monotonicNs: () => process.hrtime.bigint(),
    boottimeNs: () => process.hrtime.bigint(),
    pid: process.pid,
    tgid: process.pid,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    comm: basename(process.title || process.argv0).slice(0, 15),
    randomU32: () => randomInt(0, 2 ** 32),
    stack: jsStack,
  };
}
