/**
 * pcap and pcapng files: round trips through the writers, files built here
 * block by block from the format specifications (all block kinds, both byte
 * orders, timestamp resolutions and offsets, several sections), errors with
 * the byte offset of the damage, a fuzz test (a fixed number of damaged
 * files: each is read or refused with EINVAL, nothing else), and tcpdump
 * reading what we write (when it is installed).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BpfError } from '../src/errno.js';
import { readCapture, readPcap, readPcapng, writePcap, writePcapng } from '../src/pcap/capture.js';
import { PacketRecord } from '../src/pcap/record.js';
import { generatePackets } from './pcap-gen.js';

const packets = generatePackets(3, 40);

/** The fields a round trip keeps (microsecond files keep whole microseconds). */
const fields = (p: PacketRecord, micro = false) => ({ sec: p.sec, nsec: micro ? Math.floor(p.nsec / 1000) * 1000 : p.nsec, data: Array.from(p.data), len: p.len });

function refusedAt(bytes: Uint8Array, offset: number, what: RegExp): void {
  assert.throws(() => readCapture(bytes), (e: unknown) => {
    assert.ok(e instanceof BpfError, String(e));
    assert.equal(e.errno, 'EINVAL');
    assert.match(e.message, what);
    assert.match(e.message, new RegExp(`at byte ${offset}\\)`), e.message);
    return true;
  });
}

// ── a pcapng builder, from the block layouts of draft-ietf-opsawg-pcapng ──

class Ng {
  private readonly parts: number[] = [];

  constructor(private readonly little = true) {}

  private u16(v: number): number[] {
    const b = [v & 0xff, (v >>> 8) & 0xff];
    return this.little ? b : b.reverse();
  }

  u32(v: number): number[] {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
    return this.little ? b : b.reverse();
  }

  /** An option: code, length, value padded to 4 bytes. */
  option(code: number, value: number[]): number[] {
    return [...this.u16(code), ...this.u16(value.length), ...value, ...new Array<number>((4 - (value.length % 4)) % 4).fill(0)];
  }

  block(type: number, body: number[]): this {
    const length = 12 + body.length;
    this.parts.push(...this.u32(type), ...this.u32(length), ...body, ...this.u32(length));
    return this;
  }

  shb(): this {
    return this.block(0x0a0d0d0a, [...this.u32(0x1a2b3c4d), ...this.u16(1), ...this.u16(0), ...new Array<number>(8).fill(0xff)]);
  }

  idb(linktype: number, snaplen: number, options: number[] = []): this {
    return this.block(1, [...this.u16(linktype), 0, 0, ...this.u32(snaplen), ...options]);
  }

  epb(iface: number, units: bigint, data: number[], len = data.length): this {
    const pad = new Array<number>((4 - (data.length % 4)) % 4).fill(0);
    return this.block(6, [...this.u32(iface), ...this.u32(Number(units >> 32n)), ...this.u32(Number(units & 0xffffffffn)), ...this.u32(data.length), ...this.u32(len), ...data, ...pad]);
  }

  bytes(): number[] {
    return this.parts;
  }
}

describe('classic pcap', () => {
  for (const byteOrder of ['little', 'big'] as const) {
    for (const nanosecond of [false, true]) {
      test(`round trip, ${byteOrder} endian, ${nanosecond ? 'nano' : 'micro'}seconds`, () => {
        const bytes = writePcap(packets, { byteOrder, nanosecond, snaplen: 65535 });
        // The magic in the file's byte order: a1b2c3d4 (µs) or a1b23c4d (ns).
        const magic = nanosecond ? [0xa1, 0xb2, 0x3c, 0x4d] : [0xa1, 0xb2, 0xc3, 0xd4];
        assert.deepEqual(Array.from(bytes.subarray(0, 4)), byteOrder === 'big' ? magic : [...magic].reverse());
        const cap = readCapture(bytes);
        assert.equal(cap.format, 'pcap');
        assert.equal(cap.byteOrder, byteOrder);
        assert.equal(cap.nanosecond, nanosecond);
        assert.equal(cap.interfaces[0]!.snaplen, 65535);
        assert.equal(cap.interfaces[0]!.linktype, 1);
        assert.deepEqual(cap.packets.map((p) => fields(p)), packets.map((p) => fields(p, !nanosecond)));
      });
    }
  }

  test('an empty capture is a header alone', () => {
    const bytes = writePcap([]);
    assert.equal(bytes.length, 24);
    assert.deepEqual(readPcap(bytes).packets, []);
  });

  test('damage is reported with its byte offset', () => {
    const bytes = writePcap(packets.slice(0, 3));
    refusedAt(bytes.subarray(0, 10), 10, /file header truncated/);
    const badVersion = bytes.slice();
    badVersion[4] = 3;
    refusedAt(badVersion, 4, /unsupported version 3/);
    const second = 24 + 16 + packets[0]!.data.length;
    refusedAt(bytes.subarray(0, second + 7), second, /record header truncated/);
    refusedAt(bytes.subarray(0, bytes.length - 1), second + 16 + packets[1]!.data.length, /claims \d+ captured bytes/);
    refusedAt(Uint8Array.of(1, 2, 3, 4, 5), 0, /not a pcap or pcapng file/);
  });
});

