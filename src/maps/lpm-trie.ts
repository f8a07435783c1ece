import { ErrnoName } from '../errno.js';
import { Region } from '../vm/memory.js';
import { code, MapBase } from './base.js';
import { readU32, writeU32 } from './keys.js';
import { ACCESS_MASK, checkFlags, checkNonZero, MapKind } from './kind.js';
import { KMALLOC_MAX_SIZE, LPM_NODE_SIZE } from './limits.js';
import { MapEnv, MapFlags, UpdateFlags } from './map.js';
import { FreeSlots } from './slots.js';
import { need, NormalSpec } from './spec.js';
import { ValueSlots } from './values.js';

/** A node of the trie; an intermediate node (no value) only joins two subtrees. */
interface Node {
  prefixlen: number;
  /** the key's data as last given (bits past prefixlen included, as Linux keeps them) */
  data: Uint8Array;
  /** value slot, or -1 for an intermediate node */
  slot: number;
  child: [Node | undefined, Node | undefined];
}

/** A key as struct bpf_lpm_trie_key_u8 lays it out: u32 prefixlen, then the data. */
interface Key {
  prefixlen: number;
  data: Uint8Array;
}

/** A place a node hangs from: a parent's child pointer, or the root. */
interface Link {
  parent: Node | undefined;
  dir: 0 | 1;
}

/** Bit `index` of `data`, most significant bit of data[0] first. */
function bitAt(data: Uint8Array, index: number): 0 | 1 {
  return ((data[index >> 3] >> (7 - (index & 7))) & 1) as 0 | 1;
}

/**
 * LPM_TRIE (kernel/bpf/lpm_trie.c): a binary trie of prefixes, the same shape
 * as Linux's (intermediate nodes only where two prefixes diverge), so lookup
 * finds the longest matching prefix and get-next-key walks the same
 * post-order (more specific prefixes before the less specific ones that
 * contain them, the 0 branch before the 1 branch).
 *
 * Update and delete match a prefix exactly: prefixlen and the first prefixlen
 * bits. Updates honour BPF_NOEXIST/BPF_EXIST and give ENOSPC for a new prefix
 * in a full trie, replacing in place even when full (Linux since 6.13; older
 * kernels ignored the flags and refused any update of a full trie).
 *
 * Values live in max_entries slots of the address space, allocated at
 * creation (Linux allocates nodes as needed: the trie requires
 * BPF_F_NO_PREALLOC). An update of an existing prefix writes the value in
 * place. memoryUsed() is the value slots plus sizeof(struct lpm_trie_node) and
 * the data size for each of max_entries nodes, all charged at creation.
 */
export class LpmTrieMap extends MapBase {
  readonly regions: readonly Region[];
  private readonly values: ValueSlots;
  private readonly free: FreeSlots;
  private readonly dataSize: number;
  private readonly maxPrefixlen: number;
  private readonly bytes: number;
  private root: Node | undefined;
  private entries = 0;

  constructor(spec: NormalSpec, env: MapEnv) {
    super(spec, env);
    const n = spec.maxEntries;
    this.dataSize = spec.keySize - 4;
    this.maxPrefixlen = this.dataSize * 8;
    this.bytes = this.reserve(ValueSlots.bytes(n, spec.valueSize, 0) + n * (LPM_NODE_SIZE + this.dataSize));
    this.values = new ValueSlots(env.space, n, spec.valueSize, 0, `${this.label} values`, this.progWritable);
    this.regions = [this.values.region];
    this.free = new FreeSlots(n);
  }

  /** number of prefixes */
  get count(): number {
    return this.entries;
  }

  lookup(key: Uint8Array): Uint8Array {
    this.checkKey('lookup', key);
    const node = this.longestMatch(this.parse(key));
    if (!node) throw this.error('lookup', 'ENOENT', 'no prefix matches the key');
    return this.values.readUser(node.slot);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlags.ANY): void {
    this.checkKey('update', key);
    this.checkValue('update', value, this.spec.valueSize);
    const k = this.parse(key);
    this.check('update', this.put(k, flags, (slot) => this.values.writeUser(slot, value)), {
      EINVAL: flags > UpdateFlags.EXIST || flags < 0 ? `flags ${flags} are not BPF_ANY (0), BPF_NOEXIST (1) or BPF_EXIST (2)` : this.tooLong(k),
      EEXIST: 'the prefix exists and flags are BPF_NOEXIST',
      ENOENT: 'no such prefix and flags are BPF_EXIST',
      ENOSPC: `the trie is full (max_entries ${this.spec.maxEntries})`,
    });
  }

