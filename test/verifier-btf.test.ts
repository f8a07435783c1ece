import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { BtfBuilder } from '../src/btf/builder.js';
import { parseBtf } from '../src/btf/parse.js';
import { applyCoreRelocations } from '../src/btf/core.js';
import { readCollectionSpec } from '../src/elf/collection.js';
import { assemble } from '../src/isa/asm.js';
import { CtxBtf, tracepointArgs, verify } from '../src/verifier/index.js';
import { comparableLog } from './verifier-diff.js';
import { errorLine } from './verifier-suite-run.js';

/**
 * Tracing with types (PTR_TO_BTF_ID): tp_btf contexts of typed u64
 * arguments, loads through pointers to BTF structs (a->b->c), the trust
 * Linux gives each pointer, contexts that are BTF structs; then clang-built
 * tp_btf programs against the running kernel, which must give the same
 * verdict, error line, processed count and log.
 */

// struct task { int pid; int tgid; struct task *parent; char comm[16];
//               struct inner { long a; long b; } in; struct task __rcu *leader; unsigned flags:3; }
function demoBtf(safeRcu = false) {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const long = b.int('long', 8, { signed: true });
  const char = b.int('char', 1, { char: true });
  const uint = b.int('unsigned int', 4);
  // ids are given in order: the struct comes tenth, after what it is made of
  const TASK = 10;
  const taskPtr = b.ptr(TASK);
  const comm = b.array(char, 16, int);
  const inner = b.struct('inner', [{ name: 'a', type: long }, { name: 'b', type: long }]);
  const rcuTask = b.ptr(b.typeTag('rcu', TASK));
  const task = b.struct('task', [
    { name: 'pid', type: int },
    { name: 'tgid', type: int },
    { name: 'parent', type: taskPtr },
    { name: 'comm', type: comm },
    { name: 'in', type: inner },
    { name: 'leader', type: rcuTask },
    { name: 'flags', type: uint, bitfieldSize: 3 },
  ]);
  assert.equal(task, TASK);
  if (safeRcu) b.struct('task__safe_rcu', [{ name: 'parent', type: taskPtr }]);
  const voidPtr = b.ptr(0);
  b.funcProto(0, [voidPtr, int, taskPtr]);
  return { btf: parseBtf(b.encode()), int, task, taskPtr };
}

const { btf, int, task, taskPtr } = demoBtf();
const args: CtxBtf = { btf, args: [int, taskPtr], func: 'demo' };

function run(text: string, ctxBtf: CtxBtf = args, more: { privileged?: boolean; logLevel?: number } = {}) {
  return verify({ insns: assemble(text) }, { progType: 'raw_tracepoint', ctxBtf, logLevel: 1, ...more });
}

test('layout of the demo struct (the offsets the cases below use)', () => {
  const t = btf.typeOf(task, 'struct');
  assert.deepEqual(t.members.map((m) => [m.name, m.bitOffset / 8]), [['pid', 0], ['tgid', 4], ['parent', 8], ['comm', 16], ['in', 32], ['leader', 48], ['flags', 56]]);
  assert.equal(t.size, 64);
  assert.equal(btf.typeOf(taskPtr, 'ptr').type, task);
});

test('a->b->c: a trusted argument, plain pointers from its members, scalars from its fields; loads marked as probe reads', () => {
  const r = run('r2 = *(u64 *)(r1 + 8)\nr2 = *(u64 *)(r2 + 8)\nr3 = *(u64 *)(r2 + 8)\nr0 = *(u32 *)(r3 + 4)\nr4 = *(u8 *)(r2 + 19)\nr5 = *(u64 *)(r3 + 40)\nexit', args, { logLevel: 2 });
  assert.equal(r.accepted, true, r.log);
  assert.deepEqual(r.probeLoads, [1, 2, 3, 4, 5]);
  assert.ok(r.log.includes(`\nfunc 'demo' arg1 has btf_id ${task} type STRUCT 'task'\n1: R1=ctx() R2=trusted_ptr_task()\n`), r.log);
  assert.match(r.log, /; R2=ptr_task\(\)\n/);
  assert.match(r.log, /R0=scalar\(smin=0,smax=umax=0xffffffff,var_off=\(0x0; 0xffffffff\)\)/);
});

