import { BpfError } from '../errno.js';
import { HelperDef, HelperRegistry, HostInfo, KernelEnv } from '../helpers/registry.js';
import { BpfMap, MapFlags, MapSpec, MapType } from '../maps/map.js';
import { createMap } from '../maps/create.js';
import { Template, isMapOfMaps } from '../maps/map-in-map.js';
import type { VerifierMapSpec } from '../verifier/index.js';
import { AddressSpace, Region } from '../vm/memory.js';
import { portableHost } from './host.js';
import type { PinLoad, PinnedMap, PinnedProgram } from './pins.js';
import { Program, ProgramSpec } from './program.js';
import { KeyTable } from '../maps/key-table.js';

export interface RuntimeOptions {
  /** possible CPUs: per-CPU maps keep this many values (default 1) */
  cpus?: number;
  /** bytes the Runtime's objects may hold in all (default 256 MiB): ENOMEM past it */
  memoryLimit?: number;
  host?: HostInfo;
  /** helpers programs may call (default none: the Runtime's user chooses, e.g. linuxHelpers()) */
  helpers?: readonly HelperDef[];
  /** where pinned maps live (PinStore for a directory); pinned maps found there are recreated */
  pins?: PinBackend;
}

/** Persistent storage of pinned maps and programs (implemented for a directory by PinStore). */
export interface PinBackend {
  save(pin: PinnedMap): void;
  saveProgram(pin: PinnedProgram): void;
  remove(path: string, kind?: 'map' | 'prog'): void;
  load(): PinLoad;
}

/** One batch of a lookup batch: the elements, the cursor for the next batch, and whether the map is exhausted. */
export interface BatchResult {
  keys: Uint8Array[];
  values: Uint8Array[];
  cursor: Uint8Array | undefined;
  done: boolean;
}

/** What BPF_OBJ_GET_INFO_BY_FD tells about a map. */
export interface MapInfo {
  id: number;
  type: number;
  name: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  memoryUsed: number;
}

interface MapEntry {
  id: number;
  map: BpfMap;
  /** the map's address for `lddw rX, map` (a CONST_PTR_TO_MAP): never inside a region */
  ptr: number;
  frozen: boolean;
  /**
   * What user space may do through the Runtime: BPF_F_RDONLY / BPF_F_WRONLY
   * at creation set the access mode of the creator's fd in Linux, and the
   * Runtime's handle on a map plays that fd (tsbpf has no other fds).
   */
  access: { read: boolean; write: boolean };
  /** bytes of the memory limit the map holds (it may charge more later), returned when it is closed */
  account: { bytes: number };
}

/**
 * The "kernel" of tsbpf: one address space and the tables of maps and
 * programs, each with a numeric ID as in Linux. tsbpf has no per-process fd
 * table, so where bpf(2) takes a map fd (BPF_PSEUDO_MAP_FD in `lddw`), tsbpf
 * takes the map's ID.
 */
export class Runtime {
  readonly space: AddressSpace;
  readonly cpus: number;
  readonly host: HostInfo;
  readonly helpers: HelperRegistry;
  /** lines written by bpf_trace_printk, oldest first (the trace pipe) */
  readonly tracePipe: string[] = [];
  /** pinned files that could not be loaded when the Runtime opened, and why */
  readonly pinSkipped: PinLoad['skipped'] = [];
  private readonly maps = new Map<number, MapEntry>();
  private readonly pinned = new Map<string, number>();
  private readonly pinnedProgs = new Map<string, number>();
  private readonly pins: PinBackend | undefined;
  // looked up on every map helper call: a KeyTable finds a number faster than a Map
  private readonly byPtr = new KeyTable<MapEntry>();
  private readonly programs = new Map<number, Program>();
  private readonly memoryLimit: number;
  private charged = 0;
  private nextMapId = 1;
  private nextProgId = 1;
  /** four zero bytes: the key of element 0 of an array map */
  private readonly zeroKey: number;

