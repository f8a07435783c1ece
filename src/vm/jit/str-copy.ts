import { Code, I32, I64, OP, ValType } from './wasm.js';

/**
 * bpf_probe_read*_str from a window of memory every run may read (a tracing
 * handler's record) as a WebAssembly function of the program's module,
 * `(dst, size, src) → r0`: where the bytes the helper would read (through
 * the NUL, or all `size` of a string cut short) lie in the window, the copy
 * it would make — the bytes and a NUL, r0 = bytes written — without leaving
 * WebAssembly; else NEEDS_HELPER, and the helper runs from the start (it
 * writes again what was copied, or zeroes it on a fault). Only verified
 * code calls it: the verifier proved `size` bytes at `dst` writable.
 */
export const STR_COPY_PARAMS: readonly ValType[] = [I32, I32, I64];
export const STR_COPY_RESULTS: readonly ValType[] = [I64];
export const STR_COPY_LOCALS: readonly ValType[] = [I32, I32, I32, I32];

/** What the function returns when the helper must decide (no string read returns -1). */
export const NEEDS_HELPER = -1;

const DST = 0;
const SIZE = 1;
const SRC = 2;
/** the source as an i32, once it is known to be in the window */
const S = 3;
/** bytes copied */
const N = 4;
/** bytes the copy may take: size - 1, or fewer where the window ends */
const LIM = 5;
/** the byte read */
const C = 6;

export function strCopyCode(window: { start: number; end: number }): Code {
  const end = window.end | 0;
  const c = new Code();
  c.get(SIZE).op(OP.i32_eqz).open(OP.if).i64(0).op(OP.return).op(OP.end);
  c.get(SRC).i64(window.start).op(OP.i64_lt_u).get(SRC).i64(window.end).op(OP.i64_ge_u).op(OP.i32_or);
  c.open(OP.if).i64(NEEDS_HELPER).op(OP.return).op(OP.end);
  c.get(SRC).op(OP.i32_wrap_i64).set(S);
  // lim = min(size - 1, end - s), unsigned
  c.i32(end).get(S).op(OP.i32_sub).tee(N).get(SIZE).i32(1).op(OP.i32_sub).tee(LIM).get(N).get(LIM).op(OP.i32_lt_u).op(OP.select).set(LIM);
  c.i32(0).set(N);
  c.open(OP.block).open(OP.loop);
  c.get(N).get(LIM).op(OP.i32_ge_u).brIf(1);
  c.get(S).get(N).op(OP.i32_add).mem(OP.i32_load8_u).tee(C).op(OP.i32_eqz).brIf(1);
  c.get(DST).get(N).op(OP.i32_add).get(C).mem(OP.i32_store8);
  c.get(N).i32(1).op(OP.i32_add).set(N);
  c.br(0);
  c.op(OP.end).op(OP.end);
  // stopped at the limit: a string cut at size - 1 whose size-th byte is in the window too, else the window ended first
  c.get(N).get(LIM).op(OP.i32_eq).get(SIZE).i32(end).get(S).op(OP.i32_sub).op(OP.i32_gt_u).op(OP.i32_and);
  c.open(OP.if).i64(NEEDS_HELPER).op(OP.return).op(OP.end);
  c.get(DST).get(N).op(OP.i32_add).i32(0).mem(OP.i32_store8);
  return c.get(N).i32(1).op(OP.i32_add).op(OP.i64_extend_i32_u);
}
