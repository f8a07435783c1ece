import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { BpfError, ERRNO, ErrnoName } from '../src/errno.js';
import { assemble } from '../src/isa/asm.js';
import { BpfMap, MapSpec, MapType, UpdateFlags } from '../src/maps/map.js';
import { AddressSpace, Region, findRegion } from '../src/vm/memory.js';
import { execute } from '../src/vm/execute.js';
import { HelperDef, HelperEnv, HelperRegistry, HostInfo, KernelEnv } from '../src/helpers/registry.js';
import { LINUX_HELPER_NAMES, helperId, helperName, linuxHelpers } from '../src/helpers/linux.js';
import { HZ, NSEC_PER_JIFFY } from '../src/helpers/time.js';
import { MAX_BPRINTF_BUF } from '../src/helpers/format.js';

// ───────────────────────────── stand-ins for the Runtime ─────────────────────────────

const u64 = (v: number | bigint): bigint => BigInt.asUintN(64, BigInt(v));
const neg = (name: ErrnoName): bigint => u64(-ERRNO[name]);
/** an address no region covers (the first page is never mapped) */
const UNMAPPED = 8n;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const cstr = (s: string): Uint8Array => Uint8Array.from([...enc(s), 0]);

/** An address space with regions, and a HelperEnv over them that checks as the interpreter does. */
class Mem {
  readonly space = new AddressSpace();
  readonly regions: Region[] = [];

  map(data: Uint8Array | number, name = 'mem', writable = true): bigint {
    const r = this.space.map(typeof data === 'number' ? new Uint8Array(data) : data, name, writable);
    this.regions.push(r);
    return BigInt(r.start);
  }

  /** a region filled with `fill`, to see which bytes a helper wrote */
  filled(size: number, fill: number): bigint {
    return this.map(new Uint8Array(size).fill(fill));
  }

  bytes(addr: bigint, len: number): Uint8Array {
    return this.space.bytes.slice(Number(addr), Number(addr) + len);
  }

  /** `memory`: give helpers the memory view (HelperEnv.memory), as both engines do */
  env(kernel?: KernelEnv, memory = true): HelperEnv {
    const at = (addr: bigint, len: number, write: boolean): number => {
      const u = BigInt.asUintN(64, addr);
      const r = findRegion(this.regions, Number(u & 0xffffffffn), Number(u >> 32n), len);
      if (!r || (write && !r.writable)) throw new BpfError('EFAULT', `bad ${write ? 'write' : 'read'} of ${len} at 0x${u.toString(16)}`);
      return Number(u);
    };
    return {
      read: (addr, len) => (len === 0 ? new Uint8Array(0) : this.space.bytes.slice(at(addr, len, false), at(addr, len, false) + len)),
      write: (addr, data) => {
        if (data.length) this.space.bytes.set(data, at(addr, data.length, true));
      },
      check: at,
      checkAt: (addr, len, write) => at(BigInt(addr), len, write),
      ...(memory ? { memory: () => this.space.bytes } : {}),
      ...(kernel ? { kernel } : {}),
    };
  }
}

interface TestKernel extends KernelEnv {
  lines: string[];
  maps: Map<bigint, BpfMap>;
  clock: { mono: bigint; boot: bigint };
}

function makeKernel(host: Partial<HostInfo> = {}, cpu = 3): TestKernel {
  const clock = { mono: 5_000_000_123n, boot: 9_000_000_456n };
  const lines: string[] = [];
  const maps = new Map<bigint, BpfMap>();
  return {
    lines,
    maps,
    clock,
    cpu,
    map: (ptr) => maps.get(ptr),
    trace: (line) => lines.push(line),
    host: {
      monotonicNs: () => (clock.mono += 1_234_567n),
      boottimeNs: () => (clock.boot += 1_234_567n),
      pid: 4321,
      tgid: 4300,
      uid: 1000,
      gid: 100,
      comm: 'node',
      randomU32: () => 0xdeadbeef,
      ...host,
    },
  };
}

const defs = linuxHelpers();
const registry = new HelperRegistry(defs);

function def(name: string): HelperDef {
  const d = defs.find((x) => x.name === name);
  assert.ok(d, `helper ${name} is defined`);
  return d;
}

/** call helper `name` with up to five register values */
function call(env: HelperEnv, name: string, ...r: (bigint | number)[]): bigint {
  const a = [0, 1, 2, 3, 4].map((i) => u64(r[i] ?? 0));
  return def(name).fn(env, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!);
}

function assertFault(f: () => unknown, message?: string): void {
  assert.throws(f, (e: unknown) => e instanceof BpfError && e.errno === 'EFAULT', message);
}

// ───────────────────────────── a map and a queue that follow the BpfMap contract ─────────────────────────────

class HashStandIn implements BpfMap {
  readonly spec: Readonly<Required<MapSpec>>;
  readonly regions: readonly Region[];
  private readonly slots = new Map<string, number>();
  private readonly base: number;
  lastCpu = -1;

  constructor(private readonly space: AddressSpace, keySize: number, valueSize: number, maxEntries: number) {
    this.spec = { name: 'h', type: MapType.HASH, keySize, valueSize, maxEntries, flags: 0, extra: 0 } as Readonly<Required<MapSpec>>;
    const r = space.map(new Uint8Array(valueSize * maxEntries), 'map value');
    this.regions = [r];
    this.base = r.start;
  }

  private key(addr: number): string {
    return this.space.bytes.slice(addr, addr + this.spec.keySize).join(',');
  }

  lookupElem(keyAddr: number, cpu: number): number {
    this.lastCpu = cpu;
    const s = this.slots.get(this.key(keyAddr));
    return s === undefined ? 0 : this.base + s * this.spec.valueSize;
  }

  updateElem(keyAddr: number, valueAddr: number, flags: number, cpu: number): number {
    this.lastCpu = cpu;
    if (flags > UpdateFlags.EXIST) return -ERRNO.EINVAL;
    const k = this.key(keyAddr);
    let s = this.slots.get(k);
    if (s !== undefined && flags === UpdateFlags.NOEXIST) return -ERRNO.EEXIST;
    if (s === undefined && flags === UpdateFlags.EXIST) return -ERRNO.ENOENT;
    if (s === undefined) {
      if (this.slots.size >= this.spec.maxEntries) return -ERRNO.E2BIG;
      s = this.slots.size;
      this.slots.set(k, s);
    }
    const v = this.space.bytes.slice(valueAddr, valueAddr + this.spec.valueSize);
    this.space.bytes.set(v, this.base + s * this.spec.valueSize);
    return 0;
  }

