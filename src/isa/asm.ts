/**
 * Assembler: text → instruction slots. Two syntaxes are accepted, freely mixed,
 * one instruction per line:
 *
 * 1. The syntax of the conformance vectors (../shared/conformance/README.md):
 *    `mov %r0, 1`, `ldxw %r0, [%r1+4]`, `jeq %r1, 0x80000000, +1`, `call local f`,
 *    `lock fetch add [%r10-8], %r1`, ... plus `ldabs{w,h,b} IMM` and
 *    `ldind{w,h,b} %rS, IMM` for the legacy packet loads.
 * 2. The llvm-objdump / verifier-log syntax that the disassembler prints (see
 *    disasm.ts), with the variants of the kernel log: `(r1 +0)`, `goto pc+3`,
 *    `call bpf_map_lookup_elem#1`, `atomic64_fetch_add(...)`, hex offsets
 *    `(r10 - 0x4)`, llvm jump targets `+0x2` and a trailing `<LBB0_2>`.
 *    A leading llvm-objdump prefix (`12:	b7 00 00 00 01 00 00 00	`) or kernel
 *    log prefix (`12: (b7) `) is skipped; in the kernel log, `(18) r1 = 0x5` is a
 *    `lddw` even without `ll`.
 *
 * Also: `.insn 0x<hex>` (one raw slot as a little-endian 64-bit word), labels
 * `name:` (alone or before an instruction, also `0000000000000000 <name>:`),
 * comments from `#`, `;` or `//` to the end of the line (`#` followed by digits
 * right after a name, as in `call bpf_x#1`, is not a comment). Jump targets are
 * labels or signed slot counts (`+N`, `-N`, `pc+N`); the label `exit` means the
 * first `exit` instruction unless defined. The assembler encodes what it is
 * told; checks of the program as a whole belong to validate() and the verifier.
 */
import { BpfError } from '../errno.js';
import { Insn, fromWord, insn, lddw } from './instruction.js';
import * as o from './opcodes.js';
import { ALU_OPS, ATOMIC_OPS, ENDIAN_OPS, JMP_OPS, MAX_REG, sizeByBytes, sizeBySuffix } from './syntax.js';

/** A mistake on the current line; assemble() adds the line number and text. */
class LineError extends Error {}
function fail(why: string): never {
  throw new LineError(why);
}

type Field = 'off' | 'imm';

/** One parsed instruction; `label` asks for the distance to a label in `insns[0][field]`. */
interface Stmt {
  insns: Insn[];
  label?: { name: string; field: Field };
}

interface Fixup {
  line: number;
  text: string;
  slot: number;
  name: string;
  field: Field;
}

export function assemble(text: string): Insn[] {
  const out: Insn[] = [];
  const labels = new Map<string, number>();
  const fixups: Fixup[] = [];
  let firstExit: number | undefined;
  text.split(/\r\n|\n|\r/).forEach((raw, idx) => {
    const line = idx + 1;
    atLine(line, raw, () => {
      const stmt = parseLine(raw, (name) => {
        if (labels.has(name)) fail(`label '${name}' is already defined`);
        labels.set(name, out.length);
      });
      if (!stmt) return;
      if (stmt.label) fixups.push({ line, text: raw, slot: out.length, ...stmt.label });
      if (firstExit === undefined && isExit(stmt)) firstExit = out.length;
      out.push(...stmt.insns);
    });
  });
  if (firstExit !== undefined && !labels.has('exit')) labels.set('exit', firstExit);
  for (const f of fixups) atLine(f.line, f.text, () => resolve(out, labels, f));
  return out;
}

function atLine(line: number, raw: string, work: () => void): void {
  try {
    work();
  } catch (e) {
    if (e instanceof LineError) throw new BpfError('EINVAL', `line ${line}: ${e.message}: ${raw.trim()}`);
    throw e;
  }
}

const isExit = (s: Stmt): boolean => s.insns.length === 1 && s.insns[0]!.code === (o.BPF_JMP | o.BPF_EXIT);

