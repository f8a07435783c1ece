/**
 * Address literals of pcap-filter: dotted IPv4 (possibly partial, as in
 * `net 10.1`), IPv6 in RFC 4291 text form, and MAC addresses in the forms
 * tcpdump accepts (aa:bb:cc:dd:ee:ff, aa-bb-…, a.b.c.d.e.f, aabb.ccdd.eeff,
 * aabbccddeeff).
 */

/** A dotted IPv4 literal of 1 to 4 parts: its value (not shifted) and its length in bits (8 per part). */
export interface PartialIPv4 {
  value: number;
  bits: number;
}

/** `10.1` → {value: 0x0a01, bits: 16}; undefined when a part is not 0..255. */
export function parsePartialIPv4(text: string): PartialIPv4 | undefined {
  const parts = text.split('.');
  if (parts.length > 4 || parts.some((p) => !/^[0-9]+$/.test(p))) return undefined;
  let value = 0;
  for (const p of parts) {
    const n = Number(p);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return { value: value >>> 0, bits: parts.length * 8 };
}

/** Sixteen bytes, or undefined when `text` is not an IPv6 address. */
export function parseIPv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const words: number[] = [];
  const groups = [...head, ...tail];
  // An embedded IPv4 address may end the text (::ffff:1.2.3.4): it stands for two groups.
  const last = groups[groups.length - 1];
  let v4: number[] | undefined;
  if (last !== undefined && last.includes('.')) {
    const p = parsePartialIPv4(last);
    if (!p || p.bits !== 32) return undefined;
    v4 = [p.value >>> 16, p.value & 0xffff];
    if (tail.length) tail.pop();
    else head.pop();
  }
  const hex = (g: string): number | undefined => (/^[0-9A-Fa-f]{1,4}$/.test(g) ? parseInt(g, 16) : undefined);
  const headWords = head.map(hex);
  const tailWords = [...tail.map(hex), ...(v4 ?? [])];
  if (headWords.includes(undefined) || tailWords.includes(undefined)) return undefined;
  const given = headWords.length + tailWords.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  words.push(...(headWords as number[]), ...new Array<number>(8 - given).fill(0), ...(tailWords as number[]));
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytes;
}

const MAC_FORMS: readonly RegExp[] = [
  /^([0-9A-Fa-f]{1,2}):([0-9A-Fa-f]{1,2}):([0-9A-Fa-f]{1,2}):([0-9A-Fa-f]{1,2}):([0-9A-Fa-f]{1,2}):([0-9A-Fa-f]{1,2})$/,
  /^([0-9A-Fa-f]{1,2})-([0-9A-Fa-f]{1,2})-([0-9A-Fa-f]{1,2})-([0-9A-Fa-f]{1,2})-([0-9A-Fa-f]{1,2})-([0-9A-Fa-f]{1,2})$/,
  /^([0-9A-Fa-f]{1,2})\.([0-9A-Fa-f]{1,2})\.([0-9A-Fa-f]{1,2})\.([0-9A-Fa-f]{1,2})\.([0-9A-Fa-f]{1,2})\.([0-9A-Fa-f]{1,2})$/,
  /^([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})\.([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})\.([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})$/,
  /^([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})$/,
];

/** Six bytes, or undefined when `text` is not a MAC address in one of tcpdump's forms. */
export function parseMac(text: string): Uint8Array | undefined {
  for (const form of MAC_FORMS) {
    const m = form.exec(text);
    if (m) return Uint8Array.from(m.slice(1), (b) => parseInt(b, 16));
  }
  return undefined;
}

export function formatIPv4(v: number): string {
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff].join('.');
}
