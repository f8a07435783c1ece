import type { ErrnoName } from '../errno.js';
import { isFault, readCString } from './access.js';
import type { HelperEnv } from './registry.js';

/**
 * The one format-string engine of the printf-like helpers (snprintf,
 * trace_printk, trace_vprintk), in the two steps Linux takes:
 *
 * 1. prepare (kernel/bpf/helpers.c, bpf_bprintf_prepare): check the format
 *    and pack the arguments into a 512-byte binary buffer, copying what the
 *    pointers point at (strings, IP addresses) while the program runs;
 * 2. render (lib/vsprintf.c, bstr_printf): print the format with the values
 *    from that buffer, truncated to a buffer size but counting the whole
 *    output, as C99 snprintf does.
 *
 * The format language is the kernel's restricted one:
 * - flags `0`, `+`, `-`, ` ` and a decimal width; no precision, no `#`, no `*`;
 * - `%d %i %u %x %X` with no length (32 bits), `l` or `ll` (64 bits);
 * - `%c`; `%s`, `%pks`, `%pus` (a string the program points at; one it may
 *   not read prints as empty), which must be followed by the end of the
 *   format, a space or punctuation;
 * - `%p`, `%px`, `%pK` (a pointer: 16 hex digits unless a width is given),
 *   `%ps`, `%pS`, `%pB` (a symbol: there are no kernel symbols here, so
 *   `0x` and the address in hex, as Linux prints an address it has no
 *   symbol for), `%pI4 %pi4 %pI6 %pi6` (the 4 or 16 bytes pointed at, as an
 *   IP address; unreadable bytes print as zeros);
 * - `%%`.
 * Anything else, a character that is neither printable ASCII nor a space,
 * or more specifiers than arguments, is -EINVAL; arguments that do not fit
 * the binary buffer are -ENOSPC.
 *
 * One difference from Linux, on purpose: Linux prints `%p` and `%pK` as a
 * hash of the address, so as not to leak kernel addresses; here addresses
 * are offsets in the program's own memory, so `%p` prints the address.
 */

/** most arguments of bpf_snprintf / bpf_trace_vprintk (MAX_BPRINTF_VARARGS) */
export const MAX_BPRINTF_VARARGS = 12;
/** output buffer of bpf_trace_printk / bpf_trace_vprintk, NUL included (MAX_BPRINTF_BUF) */
export const MAX_BPRINTF_BUF = 1024;
/** size of the binary argument buffer (MAX_BPRINTF_BIN_ARGS) */
export const MAX_BPRINTF_BIN_ARGS = 512;

export type FormatResult =
  | {
      ok: true;
      /** what was written before the NUL: at most size-1 bytes */
      text: Uint8Array;
      /** length of the whole output, NUL excluded (bstr_printf's return value) */
      len: number;
    }
  | { ok: false; errno: ErrnoName };

/**
 * Format `fmt` (bytes; it must hold a NUL, which ends it) with the u64
 * arguments `args`, into a buffer of `size` bytes.
 */
export function bpfFormat(env: HelperEnv, fmt: Uint8Array, args: readonly bigint[], size: number): FormatResult {
  const end = fmt.indexOf(0);
  if (end < 0) return { ok: false, errno: 'EINVAL' };
  const f = fmt.subarray(0, end);
  const bin = prepare(env, f, args);
  if (typeof bin === 'string') return { ok: false, errno: bin };
  return { ok: true, ...render(f, bin, size) };
}

// ───────────────────────────── character classes (the kernel's ctype) ─────────────────────────────

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlnum = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
/** Linux's isspace: \t \n \v \f \r, space, and Latin-1 no-break space */
const isSpace = (c: number): boolean => (c >= 9 && c <= 13) || c === 0x20 || c === 0xa0;
/** Linux's ispunct: ASCII punctuation and the Latin-1 punctuation ¡…¿ × ÷ */
const isPunct = (c: number): boolean =>
  (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e) ||
  (c >= 0xa1 && c <= 0xbf) || c === 0xd7 || c === 0xf7;
/** what a format may contain: isascii && (isprint || isspace) */
const isFormatChar = (c: number): boolean => (c >= 0x20 && c <= 0x7e) || (c >= 9 && c <= 13);

const ch = (s: string): number => s.charCodeAt(0);
const PCT = ch('%');

// ───────────────────────────── step 1: prepare ─────────────────────────────

