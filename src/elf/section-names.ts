/**
 * libbpf's SEC() names: which program type (and expected attach type) an ELF
 * section name stands for, matched the way libbpf 1.x matches them.
 *
 * The table follows the facts of libbpf's `section_defs` as of its 1.5/1.6
 * sources (names, types, flags, and their order, which matters: the first
 * match wins): newer than Debian 12's libbpf 1.1, which lacks tcx/, netkit/,
 * the uprobe.multi and *.session forms, the cgroup *_unix hooks,
 * sk_skb/verdict, usdt.s, struct_ops.s and netfilter. libbpf 1.x has
 * no "sloppy" prefix matching any more: a name is either exact (`xdp`, `tc`,
 * `cgroup/connect4`), or a `+` form (`kprobe+`) that matches the bare name or
 * the name followed by `/` and a target (`kprobe/do_sys_open`). So `xdp_foo`,
 * `tc/foo` and `kprobeX` are all unknown, as in libbpf.
 *
 * The numbers are the positions of the names in `enum bpf_prog_type` and
 * `enum bpf_attach_type` of linux/bpf.h (Linux 6.18 for the newest ones);
 * test/section-names.test.ts checks them against the system's header and,
 * where bpftool can read /sys/kernel/btf/vmlinux, the running kernel's enums.
 */

/** `enum bpf_prog_type`, index = number; names as libbpf and bpftool print them. */
export const PROG_TYPE_NAMES: readonly string[] = [
  'unspec', 'socket_filter', 'kprobe', 'sched_cls', 'sched_act', 'tracepoint', 'xdp', 'perf_event',
  'cgroup_skb', 'cgroup_sock', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sock_ops', 'sk_skb', 'cgroup_device',
  'sk_msg', 'raw_tracepoint', 'cgroup_sock_addr', 'lwt_seg6local', 'lirc_mode2', 'sk_reuseport',
  'flow_dissector', 'cgroup_sysctl', 'raw_tracepoint_writable', 'cgroup_sockopt', 'tracing', 'struct_ops',
  'ext', 'lsm', 'sk_lookup', 'syscall', 'netfilter',
];

/** `enum bpf_attach_type`, index = number; the enumerator name without `BPF_`, lowercase (libbpf's spelling). */
export const ATTACH_TYPE_NAMES: readonly string[] = [
  'cgroup_inet_ingress', 'cgroup_inet_egress', 'cgroup_inet_sock_create', 'cgroup_sock_ops',
  'sk_skb_stream_parser', 'sk_skb_stream_verdict', 'cgroup_device', 'sk_msg_verdict', 'cgroup_inet4_bind',
  'cgroup_inet6_bind', 'cgroup_inet4_connect', 'cgroup_inet6_connect', 'cgroup_inet4_post_bind',
  'cgroup_inet6_post_bind', 'cgroup_udp4_sendmsg', 'cgroup_udp6_sendmsg', 'lirc_mode2', 'flow_dissector',
  'cgroup_sysctl', 'cgroup_udp4_recvmsg', 'cgroup_udp6_recvmsg', 'cgroup_getsockopt', 'cgroup_setsockopt',
  'trace_raw_tp', 'trace_fentry', 'trace_fexit', 'modify_return', 'lsm_mac', 'trace_iter',
  'cgroup_inet4_getpeername', 'cgroup_inet6_getpeername', 'cgroup_inet4_getsockname',
  'cgroup_inet6_getsockname', 'xdp_devmap', 'cgroup_inet_sock_release', 'xdp_cpumap', 'sk_lookup', 'xdp',
  'sk_skb_verdict', 'sk_reuseport_select', 'sk_reuseport_select_or_migrate', 'perf_event',
  'trace_kprobe_multi', 'lsm_cgroup', 'struct_ops', 'netfilter', 'tcx_ingress', 'tcx_egress',
  'trace_uprobe_multi', 'cgroup_unix_connect', 'cgroup_unix_sendmsg', 'cgroup_unix_recvmsg',
  'cgroup_unix_getpeername', 'cgroup_unix_getsockname', 'netkit_primary', 'netkit_peer',
  'trace_kprobe_session', 'trace_uprobe_session',
];

