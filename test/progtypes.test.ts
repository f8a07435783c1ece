import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROGRAM_TYPES, ProgramType, checkHelperCalls, ctxAccess, programType } from '../src/progtypes/index.js';
import { PT_REGS_SIZE, ptRegOffset, ptRegs } from '../src/progtypes/pt-regs.js';
import { Runtime } from '../src/runtime/runtime.js';
import { assemble } from '../src/isa/asm.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { BpfError } from '../src/errno.js';

const errno = (name: string, pattern: RegExp) => (e: unknown) => e instanceof BpfError && e.errno === name && pattern.test(e.message);
const byName = (name: string): ProgramType => programType(name)!;

/** The C struct each type's field table mirrors (tracepoint records have none in the UAPI). */
const C_STRUCTS: Readonly<Record<string, string>> = {
  socket_filter: 'struct __sk_buff',
  sched_cls: 'struct __sk_buff',
  xdp: 'struct xdp_md',
  kprobe: 'struct pt_regs',
  perf_event: 'struct bpf_perf_event_data',
  raw_tracepoint: 'struct bpf_raw_tracepoint_args',
};

/**
 * Ask gcc for offsetof / sizeof of every field of every table, from the
 * system's UAPI headers (linux/bpf.h, linux/bpf_perf_event.h, asm/ptrace.h).
 */
