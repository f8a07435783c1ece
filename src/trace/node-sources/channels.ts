import dc from 'node:diagnostics_channel';
import type { RecordEvent, RecordSink, Tracepoint } from '../tracepoint.js';
import { unbound } from '../context.js';
import type { ContextWriter, FieldRead } from '../context.js';
import { SourceSpec, Subscribe, errorCode, errorName, errorMessage } from './source.js';
import { nowNs } from '../clock.js';

/**
 * The diagnostics_channel channels Node 20 publishes on (http, net, dgram,
 * child_process, worker_threads, and the undici client behind fetch), each
 * as a tracepoint `node_<module>:<event>` with the fields one filters on.
 *
 * Messages carry live objects (requests, sockets); a tracepoint's fields are
 * read from them while the event is published (only those a sink reads,
 * when every sink reads by name), so what a field holds is the object's
 * state at that moment. `duration_ns` fields measure from the
 * matching start event to their first read in the end event's delivery;
 * they are 0 when the start came before the source was subscribed, or
 * while no attached sink read the duration (TraceSink.reads).
 */

/** A message: Node's internal objects (requests, sockets), read defensively. */
type Msg = any;

/** The field of an end event that holds the time since its start. */
const DURATION = 'duration_ns';

/** How each field of an event is read from its message (and the time since its start event, for `timed`). */
type Reads = Record<string, (m: Msg, ev: { readonly duration: number }) => unknown>;

/**
 * An event being delivered, what its fields are read from: its message, and
 * its duration once asked for. Given to a sink that runs on its own record
 * (TraceSink.hitRecord), it writes the fields into that record by the
 * source's reads, which the record is bound to (ContextWriter.readFrom).
 */
class Delivery implements RecordEvent {
  m: Msg = undefined;
  private started: number | undefined = undefined;
  private durationNs: number | undefined = undefined;

  writeFixed(record: ContextWriter): void {
    record.writeFixedFrom(this.m, this);
  }

  writeDynamic(record: ContextWriter): void {
    record.writeDynamicFrom(this.m, this);
  }

  get values(): Record<string, unknown> {
    return this as unknown as Record<string, unknown>;
  }

  /** This delivery, for message `m` whose start event read the clock at `started` (undefined: no start seen). */
  reset(m: Msg, started: number | undefined): this {
    this.m = m;
    this.started = started;
    this.durationNs = undefined;
    return this;
  }

  /**
   * Time since the start event, read from the clock the first time a field
   * asks for it (within the event's delivery): an event whose duration no
   * sink reads — a filter on the status that rejects — costs no clock read.
   */
  get duration(): number {
    return (this.durationNs ??= this.started === undefined ? 0 : nowNs() - this.started);
  }
}

/**
 * A source's events as `reads` has them: made once per source (a new view
 * class per subscription gave the sinks' field reads a new shape each
 * time, megamorphic after a few), delivering for each subscription.
 */
class SourceEvents {
  private readonly names: string[];
  readonly View: new () => Delivery;

  constructor(private readonly reads: Reads) {
    this.names = Object.keys(reads);
    class View extends Delivery {}
    for (const name of this.names) {
      const read = reads[name]!;
      Object.defineProperty(View.prototype, name, { get(this: View) { return read(this.m, this); }, enumerable: true });
    }
    this.View = View;
  }

  /** How the field `name` is read (undefined for a field the source does not have). */
  read(name: string): FieldRead {
    return this.reads[name] ?? unbound;
  }

  /** A plain object of every field of the event `view` is for. */
  plain(view: Delivery): Record<string, unknown> {
    const v: Record<string, unknown> = {};
    for (const name of this.names) v[name] = this.reads[name]!(view.m, view);
    return v;
  }
}