/** What libbpf knows about a program from its section name. */
export interface SectionDef {
  /** the table entry's name without libbpf's trailing `+` marker: 'kprobe', 'tc/ingress' */
  prefix: string;
  /** the entry as libbpf spells it: 'kprobe+' (bare or with "/target"), 'xdp' (exact) */
  pattern: string;
  programType: number;
  programTypeName: string;
  /** expected_attach_type, when the entry names one (note BPF_CGROUP_INET_INGRESS is 0) */
  attachType?: number;
  attachTypeName?: string;
  /** what follows "prefix/" in a `+` entry: 'syscalls/sys_enter_openat', 'do_sys_open+0x10', '/bin/sh:main' */
  attachTarget?: string;
  /** BPF_F_SLEEPABLE is set at load */
  sleepable: boolean;
  /** BPF_F_XDP_HAS_FRAGS is set at load */
  xdpFrags: boolean;
  /** the target is resolved through BTF (a kernel function, hook or another program's function) */
  attachBtf: boolean;
  /** libbpf's legacy "attachable by BPF_PROG_ATTACH" mark */
  attachable: boolean;
  /** the kernel may be asked without expected_attach_type if it predates it */
  attachTypeOptional: boolean;
  /** false for SEC("?name"): libbpf opens the program but does not load it by default */
  autoload: boolean;
}

// libbpf's sec_def flags, as bits of our table rows.
const ATTACHABLE = 1;
const EXP_ATTACH_OPT = 2;
const ATTACH_BTF = 4;
const SLEEPABLE = 8;
const XDP_FRAGS = 16;
const ATTACHABLE_OPT = ATTACHABLE | EXP_ATTACH_OPT;
const BTF_SLEEPABLE = ATTACH_BTF | SLEEPABLE;

/** [SEC_DEF name, program type, expected attach type or null, flags] */
type Row = readonly [string, string, string | null, number];

