/**
 * Disassembler: instructions → text in the syntax of llvm-objdump and of the
 * Linux verifier log, so that a Linux user reads it at once. `assemble()`
 * reads every line back to the same slots (the round trip is exact).
 *
 * Conventions (one instruction per line; 32-bit ALU/JMP32 use `w` registers):
 *
 *   ALU          r0 = 1   r0 = r1   r0 += r1   w0 -= 5   r0 s/= r1   r0 s%= 3
 *                r0 <<= 3   r0 >>= r1   r0 s>>= 3   r0 = -r0   w0 = -w0
 *                immediates in signed decimal (`r0 = -1`, `w0 |= -16`)
 *   MOVSX        r0 = (s8)r1   r0 = (s16)r1   r0 = (s32)r1   w0 = (s8)w1
 *   arena cast   r0 = addr_space_cast(r1, DST_AS, SRC_AS)   (imm = DST_AS << 16 | SRC_AS)
 *   byte swap    r0 = le16 r0   r0 = be32 r0   r0 = bswap64 r0
 *   jumps        goto +2   goto -3   gotol +70000 (JMP32 JA, distance in imm)
 *                if r1 > 0x5 goto +2   if r1 s< r2 goto -1   if w1 & 0x8 goto +1
 *                immediates in hex of their 32-bit pattern (-1 → 0xffffffff),
 *                distances signed and always with a sign, counted in slots
 *                from the next slot
 *                may_goto +3
 *   calls        call 1 (helper id)   call pc+3 (local, src=1)   callx r2 (0x8d)
 *                call kfunc 1234 (src=2, BTF id)   call kfunc 1234, 2 (off=2:
 *                index of the module BTF fd in fd_array)   exit
 *   memory       r0 = *(u32 *)(r1 + 4)   r0 = *(s16 *)(r1 - 2) (sign-extending)
 *                *(u64 *)(r10 - 8) = r1   *(u8 *)(r10 - 1) = 255 (imm, signed decimal)
 *   packet       r0 = *(u8 *)skb[23] (LD_ABS)   r0 = *(u16 *)skb[r3 + 4] (LD_IND)
 *   atomics      lock *(u64 *)(r1 + 0) += r2   lock *(u32 *)(r1 + 0) ^= w2
 *                r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)   (also or, and, xor)
 *                r2 = xchg_64(r1 + 0, r2)   w2 = xchg32_32(r1 + 0, w2)
 *                r0 = cmpxchg_64(r1 + 0, r0, r2)   w0 = cmpxchg32_32(r1 + 0, w0, w2)
 *                r0 = load_acquire((u64 *)(r1 + 0))   w0 = load_acquire((u8 *)(r1 + 0))
 *                store_release((u64 *)(r1 + 0), r2)   store_release((u16 *)(r1 + 0), w2)
 *                (registers are `w` when the access is narrower than 64 bits)
 *   lddw         r1 = 0x1122334455667788 ll     (src 0; unsigned hex of the 64 bits)
 *                r1 = map[fd:5] ll              (src 1, BPF_PSEUDO_MAP_FD)
 *                r1 = map[fd:5][0]+16 ll        (src 2, map value + next_imm)
 *                r1 = btf_id[1234] ll           (src 3, BPF_PSEUDO_BTF_ID)
 *                r1 = btf_id[1234, fd:7] ll     (src 3 with a module BTF fd in next_imm)
 *                r1 = func[pc+3] ll             (src 4, target like a local call)
 *                r1 = map[idx:2] ll             (src 5)   r1 = map[idx:2][0]+16 ll (src 6)
 *                numbers of the pseudo forms are signed decimal
 *
 * A slot that no form above describes exactly (unknown opcode, a non-zero
 * field that the form does not show, a register above r10, a `lddw` without
 * a well-formed second slot, a next_imm on src 1, 4 or 5, ...) is printed as
 * `.insn 0x<16 hex digits>`: the slot as one 64-bit little-endian word, the
 * raw format of the conformance vectors. Instructions that are well formed
 * but that the verifier rejects (`r10 = 1`, a jump out of the program) keep
 * their readable form. The second slot of a well-formed `lddw` is never
 * printed on its own.
 */
