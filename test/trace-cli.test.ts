import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLANG_AVAILABLE, compileFile } from './objects/build.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '../src/cli/main.js');
const DIST = path.resolve(HERE, '../src');
const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-trace-cli-'));

function tsbpf(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An HTTP server on loopback and a client (http.get, then fetch) making `paths` in order; writes `ran` when it starts. */
function httpApp(name: string, paths: string[], extra = ''): string {
  const file = path.join(dir, name);
  writeFileSync(file, `import http from 'node:http';
import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(path.join(dir, `${name}.ran`))}, '1');
${extra}
const server = http.createServer((req, res) => { res.statusCode = req.url.startsWith('/err') ? 503 : 200; res.end('body'); });
server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  for (const p of ${JSON.stringify(paths)}) {
    if (p.startsWith('/f')) await (await fetch('http://127.0.0.1:' + port + p)).text();
    else await new Promise((resolve) => http.get({ port, host: '127.0.0.1', path: p, agent: false }, (r) => r.resume().on('end', resolve)));
  }
  server.close();
});
`);
  return file;
}

const LINE = /^ {0,16}(\S+)-(\d+) +\[(\d{3})\] \.{5} +(\d+)\.(\d{6}): (\w+): (.*)$/;

test('tsbpf tracepoints lists Node\'s sources with their channel and format', () => {
  const r = tsbpf('tracepoints', 'node_http:server_*');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^node_http:server_request_start {2}\[http\.server\.request\.start\]\n {4}name: server_request_start\n {4}ID: \d+\n/m);
  assert.match(r.stdout, /field:u16 status;\toffset:\d+;\tsize:2;\tsigned:0;/);
  const j = tsbpf('tracepoints', '--json', 'node_undici');
  const list = JSON.parse(j.stdout) as { name: string; origin: string; fields: { name: string }[] }[];
  assert.ok(list.length >= 10 && list.every((t) => t.name.startsWith('node_undici:')));
  assert.equal(list.find((t) => t.name === 'node_undici:request_headers')!.origin, 'undici:request:headers');
  assert.deepEqual(list.find((t) => t.name === 'node_undici:request_headers')!.fields.map((f) => f.name), ['method', 'origin', 'path', 'status', 'duration_ns']);
  const none = tsbpf('tracepoints', 'nosuch:*');
  assert.equal(none.status, 1);
  assert.match(none.stderr, /no tracepoint matches 'nosuch:\*' \(ENOENT\)/);
});

test('tsbpf trace streams exactly the events the filter passes, as trace_pipe lines and as JSON', () => {
  const app = httpApp('filtered.mjs', ['/a', '/err1', '/b', '/f1', '/err2']);
  const r = tsbpf('trace', '--filter', 'status >= 500 || path == "/a"', 'node_http:server_response_finish', '--', process.execPath, app);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3, r.stdout);
  const parsed = lines.map((l) => LINE.exec(l));
  assert.ok(parsed.every((m) => m && m[1] === 'node' && m[6] === 'server_response_finish'), r.stdout);
  assert.deepEqual(parsed.map((m) => /method=(\S+) path=(\S+) .* status=(\d+) duration_ns=(\d+)$/.exec(m![7]!)!.slice(1, 4)), [['GET', '/a', '200'], ['GET', '/err1', '503'], ['GET', '/err2', '503']]);
  const pids = new Set(parsed.map((m) => m![2]));
  assert.equal(pids.size, 1, 'one traced process');

  const j = tsbpf('trace', '--json', '--filter', 'path ~ "/f*"', 'node_undici:request_headers', 'node_http:server_request_start', '--', process.execPath, app);
  assert.equal(j.status, 0, j.stderr);
  const recs = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; fields: Record<string, unknown> });
  assert.deepEqual(recs.map((x) => [x.event, x.fields.path]), [['node_http:server_request_start', '/f1'], ['node_undici:request_headers', '/f1']]);
  assert.equal(recs[1]!.fields.status, 200);
});

test('a bad filter or tracepoint is refused, at its column, before the program starts', () => {
  const app = httpApp('refused.mjs', ['/a']);
  const r = tsbpf('trace', '--filter', 'status >= && path == "/a"', 'node_http:server_response_finish', '--', process.execPath, app);
  assert.equal(r.status, 1);
  const lines = r.stderr.split('\n');
  const at = lines.findIndex((l) => l === 'status >= && path == "/a"');
  assert.ok(at > 0, r.stderr);
  assert.equal(lines[at + 1], `${' '.repeat('status >= '.length)}^`);
  assert.match(lines[at + 2]!, /^parse_error: /);
  assert.equal(existsSync(`${app}.ran`), false, 'the program did not run');
  const f = tsbpf('trace', '--filter', 'nosuch == 1', 'node_http:server_response_finish', '--', process.execPath, app);
  assert.equal(f.status, 1);
  assert.match(f.stderr, /nosuch/);
  const n = tsbpf('trace', 'node_http:nope', '--', process.execPath, app);
  assert.equal(n.status, 1);
  assert.match(n.stderr, /no tracepoint matches 'node_http:nope' .*\(ENOENT\)/);
  assert.equal(existsSync(`${app}.ran`), false);
  const none = tsbpf('trace', 'node_http:*');
  assert.match(none.stderr, /no program to trace/);
});

