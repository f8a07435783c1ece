import { BpfError } from '../errno.js';
import { ancillaryAt } from './ancillary.js';
import { isClassicOpcode, isCondJump } from './check.js';
import { SockFilter } from './instruction.js';
import * as c from './opcodes.js';

/**
 * Classic programs as text, in the forms of the tools people have:
 * - `tcpdump -d` (libpcap's bpf_image), line for line as tcpdump prints it,
 *   down to the spacing, for every opcode (unknown ones as `unimp 0xNN`);
 * - `tcpdump -dd`, the C array `{ 0x28, 0, 0, 0x0000000c },`;
 * - `tcpdump -ddd`, the count then `code jt jf k` in decimal;
 * - Linux's bpf_asm, with labels at jump targets, which asm.ts reads back.
 */

const hex = (k: number): string => `0x${(k >>> 0).toString(16)}`;
const signed = (k: number): string => String(k | 0);

/** Opcode → [mnemonic, operand] as bpf_image prints them; `n` is the instruction's index. */
function image(f: SockFilter, n: number): [string, string] {
  const k = f.k >>> 0;
  const op = IMAGE[f.code];
  if (!op) return ['unimp', hex(f.code)];
  const [name, form] = op;
  return [name, operandText(form, k, n)];
}

type Form = 'hex' | 'dec' | 'abs' | 'ind' | 'mem' | 'msh' | 'x' | 'none' | 'ja' | 'pktlen';

function operandText(form: Form, k: number, n: number): string {
  switch (form) {
    case 'hex':
      return `#${hex(k)}`;
    case 'dec':
      return `#${signed(k)}`;
    case 'abs': {
      const anc = ancillaryAt(k);
      return anc ? `[${anc.pcap}]` : `[${signed(k)}]`;
    }
    case 'ind':
      return `[x + ${signed(k)}]`;
    case 'mem':
      return `M[${signed(k)}]`;
    case 'msh':
      return `4*([${signed(k)}]&0xf)`;
    case 'x':
      return 'x';
    case 'ja':
      return signed(n + 1 + k);
    case 'pktlen':
      return '#pktlen';
    default:
      return '';
  }
}

/** Mnemonics of the ALU and conditional jump operations (tcpdump's and bpf_asm's). */
export const ALU_NAMES: ReadonlyArray<readonly [number, string]> = [
  [c.BPF_ADD, 'add'], [c.BPF_SUB, 'sub'], [c.BPF_MUL, 'mul'], [c.BPF_DIV, 'div'], [c.BPF_MOD, 'mod'],
  [c.BPF_AND, 'and'], [c.BPF_OR, 'or'], [c.BPF_XOR, 'xor'], [c.BPF_LSH, 'lsh'], [c.BPF_RSH, 'rsh'],
];
export const JMP_NAMES: ReadonlyArray<readonly [number, string]> = [
  [c.BPF_JEQ, 'jeq'], [c.BPF_JGT, 'jgt'], [c.BPF_JGE, 'jge'], [c.BPF_JSET, 'jset'],
];

/** bpf_image's table: what libpcap prints for each opcode it knows. */
const IMAGE: Readonly<Record<number, readonly [string, Form]>> = (() => {
  const t: Record<number, readonly [string, Form]> = {
    [c.BPF_LD | c.BPF_IMM]: ['ld', 'hex'],
    [c.BPF_LDX | c.BPF_IMM]: ['ldx', 'hex'],
    [c.BPF_ST]: ['st', 'mem'],
    [c.BPF_STX]: ['stx', 'mem'],
    [c.BPF_LD | c.BPF_MEM]: ['ld', 'mem'],
    [c.BPF_LDX | c.BPF_MEM]: ['ldx', 'mem'],
    [c.BPF_LD | c.BPF_W | c.BPF_LEN]: ['ld', 'pktlen'],
    [c.BPF_LDX | c.BPF_B | c.BPF_MSH]: ['ldxb', 'msh'],
    [c.BPF_JMP | c.BPF_JA]: ['ja', 'ja'],
    [c.BPF_RET | c.BPF_K]: ['ret', 'dec'],
    [c.BPF_RET | c.BPF_A]: ['ret', 'none'],
    [c.BPF_MISC | c.BPF_TAX]: ['tax', 'none'],
    [c.BPF_MISC | c.BPF_TXA]: ['txa', 'none'],
    [c.BPF_ALU | c.BPF_NEG]: ['neg', 'none'],
  };
  for (const [size, name] of [[c.BPF_W, 'ld'], [c.BPF_H, 'ldh'], [c.BPF_B, 'ldb']] as const) {
    t[c.BPF_LD | size | c.BPF_ABS] = [name, 'abs'];
    t[c.BPF_LD | size | c.BPF_IND] = [name, 'ind'];
  }
  for (const [op, name] of ALU_NAMES) {
    // libpcap prints the bitwise constants in hex, the arithmetic ones in signed decimal
    t[c.BPF_ALU | op | c.BPF_K] = [name, op === c.BPF_AND || op === c.BPF_OR || op === c.BPF_XOR ? 'hex' : 'dec'];
    t[c.BPF_ALU | op | c.BPF_X] = [name, 'x'];
  }
  for (const [op, name] of JMP_NAMES) {
    t[c.BPF_JMP | op | c.BPF_K] = [name, 'hex'];
    t[c.BPF_JMP | op | c.BPF_X] = [name, 'x'];
  }
  return t;
})();

