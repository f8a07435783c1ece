import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfError } from '../src/errno.js';
import { readCollectionSpec } from '../src/elf/collection.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { assemble } from '../src/isa/asm.js';
import { ringbufOf } from '../src/maps/ringbuf.js';
import { loadCollection } from '../src/runtime/collection.js';
import { nodeHost } from '../src/runtime/node-host.js';
import { Runtime } from '../src/runtime/runtime.js';
import { traceBufferOf } from '../src/trace/buffer.js';
import { attachProgram } from '../src/trace/handler.js';
import { recordEvents } from '../src/trace/record.js';
import { ctxReads } from '../src/trace/ctx-reads.js';
import { TraceRegistry } from '../src/trace/tracepoint.js';
import { CLANG_AVAILABLE, compileFile } from './objects/build.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/trace-progs/sig_count.c');
const noClang = CLANG_AVAILABLE ? false : 'clang not found';

function load() {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'tsbpf-trace-')), 'sig_count.o');
  compileFile(SRC, out);
  const spec = readCollectionSpec(readFileSync(out), { fileName: 'sig_count.o' });
  const rt = new Runtime({ helpers: linuxHelpers(), host: nodeHost(), cpus: 2 });
  const { programs, maps } = loadCollection(rt, spec);
  const tp = new TraceRegistry().define('test:signal_generate', { sig: 's32', comm: 'string', code: 'u64' });
  return { rt, spec, programs, maps, tp };
}

const u32le = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

test('the record tsbpf lays out is the struct clang compiled the program against', { skip: noClang }, () => {
  const { spec, tp } = load();
  const rec = spec.btf!.types.find((t) => t.kind === 'struct' && t.name === 'sig_rec') as { members: Array<{ name: string; bitOffset: number }> };
  const off = (name: string): number => rec.members.find((m) => m.name === name)!.bitOffset / 8;
  assert.equal(off('sig'), tp.field('sig')!.offset);
  assert.equal(off('__data_loc_comm'), tp.field('comm')!.offset);
  assert.equal(off('code'), tp.field('code')!.offset);
  assert.equal(off('common_pid'), 4);
});

test('a clang-compiled tracepoint program counts events in a hash map and prints to the trace buffer', { skip: noClang }, () => {
  const { rt, programs, maps, tp } = load();
  const link = attachProgram(rt, tp, programs.get('count_sig')!);
  assert.equal(tp.enabled, true);
  const events = [[9, 'bash', 1], [9, 'zsh', 2], [15, 'node', 3], [31, 'x', 4], [2, 'y', 5], [9, 'bash', 6], [40, 'zz', 7]] as const;
  let commReads = 0;
  for (const [sig, comm, code] of events) tp.fire({ sig, get comm() { commReads++; return comm; }, code: BigInt(code) });
  assert.equal(commReads, 0, 'count_sig reads sig and code only: comm is never copied');
  assert.equal(link.runs, events.length);
  assert.equal(link.errors, 0, String(link.lastError));
  const want = new Map<number, number>();
  for (const [sig] of events) want.set(sig, (want.get(sig) ?? 0) + 1);
  const counts = maps.get('counts')!;
  for (const [sig, n] of want) {
    const v = rt.lookupElem(counts, u32le(sig));
    assert.equal(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true), BigInt(n), `counts[${sig}]`);
  }
  const lines = traceBufferOf(rt).readText().trimEnd().split('\n');
  const kills = events.filter(([sig]) => sig === 9).map(([, , code]) => code);
  assert.equal(lines.length, kills.length);
  lines.forEach((l, i) => assert.match(l, new RegExp(`^ *\\S+-${process.pid} +\\[000\\] \\.{5} +\\d+\\.\\d{6}: bpf_trace_printk: kill code=${kills[i]}$`)));
  link.detach();
  assert.equal(tp.enabled, false);
  tp.fire({ sig: 9, comm: 'bash', code: 0n });
  assert.equal(link.runs, events.length);
});