  deleteElem(keyAddr: number): number {
    return this.slots.delete(this.key(keyAddr)) ? 0 : -ERRNO.ENOENT;
  }

  lookup(): Uint8Array {
    throw new Error('not used');
  }
  update(): void {
    throw new Error('not used');
  }
  delete(): void {
    throw new Error('not used');
  }
  nextKey(): Uint8Array {
    throw new Error('not used');
  }
  memoryUsed(): number {
    return 0;
  }
}

class QueueStandIn extends HashStandIn {
  override readonly spec: Readonly<Required<MapSpec>>;
  private readonly items: Uint8Array[] = [];

  constructor(private readonly mem: AddressSpace, valueSize: number, maxEntries: number) {
    super(mem, 0, valueSize, 1);
    this.spec = { name: 'q', type: MapType.QUEUE, keySize: 0, valueSize, maxEntries, flags: 0, extra: 0 } as Readonly<Required<MapSpec>>;
  }

  pushElem(valueAddr: number, flags: number): number {
    if (flags & UpdateFlags.NOEXIST || flags > UpdateFlags.EXIST) return -ERRNO.EINVAL;
    if (this.items.length >= this.spec.maxEntries) {
      if (!(flags & UpdateFlags.EXIST)) return -ERRNO.E2BIG;
      this.items.shift();
    }
    this.items.push(this.mem.bytes.slice(valueAddr, valueAddr + this.spec.valueSize));
    return 0;
  }

  popElem(valueAddr: number, pop: boolean): number {
    const head = this.items[0];
    if (!head) return -ERRNO.ENOENT;
    this.mem.bytes.set(head, valueAddr);
    if (pop) this.items.shift();
    return 0;
  }
}

// ───────────────────────────── the table ─────────────────────────────

test('linuxHelpers: every family, unique ids, names and prototypes', () => {
  assert.deepEqual(
    defs.map((d) => `${d.id}:${d.name}`),
    [
      '1:map_lookup_elem', '2:map_update_elem', '3:map_delete_elem', '4:probe_read', '5:ktime_get_ns',
      '6:trace_printk', '7:get_prandom_u32', '8:get_smp_processor_id', '9:skb_store_bytes', '12:tail_call', '14:get_current_pid_tgid',
      '15:get_current_uid_gid', '16:get_current_comm', '25:perf_event_output', '26:skb_load_bytes', '27:get_stackid', '28:csum_diff',
      '44:xdp_adjust_head', '45:probe_read_str', '65:xdp_adjust_tail', '67:get_stack', '87:map_push_elem',
      '88:map_pop_elem', '89:map_peek_elem', '112:probe_read_user', '113:probe_read_kernel',
      '114:probe_read_user_str', '115:probe_read_kernel_str', '118:jiffies64', '125:ktime_get_boot_ns',
      '130:ringbuf_output', '131:ringbuf_reserve', '132:ringbuf_submit', '133:ringbuf_discard', '134:ringbuf_query',
      '160:ktime_get_coarse_ns', '164:for_each_map_elem', '165:snprintf', '177:trace_vprintk', '181:loop', '182:strncmp',
    ],
  );
  assert.deepEqual(registry.ids(), defs.map((d) => d.id));
  for (const d of defs) {
    assert.ok(d.proto, `${d.name} has a prototype`);
    assert.ok(d.proto.args.length <= 5);
    assert.equal(helperName(d.id), d.name);
    assert.equal(helperId(d.name), d.id);
    assert.equal(helperId('bpf_' + d.name), d.id);
  }
  assert.equal(helperName(180), 'find_vma', 'names cover helpers that are not implemented here');
  assert.equal(helperName(0), undefined);
  assert.equal(helperName(100000), undefined);
  assert.equal(helperId('no_such_helper'), undefined);
  // a fresh array each call: callers may add their own
  assert.notEqual(linuxHelpers(), linuxHelpers());
});

/** `name → id` from linux/bpf.h: `FN(name)` (ids by position) or `FN(name, id, ##ctx)` (explicit). */
function headerIds(text: string): Map<string, number> {
  const start = text.search(/#define\s+_{2,3}BPF_FUNC_MAPPER\(/);
  assert.ok(start >= 0, 'the mapper macro is in the header');
  const body: string[] = [];
  for (const line of text.slice(start).split('\n').slice(1)) {
    body.push(line);
    if (!line.trimEnd().endsWith('\\')) break;
  }
  const ids = new Map<string, number>();
  let pos = 0;
  for (const m of body.join('\n').matchAll(/FN\(\s*(\w+)\s*(?:,\s*(\d+))?[^)]*\)/g)) {
    ids.set(m[1]!, m[2] !== undefined ? Number(m[2]) : pos);
    pos++;
  }
  return ids;
}

/** `name → {ret, params}` from the doc comments: ` * long bpf_name(type a, type b)` */
function headerSignatures(text: string): Map<string, { ret: string; params: string[] }> {
  const sigs = new Map<string, { ret: string; params: string[] }>();
  for (const m of text.matchAll(/^ \* ((?:const |struct |unsigned )*\w+\s*\**)\s*bpf_(\w+)\(([^)]*)\)\s*$/gm)) {
    const params = m[3]!.trim() === 'void' ? [] : m[3]!.split(',').map((p) => p.trim());
    if (!sigs.has(m[2]!)) sigs.set(m[2]!, { ret: m[1]!.trim(), params });
  }
  return sigs;
}

test('the header parser reads both forms of the helper list', () => {
  const old = '#define __BPF_FUNC_MAPPER(FN)\t\\\n\tFN(unspec),\t\\\n\tFN(map_lookup_elem),\t\\\n\tFN(map_update_elem),\t\\\n\t/* */\n';
  assert.deepEqual([...headerIds(old)], [['unspec', 0], ['map_lookup_elem', 1], ['map_update_elem', 2]]);
  const explicit =
    '#define ___BPF_FUNC_MAPPER(FN, ctx...)\t\\\n\tFN(unspec, 0, ##ctx)\t\\\n\tFN(map_lookup_elem, 1, ##ctx)\t\\\n' +
    '\tFN(user_ringbuf_drain, 209, ##ctx)\t\\\n\t/* */\n#define __BPF_FUNC_MAPPER(FN) ___BPF_FUNC_MAPPER(__BPF_FUNC_MAPPER_APPLY, FN)\n';
  assert.deepEqual([...headerIds(explicit)], [['unspec', 0], ['map_lookup_elem', 1], ['user_ringbuf_drain', 209]]);
});

