import { Ctx, frameOf, reject } from './context.js';
import { tnumLog } from './log.js';
import { MAX_VAR_OFF } from './ptr-alu.js';
import { Reg, assignReg, cloneReg, constScalar, isConstReg, linkForCopy, setConst, setNotInit, setUnknown } from './reg.js';
import { FuncState, MAX_BPF_STACK, REG_SIZE, Slot, StackSlot, slotAt } from './state.js';
import { tnumIsConst } from './tnum.js';

/**
 * The stack of a frame, byte by byte (Linux's check_stack_* functions): a
 * register spilled whole keeps its full state and comes back on a fill; a
 * scalar spilled narrower keeps its value too; other writes leave bytes that
 * read back as unknown (MISC) or as zero (ZERO); never-written bytes are
 * INVALID, readable only by a privileged loader (as an unknown value).
 */

/** Which access: the word the kernel's messages use. */
export type StackAccess = 'read' | 'write' | 'helper';

const accessWord = (a: StackAccess): string => (a === 'read' ? ' read from' : a === 'write' ? ' write to' : ' indirect access to');

/**
 * The slot index, and the byte's index in its slot, of the byte at offset
 * `off` from the frame pointer (off < 0). Two numbers, not a pair: a pair is
 * an array to allocate and destructure, per byte of every stack access.
 */
export const spiOf = (off: number): number => (-off - 1) >> 3;
export const byteOf = (off: number): number => (-off - 1) & 7;

/**
 * Check that an access of `size` bytes at `off` (already including the
 * pointer's fixed offset) through stack pointer `r` stays in [-512, 0), and
 * grow the frame's stack to cover it. Returns the lowest offset touched.
 */
export function stackAccessBounds(ctx: Ctx, regno: number, r: Reg, off: number, size: number, access: StackAccess): number {
  const f = frameOf(ctx, r);
  let minOff: number;
  let maxOff: number;
  if (tnumIsConst(r.varOff)) {
    minOff = Number(BigInt.asIntN(64, r.varOff.value)) + off;
    maxOff = minOff + size;
  } else {
    if (r.smax >= BigInt(MAX_VAR_OFF) || r.smin <= -BigInt(MAX_VAR_OFF)) {
      reject('EACCES', `invalid unbounded variable-offset${accessWord(access)} stack R${regno}`);
    }
    minOff = Number(r.smin) + off;
    maxOff = Number(r.smax) + off + size;
  }
  const lowest = access === 'write' || ctx.priv ? -MAX_BPF_STACK : -f.stack.length * REG_SIZE;
  let errno: 'EACCES' | 'EINVAL' | undefined;
  if (minOff < lowest || minOff > -1) errno = 'EACCES';
  else if (maxOff > 0) errno = 'EINVAL';
  if (errno) {
    const what = tnumIsConst(r.varOff)
      ? `invalid${accessWord(access)} stack R${regno} off=${off} size=${size}`
      : `invalid variable-offset${accessWord(access)} stack R${regno} var_off=${tnumLog(r.varOff)} off=${off} size=${size}`;
    reject(errno, what, 'keep stack accesses within the 512 bytes below r10 (offsets -512 to -1)');
  }
  growStack(ctx, f, -minOff);
  return minOff;
}

export function growStack(ctx: Ctx, f: FuncState, bytes: number): void {
  const size = Math.ceil(bytes / REG_SIZE) * REG_SIZE;
  if (size / REG_SIZE > 0) slotAt(f, size / REG_SIZE - 1);
  ctx.noteStackDepth(f, size);
}

const isSpill = (s: StackSlot): boolean => s.types[REG_SIZE - 1] === Slot.SPILL;

/** Bytes of a slot that held part of a spilled register become plain unknown bytes. */
function scrubSpill(s: StackSlot): void {
  if (!s.types.includes(Slot.SPILL)) return;
  for (let j = 0; j < REG_SIZE; j++) if (s.types[j] === Slot.SPILL) s.types[j] = Slot.MISC;
  setNotInit(s.spilled);
}

/** Keep the register's state in the slot: the top `size` bytes are SPILL, the others become MISC. */
function saveRegister(ctx: Ctx, s: StackSlot, reg: Reg, size: number): void {
  s.spilled = cloneReg(reg);
  for (let j = REG_SIZE - 1; j >= REG_SIZE - size; j--) s.types[j] = Slot.SPILL;
  for (let j = REG_SIZE - size - 1; j >= 0; j--) {
    const t = s.types[j]!;
    if (t === Slot.ZERO || (ctx.priv && t === Slot.INVALID)) continue;
    s.types[j] = Slot.MISC;
  }
}

/**
 * A store of `size` bytes at the constant stack offset `off` of frame `f`:
 * from register `value` (STX), or of the immediate `imm` (ST), or of unknown
 * bytes (neither: atomics, helpers).
 */
