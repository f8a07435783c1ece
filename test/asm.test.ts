import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { assemble } from '../src/isa/asm.js';
import { BpfError } from '../src/errno.js';
import { Insn, insn, toWord } from '../src/isa/instruction.js';

const CONFORMANCE = resolve(process.cwd(), '../shared/conformance');

// ───────────── a tiny reader of the conformance .data format (README "File format") ─────────────

interface DataFile {
  path: string;
  /** section name → body text (an `@ file` include already resolved) */
  sections: Map<string, string>;
}

function readData(path: string): DataFile {
  const sections = new Map<string, string>();
  const bodies = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const header = /^\s*--\s*(.*?)\s*(?:@\s*(\S+))?\s*$/.exec(line);
    if (!header) {
      current?.push(line);
      continue;
    }
    const [, name = '', include] = header;
    current = include ? undefined : [];
    if (current) bodies.set(name, current);
    else sections.set(name, readFileSync(join(dirname(path), include!), 'utf8'));
  }
  for (const [name, body] of bodies) sections.set(name, body.join('\n'));
  return { path, sections };
}

/** Raw words: one 64-bit number per line, or 8 hex bytes in memory order. */
function rawWords(body: string): bigint[] {
  const words: bigint[] = [];
  for (const line of body.split('\n')) {
    const t = line.replace(/#.*/, '').trim();
    if (t === '') continue;
    const bytes = t.split(/\s+/);
    if (bytes.length === 8) {
      words.push(bytes.reduceRight((acc, b) => (acc << 8n) | BigInt(`0x${b}`), 0n));
    } else {
      words.push(BigInt(t));
    }
  }
  return words;
}

function dataFiles(dir: string, recursive: boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (recursive) out.push(...dataFiles(p, true));
    } else if (name.endsWith('.data')) {
      out.push(p);
    }
  }
  return out;
}

const conformance = dataFiles(join(CONFORMANCE, 'bpf_conformance'), false).map(readData);
const ubpf = dataFiles(join(CONFORMANCE, 'ubpf'), true).map(readData);
const negative = dataFiles(join(CONFORMANCE, 'bpf_conformance/negative'), false).map(readData);
const rel = (f: DataFile): string => relative(CONFORMANCE, f.path);

/** A BpfError EINVAL whose message is `line N: <why>: <line text>`. */
function lineError(n: number, text: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof BpfError, `expected a BpfError, got ${String(e)}`);
    assert.equal(e.errno, 'EINVAL');
    assert.ok(e.message.startsWith(`line ${n}: `), e.message);
    assert.ok(e.message.endsWith(`: ${text.trim()}`), e.message);
    return true;
  };
}

// ───────────────────────────── conformance vectors ─────────────────────────────

test('the conformance data is where the tests expect it', () => {
  assert.equal(conformance.length, 313);
  assert.equal(negative.length, 60);
  assert.equal(ubpf.length, 77);
});

test('every -- asm section that has a -- raw section assembles to exactly the raw words', () => {
  const both = [...conformance, ...ubpf].filter((f) => f.sections.has('asm') && f.sections.has('raw'));
  assert.equal(both.length, 7); // lddw, and uBPF's alu, alu64, jmp, ldx, st, stx
  for (const f of both) {
    const got = assemble(f.sections.get('asm')!).map(toWord);
    assert.deepEqual(got, rawWords(f.sections.get('raw')!), rel(f));
  }
});

test('every bpf_conformance/*.data program assembles', () => {
  for (const f of conformance) {
    const asm = f.sections.get('asm');
    assert.ok(asm !== undefined, `${rel(f)} has no asm`);
    assert.ok(assemble(asm).length > 0, rel(f));
  }
});

test('every ubpf program assembles, except the two that use r11', () => {
  const bad = new Set(['errors/err-invalid-reg-dst.data', 'errors/err-invalid-reg-src.data']);
  for (const f of ubpf) {
    const asm = f.sections.get('asm');
    if (asm === undefined) continue;
    const name = relative(join(CONFORMANCE, 'ubpf'), f.path);
    if (bad.has(name)) assert.throws(() => assemble(asm), lineError(1, asm.split('\n')[0]!), name);
    else assert.ok(assemble(asm).length > 0, name);
  }
});

