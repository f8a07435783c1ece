/**
 * CO-RE on clang-built objects (test/objects/core_*.c), checked against what
 * Linux and libbpf do with the same objects: the kernel oracle
 * (../shared/tools/kernel-oracle.py) loads each program with libbpf against
 * the same target BTF and test-runs it. For every program the kernel
 * accepts, tsbpf's relocated program must return the same value; where the
 * kernel refuses, tsbpf must refuse the same way (a poisoned instruction
 * reached, or a relocation error).
 *
 * The live oracle needs Linux and root; without it, core_local against
 * core_target.o is still compared with the kernel's answers recorded in
 * test/objects/KERNEL.md (when built by the same clang).
 */
import { test, TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Btf } from '../src/btf/btf.js';
import { applyCoreRelocations, CoreResult } from '../src/btf/core.js';
import { CoreCandidates } from '../src/btf/core-candidates.js';
import { parseBtf } from '../src/btf/parse.js';
import { CollectionSpec, readCollectionSpec } from '../src/elf/collection.js';
import { elfSection, parseElf } from '../src/elf/elf.js';
import { CORE_RELO_KINDS } from '../src/btf/kinds.js';
import { BpfError } from '../src/errno.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { loadCollection } from '../src/runtime/collection.js';
import { nodeHost } from '../src/runtime/node-host.js';
import { Runtime } from '../src/runtime/runtime.js';
import type { Engine } from '../src/vm/execute.js';
import { CLANG_AVAILABLE, CLANG_VERSION, OBJECTS_DIR, buildObject } from './objects/build.js';

const ORACLE = path.resolve(OBJECTS_DIR, '../../../shared/tools/kernel-oracle.py');
const VMLINUX = '/sys/kernel/btf/vmlinux';
const POISON = '195896080'; // libbpf's poison helper id, in every message about a reached poisoned call
const ENGINES: Engine[] = ['interp', 'jit'];
/** Program types whose test run gives a plain return value on 64 zero bytes, in Linux and in tsbpf. */
const COMPARED_TYPES = new Set(['socket_filter', 'xdp', 'sched_cls']);

const noClang = CLANG_AVAILABLE ? false : 'clang not found (install clang and libbpf-dev)';

function oracleSkip(): string | false {
  if (noClang) return noClang;
  if (process.platform !== 'linux') return 'the kernel oracle needs Linux';
  if (process.getuid?.() !== 0) return 'the kernel oracle needs root';
  if (!existsSync(ORACLE)) return `${ORACLE} not found`;
  const r = spawnSync('python3', [ORACLE, 'types'], { stdio: 'pipe' });
  return r.status === 0 ? false : `python3 ${ORACLE} types failed: ${r.stderr?.toString().trim() || r.error?.message}`;
}

// ---------------------------------------------------------------- what the kernel says

interface KernelVerdict {
  prog: string;
  type: string;
  accepted: boolean;
  errno: number;
  errorLine: string;
  /** test run's u32 return value, when the type has one */
  retval?: number;
}

/** The oracle's verdict on each program of one object, against the kernel's BTF or `btfPath`'s. */
function askKernel(objPath: string, btfPath?: string): Map<string, KernelVerdict> {
  const extra = btfPath ? ['--btf-custom-path', btfPath] : [];
  const r = spawnSync('python3', [ORACLE, 'elf', '--test-run', ...extra, objPath], { stdio: 'pipe', maxBuffer: 1 << 26 });
  const lines = r.stdout.toString().split('\n').filter((l) => l.startsWith('{'));
  assert.ok(lines.length > 0, `the oracle said nothing: ${r.stderr.toString().slice(0, 500)}`);
  return new Map(lines.map((l) => {
    const d = JSON.parse(l) as Record<string, unknown>;
    const run = d['test_run'] as { retval?: number } | null | undefined;
    const v: KernelVerdict = {
      prog: String(d['prog_name']),
      type: String(d['prog_type']),
      accepted: d['accepted'] === true,
      errno: Number(d['errno'] ?? 0),
      errorLine: String(d['error_line'] ?? ''),
      retval: typeof run?.retval === 'number' ? run.retval : undefined,
    };
    return [v.prog, v];
  }));
}

