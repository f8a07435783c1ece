import { BpfError } from '../errno.js';
import { nowNs } from './clock.js';
import type { FieldType, Tracepoint, TraceRegistry } from './tracepoint.js';
import { tracepoints } from './tracepoint.js';

/**
 * Function probes: the uprobe and uretprobe of JavaScript.
 *
 * `probe(obj, 'method')` replaces `obj.method` with a wrapper that fires
 * the tracepoint `probe_js:<name>` at entry (the arguments) and
 * `probe_js:<name>__return` at return (the value or the thrown error's name,
 * and the entry→return latency) — the `__return` suffix is perf probe's for
 * a return probe. For a function that returns a Promise, the return event
 * fires when the promise settles, and the caller gets the promise `then`
 * chains to the original (same species): its resolution, rejection and
 * "unhandled" status are the original's, a microtask later.
 *
 * Fields are typed from a declared signature (`{args: {path: 'string'},
 * ret: 'u32'}`); without one, `arg0…argN` (N from the function's `length`,
 * at least one, at most eight) and `ret` are strings holding the values'
 * text (a primitive as String() gives it, an object as its class name).
 *
 * While nothing is attached to either tracepoint, the wrapper costs two
 * flag checks and an `apply`; with sinks attached, a field none of them
 * may read (TraceSink.reads) is not computed (an untyped argument is not
 * turned to text for a sink that counts calls). Probing the same method twice shares the
 * wrapper and its tracepoints; the last `detach()` restores the property
 * exactly as it was (the original function: identity, name, length,
 * properties; an inherited method by deleting the own property).
 */

export interface ProbeSignature {
  /** argument names and types, in order */
  args?: Record<string, FieldType>;
  /** the return value's type */
  ret?: FieldType;
}

export interface ProbeOptions extends ProbeSignature {
  /** the event name (a C identifier); default the method's name */
  name?: string;
  registry?: TraceRegistry;
}

export interface FunctionProbe {
  readonly entry: Tracepoint;
  readonly ret: Tracepoint;
  /** restore the method once every probe of it is detached (idempotent) */
  detach(): void;
}

const MAX_UNTYPED_ARGS = 8;
const LATENCY = 'latency_ns';
/** a call's start time when its return probe is not attached, and when no sink of it reads the latency */
const UNTRACED = -1;
const UNTIMED = -2;
const PROVIDER = 'probe_js';

interface Site {
  readonly entry: Tracepoint;
  readonly ret: Tracepoint;
  readonly wrapper: (...args: unknown[]) => unknown;
  readonly restore: () => void;
  users: number;
}

const sites = new WeakMap<object, Map<PropertyKey, Site>>();

export function probe(target: object, method: PropertyKey, options: ProbeOptions = {}): FunctionProbe {
  const where = `probe ${String(method)}`;
  if ((typeof target !== 'object' && typeof target !== 'function') || target === null) throw new BpfError('EINVAL', `${where}: the target is not an object`);
  let bySite = sites.get(target);
  let site = bySite?.get(method);
  if (!site || (target as Record<PropertyKey, unknown>)[method] !== site.wrapper) {
    site = install(target, method, options, where);
    if (!bySite) sites.set(target, (bySite = new Map()));
    bySite.set(method, site);
  }
  const s = site;
  s.users++;
  let attached = true;
  return {
    entry: s.entry,
    ret: s.ret,
    detach() {
      if (!attached) return;
      attached = false;
      if (--s.users > 0) return;
      s.restore();
      if (bySite!.get(method) === s) bySite!.delete(method);
    },
  };
}

function install(target: object, method: PropertyKey, options: ProbeOptions, where: string): Site {
  const desc = findProperty(target, method);
  const fn = desc?.value as unknown;
  if (typeof fn !== 'function') throw new BpfError('EINVAL', `${where}: not a function (${desc ? (desc.get ? 'an accessor' : typeof fn) : 'no such property'})`);
  if (Object.prototype.toString.call(target) === '[object Module]') {
    throw new BpfError('EPERM', `${where}: an ES module's exported function cannot be replaced (its namespace is frozen); probe a method of an exported object or class, or the function where a CommonJS module exports it`);
  }
  const own = Object.getOwnPropertyDescriptor(target, method);
  if (own && !own.writable && !own.configurable) throw new BpfError('EPERM', `${where}: the property is read-only and not configurable (a frozen object?)`);
  if (!own && !Object.isExtensible(target)) throw new BpfError('EPERM', `${where}: the object is not extensible`);
  const name = options.name ?? (typeof method === 'string' ? method : '');
  const registry = options.registry ?? tracepoints;
  const argNames = options.args ? Object.keys(options.args) : untypedArgs(fn as (...a: unknown[]) => unknown);
  const argFields: Record<string, FieldType> = options.args ?? Object.fromEntries(argNames.map((n) => [n, 'string']));
  const entry = registry.define(`${PROVIDER}:${name}`, argFields);
  const ret = registry.define(`${PROVIDER}:${name}__return`, { ret: options.ret ?? 'string', error: 'string', [LATENCY]: 'u64' });
  const wrapper = wrap(fn as (...a: unknown[]) => unknown, entry, ret, argNames, options.args !== undefined, options.ret !== undefined);
  Object.defineProperty(target, method, { value: wrapper, writable: own?.writable ?? true, enumerable: own?.enumerable ?? desc!.enumerable, configurable: true });
  const restore = (): void => {
    if ((target as Record<PropertyKey, unknown>)[method] !== wrapper) return; // replaced since: not ours to undo
    if (own) Object.defineProperty(target, method, own);
    else delete (target as Record<PropertyKey, unknown>)[method];
  };
  return { entry, ret, wrapper, restore, users: 0 };
}

