import { BpfError } from '../errno.js';
import { Insn, insn, lddw } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import type { EventEnv } from './filter-eval.js';
import { evaluateFilter } from './filter-eval.js';
import type { FieldRef, FilterNode, NumOp } from './filter-parse.js';
import { MAX_FILTER_STR_VAL } from './filter-parse.js';
import { GlobElem } from './glob.js';
import { FieldLayout, MAX_RECORD_SIZE } from './layout.js';
import type { Tracepoint } from './tracepoint.js';

/**
 * A parsed filter compiled to an eBPF program of type TRACEPOINT: r1 is the
 * event's record, r0 is 1 to keep the event and 0 to drop it.
 *
 * - `&&`, `||`, `!` become branches (short-circuit, no values computed);
 * - a numeric predicate is a load of the field at its offset (sign-extended
 *   for a signed field) and one conditional jump against the constant;
 * - a string predicate checks the length in the field's `__data_loc` and
 *   compares the bytes 8, 4, 2, 1 at a time against the pattern's bytes
 *   (exact, prefix `foo*`, and globs of `?` and `[...]` without `*`);
 * - what is the same for every event of the recording — `common_pid`,
 *   `common_type`, `COMM`, `CPU` — is folded to true or false here.
 *
 * Linux's verifier allows only constant offsets into a tracepoint's
 * context, so each string the filter reads has a fixed place (a StringSlot:
 * the record's writer puts the string there and its `__data_loc` says so):
 * the i-th string right after the fixed part, i × STRING_SLOT further on.
 * A suffix pattern (`*foo`, `*f?o`) compares against a second copy of the
 * string's last bytes, placed to end at a fixed offset (tail slots, from
 * the end of the record down). A pattern that needs a search through the
 * string (`*foo*`, a glob with `*` inside) would need loads at a variable
 * offset: compileFilter refuses it with ENOTSUPP, and the caller evaluates
 * that filter by walking the tree instead (filter.ts).
 *
 * Strings are written only when a filter reaches them: a string whose
 * `__data_loc` length is 0 (never so for a written string, whose length
 * counts its NUL) has not been written yet, and the program returns
 * UNWRITTEN; its host writes the strings and runs it again (filter-host.ts).
 * A filter has no side effects, so the second run decides as one run on the
 * whole record would.
 */

/** r0 of a filter that reached a string not written yet */
export const UNWRITTEN = 2;

/** bytes of the place of each string a filter reads: the longest operand and its NUL, rounded up to 8 */
export const STRING_SLOT = MAX_FILTER_STR_VAL + 8;

/** Where the record's writer puts a string the filter reads (offsets from the record's start). */
export interface StringSlot {
  field: FieldLayout;
  /** the string and its NUL, at most `size` bytes */
  head: number;
  size: number;
  /** when a suffix is compared: the string's last bytes (up to STRING_SLOT) end here */
  tailEnd?: number;
}

export interface CompiledFilter {
  insns: Insn[];
  /** the scalar fields the program loads (written before each run) */
  scalars: FieldLayout[];
  /** the string fields it compares and where they go */
  strings: StringSlot[];
}

type Label = { at: number; uses: number[] };

const CTX = 6;

const JMP_OF: Record<Exclude<NumOp, '&'>, [number, number]> = {
  '==': [o.BPF_JEQ, o.BPF_JEQ], '!=': [o.BPF_JNE, o.BPF_JNE],
  '<': [o.BPF_JLT, o.BPF_JSLT], '<=': [o.BPF_JLE, o.BPF_JSLE],
  '>': [o.BPF_JGT, o.BPF_JSGT], '>=': [o.BPF_JGE, o.BPF_JSGE],
};
const INVERSE: Record<Exclude<NumOp, '&'>, Exclude<NumOp, '&'>> = { '==': '!=', '!=': '==', '<': '>=', '>=': '<', '>': '<=', '<=': '>' };

class Emitter {
  private readonly labels: Label[] = [];
  readonly out: Insn[] = [];
  readonly scalars: FieldLayout[] = [];
  readonly strings: StringSlot[] = [];
  /** where a string not written yet leads (placed by compileFilter when used) */
  readonly unwritten: Label = this.label();
  private tails = 0;