/** KERNEL.md's rows for one object and BTF, if KERNEL.md was measured on objects from this clang. */
function recordedVerdicts(object: string, btf: string): Map<string, KernelVerdict> | string {
  const text = readFileSync(path.join(OBJECTS_DIR, 'KERNEL.md'), 'utf8');
  if (!CLANG_VERSION || !text.includes(`(${CLANG_VERSION},`)) return `KERNEL.md was measured with another clang than ${CLANG_VERSION}`;
  const rows = text.split('\n').filter((l) => l.startsWith(`| ${object} | ${btf} |`));
  return new Map(rows.map((row) => {
    const c = row.split(/(?<!\\)\|/).map((x) => x.trim()).slice(1, -1);
    const v: KernelVerdict = { prog: c[2]!, type: c[4]!, accepted: c[5] === 'yes', errno: Number(c[7]), errorLine: c[8]!, retval: /^\d+$/.test(c[9]!) ? Number(c[9]) : undefined };
    return [v.prog, v];
  }));
}

// ---------------------------------------------------------------- what tsbpf does

function readSpec(objPath: string): CollectionSpec {
  return readCollectionSpec(new Uint8Array(readFileSync(objPath)), { fileName: objPath });
}

let vmlinux: Btf | undefined;
function targetBtf(which: 'core_target' | 'kernel'): Btf {
  if (which === 'core_target') return readSpec(buildObject('core_target')).btf!;
  vmlinux ??= parseBtf(new Uint8Array(readFileSync(VMLINUX)));
  return vmlinux;
}

/** Every program's relocation, sharing one candidate cache per object as libbpf does; an error for programs it refuses. */
function relocateAll(spec: CollectionSpec, target: Btf): Map<string, CoreResult | BpfError> {
  const cache = new CoreCandidates(spec.btf!, target);
  return new Map(spec.programs.map((p): [string, CoreResult | BpfError] => {
    try {
      return [p.name, applyCoreRelocations(p.insns, p.coreRelos, spec.btf!, target, { candidates: cache })];
    } catch (e) {
      if (e instanceof BpfError) return [p.name, e];
      throw e;
    }
  }));
}

interface OurVerdict {
  accepted: boolean;
  retval?: number;
  /** how the verdict was reached */
  how: 'test run' | 'bare run' | 'poisoned call reached' | 'relocation error';
  error?: string;
}

/**
 * Load and test-run one relocated program. The runtime checks helper ids
 * statically, over all instructions, so a poisoned call in dead code stops
 * a typed load (the kernel's verifier only sees calls it reaches). Then the
 * program runs bare (no type: no static helper check), which tells whether
 * the poison is reached (unverified: Linux has no typeless programs); these
 * programs do not read their context.
 */
function ourVerdict(objPath: string, prog: string, result: CoreResult | BpfError, engine: Engine): OurVerdict {
  if (result instanceof BpfError) return { accepted: false, how: 'relocation error', error: result.message };
  const load = (typed: boolean): ReturnType<typeof loadCollection> => {
    const spec = readSpec(objPath);
    const p = spec.programs.find((x) => x.name === prog)!;
    Object.assign(p, { insns: result.insns, coreRelos: [], engine }, typed ? {} : { type: undefined, unverified: true });
    return loadCollection(new Runtime({ helpers: linuxHelpers(), host: nodeHost() }), spec, { programs: [prog] });
  };
  try {
    return { accepted: true, how: 'test run', retval: load(true).programs.get(prog)!.testRun({ data: new Uint8Array(64) }).retval };
  } catch (e) {
    if (!(e instanceof BpfError) || !e.message.includes(POISON)) throw e;
  }
  try {
    const r0 = load(false).programs.get(prog)!.run({ mem: new Uint8Array(64) }).r0;
    return { accepted: true, how: 'bare run', retval: Number(r0 & 0xffffffffn) };
  } catch (e) {
    if (!(e instanceof BpfError) || !e.message.includes(POISON)) throw e;
    // the engines name the pc of the poisoned call: the loader can attach the reason from result.poisoned
    const pc = Number(/pc (\d+)/.exec(e.message)?.[1]);
    assert.ok(result.poisoned.has(pc), `${prog}: the poisoned call reached (pc ${pc}) is one CO-RE poisoned`);
    return { accepted: false, how: 'poisoned call reached', error: `${e.message} <- ${result.poisoned.get(pc)}` };
  }
}

