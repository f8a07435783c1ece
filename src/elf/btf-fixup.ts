import { Btf } from '../btf/btf.js';
import { BtfType } from '../btf/types.js';
import { ElfFile, elfSection } from './elf.js';

/**
 * What libbpf does to an object's BTF before the kernel sees it: clang leaves
 * each DATASEC's size and its variables' offsets 0, to be filled from the
 * ELF section sizes and symbol values. `.kconfig` has no section: its layout
 * is the loader's (`externOffsets`), and its extern variables become globals.
 */
export function fixupDatasecs(btf: Btf, elf: ElfFile, externOffsets: ReadonlyMap<string, number>, kconfigSize: number): Btf {
  const kconfigVars = new Set(btf.types.flatMap((t) => (t.kind === 'datasec' && t.name === '.kconfig' ? t.vars.map((v) => v.type) : [])));
  const types = btf.types.map((t, id): BtfType => {
    // libbpf allocates .kconfig externs in its own map: to the kernel they are ordinary globals.
    if (t.kind === 'var' && kconfigVars.has(id)) return { ...t, linkage: 'global' };
    if (t.kind !== 'datasec') return t;
    const section = elfSection(elf, t.name);
    const kconfig = t.name === '.kconfig';
    const vars = t.vars.map((v) => {
      const name = btf.types[v.type]!.name;
      const offset = kconfig ? externOffsets.get(name) : elf.symbols.find((s) => s.name === name && s.shndx === section?.index)?.value;
      return { ...v, offset: offset ?? v.offset };
    });
    vars.sort((a, b) => a.offset - b.offset);
    return { ...t, size: kconfig ? kconfigSize : section?.size ?? t.size, vars };
  });
  return new Btf(types, btf.strings, { littleEndian: btf.littleEndian, base: btf.base });
}
