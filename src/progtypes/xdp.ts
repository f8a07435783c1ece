import { BpfError } from '../errno.js';
import type { PacketEnv } from '../helpers/registry.js';
import type { Region } from '../vm/memory.js';
import { XDP_HELPERS } from './helper-lists.js';
import { packetEnv } from './packet.js';
import { ProgramType, Runner, TestRunHost, TestRunInput, TestRunResult, ctxIn, f, runCount, timedRuns, view } from './progtype.js';
import { ETH_HLEN } from './sk-buff.js';

/**
 * BPF_PROG_TYPE_XDP (6): a program run on a received frame before the
 * network stack sees it; it returns an XDP action.
 *
 * Context `struct xdp_md`: six u32 fields, each read whole
 * (__is_valid_xdp_access); nothing is writable (rx_queue_index only for
 * device-bound programs) and egress_ifindex is only for devmap programs.
 */

/** sizeof(struct xdp_md) */
export const XDP_MD_SIZE = 24;

export const XDP_MD = { data: 0, data_end: 4, data_meta: 8, ingress_ifindex: 12, rx_queue_index: 16, egress_ifindex: 20 } as const;

/** enum xdp_action */
export const XDP_ACTION = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;

/** XDP_PACKET_HEADROOM: bytes reserved before the frame, for xdp_adjust_head / xdp_adjust_meta. */
export const XDP_PACKET_HEADROOM = 256;
/** sizeof(struct xdp_frame): the start of the headroom, which the packet may not grow into. */
export const XDP_FRAME_SIZE = 40;
/** The test run's buffer is one page: headroom, frame, and the skb_shared_info tailroom (SKB_DATA_ALIGN, 320 bytes). */
const FRAME_SZ = 4096;
const TAILROOM = 320;
/** The loopback device, queue 0: the test run's receive queue. */
const LOOPBACK_IFINDEX = 1;

const fields = [
  f('data', 0, 4, [4], [], 'packet'),
  f('data_end', 4, 4, [4], [], 'packet_end'),
  f('data_meta', 8, 4, [4], [], 'packet_meta'),
  f('ingress_ifindex', 12, 4, [4]),
  f('rx_queue_index', 16, 4, [4]),
  f('egress_ifindex', 20, 4, []),
];

/** Check ctx_in as bpf_prog_test_run_xdp and xdp_convert_md_to_buff do; returns the metadata length. */
function checkCtx(cin: DataView, size: number): number {
  const meta = cin.getUint32(XDP_MD.data, true);
  const end = cin.getUint32(XDP_MD.data_end, true);
  if (cin.getUint32(XDP_MD.data_meta, true) !== 0) throw new BpfError('EINVAL', 'xdp test run: ctx_in data_meta must be 0 (no data before the metadata)');
  if (end > size) throw new BpfError('EINVAL', `xdp test run: ctx_in data_end ${end} is past the ${size} bytes of data`);
  if (meta > end) throw new BpfError('EINVAL', `xdp test run: ctx_in data ${meta} is past data_end ${end}`);
  if (meta % 4 !== 0 || meta > XDP_PACKET_HEADROOM - XDP_FRAME_SIZE) {
    throw new BpfError('EINVAL', `xdp test run: ctx_in data ${meta} (the metadata length) must be a multiple of 4 and at most ${XDP_PACKET_HEADROOM - XDP_FRAME_SIZE}`);
  }
  if (end < size) throw new BpfError('ENOTSUPP', `xdp test run: ctx_in data_end ${end} asks for a ${end}-byte linear part and fragments after it; tsbpf has no multi-buffer XDP (give data_end = ${size})`);
  return meta;
}

function checkQueue(cin: DataView): void {
  const ingress = cin.getUint32(XDP_MD.ingress_ifindex, true);
  const queue = cin.getUint32(XDP_MD.rx_queue_index, true);
  if (cin.getUint32(XDP_MD.egress_ifindex, true) !== 0) throw new BpfError('EINVAL', 'xdp test run: ctx_in egress_ifindex must be 0');
  if (ingress === 0 && queue !== 0) throw new BpfError('EINVAL', 'xdp test run: ctx_in rx_queue_index needs an ingress_ifindex');
  if (ingress > LOOPBACK_IFINDEX) throw new BpfError('ENODEV', `xdp test run: no device with ifindex ${ingress} (only the loopback device, 1)`);
  if (queue >= 1) throw new BpfError('EINVAL', `xdp test run: the loopback device has 1 receive queue, not ${queue + 1}`);
}

/** The frame in its page: [hardStart, headroom, metadata, data, tailroom]. */
interface Frame {
  ctx: number;
  hardStart: number;
  dataMeta: number;
  data: number;
  dataEnd: number;
}

