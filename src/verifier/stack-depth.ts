import { Insn } from '../isa/instruction.js';
import * as o from '../isa/opcodes.js';
import { subprogOf } from './cfg.js';
import { reject } from './context.js';
import { MAX_BPF_STACK, MAX_CALL_FRAMES } from './state.js';

/**
 * The stack of a whole call chain (Linux's check_max_stack_depth), checked
 * after exploration when each function's depth is known: along every chain
 * of calls (callbacks included) the frames together — each rounded up to 16
 * bytes, as the JIT lays them out — must fit in 512 bytes.
 */
const round16 = (n: number): number => Math.ceil(n / 16) * 16;

export function checkStackDepth(insns: readonly Insn[], subprogs: readonly number[], depth: ReadonlyMap<number, number>): void {
  const end = (s: number): number => subprogs[subprogs.indexOf(s) + 1] ?? insns.length;
  const walk = (s: number, frames: number, total: number): void => {
    const here = total + round16(depth.get(s) ?? 0);
    if (here > MAX_BPF_STACK) {
      reject('EACCES', `combined stack size of ${frames} calls is ${here}. Too large`, 'use less stack in the functions of this call chain (move buffers to a per-CPU array map)');
    }
    for (let i = s, stop = end(s); i < stop; i++) {
      const ins = insns[i]!;
      const call = ins.code === (o.BPF_JMP | o.BPF_CALL) && ins.src === o.BPF_PSEUDO_CALL;
      const func = ins.code === o.LDDW && ins.src === o.BPF_PSEUDO_FUNC;
      if (call || func) {
        if (frames >= MAX_CALL_FRAMES) reject('E2BIG', `the call stack of ${frames} frames is too deep !`, 'a function calls itself (or the calls nest too deep): BPF has no recursion');
        walk(subprogOf(subprogs, i + 1 + ins.imm), frames + 1, here);
      }
      if (ins.code === o.LDDW) i++;
    }
  };
  walk(0, 1, 0);
}
