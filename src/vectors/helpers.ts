import { BpfError } from '../errno.js';
import { HelperDef, HelperEnv, HelperExit, HelperRegistry } from '../helpers/registry.js';

/**
 * The helpers the conformance vectors call: uBPF's test-plugin table
 * (shared/conformance/README.md, "Helper functions called by the tests").
 * Their ids collide with Linux helper ids (1 is map_lookup_elem there), so
 * they are registered only for vector runs.
 */

const low8 = (v: bigint): bigint => v & 0xffn;

/** 0: the low bytes of r1..r5 packed into 40 bits, r1 highest. */
const gatherBytes: HelperDef = {
  id: 0,
  name: 'gather_bytes',
  fn: (_env, r1, r2, r3, r4, r5) =>
    (low8(r1) << 32n) | (low8(r2) << 24n) | (low8(r3) << 16n) | (low8(r4) << 8n) | low8(r5),
};

/** 1: XOR the r2 bytes at r1 with 42, as glibc's memfrob; returns 0. */
const memfrob: HelperDef = {
  id: 1,
  name: 'memfrob',
  fn: (env, r1, r2) => {
    const bytes = env.read(r1, byteCount(r2, 'memfrob'));
    env.write(r1, bytes.map((b) => b ^ 42));
    return 0n;
  },
};

/** A length argument as a number; lengths past 2 GiB can never be mapped. */
function byteCount(len: bigint, helper: string): number {
  if (len > 0x7fffffffn) throw new BpfError('EFAULT', `${helper}: length ${len} is larger than any mapped region`);
  return Number(len);
}

/** 2: does nothing, returns 0. */
const noOp: HelperDef = { id: 2, name: 'no_op', fn: () => 0n };

/** 3: floor of the square root of r1 computed in double precision, as uBPF's C helper does. */
const sqrti: HelperDef = {
  id: 3,
  name: 'sqrti',
  fn: (_env, r1) => BigInt(Math.floor(Math.sqrt(Number(r1)))),
};

/** 4: C strcmp of the NUL-terminated strings at r1 and r2; the int result sign-extended. */
const strcmpExt: HelperDef = {
  id: 4,
  name: 'strcmp_ext',
  fn: (env, r1, r2) => BigInt.asUintN(64, BigInt(strcmp(env, r1, r2))),
};

function strcmp(env: HelperEnv, a: bigint, b: bigint): number {
  for (let i = 0n; ; i++) {
    const ca = env.read(a + i, 1)[0]!;
    const cb = env.read(b + i, 1)[0]!;
    if (ca !== cb || ca === 0) return ca - cb;
  }
}

/** 5: returns r1; uBPF's "unwind" extension ends the whole program with r0 = 0 when r1 is 0. */
const unwind: HelperDef = {
  id: 5,
  name: 'unwind',
  fn: (_env, r1) => {
    if (r1 === 0n) throw new HelperExit(0n);
    return r1;
  },
};

export const CONFORMANCE_HELPERS: readonly HelperDef[] = [gatherBytes, memfrob, noOp, sqrti, strcmpExt, unwind];

export function conformanceHelpers(): HelperRegistry {
  return new HelperRegistry(CONFORMANCE_HELPERS);
}
