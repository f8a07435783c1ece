import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '../src/runtime/runtime.js';
import { portableHost } from '../src/runtime/host.js';
import { assemble } from '../src/isa/asm.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { csumAdd, csumFold16, csumPartial, csumSub } from '../src/helpers/csum.js';
import { BpfError } from '../src/errno.js';
import { TestRunInput } from '../src/progtypes/index.js';
import { ptRegs } from '../src/progtypes/pt-regs.js';
import { perfEventData } from '../src/progtypes/perf-event.js';
import { rawTracepointArgs } from '../src/progtypes/raw-tracepoint.js';

const errno = (name: string, pattern: RegExp) => (e: unknown) => e instanceof BpfError && e.errno === name && pattern.test(e.message);
const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16));
const toHex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');
const TYPES: Readonly<Record<string, number>> = { socket_filter: 1, sched_cls: 3, xdp: 6, kprobe: 2, tracepoint: 5, perf_event: 7, raw_tracepoint: 17 };

function runtime(): Runtime {
  return new Runtime({ helpers: linuxHelpers() });
}

/**
 * Load `asm` (`;` or newlines between instructions) as a program of `type`
 * and test-run it. These tests are of the test-run machinery (context
 * layouts, data_out, the engine's own checks): their programs read packets
 * without a bounds check, which Linux's verifier refuses, so they load
 * unverified.
 */
function testRun(type: string, asm: string, input: TestRunInput, rt = runtime()) {
  return rt.loadProgram({ type: TYPES[type], unverified: true, insns: assemble(asm.replace(/;/g, '\n')) }).testRun(input);
}

/** An Ethernet + IPv4 frame: broadcast destination, IPv4 TCP 192.168.0.1 → 192.168.0.2, 4 bytes of payload. */
const IPV4 = hex('ffffffffffff 001122334455 0800 4500001400000000 40060000 c0a80001 c0a80002 aabbccdd');
const ctxBytes = (fields: Array<[number, number, number | bigint]>, size = 192) => {
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  for (const [off, n, v] of fields) n === 8 ? dv.setBigUint64(off, BigInt(v), true) : dv.setUint32(off, Number(v), true);
  return b;
};
const u32At = (b: Uint8Array | undefined, off: number) => new DataView(b!.buffer, b!.byteOffset).getUint32(off, true);

// ---------------------------------------------------------------- socket filter and tc

test('a socket filter reads the IP protocol with LD_ABS: its packet starts at the network header', () => {
  // LD_ABS B 9: the IPv4 protocol byte; keep the packet if TCP (6), else drop it
  const r = testRun('socket_filter', 'r6 = r1;r0 = *(u8 *)skb[9];if r0 == 6 goto +2;r0 = 0;exit;r0 = -1;exit', { data: IPV4 });
  assert.equal(r.retval, 0xffffffff);
  assert.equal(r.r0, 0xffffffffffffffffn);
  // data_out: the Ethernet header comes back zeroed, as Linux pushes 14 zero bytes
  assert.equal(toHex(r.dataOut), '0'.repeat(28) + toHex(IPV4.subarray(14)));
  // len counts from the network header; out-of-range LD_ABS ends the program with 0
  assert.equal(testRun('socket_filter', 'r0 = *(u32 *)(r1 + 0);exit', { data: IPV4 }).retval, IPV4.length - 14);
  assert.equal(testRun('socket_filter', 'r6 = r1;r0 = *(u32 *)skb[22];r0 = 7;exit', { data: IPV4 }).retval, 0);
  assert.equal(testRun('socket_filter', 'r6 = r1;r0 = *(u32 *)skb[20];exit', { data: IPV4 }).retval, 0xaabbccdd);
});

test('skb context: protocol, pkt_type, ifindex and the packet pointers at their UAPI offsets', () => {
  const field = (type: string, off: number, data = IPV4) => testRun(type, `r0 = *(u32 *)(r1 + ${off});exit`, { data }).retval;
  assert.equal(field('socket_filter', 16), 0x0008, 'protocol holds the EtherType in network byte order');
  assert.equal(field('sched_cls', 16), 0x0008);
  assert.equal(field('sched_cls', 0), IPV4.length, 'tc sees the whole frame');
  assert.equal(field('sched_cls', 40), 1, 'the loopback device');
  assert.equal(field('sched_cls', 36), 0);
  // eth_type_trans on the loopback device (all-zero MAC and broadcast addresses)
  const dest = (d: string) => hex(d + toHex(IPV4.subarray(6)));
  assert.deepEqual(['000000000000', '001122334455', '010203040506', 'ffffffffffff'].map((d) => field('sched_cls', 4, dest(d))), [0, 3, 2, 2]);
  // 802.3 length fields: 0xffff after the header is raw 802.3, anything else 802.2
  assert.equal(field('sched_cls', 16, hex('000000000000 001122334455 05dc ffff0000')), 0x0100);
  assert.equal(field('sched_cls', 16, hex('000000000000 001122334455 05dc aaaa0000')), 0x0400);
  // data_end - data is the frame; data_meta = data
  assert.equal(testRun('sched_cls', 'r2 = *(u32 *)(r1 + 76);r3 = *(u32 *)(r1 + 80);r0 = r3;r0 -= r2;exit', { data: IPV4 }).retval, IPV4.length);
  assert.equal(testRun('sched_cls', 'r2 = *(u32 *)(r1 + 76);r3 = *(u32 *)(r1 + 140);r0 = r3;r0 -= r2;exit', { data: IPV4 }).retval, 0);
  // the pointer a tc program loads from data is a real address: load the EtherType through it
  assert.equal(testRun('sched_cls', 'r2 = *(u32 *)(r1 + 76);r0 = *(u16 *)(r2 + 12);exit', { data: IPV4 }).retval, 0x0008);
});