function layout(host: TestRunHost, packet: Uint8Array, meta: number): Frame {
  const hardStart = host.buffer('packet', FRAME_SZ);
  const dataMeta = hardStart + XDP_PACKET_HEADROOM - meta;
  host.space.bytes.set(packet, dataMeta);
  const ctx = host.buffer('ctx', XDP_MD_SIZE);
  const dv = view(host.space, ctx, XDP_MD_SIZE);
  dv.setUint32(XDP_MD.data, dataMeta + meta, true);
  dv.setUint32(XDP_MD.data_end, dataMeta + packet.length, true);
  dv.setUint32(XDP_MD.data_meta, dataMeta, true);
  dv.setUint32(XDP_MD.ingress_ifindex, LOOPBACK_IFINDEX, true);
  return { ctx, hardStart, dataMeta, data: dataMeta + meta, dataEnd: dataMeta + packet.length };
}

/**
 * BPF_PROG_TEST_RUN of an XDP program (bpf_prog_test_run_xdp): the frame
 * sits in a page after XDP_PACKET_HEADROOM (256) bytes of headroom, on queue
 * 0 of the loopback device. A ctx_in may declare the first `data` bytes as
 * metadata (a multiple of 4, at most 216). The program may touch
 * [data_meta, data_end); xdp_adjust_head / xdp_adjust_tail move the bounds,
 * and data_out is the frame from data_meta to data_end as the last run left
 * it (repeated runs share the frame, as in Linux). ctx_out is ctx_in with
 * data and data_end as offsets from data_meta.
 *
 * Differences: frames longer than the linear part of the page (3520 bytes
 * plus the metadata), and a ctx_in data_end below the data length, are
 * multi-buffer frames in Linux; tsbpf refuses them (ENOTSUPP). An
 * ingress_ifindex above 1 is ENODEV, as in Linux.
 */
function testRun(host: TestRunHost, input: TestRunInput): TestRunResult {
  const { packet, runs, cin, meta } = checkInput(input);
  const { run, env } = prepare(host, layout(host, packet, meta));
  const { retval, r0, durationNs } = timedRuns(host, runs, run);
  const dataOut = env.bytes().slice(env.dataMeta, env.dataEnd);
  return { retval, r0, durationNs, dataOut, ctxOut: cin && ctxOut(cin, env.data - env.dataMeta, env.dataEnd - env.dataMeta) };
}

/** The checks of bpf_prog_test_run_xdp, in its order. */
function checkInput(input: TestRunInput) {
  const packet = input.data ?? new Uint8Array(0);
  const runs = runCount('xdp', input.repeat);
  const cin = input.ctx === undefined ? undefined : ctxIn('xdp', input.ctx, XDP_MD_SIZE);
  const cinView = cin && new DataView(cin.buffer);
  const meta = cinView ? checkCtx(cinView, packet.length) : 0;
  if (packet.length - meta < ETH_HLEN) {
    throw new BpfError('EINVAL', `xdp test run: data must hold an Ethernet frame of at least ${ETH_HLEN} bytes after ${meta} bytes of metadata, not ${packet.length - meta}`);
  }
  const linear = FRAME_SZ - (XDP_PACKET_HEADROOM - meta) - TAILROOM;
  if (packet.length > linear) throw new BpfError('ENOTSUPP', `xdp test run: ${packet.length} bytes do not fit the page's ${linear}-byte linear part, and tsbpf has no multi-buffer XDP`);
  if (cinView) checkQueue(cinView);
  return { packet, runs, cin, meta };
}

/** The read-only context, the packet region [data_meta, data_end) and the packet helpers' view of the frame. */
function prepare(host: TestRunHost, fr: Frame): { run: Runner; env: PacketEnv } {
  const region: Region = { start: fr.dataMeta, end: fr.dataEnd, writable: true, name: 'packet' };
  const bounds = { data: fr.data, dataEnd: fr.dataEnd, dataMeta: fr.dataMeta, hardStart: fr.hardStart, hardEnd: fr.hardStart + FRAME_SZ - TAILROOM };
  const env = packetEnv(host.space, 'xdp', fr.ctx, region, bounds, { data: XDP_MD.data, dataEnd: XDP_MD.data_end, dataMeta: XDP_MD.data_meta });
  const ctxRegion: Region = { start: fr.ctx, end: fr.ctx + XDP_MD_SIZE, writable: false, name: 'ctx (struct xdp_md)' };
  return { run: host.runner({ ctx: fr.ctx, regions: [ctxRegion, region], packet: { region, env, ldAbs: false } }), env };
}

function ctxOut(cin: Uint8Array, data: number, dataEnd: number): Uint8Array {
  const out = cin.slice();
  const dv = new DataView(out.buffer);
  dv.setUint32(XDP_MD.data, data, true);
  dv.setUint32(XDP_MD.data_end, dataEnd, true);
  return out;
}

export const xdp: ProgramType = {
  type: 6,
  name: 'xdp',
  ctxType: 'struct xdp_md',
  ctxSize: XDP_MD_SIZE,
  fields,
  helpers: XDP_HELPERS,
  retval: {
    range: [XDP_ACTION.ABORTED, XDP_ACTION.REDIRECT],
    enforced: false,
    names: Object.fromEntries(Object.entries(XDP_ACTION).map(([k, v]) => [v, `XDP_${k}`])),
  },
  testRun,
};
