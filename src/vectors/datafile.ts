import { BpfError } from '../errno.js';
import { Insn, decode, fromWord } from '../isa/instruction.js';

/**
 * Parser of the conformance `.data` format (shared/conformance/README.md,
 * "File format"): `#` comments, `-- name` section headers, optional
 * `-- name @ relpath` includes. The result is plain data; nothing is run here.
 */
export interface DataFile {
  /** the name used in messages (usually the path given by the caller) */
  name: string;
  /** assembler text of `-- asm`, comments removed, line breaks kept */
  asm?: string;
  /** where line 1 of `asm` is: this file, or the included file of `-- asm @ …` */
  asmSource?: { file: string; line: number };
  /** program of `-- raw`, one slot per line */
  raw?: Insn[];
  /** `-- mem`: the input buffer */
  mem?: Uint8Array;
  /** `-- result`: expected r0 as an unsigned 64-bit value */
  result?: bigint;
  /** `-- error`: the run must fail; the (uBPF) message, possibly empty */
  error?: string;
  /** `-- error pattern`: like `error`, the message as a regular expression */
  errorPattern?: string;
  /** `-- c`: the C source the program came from */
  c?: string;
  /** `-- no register offset`: legacy marker, free text */
  noRegisterOffset?: string;
  /** `-- no jit`: skip under a JIT; the reason */
  noJit?: string;
  description?: string;
  /** `-- reload`: uBPF API test, load the program twice into one VM */
  reload?: boolean;
  /** `-- unload`: uBPF API test, unload then load again before running */
  unload?: boolean;
}

export interface ParseOptions {
  /** name of the file in messages (default "<data>") */
  name?: string;
  /** content of a `-- name @ relpath` include, relpath as written (relative to the .data file's folder) */
  readFile?: (relpath: string) => string;
}

const SECTIONS = {
  asm: 'asm',
  raw: 'raw',
  mem: 'mem',
  result: 'result',
  error: 'error',
  'error pattern': 'errorPattern',
  c: 'c',
  'no register offset': 'noRegisterOffset',
  'no jit': 'noJit',
  description: 'description',
  reload: 'reload',
  unload: 'unload',
} as const;

type SectionName = keyof typeof SECTIONS;

/** One line of text with the place it came from. */
interface Line {
  text: string;
  /** `FILE:LINE` */
  at: string;
  file: string;
  line: number;
}

interface Section {
  name: SectionName;
  header: Line;
  include?: string;
  lines: Line[];
}

export function parseDataFile(text: string, options: ParseOptions = {}): DataFile {
  const name = options.name ?? '<data>';
  const out: DataFile = { name };
  for (const section of splitSections(text, name)) {
    const lines = section.include === undefined ? section.lines : includedLines(section, options);
    applySection(out, section, lines);
  }
  return out;
}

function fail(at: string, what: string): never {
  throw new BpfError('EINVAL', `${at}: ${what}`);
}

/** The lines of `text`, comments removed and right-trimmed, each with its FILE:LINE. */
function lines(text: string, file: string): Line[] {
  return text.split(/\r?\n/).map((raw, i) => {
    const hash = raw.indexOf('#');
    return { text: (hash < 0 ? raw : raw.slice(0, hash)).trimEnd(), at: `${file}:${i + 1}`, file, line: i + 1 };
  });
}

function splitSections(text: string, file: string): Section[] {
  const sections: Section[] = [];
  const seen = new Map<SectionName, string>();
  for (const line of lines(text, file)) {
    if (line.text.trimStart().startsWith('--')) {
      const section = parseHeader(line);
      const first = seen.get(section.name);
      if (first) fail(line.at, `duplicate section '${section.name}' (first at ${first})`);
      seen.set(section.name, line.at);
      sections.push(section);
    } else if (sections.length > 0) {
      sections[sections.length - 1]!.lines.push(line);
    } else if (line.text.trim() !== '') {
      fail(line.at, `text outside any section: '${line.text.trim()}'`);
    }
  }
  return sections;
}

function parseHeader(line: Line): Section {
  const rest = line.text.trim().slice(2);
  const atSign = rest.indexOf('@');
  const name = (atSign < 0 ? rest : rest.slice(0, atSign)).trim().replace(/\s+/g, ' ');
  if (!Object.hasOwn(SECTIONS, name)) fail(line.at, `unknown section '-- ${name}'`);
  const section: Section = { name: name as SectionName, header: line, lines: [] };
  if (atSign >= 0) {
    const include = rest.slice(atSign + 1).trim();
    if (include === '') fail(line.at, `'-- ${name} @' names no file`);
    section.include = include;
  }
  return section;
}

