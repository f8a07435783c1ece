import { SlotAllocator } from './slots.js';

/**
 * The LRU policy of LRU_HASH and LRU_PERCPU_HASH, as Linux's bpf_lru
 * (kernel/bpf/bpf_lru_list.c, Documentation/bpf/map_lru_hash_update.rst),
 * so the same operations evict the same keys. It is not exact LRU: each
 * node has a reference bit that a program's lookup sets; lists are rotated
 * (referenced nodes to the active list, unreferenced ones to the inactive
 * list) and shrunk from the inactive tail when free nodes run out.
 *
 * Common LRU (the default): one global active/inactive/free list, and per
 * CPU a local free list and a pending list (nodes handed out, not yet
 * rotated). A CPU out of local free nodes moves its pending nodes to the
 * global lists, rotates them, and takes `targetFree` free nodes, shrinking
 * the inactive list if there are not enough; failing that it steals from the
 * local lists of each CPU in turn.
 *
 * BPF_F_NO_COMMON_LRU: each CPU has its own active/inactive/free lists and
 * count / CPUs nodes; an update on a CPU takes a node of that CPU's lists,
 * shrinking them by PERCPU_FREE_TARGET nodes when none is free.
 *
 * Node i is slot i. The lists are linked through two Int32Arrays, as
 * list_head: nodes first, then the head of each list, so a map of millions
 * of elements costs a few bytes per element. Calls from user space act as
 * CPU 0.
 */
export class LinuxLru implements SlotAllocator {
  private readonly links: Links;
  private readonly type: Uint8Array;
  private readonly ref: Uint8Array;
  private readonly cpu: Uint16Array;
  /** common LRU: one; BPF_F_NO_COMMON_LRU: one per CPU */
  private readonly lists: LruList[] = [];
  /** common LRU: each CPU's local lists */
  private readonly locals: LocalList[] = [];
  private readonly targetFree: number;
  private nextHead: number;

  /**
   * `count` slots over `cpus` CPUs, per-CPU lists when `percpu`. `del(slot)`
   * removes the element in `slot` from the map, and says whether there was
   * one (Linux's del_from_htab).
   */
  constructor(count: number, private readonly cpus: number, private readonly percpu: boolean, private readonly del: (slot: number) => boolean) {
    this.links = new Links(count + cpus * 5);
    this.nextHead = count;
    this.type = new Uint8Array(count).fill(ListType.FREE);
    this.ref = new Uint8Array(count);
    this.cpu = new Uint16Array(count);
    if (percpu) this.populatePercpu(count);
    else this.populateCommon(count);
    this.targetFree = Math.min(Math.max(Math.floor(Math.floor(count / cpus) / 2), 1), LOCAL_FREE_TARGET);
  }

  private newList(): LruList {
    const [active, inactive, free] = [this.nextHead++, this.nextHead++, this.nextHead++];
    return { active, inactive, free, counts: [0, 0], nextInactiveRotation: inactive };
  }

  /** bpf_common_lru_populate: every node on the free list (the last slot first). */
  private populateCommon(count: number): void {
    this.lists.push(this.newList());
    for (let cpu = 0; cpu < this.cpus; cpu++) this.locals.push({ free: this.nextHead++, pending: this.nextHead++, nextSteal: cpu });
    for (let n = 0; n < count; n++) this.links.addHead(n, this.lists[0]!.free);
  }

  /** bpf_percpu_lru_populate: count / cpus consecutive nodes per CPU. */
  private populatePercpu(count: number): void {
    const per = Math.max(1, Math.floor(count / this.cpus));
    for (let cpu = 0; cpu < this.cpus; cpu++) this.lists.push(this.newList());
    for (let n = 0; n < count; n++) {
      this.cpu[n] = Math.min(Math.floor(n / per), this.cpus - 1);
      this.links.addHead(n, this.lists[this.cpu[n]!]!.free);
    }
  }

  /** bpf_lru_pop_free: a node for a new element on `cpu`, or -1 (Linux's ENOMEM). */
  acquire(cpu: number): number {
    return this.percpu ? this.percpuPop(cpu) : this.commonPop(cpu);
  }

  /** bpf_lru_push_free: the slot's element is gone. */
  release(slot: number): void {
    if (this.percpu) return this.nodeMove(this.lists[this.cpu[slot]!]!, slot, ListType.FREE);
    if (this.type[slot] === ListType.LOCAL_PENDING) {
      this.type[slot] = ListType.LOCAL_FREE;
      this.ref[slot] = 0;
      this.links.move(slot, this.locals[this.cpu[slot]!]!.free);
      return;
    }
    this.nodeMove(this.lists[0]!, slot, ListType.FREE);
  }

  /** bpf_lru_node_set_ref: a program looked the element up (or replaced it). */
  touch(slot: number): void {
    this.ref[slot] = 1;
  }