/** Compare each program with the kernel's verdict; returns how many programs were compared. */
function compareWithKernel(t: TestContext, object: string, target: 'core_target' | 'kernel', kernel: Map<string, KernelVerdict>, bareRuns: string[]): number {
  const objPath = buildObject(object);
  const spec = readSpec(objPath);
  const results = relocateAll(spec, targetBtf(target));
  let compared = 0;
  for (const p of spec.programs) {
    const k = kernel.get(p.name);
    assert.ok(k, `${object}: the kernel has a verdict on ${p.name}`);
    const result = results.get(p.name)!;
    if (!COMPARED_TYPES.has(k.type)) {
      // no comparable test run (kprobes, tracing): the relocations must at least apply where the kernel's did
      if (k.accepted) assert.ok(!(result instanceof BpfError), `${object}/${p.name}: ${result instanceof BpfError ? result.message : ''}`);
      t.diagnostic(`${object}/${p.name} [${target}] (${k.type}): relocated, ${result instanceof BpfError ? 'refused' : `${result.poisoned.size} poisoned`}; no test run to compare`);
      continue;
    }
    for (const engine of ENGINES) {
      const ours = ourVerdict(objPath, p.name, result, engine);
      const label = `${object}/${p.name} against ${target} BTF (${engine})`;
      if (ours.how === 'bare run' && engine === 'interp') bareRuns.push(`${object}/${p.name} [${target}]`);
      assert.equal(ours.accepted, k.accepted, `${label}: accepted? kernel: ${k.accepted ? 'yes' : k.errorLine}; tsbpf: ${ours.error ?? ours.how}`);
      if (k.accepted) {
        assert.equal(ours.retval, k.retval, `${label}: retval`);
      } else if (ours.how === 'relocation error') {
        assert.equal(k.errno, 22, `${label}: the kernel's errno`);
        assert.doesNotMatch(k.errorLine, /poison/, `${label}: libbpf failed the relocation itself`);
      } else {
        assert.match(k.errorLine, /poison/, `${label}: the kernel too refused a poisoned instruction`);
      }
      if (engine === 'interp') t.diagnostic(`${label}: ${k.accepted ? `retval ${ours.retval} (${ours.how})` : `refused (${ours.error})`}`);
    }
    compared++;
  }
  return compared;
}

/** Programs the kernel accepts that a typed load refuses for a poisoned call in dead code: a gap of the runtime, not of CO-RE. */
function reportBareRuns(t: TestContext, bareRuns: string[]): void {
  if (bareRuns.length === 0) return;
  t.diagnostic(`checked by a bare run (the typed load refuses their dead poisoned calls): ${bareRuns.join(', ')}`);
}

// ---------------------------------------------------------------- tests

test('core_local and core_ambiguous against core_target.o: what the kernel oracle says, program by program', { skip: oracleSkip() }, async (t) => {
  const bareRuns: string[] = [];
  const btfPath = buildObject('core_target');
  let compared = 0;
  for (const object of ['core_local', 'core_ambiguous']) compared += compareWithKernel(t, object, 'core_target', askKernel(buildObject(object), btfPath), bareRuns);
  reportBareRuns(t, bareRuns);
  assert.ok(compared >= 15, `compared ${compared} programs`);
  await typedLoadGap(t, bareRuns);
});

test('core_local against core_target.o: what the kernel answered in KERNEL.md', { skip: noClang }, async (t) => {
  const recorded = recordedVerdicts('core_local', 'core_target');
  if (typeof recorded === 'string') return t.skip(recorded);
  const bareRuns: string[] = [];
  const compared = compareWithKernel(t, 'core_local', 'core_target', recorded, bareRuns);
  reportBareRuns(t, bareRuns);
  assert.ok(compared >= 14, `compared ${compared} programs`);
  await typedLoadGap(t, bareRuns);
});

test('against the running kernel\'s BTF: core_kernel, core_local and core_ambiguous as the kernel oracle says', { skip: !existsSync(VMLINUX) ? `${VMLINUX} not found` : oracleSkip() }, async (t) => {
  const bareRuns: string[] = [];
  let compared = 0;
  for (const object of ['core_kernel', 'core_local', 'core_ambiguous']) compared += compareWithKernel(t, object, 'kernel', askKernel(buildObject(object)), bareRuns);
  reportBareRuns(t, bareRuns);
  assert.ok(compared >= 20, `compared ${compared} programs`);
  await typedLoadGap(t, bareRuns);
});

/** A visible TODO while the runtime rejects poisoned calls the kernel's verifier would prove dead. */
async function typedLoadGap(t: TestContext, bareRuns: string[]): Promise<void> {
  await t.test('typed loads accept poisoned calls in dead code, as the kernel does', (st) => {
    if (bareRuns.length === 0) return;
    st.todo('the runtime checks helper ids statically (progtypes checkHelperCalls); the kernel checks only calls its verifier reaches');
    assert.deepEqual(bareRuns, [], 'programs loaded only by a bare run');
  });
}

