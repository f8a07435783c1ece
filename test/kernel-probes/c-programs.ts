/**
 * Test utility: the C programs of the map differential (test/kernel-probes/c/),
 * compiled with clang as eBPF developers build them, read with tsbpf's ELF
 * loader, and turned into probe steps: a `create` for each map of the object
 * (as libbpf would create it) and test runs of its program with the map
 * references as indexes into the object's maps (BPF_PSEUDO_MAP_IDX), so the
 * kernel and tsbpf run the very same instructions.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCollectionSpec } from '../../src/elf/collection.js';
import { encode } from '../../src/isa/instruction.js';
import { CLANG_AVAILABLE, CLANG_VERSION, compileFile } from '../objects/build.js';
import type { ProgTypeName, Step } from './steps.js';

const C_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/kernel-probes/c');
const CACHE = path.join(tmpdir(), 'tsbpf-objects');

/** Why the C programs cannot be built here, or undefined. */
export const C_UNAVAILABLE: string | undefined = CLANG_AVAILABLE ? undefined : 'clang not found (apt-get install clang libbpf-dev, or set TSBPF_CLANG)';

/** test/kernel-probes/c/NAME.c compiled (cached by compiler and source). */
function build(name: string): string {
  const src = path.join(C_DIR, `${name}.c`);
  const hash = createHash('sha256').update(`${CLANG_VERSION}\n`).update(readFileSync(src)).digest('hex').slice(0, 16);
  const out = path.join(CACHE, `kernel-probes-${name}-${hash}.o`);
  if (existsSync(out)) return out;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  compileFile(src, tmp);
  renameSync(tmp, out);
  return out;
}

export interface CObject {
  /** a `create` step per map, named as in the C source */
  creates: Step[];
  /** a test run of the object's (only) program on `data` */
  run(data: string, out?: boolean): Step;
}

/** Build and read test/kernel-probes/c/NAME.c, which holds one program and maps without global data. */
export function cObject(name: string): CObject {
  const spec = readCollectionSpec(readFileSync(build(name)), { fileName: `${name}.o` });
  const prog = spec.programs[0]!;
  const type = prog.sectionDef?.programTypeName as ProgTypeName;
  const creates = spec.maps.map((m): Step => ({ op: 'create', name: m.name, type: m.type, key: m.keySize, value: m.valueSize, max: m.maxEntries, flags: m.flags ?? 0, ...(m.extra ? { extra: m.extra } : {}) }));
  const insns = Buffer.from(encode(prog.insns)).toString('hex');
  const maps = spec.maps.map((m) => m.name);
  return { creates, run: (data, out) => ({ op: 'run', type, insns, maps, data, ...(out ? { out: true } : {}) }) };
}