const HEADER = '/usr/include/linux/bpf.h';

test('ids, names and prototypes match linux/bpf.h', (t) => {
  if (!existsSync(HEADER)) {
    t.skip(`${HEADER} is absent (install linux-libc-dev to check ids against the UAPI header)`);
    console.log(`skipped: ${HEADER} is absent`);
    return;
  }
  const text = readFileSync(HEADER, 'utf8');
  const ids = headerIds(text);
  assert.ok(ids.size > 150, `the mapper lists ${ids.size} helpers`);
  for (const d of defs) assert.equal(ids.get(d.name), d.id, `BPF_FUNC_${d.name}`);
  for (const [name, id] of ids) assert.equal(LINUX_HELPER_NAMES[id], name, `LINUX_HELPER_NAMES[${id}]`);

  const sigs = headerSignatures(text);
  for (const d of defs) {
    const sig = sigs.get(d.name);
    assert.ok(sig, `bpf_${d.name} is documented in the header`);
    const fixed = sig.params.filter((p) => p !== '...');
    assert.equal(d.proto!.args.length, fixed.length, `bpf_${d.name}(${sig.params.join(', ')}): argument count`);
    // The header declares bpf_tail_call as returning long, but its kernel prototype is RET_VOID: on success it never returns.
    if (sig.ret === 'void' || d.name === 'tail_call') assert.equal(d.proto!.ret, 'VOID', `bpf_${d.name} returns ${sig.ret}`);
    else if (sig.ret.includes('*')) assert.match(d.proto!.ret, /^PTR_TO_\w+_OR_NULL$/, `bpf_${d.name} returns ${sig.ret}`);
    else assert.equal(d.proto!.ret, 'INTEGER', `bpf_${d.name} returns ${sig.ret}`);
    fixed.forEach((p, i) => {
      const kind = d.proto!.args[i]!;
      if (p.startsWith('struct bpf_map *') || p === 'void *ringbuf') assert.equal(kind, 'CONST_MAP_PTR', `bpf_${d.name}: ${p}`);
      else if (/^u(32|64) \w*(size|_sz|len)\w*$/.test(p)) assert.match(kind, /^CONST_(ALLOC_)?SIZE/, `bpf_${d.name}: ${p}`);
      else if (p.includes('*')) assert.match(kind, /^PTR_TO_|^ANYTHING$/, `bpf_${d.name}: ${p}`);
      else assert.equal(kind, 'ANYTHING', `bpf_${d.name}: ${p}`);
    });
  }
});

// ───────────────────────────── maps ─────────────────────────────

test('map helpers: lookup, update (flags), delete, on the CPU of the run', () => {
  const m = new Mem();
  const k = makeKernel({}, 2);
  const hash = new HashStandIn(m.space, 4, 8, 4);
  m.regions.push(...hash.regions);
  k.maps.set(0x1000n, hash);
  const env = m.env(k);
  const key = m.map(Uint8Array.of(1, 2, 3, 4));
  const value = m.map(Uint8Array.of(10, 11, 12, 13, 14, 15, 16, 17));

  assert.equal(call(env, 'map_lookup_elem', 0x1000n, key), 0n, 'absent: NULL');
  assert.equal(call(env, 'map_update_elem', 0x1000n, key, value, UpdateFlags.EXIST), neg('ENOENT'));
  assert.equal(call(env, 'map_update_elem', 0x1000n, key, value, UpdateFlags.ANY), 0n);
  assert.equal(call(env, 'map_update_elem', 0x1000n, key, value, UpdateFlags.NOEXIST), neg('EEXIST'));
  const at = call(env, 'map_lookup_elem', 0x1000n, key);
  assert.notEqual(at, 0n);
  assert.deepEqual(m.bytes(at, 8), Uint8Array.of(10, 11, 12, 13, 14, 15, 16, 17));
  assert.equal(hash.lastCpu, 2);
  assert.equal(call(env, 'map_update_elem', 0x1000n, key, value, 1n << 40n), neg('EINVAL'), 'flags past 32 bits');
  assert.equal(call(env, 'map_delete_elem', 0x1000n, key), 0n);
  assert.equal(call(env, 'map_delete_elem', 0x1000n, key), neg('ENOENT'));
  assert.equal(call(env, 'map_lookup_elem', 0x1000n, key), 0n);
});

test('map helpers: no Runtime or not a map → -EINVAL (lookup: NULL); bad key/value pointers fault', () => {
  const m = new Mem();
  const k = makeKernel();
  const hash = new HashStandIn(m.space, 4, 8, 4);
  k.maps.set(0x1000n, hash);
  const key = m.map(4);
  const value = m.map(8);
  const bare = m.env();
  assert.equal(call(bare, 'map_lookup_elem', 0x1000n, key), 0n);
  assert.equal(call(bare, 'map_update_elem', 0x1000n, key, value, 0), neg('EINVAL'));
  assert.equal(call(bare, 'map_delete_elem', 0x1000n, key), neg('EINVAL'));
  assert.equal(call(bare, 'map_push_elem', 0x1000n, value, 0), neg('EINVAL'));
  const env = m.env(k);
  assert.equal(call(env, 'map_lookup_elem', 0x2000n, key), 0n);
  assert.equal(call(env, 'map_update_elem', 0x2000n, key, value, 0), neg('EINVAL'));
  assert.equal(call(env, 'map_delete_elem', 0x2000n, key), neg('EINVAL'));
  assert.equal(call(env, 'map_pop_elem', 0x2000n, value), neg('EINVAL'));
  assertFault(() => call(env, 'map_lookup_elem', 0x1000n, UNMAPPED));
  assertFault(() => call(env, 'map_update_elem', 0x1000n, key, UNMAPPED, 0));
  assertFault(() => call(env, 'map_delete_elem', 0x1000n, key + 2n), 'a key that runs past its region');
  // a hash map has no push/pop/peek
  assert.equal(call(env, 'map_push_elem', 0x1000n, value, 0), neg('EINVAL'));
  assert.equal(call(env, 'map_peek_elem', 0x1000n, value), neg('EINVAL'));
});

