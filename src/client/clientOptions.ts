import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { ConfigError } from '../errors/ConfigError';
import { isDeadlineMs, isTimerMs } from '../protocol/durationMs';
import { backoffUnchecked } from '../operators/exponentialBackoff';
import { jsonPacker } from '../packers/jsonPacker';
import type { Packer } from '../packers/Packer';
import type { ClientTransport } from './ClientTransport';
import type { FetchLike } from './transports/ajaxTransport';
import type { WebSocketConstructor } from './transports/webSocketTransport';
import { schemasProblem, type EventSchemas } from '../schemas/EventSchemas';

/** Keep-alive settings: ping after `idleMs` without hearing from the server, give up `timeoutMs` later. */
export interface ClientKeepAlive {
  /** @default 20_000 */
  idleMs: number;
  /** @default 5_000 */
  timeoutMs: number;
}

/** Options of `createChannelSocketClient`. */
export interface ClientOptions {
  /** Endpoint URL: `'/chsk'` in a browser, `'http://host:port/chsk'` on Node. `https` pages and URLs use `wss`. @default '/chsk' */
  url?: string;
  /**
   * Transport. `'auto'`: WebSocket first; if it fails before ever opening (refused, 4xx/5xx on the upgrade, a
   * proxy that strips `Upgrade`, no open within `connectTimeoutMs`), fall back to Ajax long-polling
   * (`state$.lastClose.reason` is `'downgrading-ws-to-ajax'`), and while on Ajax try WebSocket again every
   * `upgradeIntervalMs`, switching over without losing, duplicating or reordering anything. Without a
   * WebSocket constructor (Node without the `WebSocket` option), `'auto'` throws a `ConfigError`
   * `CHSK_NO_WEBSOCKET` at creation; pass `type: 'ajax'` to run on Ajax alone. `'ws'`: WebSocket only.
   * `'ajax'`: long-polling only.
   * @default 'auto'
   */
  type?: 'auto' | 'ws' | 'ajax';
  /** The `fetch` the Ajax transport uses. @default globalThis.fetch */
  fetch?: FetchLike;
  /**
   * How long a WebSocket may take to open before `'auto'` falls back to Ajax (and a probe gives up), before
   * `'ws'` gives the attempt up and reconnects with backoff (`lastWsClose.reason: 'connect timeout'`), and how
   * long an Ajax handshake may take. @default 5000
   */
  connectTimeoutMs?: number;
  /** While `'auto'` runs on Ajax: how often it tries WebSocket again; `false` never does. @default 30_000 */
  upgradeIntervalMs?: number | false;
  /**
   * Longest an Ajax poll or POST may take before the link counts as dead; must exceed the server's
   * `longPollTimeoutMs` (20 s by default). @default 60_000
   */
  ajaxTimeoutMs?: number;
  /** The CSRF token to present, or a function returning it (read at each connect). @default none */
  csrfToken?: string | (() => string | undefined);
  /** Frame serialisation; must match the server's. @default jsonPacker */
  packer?: Packer;
  /** Extra query parameters on the handshake. @default {} */
  params?: Readonly<Record<string, string>>;
  /**
   * WebSocket constructor. Browsers and Node 22 and later have a global one, used when none is passed; on Node 20
   * pass the one from `ws` (`import WebSocket from 'ws'`). With neither, creating a `'ws'` or `'auto'` client
   * throws a `ConfigError` with code `CHSK_NO_WEBSOCKET` (`'ajax'` needs none). @default globalThis.WebSocket
   */
  WebSocket?: WebSocketConstructor;
  /** This client's id. @default a random id */
  clientId?: string;
  /**
   * Default deadline of `send`, counted from the call: ms in (0, 2^31-1], or `Infinity` for no deadline. A
   * longer finite value is a `ConfigError` (a timer that long would fire at once). @default 10_000
   */
  timeoutMs?: number;
  /**
   * Delay in ms before reconnect attempt n (1-based). A result that is not a number >= 0 (NaN, negative,
   * Infinity, a throw) falls back to the default for that attempt and is reported once on `errors$` as a
   * `ConfigError`; a delay above 2^31-1 ms is clamped.
   * A wait under way is cut short when the browser reports `online` or the page becomes visible again.
   * @default exponentialBackoff({ initialMs: 1000, maxMs: 5_000, factor: 2, jitter: 'full', jitterAtCap: 'equal' })
   */
  backoff?: (attempt: number) => number;
  /** Give up after this many consecutive failed attempts (the client then stays closed). @default Infinity */
  maxReconnectAttempts?: number;
  /** Client keep-alive, or `false` to switch it off; both durations in (0, 2^31-1] ms. @default { idleMs: 20_000, timeoutMs: 5_000 } */
  keepAlive?: ClientKeepAlive | false;
  /** Most sends that may wait while the client is connecting or reconnecting. @default 1000 */
  maxBufferedSends?: number;
  /**
   * The outbox: sends (`send` and `emit`, not `stream$`) written but not yet answered when the link drops are
   * written again, with the same message id, after the reconnect, if the server dedupes (`hs.dd`), so none is
   * lost or handled twice; their deadlines keep running from the call. A send stays resendable while fewer than
   * this many later sends were written after it (keep it at most the server's `dedupe.maxEntries`, 1000 by
   * default); one pushed out, or any when the server does not dedupe, fails at a cut with `CHSK_UNCERTAIN`.
   * `0`: never send again. An integer >= 0. @default 1000
   */
  maxUnacked?: number;
  /** Connect when created; otherwise call `reconnect()`. @default true */
  autoConnect?: boolean;
  /** Replaces the transport (the testing kit's fake uses this); `type` is then ignored. @default chosen by `type` */
  transport?: ClientTransport;
  /** Scheduler for every timer. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /**
   * Standard Schema v1 validators per event id, usually the server's own map: pushes are checked against
   * `data` (a failure goes to `errors$` as a `DataError`, not to `events$`), replies against `reply` (the `send`
   * errors with `DataError`). The client's event map is inferred from it. @default none
   */
  schemas?: EventSchemas;
  /**
   * Whether the client validates with `schemas`. On by default in every build: a server of another version is
   * caught at the boundary and the cost is small (see benchmarks/README.md); switch it off to trust the server.
   * @default true
   */
  validate?: boolean;
  /**
   * Refuse a push (or topic event) whose id has no entry in `schemas`: it goes to `errors$` as a `DataError` with
   * code `CHSK_UNKNOWN_EVENT`, not to `events$`. Replies and stream items are unaffected; `validate: false` turns
   * it off with the other checks. @default false
   */
  strict?: boolean;
}

