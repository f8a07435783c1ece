import { err, ret } from './access.js';
import { callbacks } from './loop.js';
import type { HelperDef } from './registry.js';

/**
 * long bpf_for_each_map_elem(struct bpf_map *map, void *callback_fn, void
 * *callback_ctx, u64 flags) (id 164): call callback_fn(map, key, value,
 * callback_ctx) for each element of a hash or array map (the value: this
 * CPU's, for a per-CPU map) until it returns non-zero (the verifier lets it
 * return only 0 or 1). The key is read-only; the value is writable unless the
 * map is BPF_F_RDONLY_PROG. Returns the number of elements visited, the one
 * that stopped the walk included; -EINVAL for flags other than 0.
 *
 * Linux refuses to load a program that passes another map type (or no map);
 * an unverified run gets -EINVAL for it.
 */
export const FOR_EACH_MAP_ELEM: HelperDef = {
  id: 164,
  name: 'for_each_map_elem',
  proto: { ret: 'INTEGER', args: ['CONST_MAP_PTR', 'PTR_TO_FUNC', 'PTR_TO_STACK_OR_NULL', 'ANYTHING'] },
  fn: (env, mapPtr, fn, ctx, flags) => {
    const map = env.kernel?.map(mapPtr);
    if (!map?.forEachElem || flags !== 0n) return err('EINVAL');
    const call = callbacks(env, 'for_each_map_elem');
    const visited = map.forEachElem(env.kernel!.cpu, (key, value) => call(fn, mapPtr, BigInt(key), BigInt(value), ctx, 0n) !== 0n);
    return ret(visited);
  },
};