  private percpuPop(cpu: number): number {
    const l = this.lists[cpu]!;
    this.rotate(l);
    if (this.links.isEmpty(l.free)) this.shrink(l, PERCPU_FREE_TARGET, l.free, ListType.FREE);
    if (this.links.isEmpty(l.free)) return -1;
    const node = this.links.next[l.free]!;
    this.ref[node] = 0;
    this.nodeMove(l, node, ListType.INACTIVE);
    return node;
  }

  private commonPop(cpu: number): number {
    const loc = this.locals[cpu]!;
    let node = this.links.popFirst(loc.free);
    if (node < 0) {
      this.refillLocal(loc);
      node = this.links.popFirst(loc.free);
    }
    if (node < 0) node = this.steal(loc);
    if (node >= 0) this.addPending(loc, cpu, node);
    return node;
  }

  /** Take a free or (unreferenced first) pending node from each CPU's local lists in turn, from loc.nextSteal. */
  private steal(loc: LocalList): number {
    const first = loc.nextSteal;
    let cpu = first;
    let node = -1;
    do {
      const from = this.locals[cpu]!;
      node = this.links.popFirst(from.free);
      if (node < 0) node = this.popPending(from);
      cpu = (cpu + 1) % this.cpus;
    } while (node < 0 && cpu !== first);
    loc.nextSteal = cpu;
    return node;
  }

  /** __local_list_pop_pending: the oldest pending node still in the map, unreferenced ones first. */
  private popPending(loc: LocalList): number {
    for (const force of [false, true]) {
      for (const node of this.links.reverse(loc.pending)) {
        if ((!this.ref[node] || force) && this.del(node)) {
          this.links.unlink(node);
          return node;
        }
      }
    }
    return -1;
  }

  /** __local_list_add_pending */
  private addPending(loc: LocalList, cpu: number, node: number): void {
    this.cpu[node] = cpu;
    this.type[node] = ListType.LOCAL_PENDING;
    this.ref[node] = 0;
    this.links.addHead(node, loc.pending);
  }

  /** bpf_lru_list_pop_free_to_local: flush the pending list, rotate, take targetFree free nodes (shrinking if short). */
  private refillLocal(loc: LocalList): void {
    const l = this.lists[0]!;
    for (const node of this.links.reverse(loc.pending)) this.nodeMoveIn(l, node, this.ref[node] ? ListType.ACTIVE : ListType.INACTIVE);
    this.rotate(l);
    let taken = 0;
    for (const node of this.links.forward(l.free)) {
      this.nodeMoveToFree(l, node, loc.free, ListType.LOCAL_FREE);
      if (++taken === this.targetFree) break;
    }
    if (taken < this.targetFree) this.shrink(l, this.targetFree - taken, loc.free, ListType.LOCAL_FREE);
  }

  /** __bpf_lru_list_rotate: refill the inactive list from the active one when it is the smaller, then age the inactive list. */
  private rotate(l: LruList): void {
    if (l.counts[ListType.INACTIVE]! < l.counts[ListType.ACTIVE]!) this.rotateActive(l);
    this.rotateInactive(l);
  }

  /** __bpf_lru_list_rotate_active: from the tail, referenced nodes back to the active head, the others to the inactive list. */
  private rotateActive(l: LruList): void {
    const first = this.links.next[l.active]!;
    let scanned = 0;
    for (const node of this.links.reverse(l.active)) {
      this.nodeMove(l, node, this.ref[node] ? ListType.ACTIVE : ListType.INACTIVE);
      if (++scanned === NR_SCANS || node === first) break;
    }
  }

  /** __bpf_lru_list_rotate_inactive: from nextInactiveRotation towards the head, referenced nodes to the active list. */
  private rotateInactive(l: LruList): void {
    const { prev, next: nextOf } = this.links;
    const inactive = l.inactive;
    if (this.links.isEmpty(inactive)) return;
    let last = nextOf[l.nextInactiveRotation]!;
    if (last === inactive) last = nextOf[last]!;
    let cur = l.nextInactiveRotation;
    let next = inactive;
    for (let scanned = 0; scanned < NR_SCANS; ) {
      if (cur === inactive) {
        cur = prev[cur]!;
        continue;
      }
      next = prev[cur]!;
      if (this.ref[cur]) this.nodeMove(l, cur, ListType.ACTIVE);
      if (cur === last) break;
      cur = next;
      scanned++;
    }
    l.nextInactiveRotation = next;
  }

