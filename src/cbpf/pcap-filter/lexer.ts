import { parseIPv6, parseMac, parsePartialIPv4 } from './addresses.js';
import { syntaxError } from './errors.js';
import { CONSTANTS, KEYWORDS } from './names.js';

/**
 * Tokens of pcap-filter. The classes follow tcpdump's scanner: a word is the
 * longest run of letters, digits, '.', '-' and '_' (not ending in '-' or
 * '_'), and is then a keyword, a number, a MAC address, a dotted IPv4
 * literal or else a name, in that order; a run of hex digits, ':' and '.'
 * with a ':' in it is an IPv6 or MAC address. So `len-14` is one name, as
 * in tcpdump, and `10-20` is a name that `portrange` reads as a range.
 */
export type TokenKind =
  | 'num' // a number or a named constant
  | 'hid' // a dotted IPv4 literal of 1 to 4 parts
  | 'hid6' // an IPv6 address
  | 'eid' // a MAC address
  | 'id' // a name (bare or \escaped)
  | 'kw' // a keyword, by its canonical name
  | 'op' // punctuation and operators
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** the source text of the token */
  text: string;
  /** offset of its first character in the expression */
  pos: number;
  /** value of a 'num'; keyword or operator name of a 'kw' or 'op' */
  num: number;
  name: string;
  /** bytes of a 'hid6' (16) or 'eid' (6) */
  bytes?: Uint8Array;
}

const OPERATORS = ['>=', '<=', '!=', '==', '&&', '||', '<<', '>>', '>', '<', '=', '!', '(', ')', '[', ']', ':', '+', '-', '*', '/', '%', '&', '|', '^'];
const WORD_CHAR = /[-_.A-Za-z0-9]/;
const ADDR_CHAR = /[0-9A-Fa-f:.]/;

export function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (true) {
    while (i < expr.length && /\s/.test(expr[i]!)) i++;
    if (i >= expr.length) break;
    const token = escaped(expr, i) ?? address(expr, i) ?? word(expr, i) ?? operator(expr, i);
    if (!token) throw syntaxError(expr, i, `unexpected character '${expr[i]}'`);
    tokens.push(token);
    i += token.text.length;
  }
  tokens.push(make('eof', '', expr.length));
  return tokens;
}

function make(kind: TokenKind, text: string, pos: number, num = 0, name = ''): Token {
  return { kind, text, pos, num, name };
}

/** `\tcp`: a name that would otherwise be a keyword (`proto \tcp`). */
function escaped(expr: string, i: number): Token | undefined {
  if (expr[i] !== '\\') return undefined;
  const m = /^\\[^\s!()]+/.exec(expr.slice(i));
  if (!m) throw syntaxError(expr, i, 'expected a name after \\');
  return make('id', m[0], i, 0, m[0].slice(1));
}

/** An IPv6 address or a colon-separated MAC address. */
function address(expr: string, i: number): Token | undefined {
  let end = i;
  while (end < expr.length && ADDR_CHAR.test(expr[end]!)) end++;
  const text = expr.slice(i, end);
  if (!text.includes(':')) return undefined;
  // The word the run may continue into (fe80::1x is not an address).
  if (end < expr.length && WORD_CHAR.test(expr[end]!)) return undefined;
  const mac = /^[0-9A-Fa-f]{1,2}(:[0-9A-Fa-f]{1,2}){5}$/.test(text) ? parseMac(text) : undefined;
  if (mac) return { ...make('eid', text, i), bytes: mac };
  const v6 = parseIPv6(text);
  if (v6) return { ...make('hid6', text, i), bytes: v6 };
  // Text shaped like an address but not one: tcpdump rejects it too.
  if (text.includes('::') || (text.match(/:/g) ?? []).length >= 5) throw syntaxError(expr, i, `bogus address '${text}'`);
  return undefined;
}

function word(expr: string, i: number): Token | undefined {
  if (!/[A-Za-z0-9]/.test(expr[i]!)) return undefined;
  let end = i;
  while (end < expr.length && WORD_CHAR.test(expr[end]!)) end++;
  while (end > i + 1 && /[-_]/.test(expr[end - 1]!)) end--;
  const text = expr.slice(i, end);
  const kw = KEYWORDS.get(text);
  if (kw) return make('kw', text, i, 0, kw);
  const constant = CONSTANTS.get(text);
  if (constant !== undefined) return make('num', text, i, constant);
  const mac = parseMac(text);
  if (mac) return { ...make('eid', text, i), bytes: mac };
  if (/^(0[xX][0-9A-Fa-f]+|[0-9]+)$/.test(text)) return make('num', text, i, parseNumber(expr, i, text));
  if (/^[0-9]+(\.[0-9]+){1,3}$/.test(text)) {
    if (!parsePartialIPv4(text)) throw syntaxError(expr, i, `invalid IPv4 address '${text}'`);
    return make('hid', text, i);
  }
  return make('id', text, i, 0, text);
}

/** Decimal, 0x hex or 0-prefixed octal, as tcpdump reads numbers; at most 32 bits. */
function parseNumber(expr: string, i: number, text: string): number {
  let value: number;
  if (/^0[xX]/.test(text)) value = parseInt(text.slice(2), 16);
  else if (text.length > 1 && text[0] === '0') {
    if (/[89]/.test(text)) throw syntaxError(expr, i, `number ${text} contains non-octal digit`);
    value = parseInt(text, 8);
  } else value = Number(text);
  if (!(value <= 0xffffffff)) throw syntaxError(expr, i, `number ${text} overflows 32 bits`);
  return value;
}

function operator(expr: string, i: number): Token | undefined {
  const op = OPERATORS.find((o) => expr.startsWith(o, i));
  if (!op) return undefined;
  // The word forms of the boolean operators are keywords; these are their symbols.
  const name = op === '&&' ? 'and' : op === '||' ? 'or' : op === '!' ? 'not' : op;
  return make(name === op ? 'op' : 'kw', op, i, 0, name);
}
