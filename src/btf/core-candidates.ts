import { BpfError } from '../errno.js';
import type { Btf } from './btf.js';
import { essentialName, kindsCompatible } from './core-compat.js';

/**
 * Where a CO-RE relocation may land in the target BTF: every named type of
 * a compatible kind whose essential name (the name without `___flavor`) is
 * the local type's essential name, in id order. `struct foo___v2` in a
 * program finds `struct foo`, `struct foo___1`…; libbpf's rule.
 *
 * One CoreCandidates serves all relocations of an object against one
 * target, as libbpf's candidate cache does: a relocation that matched only
 * some candidates narrows the list for the later relocations of the same
 * local type (bpf_core_calc_relo_insn keeps only the matching ones).
 */
export class CoreCandidates {
  private readonly lists = new Map<number, number[]>();

  constructor(readonly local: Btf, readonly target: Btf) {}

  /** Candidate ids in the target for local type `localId`. */
  of(localId: number): readonly number[] {
    let ids = this.lists.get(localId);
    if (!ids) {
      ids = findCandidates(this.local, localId, this.target);
      this.lists.set(localId, ids);
    }
    return ids;
  }

  /** Keep only `matched` for later relocations (unless nothing matched: then the list stays). */
  narrow(localId: number, matched: readonly number[]): void {
    if (matched.length > 0) this.lists.set(localId, [...matched]);
  }
}

/** Uncached candidate search (see CoreCandidates). */
export function findCandidates(local: Btf, localId: number, target: Btf): number[] {
  const lt = local.type(localId);
  // libbpf looks candidates up by name, so an anonymous type has none to look up
  if (lt.name === '') throw new BpfError('EINVAL', `${local.typeName(localId)} [${localId}] is anonymous: CO-RE finds target types by name`);
  const ids = essentialIndex(target).get(essentialName(lt.name)) ?? [];
  return ids.filter((id) => kindsCompatible(target.type(id), lt));
}

/** Per target BTF (vmlinux has ~100k types): named type ids by essential name, built once. */
const indexes = new WeakMap<Btf, Map<string, number[]>>();

function essentialIndex(btf: Btf): Map<string, number[]> {
  let index = indexes.get(btf);
  if (index) return index;
  index = new Map();
  for (let id = 1; id < btf.types.length; id++) {
    const name = btf.types[id]!.name;
    if (name === '') continue;
    const key = essentialName(name);
    const ids = index.get(key);
    if (ids) ids.push(id);
    else index.set(key, [id]);
  }
  indexes.set(btf, index);
  return index;
}
