import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble } from '../src/isa/asm.js';
import { MapType } from '../src/maps/map.js';
import { verify } from '../src/verifier/index.js';

/**
 * The verifier's interface: what verify() returns, how the environment
 * names maps, privilege, limits, line info and log levels. The expected
 * messages are the kernel's (Linux 6.18 gave them for the same programs
 * through ../shared/tools/kernel-oracle.py).
 */

const xdp = (text: string) => ({ insns: assemble(text), type: 6 });
const HASH = { type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16 };

const LOOKUP = `
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
r0 = *(u64 *)(r0 + 0)
exit`;

test('an accepted program: processed count, stats, empty error', () => {
  const r = verify(xdp('r0 = 2\nexit'));
  assert.equal(r.accepted, true);
  assert.equal(r.error, undefined);
  assert.equal(r.insnsProcessed, 2);
  assert.deepEqual(r.stats.stackDepth, [0]);
  // level 1 keeps only the summary of an accepted program, as Linux does
  assert.equal(r.log, 'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n');
});

test('a rejection: the instruction, the kernel\'s message and errno, the state there and a fix', () => {
  const r = verify(xdp(LOOKUP), { mapsByIndex: [HASH] });
  assert.equal(r.accepted, false);
  assert.equal(r.error?.insn, 7);
  assert.equal(r.error?.message, "R0 invalid mem access 'map_value_or_null'");
  assert.equal(r.error?.errno, 'EACCES');
  assert.match(r.error!.state!, /R0=map_value_or_null\(id=1,ks=4,vs=8\)/);
  assert.match(r.error!.hint!, /NULL/);
  assert.match(r.log, /7: \(79\) r0 = \*\(u64 \*\)\(r0 \+0\)\nR0 invalid mem access 'map_value_or_null'\n/);
});

test('maps by id (lddw src 1) or by index (src 5), and through the spec\'s map list', () => {
  const byFd = assemble(LOOKUP.replace('map[idx:0]', 'map[fd:7]'));
  const r1 = verify({ insns: byFd, type: 6 }, { mapsById: new Map([[7, HASH]]) });
  assert.equal(r1.error?.message, "R0 invalid mem access 'map_value_or_null'");
  const r2 = verify({ insns: assemble(LOOKUP), type: 6, maps: [7] }, { mapsById: (id) => (id === 7 ? HASH : undefined) });
  assert.equal(r2.error?.message, "R0 invalid mem access 'map_value_or_null'");
  const missing = verify({ insns: byFd, type: 6 }, { mapsById: new Map() });
  assert.equal(missing.error?.message, 'fd 7 is not pointing to valid bpf_map');
  assert.equal(missing.error?.errno, 'EBADF');
  assert.equal(missing.error?.insn, -1);
});

test('privileged (default) and unprivileged rules differ', () => {
  const leak = xdp('r0 = r10\nexit');
  assert.equal(verify(leak).accepted, true);
  const r = verify(leak, { privileged: false });
  assert.equal(r.error?.message, 'R0 leaks addr as return value');
  const loop = xdp('r0 = 0\nl: r0 += 1\nif r0 < 3 goto l\nexit');
  assert.equal(verify(loop).accepted, true);
  assert.equal(verify(loop, { privileged: false }).error?.message, 'back-edge from insn 2 to 1');
});

test('the processed-instruction limit', () => {
  const r = verify(xdp('r0 = 0\nl: r0 += 1\nif r0 < 1000 goto l\nexit'), { insnLimit: 100, logLevel: 0 });
  assert.equal(r.error?.message, 'BPF program is too large. Processed 101 insn');
  assert.equal(r.error?.errno, 'E2BIG');
  assert.equal(r.log, '');
});

test('line info names the C source line of the rejected instruction, and the log shows it', () => {
  const insns = assemble('r0 = 0\nr0 += r2\nexit');
  const lineInfo = [
    { insn: 0, fileName: '/src/prog.c', line: '  int x = 0;', lineNum: 3, column: 2 },
    { insn: 1, fileName: '/src/prog.c', line: '  return x + y;', lineNum: 4, column: 2 },
  ];
  const r = verify({ insns, type: 6 }, { lineInfo });
  assert.equal(r.error?.line, 'prog.c:4');
  assert.equal(r.error?.source, 'return x + y;');
  assert.match(r.log, /; return x \+ y; @ prog\.c:4\n1: \(0f\) r0 \+= r2\nR2 !read_ok\n/);
});

test('callbacks need BTF func info, as in Linux', () => {
  const prog = xdp(`
r1 = 4
r2 = func[pc+6] ll
r3 = 0
r4 = 0
call 181
r0 = 2
exit
r0 = 0
exit`);
  assert.equal(verify(prog).error?.message, 'missing btf func_info');
  assert.equal(verify(prog, { funcInfo: true }).accepted, true);
});

test('a callback must return 0 or 1', () => {
  const prog = xdp(`
r1 = 4
r2 = func[pc+6] ll
r3 = 0
r4 = 0
call 181
r0 = 2
exit
r0 = 2
exit`);
  assert.equal(verify(prog, { funcInfo: true }).error?.message, 'At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]');
});

test('a program type is required', () => {
  const r = verify({ insns: assemble('r0 = 0\nexit') });
  assert.equal(r.accepted, false);
  assert.match(r.error!.message, /unknown program type/);
});

test('log level 2 prints every path, the branch states and pruning', () => {
  const r = verify(xdp('r0 = 0\nr2 = *(u32 *)(r1 + 0)\nif r2 == 0 goto +1\nr0 = 1\nexit'), { logLevel: 2 });
  assert.equal(r.accepted, true);
  assert.match(r.log, /\nfrom 2 to 4: /);
  assert.match(r.log, /^0: R1=ctx\(\) R10=fp0\n0: \(b7\) r0 = 0 {24};/);
});