test('a tc program writes the packet directly and through skb_store_bytes; data_out shows both', () => {
  const r = testRun('sched_cls', [
    'r6 = r1',
    'r2 = *(u32 *)(r6 + 76)',
    'r3 = 0x42',
    '*(u8 *)(r2 + 0) = r3', // direct write of the first destination byte
    '*(u32 *)(r10 - 8) = 0x44332211',
    'r1 = r6;r2 = 34;r3 = r10;r3 += -8;r4 = 4;r5 = 2', // BPF_F_INVALIDATE_HASH
    'call 9',
    'exit',
  ].join('\n'), { data: IPV4 });
  assert.equal(r.retval, 0);
  const want = IPV4.slice();
  want[0] = 0x42;
  want.set([0x11, 0x22, 0x33, 0x44], 34);
  assert.equal(toHex(r.dataOut), toHex(want));
});

test('skb_store_bytes: -EINVAL for unknown flags, -EFAULT past the packet', () => {
  const store = (off: number, len: number, flags: number) =>
    testRun('sched_cls', `r6 = r1;*(u64 *)(r10 - 8) = 0;r2 = ${off};r3 = r10;r3 += -8;r4 = ${len};r5 = ${flags};call 9;exit`, { data: IPV4 });
  assert.equal(store(0, 2, 4).r0, BigInt.asUintN(64, -22n));
  assert.equal(store(0, 2, 3).r0, 0n);
  assert.equal(store(IPV4.length - 2, 2, 0).r0, 0n);
  const past = store(IPV4.length - 1, 2, 0);
  assert.equal(past.r0, BigInt.asUintN(64, -14n));
  assert.equal(toHex(past.dataOut), toHex(IPV4), 'nothing written');
});

test('skb_load_bytes copies from the packet, and out of range gives -EFAULT with the buffer zeroed', () => {
  // read 4 bytes at `off` into r10-8 (prefilled with ones); return r0 + the loaded word
  const load = (type: string, off: number) =>
    testRun(type, `*(u64 *)(r10 - 8) = -1;r2 = ${off};r3 = r10;r3 += -8;r4 = 4;call 26;r6 = r0;r0 = *(u32 *)(r10 - 8);r0 += r6;exit`, { data: IPV4 });
  assert.equal(load('socket_filter', 0).retval, 0x14000045, 'from the IPv4 header');
  assert.equal(load('sched_cls', 0).retval, 0xffffffff, 'from the Ethernet header');
  assert.equal(load('socket_filter', 20).retval, 0xddccbbaa);
  assert.equal(load('socket_filter', 21).retval, 0xfffffff2, '-EFAULT (-14), buffer zeroed');
  const past = testRun('sched_cls', 'r2 = 0x7fffffff;r2 += 1;r3 = r10;r3 += -8;r4 = 4;call 26;exit', { data: IPV4 });
  assert.equal(past.retval, 0xfffffff2, 'offsets past INT_MAX');
});

test('packet helpers refuse a context argument that is not the context, and a run without their packet', () => {
  assert.throws(() => testRun('sched_cls', 'r1 = r10;r2 = 0;r3 = r10;r3 += -8;r4 = 4;call 26;exit', { data: IPV4 }), errno('EINVAL', /skb_load_bytes: argument 1 must be the context/));
  const rt = runtime();
  const prog = rt.loadProgram({ unverified: true, insns: assemble('r2 = 0\nr3 = r10\nr3 += -8\nr4 = 4\ncall 26\nexit') });
  assert.throws(() => prog.run(), errno('EINVAL', /needs a struct __sk_buff context; this run has no packet/));
});

test('a socket filter cannot touch its packet directly: it has no data field and no packet region', () => {
  // reading the address in `data` works (the layout is the UAPI one), loading through it faults
  assert.throws(() => testRun('socket_filter', 'r2 = *(u32 *)(r1 + 76);r0 = *(u8 *)(r2 + 0);exit', { data: IPV4 }), errno('EFAULT', /invalid read of 1 byte/));
});

test('skb test run: data must be a whole Ethernet frame with the network header its EtherType needs', () => {
  const run = (data: Uint8Array) => testRun('sched_cls', 'r0 = 1;exit', { data });
  assert.throws(() => run(IPV4.subarray(0, 13)), errno('EINVAL', /Ethernet frame of 14 to 3712 bytes, not 13/));
  assert.throws(() => testRun('socket_filter', 'r0 = 1;exit', {}), errno('EINVAL', /not 0/));
  assert.throws(() => run(new Uint8Array(3713)), errno('EINVAL', /not 3713/));
  assert.equal(run(new Uint8Array(3712)).retval, 1);
  // IPv4 needs 20 bytes past the Ethernet header, IPv6 40; other EtherTypes nothing
  assert.throws(() => run(IPV4.subarray(0, 33)), errno('EINVAL', /EtherType 0x0800 needs a 20-byte network header, the packet has 19/));
  assert.equal(run(IPV4.subarray(0, 34)).retval, 1);
  const v6 = (n: number) => hex('000000000000 001122334455 86dd' + '00'.repeat(n));
  assert.throws(() => run(v6(39)), errno('EINVAL', /0x86dd needs a 40-byte/));
  assert.equal(run(v6(40)).retval, 1);
  assert.equal(run(hex('000000000000 001122334455 0806')).retval, 1);
});

