import { BpfError, ErrnoName } from '../errno.js';
import { kindLabel } from './kinds.js';
import type { BtfType } from './types.js';

/**
 * How messages name a type, after the kernel's BTF verifier log:
 * `[12] STRUCT 'foo' size=8 vlen=2`. The details are those the kernel logs
 * for the kind, so a message can be matched against a kernel log by eye.
 */
export function describeType(id: number, t: BtfType): string {
  const name = t.name === '' ? '(anon)' : t.name;
  const details = typeDetails(t);
  return `[${id}] ${kindLabel(t.kind)} '${name}'${details ? ` ${details}` : ''}`;
}

function typeDetails(t: BtfType): string {
  switch (t.kind) {
    case 'int':
      return `size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=${t.encoding.toUpperCase()}`;
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
      return `type_id=${t.type}`;
    case 'array':
      return `type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
    case 'struct': case 'union':
      return `size=${t.size} vlen=${t.members.length}`;
    case 'enum': case 'enum64':
      return `size=${t.size} vlen=${t.values.length}`;
    case 'fwd':
      return t.fwdKind;
    case 'func':
      return `type_id=${t.type} linkage=${t.linkage}`;
    case 'func_proto':
      return `return=${t.returnType} vlen=${t.params.length}`;
    case 'var':
      return `type_id=${t.type} linkage=${t.linkage}`;
    case 'datasec':
      return `size=${t.size} vlen=${t.vars.length}`;
    case 'float':
      return `size=${t.size}`;
    case 'decl_tag':
      return `type_id=${t.type} component_idx=${t.componentIdx}`;
    case 'void':
      return '';
  }
}

/** An error about one type: `[12] STRUCT 'foo' size=8 vlen=2: <rule>`. */
export function typeError(id: number, t: BtfType, rule: string, errno: ErrnoName = 'EINVAL'): BpfError {
  return new BpfError(errno, `BTF ${describeType(id, t)}: ${rule}`);
}