test('a program that reads a string through its __data_loc gets the string (ring buffer output)', { skip: noClang }, () => {
  const { rt, programs, maps, tp } = load();
  const insns = programs.get('send_comm')!.insns;
  assert.equal(ctxReads(insns), 'all', 'ctx + a loaded value, without the layout: any byte may be read');
  // with it, ctx + (__data_loc_comm & 0xffff) is comm's data: sig and comm's __data_loc word are all it reads
  const loc = tp.field('comm')!.offset;
  const reads = ctxReads(insns, () => 3, (off, size) => off >= loc && off + size <= loc + 4);
  assert.deepEqual(reads === 'all' ? reads : [...reads].sort((a, b) => a.off - b.off), [{ off: tp.field('sig')!.offset, size: 4 }, { off: loc, size: 4 }]);
  const link = attachProgram(rt, tp, programs.get('send_comm')!, { cpu: 1 });
  const events: Array<[number, string]> = [[31, 'node'], [5, 'no'], [32, 'héllo wörld'], [33, 'a-very-long-process-name']];
  for (const [sig, comm] of events) tp.fire({ sig, comm, code: 0 });
  assert.equal(link.errors, 0, String(link.lastError));
  const got = ringbufOf(rt.map(maps.get('names')!)).consume().map((r) => {
    const b = r.subarray(0, r.indexOf(0) < 0 ? r.length : r.indexOf(0));
    return new TextDecoder().decode(b);
  });
  const enc = new TextEncoder();
  // bpf_probe_read_kernel_str copies at most 15 bytes and the NUL
  const want = events.filter(([sig]) => sig > 30).map(([, c]) => new TextDecoder().decode(enc.encode(c).subarray(0, 15)));
  assert.deepEqual(got, want);
});

test('bad programs: a type that is not a tracepoint, and one the verifier rejects, are refused and nothing is attached', () => {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const tp = new TraceRegistry().define('test:e', { x: 'u32' });
  const xdp = rt.loadProgram({ name: 'x', type: 6, insns: assemble('r0 = 2\nexit') });
  assert.throws(() => attachProgram(rt, tp, xdp), (e: unknown) => e instanceof BpfError && e.errno === 'EINVAL' && /tracepoint \(5\) or raw_tracepoint \(17\)/.test(e.message));
  const insns = assemble('r0 = *(u32 *)(r1 + 0)\nexit');
  // the Runtime refuses it at load; loaded unverified, attaching verifies it and refuses it too
  assert.throws(() => rt.loadProgram({ name: 'hdr', type: 5, license: 'GPL', insns }), (e: unknown) => e instanceof BpfError && /invalid bpf_context access/.test(e.message));
  const header = rt.loadProgram({ name: 'hdr', type: 5, license: 'GPL', insns, unverified: true });
  assert.throws(() => attachProgram(rt, tp, header), (e: unknown) => e instanceof BpfError && /verifier rejects it at insn 0/.test(e.message));
  assert.equal(tp.enabled, false);
});

test('raw tracepoint: the fields as u64 arguments, signed ones sign-extended, strings as pointers', () => {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const tp = new TraceRegistry().define('test:raw', { a: 's16', s: 'string', b: 'u32' });
  const out = rt.createMap({ name: 'out', type: 2, keySize: 4, valueSize: 24, maxEntries: 1 });
  // out = { args[0], the first byte of the string args[1] points to, args[2] }
  const prog = rt.loadProgram({
    name: 'raw', type: 17, license: 'GPL',
    insns: assemble(`
      r6 = r1
      r1 = map[fd:${out}][0]+0 ll
      r2 = *(u64 *)(r6 + 0)
      *(u64 *)(r1 + 0) = r2
      r2 = *(u64 *)(r6 + 16)
      *(u64 *)(r1 + 16) = r2
      r7 = r1
      r1 = r10
      r1 += -8
      r2 = 8
      r3 = *(u64 *)(r6 + 8)
      call 113
      r2 = *(u8 *)(r10 - 8)
      *(u64 *)(r7 + 8) = r2
      r0 = 0
      exit`),
  });
  const link = attachProgram(rt, tp, prog);
  assert.deepEqual(['a', 's', 'b'].map((f) => tp.reads(f)), [true, true, true], 'a raw tracepoint is given every field');
  tp.fire({ a: -2, s: 'Zed', b: 0xfffffffe });
  assert.equal(link.errors, 0, String(link.lastError));
  const val = (k: number): bigint => new DataView(rt.lookupElem(out, u32le(0)).buffer).getBigUint64(8 * k, true);
  assert.equal(val(0), BigInt.asUintN(64, -2n));
  assert.equal(val(1), BigInt('Z'.charCodeAt(0)));
  assert.equal(val(2), 0xfffffffen);
});

