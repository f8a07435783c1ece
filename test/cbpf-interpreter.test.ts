import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { assembleClassic, parseClassicArray } from '../src/cbpf/asm.js';
import { ClassicEnv, runClassic } from '../src/cbpf/interpreter.js';
import * as c from '../src/cbpf/opcodes.js';
import { BpfError } from '../src/errno.js';

/**
 * runClassic, the classic interpreter, rule by rule (each expected value
 * worked out by hand from the rule), and against libpcap's bpf_filter on
 * tcpdump's programs. test/cbpf-kernel.test.ts compares it with Linux
 * itself on random programs.
 */

const run = (text: string, packet: number[] | Uint8Array = [], env: ClassicEnv = {}) =>
  runClassic(assembleClassic(text.replace(/;/g, '\n')), Uint8Array.from(packet), env);
const PKT = [0x12, 0x34, 0x56, 0x78, 0x9a];

test('A and X start at 0; ret a returns A, ret #k returns k, as u32', () => {
  assert.equal(run('ret a'), 0);
  assert.equal(run('txa;ret a'), 0);
  assert.equal(run('ret #-1'), 0xffffffff);
  assert.equal(run('ld #0x80000000;ret a'), 0x80000000);
});

test('packet loads are big-endian; a load that does not fit in the packet ends the filter with 0', () => {
  assert.equal(run('ld [0];ret a', PKT), 0x12345678);
  assert.equal(run('ld [1];ret a', PKT), 0x3456789a);
  assert.equal(run('ldh [3];ret a', PKT), 0x789a);
  assert.equal(run('ldb [4];ret a', PKT), 0x9a);
  // [2, 6) is past the 5 bytes: the filter returns 0 at once, not the `ret #1` after it
  assert.equal(run('ld [2];ret #1', PKT), 0);
  assert.equal(run('ldh [4];ret #1', PKT), 0);
  assert.equal(run('ldb [5];ret #1', PKT), 0);
  assert.equal(run('ldb [0x7fffffff];ret #1', PKT), 0);
});

test('indirect loads add X to k as 32-bit numbers', () => {
  assert.equal(run('ldx #1;ldh [x+2];ret a', PKT), 0x789a);
  // X = 2^32 - 1 and k = 1 wrap to offset 0
  assert.equal(run('ldx #0xffffffff;ldb [x+1];ret a', PKT), 0x12);
  assert.equal(run('ldx #4;ldh [x+0];ret #1', PKT), 0);
});

test('ldxb 4*([k]&0xf): X = 4 × the low nibble of byte k; A is untouched', () => {
  assert.equal(run('ld #7;ldxb 4*([0]&0xf);txa;ret a', [0x45]), 20);
  assert.equal(run('ld #7;ldxb 4*([0]&0xf);ret a', [0x45]), 7);
  assert.equal(run('ldxb 4*([1]&0xf);ret #1', [0x45]), 0);
});

test('ld len and ldx len: the packet length, or env.len', () => {
  assert.equal(run('ld #len;ret a', PKT), 5);
  assert.equal(run('ldx #len;txa;ret a', PKT, { len: 1500 }), 1500);
});

test('ALU: 32-bit unsigned arithmetic; shifts by X use its low 5 bits; division or modulo by X = 0 returns 0', () => {
  assert.equal(run('ld #0xffffffff;add #2;ret a'), 1);
  assert.equal(run('ld #1;sub #2;ret a'), 0xffffffff);
  assert.equal(run('ld #0x10001;mul #0x10001;ret a'), 0x20001); // (2^16+1)^2 = 2^32 + 2^17 + 1
  assert.equal(run('ld #0xffffffff;div #2;ret a'), 0x7fffffff);
  assert.equal(run('ld #0xffffffff;mod #10;ret a'), 5); // 4294967295 = 429496729 × 10 + 5
  assert.equal(run('ld #0xf0;and #0x3c;ret a'), 0x30);
  assert.equal(run('ld #0xf0;or #0x0f;ret a'), 0xff);
  assert.equal(run('ld #0xff;xor #0x0f;ret a'), 0xf0);
  assert.equal(run('ld #1;lsh #31;ret a'), 0x80000000);
  assert.equal(run('ld #0x80000000;rsh #31;ret a'), 1);
  assert.equal(run('ld #1;neg;ret a'), 0xffffffff);
  assert.equal(run('ld #3;ldx #33;lsh x;ret a'), 6); // 33 & 31 = 1
  assert.equal(run('ld #8;ldx #35;rsh x;ret a'), 1); // 35 & 31 = 3
  assert.equal(run('ld #7;ldx #0;div x;ret #9'), 0);
  assert.equal(run('ld #7;ldx #0;mod x;ret #9'), 0);
  assert.equal(run('ld #7;ldx #2;mod x;ret a'), 1);
});

