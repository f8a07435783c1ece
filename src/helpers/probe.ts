import { err, isFault, readCString, ret, u32, writeZeros } from './access.js';
import type { HelperDef, HelperEnv, HelperProto } from './registry.js';

/**
 * The probe_read family (kernel/trace/bpf_trace.c): copy from an address the
 * program does not own and the verifier cannot check. Here every address is
 * in the one address space (DESIGN decision 2), and the source is read
 * through `env.read`, so "unsafe" means "maybe not mapped for this run": a
 * source the run may not read gives -EFAULT with the destination zeroed, as
 * Linux does for a faulting source. The destination is the program's own
 * memory, which the verifier checks (ARG_PTR_TO_UNINIT_MEM); a bad one is the
 * program's fault and the EFAULT BpfError of `env.write` propagates.
 *
 * There is one address space, so the user and kernel variants behave alike
 * (Linux's probe_read_kernel of a user address gives -ERANGE on x86; that
 * split does not exist here).
 */

/** every probe_read form: `(void *dst, u32 size, const void *unsafe_ptr)` (a fresh object per helper) */
const proto = (): HelperProto => ({ ret: 'INTEGER', args: ['PTR_TO_UNINIT_MEM', 'CONST_SIZE_OR_ZERO', 'ANYTHING'] });

/** copy `size` bytes; 0, or -EFAULT with the destination zeroed */
function probeRead(env: HelperEnv, dst: bigint, sizeArg: bigint, src: bigint): bigint {
  const size = u32(sizeArg);
  if (size === 0) return 0n;
  let data: Uint8Array;
  try {
    data = env.read(src, size);
  } catch (e) {
    if (!isFault(e)) throw e;
    writeZeros(env, dst, size);
    return err('EFAULT');
  }
  env.write(dst, data);
  return 0n;
}

/**
 * strncpy_from_*_nofault: copy up to and including the NUL, at most `size`
 * bytes; a string of `size` bytes or more is cut to size-1 bytes and a NUL.
 * Returns the bytes written including the NUL, or -EFAULT with the
 * destination zeroed when the string runs into memory the run may not read.
 * Bytes of the destination past the NUL are left as they were.
 */
function probeReadStr(env: HelperEnv, dst: bigint, sizeArg: bigint, src: bigint): bigint {
  const size = u32(sizeArg);
  if (size === 0) return 0n;
  const n = src <= 0xffffffffn && dst <= 0xffffffffn ? probeReadStrInPlace(env, Number(dst), size, Number(src), false) : undefined;
  return n !== undefined ? BigInt(n) : probeReadStrCopied(env, dst, size, src);
}

/**
 * probeReadStr for the trusted JIT (HelperDef.numeric): the same, with
 * numbers in and out where the string lies in one region. An unsafe
 * pointer of 2^32 or more arrives as 0xffffffff (registry.ts), which
 * faults as it would. Only verified programs call this form, and the
 * verifier proved `size` bytes at `dst` writable: only the source is checked.
 */
function probeReadStrNumeric(env: HelperEnv, dst: number, sizeArg: number, src: number): number {
  const size = sizeArg >>> 0;
  if (size === 0) return 0;
  return probeReadStrInPlace(env, dst >>> 0, size, src >>> 0, true) ?? Number(BigInt.asIntN(32, probeReadStrCopied(env, BigInt(dst >>> 0), size, BigInt(src >>> 0))));
}

/**
 * The common case without copies: find the NUL in the memory view, check
 * the bytes the string needs in one go, copy them within the memory; the
 * bytes written, NUL included. Undefined where that check fails (the string
 * may still span adjacent regions, or fault): the copying form decides then.
 * `dstProved`: the destination needs no check (the numeric form's).
 */
function probeReadStrInPlace(env: HelperEnv, dst: number, size: number, from: number, dstProved: boolean): number | undefined {
  if (!env.memory) return undefined;
  const mem = env.memory();
  const end = Math.min(from + size - 1, mem.length);
  let n = from;
  while (n < end && mem[n] !== 0) n++;
  n -= from;
  // the bytes Linux reads: through the NUL, or all `size` of a string cut short
  try {
    env.checkAt(from, n + 1, false);
  } catch (e) {
    if (isFault(e)) return undefined;
    throw e;
  }
  const to = dstProved ? dst : env.checkAt(dst, n + 1, true);
  // a loop where the two do not overlap: copyWithin's call costs more than the few bytes of a usual string
  if (to + n <= from || from + n <= to) for (let i = 0; i < n; i++) mem[to + i] = mem[from + i]!;
  else mem.copyWithin(to, from, from + n);
  mem[to + n] = 0;
  return n + 1;
}

function probeReadStrCopied(env: HelperEnv, dst: bigint, size: number, src: bigint): bigint {
  let s;
  try {
    s = readCString(env, src, size);
  } catch (e) {
    if (!isFault(e)) throw e;
    writeZeros(env, dst, size);
    return err('EFAULT');
  }
  const n = s.terminated ? s.bytes.length : size - 1;
  const out = new Uint8Array(n + 1);
  out.set(s.bytes.subarray(0, n));
  env.write(dst, out);
  return ret(n + 1);
}

/** long bpf_probe_read(void *dst, u32 size, const void *unsafe_ptr): the old, address-space-agnostic form. */
export const probeReadCompat: HelperDef = { id: 4, name: 'probe_read', proto: proto(), fn: (env, r1, r2, r3) => probeRead(env, r1, r2, r3) };
/** long bpf_probe_read_user(void *dst, u32 size, const void *unsafe_ptr) */
export const probeReadUser: HelperDef = { id: 112, name: 'probe_read_user', proto: proto(), fn: (env, r1, r2, r3) => probeRead(env, r1, r2, r3) };
/** long bpf_probe_read_kernel(void *dst, u32 size, const void *unsafe_ptr) */
export const probeReadKernel: HelperDef = { id: 113, name: 'probe_read_kernel', proto: proto(), fn: (env, r1, r2, r3) => probeRead(env, r1, r2, r3) };
/** one of the _str forms */
const strHelper = (id: number, name: string): HelperDef => ({
  id, name, proto: proto(), fn: (env, r1, r2, r3) => probeReadStr(env, r1, r2, r3), numeric: { arity: 3, fn: (env, r1, r2, r3) => probeReadStrNumeric(env, r1, r2, r3) },
});
/** long bpf_probe_read_str(void *dst, u32 size, const void *unsafe_ptr) */
export const probeReadStrCompat = strHelper(45, 'probe_read_str');
/** long bpf_probe_read_user_str(void *dst, u32 size, const void *unsafe_ptr) */
export const probeReadUserStr = strHelper(114, 'probe_read_user_str');
/** long bpf_probe_read_kernel_str(void *dst, u32 size, const void *unsafe_ptr) */
export const probeReadKernelStr = strHelper(115, 'probe_read_kernel_str');

/** The probe_read*_str helpers: one copy semantics, which the trusted JIT may perform inline (vm/jit/str-copy.ts). */
export const STRING_READERS: readonly HelperDef[] = [probeReadStrCompat, probeReadUserStr, probeReadKernelStr];

export const PROBE_HELPERS: readonly HelperDef[] = [probeReadCompat, probeReadStrCompat, probeReadUser, probeReadKernel, probeReadUserStr, probeReadKernelStr];