test('skb ctx_in: the fields Linux takes are seen by the program; any other non-zero byte is EINVAL', () => {
  const mark = (ctx: Uint8Array) => testRun('sched_cls', 'r0 = *(u32 *)(r1 + 8);exit', { data: IPV4, ctx });
  assert.equal(mark(ctxBytes([[8, 4, 7]])).retval, 7);
  assert.equal(mark(ctxBytes([[8, 4, 7]], 12)).retval, 7, 'a shorter ctx is zero-extended');
  assert.equal(mark(ctxBytes([[8, 4, 7], [196, 4, 0]], 200)).retval, 7, 'a longer one with zeros past the struct');
  assert.throws(() => mark(ctxBytes([[196, 4, 1]], 200)), errno('E2BIG', /ctx_in has 200 bytes/));
  assert.throws(() => mark(ctxBytes([[0, 4, 1]])), errno('EINVAL', /ctx_in may not set len/));
  assert.throws(() => mark(ctxBytes([[44, 4, 1]])), errno('EINVAL', /may not set tc_index/));
  assert.throws(() => mark(ctxBytes([[68, 4, 1]])), errno('EINVAL', /may not set hash/));
  assert.throws(() => mark(ctxBytes([[168, 8, 1]])), errno('EINVAL', /may not set sk/));
  assert.throws(() => mark(ctxBytes([[180, 4, 1]])), errno('EINVAL', /may not set tstamp_type/));
  assert.throws(() => mark(ctxBytes([[180, 4, 0x100]])), errno('EINVAL', /padding byte 181/));
  assert.throws(() => mark(ctxBytes([[40, 4, 2]])), errno('ENODEV', /no device with ifindex 2/));
  assert.equal(mark(ctxBytes([[40, 4, 1]])).retval, 0);
  // wire_len: 0 (the packet length) or from the packet length to 64 KiB
  const wire = (v: number) => testRun('sched_cls', 'r0 = *(u32 *)(r1 + 160);exit', { data: IPV4, ctx: ctxBytes([[160, 4, v]]) });
  assert.equal(wire(0).retval, IPV4.length);
  assert.equal(wire(100).retval, 100);
  assert.equal(wire(65536).retval, 65536);
  assert.throws(() => wire(IPV4.length - 1), errno('EINVAL', /wire_len 37/));
  assert.throws(() => wire(65537), errno('EINVAL', /wire_len 65537/));
  assert.equal(testRun('sched_cls', 'r0 = *(u32 *)(r1 + 160);exit', { data: IPV4 }).retval, 0, 'no ctx: wire_len reads 0, as in Linux');
  assert.throws(() => testRun('sched_cls', 'r0 = 0;exit', { data: IPV4, ctx: ctxBytes([[164, 4, 65536]]) }), errno('EINVAL', /gso_segs/));
  // the rest of the allowed fields reach the program
  const read = (off: number, size: 4 | 8, ctx: Uint8Array) => testRun('sched_cls', `r0 = *(u${size * 8} *)(r1 + ${off});exit`, { data: IPV4, ctx }).r0;
  const all = ctxBytes([[32, 4, 3], [36, 4, 9], [48, 4, 0xc0], [64, 4, 0xc4], [152, 8, 1234n], [164, 4, 5], [176, 4, 1400], [184, 8, 99n]]);
  assert.deepEqual([read(32, 4, all), read(36, 4, all), read(48, 4, all), read(64, 4, all), read(152, 8, all), read(164, 4, all), read(176, 4, all), read(184, 8, all)], [3n, 9n, 0xc0n, 0xc4n, 1234n, 5n, 1400n, 99n]);
});

test('skb ctx_out: ctx_in with the fields Linux copies back, as the program left the ones it may write', () => {
  const prog = 'r2 = 77;*(u32 *)(r1 + 8) = r2;*(u32 *)(r1 + 52) = r2;r2 = 5;*(u32 *)(r1 + 44) = r2;r0 = 0;exit';
  const ctx = ctxBytes([[8, 4, 1], [176, 4, 1400]]);
  const tc = testRun('sched_cls', prog, { data: IPV4, ctx });
  assert.equal(u32At(tc.ctxOut, 8), 77, 'mark, written by the program');
  assert.equal(u32At(tc.ctxOut, 52), 77, 'cb[1]');
  assert.equal(u32At(tc.ctxOut, 44), 0, 'tc_index is not copied back');
  assert.equal(u32At(tc.ctxOut, 40), 1, 'ifindex: the loopback device');
  assert.equal(u32At(tc.ctxOut, 160), IPV4.length, 'wire_len');
  assert.equal(u32At(tc.ctxOut, 176), 1400, 'gso_size stays as given');
  assert.equal(u32At(tc.ctxOut, 0), 0, 'len is not copied back');
  // a socket filter may write cb but not mark: an (unverified) store to mark does not reach ctx_out
  const sf = testRun('socket_filter', prog, { data: IPV4, ctx });
  assert.equal(u32At(sf.ctxOut, 8), 1);
  assert.equal(u32At(sf.ctxOut, 52), 77);
  assert.equal(testRun('sched_cls', prog, { data: IPV4 }).ctxOut, undefined, 'no ctx given, no ctx_out');
});