// Order matters (first match wins): 'tc/ingress' before 'tc', 'xdp.frags/devmap' before 'xdp'.
const ROWS: readonly Row[] = [
  ['socket', 'socket_filter', null, 0],
  ['sk_reuseport/migrate', 'sk_reuseport', 'sk_reuseport_select_or_migrate', ATTACHABLE],
  ['sk_reuseport', 'sk_reuseport', 'sk_reuseport_select', ATTACHABLE],
  ['kprobe+', 'kprobe', null, 0],
  ['uprobe+', 'kprobe', null, 0],
  ['uprobe.s+', 'kprobe', null, SLEEPABLE],
  ['kretprobe+', 'kprobe', null, 0],
  ['uretprobe+', 'kprobe', null, 0],
  ['uretprobe.s+', 'kprobe', null, SLEEPABLE],
  ['kprobe.multi+', 'kprobe', 'trace_kprobe_multi', 0],
  ['kretprobe.multi+', 'kprobe', 'trace_kprobe_multi', 0],
  ['kprobe.session+', 'kprobe', 'trace_kprobe_session', 0],
  ['uprobe.multi+', 'kprobe', 'trace_uprobe_multi', 0],
  ['uretprobe.multi+', 'kprobe', 'trace_uprobe_multi', 0],
  ['uprobe.session+', 'kprobe', 'trace_uprobe_session', 0],
  ['uprobe.multi.s+', 'kprobe', 'trace_uprobe_multi', SLEEPABLE],
  ['uretprobe.multi.s+', 'kprobe', 'trace_uprobe_multi', SLEEPABLE],
  ['uprobe.session.s+', 'kprobe', 'trace_uprobe_session', SLEEPABLE],
  ['ksyscall+', 'kprobe', null, 0],
  ['kretsyscall+', 'kprobe', null, 0],
  // usdt: libbpf may switch the attach type to uprobe_multi when the kernel has it
  ['usdt+', 'kprobe', null, 0],
  ['usdt.s+', 'kprobe', null, SLEEPABLE],
  ['tc/ingress', 'sched_cls', 'tcx_ingress', 0],
  ['tc/egress', 'sched_cls', 'tcx_egress', 0],
  ['tcx/ingress', 'sched_cls', 'tcx_ingress', 0],
  ['tcx/egress', 'sched_cls', 'tcx_egress', 0],
  ['tc', 'sched_cls', null, 0],
  ['classifier', 'sched_cls', null, 0],
  ['action', 'sched_act', null, 0],
  ['netkit/primary', 'sched_cls', 'netkit_primary', 0],
  ['netkit/peer', 'sched_cls', 'netkit_peer', 0],
  ['tracepoint+', 'tracepoint', null, 0],
  ['tp+', 'tracepoint', null, 0],
  ['raw_tracepoint+', 'raw_tracepoint', null, 0],
  ['raw_tp+', 'raw_tracepoint', null, 0],
  ['raw_tracepoint.w+', 'raw_tracepoint_writable', null, 0],
  ['raw_tp.w+', 'raw_tracepoint_writable', null, 0],
  ['tp_btf+', 'tracing', 'trace_raw_tp', ATTACH_BTF],
  ['fentry+', 'tracing', 'trace_fentry', ATTACH_BTF],
  ['fmod_ret+', 'tracing', 'modify_return', ATTACH_BTF],
  ['fexit+', 'tracing', 'trace_fexit', ATTACH_BTF],
  ['fentry.s+', 'tracing', 'trace_fentry', BTF_SLEEPABLE],
  ['fmod_ret.s+', 'tracing', 'modify_return', BTF_SLEEPABLE],
  ['fexit.s+', 'tracing', 'trace_fexit', BTF_SLEEPABLE],
  ['freplace+', 'ext', null, ATTACH_BTF],
  ['lsm+', 'lsm', 'lsm_mac', ATTACH_BTF],
  ['lsm.s+', 'lsm', 'lsm_mac', BTF_SLEEPABLE],
  ['lsm_cgroup+', 'lsm', 'lsm_cgroup', ATTACH_BTF],
  ['iter+', 'tracing', 'trace_iter', ATTACH_BTF],
  ['iter.s+', 'tracing', 'trace_iter', BTF_SLEEPABLE],
  ['syscall', 'syscall', null, SLEEPABLE],
  ['xdp.frags/devmap', 'xdp', 'xdp_devmap', XDP_FRAGS],
  ['xdp/devmap', 'xdp', 'xdp_devmap', ATTACHABLE],
  ['xdp.frags/cpumap', 'xdp', 'xdp_cpumap', XDP_FRAGS],
  ['xdp/cpumap', 'xdp', 'xdp_cpumap', ATTACHABLE],
  ['xdp.frags', 'xdp', 'xdp', XDP_FRAGS],
  ['xdp', 'xdp', 'xdp', ATTACHABLE_OPT],
  ['perf_event', 'perf_event', null, 0],
  ['lwt_in', 'lwt_in', null, 0],
  ['lwt_out', 'lwt_out', null, 0],
  ['lwt_xmit', 'lwt_xmit', null, 0],
  ['lwt_seg6local', 'lwt_seg6local', null, 0],
  ['sockops', 'sock_ops', 'cgroup_sock_ops', ATTACHABLE_OPT],
  ['sk_skb/stream_parser', 'sk_skb', 'sk_skb_stream_parser', ATTACHABLE_OPT],
  ['sk_skb/stream_verdict', 'sk_skb', 'sk_skb_stream_verdict', ATTACHABLE_OPT],
  ['sk_skb/verdict', 'sk_skb', 'sk_skb_verdict', ATTACHABLE_OPT], // libbpf 1.4+
  ['sk_skb', 'sk_skb', null, 0],
  ['sk_msg', 'sk_msg', 'sk_msg_verdict', ATTACHABLE_OPT],
  ['lirc_mode2', 'lirc_mode2', 'lirc_mode2', ATTACHABLE_OPT],
  ['flow_dissector', 'flow_dissector', 'flow_dissector', ATTACHABLE_OPT],
  ['cgroup_skb/ingress', 'cgroup_skb', 'cgroup_inet_ingress', ATTACHABLE_OPT],
  ['cgroup_skb/egress', 'cgroup_skb', 'cgroup_inet_egress', ATTACHABLE_OPT],
  ['cgroup/skb', 'cgroup_skb', null, 0],
  ['cgroup/sock_create', 'cgroup_sock', 'cgroup_inet_sock_create', ATTACHABLE],
  ['cgroup/sock_release', 'cgroup_sock', 'cgroup_inet_sock_release', ATTACHABLE],
  ['cgroup/sock', 'cgroup_sock', 'cgroup_inet_sock_create', ATTACHABLE_OPT],
  ['cgroup/post_bind4', 'cgroup_sock', 'cgroup_inet4_post_bind', ATTACHABLE],
  ['cgroup/post_bind6', 'cgroup_sock', 'cgroup_inet6_post_bind', ATTACHABLE],
  ['cgroup/bind4', 'cgroup_sock_addr', 'cgroup_inet4_bind', ATTACHABLE],
  ['cgroup/bind6', 'cgroup_sock_addr', 'cgroup_inet6_bind', ATTACHABLE],
  ['cgroup/connect4', 'cgroup_sock_addr', 'cgroup_inet4_connect', ATTACHABLE],
  ['cgroup/connect6', 'cgroup_sock_addr', 'cgroup_inet6_connect', ATTACHABLE],
  ['cgroup/connect_unix', 'cgroup_sock_addr', 'cgroup_unix_connect', ATTACHABLE],
  ['cgroup/sendmsg4', 'cgroup_sock_addr', 'cgroup_udp4_sendmsg', ATTACHABLE],
  ['cgroup/sendmsg6', 'cgroup_sock_addr', 'cgroup_udp6_sendmsg', ATTACHABLE],
  ['cgroup/sendmsg_unix', 'cgroup_sock_addr', 'cgroup_unix_sendmsg', ATTACHABLE],
  ['cgroup/recvmsg4', 'cgroup_sock_addr', 'cgroup_udp4_recvmsg', ATTACHABLE],
  ['cgroup/recvmsg6', 'cgroup_sock_addr', 'cgroup_udp6_recvmsg', ATTACHABLE],
  ['cgroup/recvmsg_unix', 'cgroup_sock_addr', 'cgroup_unix_recvmsg', ATTACHABLE],
  ['cgroup/getpeername4', 'cgroup_sock_addr', 'cgroup_inet4_getpeername', ATTACHABLE],
  ['cgroup/getpeername6', 'cgroup_sock_addr', 'cgroup_inet6_getpeername', ATTACHABLE],
  ['cgroup/getpeername_unix', 'cgroup_sock_addr', 'cgroup_unix_getpeername', ATTACHABLE],
  ['cgroup/getsockname4', 'cgroup_sock_addr', 'cgroup_inet4_getsockname', ATTACHABLE],
  ['cgroup/getsockname6', 'cgroup_sock_addr', 'cgroup_inet6_getsockname', ATTACHABLE],
  ['cgroup/getsockname_unix', 'cgroup_sock_addr', 'cgroup_unix_getsockname', ATTACHABLE],
  ['cgroup/sysctl', 'cgroup_sysctl', 'cgroup_sysctl', ATTACHABLE],
  ['cgroup/getsockopt', 'cgroup_sockopt', 'cgroup_getsockopt', ATTACHABLE],
  ['cgroup/setsockopt', 'cgroup_sockopt', 'cgroup_setsockopt', ATTACHABLE],
  ['cgroup/dev', 'cgroup_device', 'cgroup_device', ATTACHABLE_OPT],
  ['struct_ops+', 'struct_ops', null, 0],
  ['struct_ops.s+', 'struct_ops', null, SLEEPABLE],
  ['sk_lookup', 'sk_lookup', 'sk_lookup', ATTACHABLE],
  ['netfilter', 'netfilter', 'netfilter', 0],
];

