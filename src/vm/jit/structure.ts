import { Block, FunctionCfg } from './cfg.js';
import { Code, OP } from './wasm.js';

/**
 * Control flow of one function as WebAssembly blocks. Two strategies, both
 * driven by the same per-block hooks:
 * - structured (reducible graphs): nested block/loop/if following the
 *   dominator tree, as in N. Ramsey, "Beyond Relooper" (ICFP 2022), so loops
 *   are wasm loops that V8 optimises well;
 * - dispatch (any graph): one loop around a br_table over the blocks.
 * Every block's code ends in a branch, a return or a trap, or falls
 * through to the end of the block whose target's code comes right after.
 */
export interface BlockHooks {
  /** straight-line code of the block, its budget charge, and for exit / fell-off the return or trap */
  body(b: Block): void;
  /** for a two-way end: leave an i32 on the stack, non-zero when the jump is taken */
  condition(b: Block): void;
  /** before a taken jump (budget check) */
  taken(b: Block): void;
  /** whether taken() emits anything (else a jump to a label is one br_if) */
  readonly checksTaken: boolean;
  /** before the fall-through of a two-way end (may_goto's counter) */
  notTaken(b: Block): void;
}

/**
 * What a wasm label refers to, as a number (labels are compared, never
 * inspected): the loop headed by block k (4k), the block that block k
 * follows (4k + 1), an if, or the dispatch loop.
 */
const loopOf = (k: number): number => 4 * k;
const followOf = (k: number): number => 4 * k + 1;
const IF = 2;
const DISPATCH = 3;

abstract class Emitter {
  private readonly labels: number[] = [];

  constructor(readonly code: Code, readonly f: FunctionCfg, readonly hooks: BlockHooks) {}

  /** Take the edge from block `from` to block `to`; `tail`: nothing follows in `from`'s code. */
  abstract goto(from: number, to: number, tail: boolean): void;

  /** The label a branch takes the edge from block `from` to `to` by, if a branch does. */
  abstract label(from: number, to: number): number | undefined;

  open(kind: typeof OP.block | typeof OP.loop | typeof OP.if, label: number): void {
    this.code.open(kind);
    this.labels.push(label);
  }

  close(): void {
    this.code.op(OP.end);
    this.labels.pop();
  }

  /** Branch depth of the innermost label `label`. */
  depth(label: number): number {
    const top = this.labels.length - 1;
    for (let d = 0; d <= top; d++) if (this.labels[top - d] === label) return d;
    throw new Error('jit: branch to a label that is not in scope (structuring bug)');
  }

  /** With the condition on the stack: take a jump that needs no code before it as one br_if. */
  private jumpsBy(from: number, to: number): boolean {
    const label = this.hooks.checksTaken ? undefined : this.label(from, to);
    if (label === undefined) return false;
    this.code.brIf(this.depth(label));
    return true;
  }

  /** Block `k`'s code and its end; `goto` decides how each edge is taken. */
  node(k: number): void {
    const b = this.f.order[k]!;
    const first = this.f.succ[2 * k]!;
    this.hooks.body(b);
    switch (b.kind) {
      case 'exit':
      case 'felloff':
        return;
      case 'cond':
      case 'maygoto':
        this.hooks.condition(b);
        if (this.jumpsBy(k, first)) {
          this.hooks.notTaken(b);
          this.goto(k, this.f.succ[2 * k + 1]!, true);
          return;
        }
        this.open(OP.if, IF);
        this.hooks.taken(b);
        this.goto(k, first, false);
        this.close();
        this.hooks.notTaken(b);
        this.goto(k, this.f.succ[2 * k + 1]!, true);
        return;
      case 'ja':
        this.hooks.taken(b);
        this.goto(k, first, true);
        return;
      default:
        this.goto(k, first, true);
    }
  }
}

/** Structured control flow; the caller checks `f.reducible` first. */
export function emitStructured(code: Code, f: FunctionCfg, hooks: BlockHooks): void {
  new Structured(code, f, hooks).tree(0);
  code.op(OP.unreachable);
}

class Structured extends Emitter {
  /** Block x's subtree of the dominator tree, inside a loop when x heads one. */
  tree(x: number): void {
    const end = this.f.childStart[x + 1]!;
    if (!this.f.loopHeader[x]) return this.within(x, end);
    this.open(OP.loop, loopOf(x));
    this.within(x, end);
    this.close();
  }

  /**
   * x's code inside one block per merge child among x's dominator-tree
   * children before index `j`; the child of highest order is outermost and
   * comes last.
   */
  private within(x: number, j: number): void {
    const { childStart, children, merge } = this.f;
    while (j > childStart[x]! && !merge[children[j - 1]!]) j--;
    if (j === childStart[x]) return this.node(x);
    const y = children[j - 1]!;
    this.open(OP.block, followOf(y));
    this.within(x, j - 1);
    this.close();
    this.tree(y);
  }

  label(from: number, to: number): number | undefined {
    if (to <= from) return loopOf(to);
    return this.f.merge[to] ? followOf(to) : undefined;
  }

  /**
   * A branch, or the target's code inline; nothing for a tail edge to the
   * block whose end comes next, since the target's code follows that end.
   */
  goto(from: number, to: number, tail: boolean): void {
    const label = this.label(from, to);
    if (label === undefined) return this.tree(to);
    const depth = this.depth(label);
    if (!(tail && depth === 0 && label === followOf(to))) this.code.br(depth);
  }
}

/** A loop around a br_table: block k's code follows the end of the k-th nested block. */
export function emitDispatch(code: Code, f: FunctionCfg, hooks: BlockHooks, nextLocal: number): void {
  new Dispatch(code, f, hooks, nextLocal).emit();
}

class Dispatch extends Emitter {
  constructor(code: Code, f: FunctionCfg, hooks: BlockHooks, private readonly nextLocal: number) {
    super(code, f, hooks);
  }

  emit(): void {
    const n = this.f.order.length;
    this.open(OP.loop, DISPATCH);
    for (let k = n - 1; k >= 0; k--) this.open(OP.block, followOf(k));
    this.code.get(this.nextLocal).brTable(Array.from({ length: n }, (_, k) => k), 0);
    for (let k = 0; k < n; k++) {
      this.close();
      this.node(k);
    }
    this.close();
    this.code.op(OP.unreachable);
  }

  label(): undefined {
    return undefined;
  }

  goto(from: number, to: number, tail: boolean): void {
    if (tail && to === from + 1) return;
    this.code.i32(to).set(this.nextLocal).br(this.depth(DISPATCH));
  }
}
