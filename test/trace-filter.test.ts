import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BpfError } from '../src/errno.js';
import { AddressSpace } from '../src/vm/memory.js';
import { TraceFilter } from '../src/trace/filter.js';
import { FilterError, parseFilter } from '../src/trace/filter-parse.js';
import { globElements, globMatch, codes } from '../src/trace/glob.js';
import { TraceRegistry } from '../src/trace/tracepoint.js';

const reg = new TraceRegistry(500);
const tp = reg.define('t:ev', {
  b: 'u8', h: 's16', sig: 's32', n: 'u32', big: 'u64', neg: 's64', ok: 'bool', comm: 'string', path: 'string',
  addr: { struct: { port: 'u16', ip: 'u32' } },
});
const env = { pid: 4242, comm: 'node', cpu: 1, type: tp.id };
const space = new AddressSpace();
const filter = (text: string, engine: 'jit' | 'interp' = 'jit'): TraceFilter => new TraceFilter(text, tp, { space, env, engine });

test('the seed filter keeps exactly the events it describes, on both engines', () => {
  const text = '((sig >= 10 && sig < 15) || sig == 17) && comm != bash';
  const cases: Array<[number, string, boolean]> = [[10, 'bash', false], [10, 'zsh', true], [14, 'sh', true], [15, 'sh', false], [17, 'x', true], [9, 'x', false], [17, 'bash', false], [12, 'bashh', true]];
  for (const engine of ['jit', 'interp'] as const) {
    const f = filter(text, engine);
    assert.equal(f.engine, engine);
    for (const [sig, comm, want] of cases) assert.equal(f.test({ sig, comm }), want, `${engine}: sig=${sig} comm=${comm}`);
  }
});

test('a compiled filter copies a string only for an event whose integers let it reach the string', () => {
  const own = new AddressSpace();
  const f = new TraceFilter('sig == 3 && comm == "bash"', tp, { space: own, env });
  assert.equal(f.engine, 'jit');
  const copied = (s: string): boolean => Buffer.from(own.bytes).includes(Buffer.from(`${s}\0`));
  assert.equal(f.test({ sig: 1, comm: 'qqqq' }), false);
  assert.equal(copied('qqqq'), false, 'rejected on sig alone: comm is never written');
  assert.equal(f.test({ sig: 3, comm: 'qqqq' }), false);
  assert.equal(copied('qqqq'), true);
  assert.equal(f.test({ sig: 3, comm: 'bash' }), true);
  assert.equal(f.test({ sig: 1, comm: 'bash' }), false, 'the last event\'s string does not decide this one');
  assert.equal(f.test({ sig: 3, comm: 'bash' }), true, 'the same string again');
});

test('numbers are cut to the field width and compared signed or unsigned as the field is', () => {
  const f = (text: string, values: Record<string, unknown>): boolean => {
    const a = filter(text).test(values);
    assert.equal(filter(text, 'interp').test(values), a, text);
    return a;
  };
  assert.equal(f('b == 257', { b: 1 }), true); // (u8)257 == 1
  assert.equal(f('h < 0', { h: 0xffff }), true); // s16 0xffff is -1
  assert.equal(f('n > 0x7fffffff', { n: -1 }), true); // u32 -1 is 0xffffffff
  assert.equal(f('sig < -5', { sig: -6 }), true);
  assert.equal(f('big == 18446744073709551615', { big: -1n }), true);
  assert.equal(f('neg < -4294967296', { neg: -4294967297n }), true);
  assert.equal(f('n & 0x80000000', { n: 0x80000000 }), true);
  assert.equal(f('!(n & 6)', { n: 9 }), true);
  assert.equal(f('ok == 1', { ok: true }), true);
  assert.equal(f('addr.port == 80 && addr.ip == 0x7f000001', { addr: { port: 80, ip: 0x7f000001 } }), true);
  assert.equal(f('n == 010', { n: 8 }), true); // octal, as kstrtoull base 0
});

