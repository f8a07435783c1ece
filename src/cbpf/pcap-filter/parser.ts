import { parsePartialIPv4 } from './addresses.js';
import { Bool, and, not, or } from './bool.js';
import { FilterError, syntaxError, unsupported } from './errors.js';
import { Token, tokenize } from './lexer.js';
import { ETHER_PROTOCOLS, IP_PROTOCOLS, SERVICES } from './names.js';
import * as p from './primitives.js';
import { LEN, Size, canonical, isConst, konst } from './values.js';

/**
 * The grammar of pcap-filter(7), by recursive descent, with tcpdump's rules:
 * `and` and `or` have equal precedence and group left to right, `not` binds
 * tightest; a bare value after `and`/`or` takes the qualifiers of the
 * primitive before it (`port 80 or 443`, `host a and not b`), and a
 * parenthesised list of values takes those in front of it
 * (`host (a or b)`); `vlan` moves the offsets of everything after it; in
 * arithmetic, `^` groups its left neighbour with all that follows (as
 * tcpdump's grammar, which gives `^` no precedence, does).
 */

type Addr = 'default' | 'host' | 'net' | 'port' | 'portrange' | 'proto' | 'protochain' | 'gateway';

/** The qualifiers of a primitive: protocol, direction and kind of value. */
interface Qual {
  proto: string;
  dir: p.Dir;
  addr: Addr;
}

/** A parsed term and the qualifiers a following bare value would take (none after `tcp` or a comparison). */
interface Term {
  b: Bool;
  q: Qual | undefined;
}

const PNAMES = new Set(['link', 'ip', 'ip6', 'arp', 'rarp', 'tcp', 'udp', 'sctp', 'icmp', 'icmp6', 'igmp', 'igrp', 'pim', 'vrrp', 'carp', 'ah', 'esp', 'atalk', 'aarp', 'decnet', 'lat', 'sca', 'moprc', 'mopdl', 'iso', 'esis', 'isis', 'l1', 'l2', 'iih', 'lsp', 'snp', 'csnp', 'psnp', 'clnp', 'stp', 'ipx', 'netbeui', 'radio']);
const DQUALS = new Set(['src', 'dst', 'ra', 'ta', 'addr1', 'addr2', 'addr3', 'addr4']);
const AQUALS = new Set(['host', 'net', 'port', 'portrange', 'gateway']);
const NDAQUALS = new Set(['proto', 'protochain']);
const ARITH_OPS: Readonly<Record<string, number>> = { '|': 1, '&': 2, '<<': 3, '>>': 3, '+': 4, '-': 4, '*': 5, '/': 5, '%': 5 };
const ALU_OF = { '|': 'or', '&': 'and', '<<': 'lsh', '>>': 'rsh', '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod', '^': 'xor' } as const;
const RELOPS = new Set(['=', '==', '!=', '<', '<=', '>', '>=']);
const MAX_PORT = 65535;
const MAX_VLAN = 4095;
/** Nesting (parentheses, `not`, unary minus) this parser follows; deeper expressions are refused, not a crash. */
const MAX_NESTING = 200;
/** Tokens in an expression: longer ones would compile past the 4096 instructions of a socket filter anyway. */
const MAX_TOKENS = 8192;