  constructor(private readonly tp: Tracepoint) {}

  label(): Label {
    const l: Label = { at: -1, uses: [] };
    this.labels.push(l);
    return l;
  }

  place(l: Label): void {
    l.at = this.out.length;
  }

  /** A jump to `l` (code `code`, compare `dst` with imm or src), patched when `l` is placed. */
  jump(l: Label, code: number, dst = 0, src = 0, imm = 0): void {
    l.uses.push(this.out.length);
    this.out.push(insn(code, dst, src, 0, imm));
  }

  emit(...i: Insn[]): void {
    this.out.push(...i);
  }

  /** The instructions with every jump pointing at its label. */
  finish(): Insn[] {
    for (const l of this.labels) for (const u of l.uses) this.out[u]!.off = l.at - u - 1;
    return this.out;
  }

  /** Jump to `l` when `node` (folded: no constants in it) is `when`; fall through otherwise. */
  cond(node: FilterNode, l: Label, when: boolean): void {
    switch (node.op) {
      case '!': return this.cond(node.expr, l, !when);
      case '&&':
      case '||': {
        // a && b jumps when false as soon as one is false; when true only after both (and dually for ||)
        if ((node.op === '&&') === !when) {
          this.cond(node.left, l, when);
          this.cond(node.right, l, when);
        } else {
          const skip = this.label();
          this.cond(node.left, skip, !when);
          this.cond(node.right, l, when);
          this.place(skip);
        }
        return;
      }
      case 'num': return this.number(node.field, node.cmp, node.value, l, when);
      case 'str': return this.string(node, l, when !== node.negate);
    }
  }

  private number(ref: FieldRef, cmp: NumOp, value: bigint, l: Label, when: boolean): void {
    const f = (ref as { f: FieldLayout }).f;
    if (!this.scalars.includes(f)) this.scalars.push(f);
    this.emit(insn(o.BPF_LDX | o.BPF_MEM | sizeCode(f.size), 1, CTX, f.offset));
    // a 32-bit field compares with 32-bit jumps; a narrower signed one is sign-extended first
    const cls = f.size === 4 ? o.BPF_JMP32 : o.BPF_JMP;
    if (f.signed && f.size < 4) {
      const sh = 64 - 8 * f.size;
      this.emit(insn(o.BPF_ALU64 | o.BPF_LSH | o.BPF_K, 1, 0, 0, sh), insn(o.BPF_ALU64 | o.BPF_ARSH | o.BPF_K, 1, 0, 0, sh));
    }
    // the constant as the jump sees it: imm is sign-extended to 64 bits, or used as 32 bits by JMP32
    const imm = f.size === 4 ? BigInt.asIntN(32, value) : value;
    const small = imm >= -0x80000000n && imm <= 0x7fffffffn;
    if (!small) this.emit(...lddw(2, value));
    const operand = (op: number): [number, number, number, number] =>
      small ? [cls | op | o.BPF_K, 1, 0, Number(imm)] : [cls | op | o.BPF_X, 1, 2, 0];
    if (cmp === '&') {
      if (when) {
        const [code, dst, src, k] = operand(o.BPF_JSET);
        return this.jump(l, code, dst, src, k);
      }
      // jump when (field & value) == 0
      this.emit(small ? insn(o.BPF_ALU64 | o.BPF_AND | o.BPF_K, 1, 0, 0, Number(imm)) : insn(o.BPF_ALU64 | o.BPF_AND | o.BPF_X, 1, 2));
      return this.jump(l, cls | o.BPF_JEQ | o.BPF_K, 1, 0, 0);
    }
    const op = JMP_OF[when ? cmp : INVERSE[cmp]][f.signed ? 1 : 0];
    const [code, dst, src, k] = operand(op);
    this.jump(l, code, dst, src, k);
  }

