/**
 * The filter compiler against the real tool: for each expression, the
 * packets tsbpf's compiled filter accepts (run through the JIT, as `tsbpf
 * pcap` runs it) must be exactly the packets `tcpdump -r FILE -w OUT EXPR`
 * keeps, on synthetic captures full of odd, tagged and truncated packets
 * (test/pcap-gen.ts). Also: the program `tcpdump -dd` prints for an
 * expression, read back with the classic assembler, accepts the same packets
 * as ours; `tcpdump -O` (no optimiser) agrees with our unoptimised programs;
 * and the named constants and protocol names mean what tcpdump says.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClassicArray } from '../src/cbpf/asm.js';
import * as c from '../src/cbpf/opcodes.js';
import { SockFilter } from '../src/cbpf/instruction.js';
import { compileFilter } from '../src/cbpf/pcap-filter/index.js';
import { CONSTANTS, ETHER_PROTOCOLS, IP_PROTOCOLS, SERVICES } from '../src/cbpf/pcap-filter/names.js';
import { readCapture, writePcap } from '../src/pcap/capture.js';
import { PacketRecord } from '../src/pcap/record.js';
import { PacketEngine, PacketFilter } from '../src/pcap/packet-filter.js';
import { generatePackets, indexOf } from './pcap-gen.js';

const TCPDUMP = ['/usr/bin/tcpdump', '/usr/sbin/tcpdump'].find((p) => spawnSync(p, ['--version']).status === 0);
const skip = TCPDUMP ? false : 'tcpdump is not installed (Debian package tcpdump)';

/** The expressions compared with tcpdump: every primitive, qualifier rule and operator, and combinations of them. */
export const EXPRESSIONS: readonly string[] = [
  '',
  // protocols
  'ip', 'ip6', 'arp', 'rarp', 'tcp', 'udp', 'icmp', 'icmp6', 'sctp', 'igmp', 'pim', 'vrrp', 'carp', 'ah', 'esp', 'igrp',
  'atalk', 'aarp', 'decnet', 'lat', 'sca', 'moprc', 'mopdl', 'ipx', 'netbeui', 'stp', 'iso',
  // hosts and networks
  'host 10.0.0.1', 'src host 10.0.0.2', 'dst host 192.168.1.1', 'host 10.0.0.1 and host 10.0.0.2',
  'src and dst host 10.0.0.1', 'src or dst host 8.8.8.8', 'ip host 10.0.0.1', 'arp host 10.0.0.1', 'rarp host 1.2.3.4',
  'arp dst 192.168.1.20', 'ip src 172.16.5.4', 'host 10.1', 'host 167772161', 'net 10', 'net 10.0', 'net 10.0.0.0/8',
  'net 192.168.1.0/24', 'net 172.16.0.0 mask 255.240.0.0', 'src net 10.0.0.0/16', 'dst net 0.0.0.0/0',
  'ip6 host ::1', 'host fe80::1', 'src host 2001:db8::1', 'dst host ff02::1', 'net fe80::/10', 'ip6 net 2001:db8::/32',
  'net 2001:db8:1::/48', 'ip6 src net ::/0', 'host ::ffff:10.0.0.1',
  // link layer
  'ether host 00:11:22:33:44:55', 'ether src 02:00:00:00:00:01', 'ether dst ff:ff:ff:ff:ff:ff',
  'ether src 00:11:22:33:44:66 or aa:bb:cc:dd:ee:ff', 'ether dst 01-02-03-04-05-06', 'ether host 0011.2233.4455',
  'ether src and dst 00:11:22:33:44:55', 'ether broadcast', 'broadcast', 'ether multicast', 'multicast', 'ip multicast',
  'ip6 multicast', 'ip broadcast', 'not broadcast and multicast', 'ether proto 0x0800', 'ether proto \\arp',
  'ether proto \\ip6', 'ether proto 0x88cc', 'ether proto 0x42', 'ether proto 0xaa', 'ether proto 6', 'ether proto 0xe0',
  'ether proto \\atalk', 'ether proto \\aarp', 'ether proto 1500', 'ether proto 1501', 'ether proto \\loopback',
  // ports
  'port 80', 'port 53', 'tcp port 443', 'udp port 123', 'sctp port 80', 'src port 22', 'dst port 8080',
  'tcp src port 80 or 443', 'port 80 or 443 or 53', 'tcp dst port 0', 'port 65535', 'src or dst port 1024',
  'src and dst port 53', 'udp src port 53 and udp dst port 53', 'portrange 1000-2000', 'tcp portrange 0-1023',
  'udp dst portrange 50-60', 'portrange 2000-1000', 'src portrange 80-80', 'portrange 53',
  // protocol numbers
  'proto 6', 'ip proto 47', 'ip proto \\udp', 'ip6 proto 58', 'ip6 proto 44', 'proto \\icmp', 'ip proto 0',
  'ip proto \\gre', 'proto 132',
  // lengths
  'less 60', 'greater 100', 'len = 60', 'len > 1000', 'len - 14 > 100', 'len < 64 and tcp', 'greater 1500', 'less 14',
  // VLAN: offsets move for everything after `vlan`
  'vlan', 'vlan 100', 'vlan 200 and ip', 'vlan and vlan', 'vlan 100 and vlan 200', 'vlan and tcp port 80',
  'vlan and host 10.0.0.1', 'not vlan', 'vlan or ip', 'ip or vlan', 'vlan and arp', 'vlan and ip6 and udp',
  'vlan 4095 or vlan 1', 'tcp or vlan and tcp',
  // byte offsets, arithmetic and relations
  'ip[0] & 0xf > 5', 'ip[6:2] & 0x1fff != 0', 'ip[6] & 0x20 != 0', 'ip[2:2] > 576', 'ip[9] = 17', 'ip[12:4] = 0x0a000001',
  'ip[8] < 64', 'ip[16] >= 224', 'tcp[tcpflags] & tcp-syn != 0', 'tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn',
  'tcp[13] = 0x12', 'tcp[tcpflags] & (tcp-fin|tcp-push) != 0', 'tcp[tcpflags] & tcp-rst != 0', 'tcp[12] >> 4 > 5',
  'tcp[0:2] = 80', 'tcp[2:2] < 1024', 'tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420', 'udp[0:2] = 53', 'udp[4:2] > 20',
  'udp[2:2] = 53 or udp[0:2] = 53', 'icmp[icmptype] = icmp-echo', 'icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply',
  'icmp[0] = 3 and icmp[1] = 1', 'icmp6[icmp6type] = icmp6-echo', 'icmp6[0] = 135 or icmp6[0] = 136', 'ip6[6] = 17',
  'ip6[0] & 0xf0 = 0x60', 'arp[7] = 1', 'arp[6:2] = 2', 'ether[0] & 1 != 0', 'ether[12:2] = 0x8100', 'ether[0:4] = 0xffffffff',
  'ip[2:2] - ((ip[0] & 0xf) << 2) > 100', 'ip[2:2] * 2 > 1000', 'ip[2:2] / 2 > 300', 'ip[2:2] % 7 = 3', 'ip[0] ^ 0x45 = 0',
  'ip[0] | 0x0f = 0x4f', 'ip[1] + ip[8] > 100', '-ip[8] > 0', 'ip[ip[0] & 0xf] != 0', 'ether[len - 1] = 0',
  'len - 14 = ip[2:2]', 'ip[0] * 2 ^ 3 + 1 = 0x8b', 'igmp[0] = 0x11', 'pim[0] & 0xf = 0', 'sctp[0:2] = 80',
  // boolean structure and implied qualifiers
  'tcp and not port 22', '(tcp or udp) and not (port 53 or port 80)', 'not (host 10.0.0.1 or host 10.0.0.2)',
  '!tcp && !udp', 'tcp || udp', 'not not ip', 'ip and (tcp or icmp) and not vlan', 'tcp port 80 and host 10.0.0.1',
  'host 10.0.0.1 and port 80 or 443', 'port 80 or 443 and host 1.2.3.4', 'not host 10.0.0.1 and 10.0.0.2',
  'host (10.0.0.1 or 1.2.3.4)', 'port (80 or 443)', 'not port 80 and not 443', 'src port 80 or dst 10.0.0.1',
  'ip6 and tcp port 80', 'not port 22 and not port 53', 'arp or rarp or ip6', '(port 53 and udp) or (port 80 and tcp)',
  // truncated packets decide these: a load past the captured bytes rejects
  'not tcp[100] = 0', 'not (tcp port 80 and ip6)', 'not udp[8:4] = 0', 'tcp[20] = 0 or ip', 'not ether[100] = 0',
  'ip6 or tcp[50] = 1', 'not (ip6 and tcp port 80 and host 10.0.0.1)', 'not (port 80 and host 10.0.0.1)',
  'not (vlan and tcp)', 'not icmp[4:4] = 0', 'not ip[2:2] > 576', 'not (ether[20] = 1 and ip6)', 'tcp[100] = 5 or 1 = 1',
  // libpcap's optimiser reorders and cycles on these (see cfg.ts)
  'not port 443 or 53', 'port 443 and 80', 'tcp port 443 and tcp port 80', 'port 443 and not 80',
  'host 1.2.3.4 or 10.0.0.1', '(ip6[40:2] = 443 or ip6[42:2] = 443) and (ip6[40:2] = 80 or ip6[42:2] = 80)',
  'ip[0]=1 or port 443 and 443', 'not host 192.168.1.1 and not 10.0.0.1', 'port 443 or 80 or tcp',
  'tcp[0:2] = 80 or (port 80 and 53)', 'not port 53 and not 80 or arp[7] = 2',
  '(not (not not ip) or ((ip[2:2] > 576))) or (port 443 and not 80)',
  'not host 10.0.0.1 and 10.0.0.1 or port 80 and not 443', 'ip6[6] = 6 or port 443 and port 443',
  // long programs, with ja trampolines
  Array.from({ length: 100 }, (_, i) => `port ${i + 1}`).join(' or '),
  `${Array.from({ length: 40 }, (_, i) => `host 10.0.${i}.1`).join(' or ')} or vlan and ${Array.from({ length: 30 }, (_, i) => `port ${i + 1}`).join(' or ')}`,
  // tcpdump refuses these; so must we
  'ip and ip6', 'tcp and not tcp', '1 = 0',
];

