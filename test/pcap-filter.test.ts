/**
 * The pcap-filter compiler on its own: tokens, errors that point at the
 * token, the meaning of primitives on packets built here byte by byte, the
 * qualifier and precedence rules, and properties: libpcap's optimisations
 * change nothing for packets whose loads all succeed, and the classic
 * interpreter, the eBPF interpreter and the JIT agree on every filter.
 * (The comparison with tcpdump itself is pcap-tcpdump.test.ts.)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BpfError } from '../src/errno.js';
import { checkSocketFilter } from '../src/cbpf/check.js';
import { SockFilter } from '../src/cbpf/instruction.js';
import { compileFilter, FilterError } from '../src/cbpf/pcap-filter/index.js';
import { tokenize } from '../src/cbpf/pcap-filter/lexer.js';
import { PacketFilter } from '../src/pcap/packet-filter.js';
import { generatePackets } from './pcap-gen.js';

// ── packets, built from the header layouts of RFC 791, 8200, 793, 768, 826 ──

const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const ip4 = (s: string): number[] => s.split('.').map(Number);
const mac = (s: string): number[] => s.split(':').map((h) => parseInt(h, 16));
const MAC_A = '00:11:22:33:44:55';
const MAC_B = '02:00:00:00:00:01';

function ether(type: number, payload: number[], tags: number[] = []): number[] {
  return [...mac(MAC_B), ...mac(MAC_A), ...tags.flatMap((id) => [0x81, 0x00, ...be16(id)]), ...be16(type), ...payload];
}

interface Ip4Options {
  proto: number;
  src?: string;
  dst?: string;
  /** fragment offset in 8-byte units */
  fragment?: number;
  optionWords?: number;
}

function ipv4(o: Ip4Options, payload: number[]): number[] {
  const words = o.optionWords ?? 0;
  const total = 20 + 4 * words + payload.length;
  return [0x45 + words, 0, ...be16(total), 0, 1, ...be16(o.fragment ?? 0), 64, o.proto, 0, 0, ...ip4(o.src ?? '10.0.0.1'), ...ip4(o.dst ?? '10.0.0.2'), ...new Array<number>(4 * words).fill(1), ...payload];
}

const tcp = (sport: number, dport: number, flags: number): number[] => [...be16(sport), ...be16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0];
const udp = (sport: number, dport: number, payload: number[] = []): number[] => [...be16(sport), ...be16(dport), ...be16(8 + payload.length), 0, 0, ...payload];

/** 2001:db8::1 and 2001:db8::2 */
const V6_A = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1];
const V6_B = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 2];

function ipv6(next: number, payload: number[], ext: number[] = []): number[] {
  return [0x60, 0, 0, 0, ...be16(ext.length + payload.length), next, 64, ...V6_A, ...V6_B, ...ext, ...payload];
}

function arpRequest(sender: string, target: string): number[] {
  return [0, 1, 8, 0, 6, 4, 0, 1, ...mac(MAC_A), ...ip4(sender), 0, 0, 0, 0, 0, 0, ...ip4(target)];
}

interface Packet {
  data: Uint8Array;
  len: number;
}

const packet = (bytes: number[], len = bytes.length): Packet => ({ data: Uint8Array.from(bytes), len });

function accepts(expr: string, p: Packet, engine: 'jit' | 'interp' | 'classic' = 'jit'): boolean {
  return new PacketFilter(compileFilter(expr), { engine }).run(p.data, p.len) !== 0;
}

function expectAll(p: Packet, yes: readonly string[], no: readonly string[]): void {
  for (const expr of yes) assert.equal(accepts(expr, p), true, `'${expr}' should accept`);
  for (const expr of no) assert.equal(accepts(expr, p), false, `'${expr}' should reject`);
}

// ── tests ───────────────────────────────────────────────────────────────

