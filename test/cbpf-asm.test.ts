import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { assembleBpfAsm, assembleClassic, classicTextForm, parseClassicArray, parseClassicDecimal } from '../src/cbpf/asm.js';
import { disassembleClassic, formatBpfAsm, formatClassicC, formatClassicCommas, formatClassicDecimal, imageLine } from '../src/cbpf/disasm.js';
import { canonicalInsn, isClassicOpcode } from '../src/cbpf/check.js';
import { SockFilter, sockFilter } from '../src/cbpf/instruction.js';
import * as c from '../src/cbpf/opcodes.js';
import { BpfError } from '../src/errno.js';
import { classicProgram } from './cbpf-gen.js';

/**
 * The text forms of classic programs against the real tools: tcpdump's
 * -d, -dd and -ddd output for many filter expressions (read back to the
 * same instructions, and printed back byte for byte), libpcap's bpf_image
 * for every opcode (through test/cbpf-oracle.py), and Linux's bpf_asm
 * syntax (labels, ancillary names, comments).
 */

const einval = (pattern: RegExp) => (e: unknown) => e instanceof BpfError && e.errno === 'EINVAL' && pattern.test(e.message);
const ins = (code: number, k = 0, jt = 0, jf = 0): SockFilter => sockFilter(code, jt, jf, k);

