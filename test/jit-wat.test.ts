import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assemble } from '../src/isa/asm.js';
import { formatInsn } from '../src/isa/disasm.js';
import { LDDW } from '../src/isa/opcodes.js';
import { JitEngine } from '../src/vm/jit/engine.js';
import { AddressSpace } from '../src/vm/memory.js';

/**
 * The JIT's module as text (JitEngine.listing, `tsbpf prog dump --jited`):
 * every eBPF instruction's code under a comment with its slot and
 * disassembly, one wasm function per eBPF function, constructs balanced.
 */
const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'tsbpf-wat-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const SOURCE = [
  'r0 = 0x123456789 ll',
  'r1 = 3',
  'call pc+4', // local call: the function at slot 8 (the lddw takes slots 0 and 1)
  'r0 += r1',
  'if r0 > 10 goto +1',
  'r0 = *(u8 *)(r10 - 1)',
  'exit',
  'r0 = r1',
  'r0 *= 7',
  'exit',
].join('\n');

test('listing: each instruction once, in order, under its disassembly; a function per eBPF function; balanced constructs', () => {
  const insns = assemble(SOURCE);
  for (const verified of [false, true]) {
    const { text, ranges } = new JitEngine(insns, { space: new AddressSpace(), verified }).listing();
    const slots = insns.flatMap((_ins, i) => (i > 0 && insns[i - 1]!.code === LDDW ? [] : [i]));
    assert.deepEqual(ranges.map((r) => r.pc), slots);
    const lines = text.split('\n');
    for (const r of ranges) {
      assert.equal(lines[r.first - 2]!.trim(), `;; ${r.pc}: ${formatInsn(insns, r.pc)}`);
      assert.ok(r.last >= r.first, `slot ${r.pc} has code`);
    }
    assert.match(text, /\(func \$bpf_0 /);
    assert.match(text, /\(func \$bpf_8 /);
    assert.match(text, /call \$bpf_8/);
    // trusted code is entered at its main function (entry.ts), checked code through a wrapper that sets up the run
    assert.match(text, verified ? /\(export "run" \(func \$bpf_0\)\)/ : /\(export "run" \(func \$run\)\)/);
    const opens = lines.filter((l) => /^\s*(block|loop|if)\b/.test(l)).length;
    const ends = lines.filter((l) => /^\s*end$/.test(l)).length;
    assert.equal(opens, ends);
  }
});

test('tsbpf prog dump --jited: text and --json, trusted or checked; errors name the file', () => {
  const file = path.join(tmp, 'p.s');
  writeFileSync(file, SOURCE);
  const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, 'prog', 'dump', '--jited', ...args], { encoding: 'utf8' });
  const text = run(file);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^;; .*p\.s: 11 insns, checked code\n\(module\n/);
  assert.match(text.stdout, /;; 4: r0 \+= r1\n/);
  const json = run(file, '--json', '--trusted');
  assert.equal(json.status, 0, json.stderr);
  const [listing] = JSON.parse(json.stdout) as { mode: string; wat: string; ranges: { pc: number }[] }[];
  assert.equal(listing!.mode, 'trusted');
  assert.ok(!/call \$(miss|trap)/.test(listing!.wat), 'no checks in trusted code');
  assert.equal(listing!.ranges.length, 10);
  const missing = run(path.join(tmp, 'none.s'));
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /none\.s.*ENOENT/);
});
