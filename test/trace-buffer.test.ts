import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../src/isa/asm.js';
import { Runtime } from '../src/runtime/runtime.js';
import { TraceBuffer, TraceRecord, formatRecord, traceBufferOf } from '../src/trace/buffer.js';
import { ctxReads } from '../src/trace/ctx-reads.js';
import { recordEvents } from '../src/trace/record.js';
import { TraceRegistry } from '../src/trace/tracepoint.js';

const tp = new TraceRegistry().define('sched:wake', { pid: 's32', comm: 'string', prio: 'u8', on: 'bool' });
const host = { pid: 77, comm: 'worker', monotonicNs: () => 5_000_123_456n };

test('a record prints as trace_pipe prints it: "%16s-%-7d [%03d] ..... %5lu.%06lu: event: fields"', () => {
  const b = new TraceBuffer({ cpus: 4, host });
  b.event(tp, { pid: -1, comm: 'bash', prio: 300, on: 1 }, 3);
  const [r] = b.read();
  const line = formatRecord({ ...r!, ts: 5_000_123_456 } as TraceRecord);
  assert.equal(line, '          worker-77      [003] .....     5.000123: wake: pid=-1 comm=bash prio=44 on=1');
  b.printk('hello %d\n');
  assert.match(b.readText(), /^ {10}worker-77 {6}\[000\] \.{5} +\d+\.\d{6}: bpf_trace_printk: hello %d\n$/);
});

test('a full ring overwrites its oldest records (or drops new ones) and reports the loss before the next record', () => {
  for (const overwrite of [true, false]) {
    const b = new TraceBuffer({ entries: 3, overwrite, host });
    for (let i = 0; i < 5; i++) b.event(tp, { pid: i }, 0);
    assert.deepEqual(b.lost, [2]);
    const recs = b.read();
    assert.deepEqual(recs[0], { kind: 'lost', cpu: 0, count: 2 });
    const pids = recs.slice(1).map((r) => (r.kind === 'event' ? r.values[0] : undefined));
    assert.deepEqual(pids, overwrite ? [2, 3, 4] : [0, 1, 2]);
    assert.match(formatRecord(recs[0]!), /^CPU:0 \[LOST 2 EVENTS\]$/);
    assert.equal(b.read().length, 0, 'the loss is reported once');
  }
});

test('reading merges the CPUs in time order and takes at most max records', () => {
  const b = new TraceBuffer({ cpus: 3, host });
  const order = [2, 0, 1, 1, 2, 0];
  order.forEach((cpu, i) => b.event(tp, { pid: i }, cpu));
  const first = b.read(4);
  assert.equal(first.length, 4);
  const rest = b.read();
  const recs = [...first, ...rest].filter((r) => r.kind === 'event');
  for (let i = 1; i < recs.length; i++) assert.ok((recs[i] as { ts: number }).ts >= (recs[i - 1] as { ts: number }).ts);
  assert.deepEqual(recs.map((r) => (r.kind === 'event' ? r.values[0] : -1)).sort(), [0, 1, 2, 3, 4, 5]);
});

test('the async reader wakes once for a burst of events and gets them as one batch', async () => {
  const b = new TraceBuffer({ host });
  const ac = new AbortController();
  const got: string[] = [];
  const reader = (async () => {
    for await (const line of b.lines({ signal: ac.signal })) {
      got.push(line);
      if (got.length === 100) ac.abort();
    }
  })();
  await new Promise((r) => setTimeout(r, 5));
  for (let i = 0; i < 100; i++) b.event(tp, { pid: i, comm: 'x' }, 0);
  await reader;
  assert.equal(got.length, 100);
  assert.match(got[99]!, /wake: pid=99 comm=x prio=0 on=0$/);
  assert.equal(b.wakeups, 1, 'one wakeup for the burst');
});

test('recordEvents: a Runtime\'s buffer gets the events its filter passes, with counts', () => {
  const rt = new Runtime({ cpus: 2 });
  const rec = recordEvents(rt, tp, { filter: 'prio > 10 && comm ~ "w*"', cpu: 1 });
  tp.fire({ pid: 1, comm: 'web', prio: 11 });
  tp.fire({ pid: 2, comm: 'web', prio: 9 });
  tp.fire({ pid: 3, comm: 'db', prio: 99 });
  assert.equal(rec.recorded, 1);
  assert.equal(rec.dropped, 2);
  const text = traceBufferOf(rt).readText();
  assert.match(text, /^ +tsbpf-0 +\[001\] \.{5} +\d+\.\d{6}: wake: pid=1 comm=web prio=11 on=0\n$/);
  rec.detach();
  assert.equal(tp.enabled, false);
});