test('lddw and the includes (-- asm @ file) are counted in slots', () => {
  const lddw = conformance.find((f) => basename(f.path) === 'lddw.data')!;
  assert.equal(assemble(lddw.sections.get('asm')!).length, 3);
  const tcp = ubpf.find((f) => f.path.endsWith('tcp-port-80/match.data'))!;
  assert.equal(assemble(tcp.sections.get('asm')!).length, 19);
});

/** The negative assembler cases of the README, with the line that must be named. */
const NEGATIVE: Record<string, string> = {
  'invalid_mnemonic.data': 'ldxq %r0, %r1',
  'invalid_offset.data': 'ldxb %r0, %r1',
  'invalid_operand_count.data': 'lddw %r0',
  'invalid_lock2.data': 'lock',
  'invalid_lock.data': 'lock or [%r10-8]',
  'invalid_register.data': 'or %r0, %r50',
  'invalid_imm32_dec_range.data': 'mov32 %r0, 2147483648',
  'invalid_imm32_hex_range.data': 'mov32 %r0, 0x100000000',
  'invalid_offset_range.data': 'ldxb %r0, [%r1+0x10000]',
  'invalid_label.data': 'ja NOT_A_LABEL',
};

test('the negative assembler cases are rejected with the line named', () => {
  const rejected: string[] = [];
  for (const f of negative) {
    const asm = f.sections.get('asm');
    if (asm === undefined) continue;
    const bad = NEGATIVE[basename(f.path)];
    if (bad === undefined) {
      assemble(asm); // error.data, incorrect_return_value_high_bits.data, invalid_unknown_directive.data
      continue;
    }
    const n = asm.split('\n').findIndex((l) => l.trim() === bad) + 1;
    assert.ok(n > 0, `${bad} not found in ${rel(f)}`);
    assert.throws(() => assemble(asm), lineError(n, bad), rel(f));
    rejected.push(basename(f.path));
  }
  assert.deepEqual(rejected.sort(), Object.keys(NEGATIVE).sort());
});

