import { BpfError } from '../errno.js';
import { SECCOMP_DATA_SIZE } from '../progtypes/seccomp.js';
import { ancillaryAt, inAncillaryRange } from './ancillary.js';
import { checkFields } from './encoding.js';
import { SockFilter } from './instruction.js';
import * as c from './opcodes.js';

/**
 * The checks Linux makes before it accepts a classic program, in its order:
 * the length (1..BPF_MAXINSNS), then bpf_check_classic (each opcode allowed,
 * constant division by zero, shifts and M[] indices in range, forward jumps
 * inside the program, ancillary loads known, a return at the end, scratch
 * memory written before it is read), then for seccomp seccomp_check_filter.
 * Every failure is EINVAL, as Linux returns, with the instruction named.
 */

const fail = (i: number, why: string): never => {
  throw new BpfError('EINVAL', `insn ${i}: ${why}`);
};

/** Every opcode a classic program may use (Linux's chk_code_allowed table). */
const ALLOWED: ReadonlySet<number> = new Set([
  ...[c.BPF_ADD, c.BPF_SUB, c.BPF_MUL, c.BPF_DIV, c.BPF_MOD, c.BPF_AND, c.BPF_OR, c.BPF_XOR, c.BPF_LSH, c.BPF_RSH].flatMap((op) => [
    c.BPF_ALU | op | c.BPF_K,
    c.BPF_ALU | op | c.BPF_X,
  ]),
  c.BPF_ALU | c.BPF_NEG,
  ...[c.BPF_W, c.BPF_H, c.BPF_B].flatMap((size) => [c.BPF_LD | size | c.BPF_ABS, c.BPF_LD | size | c.BPF_IND]),
  c.BPF_LD | c.BPF_W | c.BPF_LEN,
  c.BPF_LD | c.BPF_IMM,
  c.BPF_LD | c.BPF_MEM,
  c.BPF_LDX | c.BPF_W | c.BPF_LEN,
  c.BPF_LDX | c.BPF_B | c.BPF_MSH,
  c.BPF_LDX | c.BPF_IMM,
  c.BPF_LDX | c.BPF_MEM,
  c.BPF_ST,
  c.BPF_STX,
  c.BPF_MISC | c.BPF_TAX,
  c.BPF_MISC | c.BPF_TXA,
  c.BPF_RET | c.BPF_K,
  c.BPF_RET | c.BPF_A,
  c.BPF_JMP | c.BPF_JA,
  ...[c.BPF_JEQ, c.BPF_JGT, c.BPF_JGE, c.BPF_JSET].flatMap((op) => [c.BPF_JMP | op | c.BPF_K, c.BPF_JMP | op | c.BPF_X]),
]);

export const isClassicOpcode = (code: number): boolean => ALLOWED.has(code);

/** A conditional jump (the codes whose jt/jf Linux checks). */
export function isCondJump(code: number): boolean {
  return c.BPF_CLASS(code) === c.BPF_JMP && code !== (c.BPF_JMP | c.BPF_JA) && ALLOWED.has(code);
}

/** Whether a valid opcode reads its k (X forms, neg, tax, txa, ret a and the length loads do not). */
function usesK(code: number): boolean {
  const cls = c.BPF_CLASS(code);
  if (cls === c.BPF_ALU || (cls === c.BPF_JMP && code !== (c.BPF_JMP | c.BPF_JA))) return c.BPF_SRC(code) === c.BPF_K && code !== (c.BPF_ALU | c.BPF_NEG);
  if (cls === c.BPF_MISC) return false;
  if (cls === c.BPF_RET) return c.BPF_RVAL(code) === c.BPF_K;
  return c.BPF_MODE(code) !== c.BPF_LEN;
}

/**
 * The instruction with the fields its opcode does not use set to 0: two
 * instructions that differ only there do the same thing (compilers leave
 * leftovers in them, e.g. tcpdump's `tax` with a k). Unknown opcodes are
 * kept as they are.
 */