describe('pcap-filter tokens', () => {
  test('words are classified as tcpdump\'s scanner does', () => {
    const kinds = (s: string): string[] => tokenize(s).slice(0, -1).map((t) => `${t.kind}:${t.kind === 'num' ? t.num : t.kind === 'kw' || t.kind === 'id' ? t.name : t.text}`);
    // the longest word wins, so these are names, not arithmetic
    assert.deepEqual(kinds('len-14 > 1'), ['id:len-14', 'op:>', 'num:1']);
    assert.deepEqual(kinds('portrange 10-20'), ['kw:portrange', 'id:10-20']);
    // numbers: hex, octal (leading 0), decimal; named constants
    assert.deepEqual(kinds('0x1F 010 10 tcp-syn tcpflags'), ['num:31', 'num:8', 'num:10', 'num:2', 'num:13']);
    assert.deepEqual(kinds('\\tcp && ! ||'), ['id:tcp', 'kw:and', 'kw:not', 'kw:or']);
    assert.deepEqual(kinds('ip[2:2]'), ['kw:ip', 'op:[', 'num:2', 'op::', 'num:2', 'op:]']);
    assert.deepEqual(kinds('10.1 10.0.0.1'), ['hid:10.1', 'hid:10.0.0.1']);
  });

  test('addresses: MAC in each of tcpdump\'s forms, IPv6 with and without an IPv4 tail', () => {
    const bytes = (s: string): number[] => Array.from(tokenize(s)[0]!.bytes ?? []);
    const want = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
    for (const form of ['00:11:22:33:44:55', '0:11:22:33:44:55', '00-11-22-33-44-55', '0011.2233.4455', '001122334455', '0.11.22.33.44.55']) {
      assert.equal(tokenize(form)[0]!.kind, 'eid', form);
      assert.deepEqual(bytes(form), want, form);
    }
    assert.deepEqual(bytes('fe80::1'), [0xfe, 0x80, ...new Array<number>(13).fill(0), 1]);
    assert.deepEqual(bytes('::'), new Array<number>(16).fill(0));
    assert.deepEqual(bytes('::ffff:10.0.0.1'), [...new Array<number>(10).fill(0), 0xff, 0xff, 10, 0, 0, 1]);
    assert.deepEqual(bytes('1:2:3:4:5:6:7:8'), [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
  });
});

describe('pcap-filter errors point at the token', () => {
  // [expression, the offending text, errno, what the message says]
  const cases: [string, string, string, RegExp][] = [
    ['tcp port 8x0', '8x0', 'EINVAL', /unknown port '8x0'/],
    ['port 08', '08', 'EINVAL', /non-octal/],
    ['ip[0] = 4294967296', '4294967296', 'EINVAL', /overflows 32 bits/],
    ['host 1.2.3.256', '1.2.3.256', 'EINVAL', /invalid IPv4 address/],
    ['host 1::2::3', '1::2::3', 'EINVAL', /bogus address/],
    ['ip[2:3] > 4', '3', 'EINVAL', /data size must be 1, 2, or 4/],
    ['ip[0] / 0 = 1', '/', 'EINVAL', /division by zero/],
    ['ip[0] % (2 - 2) = 1', '%', 'EINVAL', /modulus by zero/],
    ['ip[0] << 32 = 1', '<<', 'EINVAL', /shift by more than 31 bits/],
    ['port 70000', '70000', 'EINVAL', /illegal port number 70000 > 65535/],
    ['vlan 5000', '5000', 'EINVAL', /VLAN tag 5000 greater than maximum 4095/],
    ['net 10.0.0.1/8', '10.0.0.1', 'EINVAL', /non-network bits set in "10.0.0.1\/8"/],
    ['net 10.0.0.0/33', '33', 'EINVAL', /mask length must be <= 32/],
    ['host 10.0.0.0/8', '10.0.0.0', 'EINVAL', /networks only/],
    ['ip6 host 1.2.3.4', '1.2.3.4', 'EINVAL', /'ip6' modifier applied to ip host/],
    ['ip host ::1', '::1', 'EINVAL', /'ip' modifier applied to ip6 host/],
    ['ip port 80', '80', 'EINVAL', /illegal qualifier of 'port'/],
    ['udp port ssh', 'ssh', 'EINVAL', /port 'ssh' is tcp/],
    ['host foo', 'foo', 'EINVAL', /unknown host 'foo'/],
    ['1.2.3.4', '1.2.3.4', 'EINVAL', /needs a qualifier/],
    ['tcp or 80', '80', 'EINVAL', /bare value needs qualifiers/],
    ['vlan 1 or 2', '2', 'EINVAL', /bare value needs qualifiers/],
    ['host 1.2.3.4 and (port 80', '', 'EINVAL', /expected '\)'/],
    ['tcp port 80)', ')', 'EINVAL', /unmatched '\)'/],
    ['ip[0] 1', '1', 'EINVAL', /expected a comparison/],
    ['ether', 'ether', 'EINVAL', /alone is not a filter/],
    ['ether host 1.2.3.4', '1.2.3.4', 'EINVAL', /not a link-layer address/],
    ['ah[0] = 1', 'ah', 'EOPNOTSUPP', /not supported/],
    ['inbound', 'inbound', 'EOPNOTSUPP', /not supported/],
    ['tcp port 80 @', '@', 'EINVAL', /unexpected character '@'/],
  ];
  for (const [expr, token, errno, detail] of cases) {
    test(expr, () => {
      const column = token === '' ? expr.length + 1 : expr.lastIndexOf(token) + 1;
      assert.throws(() => compileFilter(expr), (e: unknown) => {
        assert.ok(e instanceof FilterError, `${String(e)}`);
        assert.equal(e.errno, errno);
        assert.match(e.detail, detail);
        assert.equal(e.column, column, e.message);
        // the caret sits under the token, on the line after the expression
        const lines = e.message.split('\n');
        const at = lines.indexOf(expr);
        assert.ok(at >= 0, e.message);
        assert.equal(lines[at + 1]!.indexOf('^'), column - 1, e.message);
        return true;
      });
    });
  }

  test('an expression that rejects every packet is refused, as tcpdump refuses it', () => {
    for (const expr of ['ip and not ip', 'tcp and udp', 'ip and 1 = 0']) {
      assert.throws(() => compileFilter(expr), (e: unknown) => e instanceof BpfError && e.errno === 'EINVAL' && /rejects all packets/.test(e.message), expr);
    }
  });

  test('arithmetic that needs more than 16 scratch words is E2BIG', () => {
    const nested = Array.from({ length: 20 }, (_, i) => `ip[${i}] + (`).join('') + '1' + ')'.repeat(20);
    for (const optimize of [true, false]) {
      assert.throws(() => compileFilter(`${nested} = 0`, { optimize }), (e: unknown) => e instanceof BpfError && e.errno === 'E2BIG');
    }
  });
});

describe('pcap-filter primitives on packets', () => {
  const syn = packet(ether(0x0800, ipv4({ proto: 6 }, tcp(1234, 80, 0x02))));

  test('a TCP SYN from 10.0.0.1:1234 to 10.0.0.2:80', () => {
    expectAll(
      syn,
      ['', 'ip', 'tcp', 'port 80', 'dst port 80', 'src port 1234', 'tcp port 80', 'portrange 70-90', 'host 10.0.0.1',
        'src host 10.0.0.1', 'dst host 10.0.0.2', 'net 10.0.0.0/8', 'net 10', 'host 10.0', 'ip[9] = 6', 'proto \\tcp',
        'tcp[tcpflags] & tcp-syn != 0', 'tcp[tcpflags] = tcp-syn', `ether src ${MAC_A}`, `ether dst ${MAC_B}`, 'less 100',
        `len = ${syn.len}`, 'ether proto 0x800', 'not udp', 'udp or tcp', 'src port 1234 and dst 10.0.0.2'],
      ['udp', 'ip6', 'arp', 'vlan', 'src port 80', 'dst host 10.0.0.1', 'port 443', 'tcp[tcpflags] & tcp-ack != 0',
        'greater 1000', 'ether broadcast', 'ether multicast', 'sctp port 80', 'udp port 80', 'net 192.168.0.0/16', 'icmp'],
    );
  });

  test('VLAN tags move the offsets of everything after `vlan`', () => {
    const tagged = packet(ether(0x8100, [...be16(100), ...be16(0x0800), ...ipv4({ proto: 6 }, tcp(1234, 80, 0x02))]));
    expectAll(tagged, ['vlan', 'vlan 100', 'vlan and tcp port 80', 'vlan 100 and ip', 'vlan and host 10.0.0.1'], ['tcp', 'ip', 'vlan 200', 'vlan and udp', 'vlan and vlan']);
    const twice = packet(ether(0x8100, [...be16(100), ...be16(0x8100), ...be16(200), ...be16(0x0800), ...ipv4({ proto: 6 }, tcp(1234, 80, 0x02))]));
    expectAll(twice, ['vlan and vlan', 'vlan 100 and vlan 200', 'vlan and vlan and tcp port 80'], ['vlan and tcp', 'vlan 200 and vlan 100']);
  });

  test('ports are only looked for in first fragments and behind IPv4 options', () => {
    const later = packet(ether(0x0800, ipv4({ proto: 6, fragment: 185 }, tcp(1234, 80, 0x02))));
    expectAll(later, ['tcp', 'ip[6:2] & 0x1fff != 0'], ['port 80', 'tcp port 80', 'tcp[0:2] = 1234']);
    const options = packet(ether(0x0800, ipv4({ proto: 17, optionWords: 2 }, udp(53, 5353))));
    expectAll(options, ['udp port 53', 'src port 53', 'dst port 5353', 'udp[0:2] = 53', 'ip[0] & 0xf = 7'], ['port 8', 'tcp']);
  });

  test('IPv6: a fragment header still names the protocol, but ports are read at the fixed header\'s end only', () => {
    const plain = packet(ether(0x86dd, ipv6(17, udp(5353, 53))));
    expectAll(plain, ['ip6', 'udp', 'udp port 53', 'port 5353', 'host 2001:db8::1', 'src host 2001:db8::1', 'dst net 2001:db8::/32', 'ip6 proto 17'], ['ip', 'tcp', 'dst host 2001:db8::1', 'net fe80::/10', 'ip6 multicast']);
    const fragmented = packet(ether(0x86dd, ipv6(44, tcp(1234, 80, 0x02), [6, 0, 0, 1, 0, 0, 0, 7])));
    expectAll(fragmented, ['ip6', 'tcp', 'ip6 proto 6', 'ip6 proto 44'], ['port 80', 'tcp port 80']);
  });

  test('ARP: host and net look at the protocol addresses', () => {
    const who = packet(ether(0x0806, arpRequest('10.0.0.1', '10.0.0.9')));
    expectAll(who, ['arp', 'host 10.0.0.1', 'arp src 10.0.0.1', 'dst host 10.0.0.9', 'net 10.0.0.0/24', 'arp[7] = 1'], ['ip', 'rarp', 'ip host 10.0.0.1', 'arp dst 10.0.0.1']);
  });

  test('a load past the captured bytes rejects the packet, whatever surrounds it', () => {
    const full = ether(0x0800, ipv4({ proto: 6 }, tcp(1234, 80, 0x02)));
    // cut after the source port: 14 (Ethernet) + 20 (IPv4) + 2
    const cut = packet(full.slice(0, 36), full.length);
    expectAll(cut, ['tcp', 'src port 1234', `len = ${full.length}`], ['port 80', 'not port 80', 'dst port 80', 'not dst port 80']);
  });

  test('as in libpcap, the optimiser drops a load whose outcome does not matter', () => {
    const full = ether(0x0800, ipv4({ proto: 6 }, tcp(1234, 80, 0x02)));
    const cut = packet(full.slice(0, 40), full.length);
    // Either way `tcp[20] = 0 or tcp` is true once the TCP checks passed, so tcp[20] is never loaded.
    assert.equal(new PacketFilter(compileFilter('tcp[20] = 0 or tcp')).run(cut.data, cut.len) !== 0, true);
    assert.equal(new PacketFilter(compileFilter('tcp[20] = 0 or tcp', { optimize: false })).run(cut.data, cut.len) !== 0, false);
  });

  test('len, less and greater use the length on the wire', () => {
    const cut = packet(ether(0x0800, ipv4({ proto: 17 }, udp(1, 2))), 1000);
    expectAll(cut, ['greater 999', 'less 1000', 'len = 1000', 'len - 14 = 986'], ['less 999', 'greater 1001']);
    const runt = packet([1, 2, 3]);
    expectAll(runt, ['', 'less 3', 'not greater 4', 'ether[0] = 1 or less 3'], ['ip', 'not ip', 'ether[5] = 1 or less 3']);
  });
});

describe('pcap-filter grammar', () => {
  const same = (a: string, b: string): void => assert.deepEqual(compileFilter(a), compileFilter(b), `'${a}' and '${b}'`);

  test('a bare value takes the qualifiers of the primitive before it', () => {
    same('port 80 or 443', 'port 80 or port 443');
    same('tcp src port 80 or 443', 'tcp src port 80 or tcp src port 443');
    same('host 1.2.3.4 and not 5.6.7.8', 'host 1.2.3.4 and not host 5.6.7.8');
    same('not host 1.2.3.4 and 5.6.7.8', 'not host 1.2.3.4 and host 5.6.7.8');
    same('host (1.2.3.4 or 5.6.7.8)', 'host 1.2.3.4 or host 5.6.7.8');
    same('host 1.2.3.4 and port 80 or 443', '(host 1.2.3.4 and port 80) or port 443');
    same('net 10.0.0.0/8 or 192.168.0.0/16', 'net 10.0.0.0/8 or net 192.168.0.0/16');
  });

  test('and and or have the same precedence and group to the left; not binds tightest', () => {
    same('tcp or udp and port 53', '(tcp or udp) and port 53');
    same('not tcp and udp', '(not tcp) and udp');
    same('tcp && !udp || icmp', '(tcp and not udp) or icmp');
  });

  test('arithmetic: C-like precedence, but ^ takes its left neighbour and all that follows', () => {
    same('ip[0] + 2 * 3 = 8', 'ip[0] + (2 * 3) = 8');
    same('ip[0] & 0xf << 2 = 20', 'ip[0] & (0xf << 2) = 20');
    same('ip[0] | 1 & 3 = 0', 'ip[0] | (1 & 3) = 0');
    same('ip[0] * 2 ^ 3 + 1 = 0', 'ip[0] * (2 ^ (3 + 1)) = 0');
    same('ip[0] ^ 1 | 3 = 0', 'ip[0] ^ (1 | 3) = 0');
  });

  test('protocol names and numbers are interchangeable', () => {
    same('ether proto \\ip', 'ether proto 0x800');
    same('ip proto \\udp', 'ip proto 17');
    same('tcp port http', 'tcp port 80');
    same('port ssh', 'tcp port 22');
  });

  test('the empty expression accepts every packet, even an empty one', () => {
    const prog = compileFilter('   ');
    assert.equal(prog.length, 1);
    assert.notEqual(new PacketFilter(prog).run(new Uint8Array(0), 0), 0);
  });

  test('long programs jump through ja trampolines and still mean the same', () => {
    const ports = Array.from({ length: 100 }, (_, i) => `port ${i + 1}`).join(' or ');
    const prog = compileFilter(ports);
    checkSocketFilter(prog);
    assert.ok(prog.some((f) => f.code === 0x05), 'a ja instruction');
    assert.equal(accepts(ports, packet(ether(0x0800, ipv4({ proto: 6 }, tcp(1000, 97, 2))))), true);
    assert.equal(accepts(ports, packet(ether(0x86dd, ipv6(17, udp(1000, 97))))), true);
    assert.equal(accepts(ports, packet(ether(0x0800, ipv4({ proto: 6 }, tcp(1000, 101, 2))))), false);
  });
});

// ── properties ──────────────────────────────────────────────────────────

const PRIMITIVES = ['ip', 'ip6', 'arp', 'tcp', 'udp', 'icmp', 'icmp6', 'sctp', 'vlan', 'vlan 100', 'host 10.0.0.1', 'src host 10.0.0.2',
  'dst net 192.168.1.0/24', 'host ::1', 'src net fe80::/10', 'port 80', 'src port 53', 'tcp dst port 443', 'portrange 1000-2000',
  `ether host ${MAC_A}`, 'ether broadcast', 'ether multicast', 'ip multicast', 'less 60', 'greater 100', 'ip proto 47',
  'ether proto 0x88cc', 'ip[6:2] & 0x1fff != 0', 'tcp[tcpflags] & tcp-syn != 0', 'udp[4:2] > 20', 'icmp[icmptype] = icmp-echo',
  'ip[2:2] - ((ip[0] & 0xf) << 2) > 100', 'tcp[20] = 0', 'ether[30] = 1', 'ip6[6] = 6', 'arp[7] = 2', 'len - 14 > 100', 'atalk', 'ipx'];

const expression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...PRIMITIVES),
    tie('e').map((e) => `not ${e}`),
    tie('e').map((e) => `(${e})`),
    fc.tuple(tie('e'), fc.constantFrom('and', 'or'), tie('e')).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(fc.constantFrom('host', 'port'), fc.constantFrom('and', 'or', 'and not'), fc.nat(2), fc.nat(2)).map(([q, op, i, j]) => {
      const v = q === 'host' ? ['10.0.0.1', '1.2.3.4', '192.168.1.1'] : ['80', '443', '53'];
      return `${q} ${v[i]} ${op} ${v[j]}`;
    }),
  ),
})).e;

