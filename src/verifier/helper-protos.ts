import type { ArgKind, HelperDef, RetKind } from '../helpers/registry.js';

/**
 * Helper prototypes as the verifier checks them: the registry's argument
 * and return kinds (helpers/registry.ts, one entry per helper), with the
 * flags of Linux's bpf_func_proto the registry does not spell out —
 * which pointer arguments may be NULL, which memory a helper writes, which
 * argument a helper releases, which helpers acquire references, which are
 * GPL-only.
 */
export interface ArgSpec {
  kind: ArgKind;
  /** PTR_MAYBE_NULL: a NULL (zero) scalar is accepted */
  maybeNull: boolean;
  /** MEM_WRITE: the helper writes the memory (it becomes unknown bytes) */
  write: boolean;
  /** MEM_UNINIT: the memory need not be initialised */
  uninit: boolean;
  /** OBJ_RELEASE: the helper releases the reference passed here */
  release: boolean;
}

export interface Proto {
  id: number;
  name: string;
  ret: RetKind;
  args: ArgSpec[];
  /** the returned pointer is a reference the program must release (ringbuf_reserve) */
  acquire: boolean;
  gplOnly: boolean;
}

/** Pointer arguments that may be NULL: [helper id, argument index from 0]. */
const MAYBE_NULL: ReadonlyArray<readonly [number, number]> = [
  [28, 0], [28, 2], // csum_diff(from, from_size, to, to_size, seed)
  [165, 0], [165, 3], // snprintf(str, size, fmt, data, data_len)
  [177, 2], // trace_vprintk(fmt, fmt_size, data, data_len)
];

/** PTR_TO_MEM arguments the helper writes into (PTR_TO_UNINIT_MEM arguments are written too). */
const WRITES: ReadonlyArray<readonly [number, number]> = [[165, 0]];

/** Map-value arguments the helper fills (map_pop_elem, map_peek_elem): uninitialised memory is fine. */
const FILLS_MAP_VALUE = new Set([88, 89]);

/** Helpers Linux reserves for GPL-compatible programs (bpf_func_proto.gpl_only). */
const GPL_ONLY = new Set([4, 6, 25, 27, 35, 36, 45, 67, 111, 112, 113, 114, 115, 121, 141, 158, 177]);

const has = (list: ReadonlyArray<readonly [number, number]>, id: number, i: number): boolean => list.some(([h, a]) => h === id && a === i);

export function protoOf(def: HelperDef): Proto | undefined {
  const p = def.proto;
  if (!p) return undefined;
  const args = p.args.map((kind, i): ArgSpec => ({
    kind,
    maybeNull: has(MAYBE_NULL, def.id, i) || kind === 'PTR_TO_STACK_OR_NULL',
    write: kind === 'PTR_TO_UNINIT_MEM' || has(WRITES, def.id, i) || (kind === 'PTR_TO_MAP_VALUE' && FILLS_MAP_VALUE.has(def.id)),
    uninit: kind === 'PTR_TO_UNINIT_MEM' || (kind === 'PTR_TO_MAP_VALUE' && FILLS_MAP_VALUE.has(def.id)),
    release: kind === 'PTR_TO_ALLOC_MEM',
  }));
  return { id: def.id, name: def.name, ret: p.ret, args, acquire: p.ret === 'PTR_TO_ALLOC_MEM_OR_NULL', gplOnly: GPL_ONLY.has(def.id) };
}

/** Register types each pointer argument kind accepts, as Linux lists them in "R2 type=scalar expected=...". */
export const COMPATIBLE: Partial<Record<ArgKind, readonly string[]>> = {
  CONST_MAP_PTR: ['map_ptr'],
  PTR_TO_MAP_KEY: ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem', 'buf', 'trusted_ptr_'],
  PTR_TO_MAP_VALUE: ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem', 'buf', 'trusted_ptr_'],
  PTR_TO_MEM: ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem', 'buf', 'trusted_ptr_'],
  PTR_TO_UNINIT_MEM: ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem', 'buf', 'trusted_ptr_'],
  PTR_TO_CTX: ['ctx'],
  PTR_TO_FUNC: ['func'],
  PTR_TO_STACK_OR_NULL: ['fp'],
  PTR_TO_CONST_STR: ['map_value'],
  PTR_TO_ALLOC_MEM: ['ringbuf_mem'],
  PTR_TO_LONG: ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value'],
  CONST_SIZE: ['scalar'],
  CONST_SIZE_OR_ZERO: ['scalar'],
  CONST_ALLOC_SIZE_OR_ZERO: ['scalar'],
};