/** One line of `tcpdump -d`: `(002) jeq      #0x800           jt 3\tjf 5`. */
export function imageLine(f: SockFilter, n: number): string {
  const [name, operand] = image(f, n);
  const head = `(${String(n).padStart(3, '0')}) ${name.padEnd(8)} `;
  // libpcap adds the targets to every jump-class opcode but ja, known or not
  const jumps = c.BPF_CLASS(f.code) === c.BPF_JMP && c.BPF_OP(f.code) !== c.BPF_JA;
  return jumps ? `${head}${operand.padEnd(16)} jt ${n + 1 + f.jt}\tjf ${n + 1 + f.jf}` : head + operand;
}

/** The program as `tcpdump -d` prints it (one line per instruction, each ending in a newline). */
export function disassembleClassic(prog: readonly SockFilter[]): string {
  return prog.map((f, n) => `${imageLine(f, n)}\n`).join('');
}

/** `tcpdump -dd`: a C array initializer. */
export function formatClassicC(prog: readonly SockFilter[]): string {
  return prog.map((f) => `{ 0x${f.code.toString(16)}, ${f.jt}, ${f.jf}, 0x${(f.k >>> 0).toString(16).padStart(8, '0')} },\n`).join('');
}

/** `tcpdump -ddd`: the count, then `code jt jf k` in decimal. */
export function formatClassicDecimal(prog: readonly SockFilter[]): string {
  return `${prog.length}\n${prog.map((f) => `${f.code} ${f.jt} ${f.jf} ${f.k >>> 0}\n`).join('')}`;
}

/** bpf_asm's default output (what xt_bpf and tc take): `4,40 0 0 12,21 0 1 2054,…`. */
export function formatClassicCommas(prog: readonly SockFilter[]): string {
  return `${[String(prog.length), ...prog.map((f) => `${f.code} ${f.jt} ${f.jf} ${f.k >>> 0}`)].join(',')}\n`;
}

// ---------------------------------------------------------------- bpf_asm

/** Constants in bpf_asm output: small ones in decimal, others in hex. */
const num = (k: number): string => (k >>> 0 < 10 ? String(k >>> 0) : hex(k));

/** The bpf_asm operand of a load, store, ALU or return instruction. */
function asmOperand(f: SockFilter): string {
  const k = f.k >>> 0;
  const mode = c.BPF_MODE(f.code);
  switch (c.BPF_CLASS(f.code)) {
    case c.BPF_RET:
      return c.BPF_RVAL(f.code) === c.BPF_A ? 'a' : `#${num(k)}`;
    case c.BPF_ST:
    case c.BPF_STX:
      return `M[${k}]`;
    case c.BPF_ALU:
      return f.code === (c.BPF_ALU | c.BPF_NEG) ? '' : c.BPF_SRC(f.code) === c.BPF_X ? 'x' : `#${num(k)}`;
    case c.BPF_MISC:
      return '';
  }
  if (mode === c.BPF_IMM) return `#${num(k)}`;
  if (mode === c.BPF_LEN) return '#len';
  if (mode === c.BPF_MEM) return `M[${k}]`;
  if (mode === c.BPF_MSH) return `4*([${signed(k)}]&0xf)`;
  if (mode === c.BPF_IND) return `[x + ${signed(k)}]`;
  const anc = ancillaryAt(k);
  return anc ? `#${anc.asm}` : `[${signed(k)}]`;
}

/** The bpf_asm mnemonic: tcpdump's, and `ldx` for `ldx #len`, which libpcap does not know. */
function asmName(f: SockFilter): string {
  return f.code === (c.BPF_LDX | c.BPF_W | c.BPF_LEN) ? 'ldx' : IMAGE[f.code]![0];
}

/**
 * bpf_asm source for the program, with a label `L<n>` on every jump
 * target. Opcodes Linux does not accept have no bpf_asm form (EINVAL).
 */
export function formatBpfAsm(prog: readonly SockFilter[]): string {
  const targets = jumpTargets(prog);
  const label = (t: number): string => `L${t}`;
  return prog
    .map((f, i) => {
      if (!isClassicOpcode(f.code)) throw new BpfError('EINVAL', `insn ${i}: opcode 0x${f.code.toString(16)} has no bpf_asm syntax`);
      const text = asmLine(f, i, label);
      return `${targets.has(i) ? `${label(i)}: ` : ''}${text}\n`;
    })
    .join('');
}

function asmLine(f: SockFilter, i: number, label: (t: number) => string): string {
  const name = asmName(f);
  if (f.code === (c.BPF_JMP | c.BPF_JA)) return `ja ${label(i + 1 + (f.k >>> 0))}`;
  if (isCondJump(f.code)) {
    const cmp = c.BPF_SRC(f.code) === c.BPF_X ? 'x' : `#${num(f.k)}`;
    const jf = f.jf === 0 ? '' : `, ${label(i + 1 + f.jf)}`;
    return `${name} ${cmp}, ${label(i + 1 + f.jt)}${jf}`;
  }
  const operand = asmOperand(f);
  return operand ? `${name} ${operand}` : name;
}

/** The instructions some jump goes to. */
function jumpTargets(prog: readonly SockFilter[]): Set<number> {
  const out = new Set<number>();
  prog.forEach((f, i) => {
    if (f.code === (c.BPF_JMP | c.BPF_JA)) out.add(i + 1 + (f.k >>> 0));
    else if (isCondJump(f.code)) {
      out.add(i + 1 + f.jt);
      if (f.jf) out.add(i + 1 + f.jf);
    }
  });
  return out;
}
