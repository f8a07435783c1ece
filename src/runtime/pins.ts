import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { BpfError } from '../errno.js';
import { MapSpec } from '../maps/map.js';

/** A pinned map as stored: its definition and every (key, value) pair. */
export interface PinnedMap {
  path: string;
  spec: Required<MapSpec>;
  entries: Array<[Uint8Array, Uint8Array]>;
}

export interface PinLoad {
  maps: PinnedMap[];
  /** files that were not loaded, and why (corrupt, foreign, unreadable) */
  skipped: Array<{ file: string; reason: string }>;
}

const FORMAT = 'tsbpf-pinned-map';
const VERSION = 1;
const SUFFIX = '.map.json';

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
    const file = this.file(pin.path);
    mkdirSync(dirname(file), { recursive: true });
    const body = JSON.stringify({
      path: pin.path,
      spec: pin.spec,
      entries: pin.entries.map(([k, v]) => [hex(k), hex(v)]),
    });
    const text = JSON.stringify({ format: FORMAT, version: VERSION, sha256: sha256(body), body }) + '\n';
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

  remove(path: string): void {
    rmSync(this.file(path), { force: true });
    syncDir(dirname(this.file(path)));
  }

  load(): PinLoad {
    const out: PinLoad = { maps: [], skipped: [] };
    for (const file of listFiles(this.dir)) {
      if (file.endsWith('.tmp')) continue; // an interrupted write: the rename never happened
      try {
        if (!file.endsWith(SUFFIX)) throw new Error(`not a pinned map (name does not end in ${SUFFIX})`);
        out.maps.push(parsePin(readFileSync(file, 'utf8'), this.pathOf(file)));
      } catch (e) {
        out.skipped.push({ file, reason: (e as Error).message });
      }
    }
    return out;
  }

  /** The file of a pin path; the path must stay inside the directory. */
  private file(path: string): string {
    const file = resolve(this.dir, path.replace(/^\/+/, '') + SUFFIX);
    if (!file.startsWith(this.dir + sep) || !/^[\w.\-/]+$/.test(path)) {
      throw new BpfError('EINVAL', `pin path '${path}' must be a relative path of letters, digits, '_', '-', '.' and '/' inside ${this.dir}`);
    }
    return file;
  }

  private pathOf(file: string): string {
    return relative(this.dir, file).slice(0, -SUFFIX.length).split(sep).join('/');
  }
}

function parsePin(text: string, path: string): PinnedMap {
  const outer = JSON.parse(text) as { format?: unknown; version?: unknown; sha256?: unknown; body?: unknown };
  if (outer.format !== FORMAT) throw new Error(`foreign file (format ${JSON.stringify(outer.format)})`);
  if (outer.version !== VERSION) throw new Error(`unsupported version ${JSON.stringify(outer.version)}`);
  if (typeof outer.body !== 'string' || outer.sha256 !== sha256(outer.body)) throw new Error('checksum mismatch: the file is damaged');
  const body = JSON.parse(outer.body) as { path: string; spec: Required<MapSpec>; entries: Array<[string, string]> };
  if (body.path !== path) throw new Error(`file holds pin '${body.path}', not '${path}'`);
  return { path, spec: body.spec, entries: body.entries.map(([k, v]) => [unhex(k), unhex(v)]) };
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
