import { BpfError } from '../errno.js';
import { Insn, insn } from '../isa/instruction.js';
import * as e from '../isa/opcodes.js';
import { SKB } from '../progtypes/sk-buff.js';
import { ancillaryAt } from './ancillary.js';
import { checkSocketFilter, prepareSeccomp, SECCOMP_LD_DATA } from './check.js';
import { SockFilter } from './instruction.js';
import * as c from './opcodes.js';

/**
 * Classic BPF to eBPF, as Linux's bpf_convert_filter does it, so a classic
 * filter runs on the same engines (and later the same verifier) as any eBPF
 * program: A is r0, X is r7, r6 holds the context, M[k] is the stack word at
 * r10 - (4k + 4), classic ALU and jump opcodes keep their encoding, and
 * conditional jumps become one eBPF jump when jt or jf is the next
 * instruction, else a jump and a `ja`.
 *
 * Where Linux emits kernel-internal code, the translation uses what an eBPF
 * program may use, with the same results:
 * - packet loads are LD_ABS / LD_IND (Linux now inlines a fast path and calls
 *   internal load helpers; LD_ABS has the same semantics: out-of-range loads
 *   end the program with 0);
 * - ancillary loads read `struct __sk_buff` (the socket_filter context)
 *   instead of the kernel's `struct sk_buff`; CPU and RANDOM call the helpers
 *   get_smp_processor_id and get_prandom_u32.
 * SKF_AD_HATYPE has no `__sk_buff` field, so it needs TranslateOptions.hatype;
 * SKF_AD_NLATTR, NLATTR_NEST and PAY_OFFSET call kernel functions that eBPF
 * has no helper for, so they are refused (ENOTSUPP).
 *
 * Linux runs converted programs without verifying them; this translation
 * also passes Linux's eBPF verifier as a SOCKET_FILTER (A and X start as
 * `w = 0` instead of `xor`, LD_ABS has src_reg 0), except where the classic
 * program has dead code, which the eBPF verifier refuses as unreachable.
 */

export interface TranslateOptions {
  /** 'socket' (default): a socket filter on `struct __sk_buff`; 'seccomp': a seccomp filter on `struct seccomp_data` */
  kind?: 'socket' | 'seccomp';
  /** the device type (ARPHRD_*) SKF_AD_HATYPE loads, as a constant; without it such a load is refused */
  hatype?: number;
}

// Linux's register mapping for converted classic programs (include/linux/filter.h).
const A = 0;
const X = 7;
const CTX = 6;
const TMP = 2;
const FP = 10;

/** An eBPF instruction and, for a jump to a classic instruction, that instruction's index. */
interface Emitted {
  ins: Insn;
  target?: number;
}

const HELPER_GET_PRANDOM_U32 = 7;
const HELPER_GET_SMP_PROCESSOR_ID = 8;

export function translate(prog: readonly SockFilter[], opts: TranslateOptions = {}): Insn[] {
  const kind = opts.kind ?? 'socket';
  let checked: readonly SockFilter[] = prog;
  if (kind === 'seccomp') checked = prepareSeccomp(prog);
  else checkSocketFilter(prog);
  const prologue: Emitted[] = [
    // Classic programs start with A = X = 0. Linux clears them with `xor`,
    // which reads them; an eBPF verifier refuses reading uninitialised
    // registers, so this writes 0 instead (same result, and it verifies).
    mov32(A, 0),
    mov32(X, 0),
    { ins: insn(e.BPF_ALU64 | e.BPF_MOV | e.BPF_X, CTX, 1) },
  ];
  const blocks = checked.map((f, i) => convert(f, i, opts));
  return link(prologue, blocks);
}

/** Lay the blocks out after the prologue and turn classic jump targets into eBPF offsets. */
function link(prologue: Emitted[], blocks: Emitted[][]): Insn[] {
  const addrs: number[] = [];
  let at = prologue.length;
  for (const b of blocks) {
    addrs.push(at);
    at += b.length;
  }
  const out = prologue.map((x) => x.ins);
  blocks.forEach((block, i) => {
    for (const em of block) {
      if (em.target !== undefined) em.ins.off = jumpOffset(addrs[em.target]! - (out.length + 1), i, em.target);
      out.push(em.ins);
    }
  });
  return out;
}

/**
 * Linux refuses a program whose translated jumps do not fit eBPF's 16-bit
 * offset. Here the longest expansion is 7 instructions (ldxb), so 4096
 * classic instructions stay below 32768 and this never fires; it guards
 * the invariant.
 */
function jumpOffset(off: number, i: number, target: number): number {
  if (off < -0x8000 || off > 0x7fff) {
    throw new BpfError('EINVAL', `insn ${i}: the jump to insn ${target} is ${off} eBPF instructions long after translation, more than a 16-bit offset holds`);
  }
  return off;
}