/**
 * The events of one subscription, fired at its tracepoint. For sinks that
 * read fields by name (TraceSink.byName), a view whose fields are getters:
 * a field nobody reads is never computed (a request's headers are never
 * parsed for a filter on its status) — one view, refilled per message and
 * let go of it after the delivery (a sink must not keep values past its
 * hit), a fresh one for a message published during a delivery. For the
 * others, a plain object of every field, which they may enumerate or copy.
 *
 * When every sink runs on its own record (a program's, a compiled
 * filter's: Tracepoint.recordSinks), each is given the event to write into
 * its record straight from the message, by the reads of the fields it
 * holds (resolved once per change of the sinks): no getter or values
 * object between the message and the record.
 */
class Deliveries {
  private readonly shared: Delivery;
  private busy = false;
  /** the tracepoint's change whose record sinks read this source's fields (ContextWriter.readFrom) */
  private boundAt = -1;

  constructor(private readonly events: SourceEvents, private readonly tp: Tracepoint) {
    this.shared = new events.View();
  }

  deliver(m: Msg, started: number | undefined): void {
    if (!this.tp.byName) return this.tp.fire(this.events.plain(new Delivery().reset(m, started)));
    if (this.busy) return this.fire(new this.events.View().reset(m, started));
    const view = this.shared.reset(m, started);
    this.busy = true;
    try {
      this.fire(view);
    } finally {
      this.busy = false;
      view.reset(undefined, undefined);
    }
  }

  private fire(view: Delivery): void {
    const tp = this.tp;
    const sinks = tp.recordSinks;
    if (sinks === undefined) return tp.fire(view as unknown as Record<string, unknown>);
    if (this.boundAt !== tp.changes) this.bind(sinks);
    for (let i = 0; i < sinks.length; i++) sinks[i]!.hitRecord(view);
  }

  private bind(sinks: readonly RecordSink[]): void {
    for (const s of sinks) s.record.readFrom((name) => this.events.read(name));
    this.boundAt = this.tp.changes;
  }
}

/** Subscribe `handler` itself (each subscription's is a function of its own, so its unsubscribe removes just it): a wrapper would be one more call per message. */
function on(channel: string, handler: (m: Msg) => void): () => void {
  dc.subscribe(channel, handler);
  return () => void dc.unsubscribe(channel, handler);
}

const each = (channel: string, reads: Reads): Subscribe => {
  const events = new SourceEvents(reads);
  return (tp) => {
    const deliveries = new Deliveries(events, tp);
    return on(channel, (m) => deliveries.deliver(m, undefined));
  };
};

/** Subscribe to `start` and `end`, firing at `end` with the time since `start` of the same object (`keyOf`). */
function timed(start: string, end: string, keyOf: (m: Msg) => unknown, reads: Reads): Subscribe {
  const events = new SourceEvents(reads);
  return (tp) => {
    const started = new StartTimes();
    const deliveries = new Deliveries(events, tp);
    // the clock is the costly part of a start (~70 ns): read only while a sink may read the duration
    const offStart = on(start, (m) => {
      if (!tp.reads(DURATION)) return;
      const k = objectOrNone(keyOf(m));
      if (k) started.set(k, nowNs());
    });
    const offEnd = on(end, (m) => {
      const k = objectOrNone(keyOf(m));
      deliveries.deliver(m, k && started.take(k));
    });
    return () => {
      offStart();
      offEnd();
    };
  };
}

function objectOrNone(k: unknown): object | undefined {
  return typeof k === 'object' && k !== null ? k : undefined;
}

/** Start times kept by identity in a ring (a power of two); older ones go to a Map. */
const RECENT = 32;

/** The most start times kept for events whose end has not come (an aborted request's never does): the oldest go first. */
const MAX_PENDING = 65536;

/**
 * Start times of one subscription, by object, each taken (and forgotten)
 * at the object's end event. The last RECENT starts sit in a ring searched
 * by identity: a server has a few requests in flight, and a Map's set and
 * delete cost ~150 ns per request here, the ring's search ~15. A start
 * whose end has not come when its slot is needed again moves to a Map,
 * whose oldest entries are dropped past MAX_PENDING. Not a WeakMap (its
 * ephemeron entries cost ~1.3 µs per request in the garbage collector)
 * nor a field stamped on the objects (adding one to Node's request objects
 * changed their shape and cost the traced server ~10 µs per request in
 * Node's own code).
 */
