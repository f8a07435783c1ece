import { createRequire, isBuiltin, syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BpfError } from '../errno.js';
import { FunctionProbe, ProbeOptions, probe } from './probe.js';

/**
 * Function probes named as `MODULE:EXPORT[.PROPERTY…]` — `node:fs:readFile`,
 * `./lib/db.js:Db.prototype.query`, `pg:Client.prototype.query` — resolved
 * from a directory (default the working directory) as `require` would.
 *
 * What can be probed: a builtin module's export (the builtin's module object
 * is mutable, and `syncBuiltinESMExports` carries the change to ES modules'
 * `import { readFile } from 'node:fs'`); a CommonJS module's export; and in
 * an ES module (`probeImport`, or `probeFunction` where Node can require
 * ES modules, 20.19 on), a method of an exported object or class — not a
 * top-level exported function: an ES module namespace is frozen and its
 * bindings cannot be replaced from outside. Code that copied a function
 * before the probe was attached (`const { readFile } = require('fs')`) keeps
 * calling the original.
 */

export interface NodeProbeOptions extends ProbeOptions {
  /** where relative module names resolve from (default the working directory) */
  from?: string;
}

/** `MODULE:PATH` split at its last colon (a module name may hold one: `node:fs`). */
export function parseProbeSpec(spec: string): { module: string; path: string[] } {
  const at = spec.lastIndexOf(':');
  const module = spec.slice(0, at);
  const prop = spec.slice(at + 1);
  if (at <= 0 || !/^[^.]+(\.[^.]+)*$/.test(prop)) throw new BpfError('EINVAL', `probe '${spec}': expected MODULE:EXPORT or MODULE:EXPORT.PROPERTY… (e.g. node:fs:readFile)`);
  return { module, path: prop.split('.') };
}

/** A probe on a builtin or CommonJS module's function, named `<module>_<function>` unless `name` says otherwise. */
export function probeFunction(spec: string, options: NodeProbeOptions = {}): FunctionProbe {
  const { module, path: props } = parseProbeSpec(spec);
  const req = createRequire(path.join(path.resolve(options.from ?? '.'), 'noop.js'));
  let exports: unknown;
  try {
    exports = req(module);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_REQUIRE_ESM') throw new BpfError('EINVAL', `probe '${spec}': ${module} is an ES module this Node cannot require: use probeImport`);
    throw new BpfError('ENOENT', `probe '${spec}': cannot load ${module}: ${(e as Error).message.split('\n')[0]}`);
  }
  const p = probeAt(spec, exports, props, options, module);
  if (isBuiltin(module)) syncBuiltinESMExports();
  const detach = p.detach.bind(p);
  return {
    ...p,
    detach() {
      detach();
      if (isBuiltin(module)) syncBuiltinESMExports();
    },
  };
}

/** The same for an ES module (imported, so asynchronous): a method of an exported object or class. */
export async function probeImport(spec: string, options: NodeProbeOptions = {}): Promise<FunctionProbe> {
  const { module, path: props } = parseProbeSpec(spec);
  if (isBuiltin(module)) return probeFunction(spec, options);
  const req = createRequire(path.join(path.resolve(options.from ?? '.'), 'noop.js'));
  let url: string;
  try {
    url = pathToFileURL(req.resolve(module)).href;
  } catch (e) {
    throw new BpfError('ENOENT', `probe '${spec}': cannot resolve ${module}: ${(e as Error).message.split('\n')[0]}`);
  }
  return probeAt(spec, await import(url), props, options, module);
}

function probeAt(spec: string, root: unknown, props: string[], options: ProbeOptions, module: string): FunctionProbe {
  let obj = root;
  for (const key of props.slice(0, -1)) {
    const next = typeof obj === 'object' || typeof obj === 'function' ? (obj as Record<string, unknown> | null)?.[key] : undefined;
    if ((typeof next !== 'object' && typeof next !== 'function') || next === null) throw new BpfError('ENOENT', `probe '${spec}': ${key} is not an object`);
    obj = next;
  }
  const method = props.at(-1)!;
  const name = options.name ?? defaultName(module, method);
  try {
    return probe(obj as object, method, { ...options, name });
  } catch (e) {
    if (e instanceof BpfError) throw new BpfError(e.errno, `probe '${spec}': ${e.message.replace(/^probe [^:]*: /, '')}`);
    throw e;
  }
}

/** `node:fs` + `readFile` → fs_readFile; `./lib/db.js` + `query` → db_query */
function defaultName(module: string, method: string): string {
  const base = path.basename(module.replace(/^node:/, '')).replace(/\.[cm]?js$/, '');
  return `${base}_${method}`.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, '_');
}