// ---------------------------------------------------------------- XDP

/** Drop IPv4 UDP, pass the rest: parse Ethernet and IPv4 with bounds checks against data_end. */
const XDP_DROP_UDP = `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 34
    if r4 > r3 goto pass
    r5 = *(u16 *)(r2 + 12)
    if r5 != 0x8 goto pass
    r5 = *(u8 *)(r2 + 23)
    if r5 == 17 goto drop
  pass:
    r0 = 2
    exit
  drop:
    r0 = 1
    exit`;
const UDP = hex('000000000000 001122334455 0800 4500001c00000000 40110000 0a000001 0a000002 00350035 00080000');
const TCP = hex('000000000000 001122334455 0800 4500001400000000 40060000 0a000001 0a000002');
const ARP = hex('ffffffffffff 001122334455 0806 0001080006040001');

test('an XDP program parses Ethernet and IPv4 and returns XDP_DROP for UDP, XDP_PASS otherwise', () => {
  assert.equal(testRun('xdp', XDP_DROP_UDP, { data: UDP }).retval, 1);
  assert.equal(testRun('xdp', XDP_DROP_UDP, { data: TCP }).retval, 2);
  assert.equal(testRun('xdp', XDP_DROP_UDP, { data: ARP }).retval, 2);
  assert.equal(testRun('xdp', XDP_DROP_UDP, { data: UDP.subarray(0, 33) }).retval, 2, 'too short for an IPv4 header');
  const r = testRun('xdp', XDP_DROP_UDP, { data: UDP });
  assert.equal(toHex(r.dataOut), toHex(UDP));
  assert.equal(r.ctxOut, undefined);
  // xdp_md: ingress_ifindex is the loopback device, queue 0
  assert.equal(testRun('xdp', 'r0 = *(u32 *)(r1 + 12);exit', { data: ARP }).retval, 1);
  assert.equal(testRun('xdp', 'r0 = *(u32 *)(r1 + 16);exit', { data: ARP }).retval, 0);
});

test('xdp_adjust_head and xdp_adjust_tail grow and shrink the frame; data_out shows it', () => {
  const frame = hex('000000000000 001122334455 0806 45');
  // grow 4 bytes at the front (zeroed headroom) and 2 at the back (zeroed by the helper)
  const grown = testRun('xdp', 'r6 = r1;r2 = -4;call 44;r1 = r6;r2 = 2;call 65;r0 = 2;exit', { data: frame });
  assert.equal(toHex(grown.dataOut), '00000000' + toHex(frame) + '0000');
  // shrink: drop the Ethernet addresses at the front, two bytes at the back
  const frame20 = hex('000000000000 001122334455 0806 450000000000');
  const shrunk = testRun('xdp', 'r6 = r1;r2 = 4;call 44;r1 = r6;r2 = -2;call 65;r0 = 2;exit', { data: frame20 });
  assert.equal(toHex(shrunk.dataOut), toHex(frame20.subarray(4, 18)));
  // the program sees the new bounds through xdp_md and may write the new bytes
  const write = testRun('xdp', 'r6 = r1;r2 = -2;call 44;r2 = *(u32 *)(r6 + 0);r3 = 0xabcd;*(u16 *)(r2 + 0) = r3;r3 = *(u32 *)(r6 + 4);r0 = r3;r0 -= r2;exit', { data: frame });
  assert.equal(write.retval, frame.length + 2);
  assert.equal(toHex(write.dataOut), 'cdab' + toHex(frame));
});

test('xdp_adjust_head / xdp_adjust_tail limits: the xdp_frame at the start of the headroom, the tailroom, ETH_HLEN', () => {
  const frame = new Uint8Array(300);
  const adjust = (id: number, delta: number) => testRun('xdp', `r6 = r1;r2 = ${delta};call ${id};r7 = r0;r2 = *(u32 *)(r6 + 0);r3 = *(u32 *)(r6 + 4);r3 -= r2;r0 = r3;if r7 == 0 goto +1;r0 = r7;exit`, { data: frame });
  const EINVAL = 0xffffffea;
  assert.equal(adjust(44, -216).retval, 516, '256 bytes of headroom less the 40-byte xdp_frame');
  assert.equal(adjust(44, -217).retval, EINVAL);
  assert.equal(adjust(44, 286).retval, 14);
  assert.equal(adjust(44, 287).retval, EINVAL);
  assert.equal(adjust(65, 3220).retval, 3520, 'a page less headroom and skb_shared_info');
  assert.equal(adjust(65, 3221).retval, EINVAL);
  assert.equal(adjust(65, -286).retval, 14);
  assert.equal(adjust(65, -287).retval, EINVAL);
  assert.equal(adjust(65, 3220).dataOut!.length, 3520);
});