/** The packed arguments, as bpf_bprintf_prepare lays them out for bstr_printf. */
class BinArgs {
  readonly bytes = new Uint8Array(MAX_BPRINTF_BIN_ARGS);
  used = 0;

  get room(): number {
    return MAX_BPRINTF_BIN_ARGS - this.used;
  }

  /** a 4- or 8-byte value at the next 4-byte boundary; false when it does not fit */
  number(value: bigint, size: 4 | 8): boolean {
    this.used = (this.used + 3) & ~3;
    if (this.room < size) return false;
    const dv = new DataView(this.bytes.buffer);
    dv.setUint32(this.used, Number(value & 0xffffffffn), true);
    if (size === 8) dv.setUint32(this.used + 4, Number((value >> 32n) & 0xffffffffn), true);
    this.used += size;
    return true;
  }

  byte(value: number): void {
    this.bytes[this.used++] = value & 0xff;
  }

  /** a NUL-terminated string, cut to the room left; `consumed` is how far the kernel moves on */
  string(s: Uint8Array, consumed: number): void {
    const n = Math.min(s.length, this.room - 1);
    if (n > 0) this.bytes.set(s.subarray(0, n), this.used);
    if (n >= 0) this.bytes[this.used + n] = 0;
    this.used = Math.min(MAX_BPRINTF_BIN_ARGS, this.used + consumed);
  }
}

/** bpf_bprintf_prepare: the packed arguments, or the errno of the first problem. */
function prepare(env: HelperEnv, f: Uint8Array, args: readonly bigint[]): BinArgs | ErrnoName {
  const n = f.length;
  const at = (k: number): number => (k < n ? f[k]! : 0);
  const bin = new BinArgs();
  let spec = 0;
  for (let i = 0; i < n; i++) {
    if (!isFormatChar(f[i]!)) return 'EINVAL';
    if (f[i] !== PCT) continue;
    if (at(i + 1) === PCT) {
      i++;
      continue;
    }
    if (spec >= args.length) return 'EINVAL';
    const arg = args[spec]!;
    i++;
    // optional flags "[0 +-]" and width "[1-9][0-9]*"
    while (at(i) === ch('0') || at(i) === ch('+') || at(i) === ch('-') || at(i) === ch(' ')) i++;
    if (at(i) >= ch('1') && at(i) <= ch('9')) {
      i++;
      while (isDigit(at(i))) i++;
    }
    const c = at(i);
    if (c === ch('p')) {
      const next = at(i + 1);
      if ((next === ch('k') || next === ch('u')) && at(i + 2) === ch('s')) {
        i += 2;
        const e = prepareString(env, bin, arg, at(i + 1));
        if (e) return e;
      } else if (next === 0 || isSpace(next) || isPunct(next) || next === ch('K') || next === ch('x') || next === ch('s') || next === ch('S')) {
        // a pointer printed as a number (or a symbol): the value itself
        if (!bin.number(arg, 8)) return 'ENOSPC';
        i++;
      } else if (next === ch('B')) {
        const text = ascii(symbol(arg));
        bin.string(text, text.length + 1);
        i++;
      } else {
        if ((next !== ch('i') && next !== ch('I')) || (at(i + 2) !== ch('4') && at(i + 2) !== ch('6'))) return 'EINVAL';
        const size = at(i + 2) === ch('4') ? 4 : 16;
        if (bin.room < size) return 'ENOSPC';
        const text = ipString(readOrZeros(env, arg, size), next === ch('i'));
        bin.string(ascii(text), text.length + 1);
        i += 2;
      }
    } else if (c === ch('s')) {
      const e = prepareString(env, bin, arg, at(i + 1));
      if (e) return e;
    } else if (c === ch('c')) {
      if (bin.room === 0) return 'ENOSPC';
      bin.byte(Number(arg & 0xffn));
    } else {
      let size: 4 | 8 = 4;
      if (at(i) === ch('l')) {
        size = 8;
        i++;
      }
      if (at(i) === ch('l')) i++;
      const conv = at(i);
      if (conv !== ch('i') && conv !== ch('d') && conv !== ch('u') && conv !== ch('x') && conv !== ch('X')) return 'EINVAL';
      if (!bin.number(arg, size)) return 'ENOSPC';
    }
    spec++;
  }
  return bin;
}