export function canonicalInsn(f: SockFilter): SockFilter {
  if (!ALLOWED.has(f.code)) return { code: f.code, jt: f.jt, jf: f.jf, k: f.k >>> 0 };
  const jumps = isCondJump(f.code);
  return { code: f.code, jt: jumps ? f.jt : 0, jf: jumps ? f.jf : 0, k: usesK(f.code) ? f.k >>> 0 : 0 };
}

const isMemOp = (code: number): boolean =>
  code === c.BPF_ST || code === c.BPF_STX || code === (c.BPF_LD | c.BPF_MEM) || code === (c.BPF_LDX | c.BPF_MEM);

/** bpf_check_basics_ok: a program of 1 to 4096 instructions. */
export function checkLength(prog: readonly SockFilter[]): void {
  if (prog.length === 0 || prog.length > c.BPF_MAXINSNS) {
    throw new BpfError('EINVAL', `classic program has ${prog.length} instructions; Linux accepts 1 to ${c.BPF_MAXINSNS}`);
  }
}

/** One instruction's own checks (the switch of bpf_check_classic). */
function checkInsn(prog: readonly SockFilter[], i: number): void {
  const { code, jt, jf } = prog[i]!;
  const k = prog[i]!.k >>> 0;
  if (!ALLOWED.has(code)) fail(i, `unknown opcode 0x${code.toString(16)}`);
  const op = c.BPF_OP(code);
  if (c.BPF_CLASS(code) === c.BPF_ALU && c.BPF_SRC(code) === c.BPF_K) {
    if ((op === c.BPF_DIV || op === c.BPF_MOD) && k === 0) fail(i, `${op === c.BPF_DIV ? 'division' : 'modulo'} by constant zero`);
    if ((op === c.BPF_LSH || op === c.BPF_RSH) && k >= 32) fail(i, `shift by ${k} (the constant must be below 32)`);
  }
  if (isMemOp(code) && k >= c.BPF_MEMWORDS) fail(i, `scratch memory M[${k}] out of range (M[0] to M[${c.BPF_MEMWORDS - 1}])`);
  if (code === (c.BPF_JMP | c.BPF_JA) && k >= prog.length - i - 1) fail(i, `jump out of range: ja +${k} goes to insn ${i + 1 + k}, past the last insn ${prog.length - 1}`);
  if (isCondJump(code)) {
    for (const [name, off] of [['jt', jt], ['jf', jf]] as const) {
      if (i + off + 1 >= prog.length) fail(i, `jump out of range: ${name} +${off} goes to insn ${i + off + 1}, past the last insn ${prog.length - 1}`);
    }
  }
  if (c.BPF_CLASS(code) === c.BPF_LD && c.BPF_MODE(code) === c.BPF_ABS && inAncillaryRange(k) && !ancillaryAt(k)) {
    fail(i, `unknown ancillary load at SKF_AD_OFF+${k - (c.SKF_AD_OFF >>> 0)} (k 0x${k.toString(16)})`);
  }
}

const isRet = (code: number): boolean => code === (c.BPF_RET | c.BPF_K) || code === (c.BPF_RET | c.BPF_A);

/**
 * Linux's check_load_and_stores: one pass in program order, keeping the set
 * of M[] words written on every way to each instruction. A jump hands its
 * set to its targets and the instruction after it starts from "all written"
 * (it is reached only by jumps, whose sets narrow it). A return does not
 * reset the set, so Linux lets dead code after a return read what was
 * written before it; so does this.
 */
function checkLoadsAndStores(prog: readonly SockFilter[]): void {
  const ALL = 0xffff;
  const masks = new Uint16Array(prog.length).fill(ALL);
  let valid = 0;
  prog.forEach(({ code, jt, jf, k }, i) => {
    valid &= masks[i]!;
    if (code === c.BPF_ST || code === c.BPF_STX) valid |= 1 << k;
    else if (code === (c.BPF_LD | c.BPF_MEM) || code === (c.BPF_LDX | c.BPF_MEM)) {
      if (!(valid & (1 << k))) fail(i, `M[${k}] may be read before it is written`);
    } else if (code === (c.BPF_JMP | c.BPF_JA)) {
      masks[i + 1 + (k >>> 0)]! &= valid;
      valid = ALL;
    } else if (isCondJump(code)) {
      masks[i + 1 + jt]! &= valid;
      masks[i + 1 + jf]! &= valid;
      valid = ALL;
    }
  });
}

