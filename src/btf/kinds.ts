/**
 * The numbers of the BTF format as Linux UAPI (`linux/btf.h`) defines them:
 * kind numbers, header layout, int encodings, linkages. Everything that
 * reads or writes BTF bytes takes its constants from here.
 */

export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** sizeof(struct btf_header): magic, version, flags, hdr_len, type_off/len, str_off/len. */
export const BTF_HEADER_SIZE = 24;
/** Type ids are 20 bits wide in the kernel (BTF_MAX_TYPE). */
export const BTF_MAX_TYPE = 0xfffff;
/** The largest string offset the kernel accepts (BTF_MAX_NAME_OFFSET). */
export const BTF_MAX_NAME_OFFSET = 0xffffff;
/** vlen (16 bits), kind (5 bits at 24), kind_flag (bit 31): any other info bit is invalid. */
export const BTF_INFO_MASK = 0x9f00ffff;
/** sizeof(struct btf_type): name_off, info, size/type. */
export const BTF_TYPE_SIZE = 12;

/** Kind names as this package spells them; the index is the kind number. */
export const KIND_NAMES = [
  'unknown', 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile',
  'const', 'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64',
] as const;

export const BTF_KIND_MAX = KIND_NAMES.length - 1;

export type KindName = Exclude<(typeof KIND_NAMES)[number], 'unknown'>;

export const KIND_NUMBER: Readonly<Record<KindName, number>> = Object.fromEntries(
  KIND_NAMES.map((name, i) => [name, i]).slice(1),
) as Record<KindName, number>;

/** The kernel's and bpftool's upper-case spelling (`STRUCT`, `FUNC_PROTO`), used in messages and raw dumps. */
export function kindLabel(kind: KindName | 'void'): string {
  return kind === 'void' ? 'VOID' : kind.toUpperCase();
}

/** BTF_INT_SIGNED, BTF_INT_CHAR, BTF_INT_BOOL: the int encoding bits; the kernel accepts at most one. */
export const INT_ENCODING_BITS = { none: 0, signed: 1, char: 2, bool: 4 } as const;
export type IntEncoding = keyof typeof INT_ENCODING_BITS;

/** enum btf_func_linkage and enum btf_var_linkage share the values 0..2. */
export const LINKAGES = ['static', 'global', 'extern'] as const;
export type Linkage = (typeof LINKAGES)[number];

/** enum bpf_core_relo_kind. */
export const CORE_RELO_KINDS = [
  'field_byte_offset', 'field_byte_size', 'field_exists', 'field_signed', 'field_lshift_u64', 'field_rshift_u64',
  'type_id_local', 'type_id_target', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches',
] as const;
export type CoreReloKind = (typeof CORE_RELO_KINDS)[number];
