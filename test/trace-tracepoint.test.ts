import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BpfError } from '../src/errno.js';
import { dumpC } from '../src/btf/index.js';
import { TraceRegistry, Tracepoint, defineTracepoint, tracepoints } from '../src/trace/tracepoint.js';

const hasCc = spawnSync('cc', ['--version']).status === 0;

/** Offsets and sizes of the struct's members as the host C compiler lays it out (x86-64 and arm64 agree for these types). */
function cOffsets(decl: string, members: string[], struct: string): number[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-tp-'));
  const body = members.map((m) => `printf("%zu\\n", offsetof(struct ${struct}, ${m}));`).join('\n');
  writeFileSync(path.join(dir, 'l.c'), `#include <stdio.h>\n#include <stddef.h>\n#include <stdint.h>\n${decl}\nint main(void){${body} printf("%zu\\n", sizeof(struct ${struct})); return 0;}\n`);
  const cc = spawnSync('cc', ['-o', path.join(dir, 'l'), path.join(dir, 'l.c')], { encoding: 'utf8' });
  assert.equal(cc.status, 0, cc.stderr);
  return spawnSync(path.join(dir, 'l'), { encoding: 'utf8' }).stdout.trim().split('\n').map(Number);
}

test('the record is laid out as a C compiler lays out the same struct', { skip: hasCc ? false : 'no C compiler' }, () => {
  const reg = new TraceRegistry();
  const tp = reg.define('net:packet', { proto: 'u8', len: 'u16', seq: 'u64', ok: 'bool', addr: { struct: { port: 'u16', ip: 'u32' } }, host: 'string', flags: 's8', data: 'bytes' });
  const decl = `struct a { uint16_t port; uint32_t ip; };
struct rec { uint16_t common_type; uint8_t common_flags; uint8_t common_preempt_count; int32_t common_pid;
  uint8_t proto; uint16_t len; uint64_t seq; _Bool ok; struct a addr; uint32_t host; int8_t flags; uint32_t data; };`;
  const names = ['common_pid', 'proto', 'len', 'seq', 'ok', 'addr', 'addr.port', 'addr.ip', 'host', 'flags', 'data'];
  const want = cOffsets(decl, names, 'rec');
  const got = names.map((n) => (n === 'common_pid' ? 4 : tp.field(n)!.offset));
  assert.deepEqual(got, want.slice(0, -1));
  assert.equal(tp.layout.size, want.at(-1));
});

test('format() reads like Linux\'s events/*/format', () => {
  const tp = new TraceRegistry(300).define('signal:generate', { sig: 's32', comm: 'string', code: 'u64' });
  const text = tp.format();
  assert.match(text, /^name: generate\nID: 300\nformat:\n/);
  assert.match(text, /\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n/);
  assert.match(text, /\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n/);
  assert.match(text, /\tfield:s32 sig;\toffset:8;\tsize:4;\tsigned:1;\n/);
  assert.match(text, /\tfield:__data_loc char\[\] comm;\toffset:12;\tsize:4;\tsigned:0;\n/);
  assert.match(text, /\tfield:u64 code;\toffset:16;\tsize:8;\tsigned:0;\n/);
  assert.match(text, /print fmt: "sig=%d comm=%s code=%llu", REC->sig, __get_str\(comm\), REC->code\n$/);
});

test('the BTF of the record names its fields and sizes, __data_loc as u32', () => {
  const tp = new TraceRegistry().define('app:query', { id: 'u64', sql: 'string', addr: { struct: { port: 'u16' } } });
  const c = dumpC(tp.btf);
  assert.match(c, /struct trace_event_raw_query \{\n\tstruct trace_entry ent;\n\tunsigned long long id;\n\tunsigned int __data_loc_sql;\n\tstruct query_addr addr;\n(\tlong: 0;\n)?\tchar __data\[0\];\n\}/);
  const t = tp.btf.types[tp.btfTypeId]!;
  assert.equal(t.kind, 'struct');
  assert.equal((t as { size: number }).size, tp.layout.size);
});