import { Insn, lddwValue, toWord } from './instruction.js';
import * as o from './opcodes.js';
import { ALU_OPS, ATOMIC_OPS, JMP_OPS, MAX_REG, ctype, endianName } from './syntax.js';

/** One instruction as text; a `lddw` at `i` also reads slot `i + 1`. */
export function formatInsn(insns: readonly Insn[], i: number): string {
  return format(insns, i).text;
}

/**
 * The whole program, one line (ending in a newline) per instruction. With
 * `indices`, every line starts with its slot number as in the verifier log:
 * `   0: r0 = 1`.
 */
export function disassemble(insns: readonly Insn[], opts: { indices?: boolean } = {}): string {
  let out = '';
  for (let i = 0; i < insns.length; ) {
    const { text, slots } = format(insns, i);
    out += opts.indices ? `${String(i).padStart(4)}: ${text}\n` : `${text}\n`;
    i += slots;
  }
  return out;
}

interface Formatted {
  text: string;
  slots: 1 | 2;
}

function format(insns: readonly Insn[], i: number): Formatted {
  const ins = insns[i];
  if (!ins) throw new RangeError(`no instruction at slot ${i} (program has ${insns.length})`);
  if (ins.code === o.LDDW) {
    const text = formatLddw(insns, i);
    if (text) return { text, slots: 2 };
  }
  const text = ins.dst <= MAX_REG && ins.src <= MAX_REG ? BY_CLASS[o.cls(ins.code)]!(ins) : undefined;
  return { text: text ?? rawInsn(ins), slots: 1 };
}

const rawInsn = (ins: Insn): string => `.insn 0x${toWord(ins).toString(16).padStart(16, '0')}`;

const BY_CLASS: Record<number, (ins: Insn) => string | undefined> = {
  [o.BPF_LD]: fmtLegacyLd,
  [o.BPF_LDX]: fmtLdx,
  [o.BPF_ST]: fmtSt,
  [o.BPF_STX]: fmtStx,
  [o.BPF_ALU]: fmtAlu,
  [o.BPF_ALU64]: fmtAlu,
  [o.BPF_JMP]: fmtJmp,
  [o.BPF_JMP32]: fmtJmp,
};

const zero = (...fields: number[]): boolean => fields.every((f) => f === 0);
/** `+ 4` / `- 4`: a displacement inside an address. */
const disp = (n: number): string => (n < 0 ? `- ${-n}` : `+ ${n}`);
/** `+4` / `-4`: a jump distance. */
const rel = (n: number): string => (n < 0 ? `${n}` : `+${n}`);
const addr = (reg: number, off: number): string => `r${reg} ${disp(off)}`;
const hex32 = (v: number): string => `0x${(v >>> 0).toString(16)}`;

function fmtAlu(ins: Insn): string | undefined {
  const r = o.cls(ins.code) === o.BPF_ALU64 ? 'r' : 'w';
  const d = `${r}${ins.dst}`;
  const s = `${r}${ins.src}`;
  const x = o.srcBit(ins.code) === o.BPF_X;
  const op = o.op(ins.code);
  if (op === o.BPF_NEG) return !x && zero(ins.src, ins.off, ins.imm) ? `${d} = -${d}` : undefined;
  if (op === o.BPF_END) return fmtEnd(ins);
  if (op === o.BPF_MOV && x && ins.off !== 0) return fmtMovX(ins, d, s);
  const a = ALU_OPS.find((e) => e.op === op && e.off === ins.off);
  if (!a) return undefined;
  if (x) return ins.imm === 0 ? `${d} ${a.sym} ${s}` : undefined;
  return ins.src === 0 ? `${d} ${a.sym} ${ins.imm}` : undefined;
}