test('map helpers: push, pop and peek on a queue', () => {
  const m = new Mem();
  const k = makeKernel();
  const q = new QueueStandIn(m.space, 4, 2);
  k.maps.set(0x3000n, q);
  const env = m.env(k);
  const a = m.map(Uint8Array.of(1, 1, 1, 1));
  const b = m.map(Uint8Array.of(2, 2, 2, 2));
  const c = m.map(Uint8Array.of(3, 3, 3, 3));
  const out = m.map(4);
  const ro = m.map(4, 'rodata', false);
  assert.equal(call(env, 'map_peek_elem', 0x3000n, out), neg('ENOENT'));
  assert.equal(call(env, 'map_push_elem', 0x3000n, a, 0), 0n);
  assert.equal(call(env, 'map_push_elem', 0x3000n, b, 0), 0n);
  assert.equal(call(env, 'map_push_elem', 0x3000n, c, 0), neg('E2BIG'));
  assert.equal(call(env, 'map_push_elem', 0x3000n, c, UpdateFlags.EXIST), 0n, 'BPF_EXIST drops the oldest');
  assert.equal(call(env, 'map_push_elem', 0x3000n, c, 1n << 33n), neg('EINVAL'));
  assert.equal(call(env, 'map_peek_elem', 0x3000n, out), 0n);
  assert.deepEqual(m.bytes(out, 4), Uint8Array.of(2, 2, 2, 2));
  assert.equal(call(env, 'map_pop_elem', 0x3000n, out), 0n);
  assert.deepEqual(m.bytes(out, 4), Uint8Array.of(2, 2, 2, 2));
  assert.equal(call(env, 'map_pop_elem', 0x3000n, out), 0n);
  assert.deepEqual(m.bytes(out, 4), Uint8Array.of(3, 3, 3, 3));
  assert.equal(call(env, 'map_pop_elem', 0x3000n, out), neg('ENOENT'));
  assertFault(() => call(env, 'map_push_elem', 0x3000n, UNMAPPED, 0));
  assertFault(() => call(env, 'map_pop_elem', 0x3000n, ro), 'pop fills the value: it must be writable');
});

// ───────────────────────────── time ─────────────────────────────

test('time helpers: monotonic, boot time, coarse and jiffies from the host clocks', () => {
  const m = new Mem();
  const k = makeKernel();
  const env = m.env(k);
  const t1 = call(env, 'ktime_get_ns');
  const t2 = call(env, 'ktime_get_ns');
  assert.ok(t2 > t1, 'ktime_get_ns moves forward');
  assert.equal(t2, k.clock.mono);
  assert.equal(call(env, 'ktime_get_boot_ns'), k.clock.boot);
  const coarse = call(env, 'ktime_get_coarse_ns');
  assert.equal(coarse % 4_000_000n, 0n, 'coarse time moves in whole jiffies');
  assert.ok(coarse <= k.clock.mono && k.clock.mono - coarse < 4_000_000n);
  assert.equal(HZ, 250);
  assert.equal(NSEC_PER_JIFFY, 4_000_000n);
  const j = call(env, 'jiffies64');
  assert.equal(j, k.clock.boot / 4_000_000n);
  k.clock.boot += 1_000_000_000n - 1_234_567n; // one second later
  assert.equal(call(env, 'jiffies64'), j + 250n);
  const bare = m.env();
  for (const name of ['ktime_get_ns', 'ktime_get_boot_ns', 'ktime_get_coarse_ns', 'jiffies64']) assert.equal(call(bare, name), 0n, name);
});

// ───────────────────────────── task ─────────────────────────────

test('task helpers: pid/tgid and uid/gid packing, CPU, random', () => {
  const m = new Mem();
  const env = m.env(makeKernel({ pid: 4321, tgid: 4300, uid: 1000, gid: 0xfffffffe }, 3));
  assert.equal(call(env, 'get_current_pid_tgid'), (4300n << 32n) | 4321n);
  assert.equal(call(env, 'get_current_pid_tgid') >> 32n, 4300n, 'tgid in the high half');
  assert.equal(call(env, 'get_current_uid_gid'), (0xfffffffen << 32n) | 1000n);
  assert.equal(call(env, 'get_smp_processor_id'), 3n);
  assert.equal(call(env, 'get_prandom_u32'), 0xdeadbeefn);
  const bare = m.env();
  assert.equal(call(bare, 'get_current_pid_tgid'), neg('EINVAL'));
  assert.equal(call(bare, 'get_current_uid_gid'), neg('EINVAL'));
  assert.equal(call(bare, 'get_smp_processor_id'), 0n);
  const r = call(bare, 'get_prandom_u32');
  assert.ok(r >= 0n && r < 1n << 32n);
});

test('get_current_comm: NUL-terminated, zero-padded, truncated to short buffers', () => {
  const m = new Mem();
  const env = m.env(makeKernel({ comm: 'node' }));
  const buf = m.filled(24, 0xff);
  assert.equal(call(env, 'get_current_comm', buf, 16), 0n);
  assert.deepEqual(m.bytes(buf, 17), Uint8Array.of(...enc('node'), ...new Array(12).fill(0), 0xff));
  const short = m.filled(8, 0xff);
  assert.equal(call(env, 'get_current_comm', short, 3), 0n, 'truncation is not an error');
  assert.deepEqual(m.bytes(short, 4), Uint8Array.of(...enc('no'), 0, 0xff));
  assert.equal(call(env, 'get_current_comm', short, 1), 0n);
  assert.deepEqual(m.bytes(short, 3), Uint8Array.of(0, ...enc('o'), 0), 'size 1: only the NUL');
  assert.equal(call(env, 'get_current_comm', buf, 24), 0n, 'a long buffer is zero-padded to its end');
  assert.deepEqual(m.bytes(buf, 24), Uint8Array.of(...enc('node'), ...new Array(20).fill(0)));
  // a task name is at most 15 bytes
  const env2 = m.env(makeKernel({ comm: 'a-very-long-process-name' }));
  assert.equal(call(env2, 'get_current_comm', buf, 24), 0n);
  assert.equal(dec(m.bytes(buf, 16)), 'a-very-long-pro\0');
  // no current task: zeroed, -EINVAL; a bad buffer faults
  const z = m.filled(8, 0xff);
  assert.equal(call(m.env(), 'get_current_comm', z, 8), neg('EINVAL'));
  assert.deepEqual(m.bytes(z, 8), new Uint8Array(8));
  assertFault(() => call(env, 'get_current_comm', UNMAPPED, 16));
});

