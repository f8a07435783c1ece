/**
 * The BTF string section: NUL-terminated strings addressed by byte offset.
 * Split BTF continues its base's offsets (offset = base length + local offset).
 *
 * Names are nearly always ASCII, so a table that is pure ASCII is decoded
 * once into a JS string whose character index equals the byte offset, and a
 * lookup is an indexOf + slice. Other tables decode each string on demand,
 * with decodeName: bytes that are not UTF-8 survive as escapes.
 */
export class StringTable {
  readonly bytes: Uint8Array;
  readonly base: StringTable | undefined;
  /** first offset of this table's own strings */
  readonly start: number;
  /** the whole table as one string, when it is ASCII (character index = byte offset) */
  private readonly text: string | undefined;
  /** strings already looked up: names repeat (member names, `(anon)`), and one copy each spares the GC */
  private readonly cache = new Map<number, string>();

  constructor(bytes: Uint8Array, base?: StringTable) {
    this.bytes = bytes;
    this.base = base;
    this.start = base ? base.end : 0;
    const text = new TextDecoder().decode(bytes);
    this.text = NON_ASCII.test(text) ? undefined : text;
  }

  /** One past the last valid offset, base included. */
  get end(): number {
    return this.start + this.bytes.length;
  }

  has(offset: number): boolean {
    return offset >= 0 && offset < this.end;
  }

  /** The string at `offset`, or undefined when the offset is outside the table. */
  at(offset: number): string | undefined {
    if (offset < this.start) return this.base?.at(offset);
    const local = offset - this.start;
    if (local >= this.bytes.length) return undefined;
    let s = this.cache.get(local);
    if (s === undefined) {
      s = this.decodeAt(local);
      this.cache.set(local, s);
    }
    return s;
  }

  private decodeAt(local: number): string {
    if (this.text !== undefined) {
      const end = this.text.indexOf('\0', local);
      return this.text.slice(local, end < 0 ? this.text.length : end);
    }
    let end = local;
    while (end < this.bytes.length && this.bytes[end] !== 0) end++;
    return decodeName(this.bytes.subarray(local, end));
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/**
 * A name's bytes as a string: UTF-8, where a byte that is not part of a
 * valid UTF-8 sequence becomes U+DC00 + byte (a lone surrogate, as Python's
 * "surrogateescape" does), so that encodeName gives the same bytes back and
 * checks that the kernel makes on bytes can be made exactly.
 */
export function decodeName(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return decodeEscaped(bytes);
  }
}

function decodeEscaped(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    const char = len > 0 && i + len <= bytes.length ? tryUtf8(bytes.subarray(i, i + len)) : undefined;
    if (char === undefined) {
      out += String.fromCharCode(0xdc00 + b);
      i++;
    } else {
      out += char;
      i += len;
    }
  }
  return out;
}

function tryUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

const ESCAPED = /[\udc80-\udcff]/;

/** The bytes of a name, as decodeName read them (escaped bytes written back raw). */
export function encodeName(s: string): Uint8Array {
  if (!ESCAPED.test(s)) return encoder.encode(s);
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xdc80 && c <= 0xdcff) out.push(c - 0xdc00);
    else out.push(...encoder.encode(ch));
  }
  return Uint8Array.from(out);
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;