  constructor(options: RuntimeOptions = {}) {
    this.cpus = options.cpus ?? 1;
    if (!Number.isInteger(this.cpus) || this.cpus < 1 || this.cpus > 1024) {
      throw new BpfError('EINVAL', `runtime: cpus must be a whole number from 1 to 1024, not ${options.cpus}`);
    }
    this.memoryLimit = options.memoryLimit ?? 256 << 20;
    this.space = new AddressSpace({ maxBytes: this.memoryLimit + (64 << 20) });
    this.host = options.host ?? portableHost();
    this.helpers = new HelperRegistry(options.helpers ?? []);
    this.zeroKey = this.space.alloc(4);
    this.pins = options.pins;
    if (this.pins) this.openPins(this.pins);
  }

  private openPins(pins: PinBackend): void {
    const { maps, programs, skipped } = pins.load();
    this.pinSkipped.push(...skipped);
    // Maps of maps name their inner maps by pin path: those must exist first.
    for (const pin of [...maps.filter((m) => !m.inner), ...maps.filter((m) => m.inner)]) {
      this.reopen(pin.path, () => {
        const id = pin.inner ? this.createMapOfMaps(pin.spec, pin.inner.template) : this.createMap(pin.spec);
        // A zero-seed hash lists a bucket's keys newest first: re-adding them oldest first keeps that order.
        const entries = (pin.spec.flags ?? 0) & MapFlags.ZERO_SEED ? [...pin.entries].reverse() : pin.entries;
        for (const [k, v] of entries) this.map(id).update(k, v, 0);
        for (const [k, path] of pin.inner?.links ?? []) this.map(id).update(k, u32(this.pinnedMap(path)), 0);
        this.pinned.set(pin.path, id);
      });
    }
    for (const pin of programs) {
      this.reopen(pin.path, () => {
        const ids = pin.maps.map((path) => this.pinnedMap(path));
        const prog = this.loadProgram({ name: pin.name, type: pin.type, license: pin.license, insns: pin.insns, maps: ids, unverified: pin.unverified });
        this.pinnedProgs.set(pin.path, prog.id);
      });
    }
  }

