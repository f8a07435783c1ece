/**
 * Asking the running Linux kernel about suite cases, in batches: one
 * oracle-batch.py process per chunk (each job is kernel-oracle.py's own `raw`
 * or `elf` command), chunks run side by side. Unprivileged cases run under
 * `setpriv` with CAP_SYS_ADMIN, CAP_PERFMON and CAP_NET_ADMIN dropped from
 * the bounding set: CAP_BPF stays, because this host's
 * kernel.unprivileged_bpf_disabled (2) refuses BPF_PROG_LOAD without it.
 */
import { ERRNO } from '../../src/errno.js';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode } from '../../src/isa/instruction.js';
import { SUITE_DIR, SuiteCase, mapArg } from './suite.js';

export const ORACLE = process.env['KERNEL_ORACLE'] ?? path.resolve(SUITE_DIR, '../../../shared/tools/kernel-oracle.py');
const BATCH = path.join(SUITE_DIR, 'oracle-batch.py');
const UNPRIV = ['setpriv', '--bounding-set=-sys_admin,-perfmon,-net_admin'];

export interface KernelVerdict {
  id: string;
  accepted: boolean;
  stage: string;
  errno: number;
  errnoName: string;
  error_line: string | null;
  insns_processed: number | null;
}

/** errno number → name, from the table every error of tsbpf uses */
const ERRNO_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ERRNO).map(([name, n]) => [n, name]));
export const errnoName = (n: number): string => ERRNO_NAMES[n] ?? String(n);

/**
 * The kernel the recorded verdicts and error lines come from. Another kernel
 * words some errors differently (and accepts or refuses a few programs
 * differently), so the re-check runs only on this one, unless
 * TSBPF_VSUITE_ANY_KERNEL=1; `record.js --write` re-records on another.
 */
export const RECORDED_KERNEL = '6.18';

/** Why the kernel cannot be asked here, or undefined when it can. */
export function oracleUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  const release = os.release();
  if (!release.startsWith(`${RECORDED_KERNEL}.`) && process.env['TSBPF_VSUITE_ANY_KERNEL'] !== '1') {
    return `the suite was recorded on Linux ${RECORDED_KERNEL}, this is ${release} (TSBPF_VSUITE_ANY_KERNEL=1 to compare anyway)`;
  }
  if (!existsSync(ORACLE)) return `no kernel oracle at ${ORACLE}`;
  const r = spawnSync('python3', [ORACLE, 'check'], { encoding: 'utf8' });
  if (r.status !== 0) return `kernel-oracle.py check failed: ${(r.stdout + r.stderr).trim().split('\n').pop()}`;
  return undefined;
}

/** Why the unprivileged cases cannot be asked (setpriv missing or unable to drop capabilities), or undefined. */
export function unprivUnavailable(): string | undefined {
  const r = spawnSync(UNPRIV[0]!, [...UNPRIV.slice(1), 'true']);
  return r.status === 0 ? undefined : 'setpriv cannot drop capabilities here';
}

interface Job {
  id: string;
  bigLog?: boolean;
  mode: 'raw' | 'elf';
  insns?: string[];
  type?: string;
  maps?: string[];
  object?: string;
  program?: string;
}

/**
 * Rejections whose level-1 log is one path of up to a million instructions:
 * the batch asks for them with the oracle's full log buffer at once (only a
 * matter of time; the answer is the same).
 */
const BIG_LOG = /too large|too complex/;

function job(c: SuiteCase): Job {
  if (c.source === 'c') {
    if (!c.object) throw new Error(`${c.name}: not compiled (${c.skip ?? 'no object'})`);
    return { id: c.name, mode: 'elf', object: c.object, program: c.program! };
  }
  return {
    id: c.name, mode: 'raw', type: c.type, maps: c.maps.map(mapArg), ...(BIG_LOG.test(c.reason ?? '') ? { bigLog: true } : {}),
    insns: c.insns.map((i) => Buffer.from(encode([i])).toString('hex')),
  };
}

function runBatch(jobs: Job[], privileged: boolean): Promise<KernelVerdict[]> {
  const [cmd, ...args] = privileged ? ['python3', BATCH] : [...UNPRIV, 'python3', BATCH];
  return new Promise((resolve, reject) => {
    const p = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, KERNEL_ORACLE: ORACLE } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`oracle-batch.py exited ${code}: ${err.trim()}`));
      try {
        const rows = JSON.parse(out) as Omit<KernelVerdict, 'errnoName'>[];
        resolve(rows.map((r) => ({ ...r, errno: r.errno ?? 0, errnoName: errnoName(r.errno ?? 0) })));
      } catch (e) {
        reject(new Error(`oracle-batch.py output: ${(e as Error).message}: ${out.slice(0, 200)} ${err.slice(0, 500)}`));
      }
    });
    p.stdin.end(JSON.stringify(jobs));
  });
}

/** The kernel's verdict on every case, in order. `parallel` chunks run at once (default: CPU count). */
export async function askKernel(cases: readonly SuiteCase[], parallel = Math.max(1, os.availableParallelism?.() ?? os.cpus().length)): Promise<KernelVerdict[]> {
  const groups = [true, false].map((priv) => cases.filter((c) => c.privileged === priv));
  const tasks: Promise<KernelVerdict[]>[] = [];
  for (const [gi, group] of groups.entries()) {
    if (group.length === 0) continue;
    const n = Math.min(parallel, Math.ceil(group.length / 20));
    // the slow ones (a million instructions each) first, dealt round-robin
    const jobs = group.map(job).sort((a, b) => Number(b.bigLog ?? false) - Number(a.bigLog ?? false));
    for (let k = 0; k < n; k++) tasks.push(runBatch(jobs.filter((_, i) => i % n === k), gi === 0));
  }
  const byId = new Map((await Promise.all(tasks)).flat().map((v) => [v.id, v]));
  return cases.map((c) => {
    const v = byId.get(c.name);
    if (!v) throw new Error(`no kernel verdict for ${c.name}`);
    return v;
  });
}

/** How a kernel verdict differs from what the case records, or undefined when it agrees. */
export function disagreement(c: SuiteCase, v: KernelVerdict): string | undefined {
  const got = v.accepted ? 'accept' : 'reject';
  if (got !== c.expect) {
    return `${c.name}: recorded ${c.expect}, kernel says ${got}${v.accepted ? '' : ` (${v.errnoName}: ${v.error_line ?? `stage ${v.stage}`})`}`;
  }
  if (v.accepted) return undefined;
  if ((v.error_line ?? undefined) !== c.reason) return `${c.name}: recorded reason '${c.reason ?? ''}', kernel says '${v.error_line ?? ''}'`;
  if (v.errnoName !== c.errno) return `${c.name}: recorded errno ${c.errno}, kernel says ${v.errnoName}`;
  return undefined;
}