test('core_ambiguous against core_target.o is refused: EINVAL naming the relocation and both flavors', { skip: noClang }, () => {
  const spec = readSpec(buildObject('core_ambiguous'));
  const p = spec.programs.find((x) => x.name === 'core_ambiguous_offset')!;
  assert.throws(() => applyCoreRelocations(p.insns, p.coreRelos, spec.btf!, targetBtf('core_target')), (e: unknown) => {
    assert.ok(e instanceof BpfError);
    assert.equal(e.errno, 'EINVAL');
    assert.match(e.message, /^insn \d+: CO-RE FIELD_BYTE_OFFSET of struct tsbpf_amb\.v \(0:0\): ambiguous: .*tsbpf_amb___x.*tsbpf_amb___y/);
    return true;
  });
});

/**
 * core_read_shape reads a shape through relocated loads. The kernel oracle
 * runs it on a zeroed map, where any offset reads 0; here the map holds a
 * shape laid out as core_target.c declares it (C layout rules, by hand):
 * name[8] at 0; origin at 8 (pad 8..15, y at 16, x at 20); color at 24;
 * the u32 at 28 holds layer (bits 0..11), visible (12), depth (13..18, signed);
 * surface at 32.
 */
test('core_read_shape reads a target-layout shape through its relocated loads', { skip: noClang }, () => {
  const objPath = buildObject('core_local');
  const spec = readSpec(objPath);
  const result = relocateAll(spec, targetBtf('core_target')).get('core_read_shape');
  assert.ok(result && !(result instanceof BpfError), String(result));
  const shape = new Uint8Array(64);
  const view = new DataView(shape.buffer);
  const [x, y, color, depth, surface, layer] = [3, 5, 7 /* TSBPF_BLUE in the target */, -3, 100, 0xabc];
  view.setInt32(16, y, true);
  view.setInt32(20, x, true);
  view.setUint32(24, color, true);
  view.setUint32(28, layer | (1 << 12) | ((depth & 0x3f) << 13), true);
  view.setInt32(32, surface, true);
  shape.fill(0x5a, 0, 8); // name: noise that a wrong offset would pick up
  // the program: x * 2 + y + depth + surface (area, renamed) + (color == BLUE)
  const want = x * 2 + y + depth + surface + 1;
  for (const engine of ENGINES) {
    const p = spec.programs.find((q) => q.name === 'core_read_shape')!;
    Object.assign(p, { insns: result.insns, coreRelos: [], engine, type: undefined, unverified: true }); // bare run: see ourVerdict
    const rt = new Runtime({ helpers: linuxHelpers(), host: nodeHost() });
    const c = loadCollection(rt, spec, { programs: ['core_read_shape'] });
    rt.updateElem(c.maps.get('shapes')!, new Uint8Array(4), shape);
    const r0 = c.programs.get('core_read_shape')!.run({ mem: new Uint8Array(64) }).r0;
    assert.equal(BigInt.asIntN(32, r0), BigInt(want), `${engine}: the sum over the relocated fields`);
  }
});

test('poisoned instructions are listed with the relocation that poisoned them', { skip: noClang }, () => {
  const spec = readSpec(buildObject('core_local'));
  const results = relocateAll(spec, targetBtf('core_target'));
  const removed = results.get('core_read_removed');
  assert.ok(removed && !(removed instanceof BpfError));
  const [[at, why]] = [...removed.poisoned];
  assert.equal(removed.insns[at!]!.imm, 195896080);
  assert.match(why!, /^insn \d+: CO-RE FIELD_BYTE_OFFSET of struct tsbpf_shape\.perimeter \(0:6\): poisoned: .*no member 'perimeter'/);
  // the guarded read is poisoned too (dead code); the existence check beside it resolved to 0
  const guarded = results.get('core_guarded_removed');
  assert.ok(guarded && !(guarded instanceof BpfError));
  assert.deepEqual(guarded.relocations.map((r) => [r.kind, r.poisoned, r.value]), [['field_exists', false, 0n], ['field_byte_offset', true, 0n]]);
});

