import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { BpfError } from '../errno.js';
import { KconfigOptions } from '../elf/kconfig.js';

/**
 * Where `.kconfig` externs get their values on the command line: a kernel
 * .config file (plain or gzipped), by default the running kernel's, found
 * where libbpf looks for it; LINUX_KERNEL_VERSION from the running kernel's
 * release.
 */

/** `CONFIG_X=value` lines; `# CONFIG_X is not set` reads as n. */
export function parseKernelConfig(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (set) values[set[1]!] = set[2]!;
    const unset = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (unset) values[unset[1]!] = 'n';
  }
  return values;
}

/** KERNEL_VERSION(a, b, c) of a release string such as 6.18.44-foo; sublevels above 255 saturate as libbpf's do. */
export function kernelVersionOf(rel: string): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(rel);
  if (!m) return 0;
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(255, Number(m[3] ?? 0));
}

function readConfig(file: string): string {
  try {
    const bytes = readFileSync(file);
    return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString();
  } catch (e) {
    throw new BpfError('ENOENT', `cannot read kernel config ${file}: ${(e as Error).message}`);
  }
}

/** The kconfig of `file`, or of the running kernel when no file is named (none when it has no config to read). */
export function hostKconfig(file?: string): KconfigOptions {
  const rel = release();
  const found = file ?? [`/boot/config-${rel}`, '/proc/config.gz'].find((f) => existsSync(f));
  return { values: found ? parseKernelConfig(readConfig(found)) : {}, kernelVersion: kernelVersionOf(rel) };
}
