import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { probeReadKernelStr } from '../src/helpers/probe.js';
import { linuxHelpers } from '../src/helpers/linux.js';
import { HelperRegistry } from '../src/helpers/registry.js';
import { assemble } from '../src/isa/asm.js';
import { Interpreter } from '../src/vm/interpreter.js';
import { JitEngine } from '../src/vm/jit/engine.js';
import { AddressSpace, Region } from '../src/vm/memory.js';

/**
 * bpf_probe_read_kernel_str from the string window of a trusted module
 * (vm/jit/str-copy.ts: a tracing handler's record) copies inline what the
 * helper copies — r0, the bytes, the NUL, and nothing past it — for strings
 * inside the window, cut by `size`, ending at the window's end, running past
 * it into the next region or into unmapped memory (the helper decides those),
 * and for sources outside it; the helper runs only where it must.
 */

const WINDOW = 64;
const DST = 64;

/** dst (64 stack bytes, first filled with 0xaa) ← probe_read_kernel_str(dst, size at ctx+8, src at ctx+0); then r0 and dst out to ctx+16… */
const program = assemble(`
  r6 = r1
  r2 = 0xaaaaaaaaaaaaaaaa ll
  ${Array.from({ length: DST / 8 }, (_, k) => `*(u64 *)(r10 - ${DST - 8 * k}) = r2`).join('\n')}
  r1 = r10
  r1 += -${DST}
  r2 = *(u32 *)(r6 + 8)
  r3 = *(u64 *)(r6 + 0)
  call 115
  *(u64 *)(r6 + 16) = r0
  ${Array.from({ length: DST / 8 }, (_, k) => `r1 = *(u64 *)(r10 - ${DST - 8 * k})\n*(u64 *)(r6 + ${24 + 8 * k}) = r1`).join('\n')}
  r0 = 0
  exit`);

interface Setup {
  space: AddressSpace;
  window: Region;
  /** readable bytes right after the window: a string may run on into them */
  next: Region;
  ctx: Region;
}

function setup(bytes: Uint8Array, after: Uint8Array): Setup {
  const space = new AddressSpace();
  const window = space.map(bytes, 'record', false);
  const next = space.map(after, 'next', false);
  assert.equal(next.start, window.end, 'the next region follows the window');
  const ctx = space.map(new Uint8Array(24 + DST), 'ctx');
  return { space, window, next, ctx };
}

/** r0 and the 64 destination bytes after one run of `engine` with src and size */
function copyOut(s: Setup, run: (ctx: number, regions: Region[]) => void, src: bigint, size: number): { r0: bigint; dst: number[] } {
  const dv = new DataView(s.space.memory.buffer);
  dv.setBigUint64(s.ctx.start, src, true);
  dv.setUint32(s.ctx.start + 8, size, true);
  run(s.ctx.start, [s.ctx, s.window, s.next]);
  const out = new DataView(s.space.memory.buffer);
  return { r0: out.getBigUint64(s.ctx.start + 16, true), dst: Array.from({ length: DST }, (_, i) => out.getUint8(s.ctx.start + 24 + i)) };
}

/** Counts calls of probe_read_kernel_str's numeric form (the JIT's) while `f` runs. */
function countingHelper<T>(f: (calls: () => number) => T): T {
  const numeric = probeReadKernelStr.numeric!;
  const original = numeric.fn;
  let calls = 0;
  numeric.fn = (env, a1, a2, a3, a4, a5) => (calls++, original(env, a1, a2, a3, a4, a5));
  try {
    return f(() => calls);
  } finally {
    numeric.fn = original;
  }
}

const bytesArb = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => b.map((x) => (x % 4 === 0 ? 0 : x))); // NULs often

test('an inline string copy from the window gives what the helper gives, and calls it only where the string leaves the window', () => {
  countingHelper((calls) => {
    fc.assert(
      fc.property(
        bytesArb(WINDOW), bytesArb(16),
        fc.oneof(fc.integer({ min: 0, max: WINDOW - 1 }), fc.integer({ min: WINDOW - 6, max: WINDOW + 20 }), fc.constantFrom(-1, -8, 1 << 20)),
        fc.constantFrom(0, 1, 2, 3, 4, 5, 8, 16, 33, 64),
        (bytes, after, at, size) => {
          const s = setup(bytes, after);
          const helpers = new HelperRegistry(linuxHelpers());
          const jit = new JitEngine(program, { space: s.space, helpers, verified: true, stringWindow: s.window });
          const interp = new Interpreter(program, { space: s.space, helpers });
          const src = BigInt.asUintN(64, BigInt(s.window.start + at));
          const before = calls();
          const fast = copyOut(s, (ctx, regions) => jit.runCtx(ctx, regions), src, size);
          const helperRan = calls() > before;
          const slow = copyOut(s, (ctx, regions) => interp.run([BigInt(ctx)], regions), src, size);
          assert.deepEqual(fast, slow, `src window+${at}, size ${size}`);
          // the bytes the helper would read: through the NUL, or `size` of them for a string cut short
          const nul = bytes.indexOf(0, at);
          const needs = nul >= 0 && nul - at < size - 1 ? nul - at + 1 : size;
          const inWindow = at >= 0 && at < WINDOW && at + needs <= WINDOW;
          if (size > 0) assert.equal(helperRan, !inWindow, `src window+${at}, size ${size}: the helper ${helperRan ? 'ran' : 'did not run'}`);
        },
      ),
      { numRuns: 1500 },
    );
  });
});

test('a trusted module without a string window calls the helper for every string', () => {
  countingHelper((calls) => {
    const s = setup(new TextEncoder().encode('/index.html\0'.padEnd(WINDOW, '\0')), new Uint8Array(16));
    const jit = new JitEngine(program, { space: s.space, helpers: new HelperRegistry(linuxHelpers()), verified: true });
    const out = copyOut(s, (ctx, regions) => jit.runCtx(ctx, regions), BigInt(s.window.start), 32);
    assert.equal(out.r0, 12n);
    assert.equal(calls(), 1);
  });
});
