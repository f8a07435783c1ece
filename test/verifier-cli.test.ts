import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLANG_AVAILABLE, compileFile } from './objects/build.js';

/**
 * `tsbpf prog verify` end to end on clang-compiled objects: a rejection
 * names the C source line (from the object's BTF line info) in the log, as
 * Linux prints it (`; text @ file.c:N` before the instruction), and in the
 * JSON record (`"line":"file.c:N"`), with the source text and a hint.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.resolve(HERE, '../src/cli/main.js');
const C_DIR = path.resolve(HERE, '../../test/verifier-suite/c');

function tsbpf(...args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
}

function build(name: string): { obj: string; source: string[] } {
  const src = path.join(C_DIR, `${name}.c`);
  const obj = path.join(mkdtempSync(path.join(os.tmpdir(), 'tsbpf-vcli-')), `${name}.o`);
  compileFile(src, obj);
  return { obj, source: readFileSync(src, 'utf8').split('\n') };
}

const skip = CLANG_AVAILABLE ? undefined : 'clang not found';

test('a rejection names its C source line in the JSON record and at the end of the log', { skip }, () => {
  const { obj, source } = build('map-null-bad');
  // the statement that dereferences the unchecked lookup result
  const text = '__sync_fetch_and_add(n, 1);';
  const lineNo = source.findIndex((l) => l.includes(text)) + 1;
  assert.ok(lineNo > 0);

  const json = tsbpf('prog', 'verify', obj, '--json');
  assert.equal(json.status, 1, json.stderr);
  const rec = JSON.parse(json.stdout.trim()) as Record<string, unknown>;
  assert.equal(rec.accepted, false);
  assert.equal(rec.error, "R0 invalid mem access 'map_value_or_null'");
  assert.equal(rec.line, `map-null-bad.c:${lineNo}`);
  assert.equal(rec.source, text);
  assert.match(String(rec.hint), /NULL/);

  const log = tsbpf('prog', 'verify', obj, '--log-level', '1');
  assert.equal(log.status, 1);
  const lines = log.stdout.split('\n');
  const err = lines.indexOf("R0 invalid mem access 'map_value_or_null'");
  assert.ok(err > 1, log.stdout);
  // Linux: the source line, then the instruction, then the message
  assert.equal(lines[err - 2], `; ${text} @ map-null-bad.c:${lineNo}`);
  assert.match(lines[err - 1]!, /^\d+: \([0-9a-f]{2}\) /);
  assert.ok(log.stdout.includes(`rejected at insn ${rec.insn} (map-null-bad.c:${lineNo})`), log.stdout);
});

test('the safe twin is accepted, exit status 0', { skip }, () => {
  const { obj } = build('map-null-ok');
  const r = tsbpf('prog', 'verify', obj, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout.trim()) as { accepted: boolean }).accepted, true);
});