/** `%s` / `%pks` / `%pus`: copy the string now (an unreadable one is empty). */
function prepareString(env: HelperEnv, bin: BinArgs, ptr: bigint, after: number): ErrnoName | undefined {
  if (after !== 0 && !isSpace(after) && !isPunct(after)) return 'EINVAL';
  if (bin.room === 0) return 'ENOSPC';
  let s: Uint8Array;
  try {
    // strncpy_from_*_nofault into the room left: at most room-1 bytes and a NUL
    s = readCString(env, ptr, bin.room).bytes;
  } catch (e) {
    if (!isFault(e)) throw e;
    s = new Uint8Array(0);
  }
  const kept = Math.min(s.length, bin.room - 1);
  bin.string(s, kept + 1);
  return undefined;
}

function readOrZeros(env: HelperEnv, addr: bigint, size: number): Uint8Array {
  try {
    return env.read(addr, size);
  } catch (e) {
    if (!isFault(e)) throw e;
    return new Uint8Array(size);
  }
}

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');

/** `%pI4` 1.2.3.4, `%pi4` 001.002.003.004, `%pI6` 0001:0203:…:0e0f, `%pi6` 000102…0f */
function ipString(b: Uint8Array, raw: boolean): string {
  if (b.length === 4) return [...b].map((x) => (raw ? x.toString().padStart(3, '0') : x.toString())).join('.');
  const words: string[] = [];
  for (let k = 0; k < 16; k += 2) words.push(hex2(b[k]!) + hex2(b[k + 1]!));
  return words.join(raw ? '' : ':');
}