test('XDP metadata from ctx_in: data_meta, the move of metadata with xdp_adjust_head, and ctx_out', () => {
  const data = hex('a1a2a3a4' + '000000000000 001122334455 0806 4500');
  const ctx = ctxBytes([[0, 4, 4], [4, 4, data.length]], 24);
  // data - data_meta: the 4 bytes of metadata; the program reads the first metadata byte
  const r = testRun('xdp', 'r2 = *(u32 *)(r1 + 8);r0 = *(u8 *)(r2 + 0);exit', { data, ctx });
  assert.equal(r.retval, 0xa1);
  assert.equal(toHex(r.dataOut), toHex(data), 'data_out starts at data_meta');
  assert.deepEqual([u32At(r.ctxOut, 0), u32At(r.ctxOut, 4), u32At(r.ctxOut, 8)], [4, data.length, 0]);
  // grow the head: the metadata moves with data (memmove: what was its end is now the frame's first bytes)
  const moved = testRun('xdp', 'r6 = r1;r2 = -2;call 44;r0 = 2;exit', { data, ctx });
  assert.equal(toHex(moved.dataOut), 'a1a2a3a4' + 'a3a4' + toHex(data.subarray(4)));
  assert.deepEqual([u32At(moved.ctxOut, 0), u32At(moved.ctxOut, 4)], [4, data.length + 2]);
});

test('XDP ctx_in is checked as bpf_prog_test_run_xdp checks it', () => {
  const data = new Uint8Array(64);
  const run = (fields: Array<[number, number, number]>) => testRun('xdp', 'r0 = 2;exit', { data, ctx: ctxBytes(fields, 24) });
  assert.equal(run([[4, 4, 64]]).retval, 2);
  assert.equal(run([[4, 4, 64], [12, 4, 1]]).retval, 2, 'the loopback device, queue 0');
  assert.throws(() => run([[4, 4, 64], [8, 4, 4]]), errno('EINVAL', /data_meta must be 0/));
  assert.throws(() => run([[4, 4, 65]]), errno('EINVAL', /data_end 65 is past the 64 bytes/));
  assert.throws(() => run([[0, 4, 3], [4, 4, 64]]), errno('EINVAL', /multiple of 4/));
  const big = (meta: number) => testRun('xdp', 'r0 = 2;exit', { data: new Uint8Array(300), ctx: ctxBytes([[0, 4, meta], [4, 4, 300]], 24) });
  assert.equal(big(216).retval, 2);
  assert.throws(() => big(220), errno('EINVAL', /at most 216/));
  assert.throws(() => run([[0, 4, 52], [4, 4, 64]]), errno('EINVAL', /after 52 bytes of metadata, not 12/));
  assert.throws(() => run([[4, 4, 60]]), errno('ENOTSUPP', /multi-buffer/));
  assert.throws(() => run([[4, 4, 64], [20, 4, 1]]), errno('EINVAL', /egress_ifindex/));
  assert.throws(() => run([[4, 4, 64], [16, 4, 1]]), errno('EINVAL', /needs an ingress_ifindex/));
  assert.throws(() => run([[4, 4, 64], [12, 4, 1], [16, 4, 1]]), errno('EINVAL', /1 receive queue/));
  assert.throws(() => run([[4, 4, 64], [12, 4, 5]]), errno('ENODEV', /ifindex 5/));
  assert.throws(() => testRun('xdp', 'r0 = 2;exit', { data: new Uint8Array(13) }), errno('EINVAL', /at least 14 bytes/));
  assert.throws(() => testRun('xdp', 'r0 = 2;exit', { data: new Uint8Array(3521) }), errno('ENOTSUPP', /3520-byte linear part/));
  assert.equal(testRun('xdp', 'r0 = 2;exit', { data: new Uint8Array(3520) }).retval, 2);
});

test('the XDP context is read-only', () => {
  assert.throws(() => testRun('xdp', 'r2 = 0;*(u32 *)(r1 + 0) = r2;r0 = 2;exit', { data: ARP }), errno('EFAULT', /the ctx \(struct xdp_md\) region is read-only/));
});

// ---------------------------------------------------------------- repeat and duration