function findProperty(target: object, key: PropertyKey): PropertyDescriptor | undefined {
  for (let o: object | null = target; o; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (d) return d;
  }
  return undefined;
}

function untypedArgs(fn: (...a: unknown[]) => unknown): string[] {
  const n = Math.min(Math.max(fn.length, 1), MAX_UNTYPED_ARGS);
  return Array.from({ length: n }, (_, i) => `arg${i}`);
}

/** A value as an untyped field shows it: primitives kept (turned to text only when printed), undefined and null named, objects by class. */
function valueText(v: unknown): unknown {
  if (typeof v === 'function') return `function ${v.name}`;
  if (v === undefined || v === null || typeof v === 'symbol') return String(v);
  if (typeof v !== 'object') return v;
  const ctor = Object.getPrototypeOf(v)?.constructor;
  return `[object ${typeof ctor === 'function' && ctor.name ? ctor.name : 'Object'}]`;
}

function errorName(e: unknown): string {
  return e instanceof Error ? e.name : e === null ? 'null' : typeof e;
}

/** Where a view (EventValues) keeps its slots: a symbol, so no field name can shadow it. */
const SLOTS = Symbol('slots');
type View = Record<string, unknown> & { [SLOTS]: unknown[] };

/**
 * The values of a probe's events. A call's fields go by position into an
 * array of slots, one kept and refilled per call (a sink must not keep
 * values past its hit), so a call allocates nothing; sinks that read by
 * name (TraceSink.byName) see the slots through a view whose fields are
 * getters — stores by index and loads of one shape, where filling an object
 * by field name made a generic keyed store per field. Other sinks get a
 * plain object of the fields (also kept and refilled). A call made while its event is being
 * delivered (a sink that calls the probed function) gets fresh slots.
 */
class EventValues {
  private busy = false;
  private readMask: readonly boolean[] = [];
  private readAt = -1;
  private readonly slots: unknown[];
  private readonly View: new (slots: unknown[]) => View;
  private readonly view: View;
  /** the plain object of sinks that do not read by name, refilled per call as the slots are */
  private readonly shared: Record<string, unknown>;

  constructor(private readonly tp: Tracepoint, private readonly names: readonly string[]) {
    this.View = viewClass(names);
    this.slots = this.fresh();
    this.view = new this.View(this.slots);
    this.shared = this.plain(this.slots, {});
  }

  /** The slots to fill for a firing (the shared ones, unless they are being delivered). */
  take(): unknown[] {
    return this.busy ? this.fresh() : this.slots;
  }

  /** Which fields an attached sink may read, by position (a field none reads need not be computed), as of the sinks' last change. */
  read(): readonly boolean[] {
    if (this.readAt !== this.tp.changes) {
      this.readAt = this.tp.changes;
      this.readMask = this.names.map((n) => this.tp.reads(n));
    }
    return this.readMask;
  }

  /** Fire the tracepoint with the fields in `slots` (from take()); the shared slots then let go of the values (a probe must not keep a call's arguments alive). */
  deliver(slots: unknown[]): void {
    const was = this.busy;
    const shared = slots === this.slots;
    const values = !this.tp.byName ? this.plain(slots, shared ? this.shared : {}) : shared ? this.view : new this.View(slots);
    this.busy = true;
    try {
      this.tp.fire(values);
    } finally {
      this.busy = was;
      if (shared) {
        for (let i = 0; i < slots.length; i++) slots[i] = undefined;
        if (values === this.shared) this.plain(slots, values);
      }
    }
  }

  private fresh(): unknown[] {
    return this.names.map(() => undefined);
  }

  /** `into` with the fields of `slots`, by name. */
  private plain(slots: readonly unknown[], into: Record<string, unknown>): Record<string, unknown> {
    for (let i = 0; i < slots.length; i++) into[this.names[i]!] = slots[i];
    return into;
  }
}

/** A class of views over slots whose i-th field is named names[i]. */
function viewClass(names: readonly string[]): new (slots: unknown[]) => View {
  class FieldView {
    [SLOTS]: unknown[];
    constructor(slots: unknown[]) {
      this[SLOTS] = slots;
    }
  }
  names.forEach((name, i) => Object.defineProperty(FieldView.prototype, name, { get(this: FieldView) { return this[SLOTS][i]; }, enumerable: true }));
  return FieldView as unknown as new (slots: unknown[]) => View;
}

