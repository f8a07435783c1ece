import { BpfError } from '../errno.js';
import type { Btf } from './btf.js';
import { describeType } from './describe.js';
import { BtfType, isModifier } from './types.js';

/**
 * C declarators from BTF type chains: `int (*handlers[4])(int, char)`,
 * `volatile const __u32 * restrict ptr`. The chain from a declared name to
 * its base type (pointers, arrays, function prototypes, qualifiers) is
 * collected on a stack and printed from the base type outwards, with the
 * spacing and parenthesisation libbpf's btf_dump uses, so that `dumpC`
 * reproduces bpftool's text. Subclasses decide how named and anonymous
 * records are spelled (the C dumper renames duplicates and inlines anonymous
 * definitions).
 */
export class DeclWriter {
  out = '';
  /** how deeply printing recurses: BTF can nest prototypes or records deeper than the JS stack */
  protected depth = 0;

  constructor(readonly btf: Btf) {}

  /** One level deeper into type `id`; pair with leave(). Refuses BTF nested beyond MAX_NESTING. */
  protected enter(id: number): void {
    if (++this.depth <= MAX_NESTING) return;
    this.depth = 0;
    throw new BpfError('E2BIG', `BTF ${describeType(id, this.btf.type(id))}: types nest more than ${MAX_NESTING} deep`);
  }

  protected leave(): void {
    this.depth--;
  }

  /** `struct foo` / `union foo` for a reference to a named record. */
  recordRef(_id: number, t: BtfType & { kind: 'struct' | 'union' }): string {
    return t.name === '' ? `${t.kind} {...}` : `${t.kind} ${t.name}`;
  }

  /** An anonymous record used in a declaration: the C dumper prints its definition inline. */
  anonRecord(id: number, t: BtfType & { kind: 'struct' | 'union' }, _lvl: number): void {
    this.out += this.recordRef(id, t);
  }

  enumRef(_id: number, t: BtfType & { kind: 'enum' | 'enum64' }): string {
    return t.name === '' ? 'enum {...}' : `enum ${t.name}`;
  }

  anonEnum(id: number, t: BtfType & { kind: 'enum' | 'enum64' }, _lvl: number): void {
    this.out += this.enumRef(id, t);
  }

  fwdRef(_id: number, t: BtfType & { kind: 'fwd' }): string {
    return `${t.fwdKind} ${t.name}`;
  }

  typedefRef(_id: number, t: BtfType & { kind: 'typedef' }): string {
    return t.name;
  }

  /** Append the declaration of `fname` with type `id` (fname '' for an abstract declarator). */
  decl(id: number, fname: string, lvl: number): void {
    const stack: number[] = [];
    for (;;) {
      stack.push(id);
      if (id === 0) break;
      if (stack.length > MAX_DECL_CHAIN) {
        throw new BpfError('ELOOP', `BTF ${describeType(stack[0]!, this.btf.type(stack[0]!))}: declarator chain longer than ${MAX_DECL_CHAIN} (a loop?)`);
      }
      const t = this.btf.type(id);
      const next = chainNext(t);
      if (next === undefined) break;
      id = next;
    }
    this.chain({ ids: stack, cnt: stack.length }, fname, lvl);
  }

  /**
   * Print the stack top-down: the base type first, then each declarator
   * piece. Arrays and function prototypes print what lies above them (the
   * inner declarator) recursively, in parentheses where C needs them.
   */
  private chain(decls: DeclStack, fname: string, lvl: number): void {
    let lastWasPtr = true;
    while (decls.cnt > 0) {
      const id = decls.ids[--decls.cnt]!;
      if (id === 0) {
        this.qualifiers(decls);
        this.out += 'void';
        lastWasPtr = false;
        continue;
      }
      const t = this.btf.type(id);
      switch (t.kind) {
        case 'int': case 'float':
          this.qualifiers(decls);
          this.out += t.name;
          break;
        case 'struct': case 'union':
          this.qualifiers(decls);
          if (t.name === '') this.anonRecord(id, t, lvl);
          else this.out += this.recordRef(id, t);
          break;
        case 'enum': case 'enum64':
          this.qualifiers(decls);
          if (t.name === '') this.anonEnum(id, t, lvl);
          else this.out += this.enumRef(id, t);
          break;
        case 'fwd':
          this.qualifiers(decls);
          this.out += this.fwdRef(id, t);
          break;
        case 'typedef':
          this.qualifiers(decls);
          this.out += this.typedefRef(id, t);
          break;
        case 'ptr':
          this.out += lastWasPtr ? '*' : ' *';
          break;
        case 'volatile': case 'const': case 'restrict':
          this.out += ` ${t.kind}`;
          break;
        case 'type_tag':
          this.qualifiers(decls);
          this.out += ` __attribute__((btf_type_tag("${t.name}")))`;
          break;
        case 'array':
          return this.arrayDecl(decls, t.nelems, fname, lastWasPtr, lvl);
        case 'func_proto':
          return this.protoDecl(decls, t, fname, lastWasPtr, lvl);
        default:
          return; // FUNC, VAR, DATASEC, DECL_TAG have no place in a declarator
      }
      lastWasPtr = t.kind === 'ptr';
    }
    this.name(fname, lastWasPtr);
  }