test('trust: __rcu members may be NULL until checked; a member Linux lists as safe (<struct>__safe_rcu) is not', () => {
  const bad = run('r2 = *(u64 *)(r1 + 8)\nr3 = *(u64 *)(r2 + 48)\nr0 = *(u32 *)(r3 + 0)\nexit');
  assert.equal(bad.error?.message, "R3 invalid mem access 'rcu_ptr_or_null_'");
  const ok = run('r2 = *(u64 *)(r1 + 8)\nr3 = *(u64 *)(r2 + 48)\nr0 = 0\nif r3 == 0 goto +1\nr0 = *(u32 *)(r3 + 0)\nexit');
  assert.equal(ok.accepted, true, ok.log);
  const listed = demoBtf(true);
  const r = run('r2 = *(u64 *)(r1 + 8)\nr3 = *(u64 *)(r2 + 8)\nr0 = *(u32 *)(r3 + 0)\nr4 = *(u64 *)(r3 + 8)\nexit', { btf: listed.btf, args: [listed.int, listed.taskPtr], func: 'demo' }, { logLevel: 2 });
  assert.equal(r.accepted, true, r.log);
  assert.match(r.log, /R3=rcu_ptr_task\(\)/);
  // the list holds for the RCU pointer too
  assert.match(r.log, /R4=rcu_ptr_task\(\)/);
});

test('a trusted pointer is never NULL: the == 0 branch is dead; a plain one may be', () => {
  const dead = run('r2 = *(u64 *)(r1 + 8)\nif r2 == 0 goto +2\nr0 = 0\nexit\nr0 = *(u64 *)(r1 + 0)\nr0 = *(u64 *)(r0 + 0)\nexit');
  assert.equal(dead.accepted, true, dead.log);
  const live = run('r2 = *(u64 *)(r1 + 8)\nr2 = *(u64 *)(r2 + 8)\nif r2 == 0 goto +2\nr0 = 0\nexit\nr0 = *(u64 *)(r1 + 0)\nr0 = *(u64 *)(r0 + 0)\nexit');
  assert.equal(live.error?.message, "R0 invalid mem access 'scalar'");
});

test('unsafe accesses through a BTF pointer, with Linux\'s messages', () => {
  const P = 'r2 = *(u64 *)(r1 + 8)\n';
  const cases: [string, string][] = [
    [`${P}r0 = *(u32 *)(r2 + 64)\nexit`, 'access beyond struct task at off 64 size 4'],
    [`${P}r0 = *(u64 *)(r2 + 2)\nexit`, 'access beyond the end of member pid (mend:4) in struct task with off 2 size 8'],
    [`${P}r0 = *(u32 *)(r2 + 12)\nexit`, 'cannot access ptr member parent with moff 8 in struct task with off 12 size 4'],
    [`${P}r0 = *(u64 *)(r2 + 28)\nexit`, 'access beyond the end of member comm (mend:32) in struct task with off 28 size 8'],
    [`${P}r0 = *(u64 *)(r2 + 36)\nexit`, 'access beyond the end of member a (mend:8) in struct inner with off 4 size 8'],
    [`${P}r0 = *(u32 *)(r2 - 4)\nexit`, 'R2 is ptr_task invalid negative access: off=-4'],
    [`${P}r3 = *(u64 *)(r1 + 0)\nr3 &= 4\nr2 += r3\nr0 = *(u32 *)(r2 + 0)\nexit`, 'R2 is ptr_task invalid variable offset: off=0, var_off=(0x0; 0x4)'],
    [`${P}r3 = 1\n*(u32 *)(r2 + 0) = r3\nr0 = 0\nexit`, 'only read is supported'],
  ];
  for (const [text, message] of cases) {
    const r = run(text);
    assert.equal(r.error?.message, message, text);
    assert.equal(r.error?.errno, 'EACCES', text);
  }
  // the bitfield at bit 448 is read whole by a one-byte load at 56
  assert.equal(run(`${P}r0 = *(u8 *)(r2 + 56)\nexit`).accepted, true);
  const unpriv = run(`${P}r0 = *(u32 *)(r2 + 0)\nexit`, args, { privileged: false });
  assert.equal(unpriv.error?.message, "'struct task' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN");
  assert.equal(unpriv.error?.errno, 'EPERM');
  const proprietary = verify({ insns: assemble(`${P}r0 = *(u32 *)(r2 + 0)\nexit`), license: 'Proprietary' }, { progType: 'raw_tracepoint', ctxBtf: args });
  assert.equal(proprietary.error?.message, "Cannot access kernel 'struct task' from non-GPL compatible program");
  assert.equal(proprietary.error?.errno, 'EINVAL');
});