/** A return event's fields, as its tracepoint defines them: a class, so every event of every probe has one shape. */
class ReturnEvent {
  ret: unknown = undefined;
  error = '';
  latency_ns = 0;
}

/**
 * The return events of a probe: their fields are the same for every
 * function, so they need no slots or views (EventValues) — one object,
 * refilled per call and let go of the value after delivery; a call made
 * while its event is being delivered gets a fresh one. Methods of a class,
 * not closures made per probe: the wrappers of every probe call the same
 * functions, so their call sites stay monomorphic.
 */
class ReturnEvents {
  private readonly shared = new ReturnEvent();
  private busy = false;

  /** `typed`: the return value has a declared type (else a field shows it as text, valueText) */
  constructor(private readonly tp: Tracepoint, private readonly typed: boolean) {}

  /** The return of a call begun at `t0` (UNTIMED: no latency), with its value or the name of what it threw. */
  fire(t0: number, value: unknown, error: string): void {
    if (!this.tp.enabled) return;
    const latencyNs = t0 === UNTIMED ? 0 : nowNs() - t0;
    const ev = this.busy ? new ReturnEvent() : this.shared;
    ev.ret = error ? undefined : this.typed ? value : this.tp.reads('ret') ? valueText(value) : undefined;
    ev.error = error;
    ev.latency_ns = latencyNs;
    if (ev !== this.shared) return this.tp.fire(ev as unknown as Record<string, unknown>);
    this.busy = true;
    try {
      this.tp.fire(ev as unknown as Record<string, unknown>);
    } finally {
      this.busy = false;
      ev.ret = undefined;
    }
  }

  /** What the caller of a call that returned `promise` gets: its settlement, the return event fired when it settles. */
  settle(t0: number, promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
      (v) => (this.fire(t0, v, ''), v),
      (e) => {
        this.fire(t0, undefined, errorName(e));
        throw e;
      },
    );
  }
}

/**
 * The wrapper: a plain function (not a Proxy — its calls are cheaper) with the
 * original's name, length, prototype chain and own properties copied, that
 * passes `this`, the arguments and `new` through unchanged. A call reads the
 * clock only while a sink of the return probe may read latency_ns (a return
 * probe attached during a call does not see that call's return, as a
 * uretprobe does not; one that reads the latency, attached to a probe whose
 * sinks did not, sees 0 for the calls in progress).
 */
function wrap(
  fn: (...a: unknown[]) => unknown, entry: Tracepoint, ret: Tracepoint, argNames: readonly string[], typedArgs: boolean, typedRet: boolean,
): (...args: unknown[]) => unknown {
  const n = argNames.length;
  const entryValues = new EventValues(entry, argNames);
  const returns = new ReturnEvents(ret, typedRet);
  // `arguments` read by index and passed to apply is not materialised by V8, where rest parameters are: a call allocates nothing
  const wrapper = function (this: unknown): unknown {
    const nt = new.target;
    if (!entry.enabled && !ret.enabled) return nt === undefined ? fn.apply(this, arguments as unknown as unknown[]) : construct(fn, arguments, nt, wrapper);
    if (entry.enabled) {
      // filled here, not in a function given `arguments`, which would make V8 build the arguments object
      const s = entryValues.take();
      const read = entryValues.read();
      for (let i = 0; i < n; i++) s[i] = !read[i] ? undefined : typedArgs ? arguments[i] : valueText(arguments[i]);
      entryValues.deliver(s);
    }
    const t0 = !ret.enabled ? UNTRACED : ret.reads(LATENCY) ? nowNs() : UNTIMED;
    let result: unknown;
    try {
      result = nt === undefined ? fn.apply(this, arguments as unknown as unknown[]) : construct(fn, arguments, nt, wrapper);
    } catch (e) {
      if (t0 !== UNTRACED) returns.fire(t0, undefined, errorName(e));
      throw e;
    }
    if (t0 === UNTRACED) return result;
    if (result instanceof Promise) return returns.settle(t0, result);
    returns.fire(t0, result, '');
    return result;
  };
  copyShape(fn, wrapper);
  return wrapper;
}

/** `new fn(...args)` as the wrapper was called with `new` (a subclass's new.target kept). */
function construct(fn: (...a: unknown[]) => unknown, args: ArrayLike<unknown>, newTarget: unknown, wrapper: unknown): unknown {
  return Reflect.construct(fn, args, (newTarget === wrapper ? fn : newTarget) as new (...a: unknown[]) => unknown);
}

function copyShape(from: (...a: unknown[]) => unknown, to: (...a: unknown[]) => unknown): void {
  Object.setPrototypeOf(to, Object.getPrototypeOf(from));
  for (const key of Reflect.ownKeys(from)) {
    if (key === 'caller' || key === 'arguments') continue;
    const d = Object.getOwnPropertyDescriptor(from, key)!;
    Object.defineProperty(to, key, d);
  }
}