// ───────────────────────────── probe_read ─────────────────────────────

const PROBE = ['probe_read', 'probe_read_user', 'probe_read_kernel'];
const PROBE_STR = ['probe_read_str', 'probe_read_user_str', 'probe_read_kernel_str'];

test('probe_read*: copy, or -EFAULT with the destination zeroed; a bad destination faults', () => {
  for (const name of PROBE) {
    const m = new Mem();
    const env = m.env();
    const src = m.map(Uint8Array.of(1, 2, 3, 4, 5, 6));
    const dst = m.filled(8, 0xaa);
    assert.equal(call(env, name, dst, 6, src), 0n, name);
    assert.deepEqual(m.bytes(dst, 8), Uint8Array.of(1, 2, 3, 4, 5, 6, 0xaa, 0xaa));
    const dst2 = m.filled(8, 0xaa);
    assert.equal(call(env, name, dst2, 6, UNMAPPED), neg('EFAULT'), `${name}: unmapped source`);
    assert.deepEqual(m.bytes(dst2, 8), Uint8Array.of(0, 0, 0, 0, 0, 0, 0xaa, 0xaa));
    const dst3 = m.filled(8, 0xaa);
    assert.equal(call(env, name, dst3, 8, src), neg('EFAULT'), `${name}: a source that runs past its region`);
    assert.deepEqual(m.bytes(dst3, 8), new Uint8Array(8));
    assert.equal(call(env, name, dst3, 0, UNMAPPED), 0n, `${name}: size 0 reads nothing`);
    assertFault(() => call(env, name, UNMAPPED, 4, src));
    assertFault(() => call(env, name, UNMAPPED, 4, UNMAPPED));
    const ro = m.map(8, 'rodata', false);
    assertFault(() => call(env, name, ro, 4, src));
    assert.equal(call(env, name, dst, 1n << 32n | 2n, src), 0n, 'size is a u32');
  }
});

test('probe_read*_str: up to and including the NUL; truncation; -EFAULT zeroes the destination (with and without the memory view)', () => {
  for (const [name, memory] of PROBE_STR.flatMap((n) => [[n, true], [n, false]] as const)) {
    const m = new Mem();
    const env = m.env(undefined, memory);
    const src = m.map(cstr('hello'));
    const dst = m.filled(10, 0xaa);
    assert.equal(call(env, name, dst, 10, src), 6n, `${name}: length with the NUL`);
    assert.deepEqual(m.bytes(dst, 10), Uint8Array.of(...enc('hello'), 0, 0xaa, 0xaa, 0xaa, 0xaa), 'bytes past the NUL untouched');
    const small = m.filled(6, 0xaa);
    assert.equal(call(env, name, small, 4, src), 4n, `${name}: cut to size-1 bytes and a NUL`);
    assert.deepEqual(m.bytes(small, 6), Uint8Array.of(...enc('hel'), 0, 0xaa, 0xaa));
    assert.equal(call(env, name, small, 6, src), 6n, 'exactly fits');
    assert.equal(call(env, name, small, 1, src), 1n);
    assert.equal(m.bytes(small, 1)[0], 0);
    assert.equal(call(env, name, small, 0, src), 0n, 'size 0');
    // "hello" then the end of its region: the NUL is the last mapped byte, fine;
    // a string without a NUL before the end of its region faults.
    const unterminated = m.map(enc('abc'));
    const z = m.filled(8, 0xaa);
    assert.equal(call(env, name, z, 8, unterminated), neg('EFAULT'));
    assert.deepEqual(m.bytes(z, 8), new Uint8Array(8), 'the whole destination zeroed');
    const z2 = m.filled(8, 0xaa);
    assert.equal(call(env, name, z2, 3, unterminated), 3n, 'a size that stops before the end never faults');
    assert.deepEqual(m.bytes(z2, 4), Uint8Array.of(...enc('ab'), 0, 0xaa));
    const z3 = m.filled(8, 0xaa);
    assert.equal(call(env, name, z3, 8, UNMAPPED), neg('EFAULT'));
    assert.deepEqual(m.bytes(z3, 8), new Uint8Array(8));
    assertFault(() => call(env, name, UNMAPPED, 8, src));
    // a long string is read past the first chunk
    const long = 'x'.repeat(200);
    const lsrc = m.map(cstr(long));
    const ldst = m.map(256);
    assert.equal(call(env, name, ldst, 256, lsrc), 201n);
    assert.equal(dec(m.bytes(ldst, 201)), long + '\0');
  }
});

// ───────────────────────────── strncmp ─────────────────────────────

test('strncmp: -1/0/1 as the kernel returns, at most s1_sz bytes, unsigned bytes', () => {
  const m = new Mem();
  const env = m.env();
  const s = (text: string | Uint8Array) => m.map(typeof text === 'string' ? cstr(text) : text);
  assert.equal(call(env, 'strncmp', s('abc'), 4, s('abc')), 0n);
  assert.equal(call(env, 'strncmp', s('abc'), 4, s('abd')), u64(-1));
  assert.equal(call(env, 'strncmp', s('abd'), 4, s('abc')), 1n);
  assert.equal(call(env, 'strncmp', s('abcX'), 3, s('abcY')), 0n, 'only s1_sz bytes');
  assert.equal(call(env, 'strncmp', s('ab'), 3, s('abc')), u64(-1), 's1 ends first');
  assert.equal(call(env, 'strncmp', s('abc'), 4, s('ab')), 1n);
  assert.equal(call(env, 'strncmp', s(Uint8Array.of(0x80, 0)), 2, s(Uint8Array.of(0x01, 0))), 1n, 'bytes compare unsigned');
  assert.equal(call(env, 'strncmp', s('a'), 0, UNMAPPED), 0n, 'size 0 compares nothing');
  // s2 is read only as far as the comparison goes
  const region = m.map(enc('xy'));
  assert.equal(call(env, 'strncmp', s('xa'), 3, region), u64(-1));
  assertFault(() => call(env, 'strncmp', s('xy'), 3, region));
  assertFault(() => call(env, 'strncmp', UNMAPPED, 3, s('x')));
});

