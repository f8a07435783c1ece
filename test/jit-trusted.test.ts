import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { linuxHelpers } from '../src/helpers/linux.js';
import { HelperRegistry } from '../src/helpers/registry.js';
import { assemble } from '../src/isa/asm.js';
import { Insn } from '../src/isa/instruction.js';
import { programType } from '../src/progtypes/index.js';
import { engineTestHost } from '../src/runtime/engine-host.js';
import { portableHost } from '../src/runtime/host.js';
import { Runtime } from '../src/runtime/runtime.js';
import { MapType } from '../src/maps/map.js';
import { verify } from '../src/verifier/index.js';
import { EngineInstance, execute } from '../src/vm/execute.js';
import { Interpreter } from '../src/vm/interpreter.js';
import { JitEngine } from '../src/vm/jit/engine.js';
import { AddressSpace } from '../src/vm/memory.js';
import { GEN_MAPS, Rng, randomProgram } from './verifier-gen.js';

/**
 * The JIT's trusted mode (JitOptions.verified): programs the verifier
 * accepts, compiled without region checks or budget, give what the checked
 * interpreter gives — r0, the packet and every map byte — on random XDP
 * programs of verifier-gen.ts (scalar bounds, branches, spills, map values,
 * packets, ring buffers, calls, loops) with random packets and map contents.
 * The trusted side knows the Runtime's maps, so its array lookups compile
 * inline (BpfMap.inlineLookup).
 */
const WANT = 1000;
/** verified programs run unbudgeted, as in Linux */
const UNBUDGETED = Number.MAX_SAFE_INTEGER;
/** BPF_JMP | BPF_JCOND: a may_goto loop may take its 8M iterations, seconds in the interpreter (test/verifier-soundness covers them) */
const MAY_GOTO = 0xe5;
const linuxRegistry = new HelperRegistry(linuxHelpers());

interface Side {
  rt: Runtime;
  array: number;
  run: (data: Uint8Array) => { retval: number; dataOut?: Uint8Array };
}

/** A Runtime with the generator's maps and the program on engine `make` (the same allocations on both sides, so the same addresses). */
function side(insns: readonly Insn[], seed: number, make: (insns: readonly Insn[], rt: Runtime) => EngineInstance): Side {
  // the same bpf_get_prandom_u32 sequence on both sides
  const random = new Rng(seed);
  const rt = new Runtime({ helpers: linuxHelpers(), host: { ...portableHost(), randomU32: () => random.next() } });
  const ids = GEN_MAPS.map((m) => rt.createMap(m));
  const prog = rt.loadProgram({ insns, type: 6, maps: ids, engine: 'interp' });
  const host = engineTestHost(rt, make(prog.insns, rt), () => 0n);
  const xdp = programType('xdp')!;
  return { rt, array: ids[0]!, run: (data) => xdp.testRun!(host, { data }) };
}

const mapBytes = (rt: Runtime): Uint8Array[] => rt.mapRegions().map((r) => rt.space.bytes.slice(r.start, r.end));

function randomBytes(r: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => r.int(0, 255));
}

test(`trusted JIT = interpreter on ${WANT} verifier-accepted random programs (r0, packet, map bytes)`, () => {
  let accepted = 0;
  for (let seed = 1; accepted < WANT; seed++) {
    const insns = assemble(randomProgram(seed));
    if (insns.some((i) => i.code === MAY_GOTO)) continue;
    if (!verify({ insns, type: 6 }, { mapsByIndex: GEN_MAPS, logLevel: 0 }).accepted) continue;
    accepted++;
    const interp = side(insns, seed, (i, rt) => new Interpreter(i, { space: rt.space, helpers: rt.helpers, budget: UNBUDGETED }));
    const jit = side(insns, seed, (i, rt) => new JitEngine(i, { space: rt.space, helpers: rt.helpers, verified: true, mapAt: (ptr) => rt.mapAt(ptr) }));
    const rng = new Rng(seed * 7919);
    for (let run = 0; run < 3; run++) {
      const values = Array.from({ length: GEN_MAPS[0]!.maxEntries }, () => randomBytes(rng, GEN_MAPS[0]!.valueSize));
      for (const s of [interp, jit]) values.forEach((v, k) => s.rt.map(s.array).update(Uint8Array.of(k, 0, 0, 0), v));
      const data = randomBytes(rng, rng.int(14, 80));
      const want = interp.run(data);
      const got = jit.run(data);
      const what = `seed ${seed}, run ${run}:\n${randomProgram(seed)}`;
      assert.equal(got.retval, want.retval, what);
      assert.deepEqual(got.dataOut, want.dataOut, what);
      assert.deepEqual(mapBytes(jit.rt), mapBytes(interp.rt), what);
    }
  }
});