function fmtEnd(ins: Insn): string | undefined {
  const name = endianName(ins.code);
  if (!name || !zero(ins.src, ins.off) || ![16, 32, 64].includes(ins.imm)) return undefined;
  return `r${ins.dst} = ${name}${ins.imm} r${ins.dst}`;
}

function fmtMovX(ins: Insn, d: string, s: string): string | undefined {
  if (o.cls(ins.code) === o.BPF_ALU64 && ins.off === o.BPF_ADDR_SPACE_CAST) {
    return `${d} = addr_space_cast(${s}, ${ins.imm >>> 16}, ${ins.imm & 0xffff})`;
  }
  return [8, 16, 32].includes(ins.off) && ins.imm === 0 ? `${d} = (s${ins.off})${s}` : undefined;
}

/** LD_ABS / LD_IND (the LD_IMM64 forms are handled by formatLddw). */
function fmtLegacyLd(ins: Insn): string | undefined {
  const mode = o.mode(ins.code);
  if (o.size(ins.code) === o.BPF_DW || !zero(ins.dst, ins.off)) return undefined;
  const t = ctype(ins.code);
  if (mode === o.BPF_ABS && ins.src === 0) return `r0 = *(${t} *)skb[${ins.imm}]`;
  if (mode === o.BPF_IND) return `r0 = *(${t} *)skb[${addr(ins.src, ins.imm)}]`;
  return undefined;
}

function fmtLdx(ins: Insn): string | undefined {
  const mode = o.mode(ins.code);
  const sx = mode === o.BPF_MEMSX;
  if ((mode !== o.BPF_MEM && !sx) || (sx && o.size(ins.code) === o.BPF_DW) || ins.imm !== 0) return undefined;
  return `r${ins.dst} = *(${ctype(ins.code, sx)} *)(${addr(ins.src, ins.off)})`;
}

function fmtSt(ins: Insn): string | undefined {
  if (o.mode(ins.code) !== o.BPF_MEM || ins.src !== 0) return undefined;
  return `*(${ctype(ins.code)} *)(${addr(ins.dst, ins.off)}) = ${ins.imm}`;
}

function fmtStx(ins: Insn): string | undefined {
  const mode = o.mode(ins.code);
  if (mode === o.BPF_ATOMIC) return fmtAtomic(ins);
  if (mode !== o.BPF_MEM || ins.imm !== 0) return undefined;
  return `*(${ctype(ins.code)} *)(${addr(ins.dst, ins.off)}) = r${ins.src}`;
}

function fmtAtomic(ins: Insn): string | undefined {
  const t = ctype(ins.code);
  const wide = o.size(ins.code) === o.BPF_DW;
  const r = wide ? 'r' : 'w';
  const src = `${r}${ins.src}`;
  if (ins.imm === o.BPF_LOAD_ACQ) return `${r}${ins.dst} = load_acquire((${t} *)(${addr(ins.src, ins.off)}))`;
  if (ins.imm === o.BPF_STORE_REL) return `store_release((${t} *)(${addr(ins.dst, ins.off)}), ${src})`;
  if (!wide && o.size(ins.code) !== o.BPF_W) return undefined;
  const at = addr(ins.dst, ins.off);
  const sfx = wide ? '_64' : '32_32';
  if (ins.imm === o.BPF_XCHG) return `${src} = xchg${sfx}(${at}, ${src})`;
  if (ins.imm === o.BPF_CMPXCHG) return `${r}0 = cmpxchg${sfx}(${at}, ${r}0, ${src})`;
  const plain = ATOMIC_OPS.find((a) => a.imm === ins.imm);
  if (plain) return `lock *(${t} *)(${at}) ${plain.sym} ${src}`;
  const fetch = ATOMIC_OPS.find((a) => (a.imm | o.BPF_FETCH) === ins.imm);
  return fetch ? `${src} = atomic_fetch_${fetch.name}((${t} *)(${at}), ${src})` : undefined;
}