class StartTimes {
  private readonly objects: (object | null)[] = Array.from({ length: RECENT }, () => null);
  private readonly times = new Float64Array(RECENT);
  private next = 0;
  private readonly older = new Map<object, number>();

  set(o: object, t: number): void {
    const i = this.next;
    const old = this.objects[i]!;
    if (old !== null) {
      this.older.set(old, this.times[i]!);
      if (this.older.size > MAX_PENDING) this.older.delete(this.older.keys().next().value!);
    }
    this.objects[i] = o;
    this.times[i] = t;
    this.next = (i + 1) & (RECENT - 1);
  }

  /** The start time of `o`, forgotten here; the ring is searched from its latest start back. */
  take(o: object): number | undefined {
    const objects = this.objects;
    for (let k = 1, i = this.next; k <= RECENT; k++) {
      i = (i - 1) & (RECENT - 1);
      if (objects[i] !== o) continue;
      objects[i] = null;
      return this.times[i];
    }
    if (this.older.size === 0) return undefined;
    const t = this.older.get(o);
    if (t !== undefined) this.older.delete(o);
    return t;
  }
}

/** host and port of a ClientRequest (its Host header names a port other than the protocol's default) */
function clientHost(req: Msg): { host: string; port: number } {
  const header = String(req.getHeader?.('host') ?? req.host ?? '');
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(header);
  const port = m?.[2] ? Number(m[2]) : req.protocol === 'https:' ? 443 : 80;
  return { host: String(req.host ?? m?.[1] ?? ''), port };
}

/** The first Host header of an IncomingMessage, found in its raw headers: reading `headers` would build the whole object. */
function hostHeader(req: Msg): string {
  const raw: unknown = req?.rawHeaders;
  if (!Array.isArray(raw)) return String(req?.headers?.host ?? '');
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    if (typeof name === 'string' && name.length === 4 && name.toLowerCase() === 'host') return String(raw[i + 1]);
  }
  return '';
}

const clientRequest: Reads = {
  method: (m) => m.request.method, host: (m) => clientHost(m.request).host, port: (m) => clientHost(m.request).port, path: (m) => m.request.path,
};

const peer = (socketOf: (m: Msg) => Msg): Reads => ({
  remote_addr: (m) => socketOf(m)?.remoteAddress ?? '', remote_port: (m) => socketOf(m)?.remotePort ?? 0,
  local_addr: (m) => socketOf(m)?.localAddress ?? '', local_port: (m) => socketOf(m)?.localPort ?? 0, family: (m) => socketOf(m)?.remoteFamily ?? '',
});

const PEER = { remote_addr: 'string', remote_port: 'u16', local_addr: 'string', local_port: 'u16', family: 'string' } as const;
const HTTP_CLIENT = { method: 'string', host: 'string', port: 'u16', path: 'string' } as const;
const HTTP_SERVER = { method: 'string', path: 'string', host: 'string', remote_addr: 'string', remote_port: 'u16', http_version: 'string' } as const;
const UNDICI_REQUEST = { method: 'string', origin: 'string', path: 'string' } as const;
const CONNECT = { host: 'string', port: 'u16', protocol: 'string' } as const;
const ERROR = { error: 'string', code: 'string', message: 'string' } as const;

const serverRequest: Reads = {
  method: (m) => m.request.method, path: (m) => m.request.url, host: (m) => hostHeader(m.request),
  remote_addr: (m) => m.socket?.remoteAddress ?? '', remote_port: (m) => m.socket?.remotePort ?? 0, http_version: (m) => m.request.httpVersion,
};

