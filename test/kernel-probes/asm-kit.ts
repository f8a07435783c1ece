/**
 * Test utility: assembler snippets for the small programs of the map
 * differential (map-programs.ts). Maps are named by their index in the
 * program's map list (`map[idx:N]`, BPF_PSEUDO_MAP_IDX). Stack bytes
 * [r10-12, r10) belong to save(); programs keep their keys and values below.
 */
import { assemble } from '../../src/isa/asm.js';
import { encode } from '../../src/isa/instruction.js';

/** Assembler text to the hex the probes take. */
export const asmHex = (text: string): string => Buffer.from(encode(assemble(text))).toString('hex');

/**
 * Where each function of `text` starts, in instruction slots: 0 for the
 * program, then each label in `labels` (callbacks). The kernel wants BTF
 * func_info for programs with callbacks; bpf_steps.py makes it from these.
 */
export function funcStarts(text: string, labels: readonly string[]): number[] {
  // The text before a label, with the callback labels defined at its end (it refers to them) and one slot there.
  const slotsBefore = (l: string): number => assemble(`${text.slice(0, text.indexOf(`\n${l}:`))}\n${labels.join(':\n')}:\nexit`).length - 1;
  return [0, ...labels.map(slotsBefore)];
}

/** The little-endian hex of a u32 / u64 / u16. */
export const u32 = (n: number): string => Buffer.from(Uint32Array.of(n >>> 0).buffer).toString('hex');
export const u64 = (n: number | bigint): string => Buffer.from(BigUint64Array.of(BigInt.asUintN(64, BigInt(n))).buffer).toString('hex');

/** r1 = the map at `idx`, r2 = r10 + `key` (a negative stack offset). */
const mapKey = (idx: number, key: number): string => `r1 = map[idx:${idx}] ll\nr2 = r10\nr2 += ${key}`;

/** bpf_map_lookup_elem(map idx, r10 + key) */
export const lookup = (idx: number, key: number): string => `${mapKey(idx, key)}\ncall 1`;

/** bpf_map_update_elem(map idx, r10 + key, r10 + value, flags) */
export const update = (idx: number, key: number, value: number, flags: number | string = 0): string =>
  `${mapKey(idx, key)}\nr3 = r10\nr3 += ${value}\nr4 = ${flags}\ncall 2`;

/** bpf_map_delete_elem(map idx, r10 + key) */
export const del = (idx: number, key: number): string => `${mapKey(idx, key)}\ncall 3`;

/** bpf_map_push_elem(map idx, r10 + value, flags) */
export const push = (idx: number, value: number, flags = 0): string => `${mapKey(idx, value)}\nr3 = ${flags}\ncall 87`;

/** bpf_map_pop_elem / bpf_map_peek_elem(map idx, r10 + value) */
export const pop = (idx: number, value: number): string => `${mapKey(idx, value)}\ncall 88`;
export const peek = (idx: number, value: number): string => `${mapKey(idx, value)}\ncall 89`;

/**
 * Store r0 (all 64 bits) in element `slot` of the ARRAY (u32 → u64) at map
 * index `ret`: every helper's return value ends up in the map dump, where
 * both sides are compared. Clobbers r0-r5 and [r10-12, r10).
 */
export const save = (ret: number, slot: number): string =>
  `*(u64 *)(r10 - 8) = r0\n*(u32 *)(r10 - 12) = ${slot}\n${update(ret, -12, -8)}`;

/** r0 = 1 if r0 is not NULL, else 0 (a pointer differs between the two sides; whether it is NULL does not). */
export const nonNull = (label: string): string => `if r0 == 0 goto ${label}\nr0 = 1\n${label}:`;

/** A 64-byte Ethernet + IPv4 + UDP frame, to PACKET_HOST (all-zero destination MAC, as the loopback device's). */
export const PACKET =
  '000000000000' + '020000000001' + '0800' + // Ethernet
  '4500003200010000' + '40110000' + '0a000001' + '0a000002' + // IPv4 10.0.0.1 → 10.0.0.2, UDP
  '04d2162e001e0000' + // UDP 1234 → 5678
  Buffer.from(Array.from({ length: 22 }, (_, i) => 0x30 + i)).toString('hex');
