import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BpfError } from '../src/errno.js';
import { CollectionSpec, internalMapName, objectName, readCollectionSpec } from '../src/elf/collection.js';
import { formatInsn } from '../src/isa/disasm.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { loadCollection } from '../src/runtime/collection.js';
import { Runtime } from '../src/runtime/runtime.js';
import { buildObject, corpusNames } from './objects/build.js';
import { kernelVerdicts, noKernel } from './btf-helpers.js';
import { encodeBtf } from '../src/btf/encode.js';

/** A kconfig table for the corpus' externs (values chosen here; the test checks they arrive). */
const KCONFIG = { values: { CONFIG_BPF_SYSCALL: 'y', CONFIG_HZ: '250', CONFIG_BPF_JIT: 'm', CONFIG_DEFAULT_HOSTNAME: '"tsbpf"' }, kernelVersion: (6 << 16) | (18 << 8) };

function read(name: string, bigEndian = false): CollectionSpec {
  const path = buildObject(name, { bigEndian });
  return readCollectionSpec(new Uint8Array(readFileSync(path)), { fileName: path, kconfig: KCONFIG });
}

/** llvm-objdump -d: section name → (instruction index → text), labels dropped. */
function objdump(path: string): Map<string, Map<number, string>> {
  const out = execFileSync('llvm-objdump', ['-d', '--no-show-raw-insn', path], { encoding: 'utf8' });
  const sections = new Map<string, Map<number, string>>();
  let current: Map<number, string> | undefined;
  for (const line of out.split('\n')) {
    const sec = /^Disassembly of section (.*):$/.exec(line);
    if (sec) sections.set(sec[1]!, (current = new Map()));
    const ins = /^\s+(\d+):\t(.*)$/.exec(line);
    if (ins && current) current.set(Number(ins[1]), ins[2]!.replace(/\s*<[^>]*>$/, ''));
  }
  return sections;
}

/**
 * The two disassemblers' texts in one spelling: llvm 14 prints decimal
 * immediates and a pseudo call's raw offset (`call 2`); ours, like newer
 * llvm, prints hex compare immediates and `call pc+2`.
 */
function normal(text: string): string {
  // A jump compares with a 32-bit immediate: ours prints it unsigned, as the kernel's log does.
  const compare = text.startsWith('if ');
  return text
    .replace(/\bcall pc([+-]\d+)/, (_, n: string) => `call ${Number(n)}`)
    .replace(/-?0x[0-9a-f]+/g, (h) => {
      const v = h.startsWith('-') ? -parseInt(h.slice(1), 16) : parseInt(h, 16);
      return String(compare ? v | 0 : v);
    });
}

for (const name of corpusNames()) {
  for (const bigEndian of [false, true]) {
    test(`collection: ${name}.c (${bigEndian ? 'bpfeb' : 'bpfel'}) reads, and each function disassembles as llvm-objdump does`, () => {
      const path = buildObject(name, { bigEndian });
      let spec: CollectionSpec;
      try {
        spec = read(name, bigEndian);
      } catch (e) {
        // Objects of features tsbpf does not load must say so precisely.
        assert.ok(e instanceof BpfError, String(e));
        assert.match(e.message, /not supported|unknown/);
        return;
      }
      assert.equal(spec.littleEndian, !bigEndian);
      const theirs = objdump(path);
      for (const p of spec.programs) {
        const relocated = new Set(p.relocations.map((r) => r.insn));
        for (const f of p.functions) {
          const section = theirs.get(f.section);
          assert.ok(section, `llvm-objdump shows section ${f.section}`);
          for (let i = 0; i < f.length; i++) {
            const at = f.at + i;
            const llvm: string | undefined = section.get(f.start + i);
            if (llvm === undefined) continue; // second slot of a lddw
            if (relocated.has(at)) continue; // imm differs by design: bound to a map index or a new call offset
            assert.equal(normal(formatInsn(p.insns, at)), normal(llvm), `${p.name}: ${f.name}+${i} (section ${f.section} insn ${f.start + i})`);
          }
        }
      }
    });
  }
}

test('collection: object and global-data map names follow libbpf', () => {
  assert.equal(objectName('/x/y/test_prog.bpf.o'), 'test_prog');
  // Confirmed with bpftool on Linux 6.18: an object named longobjname gets 'longobjn.rodata'.
  assert.equal(internalMapName('longobjname', '.rodata'), 'longobjn.rodata');
  assert.equal(internalMapName('t', '.bss'), 't.bss');
  assert.equal(internalMapName('globals', '.data.foo'), '.data.foo');
  assert.equal(internalMapName('globals', '.kconfig'), 'globals.kconfig');
});

/** The name libbpf gives global-data section `section` of corpus object `name`. */
function dataMap(name: string, section: string): string {
  return internalMapName(objectName(buildObject(name)), section);
}

