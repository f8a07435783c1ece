import { BpfError } from '../errno.js';
import { AD_BASE, ancillaryNamed } from './ancillary.js';
import { ALU_NAMES, JMP_NAMES } from './disasm.js';
import { SockFilter } from './instruction.js';
import * as c from './opcodes.js';

/**
 * Classic programs from text, in any of the forms disasm.ts writes:
 * - assembler: Linux's bpf_asm syntax (`ldh [12]`, `jeq #0x800, ip, drop`,
 *   labels `name:`, `ld #proto` / `ld rand` ancillary loads, comments `;`,
 *   `//`, `/* *\/` and `#` at the start of a line) and `tcpdump -d` listings
 *   (`(001) jeq #0x800 jt 2 jf 5`, `ld [proto]`, `ld #pktlen`), which share
 *   the mnemonics; a numeric jump target is an absolute instruction number,
 *   as tcpdump prints it;
 * - `tcpdump -dd` / `bpf_asm -c` C arrays: `{ 0x28, 0, 0, 0x0000000c },`;
 * - decimal: `tcpdump -ddd` (count, then `code jt jf k` lines) or bpf_asm's
 *   default `4,40 0 0 12,21 0 1 2054,…`.
 * Errors are EINVAL and name the line.
 */

export type ClassicTextForm = 'asm' | 'c-array' | 'decimal';