/** The eBPF instructions of classic instruction `i`. */
function convert(f: SockFilter, i: number, opts: TranslateOptions): Emitted[] {
  const k = f.k >>> 0;
  switch (c.BPF_CLASS(f.code)) {
    case c.BPF_ALU:
      return alu(f.code, k);
    case c.BPF_JMP:
      return f.code === (c.BPF_JMP | c.BPF_JA) ? [{ ins: insn(e.BPF_JMP | e.BPF_JA), target: i + 1 + k }] : condJump(f, i);
    case c.BPF_RET:
      return c.BPF_RVAL(f.code) === c.BPF_A ? [exit()] : [mov32(A, k), exit()];
    case c.BPF_ST:
    case c.BPF_STX:
      return [{ ins: insn(e.BPF_STX | e.BPF_MEM | e.BPF_W, FP, f.code === c.BPF_ST ? A : X, -(4 * k + 4)) }];
    case c.BPF_MISC:
      return f.code === (c.BPF_MISC | c.BPF_TAX) ? [mov64(X, A)] : [mov64(A, X)];
    case c.BPF_LDX:
      return loadX(f.code, k);
    default:
      return loadA(f.code, k, i, opts);
  }
}

const mov32 = (dst: number, k: number): Emitted => ({ ins: insn(e.BPF_ALU | e.BPF_MOV | e.BPF_K, dst, 0, 0, k | 0) });
const mov64 = (dst: number, src: number): Emitted => ({ ins: insn(e.BPF_ALU64 | e.BPF_MOV | e.BPF_X, dst, src) });
const exit = (): Emitted => ({ ins: insn(e.BPF_JMP | e.BPF_EXIT) });
const ldxw = (dst: number, src: number, off: number): Emitted => ({ ins: insn(e.BPF_LDX | e.BPF_MEM | e.BPF_W, dst, src, off) });
const alu32k = (op: number, dst: number, k: number): Emitted => ({ ins: insn(e.BPF_ALU | op | e.BPF_K, dst, 0, 0, k | 0) });
const alu32x = (op: number, dst: number, src: number): Emitted => ({ ins: insn(e.BPF_ALU | op | e.BPF_X, dst, src) });
const be16 = (dst: number): Emitted => ({ ins: insn(e.BPF_ALU | e.BPF_END | e.BPF_TO_BE, dst, 0, 0, 16) });
const call = (helper: number): Emitted => ({ ins: insn(e.BPF_JMP | e.BPF_CALL, 0, 0, 0, helper) });

/**
 * Classic ALU opcodes are eBPF's 32-bit ones. Division or modulo by X first
 * checks X, as Linux does: a zero divisor ends the program returning 0.
 */
function alu(code: number, k: number): Emitted[] {
  const op = c.BPF_OP(code);
  if (op === c.BPF_NEG) return [{ ins: insn(e.BPF_ALU | e.BPF_NEG, A) }];
  if (c.BPF_SRC(code) === c.BPF_K) return [alu32k(op, A, k)];
  if (op !== c.BPF_DIV && op !== c.BPF_MOD) return [alu32x(op, A, X)];
  return [
    { ins: insn(e.BPF_ALU | e.BPF_MOV | e.BPF_X, X, X) },
    { ins: insn(e.BPF_JMP | e.BPF_JNE | e.BPF_K, X, 0, 2, 0) },
    alu32x(e.BPF_XOR, A, A),
    exit(),
    alu32x(op, A, X),
  ];
}

/** The inverse eBPF jump for `jt == 0` (Linux inverts only these three). */
const INVERSE: Readonly<Record<number, number>> = { [c.BPF_JEQ]: e.BPF_JNE, [c.BPF_JGT]: e.BPF_JLE, [c.BPF_JGE]: e.BPF_JLT };

/**
 * A conditional jump. eBPF immediates are signed and compared as 64 bits,
 * so a k with the top bit set goes through a register (zero-extended) as
 * Linux does.
 */
function condJump(f: SockFilter, i: number): Emitted[] {
  const pre: Emitted[] = [];
  let src = c.BPF_SRC(f.code) === c.BPF_X ? X : -1;
  if (src < 0 && (f.k | 0) < 0) {
    pre.push(mov32(TMP, f.k));
    src = TMP;
  }
  const imm = src < 0 ? f.k | 0 : 0;
  const jmp = (op: number, target: number): Emitted => ({
    ins: insn(e.BPF_JMP | op | (src < 0 ? e.BPF_K : e.BPF_X), A, Math.max(src, 0), 0, imm),
    target,
  });
  const op = c.BPF_OP(f.code);
  if (f.jf === 0) return [...pre, jmp(op, i + 1 + f.jt)];
  const inverse = INVERSE[op];
  if (f.jt === 0 && inverse !== undefined) return [...pre, jmp(inverse, i + 1 + f.jf)];
  return [...pre, jmp(op, i + 1 + f.jt), { ins: insn(e.BPF_JMP | e.BPF_JA), target: i + 1 + f.jf }];
}