test('trusted code has no region checks, budget or depth checks: only WebAssembly\'s own bounds remain', () => {
  const insns = assemble('r0 = *(u64 *)(r1 + 8)\nr1 = *(u8 *)(r10 - 1)\ncall 1\nif r0 > 3 goto -4\nexit');
  const wat = (verified: boolean): string => new JitEngine(insns, { space: new AddressSpace(), helpers: linuxRegistry, verified }).listing().text;
  const checks = /call \$(miss|trap)/g;
  assert.equal(wat(false).match(checks)?.length, 2 + 1); // a miss path per load, the budget at the taken jump
  assert.equal(wat(true).match(checks), null);
  // what the checks would have caught is now the program's business: a read of an unmapped but existing address works
  const space = new AddressSpace();
  const vm = new JitEngine(assemble('r0 = *(u64 *)(r1 + 0)\nexit'), { space, verified: true });
  const probe = BigInt(space.alloc(8));
  assert.equal(vm.run([probe], []), 0n);
  assert.throws(() => new JitEngine(assemble('r0 = *(u64 *)(r1 + 0)\nexit'), { space }).run([probe], []), /EFAULT|invalid read/);
  // and past the memory, WebAssembly traps
  assert.throws(() => vm.run([0xfffffff0n], []), WebAssembly.RuntimeError);
});

test('the benchmark kernels give the same r0 trusted and checked', () => {
  const dir = path.resolve(process.cwd(), 'bench/kernels');
  const shared = path.resolve(process.cwd(), '../shared/bench');
  for (const [k, input] of [['sum64', 'buf4k.bin'], ['fnv1a', 'buf4k.bin'], ['parse', 'pkt64.bin'], ['xorshift', 'xs64.bin']] as const) {
    const insns = assemble(readFileSync(path.join(dir, `${k}.s`), 'utf8'));
    const mem = new Uint8Array(readFileSync(path.join(shared, input)));
    const space = new AddressSpace();
    const region = space.map(mem, 'mem');
    const vm = new JitEngine(insns, { space, verified: true });
    assert.equal(vm.run([BigInt(region.start), BigInt(mem.length)], [region]), execute(insns, { mem, engine: 'interp', budget: 50_000_000 }).r0, k);
  }
});