/** Which form a text is in: a `{ n, n, n, n }` group means a C array, only numbers and commas decimal. */
export function classicTextForm(text: string): ClassicTextForm {
  const bare = stripComments(text).replace(/(;|\/\/).*$|^\s*#.*$/gm, '');
  if (/\{\s*[0-9]/.test(bare)) return 'c-array';
  if (/^[\s\d,]+$/.test(bare) && /\d/.test(bare)) return 'decimal';
  return 'asm';
}

export function assembleClassic(text: string): SockFilter[] {
  switch (classicTextForm(text)) {
    case 'c-array':
      return parseClassicArray(text);
    case 'decimal':
      return parseClassicDecimal(text);
    default:
      return assembleBpfAsm(text);
  }
}

const lineError = (line: number, why: string, text: string): BpfError => new BpfError('EINVAL', `line ${line}: ${why}: ${text.trim()}`);

/** Block comments become spaces (newlines kept, so line numbers stay right). */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '));
}

/** A C integer literal (decimal, 0x hex, 0 octal, optional u/l suffixes), as an unsigned number or undefined. */
function cNumber(s: string): number | undefined {
  const t = s.trim().replace(/[uUlL]+$/, '');
  let v: number;
  if (/^0x[0-9a-f]+$/i.test(t)) v = parseInt(t.slice(2), 16);
  else if (/^0[0-7]*$/.test(t)) v = parseInt(t, 8);
  else if (/^[1-9]\d*$/.test(t)) v = Number(t);
  else return undefined;
  return v <= 0xffffffff ? v : undefined;
}

/** A struct sock_filter from four numbers, each checked against its field's width. */
function fromFields(nums: readonly number[], line: number, text: string): SockFilter {
  const [code, jt, jf, k] = nums as [number, number, number, number];
  if (code > 0xffff) throw lineError(line, `code ${code} does not fit 16 bits`, text);
  if (jt > 0xff || jf > 0xff) throw lineError(line, `jt ${jt} / jf ${jf} do not fit 8 bits`, text);
  return { code, jt, jf, k: k >>> 0 };
}

/** `{ code, jt, jf, k },` groups, wherever they are (a whole `struct sock_filter x[] = { … };` works too). */
export function parseClassicArray(text: string): SockFilter[] {
  const bare = stripComments(text).replace(/\/\/[^\n]*/g, '');
  const out: SockFilter[] = [];
  for (const m of bare.matchAll(/\{([^{}]*)\}/g)) {
    const line = bare.slice(0, m.index).split('\n').length;
    const parts = m[1]!.split(',').map((p) => p.trim());
    if (parts[parts.length - 1] === '') parts.pop();
    const nums = parts.map(cNumber);
    if (nums.length !== 4 || nums.some((n) => n === undefined)) throw lineError(line, 'expected { code, jt, jf, k } with four numbers', m[0]);
    out.push(fromFields(nums as number[], line, m[0]));
  }
  if (out.length === 0) throw new BpfError('EINVAL', 'no { code, jt, jf, k } instructions found');
  return out;
}

/** `tcpdump -ddd` or bpf_asm's comma form: the count, then four numbers per instruction. */
export function parseClassicDecimal(text: string): SockFilter[] {
  const nums = (text.match(/\d+/g) ?? []).map(Number);
  const count = nums[0];
  if (count === undefined || nums.length !== 1 + 4 * count) {
    throw new BpfError('EINVAL', `decimal program: the first number says ${count ?? 'nothing'} instructions, but ${Math.max(nums.length - 1, 0)} numbers follow (4 per instruction)`);
  }
  const out: SockFilter[] = [];
  for (let i = 0; i < count; i++) out.push(fromFields(nums.slice(1 + 4 * i, 5 + 4 * i), i + 2, nums.slice(1 + 4 * i, 5 + 4 * i).join(' ')));
  return out;
}

// ---------------------------------------------------------------- assembler

type Operand =
  | { kind: 'none' | 'x' | 'a' | 'len' }
  | { kind: 'imm' | 'anc' | 'abs' | 'ind' | 'mem' | 'msh'; k: number }
  | { kind: 'word'; text: string };

type Kind = Operand['kind'];

/** An assembler number: decimal, 0x hex, 0b binary or 0 octal, optionally negative; as u32. */
function asmNumber(s: string): number | undefined {
  const m = /^([+-]?)\s*(0x[0-9a-f]+|0b[01]+|0[0-7]*|[1-9]\d*)$/i.exec(s.trim());
  if (!m) return undefined;
  const body = m[2]!.toLowerCase();
  const mag = body.startsWith('0x') ? parseInt(body.slice(2), 16) : body.startsWith('0b') ? parseInt(body.slice(2), 2) : body.length > 1 && body[0] === '0' ? parseInt(body, 8) : Number(body);
  const v = m[1] === '-' ? -mag : mag;
  return v >= -0x80000000 && v <= 0xffffffff ? v >>> 0 : undefined;
}

function need(v: number | undefined, what: string): number {
  if (v === undefined) throw new Error(`${what} is not a 32-bit number`);
  return v;
}

function parseOperand(s: string): Operand {
  const t = s.trim();
  const low = t.toLowerCase();
  if (t === '') return { kind: 'none' };
  if (low === 'x' || low === '%x') return { kind: 'x' };
  if (low === 'a' || low === '%a') return { kind: 'a' };
  const keyword = low.replace(/^#/, '');
  if (keyword === 'len' || keyword === 'pktlen') return { kind: 'len' };
  const anc = ancillaryNamed(keyword);
  if (anc && !/^\[/.test(t)) return { kind: 'anc', k: AD_BASE + anc.off };
  if (t.startsWith('#')) return { kind: 'imm', k: need(asmNumber(t.slice(1)), t) };
  let m = /^m\[(.+)\]$/i.exec(t);
  if (m) return { kind: 'mem', k: need(asmNumber(m[1]!), m[1]!) };
  m = /^4\s*\*\s*\(\s*\[(.+)\]\s*&\s*0xf\s*\)$/i.exec(t);
  if (m) return { kind: 'msh', k: need(asmNumber(m[1]!), m[1]!) };
  m = /^\[\s*%?x\s*\+\s*(.+)\]$/i.exec(t);
  if (m) return { kind: 'ind', k: need(asmNumber(m[1]!), m[1]!) };
  m = /^\[(.+)\]$/.exec(t);
  if (m) {
    const named = ancillaryNamed(m[1]!.trim());
    return named ? { kind: 'anc', k: AD_BASE + named.off } : { kind: 'abs', k: need(asmNumber(m[1]!), m[1]!) };
  }
  return { kind: 'word', text: t };
}

/** Load, store, ALU, misc and return mnemonics: the opcode for each operand kind they take. */
const PLAIN: Readonly<Record<string, Partial<Record<Kind, number>>>> = (() => {
  const ld = (size: number) => ({ anc: c.BPF_LD | size | c.BPF_ABS, abs: c.BPF_LD | size | c.BPF_ABS, ind: c.BPF_LD | size | c.BPF_IND });
  const t: Record<string, Partial<Record<Kind, number>>> = {
    ld: { ...ld(c.BPF_W), imm: c.BPF_LD | c.BPF_IMM, len: c.BPF_LD | c.BPF_W | c.BPF_LEN, mem: c.BPF_LD | c.BPF_MEM },
    ldi: { imm: c.BPF_LD | c.BPF_IMM },
    ldh: ld(c.BPF_H),
    ldb: ld(c.BPF_B),
    ldx: { imm: c.BPF_LDX | c.BPF_IMM, len: c.BPF_LDX | c.BPF_W | c.BPF_LEN, mem: c.BPF_LDX | c.BPF_MEM, msh: c.BPF_LDX | c.BPF_B | c.BPF_MSH },
    ldxi: { imm: c.BPF_LDX | c.BPF_IMM },
    ldxb: { msh: c.BPF_LDX | c.BPF_B | c.BPF_MSH },
    st: { mem: c.BPF_ST },
    stx: { mem: c.BPF_STX },
    // tcpdump -d prints `ret A` with no operand
    ret: { imm: c.BPF_RET | c.BPF_K, a: c.BPF_RET | c.BPF_A, none: c.BPF_RET | c.BPF_A },
    neg: { none: c.BPF_ALU | c.BPF_NEG },
    tax: { none: c.BPF_MISC | c.BPF_TAX },
    txa: { none: c.BPF_MISC | c.BPF_TXA },
  };
  for (const [op, name] of ALU_NAMES) t[name] = { imm: c.BPF_ALU | op | c.BPF_K, x: c.BPF_ALU | op | c.BPF_X };
  return t;
})();

/** Conditional jumps; the inverted ones swap their targets (bpf_asm's jne, jlt, jle). */
const JUMPS: Readonly<Record<string, { op: number; invert: boolean }>> = {
  ...Object.fromEntries(JMP_NAMES.map(([op, name]) => [name, { op, invert: false }])),
  jneq: { op: c.BPF_JEQ, invert: true },
  jne: { op: c.BPF_JEQ, invert: true },
  jlt: { op: c.BPF_JGE, invert: true },
  jle: { op: c.BPF_JGT, invert: true },
};

/** A jump target still to resolve: a label, or an absolute instruction number. */
interface Fixup {
  insn: number;
  field: 'jt' | 'jf' | 'k';
  ref: string;
  line: number;
  text: string;
}

interface Assembly {
  out: SockFilter[];
  labels: Map<string, number>;
  fixups: Fixup[];
}

export function assembleBpfAsm(text: string): SockFilter[] {
  const asm: Assembly = { out: [], labels: new Map(), fixups: [] };
  stripComments(text)
    .split('\n')
    .forEach((raw, idx) => {
      try {
        assembleLine(asm, raw, idx + 1);
      } catch (e) {
        if (e instanceof BpfError) throw e;
        throw lineError(idx + 1, (e as Error).message, raw);
      }
    });
  if (asm.out.length === 0) throw new BpfError('EINVAL', 'no instructions');
  for (const f of asm.fixups) resolve(asm, f);
  return asm.out;
}

/** Remove `;` and `//` comments, and lines that start with `#`. */
function stripLineComment(raw: string): string {
  const t = raw.replace(/(;|\/\/).*$/, '');
  return /^\s*#/.test(t) ? '' : t.trim();
}

function assembleLine(asm: Assembly, raw: string, line: number): void {
  let t = stripLineComment(raw);
  const listed = /^\((\d+)\)\s*/.exec(t);
  if (listed) {
    if (Number(listed[1]) !== asm.out.length) throw new Error(`listed as instruction ${listed[1]} but it is instruction ${asm.out.length}`);
    t = t.slice(listed[0].length);
  }
  for (let m = /^([a-z_][\w.]*)\s*:\s*/i.exec(t); m; m = /^([a-z_][\w.]*)\s*:\s*/i.exec(t)) {
    if (asm.labels.has(m[1]!)) throw new Error(`label '${m[1]}' is defined twice`);
    asm.labels.set(m[1]!, asm.out.length);
    t = t.slice(m[0].length);
  }
  if (t === '') return;
  const m = /^([a-z]+)\b\s*(.*)$/i.exec(t);
  if (!m) throw new Error('expected an instruction');
  const name = m[1]!.toLowerCase();
  const rest = m[2]!;
  const at = asm.out.length;
  const ctx = { line, text: raw };
  if (name === 'unimp') asm.out.push(unimp(asm, rest, at, ctx));
  else if (name === 'ja' || name === 'jmp') asm.out.push(jumpAlways(asm, rest, at, ctx));
  else if (JUMPS[name]) asm.out.push(condJump(asm, name, rest, at, ctx));
  else asm.out.push(plain(name, rest));
}

function plain(name: string, rest: string): SockFilter {
  const forms = PLAIN[name];
  if (!forms) throw new Error(`unknown instruction '${name}'`);
  const operand = parseOperand(rest);
  const code = forms[operand.kind];
  if (code === undefined) {
    const takes = Object.keys(forms).join(', ');
    throw new Error(`'${name}' does not take ${operand.kind === 'none' ? 'no operand' : `the operand '${rest.trim()}'`} (it takes: ${takes})`);
  }
  return { code, jt: 0, jf: 0, k: 'k' in operand ? operand.k : 0 };
}

/**
 * `unimp 0xNN [jt N jf N]`: how tcpdump -d lists an opcode libpcap does not
 * know; its k is not shown, its targets only for jump-class opcodes.
 */
function unimp(asm: Assembly, rest: string, at: number, ctx: { line: number; text: string }): SockFilter {
  const m = /^(\S+)(?:\s+jt\s+(\d+)\s+jf\s+(\d+))?\s*$/i.exec(rest);
  const code = m ? asmNumber(m[1]!) : undefined;
  if (code === undefined || code > 0xffff) throw new Error('unimp takes the 16-bit opcode');
  if (m![2] !== undefined) {
    asm.fixups.push({ insn: at, field: 'jt', ref: m![2], ...ctx });
    asm.fixups.push({ insn: at, field: 'jf', ref: m![3]!, ...ctx });
  }
  return { code, jt: 0, jf: 0, k: 0 };
}

function jumpAlways(asm: Assembly, rest: string, at: number, ctx: { line: number; text: string }): SockFilter {
  const ref = rest.trim();
  if (!/^(-?\d+|[a-z_][\w.]*)$/i.test(ref)) throw new Error('ja takes one target: a label or an instruction number');
  asm.fixups.push({ insn: at, field: 'k', ref, ...ctx });
  return { code: c.BPF_JMP | c.BPF_JA, jt: 0, jf: 0, k: 0 };
}

/** `jeq #k, Lt[, Lf]` (bpf_asm) or `jeq #k jt N jf N` (tcpdump -d, absolute numbers). */
function condJump(asm: Assembly, name: string, rest: string, at: number, ctx: { line: number; text: string }): SockFilter {
  const { op, invert } = JUMPS[name]!;
  const listing = /^(.*?)\s+jt\s+(\d+)\s+jf\s+(\d+)\s*$/i.exec(rest);
  const parts = listing ? [listing[1]!, listing[2]!, listing[3]!] : rest.split(',').map((p) => p.trim());
  if (parts.length < 2 || parts.length > 3) throw new Error(`${name} takes a value and one or two targets`);
  const operand = parseOperand(parts[0]!);
  if (operand.kind !== 'imm' && operand.kind !== 'x') throw new Error(`${name} compares with #k or x, not '${parts[0]}'`);
  // one target: the other one is the next instruction
  const [onTrue, onFalse] = parts.length === 3 ? [parts[1]!, parts[2]!] : [parts[1]!, undefined];
  const [jt, jf] = invert ? [onFalse, onTrue] : [onTrue, onFalse];
  if (jt !== undefined) asm.fixups.push({ insn: at, field: 'jt', ref: jt, ...ctx });
  if (jf !== undefined) asm.fixups.push({ insn: at, field: 'jf', ref: jf, ...ctx });
  return { code: c.BPF_JMP | op | (operand.kind === 'x' ? c.BPF_X : c.BPF_K), jt: 0, jf: 0, k: operand.kind === 'imm' ? operand.k : 0 };
}

/**
 * Turn a target into a forward offset: jt/jf 0..255, ja any. A numeric ja
 * target is what tcpdump prints, n + 1 + k as a 32-bit number, so it is read
 * back modulo 2^32 (a ja whose k wraps around lists a target behind it).
 */
function resolve(asm: Assembly, f: Fixup): void {
  const numeric = /^-?\d+$/.test(f.ref);
  const target = numeric ? Number(f.ref) : asm.labels.get(f.ref);
  if (target === undefined) throw lineError(f.line, `undefined label '${f.ref}'`, f.text);
  if (numeric && f.field === 'k') {
    asm.out[f.insn]!.k = (target - (f.insn + 1)) >>> 0;
    return;
  }
  const off = target - (f.insn + 1);
  if (off < 0) throw lineError(f.line, `jump to ${f.ref} (instruction ${target}) goes backward; classic BPF jumps only forward`, f.text);
  if (f.field !== 'k' && off > 0xff) throw lineError(f.line, `jump to ${f.ref} is ${off} instructions ahead; ${f.field} holds at most 255`, f.text);
  asm.out[f.insn]![f.field] = off;
}