interface Capture {
  file: string;
  bytes: Uint8Array;
  packets: PacketRecord[];
}

let dir: string | undefined;
const captures: Capture[] = [];

/** Two captures from different seeds, written once per run in a temporary directory. */
function setup(): Capture[] {
  if (captures.length) return captures;
  dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-pcap-'));
  for (const [seed, count] of [[1, 2500], [7, 2500]] as const) {
    const packets = generatePackets(seed, count);
    const file = path.join(dir, `seed${seed}.pcap`);
    const bytes = writePcap(packets);
    writeFileSync(file, bytes);
    captures.push({ file, bytes, packets });
  }
  return captures;
}

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function tcpdump(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(TCPDUMP!, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** Indices of the packets tcpdump keeps (its output read back by our reader, matched by timestamp). */
function tcpdumpKeeps(cap: Capture, expr: string, optimize = true): Set<number> | string {
  const out = path.join(dir!, 'out.pcap');
  const r = tcpdump([...(optimize ? [] : ['-O']), '-r', cap.file, '-w', out, '--', expr]);
  if (r.status !== 0) return r.stderr.trim();
  return new Set(readCapture(new Uint8Array(readFileSync(out))).packets.map(indexOf));
}

function accepted(prog: readonly SockFilter[], packets: readonly PacketRecord[], engine: PacketEngine = 'jit'): Set<number> {
  const filter = new PacketFilter(prog, { engine });
  const keep = new Set<number>();
  packets.forEach((p, i) => {
    if (filter.run(p.data, p.len) !== 0) keep.add(i);
  });
  return keep;
}

function difference(ours: Set<number>, theirs: Set<number>): string {
  const onlyOurs = [...ours].filter((i) => !theirs.has(i));
  const onlyTheirs = [...theirs].filter((i) => !ours.has(i));
  return `accepted only by tsbpf: [${onlyOurs.slice(0, 10)}], only by tcpdump: [${onlyTheirs.slice(0, 10)}]`;
}

function compileOrError(expr: string, optimize = true): SockFilter[] | Error {
  try {
    return compileFilter(expr, { optimize });
  } catch (e) {
    return e as Error;
  }
}

describe('pcap filters against tcpdump', { skip }, () => {
  test(`${EXPRESSIONS.length} expressions accept exactly the packets tcpdump keeps`, () => {
    assert.ok(EXPRESSIONS.length >= 100);
    const caps = setup();
    let nonEmpty = 0;
    for (const expr of EXPRESSIONS) {
      const prog = compileOrError(expr);
      for (const cap of caps) {
        const theirs = tcpdumpKeeps(cap, expr);
        if (typeof theirs === 'string') {
          assert.ok(prog instanceof Error, `tcpdump refuses '${expr}' (${theirs}); tsbpf compiled it`);
          continue;
        }
        assert.ok(!(prog instanceof Error), `'${expr}': ${prog instanceof Error ? prog.message : ''}`);
        // as `tsbpf pcap` filters a file: in place, in batches, on the JIT
        const ours = new Set(new PacketFilter(prog).selectFile(cap.bytes));
        assert.deepEqual(ours, theirs, `'${expr}' on ${path.basename(cap.file)}: ${difference(ours, theirs)}`);
        if (ours.size > 0 && ours.size < cap.packets.length) nonEmpty++;
      }
    }
    // The capture must exercise the expressions: most of them split it.
    assert.ok(nonEmpty > EXPRESSIONS.length, `only ${nonEmpty} expression/capture pairs accept some but not all packets`);
  });

  test('the programs of tcpdump -dd accept the same packets as ours, on every engine', (t) => {
    const [cap] = setup();
    let identical = 0;
    let compared = 0;
    for (const expr of EXPRESSIONS) {
      const r = tcpdump(['-r', cap!.file, '-dd', '--', expr]);
      if (r.status !== 0) continue;
      const theirs = parseClassicArray(r.stdout);
      const ours = compileFilter(expr);
      compared++;
      if (JSON.stringify(theirs) === JSON.stringify(ours)) identical++;
      const want = accepted(theirs, cap!.packets, 'classic');
      for (const engine of ['jit', 'interp', 'classic'] as const) {
        const got = accepted(ours, cap!.packets, engine);
        assert.deepEqual(got, want, `'${expr}' (${engine}): ${difference(got, want)}`);
      }
    }
    t.diagnostic(`${identical} of ${compared} programs are instruction for instruction tcpdump's`);
    assert.ok(identical > compared / 2, `only ${identical} of ${compared} programs are identical to tcpdump's`);
  });

  test('unoptimised programs agree with tcpdump -O', () => {
    const [cap] = setup();
    for (const expr of EXPRESSIONS.filter((_, i) => i % 3 === 0)) {
      const theirs = tcpdumpKeeps(cap!, expr, false);
      const prog = compileOrError(expr, false);
      if (typeof theirs === 'string') {
        assert.ok(prog instanceof Error, `tcpdump -O refuses '${expr}' (${theirs}); tsbpf compiled it`);
        continue;
      }
      assert.ok(!(prog instanceof Error), `'${expr}': ${prog instanceof Error ? prog.message : ''}`);
      const ours = accepted(prog, cap!.packets, 'classic');
      assert.deepEqual(ours, theirs, `'${expr}' -O: ${difference(ours, theirs)}`);
    }
  });

  /** The constant a `jeq #k` of tcpdump's program for `expr` compares with (the first or the last one). */
  function comparedConstant(expr: string, which: 'first' | 'last' = 'last'): number | undefined {
    const r = tcpdump(['-r', setup()[0]!.file, '-dd', '--', expr]);
    if (r.status !== 0) return undefined;
    const jeqs = parseClassicArray(r.stdout).filter((f) => f.code === (c.BPF_JMP | c.BPF_JEQ | c.BPF_K));
    return (which === 'first' ? jeqs[0] : jeqs[jeqs.length - 1])?.k;
  }

  test('named constants have tcpdump\'s values', () => {
    for (const [name, value] of CONSTANTS) {
      // `ether[0] = 1 + NAME` is one jeq whose constant is NAME + 1 (so a NAME of 0 is visible too)
      assert.equal(comparedConstant(`ether[0] = 1 + ${name}`), value + 1, name);
    }
  });

  test('IP protocol and ether-type names resolve as tcpdump resolves them', (t) => {
    let unknown = 0;
    for (const [name, value] of IP_PROTOCOLS) {
      const k = comparedConstant(`ip proto \\${name}`);
      if (k === undefined) unknown++;
      else assert.equal(k, value, `ip proto \\${name}`);
    }
    for (const [name, value] of ETHER_PROTOCOLS) {
      if (value <= 1500) continue; // LLC SAPs compile to other tests
      assert.equal(comparedConstant(`ether proto \\${name}`, 'first'), value, `ether proto \\${name}`);
    }
    if (unknown) t.diagnostic(`${unknown} protocol names are not in this host's /etc/protocols`);
  });

  test('service names have tcpdump\'s ports and protocols', (t) => {
    let unknown = 0;
    for (const [name, s] of SERVICES) {
      const k = comparedConstant(`${s.tcp ? 'tcp' : 'udp'} port ${name}`);
      if (k === undefined) {
        unknown++;
        continue;
      }
      assert.equal(k, s.port, name);
      for (const proto of ['tcp', 'udp'] as const) {
        const theirs = tcpdump(['-r', setup()[0]!.file, '-dd', '--', `${proto} port ${name}`]).status === 0;
        assert.equal(!(compileOrError(`${proto} port ${name}`) instanceof Error), theirs, `${proto} port ${name}`);
      }
    }
    if (unknown) t.diagnostic(`${unknown} service names are not in this host's /etc/services`);
  });
});
