import { BpfError } from '../errno.js';
import { FieldLayout, isDynamic, isScalar } from './layout.js';
import type { Tracepoint } from './tracepoint.js';
import { GlobElem, globElements } from './glob.js';

const utf8 = new TextEncoder();

/**
 * Linux's trace event filter language (kernel/trace/trace_events_filter.c),
 * parsed against one tracepoint's fields:
 *
 *   ((sig >= 10 && sig < 15) || sig == 17) && comm != bash
 *
 * - numeric fields: `== != < <= > >= &` against a number (decimal, 0x hex,
 *   0 octal, negative for signed fields), which is cut to the field's width
 *   as Linux casts it (a u8 field compared with 257 compares with 1);
 * - string fields: `== !=` (exact) and `~` (glob: `foo*`, `*foo`, `*foo*`,
 *   or `?` and `[...]` anywhere), against a value quoted with " or ', or
 *   bare (up to a space or a parenthesis);
 * - `&& || !` and parentheses; `&&` binds tighter than `||`;
 * - besides the tracepoint's own fields: the common header (`common_pid`,
 *   `common_type`, `common_flags`, `common_preempt_count`), and `COMM` /
 *   `CPU` (also `comm` / `cpu` when the event has no field of that name):
 *   the task's name and the CPU the event is recorded on.
 *
 * Errors are FilterErrors (EINVAL) with Linux's parse_error text and the
 * column, rendered as the event's `filter` file shows them: the filter, a
 * caret under the column, `parse_error: <text>`.
 */

export type NumOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&';
export type StrOp = '==' | '!=' | '~';

/** What a predicate's left side names: a field of the record, or a value the same for every event of a recording. */
export type FieldRef =
  | { kind: 'leaf'; f: FieldLayout }
  | { kind: 'common'; name: 'common_pid' | 'common_type' | 'common_flags' | 'common_preempt_count'; size: number; signed: boolean }
  | { kind: 'cpu' }
  | { kind: 'comm' };

/** How a string pattern matches (Linux's enum regex_type). */
export type MatchKind = 'full' | 'front' | 'end' | 'middle' | 'glob';

export type FilterNode =
  | { op: '&&' | '||'; left: FilterNode; right: FilterNode }
  | { op: '!'; expr: FilterNode }
  | { op: 'num'; field: FieldRef; cmp: NumOp; value: bigint; col: number; /** value as a number, for fields of up to 32 bits */ small: number }
  | { op: 'str'; field: FieldRef; negate: boolean; match: MatchKind; pattern: string; col: number; glob?: readonly GlobElem[] };

/** MAX_FILTER_STR_VAL: the longest string operand */
export const MAX_FILTER_STR_VAL = 256;

export class FilterError extends BpfError {
  constructor(readonly text: string, readonly column: number, readonly reason: string) {
    super('EINVAL', `${text}\n${' '.repeat(column)}^\nparse_error: ${reason}`);
  }
}

type Tok = { t: 'op' | 'cmp' | 'word' | 'str' | 'end'; v: string; col: number };

const CMPS = ['==', '!=', '<=', '>=', '<', '>', '&', '~'];

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '&&' || two === '||') {
      out.push({ t: 'op', v: two, col: i });
      i += 2;
    } else if (c === '(' || c === ')') {
      out.push({ t: 'op', v: c, col: i });
      i++;
    } else if (c === '!' && two !== '!=' && two !== '!~') {
      out.push({ t: 'op', v: '!', col: i });
      i++;
    } else if (CMPS.includes(two) || CMPS.includes(c) || two === '!~') {
      const v = CMPS.includes(two) || two === '!~' ? two : c;
      out.push({ t: 'cmp', v, col: i });
      i += v.length;
    } else if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new FilterError(text, i, 'Missing matching quote');
      out.push({ t: 'str', v: text.slice(i + 1, end), col: i });
      i = end + 1;
    } else {
      const start = i;
      while (i < text.length && !/[\s()&|!=<>~"']/.test(text[i]!)) i++;
      if (i === start) throw new FilterError(text, i, 'Invalid operator');
      out.push({ t: 'word', v: text.slice(start, i), col: start });
    }
  }
  out.push({ t: 'end', v: '', col: text.length });
  return out;
}