  /** Jump to `l` when the string matches (`onMatch`) or when it does not. */
  private string(node: Extract<FilterNode, { op: 'str' }>, l: Label, onMatch: boolean): void {
    const f = (node.field as { f: FieldLayout }).f;
    const { elems, anchor } = patternElements(node);
    const slot = this.slot(f, anchor === 'end');
    const fail = onMatch ? this.label() : l;
    // r1 = length with the NUL, from the __data_loc's high half
    this.emit(insn(o.BPF_LDX | o.BPF_MEM | o.BPF_W, 1, CTX, f.offset), insn(o.BPF_ALU64 | o.BPF_RSH | o.BPF_K, 1, 0, 0, 16));
    this.jump(this.unwritten, o.BPF_JMP | o.BPF_JEQ | o.BPF_K, 1, 0, 0);
    const n = elems.length;
    this.jump(fail, o.BPF_JMP | (anchor === 'full' ? o.BPF_JNE : o.BPF_JLT) | o.BPF_K, 1, 0, n + 1);
    const base = anchor === 'end' ? slot.tailEnd! - n : slot.head;
    let k = 0;
    while (k < n) {
      const run = literalRun(elems, k);
      if (run > 0) {
        // the widest load aligned at its (8-aligned record's) offset that stays in the run
        const size = [8, 4, 2, 1].find((s) => (base + k) % s === 0 && s <= run)!;
        this.bytesEqual(base + k, elems.slice(k, k + size) as number[], fail);
        k += size;
      } else {
        this.byteInClass(base + k, elems[k] as Exclude<GlobElem, number | 'star'>, fail);
        k++;
      }
    }
    if (onMatch) {
      this.jump(l, o.BPF_JMP | o.BPF_JA);
      this.place(fail);
    }
  }

  /** The field's slot (made on first use), with a tail copy when `tail`; E2BIG when the record is full. */
  private slot(f: FieldLayout, tail: boolean): StringSlot {
    let slot = this.strings.find((x) => x.field === f);
    if (!slot) this.strings.push((slot = { field: f, head: this.tp.layout.size + this.strings.length * STRING_SLOT, size: STRING_SLOT }));
    if (tail && slot.tailEnd === undefined) slot.tailEnd = MAX_RECORD_SIZE - STRING_SLOT * this.tails++;
    if (this.tp.layout.size + this.strings.length * STRING_SLOT > MAX_RECORD_SIZE - STRING_SLOT * this.tails) {
      throw new BpfError('E2BIG', `filter on ${this.tp.name}: its strings do not fit in one record (${MAX_RECORD_SIZE} bytes)`);
    }
    return slot;
  }

  private bytesEqual(off: number, bytes: number[], fail: Label): void {
    const size = bytes.length;
    let v = 0n;
    bytes.forEach((b, i) => (v |= BigInt(b) << BigInt(8 * i)));
    this.emit(insn(o.BPF_LDX | o.BPF_MEM | sizeCode(size), 1, CTX, off));
    if (size === 8) {
      this.emit(...lddw(2, v));
      this.jump(fail, o.BPF_JMP | o.BPF_JNE | o.BPF_X, 1, 2);
    } else this.jump(fail, o.BPF_JMP32 | o.BPF_JNE | o.BPF_K, 1, 0, Number(BigInt.asIntN(32, v)));
  }

  private byteInClass(off: number, e: Exclude<GlobElem, number | 'star'>, fail: Label): void {
    if (e === 'any') return;
    this.emit(insn(o.BPF_LDX | o.BPF_MEM | o.BPF_B, 1, CTX, off));
    const inside = this.label();
    for (const [a, b] of e.ranges) {
      if (a === b) {
        this.jump(inside, o.BPF_JMP | o.BPF_JEQ | o.BPF_K, 1, 0, a);
        continue;
      }
      const next = this.label();
      this.jump(next, o.BPF_JMP | o.BPF_JLT | o.BPF_K, 1, 0, a);
      this.jump(inside, o.BPF_JMP | o.BPF_JLE | o.BPF_K, 1, 0, b);
      this.place(next);
    }
    // not in the class
    const pass = this.label();
    this.jump(e.inverted ? pass : fail, o.BPF_JMP | o.BPF_JA);
    this.place(inside);
    if (e.inverted) this.jump(fail, o.BPF_JMP | o.BPF_JA);
    this.place(pass);
  }
}

