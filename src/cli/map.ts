import { BpfError } from '../errno.js';
import { MapType, UpdateFlags } from '../maps/map.js';
import { typeName } from '../maps/spec.js';
import { PinStore } from '../runtime/pins.js';
import { Runtime } from '../runtime/runtime.js';
import { printJson, printLine } from './output.js';

/**
 * `tsbpf map …`, in the manner of bpftool: keyword arguments (`type hash key
 * 4 value 8 entries 16 name counts`), maps named by `pinned PATH` or `id N`,
 * bytes given as numbers (`key 7 0 0 0`, `key 0x07 0 0 0`) or `hex 07 00 00 00`.
 * Maps live in a pin directory; every command opens it, works, and writes
 * back what it changed.
 */
export interface MapCliOptions {
  pinDir: string;
  json: boolean;
}

type Verb = (rt: Runtime, args: string[], o: MapCliOptions) => void;

const VERBS: Record<string, Verb> = {
  create: createVerb,
  show: showVerb,
  list: showVerb,
  dump: dumpVerb,
  lookup: lookupVerb,
  update: updateVerb,
  delete: deleteVerb,
  pin: pinVerb,
};

export const MAP_VERBS = Object.keys(VERBS);

export function mapCommand(verb: string, args: string[], options: MapCliOptions): void {
  const run = VERBS[verb];
  if (!run) throw new BpfError('EINVAL', `unknown map verb '${verb}' (one of ${MAP_VERBS.join(', ')})`);
  const rt = new Runtime({ pins: new PinStore(options.pinDir) });
  for (const s of rt.pinSkipped) process.stderr.write(`tsbpf: warning: skipped ${s.file}: ${s.reason}\n`);
  run(rt, args, options);
}

/** Keyword arguments: `word value…` pairs, consumed left to right. */
class Args {
  constructor(private readonly rest: string[]) {}

  word(what: string): string {
    const w = this.rest.shift();
    if (w === undefined) throw new BpfError('EINVAL', `missing ${what}`);
    return w;
  }

  peek(): string | undefined {
    return this.rest[0];
  }

  done(): void {
    if (this.rest.length) throw new BpfError('EINVAL', `unexpected argument '${this.rest[0]}'`);
  }

  number(what: string): number {
    const w = this.word(what);
    const n = Number(w);
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(w) || !Number.isSafeInteger(n)) throw new BpfError('EINVAL', `${what}: '${w}' is not a whole number`);
    return n;
  }

  /** Bytes up to the next keyword: `hex 07 00` or numbers 0..255. */
  bytes(what: string, stop: readonly string[]): Uint8Array {
    const hex = this.peek() === 'hex' && this.rest.shift() !== undefined;
    const out: number[] = [];
    while (this.peek() !== undefined && !stop.includes(this.peek()!)) {
      const w = this.word(what);
      const v = hex ? parseInt(w, 16) : Number(w);
      if (!(hex ? /^[0-9a-f]{1,2}$/i : /^(0x[0-9a-f]{1,2}|\d{1,3})$/i).test(w) || v > 255) {
        throw new BpfError('EINVAL', `${what}: '${w}' is not a byte`);
      }
      out.push(v);
    }
    return Uint8Array.from(out);
  }

  /** `pinned PATH` or `id N`. */
  map(rt: Runtime): number {
    const how = this.word('map (pinned PATH or id N)');
    if (how === 'pinned') return rt.pinnedMap(this.word('pin path'));
    if (how === 'id') {
      const id = this.number('map id');
      rt.map(id);
      return id;
    }
    throw new BpfError('EINVAL', `expected 'pinned PATH' or 'id N', got '${how}'`);
  }
}

function createVerb(rt: Runtime, argv: string[], o: MapCliOptions): void {
  const a = new Args(argv);
  const path = a.word('pin path');
  const spec = { type: -1, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, name: '' };
  while (a.peek() !== undefined) {
    const kw = a.word('keyword');
    if (kw === 'type') spec.type = mapType(a.word('map type'));
    else if (kw === 'key') spec.keySize = a.number('key size');
    else if (kw === 'value') spec.valueSize = a.number('value size');
    else if (kw === 'entries') spec.maxEntries = a.number('max entries');
    else if (kw === 'flags') spec.flags = a.number('flags');
    else if (kw === 'name') spec.name = a.word('name');
    else throw new BpfError('EINVAL', `unknown keyword '${kw}' (type, key, value, entries, flags, name)`);
  }
  if (spec.type < 0) throw new BpfError('EINVAL', 'missing type');
  const id = rt.createMap(spec);
  rt.pin(path, id);
  if (o.json) printJson(mapRecord(rt, id));
}