/** One table entry, its names resolved to numbers once. */
interface Entry {
  readonly pattern: string;
  readonly prefix: string;
  readonly plus: boolean;
  readonly programType: number;
  readonly attachType: number | undefined;
  readonly flags: number;
}

function indexOf(list: readonly string[], name: string, what: string): number {
  const i = list.indexOf(name);
  if (i < 0) throw new Error(`section-names: unknown ${what} '${name}'`); // a typo in the table above
  return i;
}

const ENTRIES: readonly Entry[] = ROWS.map(([pattern, prog, attach, flags]) => {
  const plus = pattern.endsWith('+');
  return {
    pattern,
    prefix: plus ? pattern.slice(0, -1) : pattern,
    plus,
    programType: indexOf(PROG_TYPE_NAMES, prog, 'program type'),
    attachType: attach === null ? undefined : indexOf(ATTACH_TYPE_NAMES, attach, 'attach type'),
    flags,
  };
});

/**
 * libbpf's rule: an entry ending in '/' must be followed by more text; one
 * ending in '+' matches itself exactly or followed by '/' and a target; any
 * other entry matches only itself.
 */
function matches(e: Entry, name: string): boolean {
  if (e.prefix.endsWith('/')) return name.startsWith(e.prefix);
  if (!e.plus) return name === e.prefix;
  if (!name.startsWith(e.prefix)) return false;
  return name.length === e.prefix.length || name[e.prefix.length] === '/';
}

