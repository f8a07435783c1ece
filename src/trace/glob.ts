/**
 * Globs as lib/glob.c's glob_match reads them (the filter's `~` and
 * tracepoint name patterns): `*` any run, `?` any one character, `[...]` a
 * class (ranges a-z, `!` inverts, a leading `]` is literal; one that never
 * closes is a literal `[`), `\` escapes the next character. A pattern is
 * parsed once into elements, which the matcher here walks and the filter
 * compiler (filter-compile.ts) turns into byte compares.
 */

/** A character code, any one character, any run, or a class. */
export type GlobElem = number | 'any' | 'star' | { ranges: ReadonlyArray<readonly [number, number]>; inverted: boolean };

/** The elements of a pattern given as character codes (bytes for the filter, UTF-16 units for names). */
export function globElements(p: ArrayLike<number>): GlobElem[] {
  const out: GlobElem[] = [];
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === 0x2a) out.push('star');
    else if (c === 0x3f) out.push('any');
    else if (c === 0x5c && i + 1 < p.length) out.push(p[++i]!);
    else if (c === 0x5b) {
      const cls = parseClass(p, i + 1);
      if (cls) {
        out.push(cls.elem);
        i = cls.end;
      } else out.push(c);
    } else out.push(c);
  }
  return out;
}

/** A class from after its `[`: the ranges and the index of its `]`; undefined when it never closes. */
function parseClass(p: ArrayLike<number>, at: number): { elem: GlobElem; end: number } | undefined {
  let i = at;
  const inverted = p[i] === 0x21;
  if (inverted) i++;
  const ranges: Array<[number, number]> = [];
  let first = true;
  while (i < p.length && (first || p[i] !== 0x5d)) {
    first = false;
    let a = p[i]!;
    let b = a;
    if (p[i + 1] === 0x2d && i + 2 < p.length && p[i + 2] !== 0x5d) {
      b = p[i + 2]!;
      if (b < a) [a, b] = [b, a];
      i += 3;
    } else i++;
    ranges.push([a, b]);
  }
  if (i >= p.length) return undefined;
  return { elem: { ranges, inverted }, end: i };
}

/** Whether code `c` is matched by a one-character element. */
export function elemMatches(e: Exclude<GlobElem, 'star'>, c: number): boolean {
  if (typeof e === 'number') return c === e;
  if (e === 'any') return true;
  let hit = false;
  for (const [a, b] of e.ranges) if (c >= a && c <= b) hit = true;
  return hit !== e.inverted;
}

/** Whether the elements match all of `s` (character codes); backtracks only to the last `*`, as glob_match does. */
export function globMatch(elems: readonly GlobElem[], s: ArrayLike<number>): boolean {
  let e = 0;
  let i = 0;
  let backElem = -1;
  let backPos = -1;
  for (;;) {
    const el = elems[e];
    if (el === 'star') {
      backElem = ++e;
      backPos = i;
      continue;
    }
    if (el !== undefined && i < s.length && elemMatches(el, s[i]!)) {
      e++;
      i++;
      continue;
    }
    if (el === undefined && i >= s.length) return true;
    if (backElem < 0 || backPos >= s.length) return false;
    e = backElem;
    i = ++backPos;
  }
}

/** Character codes of a string (UTF-16 units). */
export function codes(s: string): number[] {
  const out = new Array<number>(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