test('the context of typed arguments: which argument, its size, read-only', () => {
  const cases: [string, string[]][] = [
    ['r0 = *(u32 *)(r1 + 8)\nexit', ["func 'demo' size 4 must be 8", 'invalid bpf_context access off=8 size=4']],
    ['r0 = *(u64 *)(r1 + 4)\nexit', ['invalid bpf_context access off=4 size=8']],
    ['r0 = *(u64 *)(r1 + 16)\nexit', ["func 'demo' doesn't have 3-th argument", 'invalid bpf_context access off=16 size=8']],
    ['r0 = *(u64 *)(r1 + 24)\nexit', ["func 'demo' doesn't have 5-th argument", 'invalid bpf_context access off=24 size=8']],
    ['r2 = 0\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit', ['invalid bpf_context access off=0 size=8']],
  ];
  for (const [text, lines] of cases) {
    const r = run(text);
    assert.equal(r.error?.message, lines[lines.length - 1], text);
    assert.ok(r.log.includes(`${lines.join('\n')}\n`), r.log);
  }
  // the int argument is a number, at any size
  assert.equal(run('r0 = *(u32 *)(r1 + 0)\nexit').accepted, true);
});

test('a context that is a BTF struct: its members, read-only; pointers in it are trusted', () => {
  const ctxStruct: CtxBtf = { btf, struct: task };
  assert.equal(run('r0 = *(u32 *)(r1 + 4)\nexit', ctxStruct).accepted, true);
  const r = run('r2 = *(u64 *)(r1 + 8)\nr0 = *(u32 *)(r2 + 0)\nexit', ctxStruct, { logLevel: 2 });
  assert.equal(r.accepted, true, r.log);
  assert.match(r.log, /R2=trusted_ptr_task\(\)/);
  assert.deepEqual(r.probeLoads, [1]);
  assert.equal(run('r0 = *(u32 *)(r1 + 64)\nexit', ctxStruct).error?.message, 'access beyond struct task at off 64 size 4');
  assert.equal(run('r2 = 0\n*(u32 *)(r1 + 0) = r2\nr0 = 0\nexit', ctxStruct).error?.message, 'invalid bpf_context access off=0 size=4');
});

test('random structs and loads: never a crash, and an accepted load stays inside the struct', () => {
  type M = 'i1' | 'i2' | 'i4' | 'i8' | 'arr' | 'ptr' | 'inner';
  const arbMembers = fc.array(fc.constantFrom<M>('i1', 'i2', 'i4', 'i8', 'arr', 'ptr', 'inner'), { minLength: 1, maxLength: 8 });
  const arbLoad = fc.record({ off: fc.integer({ min: -8, max: 120 }), size: fc.constantFrom(1, 2, 4, 8) });
  fc.assert(
    fc.property(arbMembers, arbLoad, (kinds, { off, size }) => {
      const b = new BtfBuilder();
      const ints = { i1: b.int('char', 1), i2: b.int('short', 2), i4: b.int('int', 4), i8: b.int('long', 8) };
      const arr = b.array(ints.i1, 5, ints.i4);
      const inner = b.struct('inner', [{ name: 'a', type: ints.i8 }, { name: 'b', type: ints.i4 }]);
      const S = inner + 2;
      const ptr = b.ptr(S);
      const types = { ...ints, arr, ptr, inner };
      assert.equal(b.struct('s', kinds.map((k, i) => ({ name: `m${i}`, type: types[k] }))), S);
      const btf = parseBtf(b.encode());
      const size8 = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' }[size];
      const r = run(`r2 = *(u64 *)(r1 + 8)\nr0 = *(${size8} *)(r2 ${off < 0 ? '-' : '+'} ${Math.abs(off)})\nexit`, { btf, args: [ints.i4, ptr], func: 'f' });
      if (r.accepted) {
        const total = btf.typeOf(S, 'struct').size;
        assert.ok(off >= 0 && off + size <= total, `accepted ${size} bytes at ${off} of a ${total}-byte struct`);
        assert.deepEqual(r.probeLoads, [1]);
      } else {
        assert.equal(r.error?.insn, 1, r.log);
      }
    }),
    { numRuns: 300, seed: 5 },
  );
});

