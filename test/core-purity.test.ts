import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

// DESIGN decision 7: the core runs anywhere JavaScript runs, so it imports nothing from Node.
const CORE = ['isa', 'btf', 'elf', 'verifier', 'vm', 'maps', 'helpers', 'progtypes', 'cbpf', 'vectors', 'pcap'];

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

test('core modules import nothing from node: and use no Node globals', () => {
  const files = CORE.flatMap((d) => sources(join('src', d)));
  assert.ok(files.length > 5, 'core sources found');
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    assert.doesNotMatch(text, /from ['"](node:|fs|path|os|child_process|process)['"]/, `${f} imports a Node module`);
    assert.doesNotMatch(text, /\b(process\.|Buffer\.|require\()/, `${f} uses a Node global`);
  }
});