export interface ResolvedClientOptions {
  url: string;
  csrfToken: () => string | undefined;
  packer: Packer;
  params: Readonly<Record<string, string>>;
  clientId: string;
  /** True when the app chose `clientId` (it may come back after a reload: see MessageIds). */
  clientIdChosen: boolean;
  timeoutMs: number;
  backoff: (attempt: number) => number;
  /** The default backoff, which a misbehaving `backoff` falls back to. */
  defaultBackoff: (attempt: number) => number;
  maxReconnectAttempts: number;
  keepAlive: ClientKeepAlive | false;
  maxBufferedSends: number;
  maxUnacked: number;
  autoConnect: boolean;
  scheduler: SchedulerLike;
  schemas: EventSchemas | undefined;
  validate: boolean;
  strict: boolean;
}

/** A random client id from the platform's CSPRNG. */
export function randomClientId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function check(name: string, ok: boolean, what: string): void {
  if (!ok) throw new ConfigError(`option '${name}' ${what}`);
}

export function resolveClientOptions(o: ClientOptions): ResolvedClientOptions {
  const token = o.csrfToken;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const maxBufferedSends = o.maxBufferedSends ?? 1000;
  const clientId = o.clientId ?? randomClientId();
  check('timeoutMs', isDeadlineMs(timeoutMs), `must be a number of ms in (0, 2^31-1] or Infinity, got ${String(timeoutMs)}`);
  check('maxBufferedSends', Number.isInteger(maxBufferedSends) && maxBufferedSends >= 0, 'must be an integer >= 0');
  const maxUnacked = o.maxUnacked ?? 1000;
  check('maxUnacked', Number.isSafeInteger(maxUnacked) && maxUnacked >= 0, `must be an integer >= 0, got ${String(maxUnacked)}`);
  check('clientId', /^[A-Za-z0-9_-]{1,128}$/.test(clientId), 'must be 1-128 characters of [A-Za-z0-9_-]');
  if (o.keepAlive) check('keepAlive', isTimerMs(o.keepAlive.idleMs) && isTimerMs(o.keepAlive.timeoutMs), 'needs idleMs and timeoutMs in (0, 2^31-1] ms');
  const attempts = o.maxReconnectAttempts ?? Infinity;
  check('maxReconnectAttempts', attempts === Infinity || (Number.isInteger(attempts) && attempts >= 0), 'must be an integer >= 0 or Infinity');
  const badSchemas = schemasProblem(o.schemas);
  check('strict', o.strict === undefined || typeof o.strict === 'boolean', `must be a boolean, got ${typeof o.strict}`);
  if (badSchemas) throw new ConfigError(`option 'schemas' ${badSchemas}`);
  check('backoff', o.backoff === undefined || typeof o.backoff === 'function', 'must be a function (attempt) => ms');
  const url = o.url ?? '/chsk';
  // Without a page (Node, workers without location) a relative URL has nothing to resolve against: say so
  // now rather than fail each attempt. A custom `transport` decides for itself what the URL means.
  const hasPage = typeof (globalThis as { location?: { href?: unknown } }).location?.href === 'string';
  if (!o.transport && !hasPage) {
    check('url', /^(https?|wss?):\/\//i.test(url), `must be an absolute URL outside a browser page, e.g. 'http://localhost:3000/chsk'; got ${JSON.stringify(o.url)}`);
  }
  // A 5 s cap (it was 30 s): after a 20 s outage 2,000 clients took 29 s to come back, Socket.IO's (5 s cap,
  // jitter before the cap) about 5 s. Jitter after the cap keeps a fleet spread out: full jitter while the
  // delay grows, equal jitter ([2.5 s, 5 s]) at the cap. With full jitter at the cap too, the waits under way
  // when a server returns end twice as often in its first moments as later (a short wait is more likely to be
  // the one just ending): 10 % of the fleet came back in the first 250 ms slice; with equal jitter, 7-8 %, and
  // still all within 5 s (benchmarks/README.md, reconnect row; spec/client/reconnectFleet.spec.ts).
  const defaultBackoff = backoffUnchecked(1000, 5_000, 2, 'full', Math.random, 'equal');
  return {
    url,
    csrfToken: typeof token === 'function' ? token : () => token,
    packer: o.packer ?? jsonPacker,
    params: o.params ?? {},
    clientId,
    clientIdChosen: o.clientId !== undefined,
    timeoutMs,
    backoff: o.backoff ?? defaultBackoff,
    defaultBackoff,
    maxReconnectAttempts: attempts,
    keepAlive: o.keepAlive === undefined ? { idleMs: 20_000, timeoutMs: 5_000 } : o.keepAlive,
    maxBufferedSends,
    maxUnacked,
    autoConnect: o.autoConnect ?? true,
    scheduler: o.scheduler ?? asyncScheduler,
    schemas: o.schemas,
    validate: o.validate ?? true,
    strict: o.strict ?? false,
  };
}