export function stackWriteFixed(ctx: Ctx, f: FuncState, off: number, size: number, value: Reg | undefined, imm: number | undefined): void {
  const spi = spiOf(off);
  const s = slotAt(f, spi);
  ctx.scratch.stack.add(spi);
  if (size === REG_SIZE) ctx.noteStackWrite(f.frameno, spi);
  if (!ctx.priv && isSpill(s) && s.spilled.type !== 'scalar' && size !== REG_SIZE) reject('EACCES', 'attempt to corrupt spilled pointer on stack');
  const aligned = off % REG_SIZE === 0;
  if (value && aligned && value.type === 'scalar' && ctx.priv) {
    const fits = regWidthBits(value) <= 8 * size;
    if (fits) linkForCopy(value, ctx);
    ctx.noteStack(f.frameno, spi);
    saveRegister(ctx, s, value, size);
    if (!fits) s.spilled.id = 0;
    return;
  }
  if (!value && imm !== undefined && aligned && ctx.priv) {
    ctx.noteStack(f.frameno, spi);
    saveRegister(ctx, s, constScalar(BigInt(imm)), size);
    return;
  }
  if (value && value.type !== 'scalar') {
    if (size !== REG_SIZE) reject('EACCES', 'invalid size of register spill', 'spill pointers to the stack with 8-byte stores only');
    if (f !== ctx.state.frames[ctx.state.frames.length - 1] && value.type === 'stack') {
      reject('EINVAL', 'cannot spill pointers to stack into stack frame of the caller');
    }
    ctx.noteStack(f.frameno, spi);
    saveRegister(ctx, s, value, size);
    return;
  }
  scrubSpill(s);
  const zero = (value && isConstReg(value) && value.varOff.value === 0n) || (!value && imm === 0);
  const j0 = byteOf(off);
  for (let i = 0; i < size; i++) s.types[(j0 - i) & 7] = zero ? Slot.ZERO : Slot.MISC;
}

const regWidthBits = (r: Reg): number => (r.umax === 0n ? 0 : r.umax.toString(2).length);

/**
 * A load of `size` bytes at the constant stack offset `off` of frame `f`
 * into `dst` (undefined: only check that the bytes may be read).
 */
export function stackReadFixed(ctx: Ctx, f: FuncState, off: number, size: number, dst: Reg | undefined): void {
  const spi = spiOf(off);
  const j0 = byteOf(off);
  const s = slotAt(f, spi);
  ctx.scratch.stack.add(spi);
  ctx.noteStackRead(f.frameno, spi);
  if (isSpill(s)) return fill(ctx, f.frameno, spi, s, off, size, j0, dst);
  let zeros = 0;
  for (let i = 0; i < size; i++) {
    const t = s.types[(j0 - i) & 7]!;
    if (t === Slot.ZERO) zeros++;
    if (t === Slot.MISC || t === Slot.ZERO || (t === Slot.INVALID && ctx.priv)) continue;
    reject('EACCES', `invalid read from stack off ${off}+${i} size ${size}`, 'write the stack bytes before reading them');
  }
  if (!dst) return;
  if (zeros === size) setConst(dst, 0n);
  else setUnknown(dst);
}

/** Read back a spilled register (whole, or the low part of a spilled scalar). */
function fill(ctx: Ctx, frameno: number, spi: number, s: StackSlot, off: number, size: number, j0: number, dst: Reg | undefined): void {
  let spillSize = 1;
  for (let j = REG_SIZE - 1; j > 0 && s.types[j - 1] === Slot.SPILL; j--) spillSize++;
  const sp = s.spilled;
  if (size === REG_SIZE && spillSize === REG_SIZE) {
    // a register restored whole: precision backtracking follows it into the slot
    ctx.noteStack(frameno, spi);
    if (!dst) {
      if (!ctx.priv && sp.type !== 'scalar') reject('EACCES', `leaking pointer from stack off ${off}`);
      return;
    }
    assignReg(dst, sp);
    return;
  }
  if (sp.type !== 'scalar') reject('EACCES', 'invalid size of register fill', 'load a spilled pointer back with an 8-byte load at the offset it was stored at');
  if (!dst) return;
  if (size <= spillSize && off % REG_SIZE === 0) {
    if (ctx.priv && size === 4 && spillSize === 4 && regWidthBits(sp) <= 32) linkForCopy(sp, ctx);
    ctx.noteStack(frameno, spi);
    assignReg(dst, sp);
    if (regWidthBits(sp) > size * 8) dst.id = 0;
    return;
  }
  let spills = 0;
  let zeros = 0;
  for (let i = 0; i < size; i++) {
    const t = s.types[(j0 - i) & 7]!;
    if (t === Slot.SPILL) spills++;
    else if (t === Slot.ZERO) zeros++;
    else if (t !== Slot.MISC && !(t === Slot.INVALID && ctx.priv)) reject('EACCES', `invalid read from stack off ${off}+${i} size ${size}`);
  }
  if (spills === size && isConstReg(sp) && sp.varOff.value === 0n) {
    ctx.noteStack(frameno, spi);
    setConst(dst, 0n);
  } else if (zeros === size) setConst(dst, 0n);
  else setUnknown(dst);
}