function compileOffsets(): Map<string, { offset: number; size: number; total: number }> | string {
  const lines: string[] = [];
  for (const pt of PROGRAM_TYPES) {
    const st = C_STRUCTS[pt.name];
    if (!st) continue;
    for (const fd of pt.fields) {
      const total = pt.name === 'raw_tracepoint' ? '0' : `sizeof(${st})`;
      lines.push(`  printf("${pt.name} ${fd.name} %zu %zu %zu\\n", offsetof(${st}, ${fd.name}), sizeof(((${st} *)0)->${fd.name}), (size_t)${total});`);
    }
  }
  const src = `#include <stdio.h>\n#include <stddef.h>\n#include <linux/bpf.h>\n#include <linux/bpf_perf_event.h>\n#include <asm/ptrace.h>\nint main(void) {\n${lines.join('\n')}\n  return 0;\n}\n`;
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-offsets-'));
  try {
    writeFileSync(join(dir, 'o.c'), src);
    try {
      execFileSync('gcc', ['-o', join(dir, 'o'), join(dir, 'o.c')], { stdio: 'pipe' });
    } catch (e) {
      return `gcc could not compile against the UAPI headers: ${(e as Error).message.split('\n')[0]}`;
    }
    const out = execFileSync(join(dir, 'o')).toString();
    const m = new Map<string, { offset: number; size: number; total: number }>();
    for (const l of out.trim().split('\n')) {
      const [type, name, offset, size, total] = l.split(' ');
      m.set(`${type} ${name}`, { offset: +offset!, size: +size!, total: +total! });
    }
    return m;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('every context field sits at the offset and has the size the UAPI headers give (gcc offsetof)', (t) => {
  const got = compileOffsets();
  if (typeof got === 'string') {
    t.skip(got);
    return;
  }
  let checked = 0;
  for (const pt of PROGRAM_TYPES) {
    if (!C_STRUCTS[pt.name]) continue;
    for (const fd of pt.fields) {
      const c: { offset: number; size: number; total: number } = got.get(`${pt.name} ${fd.name}`)!;
      assert.deepEqual([fd.offset, fd.size], [c.offset, c.size], `${pt.name}: ${fd.name}`);
      if (c.total) assert.equal(pt.ctxSize, c.total, `${pt.name}: sizeof(${C_STRUCTS[pt.name]})`);
      checked++;
    }
  }
  assert.ok(checked > 80, `${checked} fields checked`);
});

test('the field tables cover each context without overlaps, in order', () => {
  for (const pt of PROGRAM_TYPES) {
    let end = 0;
    for (const fd of pt.fields) {
      assert.ok(fd.offset >= end, `${pt.name}: ${fd.name} overlaps the field before`);
      end = fd.offset + fd.size;
    }
    assert.ok(end <= pt.ctxSize, `${pt.name}: fields end at ${end}, past ctxSize ${pt.ctxSize}`);
  }
  // __sk_buff's only hole is the padding after tstamp_type
  const skb = byName('sched_cls');
  const covered = skb.fields.reduce((n, fd) => n + fd.size, 0);
  assert.equal(skb.ctxSize - covered, 3);
});

test('program types by enum bpf_prog_type number, by name and by libbpf-style alias', () => {
  const expect: Array<[number, string]> = [[1, 'socket_filter'], [2, 'kprobe'], [3, 'sched_cls'], [5, 'tracepoint'], [6, 'xdp'], [7, 'perf_event'], [17, 'raw_tracepoint']];
  for (const [n, name] of expect) {
    assert.equal(programType(n)?.name, name);
    assert.equal(programType(name)?.type, n);
    assert.equal(programType(`BPF_PROG_TYPE_${name.toUpperCase()}`)?.type, n);
  }
  assert.equal(programType('tc')?.name, 'sched_cls');
  assert.equal(programType('raw_tp')?.name, 'raw_tracepoint');
  assert.equal(programType(99), undefined);
  assert.equal(programType('cgroup_skb'), undefined);
});

test('__sk_buff access rules follow sk_filter_is_valid_access and tc_cls_act_is_valid_access', () => {
  const sf = byName('socket_filter');
  const tc = byName('sched_cls');
  const ok = (pt: ProgramType, off: number, size: number, write = false) => typeof ctxAccess(pt, off, size, write) !== 'string';
  // len: narrow reads of u32 fields, never writes
  assert.ok(ok(sf, 0, 4) && ok(sf, 0, 1) && ok(sf, 2, 2) && ok(sf, 3, 1));
  assert.ok(!ok(sf, 0, 8), 'an 8-byte load of len spans two fields');
  assert.ok(!ok(sf, 1, 2), 'misaligned');
  assert.ok(!ok(tc, 0, 4, true));
  // data / data_end: tc reads them whole and gets packet pointers; a socket filter cannot read them
  const data = ctxAccess(tc, 76, 4, false);
  assert.ok(typeof data !== 'string' && data.yields === 'packet');
  assert.match(ctxAccess(tc, 76, 2, false) as string, /data takes 4-byte/);
  assert.match(ctxAccess(sf, 76, 4, false) as string, /data is not readable by socket_filter/);
  assert.equal((ctxAccess(tc, 80, 4, false) as { yields: string }).yields, 'packet_end');
  assert.equal((ctxAccess(tc, 140, 4, false) as { yields: string }).yields, 'packet_meta');
  // writes: tc may write mark, priority, cb …; a socket filter only cb
  assert.ok(ok(tc, 8, 4, true) && ok(tc, 32, 4, true) && ok(tc, 12, 4, true));
  assert.ok(!ok(tc, 8, 2, true), 'u32 writes only');
  assert.match(ctxAccess(sf, 8, 4, true) as string, /mark is not writable by socket_filter/);
  assert.ok(ok(sf, 48, 1, true) && ok(sf, 56, 8, true) && ok(sf, 64, 4, true));
  assert.ok(!ok(sf, 64, 8, true), 'past cb[4]');
  // u64 fields and the rest
  assert.ok(ok(tc, 152, 8) && !ok(tc, 152, 4) && ok(tc, 152, 8, true));
  assert.ok(!ok(sf, 152, 8), 'tstamp is hidden from socket filters');
  assert.ok(ok(tc, 184, 8) && !ok(tc, 184, 8, true), 'hwtstamp is read-only');
  assert.equal((ctxAccess(sf, 168, 8, false) as { yields: string }).yields, 'sock_common_or_null');
  assert.ok(!ok(tc, 144, 8), 'flow_keys');
  assert.ok(ok(tc, 180, 1) && !ok(sf, 180, 1), 'tstamp_type: tc only, as a byte');
  assert.match(ctxAccess(tc, 181, 1, false) as string, /no field there/);
  assert.ok(!ok(tc, 88, 4), 'family … local_port are for sk_skb programs');
  assert.match(ctxAccess(tc, 192, 4, false) as string, /no field/);
});

test('xdp_md, pt_regs, perf event and tracepoint access rules', () => {
  const xdp = byName('xdp');
  assert.ok(typeof ctxAccess(xdp, 0, 4, false) !== 'string');
  assert.match(ctxAccess(xdp, 0, 4, true) as string, /not writable/);
  assert.match(ctxAccess(xdp, 12, 2, false) as string, /4-byte/);
  assert.match(ctxAccess(xdp, 20, 4, false) as string, /egress_ifindex is not readable/);
  const kp = byName('kprobe');
  assert.equal((ctxAccess(kp, ptRegOffset('rdi'), 8, false) as { name: string }).name, 'rdi');
  assert.ok(typeof ctxAccess(kp, ptRegOffset('rsi') + 4, 4, false) !== 'string', 'narrow reads of a register');
  assert.match(ctxAccess(kp, 0, 8, true) as string, /not writable/);
  const pe = byName('perf_event');
  assert.match(ctxAccess(pe, 8, 4, false) as string, /regs takes 8-byte/);
  assert.ok(typeof ctxAccess(pe, 168, 4, false) !== 'string', 'sample_period narrow');
  const tp = byName('tracepoint');
  assert.match(ctxAccess(tp, 4, 4, false) as string, /common_pid is not readable/);
  assert.ok(typeof ctxAccess(tp, 8, 8, false) !== 'string' && typeof ctxAccess(tp, 12, 4, false) !== 'string');
  assert.match(ctxAccess(tp, 12, 8, false) as string, /misaligned/);
  const raw = byName('raw_tracepoint');
  assert.equal((ctxAccess(raw, 16, 8, false) as { name: string }).name, 'args[2]');
  assert.match(ctxAccess(raw, 96, 8, false) as string, /no field/);
});

test('helpers per type follow the *_func_proto lists', () => {
  const has = (t: string, id: number) => byName(t).helpers.has(id);
  // packet helpers
  assert.ok(has('xdp', 44) && has('xdp', 65) && has('xdp', 28) && !has('xdp', 26) && !has('xdp', 9));
  assert.ok(has('sched_cls', 9) && has('sched_cls', 26) && has('sched_cls', 28) && !has('sched_cls', 44));
  assert.ok(has('socket_filter', 26) && !has('socket_filter', 9) && !has('socket_filter', 28));
  // the base set everywhere: map helpers, ktime, ringbuf (not seccomp: a classic filter calls no helper)
  for (const pt of PROGRAM_TYPES.filter((t) => t.name !== 'seccomp')) for (const id of [1, 2, 3, 5, 7, 8, 130, 131, 132]) assert.ok(pt.helpers.has(id), `${pt.name} ${id}`);
  // tracing helpers only for tracing types
  assert.ok(has('kprobe', 4) && has('tracepoint', 27) && !has('xdp', 4) && !has('sched_cls', 27));
  assert.ok(has('perf_event', 56) && !has('kprobe', 56));
});

test('loading a program that calls a helper its type may not use is refused, as the verifier refuses it', () => {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const call = (id: number) => assemble(`r2 = 0\nr3 = r10\nr3 += -8\nr4 = 4\ncall ${id}\nr0 = 0\nexit`);
  assert.throws(() => rt.loadProgram({ type: 6, insns: call(26) }), errno('EINVAL', /insn 4: program of this type cannot use helper bpf_skb_load_bytes#26/));
  // unverified, every call is checked against the type's list (the verifier checks only the paths it takes)
  assert.throws(() => rt.loadProgram({ type: 6, insns: call(26), unverified: true }), errno('EINVAL', /insn 4: program of type xdp cannot use helper bpf_skb_load_bytes#26/));
  assert.throws(() => checkHelperCalls(byName('socket_filter'), call(212)), errno('EINVAL', /unknown helper #212/));
  rt.loadProgram({ type: 3, insns: call(26) });
  rt.loadProgram({ unverified: true, insns: call(26) }); // no type: not checked
  assert.throws(() => rt.loadProgram({ type: 8, insns: assemble('r0 = 0\nexit') }), errno('EINVAL', /program type 8 is not supported \(tsbpf has socket_filter 1, kprobe 2/));
});

test('retval ranges and action names, not enforced (Linux loads an XDP program returning 7)', () => {
  const x = byName('xdp').retval;
  assert.deepEqual(x.range, [0, 4]);
  assert.equal(x.enforced, false);
  assert.equal(x.names?.[1], 'XDP_DROP');
  assert.deepEqual(byName('sched_cls').retval.range, [-1, 8]);
  assert.equal(byName('sched_cls').retval.names?.[2], 'TC_ACT_SHOT');
  assert.equal(byName('socket_filter').retval.range, undefined);
});

test('ptRegs fills a struct pt_regs from UAPI, kernel and PT_REGS_PARMn names', () => {
  const regs = ptRegs({ parm1: 1, si: 2n, rdx: 3, parm4: 4, r8: 5, rc: -1 });
  const dv = new DataView(regs.buffer);
  assert.equal(regs.length, PT_REGS_SIZE);
  assert.deepEqual(['rdi', 'rsi', 'rdx', 'rcx', 'r8'].map((r) => dv.getBigUint64(ptRegOffset(r as 'rdi'), true)), [1n, 2n, 3n, 4n, 5n]);
  assert.equal(dv.getBigUint64(ptRegOffset('rax'), true), 0xffffffffffffffffn);
  assert.equal(ptRegOffset('rdi'), 112);
  assert.equal(ptRegOffset('ss'), 160);
  assert.throws(() => ptRegs({ x9: 1 }), errno('EINVAL', /no register 'x9'/));
});
