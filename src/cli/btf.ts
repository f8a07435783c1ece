import { Command } from 'commander';
import { BpfError } from '../errno.js';
import { Btf } from '../btf/btf.js';
import { dumpC } from '../btf/dump-c.js';
import { dumpRaw } from '../btf/dump-raw.js';
import { parseBtf } from '../btf/parse.js';
import { elfSection, parseElf } from '../elf/elf.js';
import { readBytes } from './load-program.js';
import { perFile, printLine } from './output.js';

/**
 * `tsbpf btf dump FILE [format c|raw] [--json]`, after `bpftool btf dump
 * file FILE [format c|raw]`: FILE is raw BTF (/sys/kernel/btf/vmlinux) or an
 * ELF object whose `.BTF` section is read. raw (the default, as in bpftool)
 * lists every type; c prints a header that compiles; --json prints the
 * types as data, `{"file", "types": [{"id", "kind", "name", …}]}`.
 */
export function btfCommand(parent: Command): void {
  const btf = parent.command('btf').description('BPF Type Format (BTF) of a raw BTF file or an ELF object');
  btf
    .command('dump')
    .description('print the types in FILE, as bpftool btf dump does (format raw, the default, or format c)')
    .argument('<file>', 'raw BTF (e.g. /sys/kernel/btf/vmlinux) or an ELF object (.o) with a .BTF section')
    .argument('[format...]', "'format c' or 'format raw'")
    .option('-B, --base <file>', 'base BTF of a split BTF file (e.g. /sys/kernel/btf/vmlinux for a module)')
    .option('--json', 'the types as JSON: {"file", "types": [{"id", "kind", "name", …}]}')
    .action((file: string, words: string[], flags: { base?: string; json?: boolean }) => {
      const json = flags.json === true;
      const ok = perFile(file, json, () => {
        const format = dumpFormat(words);
        const base = flags.base === undefined ? undefined : readBtfFile(flags.base);
        const btf = readBtfFile(file, base);
        if (json) printLine(btfJson(file, btf));
        else process.stdout.write(format === 'c' ? dumpC(btf) : dumpRaw(btf));
        return true;
      });
      if (!ok) process.exitCode = 1;
    });
}

function dumpFormat(words: string[]): 'c' | 'raw' {
  if (words.length === 0) return 'raw';
  const [keyword, format, ...rest] = words;
  if (keyword !== 'format' || (format !== 'c' && format !== 'raw') || rest.length > 0) {
    throw new BpfError('EINVAL', `expected 'format c' or 'format raw', got '${words.join(' ')}'`);
  }
  return format;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** Raw BTF, or the `.BTF` section of an ELF object. */
export function readBtfFile(file: string, base?: Btf): Btf {
  const bytes = new Uint8Array(readBytes(file));
  if (!ELF_MAGIC.every((b, i) => bytes[i] === b)) return parseBtf(bytes, { base, source: file });
  const elf = parseElf(bytes, file);
  const section = elfSection(elf, '.BTF');
  if (!section) throw new BpfError('ENOENT', `${file}: no .BTF section (compile with -g)`);
  return parseBtf(section.data, { base, source: `${file}: .BTF` });
}

/** The types with their ids; enum64 values (bigint) as decimal strings. */
function btfJson(file: string, btf: Btf): string {
  const types = btf.types.slice(btf.startId).map((t, i) => ({ id: btf.startId + i, ...t }));
  return JSON.stringify({ file, types }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}