describe('pcapng', () => {
  for (const byteOrder of ['little', 'big'] as const) {
    test(`round trip with two interfaces, ${byteOrder} endian, nanoseconds`, () => {
      const spread = packets.map((p, i) => ({ ...p, iface: i % 2 }));
      const bytes = writePcapng(spread, { byteOrder, nanosecond: true, interfaces: [{ linktype: 1 }, { linktype: 1, snaplen: 1500 }] });
      const cap = readCapture(bytes);
      assert.equal(cap.format, 'pcapng');
      assert.equal(cap.byteOrder, byteOrder);
      assert.equal(cap.interfaces.length, 2);
      assert.equal(cap.interfaces[1]!.snaplen, 1500);
      assert.deepEqual(cap.packets.map((p) => ({ ...fields(p), iface: p.iface })), spread.map((p) => ({ ...fields(p), iface: p.iface })));
    });
  }

  test('every block kind, resolutions and offsets, unknown blocks skipped, sections with their own byte order', () => {
    const le = new Ng(true);
    le.shb()
      .idb(1, 0, [...le.option(9, [0x80 | 20]), ...le.option(14, [...le.u32(100), 0, 0, 0, 0]), ...le.option(0, [])]) // 2^-20 s units, +100 s
      .block(0x0bad, [1, 2, 3, 4]) // unknown: skipped
      .epb(0, (5n << 20n) + (1n << 19n), [0xaa, 0xbb, 0xcc]) // 5.5 s
      .block(4, [0, 0, 0, 0]) // name resolution: skipped
      .block(3, [...le.u32(6), 1, 2, 3, 4, 5, 6, 0, 0]) // simple packet block: 6 bytes, no timestamp
      .block(2, [...le.u32(0).slice(0, 2), 0, 0, ...le.u32(0), ...le.u32(7), ...le.u32(2), ...le.u32(60), 9, 9, 0, 0]) // obsolete packet block
      .block(5, [...le.u32(0), ...le.u32(0), ...le.u32(0)]); // interface statistics: skipped
    const be = new Ng(false);
    be.shb().idb(1, 4, be.option(9, [3])).epb(0, 1234567n, [1, 2, 3, 4, 5, 6, 7], 100); // milliseconds
    const cap = readPcapng(Uint8Array.from([...le.bytes(), ...be.bytes()]));
    assert.deepEqual(cap.packets.map((p) => ({ sec: p.sec, nsec: p.nsec, data: Array.from(p.data), len: p.len })), [
      { sec: 105, nsec: 500_000_000, data: [0xaa, 0xbb, 0xcc], len: 3 },
      { sec: 0, nsec: 0, data: [1, 2, 3, 4, 5, 6], len: 6 },
      // 7 units of 2^-20 s after the interface's offset of 100 s
      { sec: 100, nsec: Math.floor((7 * 1e9) / 2 ** 20), data: [9, 9], len: 60 },
      { sec: 1234, nsec: 567_000_000, data: [1, 2, 3, 4, 5, 6, 7], len: 100 },
    ]);
    assert.equal(cap.interfaces.length, 2);
  });

  test('damage is reported with its byte offset', () => {
    const ng = new Ng();
    const good = Uint8Array.from(ng.shb().idb(1, 0).epb(0, 1n, [1, 2, 3, 4]).bytes());
    const shb = 28;
    const idb = 20;
    const epb = shb + idb;
    const badMagic = good.slice();
    badMagic[8] = 0;
    refusedAt(badMagic, 8, /bad byte-order magic/);
    refusedAt(good.subarray(0, good.length - 4), epb + 4, /runs past the end of the file/);
    const badTrailer = good.slice();
    // the enhanced packet block is 12 + 20 + 4 bytes; its trailing length is its last 4
    badTrailer[epb + 32] = 0x99;
    refusedAt(badTrailer, epb + 32, /does not match its trailing copy/);
    const odd = good.slice();
    odd[epb + 4] = 41;
    refusedAt(odd, epb + 4, /bad block length 41/);
    const n = new Ng();
    refusedAt(Uint8Array.from(n.shb().idb(1, 0).epb(1, 0n, [1]).bytes()), epb + 8, /names interface 1, but the section has 1/);
    const m = new Ng();
    const longCap = Uint8Array.from(m.shb().idb(1, 0).epb(0, 0n, [1, 2, 3, 4]).bytes());
    longCap[epb + 20] = 200;
    refusedAt(longCap, epb + 20, /claims 200 captured bytes/);
    const s = new Ng();
    refusedAt(Uint8Array.from(s.shb().block(3, [...s.u32(1), 1, 0, 0, 0]).bytes()), shb, /simple packet block before any interface/);
    const idbFirst = Uint8Array.from(new Ng().idb(1, 0).bytes());
    refusedAt(Uint8Array.from([...idbFirst.subarray(0, 4), ...idbFirst.subarray(4)]), 0, /not a pcap or pcapng file/);
  });
});