  /** Recreate one pinned object; one that cannot be is reported in pinSkipped, not fatal. */
  private reopen(path: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.pinSkipped.push({ file: path, reason: (e as Error).message });
    }
  }

  /**
   * BPF_OBJ_PIN of a program: persist what it takes to load it again. Every
   * map it uses must be pinned already, since it is stored by pin path.
   */
  pinProgram(path: string, id: number): void {
    if (this.pinnedProgs.has(path)) throw new BpfError('EEXIST', `pin path '${path}' is already in use (program ${this.pinnedProgs.get(path)})`);
    const prog = this.program(id);
    const maps = (prog.spec.maps ?? []).map((mapId) => {
      const at = [...this.pinned].find(([, pinnedId]) => pinnedId === mapId);
      if (!at) throw new BpfError('EINVAL', `program ${id} ('${prog.spec.name ?? ''}') uses map ${mapId}, which is not pinned: pin its maps first`);
      return at[0];
    });
    const spec = prog.spec;
    const unverified = spec.unverified ? { unverified: true } : {};
    this.requirePins().saveProgram({ path, name: spec.name ?? '', type: spec.type ?? 0, license: spec.license ?? '', insns: [...spec.insns], maps, ...unverified });
    this.pinnedProgs.set(path, id);
  }

  /** BPF_OBJ_GET of a program. */
  pinnedProgram(path: string): Program {
    const id = this.pinnedProgs.get(path);
    if (id === undefined) throw new BpfError('ENOENT', `no program is pinned at '${path}'`);
    return this.program(id);
  }

  programPinPaths(): string[] {
    return [...this.pinnedProgs.keys()].sort();
  }

  unpinProgram(path: string): void {
    if (!this.pinnedProgs.delete(path)) throw new BpfError('ENOENT', `no program is pinned at '${path}'`);
    this.requirePins().remove(path, 'prog');
  }

  /** BPF_OBJ_PIN: make map `id` reachable at `path` and persist it (definition and contents). */
  pin(path: string, id: number): void {
    if (this.pinned.has(path)) throw new BpfError('EEXIST', `pin path '${path}' is already in use (map ${this.pinned.get(path)})`);
    const pins = this.requirePins();
    pins.save(this.snapshot(path, id));
    this.pinned.set(path, id);
  }

  /** Write the current contents of every pinned map to the pin store. */
  syncPins(): void {
    const pins = this.requirePins();
    for (const [path, id] of this.pinned) pins.save(this.snapshot(path, id));
  }

  unpin(path: string): void {
    if (!this.pinned.delete(path)) throw new BpfError('ENOENT', `nothing is pinned at '${path}'`);
    this.requirePins().remove(path);
  }

  /** BPF_OBJ_GET: the map pinned at `path`. */
  pinnedMap(path: string): number {
    const id = this.pinned.get(path);
    if (id === undefined) throw new BpfError('ENOENT', `nothing is pinned at '${path}'`);
    return id;
  }

  pinPaths(): string[] {
    return [...this.pinned.keys()].sort();
  }

  private requirePins(): PinBackend {
    if (!this.pins) throw new BpfError('EPERM', 'this runtime has no pin directory (create it with the pins option)');
    return this.pins;
  }

  private snapshot(path: string, id: number): PinnedMap {
    const map = this.map(id);
    if (map.spec.keySize === 0) throw new BpfError('EINVAL', `map ${id} ('${map.spec.name}') has no keys to save: pinning it is not supported yet`);
    if (!isMapOfMaps(map.spec.type)) return { path, spec: { ...map.spec }, entries: this.walk(id) };
    const links = this.walk(id).map(([k, v]): [Uint8Array, string] => {
      const innerId = new DataView(v.buffer, v.byteOffset).getUint32(0, true);
      const at = [...this.pinned].find(([, pinnedId]) => pinnedId === innerId);
      if (!at) throw new BpfError('EINVAL', `map ${id} ('${map.spec.name}') holds map ${innerId}, which is not pinned: pin its inner maps first`);
      return [k, at[0]];
    });
    const template = { ...map.spec, ...(map as unknown as { template: MapSpec }).template, name: `${map.spec.name}.inner`, innerMapId: 0, extra: 0 };
    return { path, spec: { ...map.spec, innerMapId: 0 }, entries: [], inner: { template, links } };
  }

  /** A map of maps, from a template that is dropped once the outer map has copied it. */
  createMapOfMaps(spec: MapSpec, template: MapSpec): number {
    const t = this.createMap(template);
    try {
      return this.createMap({ ...spec, innerMapId: t });
    } finally {
      this.closeMap(t);
    }
  }

  /** BPF_MAP_CREATE. */
  createMap(spec: MapSpec): number {
    const account = { bytes: 0 };
    let map: BpfMap;
    try {
      map = createMap(spec, {
        space: this.space,
        cpus: this.cpus,
        charge: (bytes) => {
          this.charge(bytes, spec);
          account.bytes += bytes;
        },
        program: (id) => {
          const p = this.programs.get(id);
          return p && { type: p.spec.type ?? 0 };
        },
        mapRef: (id) => {
          const e = this.maps.get(id);
          return e && { id, map: e.map, ptr: e.ptr };
        },
      });
    } catch (e) {
      this.charged -= account.bytes; // nothing of a failed map stays charged
      throw e;
    }
    const flags = spec.flags ?? 0;
    const access = { read: (flags & MapFlags.WRONLY) === 0, write: (flags & MapFlags.RDONLY) === 0 };
    const entry: MapEntry = { id: this.nextMapId++, map, ptr: this.space.alloc(8), frozen: false, access, account };
    this.maps.set(entry.id, entry);
    this.byPtr.set(entry.ptr, entry);
    return entry.id;
  }

  /**
   * Drop map `id`, as closing its last file descriptor does: its memory
   * charge is returned (the address range itself is not reused). EBUSY while
   * it is pinned.
   */
  closeMap(id: number): void {
    const e = this.entry(id);
    const pin = [...this.pinned].find(([, pinnedId]) => pinnedId === id);
    if (pin) throw new BpfError('EBUSY', `map ${id} ('${e.map.spec.name}') is pinned at '${pin[0]}'`);
    this.maps.delete(id);
    this.byPtr.delete(e.ptr);
    this.charged -= e.account.bytes;
  }

  private charge(bytes: number, spec: MapSpec): void {
    if (this.charged + bytes > this.memoryLimit) {
      throw new BpfError('ENOMEM', `map '${spec.name ?? ''}': ${bytes} bytes would exceed the runtime's memory limit (${this.charged} of ${this.memoryLimit} in use)`);
    }
    this.charged += bytes;
  }

  /** The live map with this ID (ENOENT if none). */
  map(id: number): BpfMap {
    return this.entry(id).map;
  }

  private entry(id: number): MapEntry {
    const e = this.maps.get(id);
    if (!e) throw new BpfError('ENOENT', `no map with id ${id}`);
    return e;
  }

  /**
   * What the verifier may know of map `id`: its definition, the contents of
   * a frozen array (constants a program may rely on, as .rodata) and the
   * template of a map of maps.
   */
  verifierMap(id: number): VerifierMapSpec | undefined {
    const e = this.maps.get(id);
    if (!e) return undefined;
    const spec: VerifierMapSpec = { ...e.map.spec };
    if (e.frozen) {
      spec.freeze = true;
      if (spec.type === MapType.ARRAY && spec.maxEntries === 1) spec.data = e.map.lookup(new Uint8Array(4));
    }
    const template = (e.map as Partial<{ template: Template }>).template;
    return template ? Object.assign(spec, { inner: { ...template } }) : spec;
  }

  mapIds(): number[] {
    return [...this.maps.keys()];
  }

  mapInfo(id: number): MapInfo {
    const { map } = this.entry(id);
    const s = map.spec;
    // Linux keeps BPF_F_RDONLY / BPF_F_WRONLY in the fd, not in map_flags (bpf_map_flags_retain_permanent).
    const flags = s.flags & ~(MapFlags.RDONLY | MapFlags.WRONLY);
    return { id, type: s.type, name: s.name, keySize: s.keySize, valueSize: s.valueSize, maxEntries: s.maxEntries, flags, memoryUsed: map.memoryUsed() };
  }

  /** The live map a program's map pointer designates, if any. */
  mapAt(ptr: number): BpfMap | undefined {
    return this.byPtr.get(ptr)?.map;
  }

  /** The address a program uses for map `id` (what `lddw rX, map` loads). */
  mapPointer(id: number): number {
    return this.entry(id).ptr;
  }

  /** BPF_MAP_FREEZE: user space may no longer write the map (EPERM without write access, or frozen already). */
  freezeMap(id: number): void {
    this.writable(id, 'freeze').frozen = true;
  }

  /** BPF_MAP_LOOKUP_ELEM from user space; a bloom filter tests `value` (EPERM when the map is write-only). */
  lookupElem(id: number, key: Uint8Array, value?: Uint8Array): Uint8Array {
    const { map } = this.readable(id, 'look up');
    return value !== undefined && map.spec.type === MapType.BLOOM_FILTER ? map.peek!(value) : map.lookup(key);
  }

  /** BPF_MAP_GET_NEXT_KEY from user space (EPERM when the map is write-only). */
  nextKey(id: number, key: Uint8Array | undefined): Uint8Array {
    return this.readable(id, 'iterate').map.nextKey(key);
  }

  /**
   * BPF_MAP_LOOKUP_AND_DELETE_ELEM: a queue or stack pops; the hash types
   * give the value and delete the key; other types ENOTSUPP, as in Linux.
   * It needs both read and write access.
   */
  lookupAndDeleteElem(id: number, key: Uint8Array): Uint8Array {
    const { map } = this.readable(id, 'look up and delete');
    this.writable(id, 'look up and delete');
    if (map.pop) return map.pop();
    if (!HASH_TYPES.has(map.spec.type)) throw new BpfError('ENOTSUPP', `map ${id} ('${map.spec.name}'): lookup-and-delete is for queues, stacks and hash maps, not type ${map.spec.type}`);
    const value = map.lookup(key);
    map.delete(key);
    return value;
  }

  /** BPF_MAP_UPDATE_ELEM from user space (EPERM once frozen, or when the map is read-only). */
  updateElem(id: number, key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.writable(id, 'update').map.update(key, value, flags);
  }

  /** BPF_MAP_DELETE_ELEM from user space (EPERM once frozen, or when the map is read-only). */
  deleteElem(id: number, key: Uint8Array): void {
    this.writable(id, 'delete from').map.delete(key);
  }

  /** The map's entry if user space may read it: EPERM for a map created BPF_F_WRONLY. */
  private readable(id: number, op: string): MapEntry {
    const e = this.entry(id);
    if (!e.access.read) throw new BpfError('EPERM', `map ${id} ('${e.map.spec.name}') was created BPF_F_WRONLY: user space cannot ${op} it`);
    return e;
  }

  /** The map's entry if user space may write it: EPERM when frozen or created BPF_F_RDONLY. */
  private writable(id: number, op: string): MapEntry {
    const e = this.entry(id);
    if (!e.access.write) throw new BpfError('EPERM', `map ${id} ('${e.map.spec.name}') was created BPF_F_RDONLY: user space cannot ${op} it`);
    if (e.frozen) throw new BpfError('EPERM', `map ${id} ('${e.map.spec.name}') is frozen: user space cannot ${op} it`);
    return e;
  }

  /**
   * BPF_MAP_LOOKUP_BATCH: up to `count` elements after the cursor (`undefined`
   * starts at the first key). `done` is Linux's ENOENT: no element follows the
   * ones returned. The cursor is the last key returned, as libbpf's out_batch.
   */
  lookupBatch(id: number, cursor: Uint8Array | undefined, count: number): BatchResult {
    this.readable(id, 'look up');
    return this.batch(id, cursor, count, false);
  }

  /** Every (key, value) of map `id`, in get-next-key order (EPERM when the map is write-only). */
  entries(id: number): Array<[Uint8Array, Uint8Array]> {
    this.readable(id, 'dump');
    return this.walk(id);
  }

  /** Every (key, value), whatever user space may read: what a pin saves. */
  private walk(id: number): Array<[Uint8Array, Uint8Array]> {
    const { keys, values } = this.batch(id, undefined, Number.MAX_SAFE_INTEGER, false);
    return keys.map((k, i) => [k, values[i]!]);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_BATCH: as lookupBatch, deleting what it returns (read and write access). */
  lookupAndDeleteBatch(id: number, cursor: Uint8Array | undefined, count: number): BatchResult {
    this.readable(id, 'look up and delete');
    this.writable(id, 'delete from');
    return this.batch(id, cursor, count, true);
  }

  private batch(id: number, cursor: Uint8Array | undefined, count: number, del: boolean): BatchResult {
    if (!Number.isInteger(count) || count < 1) throw new BpfError('EINVAL', `map ${id}: batch count must be at least 1, not ${count}`);
    const e = this.entry(id);
    const out: BatchResult = { keys: [], values: [], cursor, done: false };
    // Deleting while walking would lose the walk's place: collect first, then delete.
    let key = nextKey(e.map, cursor);
    while (key && out.keys.length < count) {
      const value = present(e.map, key);
      if (value) {
        out.keys.push(key);
        out.values.push(value);
      }
      key = nextKey(e.map, key);
    }
    out.done = key === undefined;
    out.cursor = out.keys.at(-1) ?? cursor;
    if (del) for (const k of out.keys) e.map.delete(k);
    return out;
  }

  /**
   * BPF_MAP_UPDATE_BATCH: update keys[i] with values[i] in order; stops at the
   * first failure, which it throws with the number of elements done, as Linux
   * reports `count` together with the error.
   */
  updateBatch(id: number, keys: readonly Uint8Array[], values: readonly Uint8Array[], flags = 0): number {
    if (keys.length !== values.length) throw new BpfError('EINVAL', `map ${id}: ${keys.length} keys but ${values.length} values`);
    return this.eachBatch(id, keys, 'update', (k, i) => this.updateElem(id, k, values[i]!, flags));
  }

  /** BPF_MAP_DELETE_BATCH: delete each key in order; stops at the first failure (see updateBatch). */
  deleteBatch(id: number, keys: readonly Uint8Array[]): number {
    return this.eachBatch(id, keys, 'delete', (k) => this.deleteElem(id, k));
  }

  private eachBatch(id: number, keys: readonly Uint8Array[], op: string, fn: (key: Uint8Array, i: number) => void): number {
    keys.forEach((k, i) => {
      try {
        fn(k, i);
      } catch (e) {
        if (e instanceof BpfError) throw new BpfError(e.errno, `map ${id}: batch ${op} stopped after ${i} of ${keys.length} elements: ${e.message}`);
        throw e;
      }
    });
    return keys.length;
  }

  /**
   * BPF_PROG_LOAD: the ISA is validated, the verifier checks the program
   * (unless the spec says `unverified`; a rejection is a VerifierRejection),
   * map references are resolved.
   */
  loadProgram(spec: ProgramSpec): Program {
    const program = new Program(this.nextProgId, spec, this);
    this.programs.set(this.nextProgId++, program);
    return program;
  }

  /** Drop program `id` (its last reference is gone). */
  unloadProgram(id: number): void {
    if (!this.programs.delete(id)) throw new BpfError('ENOENT', `no program with id ${id}`);
  }

  program(id: number): Program {
    const p = this.programs.get(id);
    if (!p) throw new BpfError('ENOENT', `no program with id ${id}`);
    return p;
  }

  /** The regions every run may touch: the storage of every map. */
  mapRegions(): Region[] {
    return [...this.maps.values()].flatMap((e) => e.map.regions);
  }

  /** The kernel side of helper calls for a run on `cpu`. */
  kernelEnv(cpu = 0): KernelEnv {
    return {
      map: (ptr) => (ptr <= 0xffffffffn ? this.mapAt(Number(ptr)) : undefined),
      mapAt: (ptr) => this.mapAt(ptr),
      cpu,
      host: this.host,
      trace: (line) => {
        this.tracePipe.push(line);
      },
    };
  }

  /**
   * The address a program's `lddw` of a map loads: the map pointer (src 1/5)
   * or, for an array map, the address of element 0's value plus `off`
   * (src 2/6). Maps are named by ID (src 1/2) or by index into `maps`, the
   * program's fd_array (src 5/6).
   */
  mapAddress(ref: number, byIndex: boolean, value: boolean, off: number, maps: readonly number[]): number {
    const id = byIndex ? maps[ref] : ref;
    if (id === undefined || !this.maps.has(id)) {
      throw new BpfError('EBADF', byIndex ? `map index ${ref} is not in the program's map list (${maps.length} maps)` : `${ref} is not the id of a map`);
    }
    const e = this.entry(id);
    if (!value) return e.ptr;
    const s = e.map.spec;
    if (s.type !== MapType.ARRAY || s.maxEntries < 1 || off < 0 || off >= s.valueSize) {
      throw new BpfError('EINVAL', `map ${id} ('${s.name}'): a direct value reference needs an array map and an offset inside its value (offset ${off}, value size ${s.valueSize})`);
    }
    return e.map.lookupElem(this.zeroKey, 0) + off;
  }
}

/**
 * The value of `key`, or undefined when lookup gives ENOENT: Linux's batch
 * lookup skips such keys (the empty slots of an array of maps).
 */
function present(map: BpfMap, key: Uint8Array): Uint8Array | undefined {
  try {
    return map.lookup(key);
  } catch (e) {
    if (e instanceof BpfError && e.errno === 'ENOENT') return undefined;
    throw e;
  }
}

/** The key after `key`, or undefined after the last (nextKey's ENOENT). */
function nextKey(map: BpfMap, key: Uint8Array | undefined): Uint8Array | undefined {
  try {
    return map.nextKey(key);
  } catch (e) {
    if (e instanceof BpfError && e.errno === 'ENOENT') return undefined;
    throw e;
  }
}

/** The types BPF_MAP_LOOKUP_AND_DELETE_ELEM takes a key for. */
const HASH_TYPES = new Set<number>([MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH]);

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}