/** Parse a filter expression; undefined for the empty expression (which accepts every packet). */
export function parseFilter(expr: string): Bool | undefined {
  return new Parser(expr).parse();
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;
  private offsets: p.Offsets = p.ETHERNET;

  private depth = 0;

  constructor(private readonly expr: string) {
    this.tokens = tokenize(expr);
    if (this.tokens.length > MAX_TOKENS) throw new FilterError('E2BIG', expr, this.tokens[MAX_TOKENS]!.pos, `expression too long (more than ${MAX_TOKENS} tokens)`);
  }

  /** Run a rule one level deeper, refusing nesting deeper than MAX_NESTING. */
  private nested<T>(t: Token, rule: () => T): T {
    if (++this.depth > MAX_NESTING) throw new FilterError('E2BIG', this.expr, t.pos, `expression nested too deeply (more than ${MAX_NESTING} levels)`);
    try {
      return rule();
    } finally {
      this.depth--;
    }
  }

  parse(): Bool | undefined {
    if (this.peek().kind === 'eof') return undefined;
    const { b } = this.expression();
    const rest = this.peek();
    if (rest.kind !== 'eof') throw this.error(rest, rest.text === ')' ? "unmatched ')'" : `unexpected '${rest.text}' (expected 'and', 'or' or the end)`);
    return b;
  }

  // ── tokens ─────────────────────────────────────────────────────────────

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.i + ahead, this.tokens.length - 1)]!;
  }

  private next(): Token {
    return this.tokens[Math.min(this.i++, this.tokens.length - 1)]!;
  }

  private isKw(t: Token, ...names: string[]): boolean {
    return t.kind === 'kw' && names.includes(t.name);
  }

  private isOp(t: Token, ...names: string[]): boolean {
    return t.kind === 'op' && names.includes(t.name);
  }

  private expectOp(name: string, what: string): Token {
    const t = this.peek();
    if (!this.isOp(t, name)) throw this.error(t, `expected '${name}' ${what}`);
    return this.next();
  }

  private expectNum(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'num') throw this.error(t, `expected ${what}`);
    return this.next();
  }

  private error(t: Token, detail: string) {
    return syntaxError(this.expr, t.pos, t.kind === 'eof' ? detail.replace(/^unexpected ''/, 'unexpected end') : detail);
  }

  // ── boolean structure ─────────────────────────────────────────────────

  private expression(): Term {
    let r = this.term();
    while (this.isKw(this.peek(), 'and', 'or')) {
      const op = this.next().name;
      const join = (x: Bool, y: Bool): Bool => (op === 'and' ? and(x, y) : or(x, y));
      if (this.startsValue(this.i)) {
        if (!r.q) throw this.error(this.peek(), `a bare value needs qualifiers (host, net, port…), and '${this.tokens[this.i - 2]?.text ?? op}' before '${op}' gives none`);
        r = { b: join(r.b, this.value(r.q)), q: r.q };
      } else {
        const t = this.term();
        r = { b: join(r.b, t.b), q: t.q };
      }
    }
    return r;
  }

  private term(): Term {
    if (this.isKw(this.peek(), 'not')) {
      const t = this.nested(this.next(), () => this.term());
      return { b: not(t.b), q: t.q };
    }
    return this.primitive();
  }

  /** Whether the tokens at `j` are a bare value (an address, number or name), not a primitive. */
  private startsValue(j: number): boolean {
    return this.scanValue(j) !== undefined;
  }

  /** Where a bare value (or a parenthesised list of them) starting at `j` ends, if it is one. */
  private scanValue(j: number): number | undefined {
    while (this.isKw(this.tokens[j]!, 'not')) j++;
    const t = this.tokens[j]!;
    const after = this.tokens[j + 1]!;
    switch (t.kind) {
      case 'num':
        return this.isArithOrRelop(after) ? undefined : j + 1;
      case 'hid':
        return this.isOp(after, '/') || this.isKw(after, 'mask') ? j + 3 : j + 1;
      case 'hid6':
        return this.isOp(after, '/') ? j + 3 : j + 1;
      case 'eid':
      case 'id':
        return j + 1;
      case 'op': {
        if (t.name !== '(') return undefined;
        let k = this.scanValue(j + 1);
        while (k !== undefined && this.isKw(this.tokens[k]!, 'and', 'or')) k = this.scanValue(k + 1);
        return k !== undefined && this.isOp(this.tokens[k]!, ')') ? k + 1 : undefined;
      }
      default:
        return undefined;
    }
  }

  private isArithOrRelop(t: Token): boolean {
    return t.kind === 'op' && (t.name in ARITH_OPS || t.name === '^' || RELOPS.has(t.name));
  }

  /** Whether the '(' at the cursor opens arithmetic: its ')' is followed by an operator or a comparison. */
  private parenIsArith(): boolean {
    let depth = 0;
    for (let j = this.i; j < this.tokens.length; j++) {
      const t = this.tokens[j]!;
      if (this.isOp(t, '(')) depth++;
      if (this.isOp(t, ')') && --depth === 0) return this.isArithOrRelop(this.tokens[j + 1]!);
      if (t.kind === 'eof') return false;
    }
    return false;
  }

  private primitive(): Term {
    const t = this.peek();
    if (this.isOp(t, '(')) {
      if (this.parenIsArith()) return this.comparison();
      return this.nested(this.next(), () => {
        const r = this.expression();
        this.expectOp(')', 'to close the parenthesis');
        return r;
      });
    }
    if (t.kind === 'num' || this.isOp(t, '-') || this.isKw(t, 'len')) return this.comparison();
    if (t.kind !== 'kw') throw this.error(t, this.startsValue(this.i) ? `'${t.text}' needs a qualifier in front (host, net, port…)` : `unexpected '${t.text}'`);
    const after = this.peek(1);
    if (PNAMES.has(t.name)) {
      if (this.isOp(after, '[')) return this.comparison();
      if (after.kind === 'kw' && (DQUALS.has(after.name) || AQUALS.has(after.name) || NDAQUALS.has(after.name))) return this.qualified();
      if (this.isKw(after, 'broadcast', 'multicast')) return { b: this.castTo(this.next(), this.next()), q: undefined };
      this.next();
      return { b: this.protocol(t), q: undefined };
    }
    if (DQUALS.has(t.name) || AQUALS.has(t.name) || NDAQUALS.has(t.name)) return this.qualified();
    switch (t.name) {
      case 'broadcast':
      case 'multicast':
        return { b: this.castTo(undefined, this.next()), q: undefined };
      case 'less':
      case 'greater': {
        this.next();
        const n = this.expectNum(`a length after '${t.text}'`).num;
        return { b: t.name === 'less' ? p.lengthAtMost(n) : p.lengthAtLeast(n), q: undefined };
      }
      case 'vlan':
        return { b: this.vlan(), q: undefined };
    }
    if (['and', 'or'].includes(t.name)) throw this.error(t, `expected a primitive before '${t.text}'`);
    throw unsupported(this.expr, t.pos, `'${t.text}' is not supported by this compiler (Ethernet captures: host, net, port, portrange, proto, vlan, less, greater, byte offsets…)`);
  }

  private protocol(t: Token): Bool {
    if (t.name === 'link') throw this.error(t, `'${t.text}' alone is not a filter: say what of it (ether host, ether proto, ether[0]…)`);
    const b = p.protoAbbrev(this.offsets, t.name);
    if (!b) throw unsupported(this.expr, t.pos, `the protocol '${t.text}' is not supported by this compiler`);
    return b;
  }

  private vlan(): Bool {
    this.next();
    let id: number | undefined;
    if (this.peek().kind === 'num') {
      const t = this.next();
      if (t.num > MAX_VLAN) throw this.error(t, `VLAN tag ${t.num} greater than maximum ${MAX_VLAN}`);
      id = t.num;
    }
    const b = p.vlan(this.offsets, id);
    this.offsets = p.afterVlan(this.offsets);
    return b;
  }

  private castTo(protoTok: Token | undefined, what: Token): Bool {
    const proto = protoTok?.name ?? 'link';
    const o = this.offsets;
    if (what.name === 'broadcast') {
      if (proto === 'link') return p.etherBroadcast();
      if (proto === 'ip') return p.ipBroadcast(o);
      throw this.error(protoTok!, 'only link-layer and IP broadcast filters are supported');
    }
    if (proto === 'link') return p.etherMulticast();
    if (proto === 'ip') return p.ipMulticast(o);
    if (proto === 'ip6') return p.ip6Multicast(o);
    throw this.error(protoTok!, 'only link-layer, IP and IPv6 multicast filters are supported');
  }

  /** `[proto] [src|dst|src or dst|src and dst] [host|net|port|portrange|proto] VALUE` */
  private qualified(): Term {
    const q: Qual = { proto: 'default', dir: 'default', addr: 'default' };
    if (PNAMES.has(this.peek().name) && this.peek().kind === 'kw') q.proto = this.next().name;
    const d = this.peek();
    if (d.kind === 'kw' && DQUALS.has(d.name)) {
      this.next();
      if (!['src', 'dst'].includes(d.name)) throw unsupported(this.expr, d.pos, `'${d.text}' (802.11 addresses) is not supported by this compiler`);
      q.dir = d.name as p.Dir;
      const other = d.name === 'src' ? 'dst' : 'src';
      if (this.isKw(this.peek(), 'and', 'or') && this.isKw(this.peek(1), other)) {
        q.dir = this.next().name as p.Dir;
        this.next();
      }
    }
    const a = this.peek();
    if (a.kind === 'kw' && (AQUALS.has(a.name) || (NDAQUALS.has(a.name) && q.dir === 'default'))) {
      this.next();
      if (a.name === 'gateway' || a.name === 'protochain') throw unsupported(this.expr, a.pos, `'${a.text}' is not supported by this compiler`);
      q.addr = a.name as Addr;
    }
    return { b: this.value(q), q };
  }

  // ── values under qualifiers ───────────────────────────────────────────

  /** A value, a negated value or a parenthesised list of values, under the qualifiers `q`. */
  private value(q: Qual): Bool {
    const t = this.peek();
    if (this.isKw(t, 'not')) return not(this.nested(this.next(), () => this.value(q)));
    if (this.isOp(t, '(')) {
      return this.nested(this.next(), () => {
        let b = this.value(q);
        while (this.isKw(this.peek(), 'and', 'or')) {
          const op = this.next().name;
          const r = this.value(q);
          b = op === 'and' ? and(b, r) : or(b, r);
        }
        this.expectOp(')', 'to close the list of values');
        return b;
      });
    }
    this.next();
    switch (t.kind) {
      case 'num':
        return this.number(q, t);
      case 'hid':
        return this.dotted(q, t);
      case 'hid6':
        return this.ipv6(q, t);
      case 'eid':
        if ((q.addr === 'default' || q.addr === 'host') && (q.proto === 'default' || q.proto === 'link')) return p.etherHost(t.bytes!, q.dir);
        throw this.error(t, 'an Ethernet address is only valid with ether host, src or dst');
      case 'id':
        return this.name(q, t);
      default:
        throw this.error(t, this.expectation(q));
    }
  }

  private expectation(q: Qual): string {
    const what: Record<Addr, string> = {
      default: 'an address, a number or a name',
      host: 'a host address',
      net: 'a network address',
      port: 'a port number',
      portrange: 'a port range (such as 1024-2047)',
      proto: 'a protocol number or name',
      protochain: 'a protocol number or name',
      gateway: 'a host name',
    };
    return `expected ${what[q.addr]}`;
  }

  private number(q: Qual, t: Token): Bool {
    const v = t.num;
    switch (q.addr) {
      case 'port':
        return p.port(this.offsets, this.portNumber(t, v), this.portProtos(q, t), q.dir);
      case 'portrange':
        return p.portRange(this.offsets, this.portNumber(t, v), v, this.portProtos(q, t), q.dir);
      case 'proto':
        return this.ipProtocol(q, t, v);
      default: {
        if (q.proto === 'link') throw this.error(t, 'a number is not a link-layer address (use aa:bb:cc:dd:ee:ff)');
        if (q.addr !== 'net') return this.ipv4(q, t, v, 0xffffffff);
        // A network number names its leading bytes: `net 10` is 10.0.0.0/8.
        let [net, mask] = [v, 0xffffffff];
        while (net !== 0 && (net & 0xff000000) === 0) [net, mask] = [(net << 8) >>> 0, (mask << 8) >>> 0];
        return this.ipv4(q, t, net, mask);
      }
    }
  }

  private dotted(q: Qual, t: Token): Bool {
    const { value, bits } = parsePartialIPv4(t.text)!;
    const shift = 32 - bits;
    // A partial address is a network: `host 10.1` is 10.1.0.0/16, as in tcpdump.
    const addr = (value * 2 ** shift) >>> 0;
    const mask = shift === 0 ? 0xffffffff : (0xffffffff << shift) >>> 0;
    if (this.isOp(this.peek(), '/')) {
      this.next();
      const len = this.expectNum('a mask length after /');
      if (len.num > 32) throw this.error(len, 'mask length must be <= 32');
      const m = len.num === 0 ? 0 : (0xffffffff << (32 - len.num)) >>> 0;
      return this.network(q, t, addr, m, `${t.text}/${len.text}`);
    }
    if (this.isKw(this.peek(), 'mask')) {
      this.next();
      const mt = this.peek();
      if (mt.kind !== 'hid') throw this.error(mt, 'expected a netmask such as 255.255.0.0');
      this.next();
      const m = parsePartialIPv4(mt.text)!;
      return this.network(q, t, addr, (m.value * 2 ** (32 - m.bits)) >>> 0, `${t.text} mask ${mt.text}`);
    }
    if (q.addr === 'port' || q.addr === 'portrange' || q.addr === 'proto') throw this.error(t, this.expectation(q));
    if (q.proto === 'link') throw this.error(t, 'an IPv4 address is not a link-layer address (use aa:bb:cc:dd:ee:ff)');
    return this.ipv4(q, t, addr, mask);
  }

  private network(q: Qual, t: Token, addr: number, mask: number, text: string): Bool {
    if ((addr & ~mask) !== 0) throw this.error(t, `non-network bits set in "${text}"`);
    if (q.addr !== 'net') throw this.error(t, 'mask syntax is for networks only (net …)');
    return this.ipv4(q, t, addr, mask);
  }

  private ipv4(q: Qual, t: Token, addr: number, mask: number): Bool {
    const kind = q.addr === 'net' ? 'net' : 'host';
    type V4 = 'ip' | 'arp' | 'rarp';
    const protos: readonly V4[] | undefined = q.proto === 'default' ? ['ip', 'arp', 'rarp'] : ['ip', 'arp', 'rarp'].includes(q.proto) ? [q.proto as V4] : undefined;
    if (!protos) throw this.error(t, `'${q.proto}' modifier applied to ${q.proto === 'ip6' ? 'ip ' : ''}${kind}`);
    if (q.addr !== 'default' && q.addr !== 'host' && q.addr !== 'net') throw this.error(t, this.expectation(q));
    return p.ipv4Host(this.offsets, addr, mask, protos, q.dir);
  }

  private ipv6(q: Qual, t: Token): Bool {
    let len = 128;
    if (this.isOp(this.peek(), '/')) {
      this.next();
      const lt = this.expectNum('a prefix length after /');
      if (lt.num > 128) throw this.error(lt, 'mask length must be <= 128');
      len = lt.num;
    }
    const mask = new Uint8Array(16).map((_, i) => (len >= 8 * (i + 1) ? 0xff : len <= 8 * i ? 0 : (0xff00 >> (len - 8 * i)) & 0xff));
    if (t.bytes!.some((b, i) => (b & ~mask[i]!) !== 0)) throw this.error(t, `non-network bits set in "${t.text}/${len}"`);
    if (q.addr === 'port' || q.addr === 'portrange' || q.addr === 'proto') throw this.error(t, this.expectation(q));
    if (q.addr !== 'net' && len !== 128) throw this.error(t, 'mask syntax is for networks only (net …)');
    if (q.proto !== 'default' && q.proto !== 'ip6') throw this.error(t, `'${q.proto}' modifier applied to ip6 ${q.addr === 'net' ? 'net' : 'host'}`);
    return p.ipv6Host(this.offsets, t.bytes!, mask, q.dir);
  }

  private name(q: Qual, t: Token): Bool {
    const name = t.name;
    switch (q.addr) {
      case 'port': {
        const s = SERVICES.get(name);
        if (!s) throw this.error(t, `unknown port '${name}' (a number, or a service name such as http or domain)`);
        return p.port(this.offsets, s.port, this.serviceProtos(q, t, s.tcp, s.udp), q.dir);
      }
      case 'portrange': {
        const [lo, hi] = this.range(t);
        return p.portRange(this.offsets, lo, hi, this.portProtos(q, t), q.dir);
      }
      case 'proto': {
        const table = q.proto === 'link' ? ETHER_PROTOCOLS : IP_PROTOCOLS;
        const v = table.get(name);
        if (v === undefined) throw this.error(t, `unknown ${q.proto === 'link' ? 'ether' : 'ip'} protocol '${name}'`);
        return this.ipProtocol(q, t, v);
      }
      default:
        throw this.error(t, `unknown ${q.proto === 'link' ? 'ether ' : ''}host '${name}' (host names are not resolved: give an address)`);
    }
  }

  /** `lo-hi`, each a number or a service name (which may itself contain '-'). */
  private range(t: Token): [number, number] {
    const text = t.name;
    const port = (s: string): number | undefined => (/^[0-9]+$/.test(s) ? Number(s) : SERVICES.get(s)?.port);
    for (let at = text.indexOf('-'); at > 0; at = text.indexOf('-', at + 1)) {
      const [lo, hi] = [port(text.slice(0, at)), port(text.slice(at + 1))];
      if (lo !== undefined && hi !== undefined) return [this.portNumber(t, lo), this.portNumber(t, hi)];
    }
    throw this.error(t, `unknown port in range '${text}'`);
  }

  private portNumber(t: Token, v: number): number {
    if (v > MAX_PORT) throw this.error(t, `illegal port number ${v} > ${MAX_PORT}`);
    return v;
  }

  private portProtos(q: Qual, t: Token): p.PortProtos {
    switch (q.proto) {
      case 'default':
        return p.ANY_PORT_PROTO;
      case 'tcp':
        return [p.IPPROTO_TCP];
      case 'udp':
        return [p.IPPROTO_UDP];
      case 'sctp':
        return [p.IPPROTO_SCTP];
      default:
        throw this.error(t, `illegal qualifier of 'port': '${q.proto}' (tcp, udp or sctp)`);
    }
  }

  /** A named port is looked for only where the service is registered (`port ssh` is TCP only). */
  private serviceProtos(q: Qual, t: Token, tcp: boolean, udp: boolean): p.PortProtos {
    if (q.proto === 'default') return tcp && udp ? p.ANY_PORT_PROTO : tcp ? [p.IPPROTO_TCP] : [p.IPPROTO_UDP];
    const protos = this.portProtos(q, t);
    if ((q.proto === 'tcp' && !tcp) || (q.proto === 'udp' && !udp) || (q.proto === 'sctp' && !(tcp && udp))) {
      throw this.error(t, `port '${t.name}' is ${tcp ? 'tcp' : 'udp'}`);
    }
    return protos;
  }

  private ipProtocol(q: Qual, t: Token, v: number): Bool {
    const o = this.offsets;
    switch (q.proto) {
      case 'default':
        return or(p.ipProto(o, v), p.ip6Proto(o, v));
      case 'ip':
        return p.ipProto(o, v);
      case 'ip6':
        return p.ip6Proto(o, v);
      case 'link':
        return p.linkType(o, v);
      default:
        throw this.error(t, `'${q.proto} proto' is not meaningful (use proto, ip proto, ip6 proto or ether proto)`);
    }
  }

  // ── arithmetic ────────────────────────────────────────────────────────

  private comparison(): Term {
    const a = this.arith();
    const t = this.peek();
    if (!(t.kind === 'op' && RELOPS.has(t.name))) throw this.error(t, 'expected a comparison (=, !=, <, <=, >, >=)');
    this.next();
    const b = this.arith();
    return { b: p.relation(a, t.name as p.Relop, b), q: undefined };
  }

  private arith(min = 1): p.Arith {
    let left = this.unary();
    for (let t = this.peek(); t.kind === 'op' && (ARITH_OPS[t.name] ?? 0) >= min; t = this.peek()) {
      this.next();
      left = this.binary(t, left, this.arith(ARITH_OPS[t.name]! + 1));
    }
    return left;
  }

  private unary(): p.Arith {
    if (this.isOp(this.peek(), '-')) {
      const a = this.nested(this.next(), () => this.unary());
      return { val: { v: 'neg', a: a.val }, checks: a.checks };
    }
    const prim = this.operand();
    const t = this.peek();
    if (!this.isOp(t, '^')) return prim;
    this.next();
    return this.binary(t, prim, this.arith());
  }

  private binary(t: Token, a: p.Arith, b: p.Arith): p.Arith {
    const op = ALU_OF[t.name as keyof typeof ALU_OF];
    const divisor = canonical(b.val);
    if ((op === 'div' || op === 'mod') && isConst(divisor) && divisor.k === 0) throw this.error(t, op === 'div' ? 'division by zero' : 'modulus by zero');
    if ((op === 'lsh' || op === 'rsh') && isConst(divisor) && divisor.k > 31) throw this.error(t, 'shift by more than 31 bits');
    return { val: { v: 'alu', op, a: a.val, b: b.val, form: 'x' }, checks: a.checks && b.checks ? and(a.checks, b.checks) : a.checks ?? b.checks };
  }

  private operand(): p.Arith {
    const t = this.next();
    if (t.kind === 'num') return { val: konst(t.num) };
    if (this.isKw(t, 'len')) return { val: LEN };
    if (this.isOp(t, '(')) {
      return this.nested(t, () => {
        const a = this.arith();
        this.expectOp(')', 'to close the parenthesis');
        return a;
      });
    }
    if (t.kind === 'kw' && PNAMES.has(t.name) && this.isOp(this.peek(), '[')) return this.indexed(t);
    throw this.error(t, t.kind === 'eof' ? 'unexpected end: expected a number, len or a byte offset such as ip[0]' : `expected a number, len or a byte offset such as ip[0], not '${t.text}'`);
  }

  /** `proto[expr]` or `proto[expr : size]` */
  private indexed(t: Token): p.Arith {
    const idx = this.nested(this.next(), () => this.arith());
    let size: Size = 1;
    if (this.isOp(this.peek(), ':')) {
      this.next();
      const s = this.expectNum('a size (1, 2 or 4)');
      if (s.num !== 1 && s.num !== 2 && s.num !== 4) throw this.error(s, 'data size must be 1, 2, or 4');
      size = s.num;
    }
    this.expectOp(']', `to close ${t.text}[`);
    const loaded = p.load(this.offsets, t.name, idx, size);
    if (!loaded) throw unsupported(this.expr, t.pos, `'${t.text}[…]' is not supported (byte offsets: ether, ip, ip6, arp, rarp, tcp, udp, sctp, icmp, icmp6, igmp, igrp, pim, vrrp, carp)`);
    return loaded;
  }
}