function resolve(out: Insn[], labels: Map<string, number>, f: Fixup): void {
  const target = labels.get(f.name);
  if (target === undefined) fail(`undefined label '${f.name}'`);
  const ins = out[f.slot]!;
  ins[f.field] = distance(BigInt(target - (f.slot + 1)), f.field);
}

/** Range-checks a jump distance for the field that will hold it. */
function distance(d: bigint, field: Field): number {
  const bits = field === 'off' ? 16 : 32;
  if (BigInt.asIntN(bits, d) !== d) fail(`jump distance ${d} does not fit in ${bits} bits`);
  return Number(d);
}

// ───────────────────────────── lines ─────────────────────────────

/** Cleans a line, defines its labels, and parses the instruction on it (if any). */
function parseLine(raw: string, define: (name: string) => void): Stmt | undefined {
  let s = stripComment(raw).replace(/\s+/g, ' ').trim();
  const header = /^(?:[0-9a-fA-F]+ )?<([^<>\s]+)>:$/.exec(s);
  if (header) {
    define(header[1]!);
    return undefined;
  }
  const prefix = /^\d+: (?:\(([0-9a-fA-F]{2})\) )?(?:(?:[0-9a-fA-F]{2} ){8}){0,2}/.exec(s);
  const kernelOp = prefix?.[1] === undefined ? undefined : parseInt(prefix[1], 16);
  if (prefix) s = s.slice(prefix[0].length);
  for (let m; (m = /^([A-Za-z_.$][\w.$]*): ?/.exec(s)); s = s.slice(m[0].length)) define(m[1]!);
  s = s.replace(/ ?<[^<>\s]+>$/, '');
  return s === '' ? undefined : parseInsn(s, kernelOp);
}

/** Removes `#`, `;` and `//` comments, keeping `#` in `name#123`. */
function stripComment(line: string): string {
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ';' || (c === '/' && line[i + 1] === '/')) return line.slice(0, i);
    if (c === '#' && !(/\w/.test(line[i - 1] ?? '') && /\d/.test(line[i + 1] ?? ''))) return line.slice(0, i);
  }
  return line;
}

function parseInsn(s: string, kernelOp: number | undefined): Stmt {
  const raw = /^\.insn (0[xX][0-9a-fA-F]{1,16})$/.exec(s);
  if (raw) return { insns: [fromWord(BigInt(raw[1]!))] };
  if (s === 'exit') return one(o.BPF_JMP | o.BPF_EXIT);
  if (s.startsWith('call ') || s.startsWith('callx ')) return parseCall(s);
  const [, word = '', rest = ''] = /^([\w.]+)(?: (.*))?$/.exec(s) ?? [];
  const conf = CONF.find(([re]) => re.test(word));
  if (conf && !(word === 'lock' && rest.startsWith('*'))) {
    return conf[1](word.match(conf[0])!, rest === '' ? [] : rest.split(',').map((x) => x.trim()));
  }
  const wide = kernelOp === o.LDDW ? KERNEL_LDDW.exec(s) : null;
  if (wide) return ldimm(llvmReg(wide[1]!, 'r'), imm64(wide[2]!), 0, 0);
  for (const [re, build] of LLVM) {
    const m = re.exec(s);
    if (m) return build(m);
  }
  if (/^[a-z]\w*$/.test(word) && !/^[rw]\d+$/.test(word) && !LLVM_WORDS.has(word)) fail(`unknown mnemonic '${word}'`);
  return fail('cannot parse the instruction');
}

const LLVM_WORDS = new Set(['if', 'goto', 'gotol', 'may_goto', 'lock', 'store_release', 'call', 'callx']);

// ───────────────────────────── numbers and operands ─────────────────────────────

const NUMBODY = '(?:0[xX][0-9a-fA-F]+|\\d+)';

/** A number: decimal or 0x hex, optionally signed (`-5`, `+0x2`, `- 8`). */
function number(text: string): { v: bigint; hex: boolean; neg: boolean } {
  const m = /^([+-]?) ?(0[xX][0-9a-fA-F]+|\d+)$/.exec(text.trim());
  if (!m) return fail(`'${text}' is not a number`);
  const neg = m[1] === '-';
  const v = BigInt(m[2]!);
  return { v: neg ? -v : v, hex: /^0x/i.test(m[2]!), neg };
}

