import { BpfError } from '../errno.js';
import { CollectionMapSpec, CollectionProgramSpec, CollectionSpec } from '../elf/collection.js';
import { Btf } from '../btf/btf.js';
import { applyCoreRelocations } from '../btf/core.js';
import { Insn } from '../isa/instruction.js';
import { MapSpec, MapType } from '../maps/map.js';
import { programType } from '../progtypes/index.js';
import { Program } from './program.js';
import type { Runtime } from './runtime.js';

/**
 * Loading a CollectionSpec into a Runtime, as libbpf's bpf_object__load does:
 * create (or reuse pinned) maps, fill global data and freeze .rodata, then
 * load the programs with their map references bound to the new map IDs.
 * A failure leaves nothing behind: what was created is closed again.
 */

/** The live objects of a loaded collection. */
export interface Collection {
  /** map IDs by map name */
  maps: Map<string, number>;
  programs: Map<string, Program>;
  /** programs left unloaded, and why */
  skipped: { name: string; reason: string }[];
  /** initial values that could not be set (a program array slot naming a program that was not loaded) */
  warnings: string[];
}

export interface CollectionOptions {
  /** load only these programs (all of them when absent) */
  programs?: readonly string[];
  /** the BTF CO-RE relocations are resolved against (the "kernel's": vmlinux, or any target) */
  targetBtf?: Btf;
}

export function loadCollection(rt: Runtime, spec: CollectionSpec, options: CollectionOptions = {}): Collection {
  if (!spec.littleEndian) {
    throw new BpfError('EINVAL', `${spec.fileName}: a big-endian object (clang -target bpfeb) cannot run on this little-endian runtime`);
  }
  checkWanted(spec, options.programs);
  const created: number[] = [];
  const loaded: Program[] = [];
  try {
    const ids = spec.maps.map((m) => createOrReuse(rt, m, created));
    spec.maps.forEach((m, i) => {
      if (m.inner) fillMapOfMaps(rt, ids[i]!, m, spec, ids);
    });
    const collection: Collection = { maps: new Map(spec.maps.map((m, i) => [m.name, ids[i]!])), programs: new Map(), skipped: [], warnings: [] };
    for (const p of spec.programs) {
      const reason = skipReason(p, options.programs, options.targetBtf);
      if (reason) {
        collection.skipped.push({ name: p.name, reason });
        continue;
      }
      const program = withContext(`program '${p.name}' (section '${p.section}')`, () => rt.loadProgram({ ...p, ...relocated(spec, p, options.targetBtf), maps: ids }));
      loaded.push(program);
      collection.programs.set(p.name, program);
    }
    spec.maps.forEach((m, i) => {
      if (m.type === MapType.PROG_ARRAY) fillProgArray(rt, ids[i]!, m, collection);
    });
    return collection;
  } catch (e) {
    for (const p of loaded) rt.unloadProgram(p.id);
    for (const id of created.reverse()) rt.closeMap(id);
    throw e;
  }
}

function checkWanted(spec: CollectionSpec, wanted: readonly string[] | undefined): void {
  for (const name of wanted ?? []) {
    if (!spec.programs.some((p) => p.name === name)) {
      throw new BpfError('ENOENT', `${spec.fileName}: no program named '${name}' (it has ${spec.programs.map((p) => p.name).join(', ') || 'none'})`);
    }
  }
}

function skipReason(p: CollectionSpec['programs'][number], wanted: readonly string[] | undefined, targetBtf: Btf | undefined): string | undefined {
  if (wanted && !wanted.includes(p.name)) return 'not asked for';
  if (p.coreRelos.length > 0 && !targetBtf) return `it has ${p.coreRelos.length} CO-RE relocations and no target BTF was given to resolve them against`;
  if (wanted) return undefined;
  if (p.sectionDef?.autoload === false) return `section '${p.section}' starts with '?': not loaded unless asked for`;
  if (p.type === undefined) return `section name '${p.section}' is not one libbpf knows, so the program type is unknown (set the program's type)`;
  if (!programType(p.type)) return `program type ${p.sectionDef?.programTypeName ?? p.type} cannot be loaded by tsbpf yet`;
  return undefined;
}