test('negative cases say what is wrong', () => {
  const why = (text: string): string => {
    try {
      assemble(text);
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  assert.match(why('ldxq %r0, %r1'), /unknown mnemonic 'ldxq'/);
  assert.match(why('ldxb %r0, %r1'), /memory operand/);
  assert.match(why('lddw %r0'), /2 operands/);
  assert.match(why('lock'), /lock/);
  assert.match(why('lock or [%r10-8]'), /2 operands/);
  assert.match(why('or %r0, %r50'), /invalid register %r50/);
  assert.match(why('mov32 %r0, 2147483648'), /32-bit range/);
  assert.match(why('mov32 %r0, 0x100000000'), /32-bit range/);
  assert.match(why('ldxb %r0, [%r1+0x10000]'), /16-bit range/);
  assert.match(why('exit\nja NOT_A_LABEL'), /^line 2: undefined label 'NOT_A_LABEL'/);
});

// ───────────────────────────── the conformance syntax ─────────────────────────────

const I = insn;
const asm1 = (text: string): Insn[] => assemble(text);

test('conformance syntax: one instruction of each family', () => {
  const cases: [string, Insn[]][] = [
    ['mov %r0, 1', [I(0xb7, 0, 0, 0, 1)]],
    ['mov32 %r0, -1', [I(0xb4, 0, 0, 0, -1)]],
    ['add32 %r0, %r1', [I(0x0c, 0, 1)]],
    ['sdiv %r2, %r3', [I(0x3f, 2, 3, 1)]],
    ['smod32 %r0, -4', [I(0x94, 0, 0, 1, -4)]],
    ['and %r9, 0xffffffff', [I(0x57, 9, 0, 0, -1)]],
    ['neg %r1', [I(0x87, 1)]],
    ['movsx1664 %r8, %r7', [I(0xbf, 8, 7, 16)]],
    ['movsx832 %r2, %r1', [I(0xbc, 2, 1, 8)]],
    ['le64 %r1', [I(0xd4, 1, 0, 0, 64)]],
    ['be16 %r0', [I(0xdc, 0, 0, 0, 16)]],
    ['swap32 %r0', [I(0xd7, 0, 0, 0, 32)]],
    ['ldxdw %r0, [%r1]', [I(0x79, 0, 1)]],
    ['ldxsh %r0, [%r10-2]', [I(0x89, 0, 10, -2)]],
    ['stxb [%r10-1], %r3', [I(0x73, 10, 3, -1)]],
    ['stdw [%r1+8], -1', [I(0x7a, 1, 0, 8, -1)]],
    ['lddw %r1, -1', [I(0x18, 1, 0, 0, -1), I(0, 0, 0, 0, -1)]],
    ['lddw %r1, 18446744073709551615', [I(0x18, 1, 0, 0, -1), I(0, 0, 0, 0, -1)]],
    ['jsge %r1, 0xffffffff, +0', [I(0x75, 1, 0, 0, -1)]],
    ['jslt32 %r1, %r3, -1', [I(0xce, 1, 3, -1)]],
    ['ja -32768', [I(0x05, 0, 0, -32768)]],
    ['call 0x4', [I(0x85, 0, 0, 0, 4)]],
    ['call %r2', [I(0x8d, 2)]],
    ['exit', [I(0x95)]],
    ['lock add32 [%r10-4], %r1', [I(0xc3, 10, 1, -4, 0x00)]],
    ['lock fetch xor [%r10-8], %r3', [I(0xdb, 10, 3, -8, 0xa1)]],
    ['lock xchg [%r10-8], %r1', [I(0xdb, 10, 1, -8, 0xe1)]],
    ['lock cmpxchg32 [%r10-8], %r1', [I(0xc3, 10, 1, -8, 0xf1)]],
    ['ldabsh 12', [I(0x28, 0, 0, 0, 12)]],
    ['ldindb %r3, -4', [I(0x50, 0, 3, 0, -4)]],
  ];
  for (const [text, want] of cases) assert.deepEqual(asm1(text), want, text);
});

test('labels count lddw as two slots; call local and ja32 put the distance in imm', () => {
  const p = assemble(['ja L', 'lddw %r0, 1', 'L:', 'ja32 L', 'call local f', 'exit', 'f:', 'exit'].join('\n'));
  assert.deepEqual(p, [
    I(0x05, 0, 0, 2), I(0x18, 0, 0, 0, 1), I(0, 0, 0, 0, 0),
    I(0x06, 0, 0, 0, -1), I(0x85, 0, 1, 0, 1), I(0x95), I(0x95),
  ]);
});

test('the implicit label exit is the first exit, unless exit is defined', () => {
  assert.deepEqual(assemble('jne %r0, 0, exit\nexit\nexit'), [I(0x55, 0, 0, 0), I(0x95), I(0x95)]);
  assert.deepEqual(assemble('jne %r0, 0, exit\nexit\nexit:\nexit'), [I(0x55, 0, 0, 1), I(0x95), I(0x95)]);
  assert.throws(() => assemble('ja exit\nmov %r0, 0'), lineError(1, 'ja exit'));
});

test('comments, blank lines and labels before an instruction', () => {
  const p = assemble('# comment\n\n  start: mov %r0, 1 # trailing\n; kernel-style\n// C-style\nja start // back\n');
  assert.deepEqual(p, [I(0xb7, 0, 0, 0, 1), I(0x05, 0, 0, -2)]);
});

test('range rules for immediates, offsets and registers', () => {
  assert.deepEqual(asm1('mov %r0, -2147483648'), [I(0xb7, 0, 0, 0, -2147483648)]);
  assert.deepEqual(asm1('mov %r0, 0x80000000'), [I(0xb7, 0, 0, 0, -2147483648)]);
  assert.deepEqual(asm1('ldxw %r1, [%r2+32767]'), [I(0x61, 1, 2, 32767)]);
  assert.deepEqual(asm1('ldxw %r1, [%r2-32768]'), [I(0x61, 1, 2, -32768)]);
  assert.deepEqual(asm1('lddw %r0, -9223372036854775808'), [I(0x18), I(0, 0, 0, 0, -2147483648)]);
  for (const bad of [
    'mov %r0, -2147483649', 'mov %r0, 4294967295', 'ldxw %r1, [%r2+32768]', 'ldxw %r1, [%r2-32769]',
    'stw [%r1+0xffff], 1', 'lddw %r0, 0x10000000000000000', 'lddw %r0, -9223372036854775809',
    'mov %r11, 1', 'mov %r0, %r11', 'ja +32768', 'jeq %r1, 1, -32769', 'mov %r0', 'add %r0, 1, 2',
    'ldxsdw %r0, [%r1]', 'lock fetch xchg [%r1], %r2', 'call %r16', 'ja', 'jeq %r1, 1',
  ]) {
    assert.throws(() => assemble(`exit\n${bad}`), lineError(2, bad), bad);
  }
});

test('a label defined twice is an error on its second line', () => {
  assert.throws(() => assemble('a:\nexit\na:\nexit'), lineError(3, 'a:'));
});

// ───────────────────────────── the llvm-objdump / verifier-log syntax ─────────────────────────────

test('llvm syntax: one instruction of each family', () => {
  const cases: [string, Insn[]][] = [
    ['r0 = 1', [I(0xb7, 0, 0, 0, 1)]],
    ['w0 = -1', [I(0xb4, 0, 0, 0, -1)]],
    ['r0 = r1', [I(0xbf, 0, 1)]],
    ['r2 s/= r3', [I(0x3f, 2, 3, 1)]],
    ['w2 s%= 7', [I(0x94, 2, 0, 1, 7)]],
    ['r1 s>>= 3', [I(0xc7, 1, 0, 0, 3)]],
    ['w1 <<= w2', [I(0x6c, 1, 2)]],
    ['r0 = -r0', [I(0x87)]],
    ['w3 = -w3', [I(0x84, 3)]],
    ['r0 = (s32)r1', [I(0xbf, 0, 1, 32)]],
    ['w0 = (s16)w1', [I(0xbc, 0, 1, 16)]],
    ['r0 = addr_space_cast(r1, 0, 1)', [I(0xbf, 0, 1, 1, 1)]],
    ['r0 = addr_space_cast(r1, 1, 0)', [I(0xbf, 0, 1, 1, 0x10000)]],
    ['r0 = be16 r0', [I(0xdc, 0, 0, 0, 16)]],
    ['r5 = bswap64 r5', [I(0xd7, 5, 0, 0, 64)]],
    ['goto -3', [I(0x05, 0, 0, -3)]],
    ['gotol +70000', [I(0x06, 0, 0, 0, 70000)]],
    ['may_goto +3', [I(0xe5, 0, 0, 3)]],
    ['if r1 > 0x5 goto +2', [I(0x25, 1, 0, 2, 5)]],
    ['if r1 s< r2 goto -1', [I(0xcd, 1, 2, -1)]],
    ['if w1 & 0x8 goto +1', [I(0x46, 1, 0, 1, 8)]],
    ['if w1 == 0xffffffff goto +0', [I(0x16, 1, 0, 0, -1)]],
    ['call 1', [I(0x85, 0, 0, 0, 1)]],
    ['call pc+3', [I(0x85, 0, 1, 0, 3)]],
    ['call kfunc 1234', [I(0x85, 0, 2, 0, 1234)]],
    ['call kfunc 1234, 2', [I(0x85, 0, 2, 2, 1234)]],
    ['callx r2', [I(0x8d, 2)]],
    ['r0 = *(u32 *)(r1 + 4)', [I(0x61, 0, 1, 4)]],
    ['r0 = *(s16 *)(r1 - 2)', [I(0x89, 0, 1, -2)]],
    ['*(u64 *)(r10 - 8) = r1', [I(0x7b, 10, 1, -8)]],
    ['*(u8 *)(r10 - 1) = 255', [I(0x72, 10, 0, -1, 255)]],
    ['r0 = *(u8 *)skb[23]', [I(0x30, 0, 0, 0, 23)]],
    ['r0 = *(u16 *)skb[r3 + 4]', [I(0x48, 0, 3, 0, 4)]],
    ['lock *(u64 *)(r1 + 0) += r2', [I(0xdb, 1, 2, 0, 0x00)]],
    ['lock *(u32 *)(r1 + 0) |= w2', [I(0xc3, 1, 2, 0, 0x40)]],
    ['r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)', [I(0xdb, 1, 2, 0, 0x01)]],
    ['w2 = atomic_fetch_or((u32 *)(r1 + 0), w2)', [I(0xc3, 1, 2, 0, 0x41)]],
    ['r2 = xchg_64(r1 + 0, r2)', [I(0xdb, 1, 2, 0, 0xe1)]],
    ['w2 = xchg32_32(r1 + 0, w2)', [I(0xc3, 1, 2, 0, 0xe1)]],
    ['r0 = cmpxchg_64(r1 + 0, r0, r2)', [I(0xdb, 1, 2, 0, 0xf1)]],
    ['w0 = cmpxchg32_32(r1 + 0, w0, w2)', [I(0xc3, 1, 2, 0, 0xf1)]],
    ['r0 = load_acquire((u64 *)(r1 + 0))', [I(0xdb, 0, 1, 0, 0x100)]],
    ['w0 = load_acquire((u8 *)(r1 + 0))', [I(0xd3, 0, 1, 0, 0x100)]],
    ['store_release((u64 *)(r1 + 0), r2)', [I(0xdb, 1, 2, 0, 0x110)]],
    ['store_release((u16 *)(r1 - 6), w2)', [I(0xcb, 1, 2, -6, 0x110)]],
    ['r1 = 0x1122334455667788 ll', [I(0x18, 1, 0, 0, 0x55667788), I(0, 0, 0, 0, 0x11223344)]],
    ['r1 = map[fd:5] ll', [I(0x18, 1, 1, 0, 5), I(0)]],
    ['r1 = map[fd:5][0]+16 ll', [I(0x18, 1, 2, 0, 5), I(0, 0, 0, 0, 16)]],
    ['r1 = btf_id[1234] ll', [I(0x18, 1, 3, 0, 1234), I(0)]],
    ['r1 = btf_id[1234, fd:7] ll', [I(0x18, 1, 3, 0, 1234), I(0, 0, 0, 0, 7)]],
    ['r1 = func[pc+3] ll', [I(0x18, 1, 4, 0, 3), I(0)]],
    ['r1 = map[idx:2] ll', [I(0x18, 1, 5, 0, 2), I(0)]],
    ['r1 = map[idx:2][0]+16 ll', [I(0x18, 1, 6, 0, 2), I(0, 0, 0, 0, 16)]],
    ['.insn 0x0000000000000006', [I(0x06)]],
    ['.insn 0x5566778800001118', [I(0x18, 1, 1, 0, 0x55667788)]],
  ];
  for (const [text, want] of cases) assert.deepEqual(asm1(text), want, text);
});

test('kernel log and llvm-objdump variants', () => {
  const cases: [string, Insn[]][] = [
    ['r0 = *(u32 *)(r1 +0)', [I(0x61, 0, 1, 0)]],
    ['*(u64 *)(r10 -8) = r1', [I(0x7b, 10, 1, -8)]],
    ['r0 = *(u32 *)(r10 - 0x4)', [I(0x61, 0, 10, -4)]],
    ['r0 = *(u32 *)(r1)', [I(0x61, 0, 1, 0)]],
    ['goto pc+3', [I(0x05, 0, 0, 3)]],
    ['if r1 > 0x5 goto pc-2', [I(0x25, 1, 0, -2, 5)]],
    ['if r1 > 0x5 goto +0x2 <LBB0_2>', [I(0x25, 1, 0, 2, 5)]],
    ['goto -0x10 <LBB0_1>', [I(0x05, 0, 0, -16)]],
    ['call bpf_map_lookup_elem#1', [I(0x85, 0, 0, 0, 1)]],
    ['call bpf_trace_printk#6 # a comment', [I(0x85, 0, 0, 0, 6)]],
    ['r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)', [I(0xdb, 10, 1, -8, 0x01)]],
    ['w1 = atomic_fetch_and((u32 *)(r10 -8), w1)', [I(0xc3, 10, 1, -8, 0x51)]],
    ['r1 = atomic64_xchg((u64 *)(r10 -8), r1)', [I(0xdb, 10, 1, -8, 0xe1)]],
    ['r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)', [I(0xdb, 10, 1, -8, 0xf1)]],
    ['lock *(u32 *)(r10 -8) += r1', [I(0xc3, 10, 1, -8, 0x00)]],
    ['12: (b7) r0 = 1', [I(0xb7, 0, 0, 0, 1)]],
    ['3: (18) r1 = 0xffffffff', [I(0x18, 1, 0, 0, -1), I(0)]],
    ['      12:\tb7 00 00 00 01 00 00 00\tr0 = 1', [I(0xb7, 0, 0, 0, 1)]],
    ['       0:\t18 01 00 00 05 00 00 00 00 00 00 00 00 00 00 00\tr1 = 5 ll', [I(0x18, 1, 0, 0, 5), I(0)]],
    ['   7: exit', [I(0x95)]],
    ['r1 = -1 ll', [I(0x18, 1, 0, 0, -1), I(0, 0, 0, 0, -1)]],
    ['r1=r2', [I(0xbf, 1, 2)]],
    ['\tr1 +=\t-8', [I(0x07, 1, 0, 0, -8)]],
  ];
  for (const [text, want] of cases) assert.deepEqual(asm1(text), want, text);
});

test('llvm syntax: labels as jump and call targets', () => {
  const p = assemble([
    '0000000000000000 <prog>:',
    'r1 = 0',
    'if r1 == 0 goto out',
    'call helper_fn',
    'r2 = func[helper_fn] ll',
    'out:',
    'goto exit',
    'exit',
    'helper_fn:',
    'r0 = 0',
    'exit',
    'goto prog',
  ].join('\n'));
  assert.deepEqual(p, [
    I(0xb7, 1), I(0x15, 1, 0, 3, 0), I(0x85, 0, 1, 0, 4), I(0x18, 2, 4, 0, 3), I(0),
    I(0x05, 0, 0, 0), I(0x95), I(0xb7), I(0x95), I(0x05, 0, 0, -10),
  ]);
});

test('llvm syntax: errors name the line', () => {
  for (const bad of [
    'r11 = 1', 'w0 += r1', 'if w1 > r2 goto +1', 'r0 = -r1', 'r0 = le16 r1', 'r2 = xchg_64(r1 + 0, r3)',
    'r1 = cmpxchg_64(r1 + 0, r0, r2)', 'r0 = *(s64 *)(r1 + 0)', '*(s32 *)(r1 + 0) = 1', 'r1 = *(u8 *)skb[3]',
    'lock *(u8 *)(r1 + 0) += r2', 'r0 = 0x100000000', 'goto +40000', 'call nowhere', 'r0 = *(u32 *)(r1 + 32768)',
    'frobnicate r0', 'call', 'r0 = load_acquire((s32 *)(r1 + 0))', 'r1 = map[fd:4294967296] ll',
  ]) {
    assert.throws(() => assemble(`r0 = 0\n${bad}`), lineError(2, bad), bad);
  }
});