/** A 32-bit immediate: decimal in [-2^31, 2^31-1] or hex up to 0xffffffff (raw bits). */
function imm32(text: string): number {
  const n = number(text);
  if (n.hex && !n.neg && n.v <= 0xffffffffn) return Number(BigInt.asIntN(32, n.v));
  if (n.v < -(2n ** 31n) || n.v >= 2n ** 31n) fail(`immediate ${text.trim()} is out of 32-bit range`);
  return Number(n.v);
}

/** A 64-bit constant: hex, unsigned decimal or negative decimal; returned as its bit pattern. */
function imm64(text: string): bigint {
  const n = number(text);
  if (n.v < -(2n ** 63n) || n.v >= 2n ** 64n) fail(`constant ${text.trim()} is out of 64-bit range`);
  return BigInt.asUintN(64, n.v);
}

/** A signed 16-bit displacement, possibly doubly signed as in `+ -4`. */
function off16(text: string | undefined): number {
  if (text === undefined) return 0;
  const m = /^([+-]) ?(-?.*)$/.exec(text.replace(/\s+/g, ''));
  const v = m ? number(m[2]!).v * (m[1] === '-' ? -1n : 1n) : number(text).v;
  if (v < -32768n || v > 32767n) fail(`offset ${text.trim()} is out of 16-bit range`);
  return Number(v);
}

function regNumber(n: string, shown: string): number {
  const r = Number(n);
  if (!/^\d+$/.test(n) || r > MAX_REG) fail(`invalid register ${shown} (registers are r0 to r${MAX_REG})`);
  return r;
}

/** A register of the conformance syntax: `%r3` (the `%` may be left out). */
function confReg(text: string): number {
  const m = /^%?r(\w*)$/.exec(text);
  if (!m) fail(`register expected, got '${text}'`);
  return regNumber(m[1]!, text);
}

const isConfReg = (text: string): boolean => /^%/.test(text) || /^r\d+$/.test(text);

/** A register of the llvm syntax; `width` ('r' or 'w') is checked when given. */
function llvmReg(text: string, width?: 'r' | 'w'): number {
  if (width && text[0] !== width) fail(`register ${text} should be ${width}${text.slice(1)} here (mixed widths)`);
  return regNumber(text.slice(1), text);
}

type Target = { rel: bigint } | { label: string };

function target(text: string): Target {
  const t = text.trim();
  if (/^(?:pc)?[+-]/.test(t)) return { rel: number(t.replace(/^pc/, '')).v };
  if (/^[A-Za-z_.$][\w.$]*$/.test(t)) return { label: t };
  return fail(`jump target expected (a label or +N/-N), got '${t}'`);
}

/** An instruction whose `field` holds the distance to `to`. */
function jump(ins: Insn, field: Field, to: Target): Stmt {
  if ('label' in to) return { insns: [ins], label: { name: to.label, field } };
  ins[field] = distance(to.rel, field);
  return { insns: [ins] };
}

const one = (code: number, dst = 0, src = 0, off = 0, imm = 0): Stmt => ({ insns: [insn(code, dst, src, off, imm)] });

function ldimm(dst: number, value: bigint, src: number, next: number): Stmt {
  const slots = lddw(dst, value, src);
  if (src !== 0) slots[1].imm = next;
  return { insns: slots };
}

// ───────────────────────────── calls ─────────────────────────────

const CALL = o.BPF_JMP | o.BPF_CALL;

function parseCall(s: string): Stmt {
  const x = /^callx (%?[rw]?\w+)$/.exec(s) ?? /^call (%\w+)$/.exec(s);
  if (x) return one(CALL | o.BPF_X, x[1]!.startsWith('%') ? confReg(x[1]!) : llvmReg(x[1]!, 'r'));
  const arg = s.slice(5).trim();
  const kfunc = /^kfunc (\S+?)(?: ?, ?(\S+))?$/.exec(arg);
  if (kfunc) return one(CALL, 0, o.BPF_PSEUDO_KFUNC_CALL, off16(kfunc[2]), imm32(kfunc[1]!));
  const local = /^local (.+)$/.exec(arg);
  if (local) return jump(insn(CALL, 0, o.BPF_PSEUDO_CALL), 'imm', target(local[1]!));
  if (/^pc ?[+-]/.test(arg)) return jump(insn(CALL, 0, o.BPF_PSEUDO_CALL), 'imm', target(arg.replace(' ', '')));
  const named = /^[A-Za-z_][\w.]*#(\d+)$/.exec(arg);
  if (named) return one(CALL, 0, 0, 0, imm32(named[1]!));
  if (/^-?\d|^0x/i.test(arg)) return one(CALL, 0, 0, 0, imm32(arg));
  return jump(insn(CALL, 0, o.BPF_PSEUDO_CALL), 'imm', target(arg));
}