function fmtJmp(ins: Insn): string | undefined {
  const jmp32 = o.cls(ins.code) === o.BPF_JMP32;
  const x = o.srcBit(ins.code) === o.BPF_X;
  switch (o.op(ins.code)) {
    case o.BPF_JA:
      if (x) return undefined;
      if (jmp32) return zero(ins.dst, ins.src, ins.off) ? `gotol ${rel(ins.imm)}` : undefined;
      return zero(ins.dst, ins.src, ins.imm) ? `goto ${rel(ins.off)}` : undefined;
    case o.BPF_CALL:
      return jmp32 ? undefined : fmtCall(ins, x);
    case o.BPF_EXIT:
      return !jmp32 && !x && zero(ins.dst, ins.src, ins.off, ins.imm) ? 'exit' : undefined;
    case o.BPF_JCOND:
      return !jmp32 && !x && zero(ins.dst, ins.src, ins.imm) ? `may_goto ${rel(ins.off)}` : undefined;
    default:
      return fmtCond(ins, jmp32 ? 'w' : 'r', x);
  }
}

function fmtCond(ins: Insn, r: string, x: boolean): string | undefined {
  const j = JMP_OPS.find((e) => e.op === o.op(ins.code));
  if (!j || (x ? ins.imm : ins.src) !== 0) return undefined;
  const rhs = x ? `${r}${ins.src}` : hex32(ins.imm);
  return `if ${r}${ins.dst} ${j.sym} ${rhs} goto ${rel(ins.off)}`;
}

function fmtCall(ins: Insn, x: boolean): string | undefined {
  if (x) return zero(ins.src, ins.off, ins.imm) ? `callx r${ins.dst}` : undefined;
  if (ins.dst !== 0) return undefined;
  switch (ins.src) {
    case 0:
      return ins.off === 0 ? `call ${ins.imm}` : undefined;
    case o.BPF_PSEUDO_CALL:
      return ins.off === 0 ? `call pc${rel(ins.imm)}` : undefined;
    case o.BPF_PSEUDO_KFUNC_CALL:
      return ins.off === 0 ? `call kfunc ${ins.imm}` : `call kfunc ${ins.imm}, ${ins.off}`;
    default:
      return undefined;
  }
}

/** The two slots of a `lddw`, or undefined when they are not well formed. */
function formatLddw(insns: readonly Insn[], i: number): string | undefined {
  const a = insns[i]!;
  const b = insns[i + 1];
  if (!b || a.off !== 0 || a.dst > MAX_REG || !zero(b.code, b.dst, b.src, b.off)) return undefined;
  const body = lddwOperand(a.src, a.imm, b.imm, () => lddwValue(insns, i));
  return body === undefined ? undefined : `r${a.dst} = ${body} ll`;
}

function lddwOperand(src: number, imm: number, next: number, value: () => bigint): string | undefined {
  switch (src) {
    case 0:
      return `0x${value().toString(16)}`;
    case o.BPF_PSEUDO_MAP_FD:
      return next === 0 ? `map[fd:${imm}]` : undefined;
    case o.BPF_PSEUDO_MAP_VALUE:
      return `map[fd:${imm}][0]${rel(next)}`;
    case o.BPF_PSEUDO_BTF_ID:
      return next === 0 ? `btf_id[${imm}]` : `btf_id[${imm}, fd:${next}]`;
    case o.BPF_PSEUDO_FUNC:
      return next === 0 ? `func[pc${rel(imm)}]` : undefined;
    case o.BPF_PSEUDO_MAP_IDX:
      return next === 0 ? `map[idx:${imm}]` : undefined;
    case o.BPF_PSEUDO_MAP_IDX_VALUE:
      return `map[idx:${imm}][0]${rel(next)}`;
    default:
      return undefined;
  }
}
