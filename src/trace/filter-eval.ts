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
      const s = node.field.kind === 'comm' ? env.comm : stringOf(read((node.field as { f: FieldLayout }).f, values));
      return matchString(node, s) !== node.negate;
    }
    case 'num': return compareNumber(node.cmp, numberOf(node.field, values, env), node.value);
  }
}

function read(f: FieldLayout, values: Record<string, unknown>): unknown {
  return f.path.length === 1 ? values[f.path[0]!] : valueAt(values, f.path);
}

/** The field's value as the record holds it: wrapped to its width and signedness. */
function numberOf(ref: FieldRef, values: Record<string, unknown>, env: EventEnv): number | bigint {
  switch (ref.kind) {
    case 'cpu': return env.cpu;
    case 'comm': return 0;
    case 'common': return ref.name === 'common_pid' ? env.pid | 0 : ref.name === 'common_type' ? env.type & 0xffff : 0;
    case 'leaf': return scalarValue(ref.f, read(ref.f, values));
  }
}

function compareNumber(cmp: string, a: number | bigint, b: bigint): boolean {
  // 32-bit values and the constant compare as numbers (exact below 2^53); 64-bit ones as BigInts
  const x = typeof a === 'number' ? a : a;
  const y = typeof a === 'number' ? Number(b) : b;
  switch (cmp) {
    case '==': return x === y;
    case '!=': return x !== y;
    case '<': return x < y;
    case '<=': return x <= y;
    case '>': return x > y;
    case '>=': return x >= y;
    default: return typeof a === 'number' ? (a & Number(b)) !== 0 : (a & b) !== 0n;
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
