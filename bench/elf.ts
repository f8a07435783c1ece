/**
 * Loading a large object: a generated C file with 100 programs (XDP and
 * socket filters sharing maps, global data and sub-programs), compiled by
 * clang, then read (readCollectionSpec: ELF, BTF, .BTF.ext, linking) and
 * loaded (loadCollection: maps, global data, programs) into a Runtime,
 * beside libbpf doing the same through `bpftool prog loadall` on the real
 * kernel, timed around the process, in the same run where it can run.
 *
 *   node dist/bench/elf.js [--programs N] [--runs N]
 *
 * Figures are medians in milliseconds; tsbpf's are in-process after one warm-up.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readCollectionSpec } from '../src/elf/collection.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { loadCollection } from '../src/runtime/collection.js';
import { Runtime } from '../src/runtime/runtime.js';
import { compileFile } from '../test/objects/build.js';
import { median } from './stats.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const programs = option('--programs', 100);
const runs = option('--runs', 7);

/** One program per index: a map lookup, a global counter, a call into a shared sub-program. */
function source(n: number): string {
  const progs = Array.from({ length: n }, (_, i) => `
SEC("${i % 2 ? 'xdp' : 'socket'}")
int prog_${i}(void *ctx)
{
	__u32 key = ${i % 16};
	__u64 *v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	total += ${i};
	return mix(key, ${i}) & ${i % 2 ? 3 : 0xffff};
}`);
  return `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");
__u64 total;
const volatile __u32 seed = 7;
static __noinline __u32 mix(__u32 a, __u32 b) { return (a * 2654435761u) ^ (b + seed); }
${progs.join('\n')}
char LICENSE[] SEC("license") = "GPL";
`;
}

function time(fn: () => void): number {
  fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    ms.push(performance.now() - start);
  }
  return median(ms);
}

/** libbpf + the kernel verifier loading every program, pinned to a throwaway bpffs directory and removed again. */
function timeBpftool(obj: string): number | undefined {
  const dir = `/sys/fs/bpf/tsbpf-bench-${process.pid}`;
  const load = (): boolean => {
    const r = spawnSync('bpftool', ['prog', 'loadall', obj, dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
    return r.status === 0;
  };
  if (!load()) return undefined;
  return time(() => void load());
}

const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-bench-elf-'));
try {
  const src = path.join(dir, 'many.bpf.c');
  const obj = path.join(dir, 'many.bpf.o');
  writeFileSync(src, source(programs));
  compileFile(src, obj);
  const bytes = new Uint8Array(readFileSync(obj));
  const spec = readCollectionSpec(bytes, { fileName: obj });
  const insns = spec.programs.reduce((n, p) => n + p.insns.length, 0);
  const read = time(() => void readCollectionSpec(bytes, { fileName: obj }));
  const load = time(() => void loadCollection(new Runtime({ helpers: linuxHelpers() }), readCollectionSpec(bytes, { fileName: obj })));
  const jit = time(() => {
    const s = readCollectionSpec(bytes, { fileName: obj });
    for (const p of s.programs) p.engine = 'jit';
    loadCollection(new Runtime({ helpers: linuxHelpers() }), s);
  });
  const kernel = timeBpftool(obj);
  console.log(`object: ${spec.programs.length} programs, ${insns} instructions, ${bytes.length} bytes (clang ${obj})`);
  console.log(`read (ELF, BTF, .BTF.ext, link)      ${read.toFixed(2)} ms`);
  console.log(`read + load, interpreter            ${load.toFixed(2)} ms`);
  console.log(`read + load, JIT-compiled           ${jit.toFixed(2)} ms`);
  console.log(kernel === undefined
    ? 'bpftool prog loadall (libbpf + Linux): not run here (needs root, bpftool and a bpffs at /sys/fs/bpf)'
    : `bpftool prog loadall (libbpf + Linux verifier + JIT, whole process): ${kernel.toFixed(2)} ms; tsbpf read+load is ${(load / kernel).toFixed(2)}x of it (no verifier yet)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
