import { err, readCString, ret, u32 } from './access.js';
import { MAX_BPRINTF_BUF, MAX_BPRINTF_VARARGS, bpfFormat } from './format.js';
import type { HelperDef, HelperEnv } from './registry.js';

/**
 * String helpers: strncmp (kernel/bpf/helpers.c) and the printf family
 * (snprintf in kernel/bpf/helpers.c, trace_printk and trace_vprintk in
 * kernel/trace/bpf_trace.c), which share the format engine of format.ts.
 *
 * Pointers the verifier checks (the format, the argument array, the output
 * buffer, strncmp's strings) are the program's own memory: a bad one faults
 * with EFAULT. Only what the format's `%s`/`%pI4`… arguments point at is
 * read "unsafely" (an unreadable string prints as empty).
 *
 * The kernel types some of these arguments with flags ArgKind has no words
 * for: snprintf's buffer is ARG_PTR_TO_MEM_OR_NULL, its and trace_vprintk's
 * data are ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY, read-only memory is
 * MEM_RDONLY; they read PTR_TO_MEM here. snprintf, trace_printk and
 * trace_vprintk are gpl_only in Linux.
 */

/** The u64 argument array of snprintf / trace_vprintk, or -EINVAL as Linux checks it. */
function argArray(env: HelperEnv, data: bigint, lenArg: bigint): bigint[] | undefined {
  const len = u32(lenArg);
  if (len % 8 !== 0 || len > MAX_BPRINTF_VARARGS * 8 || (len !== 0 && data === 0n)) return undefined;
  if (len === 0) return [];
  const bytes = env.read(data, len);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: len / 8 }, (_, k) => dv.getBigUint64(8 * k, true));
}

const decoder = new TextDecoder();

/** Format into the 1024-byte buffer of the trace helpers and hand the line to the trace pipe. */
function tracePrint(env: HelperEnv, fmtAddr: bigint, fmtSize: bigint, args: readonly bigint[]): bigint {
  const fmt = env.read(fmtAddr, u32(fmtSize));
  const r = bpfFormat(env, fmt, args, MAX_BPRINTF_BUF);
  if (!r.ok) return err(r.errno);
  env.kernel?.trace(decoder.decode(r.text));
  return ret(r.len);
}

/**
 * long bpf_trace_printk(const char *fmt, u32 fmt_size, ...): up to three
 * arguments in r3..r5; the format must hold a NUL within fmt_size bytes. The
 * message (at most 1023 bytes; the trace pipe adds the line's end) goes to
 * `env.kernel.trace`. Returns the length of the whole message, as bstr_printf
 * counts it, or -EINVAL / -ENOSPC for a format it refuses (and prints nothing).
 */
export const tracePrintk: HelperDef = {
  id: 6,
  name: 'trace_printk',
  proto: { ret: 'INTEGER', args: ['PTR_TO_MEM', 'CONST_SIZE'] },
  fn: (env, r1, r2, r3, r4, r5) => tracePrint(env, r1, r2, [r3, r4, r5]),
};

/**
 * long bpf_trace_vprintk(const char *fmt, u32 fmt_size, const void *data, u32 data_len):
 * trace_printk with up to 12 arguments from a u64 array (data_len a multiple
 * of 8, at most 96).
 */
export const traceVprintk: HelperDef = {
  id: 177,
  name: 'trace_vprintk',
  proto: { ret: 'INTEGER', args: ['PTR_TO_MEM', 'CONST_SIZE', 'PTR_TO_MEM', 'CONST_SIZE_OR_ZERO'] },
  fn: (env, r1, r2, r3, r4) => {
    const args = argArray(env, r3, r4);
    if (!args) return err('EINVAL');
    return tracePrint(env, r1, r2, args);
  },
};

/**
 * long bpf_snprintf(char *str, u32 str_size, const char *fmt, u64 *data, u32 data_len):
 * format into `str` (at most str_size-1 bytes and a NUL; nothing when str_size
 * is 0, where `str` may be NULL). Returns the length the whole output needs,
 * NUL included, or a negative errno (and `str` is left alone).
 */
export const snprintf: HelperDef = {
  id: 165,
  name: 'snprintf',
  proto: { ret: 'INTEGER', args: ['PTR_TO_MEM', 'CONST_SIZE_OR_ZERO', 'PTR_TO_CONST_STR', 'PTR_TO_MEM', 'CONST_SIZE_OR_ZERO'] },
  fn: (env, r1, r2, r3, r4, r5) => {
    const args = argArray(env, r4, r5);
    if (!args) return err('EINVAL');
    const fmt = readCString(env, r3, 0x7fffffff);
    const withNul = new Uint8Array(fmt.bytes.length + 1);
    withNul.set(fmt.bytes);
    const size = u32(r2);
    // bstr_printf refuses a size past INT_MAX and prints nothing (bpf_snprintf then returns 1)
    const r = bpfFormat(env, withNul, args, size > 0x7fffffff ? 0 : size);
    if (!r.ok) return err(r.errno);
    if (size > 0x7fffffff) return 1n;
    if (size > 0) {
      const out = new Uint8Array(r.text.length + 1);
      out.set(r.text);
      env.write(r1, out);
    }
    return ret(r.len + 1);
  },
};

/**
 * long bpf_strncmp(const char *s1, u32 s1_sz, const char *s2): compare at
 * most s1_sz bytes, stopping after a NUL, as the kernel's strncmp: -1, 0 or 1
 * (the first differing bytes compared unsigned). s2 is a NUL-terminated
 * constant string; it is read only as far as the comparison goes.
 */
export const strncmp: HelperDef = {
  id: 182,
  name: 'strncmp',
  proto: { ret: 'INTEGER', args: ['PTR_TO_MEM', 'CONST_SIZE', 'PTR_TO_CONST_STR'] },
  fn: (env, r1, r2, r3) => {
    const n = u32(r2);
    const s1 = env.read(r1, n);
    for (let i = 0; i < n; i++) {
      const c1 = s1[i]!;
      const c2 = env.read(r3 + BigInt(i), 1)[0]!;
      if (c1 !== c2) return ret(c1 < c2 ? -1 : 1);
      if (c1 === 0) break;
    }
    return 0n;
  },
};

export const STRING_HELPERS: readonly HelperDef[] = [tracePrintk, snprintf, traceVprintk, strncmp];