// ───────────────────────────── snprintf and the format engine ─────────────────────────────

/** bpf_snprintf into a fresh buffer: [return value, string written] */
function snprintf(m: Mem, env: HelperEnv, fmt: string | Uint8Array, args: (bigint | number)[], size = 256): [bigint, string] {
  const f = m.map(typeof fmt === 'string' ? cstr(fmt) : fmt);
  const data = new Uint8Array(args.length * 8);
  args.forEach((a, k) => new DataView(data.buffer).setBigUint64(8 * k, u64(a), true));
  const d = args.length ? m.map(data) : 0n;
  const out = size ? m.filled(size, 0xaa) : 0n;
  const r = call(env, 'snprintf', out, size, f, d, data.length);
  if (!size) return [r, ''];
  const bytes = m.bytes(out, size);
  const nul = bytes.indexOf(0);
  return [r, nul < 0 ? '<no NUL>' : dec(bytes.subarray(0, nul))];
}

test('snprintf: integer conversions and lengths', () => {
  const m = new Mem();
  const env = m.env();
  const cases: [string, (bigint | number)[], string][] = [
    ['%d', [42], '42'],
    ['%d', [-5], '-5'],
    ['%d', [0xffffffff], '-1'], // 32 bits, signed
    ['%i', [-2147483648], '-2147483648'],
    ['%u', [0xffffffff], '4294967295'],
    ['%u', [0x100000005n], '5'], // 32 bits
    ['%d', [0x100000005n], '5'],
    ['%x', [255], 'ff'],
    ['%X', [0xabcdef], 'ABCDEF'],
    ['%x', [0x1234567890n], '34567890'],
    ['%ld', [-5], '-5'],
    ['%li', [-(2n ** 40n)], '-1099511627776'],
    ['%lu', [2n ** 64n - 1n], '18446744073709551615'],
    ['%lx', [0xdeadbeefcafen], 'deadbeefcafe'],
    ['%lld', [-(2n ** 63n)], '-9223372036854775808'],
    ['%lli', [2n ** 63n - 1n], '9223372036854775807'],
    ['%llu', [2n ** 63n], '9223372036854775808'],
    ['%llx', [2n ** 64n - 1n], 'ffffffffffffffff'],
    ['%lX', [0xabcn], 'ABC'],
    ['%d %u %x', [1, 2, 3], '1 2 3'],
    ['a%db%dc', [1, 22], 'a1b22c'],
    ['%d', [0], '0'],
  ];
  for (const [fmt, args, want] of cases) {
    const [r, got] = snprintf(m, env, fmt, args);
    assert.equal(got, want, `${fmt} ${args.join(',')}`);
    assert.equal(r, BigInt(want.length + 1), `${fmt}: returns the length with the NUL`);
  }
});

test('snprintf: width and the flags 0 + - space, as C printf', () => {
  const m = new Mem();
  const env = m.env();
  const cases: [string, (bigint | number)[], string][] = [
    ['[%5d]', [42], '[   42]'],
    ['[%-5d]', [42], '[42   ]'],
    ['[%05d]', [42], '[00042]'],
    ['[%05d]', [-42], '[-0042]'],
    ['[%5d]', [-42], '[  -42]'],
    ['[%-05d]', [42], '[42   ]'], // '-' wins over '0'
    ['[%+d]', [42], '[+42]'],
    ['[%+d]', [-42], '[-42]'],
    ['[% d]', [42], '[ 42]'],
    ['[%+ d]', [42], '[+42]'], // '+' wins over ' '
    ['[%+5d]', [42], '[  +42]'],
    ['[%+05d]', [42], '[+0042]'],
    ['[%+u]', [42], '[42]'], // no sign on unsigned conversions
    ['[%08x]', [0xbeef], '[0000beef]'],
    ['[%-8x]', [0xbeef], '[beef    ]'],
    ['[%2d]', [12345], '[12345]'], // width is a minimum
    ['[%020lld]', [-1], '[-0000000000000000001]'],
    ['[%14llu]', [2n ** 40n], '[ 1099511627776]'],
    ['[%c]', [0x41], '[A]'],
    ['[%c]', [0x142], '[B]'], // the low byte
    ['[%3c]', [0x41], '[  A]'],
    ['[%-3c]', [0x41], '[A  ]'],
    ['[%03c]', [0x41], '[  A]'], // the kernel pads %c with spaces only
    ['100%%', [], '100%'],
    ['%d%%', [5], '5%'],
  ];
  for (const [fmt, args, want] of cases) {
    const [r, got] = snprintf(m, env, fmt, args);
    assert.equal(got, want, `${fmt} ${args.join(',')}`);
    assert.equal(r, BigInt(want.length + 1));
  }
});