/** Parse `text` as a filter on `tp`'s events; FilterError (EINVAL) pointing at the column otherwise. */
export function parseFilter(text: string, tp: Tracepoint): FilterNode {
  if (text.length > 4096) throw new FilterError(text.slice(0, 40) + '…', 0, 'Operand too long');
  const toks = tokenize(text);
  let k = 0;
  let depth = 0;
  const peek = (): Tok => toks[k]!;
  const fail = (col: number, reason: string): never => {
    throw new FilterError(text, col, reason);
  };

  const or = (): FilterNode => {
    let left = and();
    while (peek().t === 'op' && peek().v === '||') {
      k++;
      left = { op: '||', left, right: and() };
    }
    return left;
  };
  const and = (): FilterNode => {
    let left = unary();
    while (peek().t === 'op' && peek().v === '&&') {
      k++;
      left = { op: '&&', left, right: unary() };
    }
    return left;
  };
  const unary = (): FilterNode => {
    const t = peek();
    if (t.t === 'op' && t.v === '!') {
      k++;
      return { op: '!', expr: unary() };
    }
    if (t.t === 'op' && t.v === '(') {
      k++;
      depth++;
      const e = or();
      if (!(peek().t === 'op' && peek().v === ')')) fail(t.col, "Too many '('");
      k++;
      depth--;
      return e;
    }
    return predicate();
  };
  const predicate = (): FilterNode => {
    const name = peek();
    if (name.t === 'end' || (name.t === 'op' && name.v !== ')')) fail(name.col, 'Meaningless filter expression');
    if (name.t === 'op') fail(name.col, "Too few '('");
    if (name.t !== 'word') fail(name.col, 'Invalid operator');
    k++;
    const field = resolveField(tp, name.v);
    if (!field) fail(name.col, 'Field not found');
    const cmp = peek();
    if (cmp.t !== 'cmp' || cmp.v === '!~') fail(cmp.col, 'Invalid operator');
    k++;
    const val = peek();
    if (val.t !== 'word' && val.t !== 'str') fail(val.col, val.t === 'end' ? 'Illegal integer value' : 'Invalid value (did you forget quotes)?');
    k++;
    return isStringRef(field!) ? stringPred(field!, cmp, val) : numberPred(field!, cmp, val);
  };
  const stringPred = (field: FieldRef, cmp: Tok, val: Tok): FilterNode => {
    if (cmp.v !== '==' && cmp.v !== '!=' && cmp.v !== '~') fail(cmp.col, 'Illegal operation for field type');
    if (val.v.length >= MAX_FILTER_STR_VAL) fail(val.col, 'Operand too long');
    const { match, pattern } = cmp.v === '~' ? parseGlob(val.v) : { match: 'full' as const, pattern: val.v };
    const node: FilterNode = { op: 'str', field, negate: cmp.v === '!=', match, pattern, col: cmp.col };
    // a glob matches the record's bytes: its elements are parsed from the UTF-8 of the pattern
    if (match === 'glob') node.glob = globElements(utf8.encode(pattern));
    return node;
  };
  const numberPred = (field: FieldRef, cmp: Tok, val: Tok): FilterNode => {
    if (cmp.v === '~') fail(cmp.col, 'Illegal operation for field type');
    if (val.t === 'str') fail(val.col, 'Invalid value (did you forget quotes)?');
    const n = parseInteger(val.v);
    if (n === undefined) fail(val.col, 'Illegal integer value');
    const { size, signed } = refWidth(field);
    const value = signed ? BigInt.asIntN(size * 8, n!) : BigInt.asUintN(size * 8, n!);
    return { op: 'num', field, cmp: cmp.v as NumOp, value, col: cmp.col, small: Number(value) };
  };

  const tree = or();
  const rest = peek();
  if (rest.t !== 'end') fail(rest.col, rest.t === 'op' && rest.v === ')' && depth === 0 ? "Too few '('" : 'Invalid operator');
  return tree;
}

/** The field a filter names: the event's own first, then the common header, then COMM and CPU (Linux's order). */
function resolveField(tp: Tracepoint, name: string): FieldRef | undefined {
  const f = tp.field(name);
  if (f && (isScalar(f.type) || isDynamic(f.type))) return f.type === 'bytes' ? undefined : { kind: 'leaf', f };
  switch (name) {
    case 'common_pid': return { kind: 'common', name, size: 4, signed: true };
    case 'common_type': return { kind: 'common', name, size: 2, signed: false };
    case 'common_flags':
    case 'common_preempt_count': return { kind: 'common', name, size: 1, signed: false };
    case 'COMM':
    case 'comm': return { kind: 'comm' };
    case 'CPU':
    case 'cpu': return { kind: 'cpu' };
  }
  return undefined;
}

export function isStringRef(r: FieldRef): boolean {
  return r.kind === 'comm' || (r.kind === 'leaf' && r.f.type === 'string');
}

/** Width and signedness of a numeric reference. */
export function refWidth(r: FieldRef): { size: number; signed: boolean } {
  if (r.kind === 'leaf') return { size: r.f.size, signed: r.f.signed };
  if (r.kind === 'common') return { size: r.size, signed: r.signed };
  return { size: 4, signed: false }; // CPU: an int compared as unsigned in filter_pred_cpu
}

/** kstrtoll/kstrtoull with base 0: decimal, 0x hex, leading-0 octal, an optional sign. */
function parseInteger(s: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const body = m[2]!;
  const v = body.length > 1 && body[0] === '0' && !/[xX]/.test(body) ? BigInt('0o' + body.slice(1)) : BigInt(body);
  if (v > 0xffffffffffffffffn) return undefined;
  return m[1] === '-' ? -v : v;
}

/**
 * A `~` pattern's kind, as filter_parse_regex decides it: a leading `*`
 * (end), a trailing one (front), both (middle), neither (full), and any
 * other `*`, `?` or `[` makes it a glob matched whole.
 */
export function parseGlob(p: string): { match: MatchKind; pattern: string } {
  const inner = p.replace(/^\*/, '').replace(/\*$/, '');
  if (/[*?[\\]/.test(inner)) return { match: 'glob', pattern: p };
  if (inner === '' && p !== '') return { match: 'front', pattern: '' }; // '*' and '**' match everything
  const lead = p.startsWith('*');
  const trail = p.length > (lead ? 1 : 0) && p.endsWith('*');
  const match: MatchKind = lead && trail ? 'middle' : lead ? 'end' : trail ? 'front' : 'full';
  return { match, pattern: inner };
}