test('static probes of the program attach when it defines them; a filter they reject is reported and the program runs on', () => {
  const app = path.join(dir, 'usdt.mjs');
  writeFileSync(app, `import { provider } from ${JSON.stringify(path.join(DIST, 'trace/provider.js'))};
const q = provider('app').probe('query_start', { sql: 'string', id: 'u64' });
for (let id = 0; id < 4; id++) q('select ' + id, id);
console.log('done');
process.exitCode = 3;
`);
  const r = tsbpf('trace', '--filter', 'id >= 2', 'app:query_start', '--', process.execPath, app);
  assert.equal(r.status, 3, 'the program\'s exit code');
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'done');
  assert.deepEqual(lines.slice(1).map((l) => LINE.exec(l)![7]), ['sql=select 2 id=2', 'sql=select 3 id=3']);
  const bad = tsbpf('trace', '--filter', 'status == 1', 'app:query_start', '--', process.execPath, app);
  assert.equal(bad.status, 3);
  assert.equal(bad.stdout, 'done\n', 'untouched: its output, and no events');
  assert.match(bad.stderr, /tsbpf trace: filter for app:query_start:\nstatus == 1\n\^\nparse_error: /);
});

test('--probe node:fs:readFileSync: entry and return events of a builtin function, called through an ES module import', () => {
  const app = path.join(dir, 'reads.mjs');
  writeFileSync(path.join(dir, 'data.txt'), 'hello');
  writeFileSync(app, `import { readFileSync } from 'node:fs';\nreadFileSync(${JSON.stringify(path.join(dir, 'data.txt'))}, 'utf8');\ntry { readFileSync('/nonexistent/x'); } catch {}\n`);
  const r = tsbpf('trace', '--probe', 'node:fs:readFileSync', 'probe_js:fs_readFileSync*', '--', process.execPath, app);
  assert.equal(r.status, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => LINE.exec(l)!).map((m) => `${m[6]}: ${m[7]!.replace(/latency_ns=\d+/, 'latency_ns=N')}`);
  assert.deepEqual(events.filter((e) => e.includes('data.txt') || e.includes('nonexistent') || e.includes('__return')), [
    `fs_readFileSync: arg0=${path.join(dir, 'data.txt')} arg1=utf8`,
    'fs_readFileSync__return: ret=hello error= latency_ns=N',
    'fs_readFileSync: arg0=/nonexistent/x arg1=undefined',
    'fs_readFileSync__return: ret= error=Error latency_ns=N',
  ]);
});

test('--prog: a clang-compiled handler counts requests per route; its map is printed at exit', { skip: CLANG_AVAILABLE ? false : 'clang not found' }, () => {
  const obj = path.join(dir, 'route_count.o');
  compileFile(path.resolve(HERE, '../../test/trace-cli/route_count.c'), obj);
  const paths = ['/a', '/b', '/a', '/f', '/a'];
  const app = httpApp('routes.mjs', paths);
  const r = tsbpf('trace', '--prog', obj, '--json', '--', process.execPath, app);
  assert.equal(r.status, 0, r.stderr);
  const dump = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { map: string; entries: { key: number[]; value: number[] }[] };
  assert.equal(dump.map, 'routes');
  const counts = Object.fromEntries(dump.entries.map((e) => [Buffer.from(e.key).toString('latin1').replace(/\0+$/, ''), Buffer.from(e.value).readBigUInt64LE()]));
  const want: Record<string, bigint> = {};
  for (const p of paths) want[p] = (want[p] ?? 0n) + 1n;
  assert.deepEqual(counts, want);
  const text = tsbpf('trace', '--prog', obj, '--', process.execPath, app);
  assert.match(text.stdout, /^map routes \(hash\):\n(key: 2f .*  value: .*\n){3}Found 3 elements\n$/);
});

test('process lifecycle: an uncaught error and an unhandled rejection are traced and still end the program as before', () => {
  for (const [code, want] of [
    ['throw new TypeError("boom")', 'uncaught_exception: error=TypeError code= message=boom origin=uncaughtException'],
    ['Promise.reject(new RangeError("late"))', 'unhandled_rejection: error=RangeError code= message=late'],
  ] as const) {
    const plain = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    const r = tsbpf('trace', 'node_process:*', '--', process.execPath, '-e', code);
    assert.equal(r.status, plain.status, 'the same exit code as untraced');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp(want.includes('TypeError') ? 'TypeError: boom' : 'RangeError: late'), 'Node still reports the error');
    const events = r.stdout.trim().split('\n').map((l) => { const m = LINE.exec(l)!; return `${m[6]}: ${m[7]}`; });
    assert.ok(events.includes(want), events.join('\n'));
    assert.equal(events.at(-1), `exit: code=${plain.status}`);
  }
});

test('the CLI gone mid-trace ends the tracing, not the program', async () => {
  const done = path.join(dir, 'ticks.done');
  const app = path.join(dir, 'ticks.mjs');
  writeFileSync(app, `import { provider } from ${JSON.stringify(path.join(DIST, 'trace/provider.js'))};
import { writeFileSync } from 'node:fs';
const tick = provider('app').probe('tick', { n: 'u32' });
let n = 0;
const t = setInterval(() => { tick(n++); if (n === 60) { clearInterval(t); writeFileSync(${JSON.stringify(done)}, String(n)); } }, 20);
`);
  const cli = spawn(process.execPath, [CLI, 'trace', 'app:tick', '--', process.execPath, app], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
  await once(cli.stdout, 'data'); // events are streaming: the program runs, traced
  cli.kill('SIGKILL');
  await once(cli, 'exit');
  const until = Date.now() + 20_000;
  while (!existsSync(done) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(done), 'the program ran to its end');
});
