import { BpfError } from '../errno.js';
import { defineNodeSources, nodeSourceOrigin } from '../trace/node-sources/index.js';
import { tracepoints } from '../trace/tracepoint.js';
import { printJson, printLine } from './output.js';

/**
 * `tsbpf tracepoints [PATTERN]`: the tracepoints a traced Node program has
 * (Node's event sources; an application's static probes and function probes
 * exist only inside it), each with where its events come from and its
 * format as Linux's events/<provider>/<event>/format shows it.
 */
export function tracepointsCommand(pattern: string | undefined, json: boolean): void {
  defineNodeSources();
  const list = tracepoints.list(pattern);
  if (list.length === 0) throw new BpfError('ENOENT', `no tracepoint matches '${pattern}'`);
  if (json) {
    printJson(list.map((tp) => ({
      name: tp.name, id: tp.id, origin: nodeSourceOrigin(tp.name) ?? null,
      fields: tp.layout.leaves.map((f) => ({ name: f.name, type: f.type, offset: f.offset, size: f.size, signed: f.signed })),
      format: tp.format(),
    })));
    return;
  }
  for (const tp of list) {
    const origin = nodeSourceOrigin(tp.name);
    printLine(`${tp.name}${origin ? `  [${origin}]` : ''}`);
    process.stdout.write(tp.format().replace(/^/gm, '    ').replace(/ +$/gm, '') + '\n');
  }
}