/** How Linux prints an address it has no symbol for. */
function symbol(addr: bigint): string {
  return '0x' + addr.toString(16);
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

// ───────────────────────────── step 2: render ─────────────────────────────

const LEFT = 2;
const PLUS = 4;
const SPACE = 8;
const ZEROPAD = 16;
const SMALL = 32;
const SPECIAL = 64;
const SIGN = 1;

/**
 * Output to a buffer of `size` bytes, counting what does not fit: at the end
 * the text is the first size-1 bytes and a NUL goes after it.
 */
class Sink {
  private readonly kept: number[] = [];
  len = 0;

  constructor(readonly size: number) {}

  put(b: number): void {
    if (this.len < this.size) this.kept.push(b);
    this.len++;
  }

  fill(b: number, count: number): void {
    for (let k = 0; k < count && this.len + k < this.size; k++) this.kept.push(b);
    if (count > 0) this.len += count;
  }

  bytes(b: Uint8Array): void {
    for (const x of b) this.put(x);
  }

  text(): Uint8Array {
    return Uint8Array.from(this.kept.slice(0, Math.max(0, Math.min(this.len, this.size - 1))));
  }
}

/** Reads the packed arguments back as bstr_printf's get_arg does. */
class ArgReader {
  private at = 0;
  constructor(private readonly bin: BinArgs) {}

  private u32(): bigint {
    this.at = (this.at + 3) & ~3;
    const b = this.bin.bytes;
    const v = this.at + 4 <= b.length ? new DataView(b.buffer).getUint32(this.at, true) : 0;
    this.at += 4;
    return BigInt(v);
  }

  int(signed: boolean): bigint {
    const v = this.u32();
    return signed ? BigInt.asUintN(64, BigInt.asIntN(32, v)) : v;
  }

  long(): bigint {
    const lo = this.u32();
    return (this.u32() << 32n) | lo;
  }

  char(): number {
    return this.bin.bytes[this.at++] ?? 0;
  }

  /** the string at the cursor (without its NUL) */
  peekString(): Uint8Array {
    const b = this.bin.bytes;
    let e = Math.min(this.at, b.length);
    while (e < b.length && b[e] !== 0) e++;
    return b.subarray(Math.min(this.at, b.length), e);
  }

  skip(n: number): void {
    this.at += n;
  }
}

interface Spec {
  flags: number;
  /** -1: none; a 24-bit signed field as in struct printf_spec */
  width: number;
}

/** bstr_printf over the subset of formats prepare() lets through. */
function render(f: Uint8Array, bin: BinArgs, size: number): { text: Uint8Array; len: number } {
  const out = new Sink(size);
  const args = new ArgReader(bin);
  const n = f.length;
  const at = (k: number): number => (k < n ? f[k]! : 0);
  let p = 0;
  while (p < n) {
    if (f[p] !== PCT) {
      out.put(f[p++]!);
      continue;
    }
    p++;
    const spec: Spec = { flags: 0, width: -1 };
    for (;;) {
      const c = at(p);
      const flag = c === ch('-') ? LEFT : c === ch('+') ? PLUS : c === ch(' ') ? SPACE : c === ch('#') ? SPECIAL : c === ch('0') ? ZEROPAD : 0;
      if (!flag) break;
      spec.flags |= flag;
      p++;
    }
    if (isDigit(at(p))) {
      let w = 0;
      while (isDigit(at(p))) w = (Math.imul(w, 10) + at(p++) - 0x30) | 0;
      spec.width = (w << 8) >> 8; // the kernel keeps the width in a 24-bit signed bit-field
    }
    let long = false;
    if (at(p) === ch('l')) {
      long = true;
      p++;
      if (at(p) === ch('l')) p++;
    }
    const conv = at(p);
    if (conv === 0) break;
    p++;
    switch (conv) {
      case PCT:
        out.put(PCT);
        break;
      case ch('c'): {
        const c = args.char();
        if (!(spec.flags & LEFT)) out.fill(0x20, spec.width - 1);
        out.put(c);
        if (spec.flags & LEFT) out.fill(0x20, spec.width - 1);
        break;
      }
      case ch('s'): {
        const s = args.peekString();
        args.skip(s.length + 1);
        string(out, s, spec);
        break;
      }
      case ch('p'): {
        const x = at(p);
        if (x === ch('s') || x === ch('S') || x === ch('f') || x === ch('F') || x === ch('x') || x === ch('K') || !isAlnum(x)) {
          const ptr = args.long();
          if (x === ch('s') || x === ch('S') || x === ch('f') || x === ch('F')) string(out, ascii(symbol(ptr)), spec);
          else number(out, ptr, 16, spec.flags | SMALL | (spec.width === -1 ? ZEROPAD : 0), spec.width === -1 ? 16 : spec.width);
        } else if (out.len < out.size) {
          // formatted by prepare (%pI4, %pks, %pB …); bstr_printf moves on only while there is room
          const s = args.peekString();
          out.bytes(s);
          args.skip(s.length + 1);
        }
        while (isAlnum(at(p))) p++;
        break;
      }
      case ch('d'):
      case ch('i'):
        number(out, long ? args.long() : args.int(true), 10, spec.flags | SIGN, spec.width);
        break;
      case ch('u'):
        number(out, long ? args.long() : args.int(false), 10, spec.flags, spec.width);
        break;
      case ch('x'):
        number(out, long ? args.long() : args.int(false), 16, spec.flags | SMALL, spec.width);
        break;
      case ch('X'):
        number(out, long ? args.long() : args.int(false), 16, spec.flags, spec.width);
        break;
      default:
        // FORMAT_TYPE_INVALID: bstr_printf stops (prepare never lets one through)
        return { text: out.text(), len: out.len };
    }
  }
  return { text: out.text(), len: out.len };
}

/** lib/vsprintf.c number(), without precision (the BPF formats have none). */
function number(out: Sink, num: bigint, base: 10 | 16, flags: number, width: number): void {
  if (flags & LEFT) flags &= ~ZEROPAD;
  let sign = 0;
  if (flags & SIGN) {
    if (num >= 1n << 63n) {
      sign = ch('-');
      num = (1n << 64n) - num;
      width--;
    } else if (flags & PLUS) {
      sign = ch('+');
      width--;
    } else if (flags & SPACE) {
      sign = ch(' ');
      width--;
    }
  }
  const prefix = flags & SPECIAL && base === 16;
  if (prefix) width -= 2;
  let digits = num.toString(base);
  if (!(flags & SMALL)) digits = digits.toUpperCase();
  width -= digits.length;
  if (!(flags & (ZEROPAD | LEFT))) {
    out.fill(0x20, width);
    width = 0;
  }
  if (sign) out.put(sign);
  if (prefix) {
    out.put(ch('0'));
    out.put(flags & SMALL ? ch('x') : ch('X'));
  }
  if (!(flags & LEFT)) {
    out.fill(flags & ZEROPAD ? ch('0') : 0x20, width);
    width = 0;
  }
  out.bytes(ascii(digits));
  out.fill(0x20, width);
}

/** lib/vsprintf.c string() + widen_string(), without precision. */
function string(out: Sink, s: Uint8Array, spec: Spec): void {
  const pad = spec.width - s.length;
  if (!(spec.flags & LEFT)) out.fill(0x20, pad);
  out.bytes(s);
  if (spec.flags & LEFT) out.fill(0x20, pad);
}