test('a program that calls no helper (it runs directly on its record) sums a field into a map value, as the interpreter does', () => {
  const sums = (engine: 'jit' | 'interp'): bigint => {
    const rt = new Runtime({ helpers: linuxHelpers() });
    const tp = new TraceRegistry().define('test:add', { n: 's32', label: 'string', big: 'u64' });
    const map = rt.createMap({ name: 'sum', type: 2, keySize: 4, valueSize: 16, maxEntries: 1 });
    // value[0] += n (sign-extended), value[1] += 1, through the map value's address: no helper call
    const prog = rt.loadProgram({
      name: 'sum', type: 5, license: 'GPL', engine,
      insns: assemble(`
        r2 = *(s32 *)(r1 + ${tp.field('n')!.offset})
        r1 = map[fd:${map}][0]+0 ll
        lock *(u64 *)(r1 + 0) += r2
        r2 = 1
        lock *(u64 *)(r1 + 8) += r2
        r0 = 0
        exit`),
    });
    const link = attachProgram(rt, tp, prog);
    assert.deepEqual(['n', 'label', 'big'].map((f) => tp.reads(f)), [true, false, false], 'the handler says it reads n alone (a source may skip the others)');
    for (const n of [5, -3, 1000, 7]) tp.fire({ n, label: 'x', big: 1n });
    link.detach();
    tp.fire({ n: 1, label: 'x', big: 1n });
    assert.equal(link.errors, 0, String(link.lastError));
    const v = new DataView(rt.lookupElem(map, u32le(0))!.slice().buffer);
    assert.equal(v.getBigUint64(8, true), 4n, 'four runs, none after detach');
    return v.getBigInt64(0, true);
  };
  assert.equal(sums('jit'), 5n - 3n + 1000n + 7n);
  assert.equal(sums('interp'), sums('jit'));
});

test('attaching and detaching for a long time gives the memory back: handlers (on both engines, through a helper or directly), raw ones and filters keep working and the address space stops growing', () => {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const tp = new TraceRegistry().define('test:churn', { n: 'u32', label: 'string' });
  const map = rt.createMap({ name: 'count', type: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
  const count = `r1 = map[fd:${map}][0]+0 ll\nr2 = 1\nlock *(u64 *)(r1 + 0) += r2\nr0 = 0\nexit`;
  // the same count, through bpf_map_lookup_elem (an engine, not a direct run)
  const viaHelper = `r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[fd:${map}] ll\ncall 1\nif r0 == 0 goto +2\nr1 = 1\nlock *(u64 *)(r0 + 0) += r1\nr0 = 0\nexit`;
  const progs = [
    rt.loadProgram({ name: 'direct', type: 5, license: 'GPL', insns: assemble(count) }),
    rt.loadProgram({ name: 'helper', type: 5, license: 'GPL', insns: assemble(viaHelper) }),
    rt.loadProgram({ name: 'interp', type: 5, license: 'GPL', engine: 'interp', insns: assemble(viaHelper) }),
    rt.loadProgram({ name: 'raw', type: 17, license: 'GPL', insns: assemble(count) }),
  ];
  const cycle = (): void => {
    const links = progs.map((p) => attachProgram(rt, tp, p));
    const rec = recordEvents(rt, tp, { filter: 'n == 3 && label == "x"' });
    tp.fire({ n: 3, label: 'x' });
    tp.fire({ n: 4, label: 'x' });
    for (const l of links) {
      assert.equal(l.errors, 0, String(l.lastError));
      l.detach();
    }
    assert.equal(rec.recorded, 1);
    assert.equal(rec.dropped, 1);
    rec.detach();
  };
  cycle();
  const bytes = rt.space.memory.buffer.byteLength;
  for (let i = 0; i < 200; i++) cycle();
  assert.equal(rt.space.memory.buffer.byteLength, bytes, 'no growth after the first cycle');
  const v = new DataView(rt.lookupElem(map, u32le(0))!.slice().buffer);
  assert.equal(v.getBigUint64(0, true), BigInt(201 * 2 * progs.length), 'every attached program ran on every event');
});

test('a handler detached by another sink of the same event does not run on it', () => {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const tp = new TraceRegistry().define('test:self', { n: 'u32' });
  const map = rt.createMap({ name: 'count', type: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
  const prog = rt.loadProgram({ name: 'c', type: 5, license: 'GPL', insns: assemble(`r1 = map[fd:${map}][0]+0 ll\nr2 = 1\nlock *(u64 *)(r1 + 0) += r2\nr0 = 0\nexit`) });
  let link: ReturnType<typeof attachProgram> | undefined;
  tp.attach({ hit: () => link?.detach() });
  link = attachProgram(rt, tp, prog);
  tp.fire({ n: 1 });
  link.detach();
  assert.equal(link.runs, 0);
  const v = new DataView(rt.lookupElem(map, u32le(0))!.slice().buffer);
  assert.equal(v.getBigUint64(0, true), 0n);
});