/** bpf_check_classic: throws EINVAL naming the first instruction Linux refuses. */
export function checkClassic(prog: readonly SockFilter[]): void {
  checkFields(prog);
  for (let i = 0; i < prog.length; i++) checkInsn(prog, i);
  const last = prog.length - 1;
  if (last < 0 || !isRet(prog[last]!.code)) fail(Math.max(last, 0), 'the program does not end with ret');
  checkLoadsAndStores(prog);
}

/** What SO_ATTACH_FILTER checks (sk_attach_filter → bpf_prepare_filter). */
export function checkSocketFilter(prog: readonly SockFilter[]): void {
  checkLength(prog);
  checkClassic(prog);
}

// ---------------------------------------------------------------- seccomp

/**
 * The code Linux gives a seccomp `ld [k]` after checking it: a 32-bit load of
 * the context in host byte order (BPF_LDX | BPF_W | BPF_ABS, an opcode
 * classic programs cannot otherwise use).
 */
export const SECCOMP_LD_DATA = c.BPF_LDX | c.BPF_W | c.BPF_ABS;

/** What seccomp_check_filter lets through unchanged (no packet loads, no MOD, no ancillary data). */
const SECCOMP_ALLOWED: ReadonlySet<number> = new Set(
  [...ALLOWED].filter((code) => {
    const cls = c.BPF_CLASS(code);
    if (cls === c.BPF_LD || cls === c.BPF_LDX) return c.BPF_MODE(code) === c.BPF_IMM || c.BPF_MODE(code) === c.BPF_MEM;
    return !(cls === c.BPF_ALU && c.BPF_OP(code) === c.BPF_MOD);
  }),
);

/** seccomp_check_filter: refuse what seccomp does not allow and rewrite the loads, as Linux does, into a copy. */
function seccompRewrite(prog: readonly SockFilter[]): SockFilter[] {
  return prog.map((f, i) => {
    const k = f.k >>> 0;
    switch (f.code) {
      case c.BPF_LD | c.BPF_W | c.BPF_ABS:
        if (k >= SECCOMP_DATA_SIZE || k & 3) fail(i, `seccomp load at offset ${k | 0}: must be a 4-byte aligned offset inside struct seccomp_data (0 to ${SECCOMP_DATA_SIZE - 4})`);
        return { code: SECCOMP_LD_DATA, jt: f.jt, jf: f.jf, k };
      case c.BPF_LD | c.BPF_W | c.BPF_LEN:
        return { code: c.BPF_LD | c.BPF_IMM, jt: f.jt, jf: f.jf, k: SECCOMP_DATA_SIZE };
      case c.BPF_LDX | c.BPF_W | c.BPF_LEN:
        return { code: c.BPF_LDX | c.BPF_IMM, jt: f.jt, jf: f.jf, k: SECCOMP_DATA_SIZE };
      default:
        if (!SECCOMP_ALLOWED.has(f.code)) fail(i, `opcode 0x${f.code.toString(16)} is not allowed in a seccomp filter (no packet loads, ldxb, mod or ancillary data)`);
        return { ...f, k };
    }
  });
}

/**
 * What seccomp(SECCOMP_SET_MODE_FILTER) checks (seccomp_prepare_filter):
 * the length, bpf_check_classic, then seccomp's own rules. Returns the
 * program as Linux keeps it: `ld [k]` becomes a host-order context load
 * (SECCOMP_LD_DATA) and `ld len` / `ldx len` the constant 64.
 */
export function prepareSeccomp(prog: readonly SockFilter[]): SockFilter[] {
  checkLength(prog);
  checkClassic(prog);
  return seccompRewrite(prog);
}