test('X-form instructions ignore k', () => {
  const prog = assembleClassic('ld #5\nldx #3\nadd x\nret a');
  prog[2]!.k = 1000;
  assert.equal(runClassic(prog, new Uint8Array(0)), 8);
});

test('jumps compare unsigned; jset tests bits; ja skips k instructions', () => {
  assert.equal(run('ld #0xffffffff;jgt #1, y, n;y: ret #1;n: ret #2'), 1);
  assert.equal(run('ld #5;jge #5, y, n;y: ret #1;n: ret #2'), 1);
  assert.equal(run('ld #5;jgt #5, y, n;y: ret #1;n: ret #2'), 2);
  assert.equal(run('ld #5;jset #2, y, n;y: ret #1;n: ret #2'), 2);
  assert.equal(run('ld #5;ldx #4;jset x, y, n;y: ret #1;n: ret #2'), 1);
  assert.equal(run('ld #5;ldx #5;jeq x, y, n;y: ret #1;n: ret #2'), 1);
  assert.equal(run('ja skip;ret #1;skip: ret #2'), 2);
});

test('scratch memory: st / stx write M[k], ld / ldx read it', () => {
  assert.equal(run('ld #1;st M[0];ld #2;st M[15];ldx #3;stx M[7];ld M[0];add #0;ldx M[15];add x;ldx M[7];add x;ret a'), 6);
});

test('negative offsets: SKF_NET_OFF from the network header, SKF_LL_OFF from the link-layer header, reaching the headroom', () => {
  const headroom = Uint8Array.from([0xaa, 0xbb, 0xcc, 0xdd]);
  const net = (k: number) => (c.SKF_NET_OFF + k) >>> 0;
  const ll = (k: number) => (c.SKF_LL_OFF + k) >>> 0;
  const env = { headroom, netOffset: 1, macOffset: -2 };
  assert.equal(run(`ldb [${net(0) | 0}];ret a`, PKT, env), 0x34);
  assert.equal(run(`ldh [${ll(0) | 0}];ret a`, PKT, env), 0xccdd);
  assert.equal(run(`ld [${ll(1) | 0}];ret a`, PKT, env), 0xdd123456);
  // before the headroom, or after the packet: 0
  assert.equal(run(`ldb [${ll(-3) | 0}];ret #1`, PKT, env), 0);
  assert.equal(run(`ldb [${net(4) | 0}];ret #1`, PKT, env), 0);
  // a link-layer header that is not set: 0; below SKF_LL_OFF: 0
  assert.equal(run(`ldb [${ll(0) | 0}];ret #1`, PKT, { netOffset: 0 }), 0);
  assert.equal(run(`ldb [${(c.SKF_LL_OFF - 1) | 0}];ret #1`, PKT, env), 0);
  // indirect: X + k lands in the range
  assert.equal(run(`ldx #1;ldb [x+${net(0) | 0}];ret a`, PKT, env), 0x56);
});

test('ancillary loads read the environment, whatever the load size', () => {
  const env: ClassicEnv = {
    protocol: 0x86dd, pktType: 3, ifindex: 7, mark: 0xdeadbeef, queue: 0x12345, hatype: 772, rxhash: 0xcafe, cpu: 3,
    vlanTci: 0x1064, vlanPresent: true, vlanTpid: 0x88a8, payOffset: 54, random: () => 0x5eed,
  };
  const cases: Array<[string, number]> = [
    ['proto', 0x86dd], ['type', 3], ['ifidx', 7], ['mark', 0xdeadbeef], ['queue', 0x2345], ['hatype', 772], ['rxhash', 0xcafe],
    ['cpu', 3], ['vlan_tci', 0x1064], ['vlan_avail', 1], ['vlan_tpid', 0x88a8], ['poff', 54], ['rand', 0x5eed],
  ];
  for (const [name, want] of cases) {
    for (const size of ['ld', 'ldh', 'ldb']) assert.equal(run(`${size} #${name};ret a`, PKT, env), want, `${size} #${name}`);
  }
  assert.equal(run('ld #0x0f0f;ldx #0xff;ld #xor_x;ret a'), 0x0ff0);
  assert.equal(run('ld #vlan_avail;ret a', PKT, { vlanTci: 5 }), 0);
  // no device: Linux's converted filter ends at the load, returning A
  assert.equal(run('ld #9;ld #ifidx;ret #1', PKT, { noDevice: true }), 9);
  assert.equal(run('ld #9;ld #hatype;ret #1', PKT, { noDevice: true }), 9);
});

