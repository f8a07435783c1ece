import { BpfError } from '../errno.js';
import { MapType } from '../maps/map.js';
import { progArrayOf } from '../maps/prog-array.js';
import { err, u32 } from './access.js';
import type { HelperDef } from './registry.js';

/** Linux's MAX_TAIL_CALL_CNT: a run may chain at most this many tail calls. */
export const MAX_TAIL_CALL_CNT = 33;

/**
 * bpf_tail_call(ctx, prog_array, index) (id 12): continue in the program at
 * `index` with the same context, never returning. When it cannot (not a
 * program array, index out of range, empty slot, 33 calls already chained)
 * the program falls through to the next instruction, as in Linux; r0 then
 * holds -EINVAL, -E2BIG, -ENOENT or -ELOOP to help debugging (Linux leaves it
 * unspecified).
 *
 * Linux refuses to load a program that tail calls from a callback (a
 * function bpf_loop or bpf_for_each_map_elem calls, or one it calls), so a
 * run that does stops there with EINVAL, whatever the slot holds.
 */
export const TAIL_CALL: HelperDef = {
  id: 12,
  name: 'tail_call',
  proto: { ret: 'VOID', args: ['PTR_TO_CTX', 'CONST_MAP_PTR', 'ANYTHING'] },
  fn: (env, _ctx, mapPtr, index) => {
    if (env.inCallback) throw new BpfError('EINVAL', 'bpf_tail_call from a callback: Linux refuses to load a program whose callback (of bpf_loop, bpf_for_each_map_elem …) tail calls');
    const map = env.kernel?.map(mapPtr);
    if (!map || map.spec.type !== MapType.PROG_ARRAY || !env.kernel?.tailCall) return err('EINVAL');
    const array = progArrayOf(map);
    const i = u32(index);
    if (i >= array.spec.maxEntries) return err('E2BIG');
    const prog = array.at(i);
    if (prog === undefined) return err('ENOENT');
    env.kernel.tailCall(prog);
    return err('ELOOP');
  },
};
