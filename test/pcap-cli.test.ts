/**
 * `tsbpf pcap FILE [EXPR...]`: the verb as a user runs it (a child process;
 * the verb is registered on its own commander program, as main.ts does).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { disassembleClassic } from '../src/cbpf/disasm.js';
import { compileFilter } from '../src/cbpf/pcap-filter/index.js';
import { readCapture, writePcap, writePcapng } from '../src/pcap/capture.js';
import { PacketFilter } from '../src/pcap/packet-filter.js';
import { generatePackets } from './pcap-gen.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cliModule = path.join(here, '../src/cli/pcap.js');
const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-pcapcli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const packets = generatePackets(11, 400);
const capture = path.join(dir, 'in.pcap');
writeFileSync(capture, writePcap(packets));

function tsbpf(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const script = `import { Command } from 'commander'; import { pcapCommand } from ${JSON.stringify(cliModule)};
    const p = new Command('tsbpf').exitOverride(); pcapCommand(p); p.parse(process.argv.slice(1), { from: 'user' });`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script, '--', ...args], { encoding: 'utf8', cwd: path.join(here, '..', '..') });
}

/** Indices of the packets a filter accepts, computed here with the classic interpreter. */
function expected(expr: string): number[] {
  const f = new PacketFilter(compileFilter(expr), { engine: 'classic' });
  return packets.flatMap((p, i) => (f.run(p.data, p.len) !== 0 ? [i] : []));
}

describe('tsbpf pcap', () => {
  test('prints one line per matching packet, with time, addresses, ports and length', () => {
    const r = tsbpf('pcap', capture, 'udp', 'or', 'tcp port 80');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const want = expected('udp or tcp port 80');
    assert.ok(want.length > 5);
    assert.equal(lines.length, want.length);
    for (const [n, line] of lines.entries()) {
      const p = packets[want[n]!]!;
      assert.match(line, /^\d\d:\d\d:\d\d\.\d{6} /);
      assert.match(line, new RegExp(`length ${p.len}`));
    }
    // A TCP or UDP packet names its ports: addr.port > addr.port
    assert.ok(lines.some((l) => /IP6? \S+\.\d+ > \S+\.\d+: (udp|tcp)/.test(l)), r.stdout);
  });

  test('--json gives each packet\'s index and fields; every engine selects the same packets', () => {
    const want = expected('ip6 or vlan');
    for (const engine of ['jit', 'interp', 'classic']) {
      const r = tsbpf('pcap', capture, 'ip6 or vlan', '--json', '--engine', engine);
      assert.equal(r.status, 0, r.stderr);
      const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { index: number; len: number; caplen: number });
      assert.deepEqual(records.map((x) => x.index), want, engine);
      for (const x of records) assert.equal(x.caplen, packets[x.index]!.data.length);
    }
  });

  test('-w writes the matching packets to a pcap file', () => {
    const out = path.join(dir, 'out.pcap');
    const r = tsbpf('pcap', capture, '-w', out, 'tcp');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    const written = readCapture(new Uint8Array(readFileSync(out))).packets;
    const want = expected('tcp').map((i) => packets[i]!);
    assert.deepEqual(written.map((p) => [p.sec, Array.from(p.data), p.len]), want.map((p) => [p.sec, Array.from(p.data), p.len]));
  });

  test('-d prints the compiled filter as tcpdump -d, -O unoptimised', () => {
    const expr = 'tcp port 80 and host 10.0.0.1';
    const r = tsbpf('pcap', capture, '-d', expr);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, disassembleClassic(compileFilter(expr)));
    const o = tsbpf('pcap', capture, '-d', '-O', expr);
    assert.equal(o.stdout, disassembleClassic(compileFilter(expr, { optimize: false })));
    assert.notEqual(o.stdout, r.stdout);
    const tcpdump = spawnSync('tcpdump', ['-r', capture, '-d', expr], { encoding: 'utf8' });
    if (tcpdump.status === 0) assert.equal(r.stdout, tcpdump.stdout);
  });

  test('reads pcapng; without an expression prints every packet', () => {
    const ng = path.join(dir, 'in.pcapng');
    writeFileSync(ng, writePcapng(packets.slice(0, 30), { nanosecond: true }));
    const r = tsbpf('pcap', ng);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 30);
    assert.match(lines[0]!, /^\d\d:\d\d:\d\d\.\d{9} /);
  });

  test('errors: the expression with a caret, a damaged file with its offset, exit code 1', () => {
    const bad = tsbpf('pcap', capture, 'tcp', 'port', '8x0');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /column 10 of the filter expression:\ntcp port 8x0\n {9}\^ unknown port '8x0'/);
    assert.match(bad.stderr, /\(EINVAL\)/);
    const cut = path.join(dir, 'cut.pcap');
    writeFileSync(cut, readFileSync(capture).subarray(0, 100));
    const damaged = tsbpf('pcap', cut);
    assert.equal(damaged.status, 1);
    assert.match(damaged.stderr, /at byte \d+\) \(EINVAL\)/);
    const missing = tsbpf('pcap', path.join(dir, 'nope.pcap'), 'tcp');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /ENOENT/);
    const raw = path.join(dir, 'raw.pcap');
    writeFileSync(raw, writePcap(packets.slice(0, 3), { linktype: 101 }));
    const foreign = tsbpf('pcap', raw, 'ip');
    assert.equal(foreign.status, 1);
    assert.match(foreign.stderr, /link type 101 \(EOPNOTSUPP\)/);
  });
});
