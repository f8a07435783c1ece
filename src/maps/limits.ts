/**
 * Numbers of the Linux kernel that bound map sizes (x86-64, 4 KiB pages), as
 * the map_alloc_check functions of kernel/bpf use them.
 */

/** KMALLOC_MAX_SIZE: 1 << (MAX_PAGE_ORDER 10 + PAGE_SHIFT 12) */
export const KMALLOC_MAX_SIZE = 4 << 20;
/** PCPU_MIN_UNIT_SIZE: a per-CPU value may not be larger */
export const PCPU_MIN_UNIT_SIZE = 32 << 10;
/** sizeof(struct htab_elem): the header before a hash element's key */
export const HTAB_ELEM_SIZE = 48;
/** sizeof(struct bucket) of the hash table */
export const HTAB_BUCKET_SIZE = 16;
/** sizeof(struct lpm_trie_node) before its data */
export const LPM_NODE_SIZE = 24;
/** BPF_OBJ_NAME_LEN: names hold at most 15 characters and a NUL */
export const BPF_OBJ_NAME_LEN = 16;
export const U32_MAX = 0xffffffff;
export const INT_MAX = 0x7fffffff;

/** round_up(n, 8) */
export function round8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