  delete(key: Uint8Array): void {
    this.checkKey('delete', key);
    const k = this.parse(key);
    this.check('delete', this.remove(k), { EINVAL: this.tooLong(k), ENOENT: 'no such prefix' });
  }

  nextKey(key: Uint8Array | undefined): Uint8Array {
    if (key !== undefined) this.checkKey('next key', key);
    const next = this.after(key === undefined ? undefined : this.parse(key));
    if (!next) throw this.error('next key', 'ENOENT', this.root ? 'no prefix after this one' : 'the trie is empty');
    const out = new Uint8Array(this.spec.keySize);
    writeU32(out, 0, next.prefixlen);
    out.set(next.data, 4);
    return out;
  }

  lookupElem(keyAddr: number, cpu: number): number {
    const node = this.longestMatch(this.parse(this.keyAt(keyAddr)));
    return node ? this.values.addr(node.slot, cpu) : 0;
  }

  updateElem(keyAddr: number, valueAddr: number, flags: number, cpu: number): number {
    const k = this.parse(this.keyAt(keyAddr));
    return code(this.put(k, flags, (slot) => this.values.copyIn(slot, cpu, valueAddr)));
  }

  deleteElem(keyAddr: number): number {
    return code(this.remove(this.parse(this.keyAt(keyAddr))));
  }

  memoryUsed(): number {
    return this.bytes;
  }

  /** The key's prefixlen and a copy of its data. */
  private parse(key: Uint8Array): Key {
    return { prefixlen: readU32(key), data: key.slice(4, this.spec.keySize) };
  }

  private tooLong(k: Key): string {
    return `prefixlen ${k.prefixlen} > ${this.maxPrefixlen} (the bits of ${this.dataSize} data bytes)`;
  }

  /** How many leading bits of `node` and `key` agree, up to the shorter prefix. */
  private matchLen(node: Node, key: Key): number {
    const limit = Math.min(node.prefixlen, key.prefixlen);
    let len = 0;
    for (let i = 0; len < limit; i++) {
      const diff = node.data[i] ^ key.data[i];
      if (diff) return Math.min(len + Math.clz32(diff) - 24, limit);
      len += 8;
    }
    return limit;
  }

  /** trie_lookup_elem: the node of the longest prefix of `key`. */
  private longestMatch(key: Key): Node | undefined {
    if (key.prefixlen > this.maxPrefixlen) return undefined;
    let found: Node | undefined;
    for (let node = this.root; node; ) {
      const m = this.matchLen(node, key);
      if (m === this.maxPrefixlen) return node;
      if (m < node.prefixlen) break;
      if (node.slot >= 0) found = node;
      node = node.child[bitAt(key.data, node.prefixlen)];
    }
    return found;
  }

  /**
   * Walk from the root towards `key` while nodes are proper prefixes of it:
   * the path taken and the node where the walk stopped (undefined: a free link).
   */
  private descend(key: Key): { path: Node[]; node: Node | undefined; link: Link; m: number } {
    const path: Node[] = [];
    let link: Link = { parent: undefined, dir: 0 };
    let node = this.root;
    let m = 0;
    while (node) {
      m = this.matchLen(node, key);
      if (node.prefixlen !== m || node.prefixlen === key.prefixlen) break;
      path.push(node);
      link = { parent: node, dir: bitAt(key.data, node.prefixlen) };
      node = node.child[link.dir];
    }
    return { path, node, link, m };
  }

  private attach(link: Link, node: Node | undefined): void {
    if (link.parent) link.parent.child[link.dir] = node;
    else this.root = node;
  }

  /** trie_check_add_elem: may a new prefix be added? (takes its value slot) */
  private addSlot(flags: number): number | ErrnoName {
    if (flags === UpdateFlags.EXIST) return 'ENOENT';
    if (this.entries === this.spec.maxEntries) return 'ENOSPC';
    this.entries++;
    const slot = this.free.acquire();
    this.values.clear(slot);
    return slot;
  }

