import type { Btf } from './btf.js';
import { kindLabel } from './kinds.js';
import type { BtfType } from './types.js';

/**
 * One record per type in the text `bpftool btf dump file F` (format raw)
 * prints: `[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED`,
 * members and parameters on indented lines below their type. Split BTF
 * prints its own types only, as bpftool does.
 */
export function dumpRaw(btf: Btf): string {
  let out = '';
  for (let id = btf.startId; id < btf.types.length; id++) out += `${rawType(btf, id)}\n`;
  return out;
}

const quoted = (name: string): string => `'${name === '' ? '(anon)' : name}'`;

export function rawType(btf: Btf, id: number): string {
  const t = btf.types[id]!;
  return `[${id}] ${kindLabel(t.kind)} ${quoted(t.name)}${rawDetails(btf, t)}`;
}

function rawDetails(btf: Btf, t: BtfType): string {
  switch (t.kind) {
    case 'int':
      return ` size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=${t.encoding === 'none' ? '(none)' : t.encoding.toUpperCase()}`;
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
      return ` type_id=${t.type}`;
    case 'array':
      return ` type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
    case 'struct': case 'union':
      return ` size=${t.size} vlen=${t.members.length}` + t.members.map((m) =>
        `\n\t${quoted(m.name)} type_id=${m.type} bits_offset=${m.bitOffset}${m.bitfieldSize ? ` bitfield_size=${m.bitfieldSize}` : ''}`).join('');
    case 'enum': case 'enum64':
      return ` encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}` +
        t.values.map((v) => `\n\t${quoted(v.name)} val=${v.value}${t.kind === 'enum64' ? (t.signed ? 'LL' : 'ULL') : ''}`).join('');
    case 'fwd':
      return ` fwd_kind=${t.fwdKind}`;
    case 'func':
      return ` type_id=${t.type} linkage=${t.linkage}`;
    case 'func_proto':
      return ` ret_type_id=${t.returnType} vlen=${t.params.length}` + t.params.map((p) => `\n\t${quoted(p.name)} type_id=${p.type}`).join('');
    case 'var':
      return ` type_id=${t.type}, linkage=${t.linkage}`;
    case 'datasec':
      return ` size=${t.size} vlen=${t.vars.length}` + t.vars.map((v) => {
        const vt = btf.types[v.type]!;
        return `\n\ttype_id=${v.type} offset=${v.offset} size=${v.size} (${kindLabel(vt.kind)} ${quoted(vt.name)})`;
      }).join('');
    case 'float':
      return ` size=${t.size}`;
    case 'decl_tag':
      return ` type_id=${t.type} component_idx=${t.componentIdx}`;
    case 'void':
      return '';
  }
}