test('collection: global data, .rodata flags and .kconfig values', () => {
  const spec = read('globals');
  const byName = new Map(spec.maps.map((m) => [m.name, m]));
  const rodata = byName.get(dataMap('globals', '.rodata'))!;
  assert.ok(rodata, `maps: ${[...byName.keys()].join(', ')}`);
  assert.equal(rodata.freeze, true);
  assert.equal((rodata.flags ?? 0) & 0x80, 0x80, 'BPF_F_RDONLY_PROG');
  const bss = byName.get(dataMap('globals', '.bss'))!;
  assert.ok(bss.data!.every((b) => b === 0));
  const kconfig = byName.get(dataMap('globals', '.kconfig'))!;
  assert.ok(kconfig, 'a .kconfig map');
  // CONFIG_HZ=250 must appear as a 4-byte little-endian int somewhere in the map value.
  const view = new DataView(kconfig.data!.buffer, kconfig.data!.byteOffset, kconfig.data!.byteLength);
  const ints = Array.from({ length: Math.floor(kconfig.data!.length / 4) }, (_, i) => view.getInt32(i * 4, true));
  assert.ok(ints.includes(250), `CONFIG_HZ in ${ints}`);
  assert.ok(new TextDecoder().decode(kconfig.data!).includes('tsbpf'), 'CONFIG_DEFAULT_HOSTNAME');
});

test('collection: a strong .kconfig extern without a value is an error naming it', () => {
  const path = buildObject('globals');
  assert.throws(
    () => readCollectionSpec(new Uint8Array(readFileSync(path)), { fileName: path, kconfig: { values: {} } }),
    (e: unknown) => e instanceof BpfError && /CONFIG_(HZ|BPF_SYSCALL)/.test(e.message) && /__weak/.test(e.message),
  );
});

test('collection: sub-programs are appended once and calls re-targeted', () => {
  const spec = read('subprogs');
  for (const p of spec.programs) {
    const names = p.functions.map((f) => f.name);
    assert.equal(new Set(names).size, names.length, `${p.name}: each function once`);
    assert.equal(p.functions[0]!.name, p.name);
    for (const r of p.relocations.filter((x) => x.kind === 'call' || x.kind === 'func')) {
      const target = r.insn + p.insns[r.insn]!.imm + 1;
      const fn = p.functions.find((f) => f.at === target);
      assert.equal(fn?.name, r.target, `${p.name}: insn ${r.insn} reaches ${r.target}`);
    }
  }
});

test('collection: loading creates the maps, fills global data, freezes .rodata; a failure leaves nothing', () => {
  const spec = read('globals');
  const rt = new Runtime({ helpers: linuxHelpers() });
  const c = loadCollection(rt, spec);
  const rodataName = dataMap('globals', '.rodata');
  const rodata = c.maps.get(rodataName)!;
  assert.throws(() => rt.updateElem(rodata, new Uint8Array(4), new Uint8Array(spec.maps.find((m) => m.name === rodataName)!.valueSize)), /frozen/);
  const dataName = dataMap('globals', '.data');
  const data = spec.maps.find((m) => m.name === dataName)!;
  assert.deepEqual(rt.map(c.maps.get(dataName)!).lookup(new Uint8Array(4)), data.data);

  const before = rt.mapIds().length;
  const broken = { ...spec, programs: [{ ...spec.programs[0]!, type: 9999 }] };
  broken.programs[0]!.sectionDef = undefined;
  assert.throws(() => loadCollection(rt, broken, { programs: [broken.programs[0]!.name] }), BpfError);
  assert.equal(rt.mapIds().length, before, 'maps of the failed load are closed');
});

test('collection: each corpus object\'s BTF, fixed up as libbpf does, passes checkBtf and (where it runs) the kernel\'s BPF_BTF_LOAD', (t) => {
  const names = corpusNames();
  const specs = names.map((n) => read(n));
  for (const [i, spec] of specs.entries()) assert.deepEqual(spec.warnings, [], names[i]);
  if (noKernel) {
    t.diagnostic(`kernel check skipped: ${noKernel}`);
    return;
  }
  const verdicts = kernelVerdicts(specs.map((s) => encodeBtf(s.btf!)));
  verdicts.forEach((v, i) => assert.ok(v.ok, `${names[i]}: the kernel refuses our fixed-up BTF: ${v.errno} ${v.log ?? ''}`));
  t.diagnostic(`${verdicts.length} objects' BTF accepted by BPF_BTF_LOAD`);
});

test('collection: map names longer than the kernel\'s 15 characters are cut as libbpf cuts them; types tsbpf cannot run are skipped with a reason', () => {
  const spec = read('loadonly');
  const long = spec.maps.find((m) => m.name.length > 15);
  assert.ok(long, 'the corpus has a long map name (libbpf\'s usdt maps)');
  const rt = new Runtime({ helpers: linuxHelpers() });
  // libbpf's usdt code calls bpf_get_attach_cookie, which tsbpf lacks: the verifier refuses the
  // program, the whole load fails (as libbpf's does) and leaves no map behind
  assert.throws(() => loadCollection(rt, spec), (e: unknown) => e instanceof BpfError && e.errno === 'EINVAL' && /usdt_setjmp.*bpf_get_attach_cookie#174 is not implemented/s.test(e.message));
  assert.deepEqual(rt.mapIds(), []);
  spec.programs = spec.programs.filter((p) => p.name !== 'usdt_setjmp');
  const c = loadCollection(rt, spec);
  assert.equal(rt.map(c.maps.get(long.name)!).spec.name, long.name.slice(0, 15));
  assert.ok(c.programs.size > 0);
  for (const s of c.skipped) assert.match(s.reason, /cannot be loaded by tsbpf yet|not loaded unless asked|no target BTF/, s.name);
});