/**
 * The tree with every predicate on what is the same for every event (pid,
 * COMM, CPU …) evaluated, and the `&&`/`||`/`!` above them simplified (no
 * predicate has side effects, so dropping one is safe): true, false, or a
 * tree of predicates on fields only — no code is generated that cannot run.
 */
function fold(node: FilterNode, env: EventEnv): FilterNode | boolean {
  switch (node.op) {
    case '!': {
      const e = fold(node.expr, env);
      return typeof e === 'boolean' ? !e : { op: '!', expr: e };
    }
    case '&&':
    case '||': {
      const absorbing = node.op === '||';
      const l = fold(node.left, env);
      const r = fold(node.right, env);
      if (l === absorbing || r === absorbing) return absorbing;
      if (typeof l === 'boolean') return r;
      if (typeof r === 'boolean') return l;
      return { op: node.op, left: l, right: r };
    }
    default:
      return node.field.kind === 'leaf' ? node : evaluateFilter(node, {}, env);
  }
}

/** Compile `tree` for `tp`'s events recorded with `env`; ENOTSUPP for a pattern that needs a search. */
export function compileFilter(tree: FilterNode, tp: Tracepoint, env: EventEnv): CompiledFilter {
  const e = new Emitter(tp);
  const folded = fold(tree, env);
  if (typeof folded === 'boolean') {
    e.emit(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, 0, 0, 0, folded ? 1 : 0), insn(o.BPF_JMP | o.BPF_EXIT));
    return { insns: e.finish(), scalars: [], strings: [] };
  }
  const drop = e.label();
  e.emit(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, CTX, 1));
  e.cond(folded, drop, false);
  e.emit(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, 0, 0, 0, 1), insn(o.BPF_JMP | o.BPF_EXIT));
  e.place(drop);
  e.emit(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, 0, 0, 0, 0), insn(o.BPF_JMP | o.BPF_EXIT));
  if (e.strings.length) {
    e.place(e.unwritten);
    e.emit(insn(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, 0, 0, 0, UNWRITTEN), insn(o.BPF_JMP | o.BPF_EXIT));
  }
  return { insns: e.finish(), scalars: e.scalars, strings: e.strings };
}

const encoder = new TextEncoder();

/**
 * The positions of a pattern that needs no search, and where it is
 * anchored: the whole string, its start (`foo*`, `b?[ab]*`) or its end
 * (`*foo`, `*f?o`); ENOTSUPP for one that needs a search (`*foo*`, a `*`
 * inside).
 */
function patternElements(node: Extract<FilterNode, { op: 'str' }>): { elems: Exclude<GlobElem, 'star'>[]; anchor: 'full' | 'front' | 'end' } {
  const literal = (): GlobElem[] => [...encoder.encode(node.pattern)];
  let elems: readonly GlobElem[] = node.match === 'glob' ? node.glob! : node.match === 'middle' ? ['star', ...literal(), 'star'] : literal();
  let anchor: 'full' | 'front' | 'end' = node.match === 'front' ? 'front' : node.match === 'end' ? 'end' : 'full';
  if (node.match === 'glob') {
    const lead = elems[0] === 'star';
    const trail = elems.length > 0 && elems.at(-1) === 'star';
    while (elems[0] === 'star') elems = elems.slice(1);
    while (elems.at(-1) === 'star') elems = elems.slice(0, -1);
    if (lead && trail) elems = ['star', ...elems, 'star'];
    else anchor = lead ? 'end' : trail ? 'front' : 'full';
  }
  if (elems.includes('star')) {
    const what = node.match === 'middle' ? '*infix*' : 'a glob with * inside';
    throw new BpfError('ENOTSUPP', `filter: the pattern at column ${node.col} ('${node.pattern}', ${what}) needs a search through the string, which compiled filters do not do yet`);
  }
  return { elems: elems as Exclude<GlobElem, 'star'>[], anchor };
}

/** How many literal bytes start at `k`. */
function literalRun(elems: readonly GlobElem[], k: number): number {
  let n = 0;
  while (k + n < elems.length && typeof elems[k + n] === 'number') n++;
  return n;
}

function sizeCode(size: number): number {
  return size === 1 ? o.BPF_B : size === 2 ? o.BPF_H : size === 4 ? o.BPF_W : o.BPF_DW;
}
