import { isPoisoned } from '../btf/core-patch.js';
import { BpfError } from '../errno.js';
import { Insn } from '../isa/instruction.js';
import { BPF_CALL, BPF_JMP } from '../isa/opcodes.js';
import { helperName } from '../helpers/linux.js';
import { kprobe } from './kprobe.js';
import { perfEvent } from './perf-event.js';
import type { ProgramType } from './progtype.js';
import { rawTracepoint } from './raw-tracepoint.js';
import { schedCls } from './sched-cls.js';
import { socketFilter } from './socket-filter.js';
import { tracepoint } from './tracepoint.js';
import { seccomp } from './seccomp.js';
import { xdp } from './xdp.js';

export * from './progtype.js';

/** The program types tsbpf has, one module each. */
export const PROGRAM_TYPES: readonly ProgramType[] = [socketFilter, kprobe, schedCls, tracepoint, xdp, perfEvent, rawTracepoint, seccomp];

const byNumber = new Map(PROGRAM_TYPES.map((t) => [t.type, t]));
const byName = new Map(PROGRAM_TYPES.map((t) => [t.name, t]));
/** the section-style names libbpf also accepts */
const ALIASES: Readonly<Record<string, string>> = { socket: 'socket_filter', tc: 'sched_cls', classifier: 'sched_cls', raw_tp: 'raw_tracepoint', tp: 'tracepoint' };

/** The program type with this `enum bpf_prog_type` number or name, or undefined. */
export function programType(key: number | string): ProgramType | undefined {
  if (typeof key === 'number') return byNumber.get(key);
  const name = key.toLowerCase().replace(/^bpf_prog_type_/, '');
  return byName.get(ALIASES[name] ?? name);
}

/**
 * Refuse a call of a helper the type may not use, as Linux's verifier does
 * ("program of this type cannot use helper bpf_xxx#N"), before any run.
 */
export function checkHelperCalls(pt: ProgramType, insns: readonly Insn[]): void {
  insns.forEach((ins, pc) => {
    if (ins.code !== (BPF_JMP | BPF_CALL) || ins.src !== 0 || pt.helpers.has(ins.imm)) return;
    // A CO-RE relocation that did not resolve: an error only if a run reaches it, as in Linux.
    if (isPoisoned(ins)) return;
    const name = helperName(ins.imm);
    const what = name ? `helper bpf_${name}#${ins.imm}` : `unknown helper #${ins.imm}`;
    throw new BpfError('EINVAL', `insn ${pc}: program of type ${pt.name} cannot use ${what}`);
  });
}