/** The text after "prefix/", or undefined when there is none. */
function targetOf(e: Entry, name: string): string | undefined {
  if (!e.plus && !e.prefix.endsWith('/')) return undefined;
  const rest = name.slice(e.prefix.endsWith('/') ? e.prefix.length : e.prefix.length + 1);
  return rest.length > 0 ? rest : undefined;
}

function toDef(e: Entry, name: string, autoload: boolean): SectionDef {
  const def: SectionDef = {
    prefix: e.prefix,
    pattern: e.pattern,
    programType: e.programType,
    programTypeName: PROG_TYPE_NAMES[e.programType]!,
    sleepable: (e.flags & SLEEPABLE) !== 0,
    xdpFrags: (e.flags & XDP_FRAGS) !== 0,
    attachBtf: (e.flags & ATTACH_BTF) !== 0,
    attachable: (e.flags & ATTACHABLE) !== 0,
    attachTypeOptional: (e.flags & EXP_ATTACH_OPT) !== 0,
    autoload,
  };
  if (e.attachType !== undefined) {
    def.attachType = e.attachType;
    def.attachTypeName = ATTACH_TYPE_NAMES[e.attachType]!;
  }
  const target = targetOf(e, name);
  if (target !== undefined) def.attachTarget = target;
  return def;
}

/**
 * The program type, attach type and flags libbpf derives from a section name,
 * or undefined for a name libbpf does not know (the caller reports "unknown
 * section name"). A leading '?' (libbpf: do not load by default) is accepted.
 */
export function sectionDef(secName: string): SectionDef | undefined {
  const autoload = !secName.startsWith('?');
  const name = autoload ? secName : secName.slice(1);
  const e = ENTRIES.find((x) => matches(x, name));
  return e && toDef(e, name, autoload);
}

/** Every SEC_DEF spelling, in libbpf's order (for "supported names are: …" messages). */
export function sectionPatterns(): string[] {
  return ENTRIES.map((e) => e.pattern);
}

/** The name of a program type number ('xdp'), or undefined. */
export function progTypeName(n: number): string | undefined {
  return PROG_TYPE_NAMES[n];
}

/** The name of an attach type number ('cgroup_inet_ingress'), or undefined. */
export function attachTypeName(n: number): string | undefined {
  return ATTACH_TYPE_NAMES[n];
}
