import { BpfError } from '../errno.js';
import { Insn } from '../isa/instruction.js';
import { verify } from '../verifier/index.js';
import type { AddressSpace } from '../vm/memory.js';
import { ContextWriter } from './context.js';
import { compileFilter } from './filter-compile.js';
import { EventEnv, evaluateFilter } from './filter-eval.js';
import { FilterHost } from './filter-host.js';
import { FilterNode, parseFilter } from './filter-parse.js';
import type { RecordEvent, Tracepoint } from './tracepoint.js';

/**
 * A trace event filter, ready to test events: parsed (filter-parse.ts),
 * compiled to eBPF (filter-compile.ts), checked by the verifier as a
 * TRACEPOINT program, and run by the JIT (filter-host.ts) on a record the
 * filter's own writer fills with only what it reads. `engine: 'interp'`
 * asks for the tree-walking evaluator instead (filter-eval.ts); a pattern
 * the compiler does not handle (a search: `*foo*`) also falls back
 * to it, and `reason` says why.
 */

export type FilterEngine = 'jit' | 'interp';

export interface FilterOptions {
  /** where the record and the program's stack live (a Runtime's space) */
  space: AddressSpace;
  /** the pid, COMM and CPU every event of this recording has */
  env: EventEnv;
  /** default 'jit' */
  engine?: FilterEngine;
}

export class TraceFilter {
  readonly tree: FilterNode;
  /** the engine that tests events */
  readonly engine: FilterEngine;
  /** the compiled program (absent when the tree is walked) */
  readonly insns: Insn[] | undefined;
  /** why a JIT filter was not possible */
  readonly reason: string | undefined;
  private readonly env: EventEnv;
  private readonly host: FilterHost | undefined;

  constructor(readonly text: string, readonly tp: Tracepoint, options: FilterOptions) {
    this.tree = parseFilter(text, tp);
    this.env = options.env;
    let engine = options.engine ?? 'jit';
    let insns: Insn[] | undefined;
    let reason: string | undefined;
    if (engine === 'jit') {
      try {
        const compiled = compileFilter(this.tree, tp, this.env);
        insns = compiled.insns;
        checkVerified(text, insns);
        const writer = new ContextWriter(options.space, tp, [...compiled.scalars, ...compiled.strings.map((x) => x.field)], this.env.pid, compiled.strings);
        this.host = new FilterHost(insns, options.space, writer);
      } catch (e) {
        if (!(e instanceof BpfError && e.errno === 'ENOTSUPP')) throw e;
        engine = 'interp';
        reason = e.message;
        insns = undefined;
      }
    }
    this.engine = engine;
    this.insns = insns;
    this.reason = reason;
  }

  /**
   * Whether an event passes. A method with a branch rather than a function
   * per engine: a caller's call site then sees one target whatever the
   * engines of the filters it has run, and V8 keeps it inlined.
   */
  test(values: Record<string, unknown>): boolean {
    return this.host !== undefined ? this.host.run(values) : evaluateFilter(this.tree, values, this.env);
  }

  /** The record a JIT filter runs on (for TraceSink.record), undefined for the tree walk */
  get record(): ContextWriter | undefined {
    return this.host?.writer;
  }

  /** test(), for a JIT filter (one with a `record`), on an event a source writes into it */
  testRecord(event: RecordEvent): boolean {
    return this.host!.runRecord(event);
  }

  /** Give back the compiled filter's memory (its record and stack): test() is not to be called afterwards. */
  dispose(): void {
    this.host?.dispose();
  }
}

/** The verifier's word on a compiled filter; a rejection is tsbpf's bug, reported with the log. */
function checkVerified(text: string, insns: Insn[]): void {
  const r = verify({ insns, type: 5, license: 'GPL' }, { progType: 'tracepoint' });
  if (!r.accepted) {
    throw new BpfError(r.error?.errno ?? 'EINVAL', `filter '${text}': the verifier rejects the compiled program (a tsbpf bug): ${r.error?.message ?? ''}\n${r.log}`);
  }
}