const undiciRequest: Reads = { method: (m) => m.request.method, origin: (m) => String(m.request.origin ?? ''), path: (m) => m.request.path };
const connectParams: Reads = {
  host: (m) => m.connectParams?.hostname ?? m.connectParams?.host ?? '', port: (m) => Number(m.connectParams?.port) || 0, protocol: (m) => m.connectParams?.protocol ?? '',
};
const error = (errorOf: (m: Msg) => unknown): Reads => ({
  error: (m) => errorName(errorOf(m)), code: (m) => errorCode(errorOf(m)), message: (m) => errorMessage(errorOf(m)),
});
const duration: Reads = { [DURATION]: (_, ev) => ev.duration };
const status: Reads = { status: (m) => m.response.statusCode };

/** A net socket announced at creation fires when it connects: only then are its addresses known. */
const socketEvents = new SourceEvents(peer((x) => x));
const onConnect = (tp: Tracepoint): ((m: Msg) => void) => {
  const deliveries = new Deliveries(socketEvents, tp);
  return (m) => {
    const socket = m.socket;
    socket.once('connect', () => deliveries.deliver(socket, undefined));
  };
};

/** A ChildProcess is announced at construction; its pid, file and arguments are known once it spawns. */
const onSpawn = (tp: Tracepoint) => (m: Msg): void => {
  const child = m.process;
  child.once('spawn', () => tp.fire({ pid: child.pid, file: child.spawnfile, argv: child.spawnargs.join(' ') }));
};

/** The address a server listens on (its address(): an object, a pipe's path, or null). */
const listenAddress: Reads = {
  addr: (m) => {
    const a = m.server.address();
    return typeof a === 'string' ? a : a?.address ?? '';
  },
  port: (m) => {
    const a = m.server.address();
    return typeof a === 'string' ? 0 : a?.port ?? 0;
  },
  family: (m) => {
    const a = m.server.address();
    return typeof a === 'string' ? 'unix' : a?.family ?? '';
  },
};