/** The body of `-- name @ relpath`: the named file's lines (`.hex` dumps converted for `mem`). */
function includedLines(section: Section, options: ParseOptions): Line[] {
  const extra = section.lines.find((l) => l.text.trim() !== '');
  if (extra) fail(extra.at, `section '${section.name}' is read from '${section.include}' and cannot also have lines of its own`);
  const relpath = section.include!;
  if (!options.readFile) fail(section.header.at, `cannot read '${relpath}': no file access given to the parser`);
  const body = lines(readInclude(section, relpath, options.readFile), relpath);
  return section.name === 'mem' && relpath.endsWith('.hex') ? body.map(tcpdumpLine) : body;
}

function readInclude(section: Section, relpath: string, readFile: (relpath: string) => string): string {
  try {
    return readFile(relpath);
  } catch (e) {
    throw new BpfError('ENOENT', `${section.header.at}: cannot read '${relpath}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A tcpdump-style line (`0x0000:  0026 622f …`) as space-separated hex bytes. */
function tcpdumpLine(line: Line): Line {
  const digits = line.text.slice(line.text.lastIndexOf(':') + 1).replace(/\s+/g, '');
  if (digits.length % 2 !== 0) fail(line.at, `odd number of hex digits in '${line.text.trim()}'`);
  return { ...line, text: (digits.match(/../g) ?? []).join(' ') };
}

function applySection(out: DataFile, section: Section, body: Line[]): void {
  const key = SECTIONS[section.name];
  switch (key) {
    case 'asm':
      out.asm = body.map((l) => l.text).join('\n');
      out.asmSource = body[0] ? { file: body[0].file, line: body[0].line } : { file: section.header.file, line: section.header.line + 1 };
      return;
    case 'raw':
      out.raw = nonBlank(body).map(rawSlot);
      return;
    case 'mem':
      out.mem = memBytes(body);
      return;
    case 'result':
      out.result = resultValue(section, body);
      return;
    case 'reload':
    case 'unload':
      noBody(section, body);
      out[key] = true;
      return;
    default:
      out[key] = nonBlank(body).map((l) => l.text.trim()).join('\n');
  }
}

const nonBlank = (body: Line[]): Line[] => body.filter((l) => l.text.trim() !== '');

const HEX_BYTE = /^[0-9a-fA-F]{2}$/;

/** One raw line: a 64-bit instruction word, or 8 hex bytes in memory order. */
function rawSlot(line: Line): Insn {
  const tokens = line.text.trim().split(/\s+/);
  if (tokens.length === 1) return fromWord(parseU64(tokens[0]!, line.at));
  if (tokens.length === 8 && tokens.every((t) => HEX_BYTE.test(t))) {
    return decode(Uint8Array.from(tokens, (t) => parseInt(t, 16)))[0]!;
  }
  return fail(line.at, `raw line must be one 64-bit number or 8 hex bytes: '${line.text.trim()}'`);
}

function memBytes(body: Line[]): Uint8Array {
  const bytes: number[] = [];
  for (const line of nonBlank(body)) {
    for (const token of line.text.trim().split(/\s+/)) {
      if (!HEX_BYTE.test(token)) fail(line.at, `mem byte must be two hex digits: '${token}'`);
      bytes.push(parseInt(token, 16));
    }
  }
  return Uint8Array.from(bytes);
}

/** The value of `-- result`: the last non-blank line wins. */
function resultValue(section: Section, body: Line[]): bigint {
  const values = nonBlank(body).map((l) => parseU64(l.text.trim(), l.at));
  if (values.length === 0) fail(section.header.at, "section 'result' has no value");
  return values[values.length - 1]!;
}

function noBody(section: Section, body: Line[]): void {
  const extra = nonBlank(body)[0];
  if (extra) fail(extra.at, `section '${section.name}' takes no body: '${extra.text.trim()}'`);
}

/** A `0x` hex or decimal number that fits in 64 bits, as an unsigned value. */
export function parseU64(token: string, at: string): bigint {
  if (!/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(token)) fail(at, `not a number: '${token}'`);
  const value = BigInt(token);
  if (value >= 1n << 64n) fail(at, `number out of 64-bit range: '${token}'`);
  return value;
}