test('a context description naming types the BTF lacks is refused before verification', () => {
  const r = run('r0 = 0\nexit', { btf, args: [999] });
  assert.equal(r.accepted, false);
  assert.equal(r.error?.errno, 'EINVAL');
  assert.match(r.error!.message, /^ctxBtf: argument 0 \(type \[999\]\)/);
  assert.match(run('r0 = 0\nexit', { btf, struct: int }).error!.message, /not a struct/);
});

test('tracepointArgs reads btf_trace_NAME, without its void *__data', () => {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const proto = b.funcProto(0, [b.ptr(0), int, int]);
  b.typedef('btf_trace_demo', b.ptr(proto));
  const got = tracepointArgs(parseBtf(b.encode()), 'demo');
  assert.deepEqual(got.args, [int, int]);
  assert.throws(() => tracepointArgs(got.btf, 'nope'), /btf_trace_nope/);
});

// ---------------------------------------------------------------- against the running kernel

const SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/verifier-btf/tp_btf.c');
const ORACLE = path.resolve(process.cwd(), '../shared/tools/kernel-oracle.py');
const VMLINUX = '/sys/kernel/btf/vmlinux';

function kernelUnavailable(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs Linux and root';
  if (!existsSync(ORACLE)) return `${ORACLE} not found`;
  if (!existsSync(VMLINUX)) return `${VMLINUX} not found`;
  const release = execFileSync('uname', ['-r']).toString().trim();
  if (!release.startsWith('6.18') && !process.env.TSBPF_VSUITE_ANY_KERNEL) return `kernel ${release}, not 6.18`;
  try {
    execFileSync('clang', ['--version'], { stdio: 'pipe' });
  } catch {
    return 'clang not found';
  }
  return undefined;
}

interface KernelRecord {
  prog_name: string;
  accepted: boolean;
  errno: number;
  insns_processed: number | null;
  error_line: string | null;
  log_file?: string;
}

test('clang-built tp_btf programs: the kernel and tsbpf agree on verdict, error line, processed count and log', { skip: kernelUnavailable() }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsbpf-btf-'));
  const obj = path.join(dir, 'tp_btf.o');
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-c', SOURCE, '-o', obj], { stdio: 'pipe' });
  const out = execFileSync('python3', [ORACLE, 'elf', obj, '--log-level', '1', '--log-dir', dir], { stdio: 'pipe', maxBuffer: 64 << 20 }).toString();
  const kernel = out.trim().split('\n').map((l) => JSON.parse(l) as KernelRecord);
  const spec = readCollectionSpec(readFileSync(obj), { fileName: 'tp_btf.o' });
  const vmlinux = parseBtf(readFileSync(VMLINUX));
  let accepted = 0;
  for (const k of kernel) {
    const p = spec.programs.find((x) => x.name === k.prog_name)!;
    const insns = p.coreRelos.length ? applyCoreRelocations(p.insns, p.coreRelos, spec.btf!, vmlinux).insns : p.insns;
    const ours = verify({ ...p, insns }, { progType: 'raw_tracepoint', ctxBtf: tracepointArgs(vmlinux, p.section.slice('tp_btf/'.length)), lineInfo: p.lineInfo, mapsByIndex: spec.maps, logLevel: 1 });
    assert.equal(ours.accepted, k.accepted, `${k.prog_name}: ${ours.log}`);
    assert.equal(ours.insnsProcessed, k.insns_processed, k.prog_name);
    if (k.accepted) {
      accepted++;
      continue;
    }
    assert.equal(errorLine(ours.log), k.error_line, k.prog_name);
    assert.ok(k.log_file && existsSync(k.log_file), `${k.prog_name}: the oracle wrote no log`);
    assert.equal(comparableLog(ours.log), comparableLog(readFileSync(k.log_file, 'utf8')).replace(/^(verification time|stack depth).*\n/gm, ''), k.prog_name);
  }
  assert.ok(accepted >= 7 && kernel.length - accepted >= 12, `${accepted} accepted of ${kernel.length}`);
});