test('string matches: exact, prefix, globs with ? and classes, and COMM / CPU / common_pid folded', () => {
  const f = (text: string, values: Record<string, unknown>): boolean => {
    const j = filter(text);
    assert.equal(j.engine, 'jit', `${text}: ${j.reason}`);
    const a = j.test(values);
    assert.equal(filter(text, 'interp').test(values), a, text);
    return a;
  };
  assert.equal(f('comm == "bash"', { comm: 'bash' }), true);
  assert.equal(f("comm == 'bash'", { comm: 'bas' }), false);
  assert.equal(f('comm ~ "ba*"', { comm: 'bash' }), true);
  assert.equal(f('comm ~ "ba*"', { comm: 'b' }), false);
  assert.equal(f('comm ~ "b?s[gh]"', { comm: 'bash' }), true);
  assert.equal(f('comm ~ "b?s[!h]"', { comm: 'bash' }), false);
  assert.equal(f('comm ~ "[a-c]ash"', { comm: 'cash' }), true);
  assert.equal(f('path == "/usr/lib/x86_64-linux-gnu/libc.so.6"', { path: '/usr/lib/x86_64-linux-gnu/libc.so.6' }), true);
  assert.equal(f('comm == "héllo"', { comm: 'héllo' }), true);
  assert.equal(f('COMM == node && CPU == 1 && common_pid == 4242', {}), true);
  assert.equal(f('COMM == bash || CPU != 1', {}), false);
});

test('suffixes compile (a copy of the string\'s tail at a fixed place); a search (*foo*, b*h) falls back to the tree walk and says why', () => {
  for (const [text, comm, want] of [['comm ~ "*sh"', 'bash', true], ['comm ~ "*sh"', 'sh', true], ['comm ~ "*sh"', 'h', false], ['path ~ "*s?[hx]"', 'bash', false], ['path ~ "*s?[hx]"', 'xs1h', true], ['path ~ "*ö"', 'zö', true]] as const) {
    const f = filter(text);
    assert.equal(f.engine, 'jit', text);
    assert.equal(f.test({ comm, path: comm }), want, `${text} on ${comm}`);
  }
  const long = 'x'.repeat(1000) + 'tail';
  assert.equal(filter('comm ~ "*tail" && comm ~ "xx*"').test({ comm: long }), true);
  for (const text of ['comm ~ "*as*"', 'comm ~ "b*h"']) {
    const f = filter(text);
    assert.equal(f.engine, 'interp');
    assert.match(f.reason!, /needs a search through the string/);
    assert.equal(f.test({ comm: 'bash' }), true);
  }
});

test('a filter that decides on integers never reads a string field', () => {
  const f = filter('sig == 17 && comm != bash');
  let reads = 0;
  const values = { sig: 3, get comm() { reads++; return 'bash'; } };
  for (let i = 0; i < 10; i++) assert.equal(f.test(values), false);
  assert.equal(reads, 0);
  assert.equal(f.test({ sig: 17, comm: 'zsh' }), true);
});

test('errors point at the column with Linux\'s parse_error text', () => {
  const cases: Array<[string, number, string]> = [
    ['sig2 == 1', 0, 'Field not found'],
    ['sig == 1 && (comm == x', 12, "Too many '('"],
    ['sig == 1)', 8, "Too few '('"],
    ['comm == "bash', 8, 'Missing matching quote'],
    ['sig ~ 1', 4, 'Illegal operation for field type'],
    ['comm < abc', 5, 'Illegal operation for field type'],
    ['sig == abc', 7, 'Illegal integer value'],
    ['sig == "10"', 7, 'Invalid value (did you forget quotes)?'],
    ['sig 10', 4, 'Invalid operator'],
    ['', 0, 'Meaningless filter expression'],
    ['sig == 1 &&', 11, 'Meaningless filter expression'],
    [`comm == ${'x'.repeat(300)}`, 8, 'Operand too long'],
  ];
  for (const [text, col, reason] of cases) {
    assert.throws(() => parseFilter(text, tp), (e: unknown) => {
      assert.ok(e instanceof FilterError && e instanceof BpfError, text);
      assert.equal(e.errno, 'EINVAL');
      assert.equal(e.reason, reason, text);
      assert.equal(e.column, col, text);
      assert.equal(e.message, `${text}\n${' '.repeat(col)}^\nparse_error: ${reason}`);
      return true;
    });
  }
});