test('enabled follows attach and detach; fire reaches every sink in order', () => {
  const tp = new TraceRegistry().define('t:e', { x: 'u32' });
  assert.equal(tp.enabled, false);
  tp.fire({ x: 1 }); // nothing attached: nothing happens
  const seen: string[] = [];
  const d1 = tp.attach({ hit: (v) => seen.push(`a${v.x}`) });
  const d2 = tp.attach({ hit: (v) => seen.push(`b${v.x}`) });
  assert.equal(tp.enabled, true);
  tp.fire({ x: 2 });
  d1();
  d1(); // idempotent
  tp.fire({ x: 3 });
  d2();
  assert.equal(tp.enabled, false);
  tp.fire({ x: 4 });
  assert.deepEqual(seen, ['a2', 'b2', 'b3']);
});

test('a sink detaching itself during a fire does not skip the next sink', () => {
  const tp = new TraceRegistry().define('t:e', { x: 'u32' });
  const seen: number[] = [];
  const d = tp.attach({ hit: () => { d(); seen.push(1); } });
  tp.attach({ hit: () => seen.push(2) });
  tp.fire({ x: 0 });
  tp.fire({ x: 0 });
  assert.deepEqual(seen, [1, 2, 2]);
});

test('bad definitions: EINVAL naming the field, EEXIST for a redefinition with other fields', () => {
  const reg = new TraceRegistry();
  const err = (fn: () => unknown, errno: string, re: RegExp): void =>
    assert.throws(fn, (e: unknown) => e instanceof BpfError && e.errno === errno && re.test(e.message));
  err(() => reg.define('noprovider', {}), 'EINVAL', /provider:event/);
  err(() => reg.define('a:b', { 'x-y': 'u8' }), 'EINVAL', /'x-y' is not a C identifier/);
  err(() => reg.define('a:b', { x: 'u7' as 'u8' }), 'EINVAL', /field 'x' has unknown type "u7"/);
  err(() => reg.define('a:b', { common_pid: 'u8' }), 'EINVAL', /reserved/);
  err(() => reg.define('a:b', { s: { struct: { name: 'string' } } }), 'EINVAL', /fixed-size fields only/);
  const tp = reg.define('a:b', { x: 'u8' });
  assert.equal(reg.define('a:b', { x: 'u8' }), tp);
  err(() => reg.define('a:b', { x: 'u16' }), 'EEXIST', /already defined/);
});

test('list() takes a glob or a provider; defineTracepoint fills the process-wide registry', () => {
  const reg = new TraceRegistry();
  for (const n of ['http:request', 'http:response', 'net:connect', 'fs:read']) reg.define(n, {});
  const names = (tps: Tracepoint[]): string[] => tps.map((t) => t.name);
  assert.deepEqual(names(reg.list()), ['fs:read', 'http:request', 'http:response', 'net:connect']);
  assert.deepEqual(names(reg.list('http')), ['http:request', 'http:response']);
  assert.deepEqual(names(reg.list('*:re[qs]*')), ['http:request', 'http:response']);
  assert.deepEqual(names(reg.list('*:?onnect')), ['net:connect']);
  const tp = defineTracepoint('trace_test:global', { n: 'u32' });
  assert.equal(tracepoints.get('trace_test:global'), tp);
});

test('src/trace core files import nothing from Node (node-*.ts excepted; clock.ts takes hrtime only where the host has it)', () => {
  const dir = 'src/trace';
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.startsWith('node-'))) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    assert.doesNotMatch(text, /from ['"](node:[a-z_/]+|fs|path|os|child_process|process)['"]/, `${f} imports a Node module`);
    if (f === 'clock.ts') assert.match(text, /typeof process === 'object' \? process\?\.hrtime : undefined/, 'clock.ts falls back where there is no process');
    else assert.doesNotMatch(text, /\b(process\.|Buffer\.|require\()/, `${f} uses a Node global`);
  }
});
