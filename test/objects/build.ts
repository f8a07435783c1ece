/**
 * Test utility: compile a C program of the corpus (test/objects/NAME.c) with
 * clang, as eBPF developers do (`clang -O2 -g -target bpf -c`), into a cache
 * directory keyed by the sources' hash, so a test run compiles each object once.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/objects in the source tree (this file runs from dist/test/objects). */
export const OBJECTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/objects');

const CLANG = process.env['TSBPF_CLANG'] ?? 'clang';
const CACHE_DIR = path.join(tmpdir(), 'tsbpf-objects');

function run(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  } catch {
    return undefined;
  }
}

/** clang's first version line, e.g. "Debian clang version 14.0.6", or undefined. */
export const CLANG_VERSION: string | undefined = run(CLANG, ['--version'])?.split('\n')[0];
export const CLANG_AVAILABLE = CLANG_VERSION !== undefined;

/**
 * Debian keeps <asm/*.h> under /usr/include/<multiarch>, which `-target bpf`
 * does not search; linux/bpf.h needs it.
 */
function multiarchIncludes(): string[] {
  const triple = run(CLANG, ['-print-multiarch']) || run('gcc', ['-print-multiarch']);
  const dir = triple ? `/usr/include/${triple}` : '';
  return dir && existsSync(dir) ? ['-I', dir] : [];
}

/** The flags every corpus object is built with (bpf_tracing.h needs a target arch for pt_regs). */
function clangArgs(src: string, out: string, bigEndian: boolean): string[] {
  const target = bigEndian ? 'bpfeb' : 'bpfel'; // bpfel is what `-target bpf` gives on little-endian hosts
  return ['-O2', '-g', '-target', target, '-D__TARGET_ARCH_x86', '-I', OBJECTS_DIR, ...multiarchIncludes(), '-Wall', '-c', src, '-o', out];
}

/** NAME of every test/objects/NAME.c, sorted. */
export function corpusNames(): string[] {
  return readdirSync(OBJECTS_DIR)
    .filter((f) => f.endsWith('.c'))
    .map((f) => f.slice(0, -2))
    .sort();
}

/** The cache key: compiler, flags, the source and every local header it may include. */
function sourceHash(src: string, bigEndian: boolean): string {
  const h = createHash('sha256');
  h.update(`${CLANG_VERSION}\n${clangArgs('SRC', 'OUT', bigEndian).join(' ')}\n`);
  h.update(readFileSync(src));
  for (const f of readdirSync(OBJECTS_DIR).filter((x) => x.endsWith('.h')).sort()) {
    h.update(f).update(readFileSync(path.join(OBJECTS_DIR, f)));
  }
  return h.digest('hex').slice(0, 16);
}

/** Compile one C file to an eBPF object with the corpus' flags; throws with clang's message. */
export function compileFile(src: string, out: string, bigEndian = false): void {
  if (!CLANG_AVAILABLE) throw new Error(`buildObject: '${CLANG}' not found; install clang (Debian: apt-get install clang libbpf-dev) or set TSBPF_CLANG`);
  try {
    execFileSync(CLANG, clangArgs(src, out, bigEndian), { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    rmSync(out, { force: true });
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? (e as Error).message;
    throw new Error(`buildObject: clang failed on ${src}:\n${stderr}`);
  }
}

/**
 * Compile test/objects/NAME.c and return the .o path (little-endian unless
 * bigEndian). Throws if clang is missing or the source does not compile.
 */
export function buildObject(name: string, opts: { bigEndian?: boolean } = {}): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`buildObject: bad object name '${name}'`);
  const src = path.join(OBJECTS_DIR, `${name}.c`);
  if (!existsSync(src)) throw new Error(`buildObject: no source ${src}`);
  const bigEndian = opts.bigEndian ?? false;
  const out = path.join(CACHE_DIR, `${name}-${bigEndian ? 'eb' : 'el'}-${sourceHash(src, bigEndian)}.o`);
  if (existsSync(out)) return out;
  mkdirSync(CACHE_DIR, { recursive: true });
  // compile beside the final name, then rename: concurrent test files never see half an object
  const tmp = `${out}.${process.pid}.tmp`;
  compileFile(src, tmp, bigEndian);
  renameSync(tmp, out);
  return out;
}
