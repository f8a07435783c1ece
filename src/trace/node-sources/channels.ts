import dc from 'node:diagnostics_channel';
import type { AddressInfo } from 'node:net';
import { SourceSpec, Fire, Subscribe, errorCode, errorName, errorMessage, nowNs } from './source.js';

/**
 * The diagnostics_channel channels Node 20 publishes on (http, net, dgram,
 * child_process, worker_threads, and the undici client behind fetch), each
 * as a tracepoint `node_<module>:<event>` with the fields one filters on.
 *
 * Messages carry live objects (requests, sockets); a tracepoint's fields are
 * read from them when the event is published, so what a field holds is the
 * object's state at that moment. `duration_ns` fields measure from the
 * matching start event; they are 0 when the start came before the source was
 * subscribed.
 */

/** A message: Node's internal objects (requests, sockets), read defensively. */
type Msg = any;

function on(channel: string, handler: (m: Msg) => void): () => void {
  const fn = (m: unknown): void => handler(m);
  dc.subscribe(channel, fn);
  return () => void dc.unsubscribe(channel, fn);
}

const each = (channel: string, values: (m: Msg) => Record<string, unknown>): Subscribe => (fire) => on(channel, (m) => fire(values(m)));

/** Subscribe to `start` and `end`, firing at `end` with the time since `start` of the same object (`keyOf`). */
function timed(start: string, end: string, keyOf: (m: Msg) => unknown, values: (m: Msg, durationNs: number) => Record<string, unknown>): Subscribe {
  return (fire: Fire) => {
    const started = new WeakMap<object, number>();
    const key = (m: Msg): object | undefined => {
      const k = keyOf(m);
      return typeof k === 'object' && k !== null ? k : undefined;
    };
    const offStart = on(start, (m) => {
      const k = key(m);
      if (k) started.set(k, nowNs());
    });
    const offEnd = on(end, (m) => {
      const k = key(m);
      const t = k && started.get(k);
      fire(values(m, t === undefined ? 0 : nowNs() - t));
    });
    return () => {
      offStart();
      offEnd();
    };
  };
}

/** host and port of a ClientRequest (its Host header names a port other than the protocol's default) */
function clientHost(req: Msg): { host: string; port: number } {
  const header = String(req.getHeader?.('host') ?? req.host ?? '');
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(header);
  const port = m?.[2] ? Number(m[2]) : req.protocol === 'https:' ? 443 : 80;
  return { host: String(req.host ?? m?.[1] ?? ''), port };
}

const clientRequest = (req: Msg): Record<string, unknown> => ({ method: req.method, ...clientHost(req), path: req.path });

function peer(socket: Msg): Record<string, unknown> {
  return {
    remote_addr: socket?.remoteAddress ?? '', remote_port: socket?.remotePort ?? 0,
    local_addr: socket?.localAddress ?? '', local_port: socket?.localPort ?? 0, family: socket?.remoteFamily ?? '',
  };
}

const PEER = { remote_addr: 'string', remote_port: 'u16', local_addr: 'string', local_port: 'u16', family: 'string' } as const;
const HTTP_CLIENT = { method: 'string', host: 'string', port: 'u16', path: 'string' } as const;
const HTTP_SERVER = { method: 'string', path: 'string', host: 'string', remote_addr: 'string', remote_port: 'u16', http_version: 'string' } as const;
const UNDICI_REQUEST = { method: 'string', origin: 'string', path: 'string' } as const;
const CONNECT = { host: 'string', port: 'u16', protocol: 'string' } as const;
const ERROR = { error: 'string', code: 'string', message: 'string' } as const;

const serverRequest = (m: Msg): Record<string, unknown> => ({
  method: m.request.method, path: m.request.url, host: m.request.headers?.host ?? '',
  remote_addr: m.socket?.remoteAddress ?? '', remote_port: m.socket?.remotePort ?? 0, http_version: m.request.httpVersion,
});

const undiciRequest = (r: Msg): Record<string, unknown> => ({ method: r.method, origin: String(r.origin ?? ''), path: r.path });
const connectParams = (p: Msg): Record<string, unknown> => ({ host: p?.hostname ?? p?.host ?? '', port: Number(p?.port) || 0, protocol: p?.protocol ?? '' });
const error = (e: unknown): Record<string, unknown> => ({ error: errorName(e), code: errorCode(e), message: errorMessage(e) });

/** A net socket announced at creation fires when it connects: only then are its addresses known. */
const onConnect = (fire: Fire) => (m: Msg): void => {
  const socket = m.socket;
  socket.once('connect', () => fire(peer(socket)));
};

/** A ChildProcess is announced at construction; its pid, file and arguments are known once it spawns. */
const onSpawn = (fire: Fire) => (m: Msg): void => {
  const child = m.process;
  child.once('spawn', () => fire({ pid: child.pid, file: child.spawnfile, argv: child.spawnargs.join(' ') }));
};

function listenAddress(server: Msg): Record<string, unknown> {
  const a: AddressInfo | string | null = server.address();
  if (typeof a === 'string') return { addr: a, port: 0, family: 'unix' };
  return { addr: a?.address ?? '', port: a?.port ?? 0, family: a?.family ?? '' };
}