test('repeat runs the program N times on the same packet; durationNs is the average by the host clock', () => {
  let clock = 0n;
  const rt = new Runtime({ helpers: linuxHelpers(), host: { ...portableHost(), monotonicNs: () => (clock += 1000n) } });
  const frame = hex('000000000000 001122334455 0806 45');
  // each run grows the head by 4: the runs share the frame, as in Linux
  const r = testRun('xdp', 'r6 = r1;r2 = -4;call 44;r0 = 2;exit', { data: frame, repeat: 3 }, rt);
  assert.equal(r.dataOut!.length, frame.length + 12);
  assert.equal(r.durationNs, Math.floor(1000 / 3));
  assert.equal(testRun('xdp', 'r0 = 2;exit', { data: frame, repeat: 0 }, rt).durationNs, 1000, 'repeat 0 runs once');
  // an skb program counting its runs in cb[0]
  const count = testRun('sched_cls', 'r2 = *(u32 *)(r1 + 48);r2 += 1;*(u32 *)(r1 + 48) = r2;r0 = r2;exit', { data: IPV4, repeat: 10, ctx: new Uint8Array(0) }, rt);
  assert.equal(count.retval, 10);
  assert.equal(u32At(count.ctxOut, 48), 10);
  assert.equal(count.durationNs, 100);
  assert.throws(() => testRun('xdp', 'r0 = 2;exit', { data: frame, repeat: -1 }, rt), errno('EINVAL', /repeat must be a whole number/));
  assert.throws(() => testRun('xdp', 'r0 = 2;exit', { data: frame, cpu: 1 }, rt), errno('EINVAL', /cpu 1 is not one of the runtime's 1/));
});

test('a test run reuses its buffers: consecutive runs on different packets do not leak into each other', () => {
  const rt = runtime();
  const prog = rt.loadProgram({ type: 6, insns: assemble('r6 = r1\nr2 = -8\ncall 44\nr0 = 2\nexit') });
  const a = prog.testRun({ data: new Uint8Array(100).fill(0xee) });
  const b = prog.testRun({ data: new Uint8Array(20).fill(0x11) });
  assert.equal(toHex(a.dataOut!.subarray(0, 8)), '00'.repeat(8));
  assert.equal(toHex(b.dataOut), '00'.repeat(8) + '11'.repeat(20));
});

test('programs without a type, or of a type without a test run, say so', () => {
  const rt = runtime();
  assert.throws(() => rt.loadProgram({ unverified: true, insns: assemble('r0 = 0\nexit') }).testRun({}), errno('EINVAL', /needs a program type/));
});

// ---------------------------------------------------------------- tracing types

test('kprobe: a program reads recorded registers from its pt_regs context', () => {
  // PT_REGS_PARM1 + PT_REGS_PARM2 (rdi at 112, rsi at 104)
  const r = testRun('kprobe', 'r2 = *(u64 *)(r1 + 112);r3 = *(u64 *)(r1 + 104);r0 = r2;r0 += r3;exit', { ctx: ptRegs({ parm1: 40, parm2: 2 }) });
  assert.equal(r.r0, 42n);
  assert.equal(r.dataOut, undefined);
  assert.equal(testRun('kprobe', 'r0 = *(u64 *)(r1 + 160);exit', { ctx: ptRegs({}).subarray(0, 8) }).r0, 0n, 'a shorter pt_regs is zero-extended');
  assert.throws(() => testRun('kprobe', 'r0 = 0;exit', { ctx: new Uint8Array(169).fill(1) }), errno('E2BIG', /169 bytes/));
  assert.throws(() => testRun('kprobe', 'r0 = 0;exit', { ctx: ptRegs({}), data: IPV4 }), errno('EINVAL', /data is not accepted/));
  assert.throws(() => testRun('kprobe', 'r0 = 0;exit', {}), errno('EINVAL', /needs ctx \(the struct pt_regs/));
  assert.throws(() => testRun('kprobe', 'r2 = 0;*(u64 *)(r1 + 0) = r2;r0 = 0;exit', { ctx: ptRegs({}) }), errno('EFAULT', /read-only/));
});

test('perf_event, tracepoint and raw_tracepoint contexts', () => {
  const pe = perfEventData(ptRegs({ ip: 0x401000 }), 4000n, 0xdeadn);
  assert.equal(testRun('perf_event', 'r0 = *(u64 *)(r1 + 168);exit', { ctx: pe }).r0, 4000n);
  assert.equal(testRun('perf_event', 'r0 = *(u64 *)(r1 + 176);exit', { ctx: pe }).r0, 0xdeadn);
  assert.equal(testRun('perf_event', 'r0 = *(u64 *)(r1 + 128);exit', { ctx: pe }).r0, 0x401000n);
  // a tracepoint record: the common header, then the event's fields
  const record = hex('0100 00 00 39300000' + '2a00000000000000');
  assert.equal(testRun('tracepoint', 'r0 = *(u64 *)(r1 + 8);exit', { ctx: record, repeat: 5 }).r0, 42n);
  assert.throws(() => testRun('tracepoint', 'r0 = *(u64 *)(r1 + 16);exit', { ctx: record }), errno('EFAULT', /invalid read/));
  // raw tracepoint: u64 arguments; Linux takes no repeat and no data, and at most 12 arguments
  assert.equal(testRun('raw_tracepoint', 'r0 = *(u64 *)(r1 + 8);exit', { ctx: rawTracepointArgs([1n, -5n]) }).r0, BigInt.asUintN(64, -5n));
  assert.equal(testRun('raw_tracepoint', 'r0 = r1;exit', {}).r0, 0n, 'no ctx: r1 is NULL');
  assert.throws(() => testRun('raw_tracepoint', 'r0 = 0;exit', { ctx: rawTracepointArgs([1n]), repeat: 2 }), errno('EINVAL', /repeat is not accepted/));
  assert.equal(testRun('raw_tracepoint', 'r0 = 7;exit', { repeat: 0 }).retval, 7);
  assert.throws(() => testRun('raw_tracepoint', 'r0 = 0;exit', { ctx: new Uint8Array(104) }), errno('EINVAL', /at most 96/));
});

// ---------------------------------------------------------------- csum_diff

test('csum_diff computes the IPv4 header checksum by hand-computed RFC 1071 arithmetic', () => {
  // the header of RFC 1071's classic example, checksum field zeroed: its checksum is 0xb861
  const header = hex('45000073 00004000 40110000 c0a80001 c0a800c7');
  const stores = [...header].map((b, i) => `*(u8 *)(r10 - ${20 - i}) = ${b}`).join(';');
  // r0 = ~csum_diff(NULL, 0, header, 20, 0) & 0xffff: the checksum as the u16 in memory
  const r = testRun('xdp', `${stores};r1 = 0;r2 = 0;r3 = r10;r3 += -20;r4 = 20;r5 = 0;call 28;r0 ^= -1;r0 &= 0xffff;exit`, { data: ARP });
  assert.equal(r.retval, 0x61b8, 'b8 61 in memory');
  // by hand: 16-bit big-endian words summed with end-around carry
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (header[i]! << 8) | header[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  assert.equal(~sum & 0xffff, 0xb861);
});

test('csum_diff matches what Linux 6.18 returned for the same inputs (recorded with kernel-oracle.py)', () => {
  const w = (...words: number[]) => {
    const b = new Uint8Array(4 * words.length);
    words.forEach((v, i) => new DataView(b.buffer).setUint32(4 * i, v >>> 0, true));
    return b;
  };
  const diff = (from: Uint8Array | undefined, to: Uint8Array | undefined, seed: number) => {
    let s: number;
    if (from && to) s = csumSub(csumPartial(to, seed), csumPartial(from, 0));
    else if (to) s = csumPartial(to, seed);
    else if (from) s = ~csumPartial(from, ~seed >>> 0) >>> 0;
    else s = seed;
    return csumFold16(s);
  };
  assert.equal(diff(undefined, w(0x12345678, 0x9abcdef0), 0), 57945);
  assert.equal(diff(undefined, w(-1, -1), 0), 65535);
  assert.equal(diff(undefined, w(0, 0), 0), 0);
  assert.equal(diff(undefined, w(0, 0), -1), 65535);
  assert.equal(diff(undefined, w(1, 2), 0x10000), 4);
  assert.equal(diff(w(0x12345678, 0x9abcdef0), undefined, 0), 7590);
  assert.equal(diff(w(0x9abcdef0), w(0x12345678), 0), 61182);
  assert.equal(diff(w(0x12345678), w(0x12345678), 0), 65535);
  assert.equal(diff(w(0, 0), w(0, 0), 0), 65535);
  assert.equal(diff(w(0, 0), undefined, 0), 0);
  assert.equal(diff(undefined, undefined, 0x12345), 9030);
  // odd lengths: trailing bytes count as a zero-padded little-endian word
  const bytes = w(0x12345678, 0x9abcdef0);
  assert.deepEqual([1, 2, 3, 5, 6, 7].map((n) => diff(undefined, bytes.subarray(0, n), 0)), [120, 22136, 22188, 27036, 18333, 18521]);
  assert.deepEqual([1, 4, 7].map((n) => diff(undefined, bytes.subarray(1, 1 + n), 0)), [86, 9321, 57825]);
  assert.equal(csumAdd(0xffffffff, 1), 1);
  assert.equal(csumAdd(0, 0), 0);
});

test('csum_diff as a helper: sizes, NULL with size 0, and the result as r0', () => {
  const run = (asm: string) => testRun('xdp', asm, { data: ARP }).r0;
  const setup = '*(u32 *)(r10 - 8) = 0x12345678;*(u32 *)(r10 - 4) = 0x9abcdef0;';
  assert.equal(run(`${setup}r1 = 0;r2 = 0;r3 = r10;r3 += -8;r4 = 8;r5 = 0;call 28;exit`), 57945n);
  assert.equal(run(`${setup}r3 = r10;r3 += -8;r4 = 4;r1 = r10;r1 += -4;r2 = 4;r5 = 0;call 28;exit`), 61182n);
  assert.equal(run(`${setup}r1 = 0;r2 = 0;r3 = r10;r3 += -7;r4 = 7;r5 = 0;call 28;exit`), 57825n);
  assert.equal(run('r1 = 0;r2 = 0;r3 = 0;r4 = 0;r5 = 0x12345;call 28;exit'), 9030n);
  assert.throws(() => run('r1 = 0;r2 = 0;r3 = 0;r4 = 4;r5 = 0;call 28;exit'), errno('EFAULT', /invalid read/));
});

// ---------------------------------------------------------------- the Linux kernel as an oracle

const ORACLE = join(process.cwd(), '..', 'shared', 'tools', 'kernel-oracle.py');

/** Why the kernel oracle cannot run here, or undefined when it can. */
function oracleUnavailable(): string | undefined {
  if (!existsSync(ORACLE)) return `${ORACLE} not found`;
  try {
    const out = execFileSync('python3', [ORACLE, 'check'], { stdio: 'pipe', timeout: 60_000 }).toString();
    return /5 passed, 0 failed/.test(out) ? undefined : `kernel-oracle.py check: ${out.trim().split('\n').pop()}`;
  } catch (e) {
    return `kernel-oracle.py check failed (needs Linux and root): ${(e as Error).message.split('\n')[0]}`;
  }
}

interface Case {
  type: 'xdp' | 'socket_filter' | 'sched_cls';
  asm: string;
  data: Uint8Array;
  ctx?: Uint8Array;
  repeat?: number;
}

const CASES: Case[] = [
  { type: 'xdp', asm: 'r0 = 2;exit', data: ARP },
  { type: 'xdp', asm: XDP_DROP_UDP, data: UDP },
  { type: 'xdp', asm: XDP_DROP_UDP, data: TCP },
  { type: 'xdp', asm: XDP_DROP_UDP, data: UDP.subarray(0, 33) },
  { type: 'xdp', asm: 'r6 = r1;r2 = -4;call 44;r1 = r6;r2 = 6;call 65;r0 = 3;exit', data: TCP },
  { type: 'xdp', asm: 'r6 = r1;r2 = 14;call 44;r1 = r6;r2 = -10;call 65;r0 = r0;exit', data: TCP },
  { type: 'xdp', asm: 'r6 = r1;r2 = -217;call 44;exit', data: TCP },
  { type: 'xdp', asm: 'r6 = r1;r2 = -6;call 44;r0 = 2;exit', data: ARP, repeat: 4 },
  { type: 'xdp', asm: 'r6 = r1;r2 = -2;call 44;r2 = *(u32 *)(r6 + 0);r4 = *(u32 *)(r6 + 4);r3 = r2;r3 += 2;r0 = 1;if r3 > r4 goto +3;r3 = 0xabcd;*(u16 *)(r2 + 0) = r3;r0 = 2;exit', data: ARP },
  { type: 'xdp', asm: 'r6 = r1;r2 = -2;call 44;r0 = 2;exit', data: hex('a1a2a3a4' + toHex(ARP)), ctx: ctxBytes([[0, 4, 4], [4, 4, ARP.length + 4]], 24) },
  { type: 'xdp', asm: 'r2 = *(u32 *)(r1 + 8);r3 = *(u32 *)(r1 + 0);r4 = r2;r4 += 2;r0 = 0;if r4 > r3 goto +1;r0 = *(u8 *)(r2 + 1);exit', data: hex('a1a2a3a4' + toHex(ARP)), ctx: ctxBytes([[0, 4, 4], [4, 4, ARP.length + 4]], 24) },
  { type: 'xdp', asm: '*(u32 *)(r10 - 8) = 0x12345678;*(u32 *)(r10 - 4) = 0x9abcdef0;r1 = 0;r2 = 0;r3 = r10;r3 += -7;r4 = 7;r5 = 0x7fff;call 28;exit', data: ARP },
  { type: 'socket_filter', asm: 'r6 = r1;r0 = *(u8 *)skb[9];exit', data: IPV4 },
  { type: 'socket_filter', asm: 'r6 = r1;r0 = *(u16 *)skb[2];r1 = *(u32 *)(r6 + 0);r0 += r1;exit', data: IPV4 },
  { type: 'socket_filter', asm: 'r6 = r1;r0 = *(u32 *)skb[21];r0 = 9;exit', data: IPV4 },
  { type: 'socket_filter', asm: 'r0 = *(u32 *)(r1 + 4);exit', data: hex('010203040506' + toHex(IPV4.subarray(6))) },
  { type: 'socket_filter', asm: 'r0 = *(u32 *)(r1 + 16);exit', data: hex('000000000000 001122334455 05dc ffff0000') },
  { type: 'socket_filter', asm: '*(u64 *)(r10 - 8) = -1;r2 = 21;r3 = r10;r3 += -8;r4 = 4;call 26;r6 = r0;r0 = *(u32 *)(r10 - 8);r0 += r6;exit', data: IPV4 },
  { type: 'sched_cls', asm: 'r2 = *(u32 *)(r1 + 76);r3 = *(u32 *)(r1 + 80);r0 = r3;r0 -= r2;exit', data: IPV4 },
  { type: 'sched_cls', asm: '*(u32 *)(r10 - 8) = 0x44332211;r2 = 36;r3 = r10;r3 += -8;r4 = 2;r5 = 2;call 9;exit', data: IPV4 },
  { type: 'sched_cls', asm: 'r0 = *(u32 *)(r1 + 8);r2 = *(u32 *)(r1 + 160);r0 += r2;exit', data: IPV4, ctx: ctxBytes([[8, 4, 7], [160, 4, 1000]]) },
  { type: 'sched_cls', asm: 'r0 = 0;exit', data: IPV4.subarray(0, 33) },
  { type: 'sched_cls', asm: 'r0 = 0;exit', data: IPV4, ctx: ctxBytes([[0, 4, 1]]) },
];

/** What the kernel's BPF_PROG_TEST_RUN gives for a case: retval and data_out, or the errno name. */
function kernelRun(dir: string, c: Case, i: number): { retval?: number; dataOut?: string; error?: string } {
  const insns = assemble(c.asm.replace(/;/g, '\n')).map(({ code, dst, src, off, imm }) => ({ code, dst, src, off, imm }));
  const prog = join(dir, `p${i}.json`);
  writeFileSync(prog, JSON.stringify(insns));
  const args = [ORACLE, 'raw', prog, '--type', c.type, '--show-data-out', '--no-log', '--data-hex', toHex(c.data), '--repeat', String(c.repeat ?? 1)];
  if (c.ctx) {
    writeFileSync(join(dir, `c${i}.bin`), c.ctx);
    args.push('--ctx-in', join(dir, `c${i}.bin`));
  }
  const rec = JSON.parse(execFileSync('python3', args, { stdio: 'pipe' }).toString());
  assert.ok(rec.accepted, `case ${i}: the kernel refused the program: ${rec.error_line}`);
  const tr = rec.test_run;
  return tr.error ? { error: tr.error } : { retval: tr.retval, dataOut: tr.data_out_hex };
}

function tsbpfRun(c: Case): { retval?: number; dataOut?: string; error?: string } {
  try {
    const r = testRun(c.type, c.asm, { data: c.data, ctx: c.ctx, repeat: c.repeat });
    return { retval: r.retval, dataOut: toHex(r.dataOut) };
  } catch (e) {
    if (e instanceof BpfError) return { error: e.errno };
    throw e;
  }
}

test('differential: XDP, socket filter and tc test runs give the kernel\'s retval and data_out', (t) => {
  const why = oracleUnavailable();
  if (why) {
    console.log(`# kernel oracle unavailable, skipping: ${why}`);
    t.skip(why);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-oracle-'));
  try {
    CASES.forEach((c, i) => {
      const kernel = kernelRun(dir, c, i);
      assert.deepEqual(tsbpfRun(c), kernel, `case ${i} (${c.type}: ${c.asm.trim().split('\n')[0]})`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
