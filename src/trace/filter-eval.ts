import { scalarValue, stringOf, valueAt } from './context.js';
import type { FieldRef, FilterNode } from './filter-parse.js';
import { codes, globMatch } from './glob.js';
import { FieldLayout } from './layout.js';

/**
 * The filter as Linux's ftrace evaluates it: a walk of the predicate tree
 * over one event, field values read from the object given to fire(). It is
 * the "old way" of the benchmark, and the oracle the compiled filter
 * (filter-compile.ts) is tested against: both must agree on every event.
 */

/** What is the same for every event of one recording: the record's common header, the task's name, the CPU. */
export interface EventEnv {
  pid: number;
  comm: string;
  cpu: number;
  type: number;
}

export function evaluateFilter(node: FilterNode, values: Record<string, unknown>, env: EventEnv): boolean {
  switch (node.op) {
    case '&&': return evaluateFilter(node.left, values, env) && evaluateFilter(node.right, values, env);
    case '||': return evaluateFilter(node.left, values, env) || evaluateFilter(node.right, values, env);
    case '!': return !evaluateFilter(node.expr, values, env);
    case 'str': {
      const s = node.field.kind === 'comm' ? env.comm : stringOf(valueAt(values, (node.field as { f: FieldLayout }).f.path));
      return matchString(node, s) !== node.negate;
    }
    case 'num': {
      const v = numberOf(node.field, values, env);
      return typeof v === 'number' ? compareSmall(node.cmp, v, node.small) : compareBig(node.cmp, v, node.value);
    }
  }
}

/** The field's value as the record holds it: wrapped to its width and signedness. */
function numberOf(ref: FieldRef, values: Record<string, unknown>, env: EventEnv): number | bigint {
  switch (ref.kind) {
    case 'cpu': return env.cpu;
    case 'comm': return 0;
    case 'common': return ref.name === 'common_pid' ? env.pid | 0 : ref.name === 'common_type' ? env.type & 0xffff : 0;
    case 'leaf': return scalarValue(ref.f, valueAt(values, ref.f.path));
  }
}

/** A field of up to 32 bits: its value and the constant are exact as numbers. */
function compareSmall(cmp: string, a: number, b: number): boolean {
  switch (cmp) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    default: return (a & b) !== 0; // ToInt32 keeps the low 32 bits of both
  }
}

/** A 64-bit field: BigInts. */
function compareBig(cmp: string, a: bigint, b: bigint): boolean {
  switch (cmp) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    default: return (a & b) !== 0n;
  }
}

/** The string matched as Linux matches it; a glob compares the UTF-8 bytes the record holds. */
export function matchString(node: Extract<FilterNode, { op: 'str' }>, s: string): boolean {
  switch (node.match) {
    case 'full': return s === node.pattern;
    case 'front': return s.startsWith(node.pattern);
    case 'end': return s.endsWith(node.pattern);
    case 'middle': return s.includes(node.pattern);
    case 'glob': return globMatch(node.glob!, isAscii(s) ? codes(s) : encoder.encode(s));
  }
}

const encoder = new TextEncoder();

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