test('ctxReads: the loads through the context pointer, followed through copies and branches', () => {
  const reads = ctxReads(assemble(`
    r6 = r1
    r2 = *(u32 *)(r1 + 8)
    if r2 > 3 goto +2
    r7 = r6
    goto +1
    r7 = r10
    r0 = *(u16 *)(r7 + 12)
    r1 = 0
    r0 = *(u8 *)(r6 + 20)
    exit`));
  assert.notEqual(reads, 'all');
  assert.deepEqual([...(reads as Array<{ off: number; size: number }>)].sort((a, b) => a.off - b.off), [{ off: 8, size: 4 }, { off: 12, size: 2 }, { off: 20, size: 1 }]);
  assert.equal(ctxReads(assemble('r1 += 8\nr0 = *(u32 *)(r1 + 0)\nexit')), 'all');
  assert.equal(ctxReads(assemble('*(u64 *)(r10 - 8) = r1\nr0 = 0\nexit')), 'all');
  assert.equal(ctxReads(assemble('r6 = r1\nr1 = r6\ncall 5\nexit')), 'all');
  const arity = (id: number): number | undefined => (id === 5 ? 0 : undefined); // bpf_ktime_get_ns takes no argument
  assert.deepEqual(ctxReads(assemble('r6 = r1\ncall 5\nr0 = *(u32 *)(r6 + 8)\nexit'), arity), [{ off: 8, size: 4 }]);
  assert.equal(ctxReads(assemble('r6 = r1\ncall 5\nr0 = *(u32 *)(r6 + 8)\nexit')), 'all', 'without prototypes a call may take r1');
});

test('ctxReads: ctx + a __data_loc value is the field\'s data, which a helper may be given; any other sum escapes', () => {
  const isLoc = (off: number, size: number): boolean => off >= 12 && off + size <= 16; // a __data_loc word at 12
  const three = (): number => 3;
  const reads = (body: string): ReturnType<typeof ctxReads> => {
    const r = ctxReads(assemble(`r6 = r1\n${body}\nr1 = r10\nr1 += -16\nr2 = 16\ncall 115\nr0 = 0\nexit`), three, isLoc);
    return r === 'all' ? r : [...r].sort((a, b) => a.off - b.off);
  };
  const word = { off: 12, size: 4 };
  assert.deepEqual(reads('r3 = *(u32 *)(r6 + 12)\nr3 &= 0xffff\nr3 += r6'), [word]);
  assert.deepEqual(reads('r3 = *(u32 *)(r6 + 12)\nr3 &= 0xffff\nr6 += r3\nr3 = r6'), [word], 'the sum in the base register, then copied');
  assert.deepEqual(reads('r3 = *(u16 *)(r6 + 12)\nr3 += r6'), [{ off: 12, size: 2 }], 'the offset half of the word');
  assert.deepEqual(reads('r3 = *(u32 *)(r6 + 12)\nr0 = *(u32 *)(r6 + 4)\nr3 += r6'), [{ off: 4, size: 4 }, word]);
  assert.equal(reads('r3 = *(u32 *)(r6 + 8)\nr3 += r6'), 'all', 'a field that is no __data_loc: the sum may be anywhere');
  assert.equal(reads('r3 = *(u32 *)(r6 + 12)\nr3 += r6\nr3 += 4'), 'all', 'arithmetic on the data address');
  assert.equal(reads('r3 = *(u32 *)(r6 + 12)\nr3 += r7\nr3 += r6'), 'all', 'a __data_loc value plus another register is a plain scalar');
  assert.equal(reads('r3 = *(u32 *)(r6 + 12)\nr3 += r6\n*(u64 *)(r10 - 24) = r3'), 'all', 'the data address stored');
  assert.equal(ctxReads(assemble('r3 = *(u32 *)(r1 + 12)\nr3 += r1\nr1 = r3\ncall pc+1\nexit\nr0 = 0\nexit'), three, isLoc), 'all', 'given to a sub-program');
});
