import { Insn } from '../isa/instruction.js';
import { Ctx, frame, preciseReg, reject } from './context.js';
import type { Proto } from './helper-protos.js';
import { frameLog } from './log.js';
import { S64_MAX, S64_MIN } from './bounds.js';
import { readReg } from './operands.js';
import { Reg, VerifierMap, cloneReg, isNull, notInit, pointer, setNotInit, unknownScalar } from './reg.js';
import { FuncState, MAX_CALL_FRAMES, VerifierState, cloneState, curFrame, newFrame } from './state.js';

/**
 * Calls of the program's own functions and of callbacks (Linux's
 * check_func_call, push_callback_call, prepare_func_exit): a call pushes a
 * frame with r1-r5 passed and r10 pointing to a fresh stack; the caller's
 * r0-r5 are gone after it; `exit` in a function returns r0 to the caller.
 * A callback (bpf_loop, bpf_for_each_map_elem) is explored as a function
 * entered from the helper call; its exit returns to the call, which is
 * checked again, as Linux does, until the states at the call repeat.
 */

function tooDeep(st: VerifierState): void {
  if (st.frames.length >= MAX_CALL_FRAMES) {
    reject('E2BIG', `the call stack of ${st.frames.length + 1} frames is too deep`, 'inline some functions (__always_inline) or call fewer functions deep');
  }
}

function logCall(ctx: Ctx, st: VerifierState, caller: FuncState, callee: FuncState): void {
  if (!ctx.log.enabled) return;
  ctx.log.write(`caller:\n${frameLog(st, caller)}\ncallee:\n${frameLog(st, callee)}\n`);
}

/** `call pc+N`: enter the function. Returns the instruction to continue at. */
export function checkFuncCall(ctx: Ctx, ins: Insn): number {
  const st = ctx.state;
  tooDeep(st);
  const caller = curFrame(st);
  const target = ctx.insnIdx + 1 + ins.imm;
  const callee = newFrame(st.frames.length, ctx.insnIdx, target);
  for (let r = 1; r <= 5; r++) callee.regs[r] = cloneReg(caller.regs[r]!);
  for (let r = 0; r <= 5; r++) setNotInit(caller.regs[r]!);
  st.frames.push(callee);
  logCall(ctx, st, caller, callee);
  return target;
}

/** `exit` of a function (not of the program): back to the caller. Returns the instruction to continue at. */
export function prepareFuncExit(ctx: Ctx): number {
  const st = ctx.state;
  const callee = curFrame(st);
  const r0 = callee.regs[0]!;
  if (r0.type === 'stack') reject('EINVAL', 'cannot return stack pointer to the caller', 'return a value, or write the result through a pointer the caller passed');
  const caller = st.frames[st.frames.length - 2]!;
  let next: number;
  if (callee.inCallback) {
    if (r0.type !== 'scalar') reject('EACCES', 'R0 not a scalar value');
    const [lo, hi] = callee.callbackRet!;
    if (r0.smin < lo || r0.smax > hi) {
      reject('EINVAL', `At callback return the register R0 has${scalarRange(r0)} should have been in [${lo}, ${hi}]`, `return 0 (continue) or 1 (stop) from the callback`);
    }
    ctx.markPrecise([{ frame: st.frames.length - 1, regno: 0 }]);
    next = callee.callsite;
  } else {
    caller.regs[0] = cloneReg(r0);
    next = callee.callsite + 1;
  }
  if (ctx.log.enabled) {
    ctx.log.write(`returning from callee:\n${frameLog(st, callee)}\nto caller at ${next}:\n${frameLog(st, caller)}\n`);
  }
  st.frames.pop();
  return next;
}

/**
 * bpf_loop / bpf_for_each_map_elem: queue the callback's first instruction
 * in a copy of the state with a new frame holding the callback's arguments.
 * The helper's own path goes on after the call.
 */
export function pushCallback(ctx: Ctx, proto: Proto, meta: { map?: VerifierMap; subprog: number }): void {
  const caller = frame(ctx);
  const st = ctx.state;
  const loops = proto.id === 181;
  if (loops) {
    readReg(ctx, 1);
    const nr = caller.regs[1]!;
    // Linux inlines bpf_loop when flags is a known 0: it marks the zero, then the count, precise
    if (isNull(caller.regs[4]!)) preciseReg(ctx, 4);
    preciseReg(ctx, 1);
    if (BigInt(caller.callbackDepth) >= nr.umax) {
      caller.callbackDepth = 0;
      if (ctx.log.level >= 2) ctx.log.write(`frame${caller.frameno} bpf_loop iteration limit reached\n`);
      return;
    }
  }
  tooDeep(st);
  const cb = cloneState(st);
  const cbCaller = curFrame(cb);
  const callee = newFrame(cb.frames.length, ctx.insnIdx, meta.subprog);
  callee.inCallback = true;
  callee.callbackRet = [0n, 1n];
  setArgs(callee.regs, cbCaller.regs, loops, meta.map);
  cbCaller.callbackDepth++;
  caller.callbackDepth = 0;
  cb.cbUnrollDepth++;
  cb.frames.push(callee);
  ctx.push(cb, meta.subprog);
}

function setArgs(regs: Reg[], callerRegs: Reg[], loops: boolean, map: VerifierMap | undefined): void {
  if (loops) {
    regs[1] = unknownScalar();
    regs[2] = cloneReg(callerRegs[3]!);
    regs[3] = notInit();
  } else {
    regs[1] = cloneReg(callerRegs[1]!);
    regs[2] = pointer('map_key', { map });
    regs[3] = pointer('map_value', { map });
    regs[4] = cloneReg(callerRegs[3]!);
  }
}

/** " smin=-1 smax=5" or " unknown scalar value", as Linux's verbose_invalid_scalar. */
export function scalarRange(r: Reg): string {
  let s = '';
  if (r.smin > S64_MIN) s += ` smin=${r.smin}`;
  if (r.smax < S64_MAX) s += ` smax=${r.smax}`;
  return s || ' unknown scalar value';
}