// ───────────────────────────── conformance syntax ─────────────────────────────

type ConfBuild = (m: RegExpMatchArray, ops: string[]) => Stmt;

function expect(ops: string[], n: number, mnemonic: string, shape: string): void {
  if (ops.length !== n) fail(`${mnemonic} takes ${n} operand${n === 1 ? '' : 's'} (${shape}), got ${ops.length}`);
}

/** A memory operand `[%rN]`, `[%rN+off]` or `[%rN-off]`. */
function confMem(text: string): { reg: number; off: number } {
  const m = /^\[ ?(%?r\w*) ?([+-].*?)? ?\]$/.exec(text);
  if (!m) fail(`memory operand expected ([%rN+offset]), got '${text}'`);
  return { reg: confReg(m[1]!), off: off16(m[2]) };
}

const aluClass = (w32: string | undefined): number => (w32 ? o.BPF_ALU : o.BPF_ALU64);

const ALU_NAMES = ALU_OPS.map((a) => a.name).join('|');
const JMP_NAMES = JMP_OPS.map((j) => j.name).join('|');

const CONF: [RegExp, ConfBuild][] = [
  [new RegExp(`^(${ALU_NAMES})(32)?$`), (m, ops) => {
    expect(ops, 2, m[0], 'register, register or immediate');
    const a = ALU_OPS.find((e) => e.name === m[1])!;
    const code = aluClass(m[2]) | a.op;
    const dst = confReg(ops[0]!);
    if (isConfReg(ops[1]!)) return one(code | o.BPF_X, dst, confReg(ops[1]!), a.off);
    return one(code, dst, 0, a.off, imm32(ops[1]!));
  }],
  [/^neg(32)?$/, (m, ops) => {
    expect(ops, 1, m[0], 'register');
    return one(aluClass(m[1]) | o.BPF_NEG, confReg(ops[0]!));
  }],
  [/^movsx(8|16|32)(32|64)$/, (m, ops) => {
    expect(ops, 2, m[0], 'register, register');
    const cls = m[2] === '32' ? o.BPF_ALU : o.BPF_ALU64;
    return one(cls | o.BPF_MOV | o.BPF_X, confReg(ops[0]!), confReg(ops[1]!), Number(m[1]));
  }],
  [/^(le|be|bswap|swap)(16|32|64)$/, (m, ops) => {
    expect(ops, 1, m[0], 'register');
    return one(ENDIAN_OPS[m[1] === 'swap' ? 'bswap' : m[1]!]!, confReg(ops[0]!), 0, 0, Number(m[2]));
  }],
  [/^ja(32)?$/, (m, ops) => {
    expect(ops, 1, m[0], 'label or +N/-N');
    const code = (m[1] ? o.BPF_JMP32 : o.BPF_JMP) | o.BPF_JA;
    return jump(insn(code), m[1] ? 'imm' : 'off', target(ops[0]!));
  }],
  [new RegExp(`^(${JMP_NAMES})(32)?$`), (m, ops) => {
    expect(ops, 3, m[0], 'register, register or immediate, label or +N/-N');
    const code = (m[2] ? o.BPF_JMP32 : o.BPF_JMP) | JMP_OPS.find((j) => j.name === m[1])!.op;
    const dst = confReg(ops[0]!);
    const ins = isConfReg(ops[1]!) ? insn(code | o.BPF_X, dst, confReg(ops[1]!)) : insn(code, dst, 0, 0, imm32(ops[1]!));
    return jump(ins, 'off', target(ops[2]!));
  }],
  [/^lddw$/, (m, ops) => {
    expect(ops, 2, m[0], 'register, 64-bit constant');
    return ldimm(confReg(ops[0]!), imm64(ops[1]!), 0, 0);
  }],
  [/^ldx(s?)(w|h|b|dw)$/, (m, ops) => {
    expect(ops, 2, m[0], 'register, [%rN+offset]');
    if (m[1] && m[2] === 'dw') fail(`unknown mnemonic '${m[0]}'`);
    const mem = confMem(ops[1]!);
    const code = o.BPF_LDX | (m[1] ? o.BPF_MEMSX : o.BPF_MEM) | sizeBySuffix(m[2]!)!.size;
    return one(code, confReg(ops[0]!), mem.reg, mem.off);
  }],
  [/^st(x?)(w|h|b|dw)$/, (m, ops) => {
    expect(ops, 2, m[0], m[1] ? '[%rN+offset], register' : '[%rN+offset], immediate');
    const mem = confMem(ops[0]!);
    const size = sizeBySuffix(m[2]!)!.size;
    if (m[1]) return one(o.BPF_STX | o.BPF_MEM | size, mem.reg, confReg(ops[1]!), mem.off);
    return one(o.BPF_ST | o.BPF_MEM | size, mem.reg, 0, mem.off, imm32(ops[1]!));
  }],
  [/^ld(abs|ind)(w|h|b)$/, (m, ops) => {
    const abs = m[1] === 'abs';
    expect(ops, abs ? 1 : 2, m[0], abs ? 'immediate' : 'register, immediate');
    const code = o.BPF_LD | (abs ? o.BPF_ABS : o.BPF_IND) | sizeBySuffix(m[2]!)!.size;
    return abs ? one(code, 0, 0, 0, imm32(ops[0]!)) : one(code, 0, confReg(ops[0]!), 0, imm32(ops[1]!));
  }],
  [/^lock$/, (_m, ops) => parseLock(ops)],
];