test('map_lookup_elem through its numeric form (trusted) finds what the interpreter finds, in hash maps of 4- and 8-byte keys', () => {
  for (const keySize of [4, 8]) {
    const rt = new Runtime({ helpers: linuxHelpers() });
    const map = rt.createMap({ type: MapType.HASH, keySize, valueSize: 8, maxEntries: 16 });
    const present = [0, 1, 0xfffffffe, 0xffffffff].map((k) => Uint8Array.from({ length: keySize }, (_, i) => (i < 4 ? (k >>> (8 * i)) & 0xff : i)));
    present.forEach((k, i) => rt.updateElem(map, k, new Uint8Array(new BigUint64Array([BigInt(i + 1)]).buffer)));
    // r0 = the value at the key stored at ctx + 8 (0 when missing; a tracepoint may not read its first 8 bytes): copy the key to the stack, look it up
    const copy = Array.from({ length: keySize / 4 }, (_, w) => `r2 = *(u32 *)(r1 + ${8 + 4 * w})\n*(u32 *)(r10 - ${keySize - 4 * w}) = r2`).join('\n');
    // loading verifies it (as a tracepoint program) and binds the map
    const { insns } = rt.loadProgram({ type: 5, insns: assemble(`${copy}\nr1 = map[fd:${map}] ll\nr2 = r10\nr2 += -${keySize}\ncall 1\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 0)\nexit`) });
    const ctx = rt.space.alloc(16);
    const region = { start: ctx, end: ctx + 16, writable: false, name: 'ctx' };
    const jit = new JitEngine(insns, { space: rt.space, helpers: rt.helpers, verified: true });
    const engines = [new Interpreter(insns, { space: rt.space, helpers: rt.helpers }), jit];
    const absent = Uint8Array.from({ length: keySize }, (_, i) => 0x5a + i);
    [...present, absent].forEach((key, i) => {
      rt.space.bytes.set(key, ctx + 8);
      const [interp, got] = engines.map((e) => {
        e.runCtx(ctx, [region, ...rt.mapRegions()], { kernel: rt.kernelEnv() });
        return e.lastR0();
      });
      const stored = i < present.length ? BigInt(i + 1) : 0n;
      assert.equal(interp, stored, `interpreter, key ${key}`);
      assert.equal(got, stored, `trusted JIT, key ${key}`);
    });
    assert.ok(jit.listing().text.includes('(param i32 i32 i32) (result i32)'), 'the trusted module imports the numeric form');
  }
});

test('runCtx gives r0\'s low 32 bits and lastR0() the whole r0, on every engine', () => {
  const space = new AddressSpace();
  const ctx = space.alloc(8);
  const insns = assemble('r0 = 0x89abcdef01234567 ll\nexit');
  const engines = [new Interpreter(insns, { space }), new JitEngine(insns, { space }), new JitEngine(insns, { space, verified: true })];
  for (const e of engines) {
    assert.equal(e.runCtx(ctx, []), 0x01234567);
    assert.equal(e.lastR0(), 0x89abcdef01234567n);
  }
});

test('a verified lookup in an array or hash map compiles inline (no call), one in a per-CPU array, an LRU hash or a hash of 65-byte keys calls the helper', () => {
  const rt = new Runtime({ helpers: linuxHelpers(), cpus: 2 });
  // the key: 72 zero bytes below r10
  const zeroKey = Array.from({ length: 9 }, (_, k) => `*(u64 *)(r10 - ${8 * (k + 1)}) = 0`).join('\n');
  const lookup = (map: number): JitEngine => {
    const { insns } = rt.loadProgram({ type: 6, insns: assemble(`${zeroKey}\nr1 = map[fd:${map}] ll\nr2 = r10\nr2 += -72\ncall 1\nr0 = 0\nexit`) });
    return new JitEngine(insns, { space: rt.space, helpers: rt.helpers, verified: true, mapAt: (ptr) => rt.mapAt(ptr) });
  };
  const imports = (e: JitEngine): number => (e.listing().text.match(/\(import "env" "helper1"/g) ?? []).length;
  assert.equal(imports(lookup(rt.createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }))), 0);
  assert.equal(imports(lookup(rt.createMap({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }))), 1);
  assert.equal(imports(lookup(rt.createMap({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 }))), 0);
  assert.equal(imports(lookup(rt.createMap({ type: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 4 }))), 1);
  assert.equal(imports(lookup(rt.createMap({ type: MapType.HASH, keySize: 65, valueSize: 8, maxEntries: 4 }))), 1);
});