/** The program's instructions with its CO-RE relocations applied against the target BTF. */
function relocated(spec: CollectionSpec, p: CollectionProgramSpec, targetBtf: Btf | undefined): { insns: Insn[]; poisoned?: ReadonlyMap<number, string> } {
  if (p.coreRelos.length === 0 || !targetBtf) return { insns: p.insns };
  if (!spec.btf) throw new BpfError('EINVAL', `${spec.fileName}: CO-RE relocations without .BTF`);
  const r = applyCoreRelocations(p.insns, p.coreRelos, spec.btf, targetBtf);
  return { insns: r.insns, poisoned: r.poisoned };
}

/** Prefix an error's message with the object it concerns, keeping its errno and class (a VerifierRejection keeps its log). */
function withContext<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BpfError) e.message = `${what}: ${e.message}`;
    throw e;
  }
}

/** libbpf's program array initialisation: `.values = { [i] = &prog }` once the programs are loaded. */
function fillProgArray(rt: Runtime, id: number, m: CollectionMapSpec, c: Collection): void {
  for (const v of m.values ?? []) {
    const prog = c.programs.get(v.name);
    if (!prog) {
      c.warnings.push(`map '${m.name}': slot ${v.index} is left empty: program '${v.name}' was not loaded`);
      continue;
    }
    withContext(`map '${m.name}': slot ${v.index} (program '${v.name}')`, () => rt.updateElem(id, u32(v.index), u32(prog.id)));
  }
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** The kernel keeps 15 characters of an object's name: libbpf cuts longer map names to fit. */
const OBJ_NAME_MAX = 15;

function mapSpecOf(m: CollectionMapSpec): MapSpec {
  return { name: m.name.slice(0, OBJ_NAME_MAX), type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags ?? 0, extra: m.extra ?? 0 };
}

/** libbpf's map-in-map initialisation: `.values = { [i] = &inner }`, by the inner maps' new IDs. */
function fillMapOfMaps(rt: Runtime, id: number, m: CollectionMapSpec, spec: CollectionSpec, ids: number[]): void {
  for (const v of m.values ?? []) {
    const index = spec.maps.findIndex((x) => x.name === v.name);
    if (index < 0) throw new BpfError('EINVAL', `map '${m.name}': slot ${v.index} names '${v.name}', which is not a map of this object`);
    withContext(`map '${m.name}': slot ${v.index} (map '${v.name}')`, () => rt.updateElem(id, u32(v.index), u32(ids[index]!)));
  }
}

function createMap(rt: Runtime, m: CollectionMapSpec): number {
  return m.inner ? rt.createMapOfMaps(mapSpecOf(m), mapSpecOf(m.inner)) : rt.createMap(mapSpecOf(m));
}

function createOrReuse(rt: Runtime, m: CollectionMapSpec, created: number[]): number {
  return withContext(`map '${m.name}'`, () => {
    if (m.pinByName && rt.pinPaths().includes(m.name)) return reusePinned(rt, m);
    const id = createMap(rt, m);
    created.push(id);
    if (m.data) rt.map(id).update(new Uint8Array(4), m.data, 0);
    if (m.freeze) rt.freezeMap(id);
    if (m.pinByName) rt.pin(m.name, id);
    return id;
  });
}

/** libbpf reuses a map pinned by name when its definition is the same. */
function reusePinned(rt: Runtime, m: CollectionMapSpec): number {
  const id = rt.pinnedMap(m.name);
  const have = rt.map(id).spec;
  const want = mapSpecOf(m);
  const differs = (['type', 'keySize', 'valueSize', 'maxEntries', 'flags'] as const).filter((k) => have[k] !== want[k]);
  if (differs.length > 0) {
    const diff = differs.map((k) => `${k} ${have[k]} vs ${want[k]}`).join(', ');
    throw new BpfError('EINVAL', `the map pinned at '${m.name}' differs from this definition (${diff})`);
  }
  return id;
}