function loadX(code: number, k: number): Emitted[] {
  switch (c.BPF_MODE(code)) {
    case c.BPF_IMM:
      return [mov32(X, k)];
    case c.BPF_MEM:
      return [ldxw(X, FP, -(4 * k + 4))];
    case c.BPF_LEN:
      return [ldxw(X, CTX, SKB.len!)];
    case c.BPF_MSH:
      return msh(k);
    default:
      if (code !== SECCOMP_LD_DATA) throw new Error(`unreachable: LDX code 0x${code.toString(16)} in a checked program`);
      // seccomp's `ld [k]`: a host-order load of struct seccomp_data into A
      return [ldxw(A, CTX, k)];
  }
}

/** `ldxb 4*([k]&0xf)`: X = 4 * (low nibble of byte k); A survives in X meanwhile, as in Linux. */
function msh(k: number): Emitted[] {
  return [
    mov64(X, A),
    packetLoad(c.BPF_LD | c.BPF_B | c.BPF_ABS, k),
    alu32k(e.BPF_AND, A, 0xf),
    alu32k(e.BPF_LSH, A, 2),
    mov64(TMP, X),
    mov64(X, A),
    mov64(A, TMP),
  ];
}

/** LD_ABS / LD_IND (IND adds X): the big-endian bytes into r0; out of range ends the program with 0. */
function packetLoad(code: number, k: number): Emitted {
  const ind = c.BPF_MODE(code) === c.BPF_IND;
  return { ins: insn(e.BPF_LD | c.BPF_SIZE(code) | (ind ? e.BPF_IND : e.BPF_ABS), 0, ind ? X : 0, 0, k | 0) };
}

function loadA(code: number, k: number, i: number, opts: TranslateOptions): Emitted[] {
  switch (c.BPF_MODE(code)) {
    case c.BPF_IMM:
      return [mov32(A, k)];
    case c.BPF_MEM:
      return [ldxw(A, FP, -(4 * k + 4))];
    case c.BPF_LEN:
      return [ldxw(A, CTX, SKB.len!)];
    case c.BPF_ABS: {
      const anc = ancillaryAt(k);
      return anc ? ancillary(anc.off, anc.pcap, i, opts) : [packetLoad(code, k)];
    }
    default:
      return [packetLoad(code, k)];
  }
}

/** `struct __sk_buff` fields that hold an ancillary value as it is. */
const SKB_FIELD: Readonly<Record<number, string>> = {
  [c.SKF_AD_PKTTYPE]: 'pkt_type',
  [c.SKF_AD_IFINDEX]: 'ifindex',
  [c.SKF_AD_MARK]: 'mark',
  [c.SKF_AD_QUEUE]: 'queue_mapping',
  [c.SKF_AD_RXHASH]: 'hash',
  [c.SKF_AD_VLAN_TAG]: 'vlan_tci',
  [c.SKF_AD_VLAN_TAG_PRESENT]: 'vlan_present',
};

function ancillary(off: number, name: string, i: number, opts: TranslateOptions): Emitted[] {
  const field = SKB_FIELD[off];
  if (field) return [ldxw(A, CTX, SKB[field]!)];
  switch (off) {
    case c.SKF_AD_PROTOCOL:
      // __sk_buff.protocol and vlan_proto hold the __be16 of the skb: convert to host order
      return [ldxw(A, CTX, SKB.protocol!), be16(A)];
    case c.SKF_AD_VLAN_TPID:
      return [ldxw(A, CTX, SKB.vlan_proto!), be16(A)];
    case c.SKF_AD_ALU_XOR_X:
      return [alu32x(e.BPF_XOR, A, X)];
    case c.SKF_AD_CPU:
      return [call(HELPER_GET_SMP_PROCESSOR_ID)];
    case c.SKF_AD_RANDOM:
      return [call(HELPER_GET_PRANDOM_U32)];
    case c.SKF_AD_HATYPE:
      if (opts.hatype !== undefined) return [mov32(A, opts.hatype)];
      throw new BpfError('ENOTSUPP', `insn ${i}: ld [hatype] needs the device type: struct __sk_buff has no field for it (pass it as the hatype option)`);
    default:
      throw new BpfError('ENOTSUPP', `insn ${i}: ld [${name}] has no eBPF equivalent: Linux calls a kernel function no eBPF helper exposes (runClassic interprets it)`);
  }
}