  /** trie_update_elem; `write` sets the value in a slot. */
  private put(key: Key, flags: number, write: (slot: number) => void): ErrnoName | undefined {
    if (!(flags === UpdateFlags.ANY || flags === UpdateFlags.NOEXIST || flags === UpdateFlags.EXIST)) return 'EINVAL';
    if (key.prefixlen > this.maxPrefixlen) return 'EINVAL';
    const { node, link, m } = this.descend(key);
    if (node && node.prefixlen === m && node.slot >= 0) {
      if (flags === UpdateFlags.NOEXIST) return 'EEXIST';
      node.data = key.data;
      write(node.slot);
      return undefined;
    }
    const slot = this.addSlot(flags);
    if (typeof slot === 'string') return slot;
    write(slot);
    if (node && node.prefixlen === m) {
      // an intermediate node of exactly this prefix becomes a real one
      node.data = key.data;
      node.slot = slot;
      return undefined;
    }
    const leaf: Node = { prefixlen: key.prefixlen, data: key.data, slot, child: [undefined, undefined] };
    if (!node) this.attach(link, leaf);
    else if (m === key.prefixlen) {
      // the new prefix contains `node`: insert it above
      leaf.child[bitAt(node.data, m)] = node;
      this.attach(link, leaf);
    } else {
      const im: Node = { prefixlen: m, data: node.data.slice(), slot: -1, child: [undefined, undefined] };
      const bit = bitAt(key.data, m);
      im.child[bit] = leaf;
      im.child[bit ^ 1] = node;
      this.attach(link, im);
    }
    return undefined;
  }

  /** trie_delete_elem: remove the exact prefix, keeping the trie free of needless intermediate nodes. */
  private remove(key: Key): ErrnoName | undefined {
    if (key.prefixlen > this.maxPrefixlen) return 'EINVAL';
    const { path, node, link, m } = this.descend(key);
    if (!node || node.prefixlen !== key.prefixlen || node.prefixlen !== m || node.slot < 0) return 'ENOENT';
    this.entries--;
    this.free.release(node.slot);
    node.slot = -1;
    const [c0, c1] = node.child;
    if (c0 && c1) return undefined; // stays as an intermediate node
    const parent = link.parent;
    if (parent && parent.slot < 0 && !c0 && !c1) {
      // drop the intermediate parent too: its other child takes its place
      this.attach({ parent: path[path.length - 2], dir: this.dirOf(path[path.length - 2], parent) }, parent.child[link.dir ^ 1]);
      return undefined;
    }
    this.attach(link, c0 ?? c1);
    return undefined;
  }

  private dirOf(parent: Node | undefined, child: Node): 0 | 1 {
    return parent && parent.child[1] === child ? 1 : 0;
  }

  /** trie_get_next_key: the node after `key` in post-order; the first one if `key` is not in the trie. */
  private after(key: Key | undefined): Node | undefined {
    if (!this.root) return undefined;
    if (key === undefined || key.prefixlen > this.maxPrefixlen) return this.leftmost(this.root);
    const { path, node, m } = this.descend(key);
    if (!node || node.prefixlen !== m || node.slot < 0) return this.leftmost(this.root);
    let child = node;
    for (let i = path.length - 1; i >= 0; i--) {
      const parent = path[i];
      if (parent.child[0] === child && parent.child[1]) return this.leftmost(parent.child[1]);
      if (parent.slot >= 0) return parent;
      child = parent;
    }
    return undefined;
  }

  /** The first real node of a subtree in post-order: follow the 0 branch, else the 1 branch, to a leaf. */
  private leftmost(root: Node): Node {
    let found = root;
    for (let node: Node | undefined = root; node; node = node.child[0] ?? node.child[1]) {
      if (node.slot >= 0) found = node;
    }
    return found;
  }
}

const LPM_DATA_SIZE_MAX = 256;
const LPM_VALUE_SIZE_MAX = KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - LPM_NODE_SIZE;

/** The checks of trie_alloc (all EINVAL). */
function checkLpmTrie(spec: NormalSpec): NormalSpec {
  checkNonZero(spec, 'maxEntries');
  need((spec.flags & MapFlags.NO_PREALLOC) !== 0, spec, 'EINVAL', 'an LPM trie must be created with map_flags BPF_F_NO_PREALLOC');
  checkFlags(spec, MapFlags.NO_PREALLOC | MapFlags.NUMA_NODE | ACCESS_MASK);
  need(spec.keySize >= 5 && spec.keySize <= 4 + LPM_DATA_SIZE_MAX, spec, 'EINVAL', `key_size ${spec.keySize}: an LPM key is a u32 prefixlen and 1 to ${LPM_DATA_SIZE_MAX} data bytes (5 to ${4 + LPM_DATA_SIZE_MAX})`);
  need(spec.valueSize >= 1 && spec.valueSize <= LPM_VALUE_SIZE_MAX, spec, 'EINVAL', `value_size ${spec.valueSize} is not in 1..${LPM_VALUE_SIZE_MAX}`);
  return spec;
}

export const LPM_TRIE: MapKind = { check: checkLpmTrie, create: (spec, env) => new LpmTrieMap(spec, env) };
