import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Btf } from '../src/btf/btf.js';
import { parseBtf } from '../src/btf/parse.js';
import { BtfType } from '../src/btf/types.js';
import { ElfFile, elfSection, parseElf } from '../src/elf/elf.js';

/**
 * Shared by the btf*.test.ts files: the C fixtures compiled by clang into a
 * temporary directory, and the outside oracles (bpftool, the kernel's
 * BPF_BTF_LOAD), each of which may be absent: callers skip with the reason.
 */

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/btf-fixtures');
export const VMLINUX = '/sys/kernel/btf/vmlinux';

const tmp = mkdtempSync(path.join(tmpdir(), 'tsbpf-btf-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

export function tempFile(name: string, bytes?: Uint8Array): string {
  const file = path.join(tmp, name);
  if (bytes) writeFileSync(file, bytes);
  return file;
}

function works(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** Why a tool-based test cannot run here, or undefined when it can. */
export const noClang = works('clang', ['--version']) ? undefined : 'clang is not installed';
const BPFTOOL = ['bpftool', '/usr/sbin/bpftool'].find((b) => works(b, ['version']));
export const noBpftool = BPFTOOL ? undefined : 'bpftool is not installed';
export const noVmlinux = existsSync(VMLINUX) ? undefined : `${VMLINUX} is absent (not a Linux host with BTF)`;

export function bpftool(...args: string[]): string {
  return execFileSync(BPFTOOL!, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
}

export interface Fixture {
  object: string;
  elf: ElfFile;
  btf: Uint8Array;
  ext: Uint8Array | undefined;
}

const compiled = new Map<string, Fixture>();

/** test/btf-fixtures/NAME.c compiled with `clang -O2 -g -target TARGET -c`, once per run. */
export function fixture(name: string, target: 'bpfel' | 'bpfeb' = 'bpfel'): Fixture {
  const key = `${name}.${target}`;
  const known = compiled.get(key);
  if (known) return known;
  const object = path.join(tmp, `${key}.o`);
  execFileSync('clang', ['-O2', '-g', '-target', target, '-c', path.join(FIXTURES, `${name}.c`), '-o', object], { stdio: 'pipe' });
  const elf = parseElf(new Uint8Array(readFileSync(object)), object);
  const btf = elfSection(elf, '.BTF')?.data;
  if (!btf) throw new Error(`${object} has no .BTF`);
  const f = { object, elf, btf, ext: elfSection(elf, '.BTF.ext')?.data };
  compiled.set(key, f);
  return f;
}

export const FIXTURE_NAMES = ['types', 'layout', 'core', 'maps'];

/**
 * What libbpf does to an object's BTF before the kernel sees it, as far as
 * the fixtures need: DATASEC sizes from the ELF sections, variable offsets
 * from the symbols (clang leaves both 0).
 */
export function fixupDatasecs(btf: Btf, elf: ElfFile): Btf {
  const types = btf.types.map((t): BtfType => {
    if (t.kind !== 'datasec') return t;
    const section = elfSection(elf, t.name);
    const vars = t.vars.map((v) => {
      const name = btf.types[v.type]!.name;
      const sym = elf.symbols.find((s) => s.name === name && s.shndx === section?.index);
      return { ...v, offset: sym?.value ?? v.offset };
    });
    return { ...t, size: section?.size ?? t.size, vars };
  });
  return new Btf(types, btf.strings, { littleEndian: btf.littleEndian });
}

export function parsed(f: Fixture): Btf {
  return parseBtf(f.btf);
}

/** The host's byte order: the kernel reads BTF in its own order only. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface KernelVerdict {
  ok: boolean;
  errno?: string;
  log?: string;
}

const LOADER = path.join(FIXTURES, 'btf-load.py');

function probeKernel(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  const r = spawnSync('python3', [LOADER, '--probe'], { encoding: 'utf8' });
  if (r.status !== 0) return `python3 ${LOADER} failed: ${r.stderr.trim() || r.error?.message}`;
  const v = JSON.parse(r.stdout) as KernelVerdict;
  return v.ok ? undefined : `the kernel refuses BPF_BTF_LOAD here (${v.errno}: needs root/CAP_BPF)`;
}

export const noKernel = probeKernel();

/** The kernel's verdict on each blob, from one python3 process. */
export function kernelVerdicts(blobs: readonly Uint8Array[]): KernelVerdict[] {
  const input = Buffer.concat(blobs.flatMap((b) => {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    return [len, Buffer.from(b)];
  }));
  const out = execFileSync('python3', [LOADER], { input, encoding: 'utf8', maxBuffer: 1 << 26 });
  return out.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as KernelVerdict);
}