describe('damaged files', () => {
  const pcap = writePcap(packets.slice(0, 8));
  const pcapng = writePcapng(packets.slice(0, 8).map((p, i) => ({ ...p, iface: i % 2 })), { interfaces: [{ linktype: 1 }, { linktype: 1 }] });

  /** Read or refuse with EINVAL; any packet read lies within the file. */
  function readsOrRefuses(bytes: Uint8Array): void {
    try {
      const cap = readCapture(bytes);
      for (const p of cap.packets) {
        assert.ok(p.data.byteOffset >= bytes.byteOffset && p.data.byteOffset + p.data.length <= bytes.byteOffset + bytes.length);
        assert.ok(Number.isFinite(p.sec) && p.nsec >= 0 && p.nsec < 1e9);
      }
    } catch (e) {
      assert.ok(e instanceof BpfError && e.errno === 'EINVAL', `not an EINVAL BpfError: ${String(e)}`);
      assert.match(e.message, /at byte \d+\)/);
    }
  }

  const damage = (base: Uint8Array) =>
    fc.tuple(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(base.length)).map(([flips, cut]) => {
      const b = base.slice();
      for (const [at, v] of flips) b[at] = v;
      return b.subarray(0, cut);
    });

  test('1000 damaged pcap files', () => {
    fc.assert(fc.property(damage(pcap), readsOrRefuses), { numRuns: 1000, seed: 1 });
  });

  test('1000 damaged pcapng files', () => {
    fc.assert(fc.property(damage(pcapng), readsOrRefuses), { numRuns: 1000, seed: 2 });
  });

  test('500 random tails behind a valid pcapng section header', () => {
    const head = pcapng.subarray(0, 28);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (tail) => readsOrRefuses(Uint8Array.from([...head, ...tail]))), { numRuns: 500, seed: 3 });
  });
});

const TCPDUMP = ['/usr/bin/tcpdump', '/usr/sbin/tcpdump'].find((p) => spawnSync(p, ['--version']).status === 0);

describe('tcpdump reads what we write', { skip: TCPDUMP ? false : 'tcpdump is not installed' }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-pcapfile-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const convert = (input: string, extra: string[] = []): Uint8Array => {
    const out = path.join(dir, 'out.pcap');
    const r = spawnSync(TCPDUMP!, [...extra, '-r', input, '-w', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return new Uint8Array(readFileSync(out));
  };

  test('our pcapng (big endian, two interfaces, nanoseconds) is the packets tcpdump copies to pcap', () => {
    const file = path.join(dir, 'in.pcapng');
    writeFileSync(file, writePcapng(packets.map((p, i) => ({ ...p, iface: i % 2 })), { byteOrder: 'big', nanosecond: true, interfaces: [{ linktype: 1 }, { linktype: 1 }] }));
    const back = readCapture(convert(file, ['--time-stamp-precision=nano']));
    assert.equal(back.nanosecond, true);
    assert.deepEqual(back.packets.map((p) => fields(p)), packets.map((p) => fields(p)));
  });

  test('our big-endian microsecond pcap is what tcpdump writes back', () => {
    const file = path.join(dir, 'in.pcap');
    writeFileSync(file, writePcap(packets, { byteOrder: 'big' }));
    assert.deepEqual(readCapture(convert(file)).packets.map((p) => fields(p)), packets.map((p) => fields(p, true)));
  });
});