  /** __bpf_lru_list_shrink: free up to `n` unreferenced inactive nodes; failing any, one node whatever its bit. */
  private shrink(l: LruList, n: number, freeList: number, freeType: ListType): number {
    let shrunk = 0;
    let scanned = 0;
    for (const node of this.links.reverse(l.inactive)) {
      if (this.ref[node]) this.nodeMove(l, node, ListType.ACTIVE);
      else if (this.del(node)) {
        this.nodeMoveToFree(l, node, freeList, freeType);
        if (++shrunk === n) break;
      }
      if (++scanned === NR_SCANS) break;
    }
    if (shrunk) return shrunk;
    const force = this.links.isEmpty(l.inactive) ? l.active : l.inactive;
    for (const node of this.links.reverse(force)) {
      if (this.del(node)) {
        this.nodeMoveToFree(l, node, freeList, freeType);
        return 1;
      }
    }
    return 0;
  }

  private count(l: LruList, type: number, by: number): void {
    if (type <= ListType.INACTIVE) l.counts[type]! += by;
  }

  private head(l: LruList, type: ListType): number {
    return type === ListType.ACTIVE ? l.active : type === ListType.INACTIVE ? l.inactive : l.free;
  }

  /** __bpf_lru_node_move: to the head of another of the list's own lists, reference bit cleared. */
  private nodeMove(l: LruList, node: number, to: ListType): void {
    if (this.type[node] !== to) {
      this.count(l, this.type[node]!, -1);
      this.count(l, to, 1);
      this.type[node] = to;
    }
    this.ref[node] = 0;
    if (node === l.nextInactiveRotation) l.nextInactiveRotation = this.links.prev[node]!;
    this.links.move(node, this.head(l, to));
  }

  /** __bpf_lru_node_move_in: from a local list to a global one. */
  private nodeMoveIn(l: LruList, node: number, to: ListType): void {
    this.count(l, to, 1);
    this.type[node] = to;
    this.ref[node] = 0;
    this.links.move(node, this.head(l, to));
  }

  /** __bpf_lru_node_move_to_free: to a free list (a local one, or the list's own). */
  private nodeMoveToFree(l: LruList, node: number, freeList: number, freeType: ListType): void {
    if (node === l.nextInactiveRotation) l.nextInactiveRotation = this.links.prev[node]!;
    this.count(l, this.type[node]!, -1);
    this.type[node] = freeType;
    this.links.move(node, freeList);
  }
}

/** LOCAL_FREE_TARGET, LOCAL_NR_SCANS and PERCPU_FREE_TARGET of bpf_lru_list.c */
const LOCAL_FREE_TARGET = 128;
const NR_SCANS = LOCAL_FREE_TARGET;
const PERCPU_FREE_TARGET = 4;

/** enum bpf_lru_list_type: the first two are counted. */
const enum ListType {
  ACTIVE = 0,
  INACTIVE = 1,
  FREE = 2,
  LOCAL_FREE = 3,
  LOCAL_PENDING = 4,
}

/** One active/inactive/free set of lists (heads are link indexes). */
interface LruList {
  active: number;
  inactive: number;
  free: number;
  /** nodes on the active and inactive lists */
  counts: [number, number];
  /** where the next inactive rotation starts (a node, or the inactive head) */
  nextInactiveRotation: number;
}

interface LocalList {
  free: number;
  pending: number;
  nextSteal: number;
}

/** Circular doubly linked lists over indexes, as list_head: a list is its head entry. */
class Links {
  readonly prev: Int32Array;
  readonly next: Int32Array;

  constructor(size: number) {
    this.prev = Int32Array.from({ length: size }, (_, i) => i);
    this.next = Int32Array.from({ length: size }, (_, i) => i);
  }

  isEmpty(head: number): boolean {
    return this.next[head] === head;
  }

  unlink(n: number): void {
    const { prev, next } = this;
    next[prev[n]!] = next[n]!;
    prev[next[n]!] = prev[n]!;
    prev[n] = n;
    next[n] = n;
  }

  addHead(n: number, head: number): void {
    const { prev, next } = this;
    next[n] = next[head]!;
    prev[n] = head;
    prev[next[head]!] = n;
    next[head] = n;
  }

  move(n: number, head: number): void {
    this.unlink(n);
    this.addHead(n, head);
  }

  /** The first entry, unlinked; -1 when the list is empty. */
  popFirst(head: number): number {
    if (this.isEmpty(head)) return -1;
    const n = this.next[head]!;
    this.unlink(n);
    return n;
  }

  /** From the tail to the head; the current entry may move away (its predecessor is taken first). */
  *reverse(head: number): Generator<number> {
    for (let n = this.prev[head]!, p = this.prev[n]!; n !== head; n = p, p = this.prev[n]!) yield n;
  }

  /** From the head to the tail; the current entry may move away. */
  *forward(head: number): Generator<number> {
    for (let n = this.next[head]!, nx = this.next[n]!; n !== head; n = nx, nx = this.next[n]!) yield n;
  }
}
