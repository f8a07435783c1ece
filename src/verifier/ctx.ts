import { ctxAccess } from '../progtypes/progtype.js';
import { ctxArgAccess, ctxStructAccess } from './btf-access.js';
import { Ctx, reject } from './context.js';
import { tnumLog } from './log.js';
import { Reg, assignReg, pointer, setUnknown, typeStr } from './reg.js';
import { tnumIsConst } from './tnum.js';

/**
 * Loads and stores through the context pointer (r1 at entry): only at the
 * fields the program type allows, with the sizes it allows, through the
 * pointer as it came (Linux rewrites each context access into an access of
 * the kernel's real structure, so the offset must be known exactly). Loads
 * of data / data_end / data_meta give packet pointers.
 */

/** Linux's check_ptr_off_reg: a pointer that must be used unmodified. */
export function checkPtrOffReg(r: Reg, regno: number, fixedOffOk = false): void {
  const t = typeStr(r);
  if (r.off < 0) reject('EACCES', `negative offset ${t} ptr R${regno} off=${r.off} disallowed`);
  if (!fixedOffOk && r.off) {
    reject('EACCES', `dereference of modified ${t} ptr R${regno} off=${r.off} disallowed`, `use the ${t} pointer as it was given (r1 at entry) with the field offset in the instruction, e.g. *(u32 *)(r1 + ${r.off})`);
  }
  if (!tnumIsConst(r.varOff) || r.varOff.value) {
    reject('EACCES', `variable ${t} access var_off=${tnumLog(r.varOff)} disallowed`, 'context fields must be accessed at constant offsets');
  }
}

export function checkCtxAccess(ctx: Ctx, regno: number, r: Reg, off: number, size: number, write: boolean, dst: Reg | undefined): void {
  checkPtrOffReg(r, regno);
  const cb = ctx.ctxBtf;
  if (cb?.args) return ctxArgAccess(ctx, cb, off, size, write, dst);
  if (cb?.struct !== undefined) return ctxStructAccess(cb, off, size, write, dst);
  const pt = ctx.progType;
  const field = pt ? ctxAccess(pt, off, size, write) : 'no program type';
  if (typeof field === 'string') {
    reject('EACCES', `invalid bpf_context access off=${off} size=${size}`, pt ? `${field} (see the ${pt.ctxType} fields ${pt.name} programs may ${write ? 'write' : 'read'})` : field);
  }
  if (write || !dst) return;
  switch (field.yields) {
    case 'packet':
      assignReg(dst, pointer('pkt'));
      return;
    case 'packet_end':
      assignReg(dst, pointer('pkt_end'));
      return;
    case 'packet_meta':
      assignReg(dst, pointer('pkt_meta'));
      return;
    case 'sock_common_or_null':
      assignReg(dst, pointer('sock_common', { maybeNull: true, id: ctx.newId() }));
      return;
    default:
      setUnknown(dst);
  }
}