function mapType(name: string): number {
  const t = (MapType as Record<string, number>)[name.toUpperCase()];
  if (t === undefined) throw new BpfError('EINVAL', `unknown map type '${name}' (${Object.keys(MapType).map((k) => k.toLowerCase()).join(', ')})`);
  return t;
}

function showVerb(rt: Runtime, argv: string[], o: MapCliOptions): void {
  const a = new Args(argv);
  const ids = a.peek() === undefined ? rt.mapIds() : [a.map(rt)];
  a.done();
  if (o.json) return printJson(ids.map((id) => mapRecord(rt, id)));
  for (const id of ids) {
    const r = mapRecord(rt, id);
    printLine(`${id}: ${r.type}  ${r.name ? `name ${r.name}  ` : ''}flags 0x${r.flags.toString(16)}`);
    printLine(`\tkey ${r.bytes_key}B  value ${r.bytes_value}B  max_entries ${r.max_entries}  memlock ${r.bytes_memlock}B`);
    if (r.pinned.length) printLine(`\tpinned ${r.pinned.join(', ')}`);
  }
}

function mapRecord(rt: Runtime, id: number) {
  const i = rt.mapInfo(id);
  const pinned = rt.pinPaths().filter((p) => rt.pinnedMap(p) === id);
  return { id, type: typeName(i.type), name: i.name, flags: i.flags, bytes_key: i.keySize, bytes_value: i.valueSize, max_entries: i.maxEntries, bytes_memlock: i.memoryUsed, pinned };
}

function dumpVerb(rt: Runtime, argv: string[], o: MapCliOptions): void {
  const a = new Args(argv);
  const id = a.map(rt);
  a.done();
  const entries = rt.entries(id);
  if (o.json) return printJson(entries.map(([k, v]) => ({ key: hexList(k), value: hexList(v) })));
  for (const [k, v] of entries) printLine(`key: ${hexBytes(k)}  value: ${hexBytes(v)}`);
  printLine(`Found ${entries.length} element${entries.length === 1 ? '' : 's'}`);
}

function lookupVerb(rt: Runtime, argv: string[], o: MapCliOptions): void {
  const a = new Args(argv);
  const id = a.map(rt);
  expectWord(a, 'key');
  const key = a.bytes('key', []);
  const value = rt.lookupElem(id, key);
  if (o.json) printJson({ key: hexList(key), value: hexList(value) });
  else printLine(`key: ${hexBytes(key)}  value: ${hexBytes(value)}`);
}

const UPDATE_FLAGS: Record<string, number> = { any: UpdateFlags.ANY, noexist: UpdateFlags.NOEXIST, exist: UpdateFlags.EXIST };

function updateVerb(rt: Runtime, argv: string[]): void {
  const a = new Args(argv);
  const id = a.map(rt);
  expectWord(a, 'key');
  const key = a.bytes('key', ['value']);
  expectWord(a, 'value');
  const value = a.bytes('value', Object.keys(UPDATE_FLAGS));
  const flags = a.peek() === undefined ? UpdateFlags.ANY : UPDATE_FLAGS[a.word('flag')]!;
  a.done();
  rt.updateElem(id, key, value, flags);
  rt.syncPins();
}

function deleteVerb(rt: Runtime, argv: string[]): void {
  const a = new Args(argv);
  const id = a.map(rt);
  expectWord(a, 'key');
  const key = a.bytes('key', []);
  rt.deleteElem(id, key);
  rt.syncPins();
}

/**
 * `map pin MAP NEWPATH`. Each pin file holds a whole map, so two paths could
 * not stay one map across processes as they do on bpffs: the map moves to
 * the new path.
 */
function pinVerb(rt: Runtime, argv: string[]): void {
  const a = new Args(argv);
  const id = a.map(rt);
  const path = a.word('new pin path');
  a.done();
  const old = rt.pinPaths().filter((p) => rt.pinnedMap(p) === id);
  rt.pin(path, id);
  for (const p of old) rt.unpin(p);
}

function expectWord(a: Args, word: string): void {
  const w = a.word(word);
  if (w !== word) throw new BpfError('EINVAL', `expected '${word}', got '${w}'`);
}

const hexBytes = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
const hexList = (b: Uint8Array): string[] => [...b].map((x) => `0x${x.toString(16).padStart(2, '0')}`);