test('netlink attributes: ld #nla finds attribute type X from offset A, ld #nlan inside the attribute at A', () => {
  // {len 5, type 1, 1 byte + 3 padding} {len 12, type 2 | NLA_F_NESTED: {len 4, type 3} {len 4, type 4}} {len 4, type 5}
  const nl = [5, 0, 1, 0, 0xee, 0, 0, 0, 12, 0, 2, 0x80, 4, 0, 3, 0, 4, 0, 4, 0, 4, 0, 5, 0];
  const nla = (a: number, x: number) => run(`ld #${a};ldx #${x};ld #nla;ret a`, nl);
  const nlan = (a: number, x: number) => run(`ld #${a};ldx #${x};ld #nlan;ret a`, nl);
  assert.equal(nla(0, 1), 0);
  assert.equal(nla(0, 2), 8); // the first attribute is 5 bytes, padded to 8
  assert.equal(nla(0, 5), 20);
  assert.equal(nla(0, 3), 0); // nested attributes are not at the top level
  assert.equal(nla(8, 5), 20);
  assert.equal(nla(21, 5), 0); // fewer than 4 bytes left after A
  assert.equal(nlan(8, 3), 12);
  assert.equal(nlan(8, 4), 16);
  assert.equal(nlan(8, 5), 0);
  assert.equal(nlan(0, 1), 0); // attribute 1 holds one byte, no attributes
});

test('runClassic refuses programs Linux refuses', () => {
  assert.throws(() => run('ld M[0];ret a'), (e) => e instanceof BpfError && e.errno === 'EINVAL' && /insn 0: M\[0\] may be read/.test(e.message));
});

// ---------------------------------------------------------------- libpcap's bpf_filter

const ORACLE = path.resolve(process.cwd(), 'test/cbpf-oracle.py');

function bpfFilter(progs: number[][][], packets: Uint8Array[]): number[][] | undefined {
  const input = JSON.stringify({ progs, packets: packets.map((p) => Buffer.from(p).toString('hex')) });
  const r = spawnSync('python3', [ORACLE, 'pcap-filter'], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  return r.status === 0 ? (JSON.parse(r.stdout) as number[][]) : undefined;
}

const SKIP = spawnSync('tcpdump', ['--version']).status !== 0 ? 'tcpdump is not installed' : bpfFilter([[[6, 0, 0, 0]]], [new Uint8Array(1)]) ? undefined : 'python3 cannot load libpcap.so.0.8 (bpf_filter)';
if (SKIP) console.log(`# libpcap bpf_filter comparison skipped: ${SKIP}`);

/** Ethernet frames that often match the expressions below: IPv4/IPv6, TCP/UDP/ICMP, common ports, 10.0.0.1. */
const frame = fc
  .tuple(
    fc.uint8Array({ minLength: 14, maxLength: 120 }),
    fc.constantFrom(0x0800, 0x0800, 0x86dd, 0x0806, 0x8100),
    fc.constantFrom(6, 17, 1, 58, 47),
    fc.constantFrom(80, 53, 443, 22, 1000),
    fc.boolean(),
  )
  .map(([bytes, type, proto, port, host]) => {
    const f = Uint8Array.from(bytes);
    const put = (at: number, ...v: number[]) => v.forEach((b, i) => at + i < f.length && (f[at + i] = b));
    put(12, type >> 8, type & 0xff);
    if (type === 0x0800) {
      put(14, 0x45);
      put(20, 0, 0); // not a fragment
      put(23, proto);
      if (host) put(26, 10, 0, 0, 1);
      put(36, port >> 8, port & 0xff);
    } else if (type === 0x86dd) {
      put(20, proto);
      put(56, port >> 8, port & 0xff);
    }
    return f;
  });

test('tcpdump programs return on random frames what libpcap\'s bpf_filter returns', { skip: SKIP }, () => {
  const exprs = ['tcp port 80 and host 10.0.0.1', 'udp port 53', 'ip6 and tcp', 'icmp or arp', 'tcp[tcpflags] & tcp-syn != 0', 'ip[2:2] > 60', 'vlan', 'greater 64', 'ip proto 47', 'portrange 20-80'];
  const progs = exprs.map((e) => parseClassicArray(spawnSync('tcpdump', ['-y', 'EN10MB', '-dd', e], { encoding: 'utf8' }).stdout));
  const packets = fc.sample(frame, { numRuns: 400, seed: 5 });
  const want = bpfFilter(progs.map((p) => p.map((f) => [f.code, f.jt, f.jf, f.k])), packets)!;
  let matched = 0;
  progs.forEach((p, i) => {
    packets.forEach((pkt, j) => {
      const got = runClassic(p, pkt, { netOffset: 14, macOffset: 0 });
      assert.equal(got, want[i]![j], `${exprs[i]} on ${Buffer.from(pkt).toString('hex')}`);
      if (got) matched++;
    });
  });
  assert.ok(matched > 200 && matched < 3800, `${matched} of 4000 matched: both outcomes are tested`);
});