test('probe_read_kernel_str through its numeric form (trusted) gives what the interpreter gives, for unsafe pointers of 2^32 and more too', () => {
  const rt = new Runtime({ helpers: linuxHelpers() });
  // r0 = the first 4 bytes of the 16-byte destination (filled with 'A' before) << 32 | the helper's result as a u32
  const { insns } = rt.loadProgram({
    type: 5,
    insns: assemble(`
      r3 = *(u64 *)(r1 + 8)
      r2 = 0x4141414141414141 ll
      *(u64 *)(r10 - 16) = r2
      *(u64 *)(r10 - 8) = r2
      r1 = r10
      r1 += -16
      r2 = 16
      call 115
      w0 = w0
      r7 = *(u32 *)(r10 - 16)
      r7 <<= 32
      r0 |= r7
      exit`),
  });
  const ctx = rt.space.alloc(32);
  const region = { start: ctx, end: ctx + 32, writable: false, name: 'ctx' };
  rt.space.bytes.set(new TextEncoder().encode('hi!\0'), ctx + 16);
  const jit = new JitEngine(insns, { space: rt.space, helpers: rt.helpers, verified: true });
  const engines = [new Interpreter(insns, { space: rt.space, helpers: rt.helpers }), jit];
  const str = BigInt(ctx + 16);
  for (const src of [str, str + 2n, str + (1n << 32n), 0xffffffffn, 0x1_0000_0000n, 0xffffffffffffffffn, 8n]) {
    new DataView(rt.space.bytes.buffer).setBigUint64(ctx + 8, src, true);
    const [interp, got] = engines.map((e) => {
      e.runCtx(ctx, [region], { kernel: rt.kernelEnv() });
      return e.lastR0();
    });
    assert.equal(got, interp, `src 0x${src.toString(16)}`);
  }
  assert.equal(engines[0]!.lastR0(), BigInt(0xfffffff2), 'the last, unmapped, source faults: -EFAULT and the destination zeroed');
  const wat = jit.listing().text;
  const type = /\(import "env" "helper115" \(func \$helper115 \(type (\$t\d+)\)/.exec(wat)?.[1];
  assert.ok(type && wat.includes(`(type ${type} (func (param i32 i32 i32 i32) (result i32)))`), 'the trusted module imports the numeric form');
});

test('a lookup whose map pointer was loaded before a loop compiles inline: the verifier proves the map at the call (VerifyResult.callMaps); two maps at one call do not', () => {
  const rt = new Runtime({ helpers: linuxHelpers() });
  const u32le = (k: number): Uint8Array => new Uint8Array(new Uint32Array([k]).buffer);
  const [a, b] = [0, 1].map(() => rt.createMap({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 }));
  for (let k = 0; k < 4; k++) rt.updateElem(a!, u32le(k), new Uint8Array(8));
  // counts[k] += k + 1 for k < 4, the map in r6 since before the loop (as clang hoists it)
  const hoisted = rt.loadProgram({
    type: 6,
    insns: assemble(`
      r6 = map[fd:${a}] ll
      r7 = 0
    loop:
      *(u32 *)(r10 - 4) = r7
      r1 = r6
      r2 = r10
      r2 += -4
      call 1
      if r0 == 0 goto next
      r1 = r7
      r1 += 1
      lock *(u64 *)(r0 + 0) += r1
    next:
      r7 += 1
      if r7 < 4 goto loop
      r0 = 0
      exit`),
  });
  const call = hoisted.insns.findIndex((i) => i.code === 0x85);
  assert.deepEqual(hoisted.verification!.callMaps, [{ insn: call, id: a }]);
  const jit = new JitEngine(hoisted.insns, { space: rt.space, helpers: rt.helpers, verified: true, mapAt: (ptr) => rt.mapAt(ptr), callMaps: hoisted.callMaps });
  assert.ok(!/\(import "env" "helper1"/.test(jit.listing().text), 'the lookup is compiled');
  jit.runCtx(0, rt.mapRegions(), { kernel: rt.kernelEnv() });
  for (let k = 0; k < 4; k++) {
    const v = rt.lookupElem(a!, u32le(k));
    assert.equal(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true), BigInt(k + 1), `counts[${k}]`);
  }
  // one call, given map a on one path and map b on the other: Linux poisons its map_ptr_state, and the call stays a call
  const either = rt.loadProgram({
    type: 6,
    insns: assemble(`
      r6 = *(u32 *)(r1 + 0)
      r1 = map[fd:${a}] ll
      if r6 == 0 goto +2
      r1 = map[fd:${b}] ll
      *(u32 *)(r10 - 4) = 0
      r2 = r10
      r2 += -4
      call 1
      r0 = 0
      exit`),
  });
  assert.deepEqual(either.verification!.callMaps, []);
});
