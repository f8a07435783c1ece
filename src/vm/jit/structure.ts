import { Block, FunctionCfg } from './cfg.js';
import { Code, OP } from './wasm.js';

/**
 * Control flow of one function as WebAssembly blocks. Two strategies, both
 * driven by the same per-block hooks:
 * - structured (reducible graphs): nested block/loop/if following the
 *   dominator tree, as in N. Ramsey, "Beyond Relooper" (ICFP 2022), so loops
 *   are wasm loops that V8 optimises well;
 * - dispatch (any graph): one loop around a br_table over the blocks.
 * Every block's code ends in a branch, a return or a trap, so code never
 * falls out of a construct by accident.
 */
export interface BlockHooks {
  /** straight-line code of the block, its budget charge, and for exit / fell-off the return or trap */
  body(b: Block): void;
  /** for a two-way end: leave an i32 on the stack, non-zero when the jump is taken */
  condition(b: Block): void;
  /** before a taken jump (budget check) */
  taken(b: Block): void;
  /** before the fall-through of a two-way end (may_goto's counter) */
  notTaken(b: Block): void;
}

/** What a wasm label refers to: a loop headed by a block, a block followed by one, an if, or the dispatch loop. */
type Label = { kind: 'loop' | 'follow'; node: number } | { kind: 'if' } | { kind: 'dispatch' };

class Emitter {
  private readonly labels: Label[] = [];

  constructor(readonly code: Code, readonly f: FunctionCfg, readonly hooks: BlockHooks, readonly goto: (from: number, to: number, tail: boolean) => void) {}

  open(kind: typeof OP.block | typeof OP.loop | typeof OP.if, label: Label): void {
    this.code.open(kind);
    this.labels.push(label);
  }

  close(): void {
    this.code.op(OP.end);
    this.labels.pop();
  }

  /** Branch depth of the innermost label matching `want`. */
  depth(want: (l: Label) => boolean): number {
    for (let d = 0; d < this.labels.length; d++) {
      if (want(this.labels[this.labels.length - 1 - d]!)) return d;
    }
    throw new Error('jit: branch to a label that is not in scope (structuring bug)');
  }

  /** Block `k`'s code and its end; `goto` decides how each edge is taken. */
  node(k: number): void {
    const b = this.f.order[k]!;
    const [first, second] = this.f.succ[k]!;
    this.hooks.body(b);
    switch (b.term.kind) {
      case 'exit':
      case 'felloff':
        return;
      case 'cond':
      case 'maygoto':
        this.hooks.condition(b);
        this.open(OP.if, { kind: 'if' });
        this.hooks.taken(b);
        this.goto(k, first!, false);
        this.close();
        this.hooks.notTaken(b);
        this.goto(k, second!, true);
        return;
      case 'ja':
        this.hooks.taken(b);
        this.goto(k, first!, true);
        return;
      default:
        this.goto(k, first!, true);
    }
  }
}

/** Structured control flow; the caller checks `f.reducible` first. */
export function emitStructured(code: Code, f: FunctionCfg, hooks: BlockHooks): void {
  const e: Emitter = new Emitter(code, f, hooks, (from, to) => branch(from, to));
  const tree = (x: number): void => {
    const merges = f.children[x]!.filter((c) => f.merge[c]);
    if (!f.loopHeader[x]) return within(x, merges, merges.length);
    e.open(OP.loop, { kind: 'loop', node: x });
    within(x, merges, merges.length);
    e.close();
  };
  // x's code inside one block per merge child; the child of highest order is outermost and comes last.
  const within = (x: number, merges: number[], count: number): void => {
    if (count === 0) return e.node(x);
    const y = merges[count - 1]!;
    e.open(OP.block, { kind: 'follow', node: y });
    within(x, merges, count - 1);
    e.close();
    tree(y);
  };
  const branch = (from: number, to: number): void => {
    if (to <= from) code.br(e.depth((l) => l.kind === 'loop' && l.node === to));
    else if (f.merge[to]) code.br(e.depth((l) => l.kind === 'follow' && l.node === to));
    else tree(to);
  };
  tree(0);
  code.op(OP.unreachable);
}

/** A loop around a br_table: block k's code follows the end of the k-th nested block. */
export function emitDispatch(code: Code, f: FunctionCfg, hooks: BlockHooks, nextLocal: number): void {
  const n = f.order.length;
  const e: Emitter = new Emitter(code, f, hooks, (from, to, tail) => {
    if (tail && to === from + 1) return;
    code.i32(to).set(nextLocal).br(e.depth((l) => l.kind === 'dispatch'));
  });
  e.open(OP.loop, { kind: 'dispatch' });
  for (let k = n - 1; k >= 0; k--) e.open(OP.block, { kind: 'follow', node: k });
  code.get(nextLocal).brTable(Array.from({ length: n }, (_, k) => k), 0);
  for (let k = 0; k < n; k++) {
    e.close();
    e.node(k);
  }
  e.close();
  code.op(OP.unreachable);
}
