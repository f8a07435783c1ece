import { BpfError } from '../../errno.js';
import { SockFilter, sockFilter } from '../instruction.js';
import * as c from '../opcodes.js';
import { Node, isBlock, lower, optimizeGraph } from './cfg.js';
import { ACCEPT_LENGTH, emitProgram, simplify } from './emit.js';
import { parseFilter } from './parser.js';
import { Val, loadsOf } from './values.js';

export { FilterError } from './errors.js';
export { ACCEPT_LENGTH } from './emit.js';

/**
 * tcpdump's filter language (pcap-filter(7)) compiled to classic BPF for
 * Ethernet captures (DLT_EN10MB). The program accepts exactly the packets
 * libpcap's compiled filter accepts, including truncated packets, for which
 * the order of the packet loads and the loads libpcap's optimiser removes
 * decide the result (see cfg.ts).
 */
export interface CompileOptions {
  /** simplify as libpcap's optimiser does (default true; tcpdump -O turns it off) */
  optimize?: boolean;
}

export function compileFilter(expr: string, options: CompileOptions = {}): SockFilter[] {
  const optimize = options.optimize ?? true;
  const tree = parseFilter(expr);
  if (!tree) return [sockFilter(c.BPF_RET | c.BPF_K, 0, 0, ACCEPT_LENGTH)];
  const lowered = lower(tree, optimize);
  if (!optimize) return emitProgram(lowered.root, [], { optimize });
  const root = optimizeGraph(lowered);
  const { start, prefix } = firstTest(root);
  if (start === 'reject') throw new BpfError('EINVAL', `expression rejects all packets: ${expr}`);
  return emitProgram(start, isBlock(start) ? prefix : [], { optimize });
}

/**
 * libpcap drops leading tests whose branches meet (after its last
 * simplification), keeping their statements for the new first test. An
 * expression whose first test is then "reject" is refused.
 */
function firstTest(root: Node): { start: Node; prefix: Val[] } {
  const prefix: Val[] = [];
  let start = root;
  while (isBlock(start)) {
    const step = simplify(start);
    if (step.jt !== step.jf) break;
    if (step.a) prefix.push(...loadsOf(step.a));
    start = step.jt;
  }
  return { start, prefix };
}
