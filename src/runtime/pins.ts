import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { BpfError } from '../errno.js';
import { MapSpec } from '../maps/map.js';
import { Insn, decode, encode } from '../isa/instruction.js';

/** A pinned map as stored: its definition and every (key, value) pair. */
export interface PinnedMap {
  path: string;
  spec: Required<MapSpec>;
  entries: Array<[Uint8Array, Uint8Array]>;
  /** a map of maps: the template of its inner maps, and each key's inner map by pin path (map ids mean nothing to another process) */
  inner?: { template: Required<MapSpec>; links: Array<[Uint8Array, string]> };
}

/** A pinned program as stored: what it takes to load it again, with its maps named by their pin paths. */
export interface PinnedProgram {
  path: string;
  name: string;
  type: number;
  license: string;
  insns: Insn[];
  /** pin paths of the maps its `lddw`s index (its fd_array) */
  maps: string[];
  /** it was loaded without the verifier, and is reloaded so */
  unverified?: boolean;
}

export interface PinLoad {
  maps: PinnedMap[];
  programs: PinnedProgram[];
  /** files that were not loaded, and why (corrupt, foreign, unreadable) */
  skipped: Array<{ file: string; reason: string }>;
}

const VERSION = 1;
/** File name suffix and format tag of each kind of pinned object. */
const KINDS = {
  map: { suffix: '.map.json', format: 'tsbpf-pinned-map' },
  prog: { suffix: '.prog.json', format: 'tsbpf-pinned-prog' },
} as const;
type Kind = keyof typeof KINDS;

/**
 * Pinned maps on disk, one file per pin path under a directory (the bpffs of
 * tsbpf). A write goes to a temporary file that is fsynced and renamed over
 * the old one, then the directory is fsynced, so a crash leaves either the
 * old file or the new one, never half of one. A checksum over the body makes
 * a damaged or foreign file detectable: it is reported and skipped.
 */
export class PinStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    mkdirSync(this.dir, { recursive: true });
  }

  save(pin: PinnedMap): void {
    this.write('map', pin.path, {
      path: pin.path,
      spec: pin.spec,
      entries: pin.entries.map(([k, v]) => [hex(k), hex(v)]),
      ...(pin.inner ? { inner: { template: pin.inner.template, links: pin.inner.links.map(([k, path]) => [hex(k), path]) } } : {}),
    });
  }

  saveProgram(pin: PinnedProgram): void {
    this.write('prog', pin.path, { ...pin, insns: hex(encode(pin.insns)) });
  }

  private write(kind: Kind, path: string, content: object): void {
    const file = this.file(path, kind);
    mkdirSync(dirname(file), { recursive: true });
    const body = JSON.stringify(content);
    const text = JSON.stringify({ format: KINDS[kind].format, version: VERSION, sha256: sha256(body), body }) + '\n';
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    syncDir(dirname(file));
  }

  remove(path: string, kind: Kind = 'map'): void {
    rmSync(this.file(path, kind), { force: true });
    syncDir(dirname(this.file(path, kind)));
  }

  load(): PinLoad {
    const out: PinLoad = { maps: [], programs: [], skipped: [] };
    for (const file of listFiles(this.dir)) {
      if (file.endsWith('.tmp')) continue; // an interrupted write: the rename never happened
      try {
        if (file.endsWith(KINDS.map.suffix)) out.maps.push(parseMapPin(readFileSync(file, 'utf8'), this.pathOf(file, 'map')));
        else if (file.endsWith(KINDS.prog.suffix)) out.programs.push(parseProgramPin(readFileSync(file, 'utf8'), this.pathOf(file, 'prog')));
        else throw new Error(`not a pinned object (name does not end in ${KINDS.map.suffix} or ${KINDS.prog.suffix})`);
      } catch (e) {
        out.skipped.push({ file, reason: (e as Error).message });
      }
    }
    return out;
  }

  /** The file of a pin path; the path must stay inside the directory. */
  private file(path: string, kind: Kind): string {
    const file = resolve(this.dir, path.replace(/^\/+/, '') + KINDS[kind].suffix);
    if (!file.startsWith(this.dir + sep) || !/^[\w.\-/]+$/.test(path)) {
      throw new BpfError('EINVAL', `pin path '${path}' must be a relative path of letters, digits, '_', '-', '.' and '/' inside ${this.dir}`);
    }
    return file;
  }

  private pathOf(file: string, kind: Kind): string {
    return relative(this.dir, file).slice(0, -KINDS[kind].suffix.length).split(sep).join('/');
  }
}

/** The checked body of a pin file of `kind` for `path`. */
function parseBody(text: string, path: string, kind: Kind): Record<string, unknown> {
  const outer = JSON.parse(text) as { format?: unknown; version?: unknown; sha256?: unknown; body?: unknown };
  if (outer.format !== KINDS[kind].format) throw new Error(`foreign file (format ${JSON.stringify(outer.format)})`);
  if (outer.version !== VERSION) throw new Error(`unsupported version ${JSON.stringify(outer.version)}`);
  if (typeof outer.body !== 'string' || outer.sha256 !== sha256(outer.body)) throw new Error('checksum mismatch: the file is damaged');
  const body = JSON.parse(outer.body) as Record<string, unknown>;
  if (body.path !== path) throw new Error(`file holds pin '${String(body.path)}', not '${path}'`);
  return body;
}

function parseMapPin(text: string, path: string): PinnedMap {
  const body = parseBody(text, path, 'map') as {
    spec: Required<MapSpec>;
    entries: Array<[string, string]>;
    inner?: { template: Required<MapSpec>; links: Array<[string, string]> };
  };
  const pin: PinnedMap = { path, spec: body.spec, entries: body.entries.map(([k, v]) => [unhex(k), unhex(v)]) };
  if (body.inner) pin.inner = { template: body.inner.template, links: body.inner.links.map(([k, p]) => [unhex(k), p]) };
  return pin;
}

function parseProgramPin(text: string, path: string): PinnedProgram {
  const body = parseBody(text, path, 'prog') as Omit<PinnedProgram, 'insns'> & { insns: string };
  return { path, name: body.name, type: body.type, license: body.license, maps: body.maps, insns: decode(unhex(body.insns)), ...(body.unverified ? { unverified: true } : {}) };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? listFiles(p) : [p];
  });
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => {
  if (!/^([0-9a-f]{2})*$/.test(s)) throw new Error('bad hex in entries');
  return new Uint8Array(Buffer.from(s, 'hex'));
};