/** The value a relocated instruction holds as compiled: a load/store offset, a lddw constant or an immediate. */
function compiledValue(insns: readonly { code: number; off: number; imm: number }[], at: number): bigint {
  const ins = insns[at]!;
  const cls = ins.code & 0x07;
  if (cls === 0x01 || cls === 0x02 || cls === 0x03) return BigInt.asUintN(64, BigInt(ins.off));
  if (cls === 0x00) return (BigInt(insns[at + 1]!.imm >>> 0) << 32n) | BigInt(ins.imm >>> 0);
  return BigInt.asUintN(64, BigInt(ins.imm));
}

/**
 * clang computes every relocation against the program's own types and
 * writes the result in the instruction; our computation on the local BTF
 * must agree. core_local's bitfields are laid out so that clang's load
 * choice and libbpf's agree, so all its relocations compare, shifts
 * included, in both byte orders (the big-endian shift formula differs).
 */
for (const bigEndian of [false, true]) {
  test(`${bigEndian ? 'big' : 'little'}-endian core_local: our values for the program's own types are what clang compiled`, { skip: noClang }, () => {
    const spec = readSpec(buildObject('core_local', { bigEndian }));
    assert.equal(spec.btf!.littleEndian, !bigEndian);
    let n = 0;
    for (const [name, result] of relocateAll(spec, readSpec(buildObject('core_target', { bigEndian })).btf!)) {
      assert.ok(!(result instanceof BpfError), `${name}: ${String(result)}`);
      const p = spec.programs.find((x) => x.name === name)!;
      for (const r of result.relocations) {
        assert.equal(r.localValue, compiledValue(p.insns, r.insn), `${name}: ${r.message}`);
        n++;
      }
    }
    assert.ok(n >= 40, `${n} relocations compared`);
  });
}

/**
 * core_local.o with its two TYPE_EXISTS records turned into TYPE_MATCHES
 * records (clang 14 cannot emit those; the compiled value, 1, is the same):
 * struct tsbpf_point (y and x swapped in the target: matches) and struct
 * tsbpf_extra (its int `a` became a long long: does not). Written to a
 * temporary file for the kernel oracle.
 */
function withTypeMatches(dir: string): string {
  const bytes = new Uint8Array(readFileSync(buildObject('core_local')));
  const btf = readCollectionSpec(bytes).btf!;
  const id = (name: string): number => btf.find(name, 'struct')!;
  const retarget = new Map([[id('tsbpf_extra'), id('tsbpf_point')], [id('tsbpf_local_only'), id('tsbpf_extra')]]);
  const ext = elfSection(parseElf(bytes), '.BTF.ext')!;
  const v = new DataView(bytes.buffer, bytes.byteOffset + ext.offset, ext.size);
  let at = v.getUint32(4, true) + v.getUint32(24, true); // hdr_len + core_relo_off
  const end = at + v.getUint32(28, true);
  const recordSize = v.getUint32(at, true);
  let changed = 0;
  for (at += 4; at < end;) {
    const count = v.getUint32(at + 4, true);
    for (let i = 0, r = at + 8; i < count; i++, r += recordSize) {
      if (CORE_RELO_KINDS[v.getUint32(r + 12, true)] !== 'type_exists') continue;
      v.setUint32(r + 4, retarget.get(v.getUint32(r + 4, true))!, true);
      v.setUint32(r + 12, CORE_RELO_KINDS.indexOf('type_matches'), true);
      changed++;
    }
    at += 8 + count * recordSize;
  }
  assert.equal(changed, 2, 'core_local has two TYPE_EXISTS relocations');
  const out = path.join(dir, 'core_local_matches.o');
  writeFileSync(out, bytes);
  return out;
}

test('TYPE_MATCHES (records rewritten from TYPE_EXISTS) against core_target.o: what the kernel oracle says', { skip: oracleSkip() }, (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-core-'));
  try {
    const objPath = withTypeMatches(dir);
    const spec = readSpec(objPath);
    const result = relocateAll(spec, targetBtf('core_target')).get('core_types')!;
    assert.ok(!(result instanceof BpfError), String(result));
    assert.deepEqual(result.relocations.filter((r) => r.kind === 'type_matches').map((r) => [r.local, r.value]),
      [['struct tsbpf_point', 1n], ['struct tsbpf_extra', 0n]], 'reordered members match; a resized one does not');
    const kernel = askKernel(objPath, buildObject('core_target')).get('core_types')!;
    assert.ok(kernel.accepted, kernel.errorLine);
    for (const engine of ENGINES) assert.equal(ourVerdict(objPath, 'core_types', result, engine).retval, kernel.retval, `${engine}: retval`);
    t.diagnostic(`core_types with TYPE_MATCHES: retval ${kernel.retval} in Linux and tsbpf`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