function compiles(expr: string): SockFilter[] | undefined {
  try {
    return compileFilter(expr);
  } catch (e) {
    if (e instanceof BpfError && /rejects all packets/.test(e.message)) return undefined;
    throw e;
  }
}

describe('pcap-filter properties', () => {
  const traffic = generatePackets(42, 300);
  // The same packets with room after them, so that no load can fall outside.
  const padded = traffic.map((p) => {
    const data = new Uint8Array(1600);
    data.set(p.data);
    return { data, len: data.length };
  });

  test('optimising changes nothing for packets every load fits in', () => {
    fc.assert(
      fc.property(expression, (expr) => {
        const prog = compiles(expr);
        const plain = new PacketFilter(compileFilter(expr, { optimize: false }), { engine: 'classic' });
        const optimised = prog && new PacketFilter(prog, { engine: 'classic' });
        for (const p of padded) assert.equal(optimised ? optimised.run(p.data, p.len) !== 0 : false, plain.run(p.data, p.len) !== 0, expr);
      }),
      { numRuns: 150, seed: 8 },
    );
  });

  test('the classic interpreter, the eBPF interpreter and the JIT agree, truncated packets included', () => {
    fc.assert(
      fc.property(expression, (expr) => {
        const prog = compiles(expr);
        if (!prog) return;
        const engines = (['classic', 'interp', 'jit'] as const).map((engine) => new PacketFilter(prog, { engine }));
        for (const p of traffic) {
          const [a, b, c] = engines.map((f) => f.run(p.data, p.len));
          assert.equal(b, a, expr);
          assert.equal(c, a, expr);
        }
      }),
      { numRuns: 60, seed: 9 },
    );
  });
});
