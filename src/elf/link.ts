import { BpfError } from '../errno.js';
import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';

/**
 * Linking a program out of an object's functions, as libbpf does: the entry
 * function first, then every function it reaches through bpf-to-bpf calls and
 * callback references, appended once each, with each call's offset rewritten
 * for the new layout. Instruction indices count 8-byte slots throughout.
 */

/** A FUNC symbol's instructions in its section. */
export interface ObjectFunction {
  name: string;
  /** ELF section index and name */
  section: number;
  sectionName: string;
  /** index of the first instruction in its section */
  start: number;
  insns: Insn[];
}

/**
 * What an instruction refers to, as the object's relocations (or, for calls
 * inside one section, the instruction itself) say.
 */
export type InsnRef =
  | { kind: 'call'; section: number; target: number }
  | { kind: 'func'; section: number; target: number }
  | { kind: 'map'; map: number }
  | { kind: 'map-value'; map: number; offset: number };

/** Where one function landed in a linked program. */
export interface Placement {
  fn: ObjectFunction;
  /** index of its first instruction in the linked program */
  at: number;
}

export interface LinkedProgram {
  insns: Insn[];
  placements: Placement[];
  /** every resolved reference, by instruction index in the linked program */
  refs: { insn: number; ref: InsnRef }[];
}

/** References of one section, by instruction index in that section. */
export type SectionRefs = Map<number, InsnRef>;

const isPseudoCall = (ins: Insn): boolean => ins.code === (o.BPF_JMP | o.BPF_CALL) && ins.src === o.BPF_PSEUDO_CALL;

/** The reference of instruction `i` of `fn` (by index in the function), if it has one. */
function refOf(fn: ObjectFunction, i: number, refs: ReadonlyMap<number, SectionRefs>): InsnRef | undefined {
  const found = refs.get(fn.section)?.get(fn.start + i);
  if (found) return found;
  const ins = fn.insns[i]!;
  // A call to a function of the same section needs no relocation: imm is already section-relative.
  if (isPseudoCall(ins)) return { kind: 'call', section: fn.section, target: fn.start + i + ins.imm + 1 };
  return undefined;
}

function functionAt(functions: readonly ObjectFunction[], section: number, target: number, from: string): ObjectFunction {
  const fn = functions.find((f) => f.section === section && f.start === target);
  if (fn) return fn;
  const inside = functions.find((f) => f.section === section && target > f.start && target < f.start + f.insns.length);
  const where = inside ? `the middle of function '${inside.name}'` : 'no function';
  throw new BpfError('EINVAL', `${from}: refers to instruction ${target} of section ${section}, which is ${where}`);
}

/** Link `entry` with every function it reaches. */
export function linkProgram(entry: ObjectFunction, functions: readonly ObjectFunction[], refs: ReadonlyMap<number, SectionRefs>): LinkedProgram {
  const placements: Placement[] = [{ fn: entry, at: 0 }];
  const placed = new Map<ObjectFunction, number>([[entry, 0]]);
  let size = entry.insns.length;
  const place = (fn: ObjectFunction): number => {
    let at = placed.get(fn);
    if (at === undefined) {
      at = size;
      size += fn.insns.length;
      placed.set(fn, at);
      placements.push({ fn, at });
    }
    return at;
  };
  const out: Insn[] = [];
  const linkedRefs: LinkedProgram['refs'] = [];
  // placements grows while we walk it: each reached function is linked in turn.
  for (let p = 0; p < placements.length; p++) {
    const { fn, at } = placements[p]!;
    const from = (i: number): string => `${fn.sectionName}: function '${fn.name}', insn ${i}`;
    const copies = fn.insns.map((ins) => ({ ...ins }));
    for (let i = 0; i < copies.length; i++) {
      const ref = refOf(fn, i, refs);
      if (!ref) continue;
      apply(copies, i, ref, at + i, from(i), (section, target) => place(functionAt(functions, section, target, from(i))));
      linkedRefs.push({ insn: at + i, ref });
    }
    out.push(...copies);
  }
  return { insns: out, placements, refs: linkedRefs };
}

/** Rewrite instruction `i` of `insns` for its reference, now that it sits at `pc`. */
function apply(insns: Insn[], i: number, ref: InsnRef, pc: number, from: string, place: (section: number, target: number) => number): void {
  const ins = insns[i]!;
  switch (ref.kind) {
    case 'call':
    case 'func':
      ins.imm = place(ref.section, ref.target) - pc - 1;
      if (ref.kind === 'func') ins.src = o.BPF_PSEUDO_FUNC;
      return;
    case 'map':
      ins.src = o.BPF_PSEUDO_MAP_IDX;
      ins.imm = ref.map;
      return;
    case 'map-value': {
      const next = insns[i + 1];
      if (!next) throw new BpfError('EINVAL', `${from}: lddw has no second slot`);
      ins.src = o.BPF_PSEUDO_MAP_IDX_VALUE;
      ins.imm = ref.map;
      next.imm = ref.offset;
      return;
    }
  }
}