function tcpdump(flag: string, expr: string): string | undefined {
  const r = spawnSync('tcpdump', ['-y', 'EN10MB', flag, expr], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : undefined;
}

const TCPDUMP = spawnSync('tcpdump', ['--version'], { encoding: 'utf8' }).status === 0 ? undefined : 'tcpdump is not installed';
if (TCPDUMP) console.log(`# tcpdump comparisons skipped: ${TCPDUMP}`);

/** Filter expressions that exercise every construct tcpdump's compiler emits for Ethernet. */
const EXPRESSIONS = [
  'ip', 'ip6', 'arp', 'rarp', 'tcp', 'udp', 'icmp', 'icmp6', 'igmp', 'sctp', 'vlan', 'vlan 100', 'vlan and ip', 'mpls', 'pppoes',
  'host 10.0.0.1', 'src host 192.168.1.1', 'dst net 10.0.0.0/8', 'net 172.16.0.0 mask 255.240.0.0', 'ether host 01:02:03:04:05:06',
  'ether src 00:11:22:33:44:55', 'ether broadcast', 'ether multicast', 'ip broadcast', 'ip multicast', 'port 53', 'tcp port 80',
  'udp dst port 67', 'portrange 1000-2000', 'tcp src portrange 1-1023', 'tcp port 80 and host 10.0.0.1', 'not tcp', 'ip and not udp',
  'tcp or udp or icmp', '(tcp or udp) and port 53', 'tcp[tcpflags] & (tcp-syn|tcp-ack) != 0', 'tcp[13] & 2 != 0', 'ip[2:2] > 576',
  'ip[6:2] & 0x1fff = 0', 'ip[8] < 64', 'udp[8:4] = 0xdeadbeef', 'ether[0] & 1 = 1', 'less 100', 'greater 1000', 'len = 60',
  'ip proto 47', 'ip6 proto 58', 'proto \\tcp', 'icmp[icmptype] = icmp-echo', 'ip host 10.0.0.1 or ip6', 'ip6 host ::1',
  'ip6 net 2001:db8::/32', 'tcp dst port 443 and (ip6 or ip)', 'ether proto 0x88cc', 'ip[0] & 0xf != 5', 'tcp[12:1] > 0x50',
  'ip[1] * 4 + 8 = 64', 'ip[2:2] - 20 >= 100', 'ip[2:2] / 4 = 10', 'ip[3] % 3 = 1', 'ip[4:2] << 1 = 2', 'ip[4:2] >> 2 = 1',
  'ip[1] ^ 0xff = 0', 'ip[1] | 1 = 1', 'len - 14 > 100', 'tcp[(tcp[12]>>4)*4:4] = 0x47455420',
  'ip[2:2] + ip[4:2] = 10', 'ip[1] + ip[2] > ip[3]', 'ip[1] - ip[2] = ip[3] * 2', 'tcp[0:2] = tcp[2:2]', 'ip[0] & 0xf = ip[1] & 0xf',
];

test('tcpdump -d: read back to the -dd instructions and printed back exactly', { skip: TCPDUMP }, () => {
  let opcodes = new Set<number>();
  for (const expr of EXPRESSIONS) {
    const d = tcpdump('-d', expr);
    const dd = tcpdump('-dd', expr);
    const ddd = tcpdump('-ddd', expr);
    assert.ok(d && dd && ddd, `tcpdump compiles ${expr}`);
    const prog = parseClassicArray(dd);
    // the listing shows the fields each opcode uses (tcpdump leaves a k in some `tax`)
    assert.deepEqual(assembleClassic(d), prog.map(canonicalInsn), `-d of ${expr}`);
    assert.deepEqual(assembleClassic(ddd), prog, `-ddd of ${expr}`);
    assert.equal(disassembleClassic(prog), d, `disassembly of ${expr}`);
    assert.equal(formatClassicC(prog), dd, `-dd of ${expr}`);
    assert.equal(formatClassicDecimal(prog), ddd, `-ddd of ${expr}`);
    // and bpf_asm's form goes round too
    assert.deepEqual(assembleClassic(formatBpfAsm(prog)), prog.map(canonicalInsn), `bpf_asm form of ${expr}`);
    opcodes = new Set([...opcodes, ...prog.map((f) => f.code)]);
  }
  // the expressions reach the ALU with constants and X, indirect loads, MSH, scratch memory, X comparisons and ld len
  for (const code of [0x04, 0x14, 0x24, 0x34, 0x54, 0x64, 0x74, 0x94, 0xa4, 0x0c, 0x1c, 0x48, 0x50, 0xb1, 0x80, 0x02, 0x60, 0x07, 0x1d, 0x2d]) {
    assert.ok(opcodes.has(code), `opcode 0x${code.toString(16)} reached`);
  }
});

test('tcpdump -i lo -d: Linux ancillary loads (vlan tags on packet sockets) read back and print as tcpdump prints them', { skip: TCPDUMP ?? (process.getuid?.() !== 0 ? 'needs root to open lo' : undefined) }, () => {
  const r = spawnSync('tcpdump', ['-i', 'lo', '-d', 'vlan 100 and ip'], { encoding: 'utf8' });
  const dd = spawnSync('tcpdump', ['-i', 'lo', '-dd', 'vlan 100 and ip'], { encoding: 'utf8' });
  if (r.status !== 0) return;
  assert.match(r.stdout, /\[vlanp\]/);
  const prog = assembleClassic(r.stdout);
  assert.deepEqual(prog, parseClassicArray(dd.stdout));
  assert.ok(prog.some((f) => f.k === ((c.SKF_AD_OFF + c.SKF_AD_VLAN_TAG_PRESENT) >>> 0)));
  assert.equal(disassembleClassic(prog), r.stdout);
});

// ---------------------------------------------------------------- libpcap's bpf_image

const ORACLE = path.resolve(process.cwd(), 'test/cbpf-oracle.py');

function pcapImage(progs: SockFilter[][]): string[][] | undefined {
  const r = spawnSync('python3', [ORACLE, 'pcap-image'], { input: JSON.stringify(progs.map((p) => p.map((f) => [f.code, f.jt, f.jf, f.k]))), encoding: 'utf8', maxBuffer: 64 << 20 });
  return r.status === 0 ? (JSON.parse(r.stdout) as string[][]) : undefined;
}

const LIBPCAP = pcapImage([[ins(6)]]) ? undefined : 'python3 cannot load libpcap.so.0.8 (bpf_image)';
if (LIBPCAP) console.log(`# libpcap comparisons skipped: ${LIBPCAP}`);

test('disassembler: every opcode 0..0x1ff, with k values at every edge, prints as libpcap\'s bpf_image', { skip: LIBPCAP }, () => {
  const ks = [0, 1, 9, 10, 0x7fffffff, 0x80000000, 0xffffffff, (c.SKF_AD_OFF + c.SKF_AD_PROTOCOL) >>> 0, (c.SKF_AD_OFF + c.SKF_AD_RANDOM) >>> 0, (c.SKF_AD_OFF + 64) >>> 0, c.SKF_NET_OFF >>> 0];
  // one program per k, one instruction per opcode; its index shows in the line and in ja / jt / jf targets
  const progs = ks.map((k) => Array.from({ length: 0x200 }, (_, code) => ins(code, k, (code * 7) & 0xff, (code * 13) & 0xff)));
  const want = pcapImage(progs)!;
  progs.forEach((p, i) => assert.deepEqual(p.map((f, n) => imageLine(f, n)), want[i]));
});

test('property: random instructions at random indices print as bpf_image, and tcpdump -d text reads back', { skip: LIBPCAP }, () => {
  const filter = fc.record({ code: fc.oneof(fc.nat({ max: 0xb1 }), fc.nat({ max: 0xffff })), jt: fc.nat({ max: 255 }), jf: fc.nat({ max: 255 }), k: fc.nat({ max: 0xffffffff }) }).map((f) => ({ ...f }));
  const progs = fc.sample(fc.array(filter, { minLength: 1, maxLength: 1500 }), { numRuns: 20, seed: 3 });
  const want = pcapImage(progs)!;
  progs.forEach((p, i) => {
    const text = disassembleClassic(p);
    assert.equal(text, want[i]!.map((l) => `${l}\n`).join(''));
    // what the listing shows comes back: the used fields, and only the opcode of an `unimp`
    const targets = (f: SockFilter) => (f.code & 7) === c.BPF_JMP && (f.code & 0xf0) !== c.BPF_JA;
    const shown = p.map((f) => (isClassicOpcode(f.code) ? canonicalInsn(f) : targets(f) ? ins(f.code, 0, f.jt, f.jf) : ins(f.code)));
    assert.deepEqual(assembleClassic(text), shown);
  });
});

test('property: the -d listing of a valid program reads back to the program', () => {
  fc.assert(
    fc.property(classicProgram({ ancillary: [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60], negative: 'all', maxBody: 60 }), (p) => {
      assert.deepEqual(assembleClassic(disassembleClassic(p)), p);
      assert.deepEqual(assembleClassic(formatBpfAsm(p)), p);
      assert.deepEqual(assembleClassic(formatClassicC(p)), p);
      assert.deepEqual(assembleClassic(formatClassicDecimal(p)), p);
      assert.deepEqual(assembleClassic(formatClassicCommas(p)), p);
    }),
    { numRuns: 200 },
  );
});

// ---------------------------------------------------------------- bpf_asm syntax

test('bpf_asm: the example of Linux\'s filter documentation (ARP, labels, jne)', () => {
  const prog = assembleClassic(`
    ldh [12]
    jne #0x806, drop
    ret #-1
    drop: ret #0
  `);
  // jne #k, L is jeq #k with L on the false side: jt 0 (fall through to ret #-1), jf 1 (skip to drop); #-1 is 2^32-1
  assert.equal(formatClassicCommas(prog), '4,40 0 0 12,21 0 1 2054,6 0 0 4294967295,6 0 0 0\n');
  // the comma form (xt_bpf's --bytecode) reads back, with or without a trailing comma
  assert.deepEqual(assembleClassic('4,40 0 0 12,21 0 1 2054,6 0 0 4294967295,6 0 0 0,'), prog);
});

test('bpf_asm: ancillary loads by name, with or without #, in both bpf_asm and tcpdump spellings', () => {
  const prog = assembleClassic('ld #proto\nld type\nldh #ifidx\nldb [vlanp]\nld vlan_avail\nld rand\nld [random]\nld #len\nldx len\nld #pktlen\nld poff\nret a');
  const ad = (off: number) => (c.SKF_AD_OFF + off) >>> 0;
  assert.deepEqual(prog, [
    ins(0x20, ad(c.SKF_AD_PROTOCOL)), ins(0x20, ad(c.SKF_AD_PKTTYPE)), ins(0x28, ad(c.SKF_AD_IFINDEX)), ins(0x30, ad(c.SKF_AD_VLAN_TAG_PRESENT)),
    ins(0x20, ad(c.SKF_AD_VLAN_TAG_PRESENT)), ins(0x20, ad(c.SKF_AD_RANDOM)), ins(0x20, ad(c.SKF_AD_RANDOM)), ins(0x80), ins(0x81), ins(0x80),
    ins(0x20, ad(c.SKF_AD_PAY_OFFSET)), ins(0x16),
  ]);
  assert.equal(formatBpfAsm(prog.slice(0, 3)), 'ld #proto\nld #type\nldh #ifidx\n');
});

test('bpf_asm: every operand form, numbers in every base, x/%x and a/%a, ldi/ldxi, jmp', () => {
  const prog = assembleClassic(`
    ldi #0x10          ; hex
    ldxi #010          // octal
    ld [x + 0b101]     /* binary */
    ldh [%x+4]
    ldx 4*([14]&0xf)
    ldxb 4 * ( [ 15 ] & 0xf )
    st M[15]
    add %x
    sub #-1
    # a comment line
    ld M[15]
    jmp done
    done: ret %a
  `);
  assert.deepEqual(prog, [
    ins(0x00, 16), ins(0x01, 8), ins(0x40, 5), ins(0x48, 4), ins(0xb1, 14), ins(0xb1, 15), ins(0x02, 15), ins(0x0c), ins(0x14, 0xffffffff),
    ins(0x60, 15), ins(0x05, 0), ins(0x16),
  ]);
});

test('bpf_asm: conditional jumps with one or two labels, inverted jumps, and numeric (absolute) targets', () => {
  const prog = assembleClassic(`
    jeq #1, a, b
    jgt x, a
    jne #2, b
    jlt #3, a
    jle x, b
    jset #4, a, b
    a: jge #5 jt 7 jf 8
    b: ret #0
    ret #1
  `);
  assert.deepEqual(prog, [
    ins(0x15, 1, 5, 6), ins(0x2d, 0, 4, 0), ins(0x15, 2, 0, 4), ins(0x35, 3, 0, 2), ins(0x2d, 0, 0, 2), ins(0x45, 4, 0, 1),
    ins(0x35, 5, 0, 1), ins(0x06, 0), ins(0x06, 1),
  ]);
});

test('assembler errors name the line and what is wrong', () => {
  assert.throws(() => assembleBpfAsm('ld #1\nfoo x\nret a'), einval(/^line 2: unknown instruction 'foo': foo x$/));
  assert.throws(() => assembleBpfAsm('ldh #5\nret a'), einval(/^line 1: 'ldh' does not take the operand '#5' \(it takes: anc, abs, ind\)/));
  assert.throws(() => assembleBpfAsm('jeq #1, nowhere\nret a'), einval(/^line 1: undefined label 'nowhere'/));
  assert.throws(() => assembleBpfAsm('back: ld #1\njeq #1, back\nret a'), einval(/^line 2: jump to back \(instruction 0\) goes backward/));
  assert.throws(() => assembleBpfAsm(`jeq #1, far\n${'ld #1\n'.repeat(256)}far: ret a`), einval(/^line 1: jump to far is 256 instructions ahead; jt holds at most 255/));
  assert.throws(() => assembleBpfAsm('x: ld #1\nx: ret a'), einval(/^line 2: label 'x' is defined twice/));
  assert.throws(() => assembleBpfAsm('ld #0x100000000\nret a'), einval(/^line 1: #0x100000000 is not a 32-bit number/));
  assert.throws(() => assembleBpfAsm('(001) ret #0'), einval(/^line 1: listed as instruction 001 but it is instruction 0/));
  assert.throws(() => assembleBpfAsm('; nothing'), einval(/^no instructions$/));
  assert.throws(() => parseClassicArray('{ 0x28, 0, 0 },'), einval(/^line 1: expected \{ code, jt, jf, k \} with four numbers/));
  assert.throws(() => parseClassicArray('{ 0x28, 0, 0x100, 0 },'), einval(/jf 256 do not fit 8 bits/));
  assert.throws(() => parseClassicDecimal('3\n6 0 0 0\n'), einval(/says 3 instructions, but 4 numbers follow/));
});

test('the text form is told from the text: C array, decimal, or assembler', () => {
  assert.equal(classicTextForm('struct sock_filter code[] = {\n{ 0x6, 0, 0, 0x00000000 },\n};'), 'c-array');
  assert.equal(classicTextForm('1\n6 0 0 0\n'), 'decimal');
  assert.equal(classicTextForm('1,6 0 0 0'), 'decimal');
  assert.equal(classicTextForm('ret #0'), 'asm');
  assert.equal(classicTextForm('(000) ret      #0'), 'asm');
  // braces or numbers in comments do not count
  assert.equal(classicTextForm('; like { 0x6, 0, 0, 0 }\nret #0'), 'asm');
  assert.equal(classicTextForm('#include <linux/filter.h>\n{ 0x6, 0, 0, 0 },'), 'c-array');
  // a whole C declaration, with a comment and macros-free body
  assert.deepEqual(assembleClassic('/* ret 0 */ struct sock_filter f[] = { { 0x6, 0, 0, 0x00000000 }, { 6, 0, 0, 65535U } };'), [ins(6, 0), ins(6, 65535)]);
  // unimp lines of tcpdump -d (opcodes libpcap does not know) keep their opcode
  assert.deepEqual(assembleClassic('(000) unimp    0x81\n(001) ret      #0'), [ins(0x81), ins(6)]);
});

test('bpf_asm output: labels only where jumps land, refused for opcodes Linux does not know', () => {
  const prog = [ins(0x28, 12), ins(0x15, 0x800, 0, 1), ins(0x06, 0xffff), ins(0x06, 0)];
  assert.equal(formatBpfAsm(prog), 'ldh [12]\njeq #0x800, L2, L3\nL2: ret #0xffff\nL3: ret #0\n');
  assert.throws(() => formatBpfAsm([ins(0x0e), ins(6)]), einval(/^insn 0: opcode 0xe has no bpf_asm syntax/));
});