export const CHANNEL_SOURCES: readonly SourceSpec[] = [
  {
    name: 'node_http:client_request_start', origin: 'http.client.request.start',
    fields: HTTP_CLIENT, subscribe: each('http.client.request.start', (m) => clientRequest(m.request)),
  },
  {
    name: 'node_http:client_request_error', origin: 'http.client.request.error',
    fields: { ...HTTP_CLIENT, ...ERROR }, subscribe: each('http.client.request.error', (m) => ({ ...clientRequest(m.request), ...error(m.error) })),
  },
  {
    name: 'node_http:client_response_finish', origin: 'http.client.response.finish',
    fields: { ...HTTP_CLIENT, status: 'u16', duration_ns: 'u64' },
    subscribe: timed('http.client.request.start', 'http.client.response.finish', (m) => m.request,
      (m, duration_ns) => ({ ...clientRequest(m.request), status: m.response.statusCode, duration_ns })),
  },
  {
    name: 'node_http:server_request_start', origin: 'http.server.request.start',
    fields: HTTP_SERVER, subscribe: each('http.server.request.start', serverRequest),
  },
  {
    name: 'node_http:server_response_finish', origin: 'http.server.response.finish',
    fields: { ...HTTP_SERVER, status: 'u16', duration_ns: 'u64' },
    subscribe: timed('http.server.request.start', 'http.server.response.finish', (m) => m.request,
      (m, duration_ns) => ({ ...serverRequest(m), status: m.response.statusCode, duration_ns })),
  },
  {
    name: 'node_net:client_socket', origin: 'net.client.socket (fired on connect)',
    fields: PEER, subscribe: (fire) => on('net.client.socket', onConnect(fire)),
  },
  {
    name: 'node_net:server_socket', origin: 'net.server.socket',
    fields: PEER, subscribe: each('net.server.socket', (m) => peer(m.socket)),
  },
  {
    name: 'node_net:server_listen', origin: 'tracing:net.server.listen:asyncEnd',
    fields: { addr: 'string', port: 'u16', family: 'string' }, subscribe: each('tracing:net.server.listen:asyncEnd', (m) => listenAddress(m.server)),
  },
  {
    name: 'node_net:server_listen_error', origin: 'tracing:net.server.listen:error',
    fields: ERROR, subscribe: each('tracing:net.server.listen:error', (m) => error(m.error)),
  },
  {
    name: 'node_udp:socket', origin: 'udp.socket',
    fields: { type: 'string' }, subscribe: each('udp.socket', (m) => ({ type: m.socket.type })),
  },
  {
    name: 'node_child_process:spawn', origin: "child_process (fired on the child's 'spawn')",
    fields: { pid: 's32', file: 'string', argv: 'string' }, subscribe: (fire) => on('child_process', onSpawn(fire)),
  },
  {
    name: 'node_worker:create', origin: 'worker_threads',
    fields: { thread_id: 'u32' }, subscribe: each('worker_threads', (m) => ({ thread_id: m.worker.threadId })),
  },
  ...(['create', 'body_sent', 'trailers'] as const).map((ev) => ({
    name: `node_undici:request_${ev}`, origin: `undici:request:${ev === 'body_sent' ? 'bodySent' : ev}`,
    fields: UNDICI_REQUEST, subscribe: each(`undici:request:${ev === 'body_sent' ? 'bodySent' : ev}`, (m) => undiciRequest(m.request)),
  })),
  {
    name: 'node_undici:request_headers', origin: 'undici:request:headers',
    fields: { ...UNDICI_REQUEST, status: 'u16', duration_ns: 'u64' },
    subscribe: timed('undici:request:create', 'undici:request:headers', (m) => m.request,
      (m, duration_ns) => ({ ...undiciRequest(m.request), status: m.response.statusCode, duration_ns })),
  },
  {
    name: 'node_undici:request_error', origin: 'undici:request:error',
    fields: { ...UNDICI_REQUEST, ...ERROR }, subscribe: each('undici:request:error', (m) => ({ ...undiciRequest(m.request), ...error(m.error) })),
  },
  {
    name: 'node_undici:client_send_headers', origin: 'undici:client:sendHeaders',
    fields: UNDICI_REQUEST, subscribe: each('undici:client:sendHeaders', (m) => undiciRequest(m.request)),
  },
  {
    name: 'node_undici:client_before_connect', origin: 'undici:client:beforeConnect',
    fields: CONNECT, subscribe: each('undici:client:beforeConnect', (m) => connectParams(m.connectParams)),
  },
  {
    name: 'node_undici:client_connected', origin: 'undici:client:connected',
    fields: { ...CONNECT, duration_ns: 'u64' },
    subscribe: timed('undici:client:beforeConnect', 'undici:client:connected', (m) => m.connector,
      (m, duration_ns) => ({ ...connectParams(m.connectParams), duration_ns })),
  },
  {
    name: 'node_undici:client_connect_error', origin: 'undici:client:connectError',
    fields: { ...CONNECT, ...ERROR }, subscribe: each('undici:client:connectError', (m) => ({ ...connectParams(m.connectParams), ...error(m.error) })),
  },
  {
    name: 'node_undici:websocket_open', origin: 'undici:websocket:open',
    fields: { addr: 'string', port: 'u16', protocol: 'string', extensions: 'string' },
    subscribe: each('undici:websocket:open', (m) => ({ addr: m.address?.address ?? '', port: m.address?.port ?? 0, protocol: m.protocol ?? '', extensions: m.extensions ?? '' })),
  },
  {
    name: 'node_undici:websocket_close', origin: 'undici:websocket:close',
    fields: { code: 'u16', reason: 'string' }, subscribe: each('undici:websocket:close', (m) => ({ code: m.code ?? 0, reason: m.reason ?? '' })),
  },
  {
    name: 'node_undici:websocket_socket_error', origin: 'undici:websocket:socket_error',
    fields: ERROR, subscribe: each('undici:websocket:socket_error', error),
  },
  ...(['ping', 'pong'] as const).map((ev) => ({
    name: `node_undici:websocket_${ev}`, origin: `undici:websocket:${ev}`,
    fields: { payload: 'bytes' } as const, subscribe: each(`undici:websocket:${ev}`, (m) => ({ payload: m.payload instanceof Uint8Array ? m.payload : new Uint8Array(0) })),
  })),
];