/**
 * A write at a variable offset: every byte it may touch becomes unknown
 * (zero stays zero when writing zero), and spilled registers there are lost.
 */
export function stackWriteVar(ctx: Ctx, f: FuncState, minOff: number, maxOff: number, value: Reg | undefined, imm: number | undefined): void {
  const zero = (value && isConstReg(value) && value.varOff.value === 0n) || (!value && imm === 0);
  for (let i = minOff; i < maxOff; i++) {
    const spi = spiOf(i);
    const j = byteOf(i);
    const s = slotAt(f, spi);
    ctx.scratch.stack.add(spi);
    const t = s.types[j]!;
    if (!ctx.priv && t !== Slot.MISC && t !== Slot.ZERO) reject('EINVAL', `spilled ptr in range of var-offset stack write; insn ${ctx.insnIdx}, ptr off: ${i}`);
    if (zero && t === Slot.SPILL && isConstReg(s.spilled) && s.spilled.varOff.value === 0n) continue;
    scrubSpill(s);
    s.types[j] = zero && t === Slot.ZERO ? Slot.ZERO : Slot.MISC;
  }
}

/** A read at a variable offset: every byte in the range must be readable; the value is unknown (or zero). */
export function stackReadVar(ctx: Ctx, regno: number, r: Reg, off: number, size: number, dst: Reg | undefined): void {
  const f = frameOf(ctx, r);
  const minOff = Number(r.smin) + off;
  const maxOff = Number(r.smax) + off + size;
  let zeros = true;
  for (let i = minOff; i < maxOff; i++) {
    const spi = spiOf(i);
    const j = byteOf(i);
    const s = slotAt(f, spi);
    ctx.noteStackRead(f.frameno, spi);
    const t = s.types[j]!;
    // only ZERO bytes read as zero (a spilled constant 0 does not), and the log
    // shows the slots Linux looked at: up to the first byte that is not ZERO
    if (zeros) ctx.scratch.stack.add(spi);
    if (t !== Slot.ZERO) zeros = false;
    if (t === Slot.MISC || t === Slot.ZERO || (t === Slot.INVALID && ctx.priv)) continue;
    if (t === Slot.SPILL && (s.spilled.type === 'scalar' || ctx.priv)) continue;
    reject('EACCES', `invalid read from stack R${regno} var_off ${tnumLog(r.varOff)}+${i - minOff} size ${size}`);
  }
  if (!dst) return;
  if (zeros) setConst(dst, 0n);
  else setUnknown(dst);
}

/**
 * Memory a helper reads (or writes, `clobber`) on the stack: every byte
 * must be initialised (or, for root, may be uninitialised); a helper that
 * writes leaves unknown bytes.
 */
export function stackRangeForHelper(ctx: Ctx, regno: number, r: Reg, size: number, zeroOk: boolean, clobber: boolean, uninit = false): void {
  if (size === 0 && !zeroOk) reject('EACCES', 'invalid zero-sized read');
  stackAccessBounds(ctx, regno, r, r.off, size, clobber ? 'write' : 'read');
  const f = frameOf(ctx, r);
  let minOff: number;
  let maxOff: number;
  if (tnumIsConst(r.varOff)) {
    minOff = maxOff = Number(BigInt.asIntN(64, r.varOff.value)) + r.off;
  } else {
    if (!ctx.priv) reject('EACCES', `R${regno} variable offset stack access prohibited for !root, var_off=${tnumLog(r.varOff)}`);
    minOff = Number(r.smin) + r.off;
    maxOff = Number(r.smax) + r.off;
  }
  for (let i = minOff; i < maxOff + size; i++) {
    const spi = spiOf(i);
    const j = byteOf(i);
    const s = slotAt(f, spi);
    ctx.noteStackRead(f.frameno, spi);
    // a helper writing a buffer of known size shows in the log like the program's own
    // writes (Linux replays them byte by byte); one of variable size does not
    if (clobber && uninit) ctx.scratch.stack.add(spi);
    const t = s.types[j]!;
    if (t === Slot.MISC) continue;
    if (t === Slot.ZERO || (t === Slot.INVALID && (ctx.priv || uninit))) {
      if (clobber) s.types[j] = Slot.MISC;
      continue;
    }
    if (t === Slot.SPILL && (s.spilled.type === 'scalar' || ctx.priv)) {
      if (clobber) scrubSpill(s);
      continue;
    }
    const at = tnumIsConst(r.varOff) ? `off ${minOff}` : `var_off ${tnumLog(r.varOff)}`;
    reject('EACCES', `invalid read from stack R${regno} ${at}+${i - minOff} size ${size}`, 'initialise the whole buffer before passing it to the helper');
  }
}