/** `lock [fetch] add|or|and|xor[32] [mem], reg`, `lock xchg[32] ...`, `lock cmpxchg[32] ...`. */
function parseLock(ops: string[]): Stmt {
  const [head = '', ...more] = ops;
  const m = /^(?:(fetch) )?(add|or|and|xor|xchg|cmpxchg)(32)? (\S.*)$/.exec(head);
  if (!m) fail('lock takes an operation and 2 operands (lock [fetch] add|or|and|xor|xchg|cmpxchg[32] [%rN+offset], %rM)');
  const [, fetch, name, w32, mem] = m;
  const operands = [mem!, ...more];
  expect(operands, 2, `lock ${name}`, '[%rN+offset], register');
  if (fetch && (name === 'xchg' || name === 'cmpxchg')) fail(`'fetch' is implied by ${name}`);
  const imm = name === 'xchg' ? o.BPF_XCHG : name === 'cmpxchg' ? o.BPF_CMPXCHG
    : ATOMIC_OPS.find((a) => a.name === name)!.imm | (fetch ? o.BPF_FETCH : 0);
  const at = confMem(operands[0]!);
  const code = o.BPF_STX | o.BPF_ATOMIC | (w32 ? o.BPF_W : o.BPF_DW);
  return one(code, at.reg, confReg(operands[1]!), at.off, imm);
}

// ───────────────────────────── llvm / kernel-log syntax ─────────────────────────────

/**
 * Builds an anchored pattern from literal text (escaped; a space matches one
 * optional space, since lines are normalised to single spaces) and regex parts.
 */
