import { BpfError } from '../errno.js';
import { Btf } from '../btf/btf.js';
import { BtfType } from '../btf/types.js';

/**
 * `.kconfig` externs, as libbpf provides them: `extern int CONFIG_HZ
 * __kconfig;` reads a value of the kernel configuration, and
 * `LINUX_KERNEL_VERSION` the kernel's version. libbpf lays them out in one
 * read-only array map: sorted by alignment (largest first), then size, then
 * name, each at its natural alignment. A `__weak` extern with no value reads
 * as zero; a strong one is an error.
 */

export interface KconfigOptions {
  /** CONFIG_* values as a .config file spells them: y, n, m, 100, 0x10, "text" */
  values?: Readonly<Record<string, string>>;
  /** KERNEL_VERSION(a, b, c) = a << 16 | b << 8 | c; 0 when not given */
  kernelVersion?: number;
}

export interface KconfigExtern {
  name: string;
  offset: number;
  size: number;
  weak: boolean;
}

export interface KconfigLayout {
  externs: KconfigExtern[];
  /** the map value: every extern's bytes at its offset */
  data: Uint8Array;
}

/** Values libbpf supplies itself rather than from the kernel's config. */
const VIRTUAL: Record<string, string> = {
  LINUX_HAS_BPF_COOKIE: 'y',
  LINUX_HAS_SYSCALL_WRAPPER: 'y',
};

interface Slot {
  name: string;
  type: number;
  size: number;
  align: number;
  weak: boolean;
}

/**
 * Lay out and fill the `.kconfig` externs that DATASEC `.kconfig` of `btf`
 * lists. `isWeak(name)` tells a `__weak` extern (from its ELF symbol binding).
 */
export function layoutKconfig(btf: Btf, isWeak: (name: string) => boolean, options: KconfigOptions): KconfigLayout | undefined {
  const sec = btf.find('.kconfig', 'datasec');
  if (sec === undefined) return undefined;
  const slots = btf.typeOf(sec, 'datasec').vars.map((v) => slotOf(btf, v.type, isWeak));
  slots.sort((a, b) => b.align - a.align || a.size - b.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let end = 0;
  const externs = slots.map((s) => {
    const offset = Math.ceil(end / s.align) * s.align;
    end = offset + s.size;
    return { name: s.name, offset, size: s.size, weak: s.weak };
  });
  const data = new Uint8Array(end);
  slots.forEach((s, i) => fill(btf, s, data.subarray(externs[i]!.offset, externs[i]!.offset + s.size), options));
  return { externs, data };
}

function slotOf(btf: Btf, varId: number, isWeak: (name: string) => boolean): Slot {
  const v = btf.typeOf(varId, 'var');
  if (!v.name.startsWith('CONFIG_') && !v.name.startsWith('LINUX_')) {
    throw new BpfError('EINVAL', `extern '${v.name}' in .kconfig: only CONFIG_* and LINUX_* names are kernel config values`);
  }
  return { name: v.name, type: v.type, size: btf.resolveSize(v.type), align: Math.max(1, btf.alignOf(v.type)), weak: isWeak(v.name) };
}

function fill(btf: Btf, s: Slot, out: Uint8Array, options: KconfigOptions): void {
  const fail = (why: string): never => {
    throw new BpfError('EINVAL', `extern (kconfig) '${s.name}': ${why}`);
  };
  const raw = s.name === 'LINUX_KERNEL_VERSION' ? String(options.kernelVersion ?? 0) : options.values?.[s.name] ?? VIRTUAL[s.name];
  if (raw === undefined) {
    if (!s.weak) fail('no value given, and the extern is not __weak (pass it in the kconfig table)');
    return; // a missing __weak extern reads as zero
  }
  const t = btf.type(btf.skipModsAndTypedefs(s.type));
  const elem = t.kind === 'array' ? btf.type(btf.skipModsAndTypedefs(t.type)) : undefined;
  if (elem?.kind === 'int' && elem.size === 1) return fillString(raw, out, fail);
  if (t.kind === 'int' && t.encoding === 'bool') return fillBool(raw, out, fail);
  if (t.kind === 'enum' && t.name === 'libbpf_tristate') return fillTristate(raw, out, fail);
  if (t.kind === 'int' || t.kind === 'enum') return fillInt(raw, t, out, btf.littleEndian, fail);
  fail(`its type ${btf.typeName(s.type)} is not one a config value can have (bool, tristate, integer, char array)`);
}

function fillString(raw: string, out: Uint8Array, fail: (why: string) => never): void {
  const m = /^"(.*)"$/.exec(raw);
  if (!m) fail(`value ${raw} is not a quoted string`);
  const bytes = new TextEncoder().encode(m[1]!);
  if (bytes.length >= out.length) fail(`string value of ${bytes.length} bytes does not fit in char[${out.length}] with its NUL`);
  out.set(bytes);
}

function fillBool(raw: string, out: Uint8Array, fail: (why: string) => never): void {
  if (raw !== 'y' && raw !== 'n') fail(`value '${raw}' is not y or n, as a bool needs`);
  out[0] = raw === 'y' ? 1 : 0;
}

const TRISTATE: Record<string, number> = { n: 0, y: 1, m: 2 };

function fillTristate(raw: string, out: Uint8Array, fail: (why: string) => never): void {
  const v = TRISTATE[raw];
  if (v === undefined) fail(`value '${raw}' is not y, n or m, as a tristate needs`);
  out[0] = v;
}

function fillInt(raw: string, t: BtfType & { size: number }, out: Uint8Array, le: boolean, fail: (why: string) => never): void {
  const signed = (t.kind === 'int' && t.encoding === 'signed') || (t.kind === 'enum' && t.signed);
  const value = raw === 'y' ? 1n : raw === 'n' ? 0n : parseInteger(raw, fail);
  const bits = BigInt(8 * t.size);
  const fits = signed ? BigInt.asIntN(Number(bits), value) === value : value >= 0n && BigInt.asUintN(Number(bits), value) === value;
  if (!fits) fail(`value ${raw} does not fit in ${signed ? 'a signed' : 'an unsigned'} ${t.size}-byte integer`);
  const word = BigInt.asUintN(Number(bits), value);
  for (let i = 0; i < t.size; i++) out[le ? i : t.size - 1 - i] = Number((word >> BigInt(8 * i)) & 0xffn);
}

function parseInteger(raw: string, fail: (why: string) => never): bigint {
  if (!/^-?(0x[0-9a-fA-F]+|[0-9]+)$/.test(raw)) fail(`value '${raw}' is not an integer`);
  return raw.startsWith('-') ? -BigInt(raw.slice(1)) : BigInt(raw);
}