test('snprintf: %s and the %p family', () => {
  const m = new Mem();
  const env = m.env();
  const str = m.map(cstr('abc'));
  const ip4 = m.map(Uint8Array.of(192, 168, 0, 1));
  const ip6 = m.map(Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
  const cases: [string, (bigint | number)[], string][] = [
    ['[%s]', [str], '[abc]'],
    ['[%5s]', [str], '[  abc]'],
    ['[%-5s]', [str], '[abc  ]'],
    ['[%05s]', [str], '[  abc]'], // strings pad with spaces
    ['[%2s]', [str], '[abc]'],
    ['[%s]', [UNMAPPED], '[]'], // an unreadable string prints as empty
    ['[%s]', [0], '[]'],
    ['%s, %s!', [str, str], 'abc, abc!'],
    ['[%pks] [%pus]', [str, str], '[abc] [abc]'],
    ['[%p]', [0x1234], '[0000000000001234]'],
    ['[%px]', [0xffff888012345678n], '[ffff888012345678]'],
    ['[%pK]', [0x1234], '[0000000000001234]'],
    ['[%10p]', [0x1234], '[      1234]'],
    ['[%-10p]', [0x1234], '[1234      ]'],
    ['[%ps]', [0x1234], '[0x1234]'], // no symbol: the address
    ['[%pS]', [0xabc], '[0xabc]'],
    ['[%pB]', [0xabc], '[0xabc]'],
    ['[%pI4]', [ip4], '[192.168.0.1]'],
    ['[%pi4]', [ip4], '[192.168.000.001]'],
    ['[%pI6]', [ip6], '[2001:0db8:0000:0000:0000:0000:0000:0001]'],
    ['[%pi6]', [ip6], '[20010db8000000000000000000000001]'],
    ['[%pI4]', [UNMAPPED], '[0.0.0.0]'], // unreadable bytes print as zeros
    ['%pxyz|', [0x12], '0000000000000012|'], // the letters after %p belong to it
    ['%d %s %c %lx', [-1, str, 0x7a, 0xffn], '-1 abc z ff'],
  ];
  for (const [fmt, args, want] of cases) {
    const [r, got] = snprintf(m, env, fmt, args);
    assert.equal(got, want, `${fmt}`);
    assert.equal(r, BigInt(want.length + 1), `${fmt}: length`);
  }
});

test('snprintf: formats the kernel refuses are -EINVAL, and nothing is written', () => {
  const m = new Mem();
  const env = m.env();
  const str = m.map(cstr('abc'));
  const refused: [string | Uint8Array, (bigint | number)[]][] = [
    ['%5.2d', [1]], // no precision
    ['%.3s', [str]],
    ['%#x', [1]], // no '#'
    ['%*d', [1, 2]], // no '*'
    ['%hd', [1]], // no h
    ['%zu', [1]], // no z
    ['%o', [1]], // no octal
    ['%n', [1]],
    ['%f', [1]],
    ['%lc', [1]],
    ['%ls', [str]],
    ['%d %d', [1]], // more specifiers than arguments
    ['%d', []],
    ['abc%', [1]], // a lone % at the end
    ['%sx', [str]], // %s followed by a letter
    ['%s1', [str]],
    ['%pZ', [1]],
    ['%pI5', [1]],
    [Uint8Array.of(0x41, 0xc3, 0xa9, 0), []], // not ASCII
    [Uint8Array.of(0x41, 0x01, 0), []], // a control character
  ];
  for (const [fmt, args] of refused) {
    const [r, got] = snprintf(m, env, fmt, args, 8);
    assert.equal(r, neg('EINVAL'), `${typeof fmt === 'string' ? fmt : [...fmt]}`);
    assert.equal(got, '<no NUL>', 'the buffer is left alone');
  }
  // accepted edge cases
  assert.deepEqual(snprintf(m, env, '%s.', [str]), [5n, 'abc.']);
  assert.deepEqual(snprintf(m, env, 'tab\there\n', []), [10n, 'tab\there\n']);
  assert.deepEqual(snprintf(m, env, '%d', [1, 2, 3]), [2n, '1'], 'extra arguments are fine');
  // data_len must be a multiple of 8, at most 12 arguments, and data non-NULL when data_len > 0
  const f = m.map(cstr('x'));
  const d = m.map(104);
  const out = m.map(8);
  assert.equal(call(env, 'snprintf', out, 8, f, d, 12), neg('EINVAL'));
  assert.equal(call(env, 'snprintf', out, 8, f, d, 104), neg('EINVAL'));
  assert.equal(call(env, 'snprintf', out, 8, f, 0, 8), neg('EINVAL'));
  assert.equal(call(env, 'snprintf', out, 8, f, d, 96), 2n);
  assert.equal(call(env, 'snprintf', out, 8, f, 0, 0), 2n);
});

test('snprintf: truncation to str_size, NULL buffer of size 0, bad pointers', () => {
  const m = new Mem();
  const env = m.env();
  assert.deepEqual(snprintf(m, env, 'hello', [], 4), [6n, 'hel']);
  assert.deepEqual(snprintf(m, env, 'hello', [], 6), [6n, 'hello']);
  assert.deepEqual(snprintf(m, env, 'hello', [], 1), [6n, '']);
  assert.deepEqual(snprintf(m, env, '%d', [123456], 3), [7n, '12']);
  assert.deepEqual(snprintf(m, env, '[%8d]', [1], 5), [11n, '[   ']);
  assert.deepEqual(snprintf(m, env, 'hello %d', [42], 0), [9n, ''], 'size 0: only the length');
  const f = m.map(cstr('hi'));
  assertFault(() => call(env, 'snprintf', UNMAPPED, 8, f, 0, 0));
  assertFault(() => call(env, 'snprintf', m.map(8), 8, UNMAPPED, 0, 0));
  assertFault(() => call(env, 'snprintf', m.map(8), 8, f, UNMAPPED, 8));
});

test('snprintf: strings share the 512-byte argument buffer (truncated, then -ENOSPC)', () => {
  const m = new Mem();
  const env = m.env();
  const s100 = m.map(cstr('y'.repeat(100)));
  // five strings take 5 × 101 bytes; the sixth gets the 7 bytes left: 6 characters and a NUL
  const [r6, got6] = snprintf(m, env, '%s%s%s%s%s%s', [s100, s100, s100, s100, s100, s100], 1024);
  assert.equal(got6, 'y'.repeat(506));
  assert.equal(r6, 507n);
  const [r7] = snprintf(m, env, '%s%s%s%s%s%s%s', [s100, s100, s100, s100, s100, s100, s100], 1024);
  assert.equal(r7, neg('ENOSPC'));
  // one string longer than the buffer: 511 characters
  const s600 = m.map(cstr('z'.repeat(600)));
  assert.deepEqual(snprintf(m, env, '%s', [s600], 1024), [512n, 'z'.repeat(511)]);
  // Linux's bstr_printf counts a string prepared by bpf_bprintf_prepare (%pI4, %pks, %pB…)
  // only while the output buffer has room; mirrored, so the size-0 length misses it
  const ip = m.map(Uint8Array.of(10, 0, 0, 1));
  assert.deepEqual(snprintf(m, env, '%pI4', [ip], 0), [1n, '']);
  assert.deepEqual(snprintf(m, env, '%pI4', [ip], 2), [9n, '1']);
  // a number after a full buffer
  assert.equal(snprintf(m, env, '%s%s%s%s%s%s%d', [s100, s100, s100, s100, s100, s100, 1], 1024)[0], neg('ENOSPC'));
  // twelve 64-bit numbers fit
  const twelve = Array.from({ length: 12 }, (_, k) => k);
  assert.deepEqual(snprintf(m, env, '%lld'.repeat(12), twelve), [15n, '01234567891011']);
});

// ───────────────────────────── trace_printk / trace_vprintk ─────────────────────────────

test('trace_printk: the line goes to the trace pipe; at most 3 arguments; the length is returned', () => {
  const m = new Mem();
  const k = makeKernel();
  const env = m.env(k);
  const str = m.map(cstr('world'));
  const fmt = (s: string) => {
    const b = cstr(s);
    return [m.map(b), b.length] as const;
  };
  let [f, n] = fmt('hello %s %d %x\n');
  assert.equal(call(env, 'trace_printk', f, n, str, -7, 0xff), 18n);
  assert.deepEqual(k.lines, ['hello world -7 ff\n']);
  [f, n] = fmt('%d %d %d %d');
  assert.equal(call(env, 'trace_printk', f, n, 1, 2, 3), neg('EINVAL'), 'a fourth specifier');
  assert.equal(k.lines.length, 1, 'nothing printed');
  [f, n] = fmt('%lu %llx %c');
  assert.equal(call(env, 'trace_printk', f, n, 2n ** 64n - 1n, 0xabcn, 0x21), 26n);
  assert.equal(k.lines[1], '18446744073709551615 abc !');
  // the format must hold a NUL within fmt_size bytes
  const nonul = m.map(enc('abc'));
  assert.equal(call(env, 'trace_printk', nonul, 3), neg('EINVAL'));
  [f, n] = fmt('abc');
  assert.equal(call(env, 'trace_printk', f, 2), neg('EINVAL'), 'fmt_size cuts the NUL off');
  assert.equal(call(env, 'trace_printk', f, n), 3n);
  assert.equal(k.lines.at(-1), 'abc');
  // a message longer than the 1024-byte buffer is cut to 1023 bytes; the whole length is returned
  const w = m.map(cstr('w'));
  [f, n] = fmt('%600s|%-600d');
  assert.equal(call(env, 'trace_printk', f, n, w, 7), 1201n);
  const whole = ' '.repeat(599) + 'w|7' + ' '.repeat(599);
  assert.equal(k.lines.at(-1), whole.slice(0, MAX_BPRINTF_BUF - 1));
  // without a Runtime the message goes nowhere, but the call succeeds
  [f, n] = fmt('x%d');
  assert.equal(call(m.env(), 'trace_printk', f, n, 5), 2n);
  assertFault(() => call(env, 'trace_printk', UNMAPPED, 4));
});

test('trace_vprintk: up to 12 arguments from a u64 array', () => {
  const m = new Mem();
  const k = makeKernel();
  const env = m.env(k);
  const f = cstr('%d-%d-%d-%d-%d %s');
  const fa = m.map(f);
  const str = m.map(cstr('end'));
  const data = new Uint8Array(48);
  const dv = new DataView(data.buffer);
  [1n, 2n, 3n, 4n, u64(-5), str].forEach((v, i) => dv.setBigUint64(8 * i, v, true));
  const d = m.map(data);
  assert.equal(call(env, 'trace_vprintk', fa, f.length, d, 48), 14n);
  assert.deepEqual(k.lines, ['1-2-3-4--5 end']);
  assert.equal(call(env, 'trace_vprintk', fa, f.length, d, 40), neg('EINVAL'), 'six specifiers, five arguments');
  assert.equal(call(env, 'trace_vprintk', fa, f.length, d, 44), neg('EINVAL'), 'not a multiple of 8');
  assert.equal(call(env, 'trace_vprintk', fa, f.length, 0, 8), neg('EINVAL'), 'NULL data');
  assert.equal(call(env, 'trace_vprintk', fa, f.length, d, 13 * 8), neg('EINVAL'), 'more than 12');
  const plain = cstr('no args');
  assert.equal(call(env, 'trace_vprintk', m.map(plain), plain.length, 0, 0), 7n);
  assert.equal(k.lines.at(-1), 'no args');
});

// ───────────────────────────── through the interpreter ─────────────────────────────

const run = (text: string, mem: Uint8Array) => execute(assemble(text), { mem, helpers: registry });

test('interpreter: probe_read_kernel_str and probe_read from a program', () => {
  // mem: "hi\0" at 0, destination at 16..31
  const mem = new Uint8Array(32).fill(0xaa, 16);
  mem.set(cstr('hi'));
  const copy = run(
    `r6 = r1
     r1 = r6
     r1 += 16
     r2 = 8
     r3 = r6
     call bpf_probe_read_kernel_str#115
     exit`,
    mem,
  );
  assert.equal(copy.r0, 3n);
  assert.deepEqual(copy.mem.subarray(16, 20), Uint8Array.of(0x68, 0x69, 0, 0xaa));
  const bad = run(
    `r1 += 16
     r2 = 8
     r3 = 8
     call bpf_probe_read#4
     exit`,
    mem,
  );
  assert.equal(bad.r0, neg('EFAULT'));
  assert.deepEqual(bad.mem.subarray(16, 24), new Uint8Array(8), 'destination zeroed');
  assert.deepEqual(bad.mem.subarray(24, 32), new Uint8Array(8).fill(0xaa));
  // the destination is the program's own memory: a bad one stops the program
  assert.throws(
    () => run(`r3 = r1
               r1 = 8
               r2 = 4
               call bpf_probe_read_user#112
               exit`, mem),
    (e: unknown) => e instanceof BpfError && e.errno === 'EFAULT',
  );
});

test('interpreter: snprintf and strncmp from a program, with the stack as buffer', () => {
  // mem: format at 0, u64 argument at 16, "abc" at 24, output copied to 40
  const mem = new Uint8Array(64);
  mem.set(cstr('n=%05d'));
  new DataView(mem.buffer).setBigUint64(16, 42n, true);
  mem.set(cstr('abc'), 24);
  const r = run(
    `r6 = r1
     r1 = r10
     r1 += -16
     r2 = 16
     r3 = r6
     r4 = r6
     r4 += 16
     r5 = 8
     call bpf_snprintf#165
     r7 = r0
     r1 = r6
     r1 += 40
     r2 = 8
     r3 = r10
     r3 += -16
     call bpf_probe_read_kernel#113
     r0 = r7
     exit`,
    mem,
  );
  assert.equal(r.r0, 8n);
  assert.equal(dec(r.mem.subarray(40, 48)), 'n=00042\0');
  const cmp = run(
    `r6 = r1
     r1 = r6
     r1 += 24
     r2 = 4
     r3 = r6
     r3 += 24
     call bpf_strncmp#182
     exit`,
    mem,
  );
  assert.equal(cmp.r0, 0n);
});