test('glob: lib/glob.c semantics on a few patterns', () => {
  const m = (p: string, s: string): boolean => globMatch(globElements(codes(p)), codes(s));
  assert.equal(m('a*b*c', 'axxbyyc'), true);
  assert.equal(m('a*b*c', 'axxbyy'), false);
  assert.equal(m('[]]x', ']x'), true);
  assert.equal(m('[a-', '[a-'), true); // a class that never closes is literal
  assert.equal(m('\\*', '*'), true);
  assert.equal(m('\\*', 'a'), false);
  assert.equal(m('?', ''), false);
  assert.equal(m('*', ''), true);
});

// ---- property: compiled ≡ tree-walked on random filters and events ----

const alpha = fc.constantFrom('a', 'b', 'é', 'ab', 'ba', 'bash', '');
const str = fc.array(alpha, { maxLength: 4 }).map((a) => a.join(''));
// events also carry strings longer than a filter's string slot
const eventStr = fc.oneof(str, str.map((s) => 'x'.repeat(300) + s));
const numField = fc.constantFrom('b', 'h', 'sig', 'n', 'big', 'neg', 'ok', 'addr.port', 'addr.ip', 'common_pid', 'CPU');
const numOp = fc.constantFrom('==', '!=', '<', '<=', '>', '>=', '&');
const numVal = fc.oneof(
  fc.integer({ min: -3, max: 20 }).map(String),
  fc.constantFrom('0x7fffffff', '0x80000000', '0xffffffff', '-1', '65535', '4242', '255', '256', '18446744073709551615', '-9223372036854775808'),
);
// anchored patterns only: prefix (x*), suffix (*x) or whole; a search (*x*) is not compiled
const pattern = fc.tuple(fc.array(fc.constantFrom('a', 'b', '?', '[ab]', '[!a]', 'é', 's', 'h', 'x'), { maxLength: 4 }), fc.constantFrom('', 'front', 'end'))
  .map(([parts, star]) => (star === 'end' ? '*' : '') + parts.join('') + (star === 'front' ? '*' : ''));
const strPred = fc.oneof(
  fc.tuple(fc.constantFrom('comm', 'path', 'COMM'), fc.constantFrom('==', '!='), str).map(([f, op, v]) => `${f} ${op} "${v}"`),
  fc.tuple(fc.constantFrom('comm', 'path'), pattern).map(([f, p]) => `${f} ~ "${p}"`),
);
const pred = fc.oneof(fc.tuple(numField, numOp, numVal).map(([f, op, v]) => `${f} ${op} ${v}`), strPred);
const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    pred,
    fc.tuple(tie('e'), fc.constantFrom('&&', '||'), tie('e')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    tie('e').map((a) => `!(${a})`),
  ),
})).e;
const anyInt = fc.oneof(fc.integer({ min: -70000, max: 70000 }), fc.constantFrom(0, 17, 255, 256, 65535, 0x7fffffff, 0x80000000, 0xffffffff, -1));
const event = fc.record({
  b: anyInt, h: anyInt, sig: anyInt, n: anyInt, ok: fc.oneof(fc.boolean(), anyInt),
  big: fc.oneof(anyInt, fc.bigInt({ min: -(1n << 64n), max: 1n << 64n })), neg: fc.oneof(anyInt, fc.bigInt({ min: -(1n << 63n), max: 1n << 63n })),
  comm: eventStr, path: eventStr, addr: fc.record({ port: anyInt, ip: anyInt }),
});

test('property: a compiled filter keeps exactly the events the tree walk keeps', () => {
  fc.assert(
    fc.property(expr, fc.array(event, { minLength: 1, maxLength: 8 }), (text, events) => {
      const jit = filter(text);
      assert.equal(jit.engine, 'jit', `${text}: ${jit.reason}`);
      const walk = filter(text, 'interp');
      for (const e of events) assert.equal(jit.test(e), walk.test(e), `${text} on ${JSON.stringify(e, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`);
    }),
    { numRuns: 300, seed: 7 },
  );
});