export const CHANNEL_SOURCES: readonly SourceSpec[] = [
  {
    name: 'node_http:client_request_start', origin: 'http.client.request.start',
    fields: HTTP_CLIENT, subscribe: each('http.client.request.start', clientRequest),
  },
  {
    name: 'node_http:client_request_error', origin: 'http.client.request.error',
    fields: { ...HTTP_CLIENT, ...ERROR }, subscribe: each('http.client.request.error', { ...clientRequest, ...error((m) => m.error) }),
  },
  {
    name: 'node_http:client_response_finish', origin: 'http.client.response.finish',
    fields: { ...HTTP_CLIENT, status: 'u16', duration_ns: 'u64' },
    subscribe: timed('http.client.request.start', 'http.client.response.finish', (m) => m.request, { ...clientRequest, ...status, ...duration }),
  },
  {
    name: 'node_http:server_request_start', origin: 'http.server.request.start',
    fields: HTTP_SERVER, subscribe: each('http.server.request.start', serverRequest),
  },
  {
    name: 'node_http:server_response_finish', origin: 'http.server.response.finish',
    fields: { ...HTTP_SERVER, status: 'u16', duration_ns: 'u64' },
    subscribe: timed('http.server.request.start', 'http.server.response.finish', (m) => m.request, { ...serverRequest, ...status, ...duration }),
  },
  {
    name: 'node_net:client_socket', origin: 'net.client.socket (fired on connect)',
    fields: PEER, subscribe: (tp) => on('net.client.socket', onConnect(tp)),
  },
  {
    name: 'node_net:server_socket', origin: 'net.server.socket',
    fields: PEER, subscribe: each('net.server.socket', peer((m) => m.socket)),
  },
  {
    name: 'node_net:server_listen', origin: 'tracing:net.server.listen:asyncEnd',
    fields: { addr: 'string', port: 'u16', family: 'string' }, subscribe: each('tracing:net.server.listen:asyncEnd', listenAddress),
  },
  {
    name: 'node_net:server_listen_error', origin: 'tracing:net.server.listen:error',
    fields: ERROR, subscribe: each('tracing:net.server.listen:error', error((m) => m.error)),
  },
  {
    name: 'node_udp:socket', origin: 'udp.socket',
    fields: { type: 'string' }, subscribe: each('udp.socket', { type: (m) => m.socket.type }),
  },
  {
    name: 'node_child_process:spawn', origin: "child_process (fired on the child's 'spawn')",
    fields: { pid: 's32', file: 'string', argv: 'string' }, subscribe: (tp) => on('child_process', onSpawn(tp)),
  },
  {
    name: 'node_worker:create', origin: 'worker_threads',
    fields: { thread_id: 'u32' }, subscribe: each('worker_threads', { thread_id: (m) => m.worker.threadId }),
  },
  ...(['create', 'body_sent', 'trailers'] as const).map((ev) => ({
    name: `node_undici:request_${ev}`, origin: `undici:request:${ev === 'body_sent' ? 'bodySent' : ev}`,
    fields: UNDICI_REQUEST, subscribe: each(`undici:request:${ev === 'body_sent' ? 'bodySent' : ev}`, undiciRequest),
  })),
  {
    name: 'node_undici:request_headers', origin: 'undici:request:headers',
    fields: { ...UNDICI_REQUEST, status: 'u16', duration_ns: 'u64' },
    subscribe: timed('undici:request:create', 'undici:request:headers', (m) => m.request, { ...undiciRequest, ...status, ...duration }),
  },
  {
    name: 'node_undici:request_error', origin: 'undici:request:error',
    fields: { ...UNDICI_REQUEST, ...ERROR }, subscribe: each('undici:request:error', { ...undiciRequest, ...error((m) => m.error) }),
  },
  {
    name: 'node_undici:client_send_headers', origin: 'undici:client:sendHeaders',
    fields: UNDICI_REQUEST, subscribe: each('undici:client:sendHeaders', undiciRequest),
  },
  {
    name: 'node_undici:client_before_connect', origin: 'undici:client:beforeConnect',
    fields: CONNECT, subscribe: each('undici:client:beforeConnect', connectParams),
  },
  {
    name: 'node_undici:client_connected', origin: 'undici:client:connected',
    fields: { ...CONNECT, duration_ns: 'u64' },
    subscribe: timed('undici:client:beforeConnect', 'undici:client:connected', (m) => m.connector, { ...connectParams, ...duration }),
  },
  {
    name: 'node_undici:client_connect_error', origin: 'undici:client:connectError',
    fields: { ...CONNECT, ...ERROR }, subscribe: each('undici:client:connectError', { ...connectParams, ...error((m) => m.error) }),
  },
  {
    name: 'node_undici:websocket_open', origin: 'undici:websocket:open',
    fields: { addr: 'string', port: 'u16', protocol: 'string', extensions: 'string' },
    subscribe: each('undici:websocket:open', {
      addr: (m) => m.address?.address ?? '', port: (m) => m.address?.port ?? 0, protocol: (m) => m.protocol ?? '', extensions: (m) => m.extensions ?? '',
    }),
  },
  {
    name: 'node_undici:websocket_close', origin: 'undici:websocket:close',
    fields: { code: 'u16', reason: 'string' }, subscribe: each('undici:websocket:close', { code: (m) => m.code ?? 0, reason: (m) => m.reason ?? '' }),
  },
  {
    name: 'node_undici:websocket_socket_error', origin: 'undici:websocket:socket_error',
    fields: ERROR, subscribe: each('undici:websocket:socket_error', error((m) => m)),
  },
  ...(['ping', 'pong'] as const).map((ev) => ({
    name: `node_undici:websocket_${ev}`, origin: `undici:websocket:${ev}`,
    fields: { payload: 'bytes' } as const,
    subscribe: each(`undici:websocket:${ev}`, { payload: (m) => (m.payload instanceof Uint8Array ? m.payload : new Uint8Array(0)) }),
  })),
];
