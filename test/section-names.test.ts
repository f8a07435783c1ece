import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import {
  ATTACH_TYPE_NAMES,
  PROG_TYPE_NAMES,
  sectionDef,
  sectionPatterns,
} from '../src/elf/section-names.js';

const UAPI = '/usr/include/linux/bpf.h';
const VMLINUX = '/sys/kernel/btf/vmlinux';

/** Enumerators of `enum NAME { … }` in C text, with C's implicit numbering. */
function parseEnum(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  const m = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(text);
  if (!m) return out;
  let next = 0;
  const body = m[1]!.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  for (const item of body.split(',')) {
    const e = /^\s*([A-Z0-9_]+)\s*(?:=\s*(\d+))?\s*$/.exec(item);
    if (!e) continue;
    const value = e[2] !== undefined ? Number(e[2]) : next;
    if (!e[1]!.startsWith('__')) out.set(e[1]!, value); // __MAX_* grows with every kernel
    next = value + 1;
  }
  return out;
}

interface Source {
  label: string;
  prog: Map<string, number>;
  attach: Map<string, number>;
}

/** The UAPI header, and the running kernel's own enums (its BTF, via bpftool) when present. */
function enumSources(): Source[] {
  const texts: [string, string][] = [];
  if (existsSync(UAPI)) texts.push([UAPI, readFileSync(UAPI, 'utf8')]);
  if (existsSync(VMLINUX)) {
    try {
      const c = execFileSync('bpftool', ['btf', 'dump', 'file', VMLINUX, 'format', 'c'], { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
      texts.push([`${VMLINUX} (bpftool)`, c.toString()]);
    } catch {
      // bpftool absent: the header alone
    }
  }
  return texts.map(([label, t]) => ({ label, prog: parseEnum(t, 'bpf_prog_type'), attach: parseEnum(t, 'bpf_attach_type') }));
}

const SOURCES = enumSources();
/** name → number from every source (they must agree; checked below). */
const PROG = new Map<string, number>();
const ATTACH = new Map<string, number>();
for (const s of SOURCES) {
  for (const [k, v] of s.prog) PROG.set(k, v);
  for (const [k, v] of s.attach) ATTACH.set(k, v);
}
const noHeader = SOURCES.length === 0 ? `${UAPI} absent` : false;

test('the sources of enum numbers agree with each other', { skip: SOURCES.length < 2 ? 'only one source of enum numbers' : false }, () => {
  for (const s of SOURCES) {
    for (const [k, v] of s.prog) assert.equal(PROG.get(k), v, `${k} in ${s.label}`);
    for (const [k, v] of s.attach) assert.equal(ATTACH.get(k), v, `${k} in ${s.label}`);
  }
});

test('PROG_TYPE_NAMES and ATTACH_TYPE_NAMES sit at their enum numbers', { skip: noHeader }, (t) => {
  let checked = 0;
  for (const [k, v] of PROG) {
    assert.equal(PROG_TYPE_NAMES[v], k.replace(/^BPF_PROG_TYPE_/, '').toLowerCase(), k);
    checked++;
  }
  for (const [k, v] of ATTACH) {
    assert.equal(ATTACH_TYPE_NAMES[v], k.replace(/^BPF_/, '').toLowerCase(), k);
    checked++;
  }
  assert.ok(checked >= 70, `checked ${checked} enumerators`);
  const unchecked = [
    ...PROG_TYPE_NAMES.filter((n) => !PROG.has(`BPF_PROG_TYPE_${n.toUpperCase()}`)),
    ...ATTACH_TYPE_NAMES.filter((n) => !ATTACH.has(`BPF_${n.toUpperCase()}`)),
  ];
  t.diagnostic(`sources: ${SOURCES.map((s) => s.label).join(', ')}; not in any source: ${unchecked.join(', ') || 'none'}`);
});

/** [section name, BPF_PROG_TYPE_*, BPF_* attach type or null, attach target or undefined] */
const SPOT: readonly [string, string, string | null, string | undefined][] = [
  ['socket', 'SOCKET_FILTER', null, undefined],
  ['xdp', 'XDP', 'BPF_XDP', undefined],
  ['xdp.frags/devmap', 'XDP', 'BPF_XDP_DEVMAP', undefined],
  ['xdp/cpumap', 'XDP', 'BPF_XDP_CPUMAP', undefined],
  ['tc', 'SCHED_CLS', null, undefined],
  ['classifier', 'SCHED_CLS', null, undefined],
  ['action', 'SCHED_ACT', null, undefined],
  ['tc/ingress', 'SCHED_CLS', 'BPF_TCX_INGRESS', undefined],
  ['tcx/egress', 'SCHED_CLS', 'BPF_TCX_EGRESS', undefined],
  ['netkit/peer', 'SCHED_CLS', 'BPF_NETKIT_PEER', undefined],
  ['tracepoint/syscalls/sys_enter_openat', 'TRACEPOINT', null, 'syscalls/sys_enter_openat'],
  ['tp/sched/sched_switch', 'TRACEPOINT', null, 'sched/sched_switch'],
  ['raw_tracepoint/sys_enter', 'RAW_TRACEPOINT', null, 'sys_enter'],
  ['raw_tp.w/bpf_test_finish', 'RAW_TRACEPOINT_WRITABLE', null, 'bpf_test_finish'],
  ['tp_btf/sched_switch', 'TRACING', 'BPF_TRACE_RAW_TP', 'sched_switch'],
  ['kprobe/do_sys_open', 'KPROBE', null, 'do_sys_open'],
  ['kretprobe/do_sys_open', 'KPROBE', null, 'do_sys_open'],
  ['uprobe//bin/bash:readline', 'KPROBE', null, '/bin/bash:readline'],
  ['kprobe.multi/tcp_*', 'KPROBE', 'BPF_TRACE_KPROBE_MULTI', 'tcp_*'],
  ['kprobe.session/do_*', 'KPROBE', 'BPF_TRACE_KPROBE_SESSION', 'do_*'],
  ['uprobe.multi//bin/sh:main', 'KPROBE', 'BPF_TRACE_UPROBE_MULTI', '/bin/sh:main'],
  ['uprobe.session/x:y', 'KPROBE', 'BPF_TRACE_UPROBE_SESSION', 'x:y'],
  ['ksyscall/openat', 'KPROBE', null, 'openat'],
  ['usdt/libc:memory:malloc', 'KPROBE', null, 'libc:memory:malloc'],
  ['fentry/do_unlinkat', 'TRACING', 'BPF_TRACE_FENTRY', 'do_unlinkat'],
  ['fexit/do_unlinkat', 'TRACING', 'BPF_TRACE_FEXIT', 'do_unlinkat'],
  ['fmod_ret/security_x', 'TRACING', 'BPF_MODIFY_RETURN', 'security_x'],
  ['freplace/handler', 'EXT', null, 'handler'],
  ['lsm/file_open', 'LSM', 'BPF_LSM_MAC', 'file_open'],
  ['lsm_cgroup/socket_bind', 'LSM', 'BPF_LSM_CGROUP', 'socket_bind'],
  ['iter/task', 'TRACING', 'BPF_TRACE_ITER', 'task'],
  ['syscall', 'SYSCALL', null, undefined],
  ['perf_event', 'PERF_EVENT', null, undefined],
  ['lwt_seg6local', 'LWT_SEG6LOCAL', null, undefined],
  ['sockops', 'SOCK_OPS', 'BPF_CGROUP_SOCK_OPS', undefined],
  ['sk_skb/stream_parser', 'SK_SKB', 'BPF_SK_SKB_STREAM_PARSER', undefined],
  ['sk_skb/verdict', 'SK_SKB', 'BPF_SK_SKB_VERDICT', undefined],
  ['sk_skb', 'SK_SKB', null, undefined],
  ['sk_msg', 'SK_MSG', 'BPF_SK_MSG_VERDICT', undefined],
  ['sk_reuseport/migrate', 'SK_REUSEPORT', 'BPF_SK_REUSEPORT_SELECT_OR_MIGRATE', undefined],
  ['sk_reuseport', 'SK_REUSEPORT', 'BPF_SK_REUSEPORT_SELECT', undefined],
  ['cgroup_skb/ingress', 'CGROUP_SKB', 'BPF_CGROUP_INET_INGRESS', undefined],
  ['cgroup/skb', 'CGROUP_SKB', null, undefined],
  ['cgroup/sock', 'CGROUP_SOCK', 'BPF_CGROUP_INET_SOCK_CREATE', undefined],
  ['cgroup/sock_release', 'CGROUP_SOCK', 'BPF_CGROUP_INET_SOCK_RELEASE', undefined],
  ['cgroup/connect6', 'CGROUP_SOCK_ADDR', 'BPF_CGROUP_INET6_CONNECT', undefined],
  ['cgroup/connect_unix', 'CGROUP_SOCK_ADDR', 'BPF_CGROUP_UNIX_CONNECT', undefined],
  ['cgroup/recvmsg4', 'CGROUP_SOCK_ADDR', 'BPF_CGROUP_UDP4_RECVMSG', undefined],
  ['cgroup/getsockname_unix', 'CGROUP_SOCK_ADDR', 'BPF_CGROUP_UNIX_GETSOCKNAME', undefined],
  ['cgroup/sysctl', 'CGROUP_SYSCTL', 'BPF_CGROUP_SYSCTL', undefined],
  ['cgroup/setsockopt', 'CGROUP_SOCKOPT', 'BPF_CGROUP_SETSOCKOPT', undefined],
  ['cgroup/dev', 'CGROUP_DEVICE', 'BPF_CGROUP_DEVICE', undefined],
  ['flow_dissector', 'FLOW_DISSECTOR', 'BPF_FLOW_DISSECTOR', undefined],
  ['lirc_mode2', 'LIRC_MODE2', 'BPF_LIRC_MODE2', undefined],
  ['struct_ops/tcp_init', 'STRUCT_OPS', null, 'tcp_init'],
  ['sk_lookup', 'SK_LOOKUP', 'BPF_SK_LOOKUP', undefined],
  ['netfilter', 'NETFILTER', 'BPF_NETFILTER', undefined],
];

test('spot checks: program type, attach type and target, numbers from the enum sources', { skip: noHeader }, (t) => {
  const unverified: string[] = [];
  for (const [name, prog, attach, target] of SPOT) {
    const d = sectionDef(name);
    assert.ok(d, `${name} is known`);
    assert.equal(d.programTypeName, prog.toLowerCase(), name);
    assert.equal(d.attachTarget, target, `${name} target`);
    assert.equal(d.attachTypeName, attach?.replace(/^BPF_/, '').toLowerCase(), `${name} attach type name`);
    const p = PROG.get(`BPF_PROG_TYPE_${prog}`);
    const a = attach === null ? undefined : ATTACH.get(attach);
    if (p === undefined || (attach !== null && a === undefined)) {
      unverified.push(name);
      continue;
    }
    assert.equal(d.programType, p, `${name} program type number`);
    assert.equal(d.attachType, a, `${name} attach type number`);
  }
  assert.ok(unverified.length < SPOT.length / 2, `most spot checks verified against numbers (${unverified.length} not)`);
  t.diagnostic(`numbers not in any enum source: ${unverified.join(', ') || 'none'}`);
});

test('exact names match only themselves; "+" names match bare or followed by "/"', () => {
  for (const n of ['xdp_foo', 'xdp/foo', 'tc/foo', 'tcx', 'socket1', 'socket/x', 'kprobeX', 'kprobe_foo', 'tracepointX/a', 'cgroup/sockx', 'cgroup', 'sk_msg/x', '', '?', 'maps', '.maps', 'license', '.text']) {
    assert.equal(sectionDef(n), undefined, `${JSON.stringify(n)} is unknown`);
  }
  assert.equal(sectionDef('kprobe')?.pattern, 'kprobe+');
  assert.equal(sectionDef('kprobe')?.attachTarget, undefined);
  assert.equal(sectionDef('kprobe/')?.attachTarget, undefined, 'an empty target is no target');
  assert.equal(sectionDef('kprobe/a/b')?.attachTarget, 'a/b', 'the target is everything after the first "/"');
  // '.' is not a separator: each dotted form is its own entry
  assert.equal(sectionDef('uprobe.s/x:y')?.pattern, 'uprobe.s+');
  assert.equal(sectionDef('kprobe.multi/x')?.pattern, 'kprobe.multi+');
  assert.equal(sectionDef('raw_tp.w')?.programTypeName, 'raw_tracepoint_writable');
  assert.equal(sectionDef('raw_tp/x')?.programTypeName, 'raw_tracepoint');
  assert.equal(sectionDef('cgroup/sock_create')?.pattern, 'cgroup/sock_create');
});

test('every table entry is reached by its own bare name (no entry shadows a later one)', () => {
  const patterns = sectionPatterns();
  assert.ok(patterns.length >= 95, `${patterns.length} entries`);
  assert.equal(new Set(patterns).size, patterns.length, 'no duplicates');
  for (const p of patterns) {
    const bare = p.endsWith('+') ? p.slice(0, -1) : p;
    assert.equal(sectionDef(bare)?.pattern, p, bare);
    assert.equal(sectionDef(bare)?.prefix, bare, bare);
  }
});

test('sleepable exactly for the ".s" forms and syscall; frags exactly for "xdp.frags"', () => {
  for (const p of sectionPatterns()) {
    const bare = p.replace(/\+$/, '');
    const d = sectionDef(bare)!;
    assert.equal(d.sleepable, /\.s$/.test(bare) || bare === 'syscall', `sleepable ${p}`);
    assert.equal(d.xdpFrags, bare.startsWith('xdp.frags'), `frags ${p}`);
  }
});

test('attachBtf for the types whose target is a BTF id', () => {
  const btfTypes = new Set(['tracing', 'lsm', 'ext']);
  for (const p of sectionPatterns()) {
    const d = sectionDef(p.replace(/\+$/, ''))!;
    assert.equal(d.attachBtf, btfTypes.has(d.programTypeName), p);
  }
});

test('"?name" is the same entry with autoload off', () => {
  const a = sectionDef('xdp')!;
  const b = sectionDef('?xdp')!;
  assert.equal(a.autoload, true);
  assert.equal(b.autoload, false);
  assert.deepEqual({ ...b, autoload: true }, a);
  assert.equal(sectionDef('?tracepoint/a/b')?.attachTarget, 'a/b');
});

/** Ask the system's libbpf (libbpf_prog_type_by_name) about many names at once. */
function askLibbpf(names: string[]): Map<string, [number, number, number]> | string {
  const py = `
import ctypes, json, sys
L = ctypes.CDLL("libbpf.so.1")
out = {}
for n in json.load(sys.stdin):
    pt, at = ctypes.c_int(), ctypes.c_int()
    r = L.libbpf_prog_type_by_name(n.encode(), ctypes.byref(pt), ctypes.byref(at))
    out[n] = [r, pt.value, at.value]
print(json.dumps(out))`;
  try {
    const out = execFileSync('python3', ['-c', py], { input: JSON.stringify(names), stdio: ['pipe', 'pipe', 'pipe'] });
    return new Map(Object.entries(JSON.parse(out.toString()) as Record<string, [number, number, number]>));
  } catch (e) {
    return `python3 with libbpf.so.1 unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
}

test('agrees with the system libbpf on every name that libbpf knows', (t) => {
  const names = [...SPOT.map((s) => s[0]), ...sectionPatterns().map((p) => p.replace(/\+$/, '')), 'xdp_foo', 'tc/foo', 'kprobeX'];
  const res = askLibbpf(names);
  if (typeof res === 'string') return t.skip(res);
  let agreed = 0;
  const newer: string[] = [];
  for (const n of names) {
    const [rc, pt, at]: [number, number, number] = res.get(n)!;
    const d = sectionDef(n);
    if (rc !== 0) {
      // an older libbpf lacks the newest entries; it must never know a name we call unknown
      if (d) newer.push(n);
      continue;
    }
    assert.ok(d, `libbpf knows ${n}, so must we`);
    assert.equal(d.programType, pt, `${n} program type`);
    assert.equal(d.attachType ?? 0, at, `${n} attach type`);
    agreed++;
  }
  assert.ok(agreed >= 60, `${agreed} names agreed`);
  t.diagnostic(`agreed on ${agreed} names; unknown to the system libbpf (newer entries): ${[...new Set(newer)].join(', ')}`);
});