function rx(lits: TemplateStringsArray, ...parts: string[]): RegExp {
  return new RegExp(`^${lits.map((l, i) => escape(l).replace(/ /g, ' ?') + (parts[i] ?? '')).join('')}$`);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const alt = (...xs: string[]): string => `(${xs.map(escape).join('|')})`;
const opt = (re: string): string => `(?:${re})?`;

const REG = '([rw]\\d+)';
const NUM = `([+-]? ?${NUMBODY})`;
const REG_OR_NUM = `([rw]\\d+|-?${NUMBODY})`;
/** a displacement: `+ 4`, `-0x8`, `+ -4` */
const DISP = `( ?[+-] ?-?${NUMBODY})`;
/** base register and optional displacement of an address: `r1 + 4`, `r1 -8`, `r1` */
const ADDR = `(r\\d+)${DISP}?`;
const TYPE = '([us](?:8|16|32|64))';
const TARGET = `((?:pc)?[+-] ?${NUMBODY}|[A-Za-z_.$][\\w.$]*)`;
const ALU_ALT = alt(...ALU_OPS.map((a) => a.sym));
const JMP_ALT = alt(...JMP_OPS.map((j) => j.sym));
const FETCH_ALT = alt(...ATOMIC_OPS.map((a) => a.name));
const LOCK_ALT = alt(...ATOMIC_OPS.map((a) => a.sym.slice(0, -1)));
const WIDTH_ALT = alt('_64', '32_32');

type LlvmBuild = (m: RegExpExecArray) => Stmt;

/** Size field of a `(u32 *)` type; `signed` says whether `s32` is allowed. */
function sizeOf(type: string, signed: boolean): number {
  if (type[0] === 's' && !signed) fail(`type ${type} is not allowed here`);
  const z = sizeByBytes(Number(type.slice(1)) / 8)!;
  if (type[0] === 's' && z.size === o.BPF_DW) fail('there is no sign-extending 64-bit load');
  return z.size;
}

/** In the kernel log, `(18) r1 = 0x5` is a lddw (the log prints no `ll`). */
const KERNEL_LDDW = rx`${REG} = ${NUM}`;

const width = (reg: string): 'r' | 'w' => (reg[0] === 'w' ? 'w' : 'r');
const typeOf = (w: string): string => (w === '_64' ? 'u64' : 'u32');

const LLVM: [RegExp, LlvmBuild][] = [
  [rx`goto ${TARGET}`, (m) => jump(insn(o.BPF_JMP | o.BPF_JA), 'off', target(m[1]!))],
  [rx`gotol ${TARGET}`, (m) => jump(insn(o.BPF_JMP32 | o.BPF_JA), 'imm', target(m[1]!))],
  [rx`may_goto ${TARGET}`, (m) => jump(insn(o.BPF_JMP | o.BPF_JCOND), 'off', target(m[1]!))],
  [rx`if ${REG} ${JMP_ALT} ${REG_OR_NUM} goto ${TARGET}`, (m) => {
    const w = width(m[1]!);
    const code = (w === 'w' ? o.BPF_JMP32 : o.BPF_JMP) | JMP_OPS.find((j) => j.sym === m[2])!.op;
    const dst = llvmReg(m[1]!);
    const ins = /^[rw]/.test(m[3]!) ? insn(code | o.BPF_X, dst, llvmReg(m[3]!, w)) : insn(code, dst, 0, 0, imm32(m[3]!));
    return jump(ins, 'off', target(m[4]!));
  }],
  [rx`lock *(${TYPE} *)(${ADDR}) ${LOCK_ALT}= ${REG}`, (m) => {
    const op = ATOMIC_OPS.find((a) => a.sym === `${m[4]}=`)!;
    return atomic(m[1]!, m[2]!, m[3], m[5]!, op.imm);
  }],
  [rx`${REG} = atomic${opt('64')}_fetch_${FETCH_ALT}((${TYPE} *)(${ADDR}), ${REG})`, (m) => {
    const op = ATOMIC_OPS.find((a) => a.name === m[2])!;
    return fetching(m[1]!, m[6]!, () => atomic(m[3]!, m[4]!, m[5], m[6]!, op.imm | o.BPF_FETCH));
  }],
  [rx`${REG} = xchg${WIDTH_ALT}(${ADDR}, ${REG})`, (m) =>
    fetching(m[1]!, m[5]!, () => atomic(typeOf(m[2]!), m[3]!, m[4], m[5]!, o.BPF_XCHG))],
  [rx`${REG} = atomic${opt('64')}_xchg((${TYPE} *)(${ADDR}), ${REG})`, (m) =>
    fetching(m[1]!, m[5]!, () => atomic(m[2]!, m[3]!, m[4], m[5]!, o.BPF_XCHG))],
  [rx`${REG} = cmpxchg${WIDTH_ALT}(${ADDR}, ${REG}, ${REG})`, (m) =>
    cmpxchg([m[1]!, m[5]!], () => atomic(typeOf(m[2]!), m[3]!, m[4], m[6]!, o.BPF_CMPXCHG))],
  [rx`${REG} = atomic${opt('64')}_cmpxchg((${TYPE} *)(${ADDR}), ${REG}, ${REG})`, (m) =>
    cmpxchg([m[1]!, m[5]!], () => atomic(m[2]!, m[3]!, m[4], m[6]!, o.BPF_CMPXCHG))],
  [rx`${REG} = load_acquire((${TYPE} *)(${ADDR}))`, (m) => {
    const code = o.BPF_STX | o.BPF_ATOMIC | sizeOf(m[2]!, false);
    return one(code, llvmReg(m[1]!), llvmReg(m[3]!, 'r'), off16(m[4]), o.BPF_LOAD_ACQ);
  }],
  [rx`store_release((${TYPE} *)(${ADDR}), ${REG})`, (m) => {
    const code = o.BPF_STX | o.BPF_ATOMIC | sizeOf(m[1]!, false);
    return one(code, llvmReg(m[2]!, 'r'), llvmReg(m[4]!), off16(m[3]), o.BPF_STORE_REL);
  }],
  [rx`*(${TYPE} *)(${ADDR}) = ${REG_OR_NUM}`, (m) => {
    const size = sizeOf(m[1]!, false);
    const base = llvmReg(m[2]!, 'r');
    if (/^[rw]/.test(m[4]!)) return one(o.BPF_STX | o.BPF_MEM | size, base, llvmReg(m[4]!), off16(m[3]));
    return one(o.BPF_ST | o.BPF_MEM | size, base, 0, off16(m[3]), imm32(m[4]!));
  }],
  [rx`${REG} = *(${TYPE} *)(${ADDR})`, (m) => {
    const mode = m[2]![0] === 's' ? o.BPF_MEMSX : o.BPF_MEM;
    return one(o.BPF_LDX | mode | sizeOf(m[2]!, true), llvmReg(m[1]!), llvmReg(m[3]!, 'r'), off16(m[4]));
  }],
  [rx`${REG} = *(${TYPE} *)skb[${NUM}]`, (m) => packet(m[1]!, m[2]!, o.BPF_ABS, 0, imm32(m[3]!))],
  [rx`${REG} = *(${TYPE} *)skb[${ADDR}]`, (m) =>
    packet(m[1]!, m[2]!, o.BPF_IND, llvmReg(m[3]!, 'r'), m[4] === undefined ? 0 : wrap32(m[4]))],
  [rx`${REG} = ${NUM} ll`, (m) => ldimm(llvmReg(m[1]!, 'r'), imm64(m[2]!), 0, 0)],
  [rx`${REG} = map[${alt('fd', 'idx')}:${NUM}]${opt(`\\[0\\]${DISP}`)} ll`, (m) => {
    const value = m[4] !== undefined;
    const src = m[2] === 'fd' ? (value ? o.BPF_PSEUDO_MAP_VALUE : o.BPF_PSEUDO_MAP_FD)
      : value ? o.BPF_PSEUDO_MAP_IDX_VALUE : o.BPF_PSEUDO_MAP_IDX;
    return pseudo(m[1]!, src, imm32(m[3]!), value ? wrap32(m[4]!) : 0);
  }],
  [rx`${REG} = btf_id[${NUM}${opt(` ?, ?fd:${NUM}`)}] ll`, (m) =>
    pseudo(m[1]!, o.BPF_PSEUDO_BTF_ID, imm32(m[2]!), m[3] === undefined ? 0 : imm32(m[3]))],
  [rx`${REG} = func[${TARGET}] ll`, (m) => {
    const s = pseudo(m[1]!, o.BPF_PSEUDO_FUNC, 0, 0);
    return { ...jump(s.insns[0]!, 'imm', target(m[2]!)), insns: s.insns };
  }],
  [rx`${REG} = -${REG}`, (m) => {
    if (m[1] !== m[2]) fail(`negation names one register twice (${m[1]} = -${m[1]})`);
    return one(aluCls(m[1]!) | o.BPF_NEG, llvmReg(m[1]!));
  }],
  [rx`${REG} = (${alt('s8', 's16', 's32')})${REG}`, (m) =>
    one(aluCls(m[1]!) | o.BPF_MOV | o.BPF_X, llvmReg(m[1]!), llvmReg(m[3]!, width(m[1]!)), Number(m[2]!.slice(1)))],
  [rx`${REG} = addr_space_cast(${REG}, ${NUM}, ${NUM})`, (m) => {
    const [to, from] = [m[3]!, m[4]!].map((v) => Number(number(v).v)) as [number, number];
    if (![to, from].every((v) => v >= 0 && v <= 0xffff)) fail('address spaces must be in 0..65535');
    const code = o.BPF_ALU64 | o.BPF_MOV | o.BPF_X;
    return one(code, llvmReg(m[1]!, 'r'), llvmReg(m[2]!, 'r'), o.BPF_ADDR_SPACE_CAST, (to << 16) | from);
  }],
  [rx`${REG} = ${alt('le', 'be', 'bswap')}${alt('16', '32', '64')} ${REG}`, (m) => {
    if (m[1]!.slice(1) !== m[4]!.slice(1)) fail('a byte swap names one register twice');
    return one(ENDIAN_OPS[m[2]!]!, llvmReg(m[1]!), 0, 0, Number(m[3]));
  }],
  [rx`${REG} ${ALU_ALT} ${REG_OR_NUM}`, (m) => {
    const a = ALU_OPS.find((e) => e.sym === m[2])!;
    const code = aluCls(m[1]!) | a.op;
    const dst = llvmReg(m[1]!);
    if (/^[rw]/.test(m[3]!)) return one(code | o.BPF_X, dst, llvmReg(m[3]!, width(m[1]!)), a.off);
    return one(code, dst, 0, a.off, imm32(m[3]!));
  }],
];

const aluCls = (reg: string): number => (width(reg) === 'w' ? o.BPF_ALU : o.BPF_ALU64);

/** An atomic read-modify-write: `type` gives the width; the register letters are not checked. */
function atomic(type: string, base: string, disp: string | undefined, src: string, imm: number): Stmt {
  const size = sizeOf(type, false);
  if (size !== o.BPF_W && size !== o.BPF_DW) fail('atomic operations are 32 or 64 bits wide');
  return one(o.BPF_STX | o.BPF_ATOMIC | size, llvmReg(base, 'r'), llvmReg(src), off16(disp), imm);
}

/** The fetching forms load into their source register: `r2 = op(..., r2)`. */
function fetching(dst: string, src: string, build: () => Stmt): Stmt {
  if (dst.slice(1) !== src.slice(1)) fail(`the result register must be the source register (${src})`);
  return build();
}

function cmpxchg(r0s: string[], build: () => Stmt): Stmt {
  if (!r0s.every((r) => r.slice(1) === '0')) fail('cmpxchg compares with and loads into r0');
  return build();
}

function packet(dst: string, type: string, mode: number, src: number, imm: number): Stmt {
  if (llvmReg(dst) !== 0) fail('packet loads always load into r0');
  const size = sizeOf(type, false);
  if (size === o.BPF_DW) fail('there is no 64-bit packet load');
  return one(o.BPF_LD | mode | size, 0, src, 0, imm);
}

/** A displacement (`+ 4`, `- 4`, `+ -4`, `+ 0xffffffff`) kept as its low 32 bits. */
function wrap32(text: string): number {
  const m = /^([+-])(-?.*)$/.exec(text.replace(/\s+/g, ''));
  const v = m ? number(m[2]!).v * (m[1] === '-' ? -1n : 1n) : number(text).v;
  if (v < -(2n ** 31n) || v >= 2n ** 32n) fail(`${text.trim()} is out of 32-bit range`);
  return Number(BigInt.asIntN(32, v));
}

function pseudo(dst: string, src: number, imm: number, next: number): Stmt {
  return ldimm(llvmReg(dst, 'r'), BigInt(imm >>> 0), src, next);
}