  private arrayDecl(decls: DeclStack, nelems: number, fname: string, lastWasPtr: boolean, lvl: number): void {
    // Qualifiers on an array (GCC puts the element's there) mean nothing in C: dropped, as libbpf does.
    this.dropQualifiers(decls);
    if (decls.cnt === 0) {
      this.name(fname, lastWasPtr);
      this.out += `[${nelems}]`;
      return;
    }
    const multidim = this.btf.type(decls.ids[decls.cnt - 1]!).kind === 'array';
    if (fname !== '' && !lastWasPtr) this.out += ' ';
    if (!multidim) this.out += '(';
    this.chain(decls, fname, lvl);
    if (!multidim) this.out += ')';
    this.out += `[${nelems}]`;
  }

  private protoDecl(decls: DeclStack, t: BtfType & { kind: 'func_proto' }, fname: string, lastWasPtr: boolean, lvl: number): void {
    this.dropQualifiers(decls);
    if (decls.cnt > 0) {
      this.out += ' (';
      this.chain(decls, fname, lvl);
      this.out += ')';
    } else {
      this.name(fname, lastWasPtr);
    }
    this.out += '(';
    const params = t.params;
    // clang encodes `f(void)` as one void parameter; both that and no parameters print as (void).
    if (params.length === 0 || (params.length === 1 && params[0]!.type === 0)) {
      this.out += 'void)';
      return;
    }
    params.forEach((p, i) => {
      if (i > 0) this.out += ', ';
      if (i === params.length - 1 && p.type === 0) this.out += '...';
      else {
        this.enter(p.type);
        this.decl(p.type, p.name, lvl);
        this.leave();
      }
    });
    this.out += ')';
  }

  /** const/volatile/restrict written before the base type: `const char`. */
  private qualifiers(decls: DeclStack): void {
    while (decls.cnt > 0) {
      const t = this.btf.type(decls.ids[decls.cnt - 1]!);
      if (t.kind !== 'const' && t.kind !== 'volatile' && t.kind !== 'restrict') return;
      this.out += `${t.kind} `;
      decls.cnt--;
    }
  }

  private dropQualifiers(decls: DeclStack): void {
    while (decls.cnt > 0 && isModifier(this.btf.type(decls.ids[decls.cnt - 1]!))) decls.cnt--;
  }

  private name(fname: string, lastWasPtr: boolean): void {
    this.out += fname !== '' && !lastWasPtr ? ` ${fname}` : fname;
  }
}

/** A view on the shared declarator stack: nested chains consume it from the top. */
interface DeclStack {
  ids: number[];
  cnt: number;
}

/** Longer chains of pointers, arrays and qualifiers than this are loops, or BTF built to overflow the stack. */
const MAX_DECL_CHAIN = 256;
/**
 * How deep printing and layout may recurse into nested types. vmlinux goes 13
 * deep; unoptimised JS frames overflow the default stack from about 1500.
 */
export const MAX_NESTING = 256;

/** The next type in a declarator chain, or undefined where the chain ends at a base type. */
function chainNext(t: BtfType): number | undefined {
  switch (t.kind) {
    case 'ptr': case 'volatile': case 'const': case 'restrict': case 'type_tag': case 'array':
      return t.type;
    case 'func_proto':
      return t.returnType;
    default:
      return undefined;
  }
}

/** The C spelling of type `id` as an abstract declarator: `const char *`, `int[4]`, `void (*)(int)`. */
export function typeName(btf: Btf, id: number): string {
  const w = new DeclWriter(btf);
  w.decl(id, '', 0);
  return w.out;
}
