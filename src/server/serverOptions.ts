import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { ConfigError } from '../errors/ConfigError';
import { jsonPacker } from '../packers/jsonPacker';
import type { Packer } from '../packers/Packer';
import type { ChskRequest } from '../protocol/events';
import type { AuthorizeTopic } from './ServerTopics';
import type { ServerAdapter } from './adapter/ServerAdapter';
import { DEFAULT_REPLAY_LIMITS, type ReplayLimits } from './adapter/ReplayLog';
import { DEFAULT_DEDUPE_LIMITS, type DedupeLimits } from './adapter/Dedupe';
import { schemasProblem, type EventSchemas } from '../schemas/EventSchemas';

/**
 * Connect/Express-style middleware, run on WebSocket upgrade requests by `attach` (session parsers, auth). It
 * gets the raw upgrade `IncomingMessage` and a `ServerResponse` that is never sent, not Express's extended
 * req/res: middleware such as express-session that reads headers and sets fields works; middleware that calls
 * Express helpers (`req.get`, `res.json`) does not. Declared with method syntax so an Express `RequestHandler`
 * (typed for Express's req/res) is accepted as one.
 */
export type UpgradeMiddleware<Req = ChskRequest> = {
  bivarianceHack(req: Req, res: import('http').ServerResponse, next: (err?: unknown) => void): void;
}['bivarianceHack'];

/** A rejection an `authorize` hook may return instead of `false`: the HTTP status and body to answer with. */
export interface Rejection {
  status: number;
  body?: string;
}

/**
 * A per-connection rate limit: a token bucket holding `burst` tokens that refills at `perSecond`. Every message
 * a client sends (an event, a request, each member of a batch, a ping) takes a token; without one it is refused
 * with a `CHSK_RATE_LIMITED` error (carrying the `rid` of a request), and after `closeAfter` refusals with no
 * pause long enough for the bucket to refill, the connection is closed with 4429.
 */
export interface RateLimit {
  /** Messages per second a connection may sustain. */
  perSecond: number;
  /** Messages a connection may send at once after a pause: the bucket's capacity. */
  burst: number;
  /** Refused messages tolerated before closing with 4429; the count restarts when the bucket is full again. @default 1000 */
  closeAfter?: number;
}

/**
 * Options of `createChannelSocketServer`. Every field is optional; defaults are listed per field.
 *
 * `Req` is the app's request type: what its middleware leaves on the request (an express-session `session`
 * with the app's `SessionData`, passport's `user`). Every hook gets it, and `msg.req` has it, with no cast:
 * annotate one hook's parameter (`userId: (req: AppRequest) => req.session.user.id`) and the server infers it,
 * or pass it (`createChannelSocketServer<Events, AppRequest>(...)`). The library cannot check it at run time:
 * it must describe what the app's middleware (`upgradeMiddleware` for WebSocket) really sets.
 */
export interface ServerOptions<Req extends ChskRequest = ChskRequest> {
  /** URL path of the endpoint, used by `attach` to pick upgrade requests. @default '/chsk' */
  path?: string;
  /** Who a connection belongs to; `null` means a user without a uid. @default (req) => req.session?.uid ?? null */
  userId?: (req: Req) => string | null | undefined | Promise<string | null | undefined>;
  /** Data sent to the client in the handshake (`state$.handshakeData`). @default none */
  handshakeData?: (req: Req) => unknown;
  /**
   * What a connection keeps of its handshake request, for `msg.req` in its events: called once when the
   * connection opens, after the hooks. The default keeps the whole request (`IncomingMessage`, with whatever
   * middleware hung on it, e.g. `session`), about 1.2 KB per idle WebSocket connection. Return a smaller
   * object with what your handlers read (`(req) => ({ headers: {}, session: req.session }) as ChskRequest`,
   * say) to save most of that; `msg.req` is then that object. @default the request itself
   */
  keepRequest?: (req: Req) => Req;
  /**
   * The reference CSRF token for a request, or `null` to switch the check off for it (explicitly: `undefined`
   * or an empty string refuses the request with 403, so an accessor that finds no token never disables the
   * check). When set, clients must present the same token: header `x-csrf-token`, or on WebSocket the
   * `Sec-WebSocket-Protocol` entry `csrf.<base64url(token)>`; never the URL. Compared in constant time and
   * never sent back. See SECURITY.md. @default no check
   */
  csrfToken?: (req: Req) => string | null | undefined;
  /** Allowed `Origin`s: `'*'` or an exact list. @default same origin as the request's Host */
  allowedOrigins?: '*' | readonly string[];
  /**
   * Decides whether a connection may open: `true` admits; `false` (or anything else that is not a
   * {@link Rejection}, so a hook that forgets to return fails closed) refuses with 401; a `{ status, body }`
   * refuses with that 4xx/5xx status and body. A hook that throws or rejects refuses with 500 and is reported on
   * `errors$` as `CHSK_HOOK_FAILED` (as is every admission hook that fails). @default allow all
   */
  authorize?: (req: Req) => boolean | Rejection | Promise<boolean | Rejection>;
  /**
   * Middleware `attach` runs on the upgrade request before the checks (e.g. an express-session parser). Each
   * one may be typed for the bare request (express-session's handler is) or for the app's `Req`; with a
   * custom `Req`, annotate an inline middleware's parameters. @default []
   */
  upgradeMiddleware?: readonly (UpgradeMiddleware<Req> | UpgradeMiddleware)[];
  /** Frame serialisation. @default jsonPacker */
  packer?: Packer;
  /** Largest incoming WebSocket frame or Ajax body, in bytes. @default 1_048_576 */
  maxFrameBytes?: number;
  /** Most messages one incoming batch may hold. @default 1000 */
  maxBatchSize?: number;
  /** Most requests one connection may have waiting for replies, streamed replies in progress included. @default 1000 */
  maxPendingRequests?: number;
  /**
   * Largest window a streamed reply may have: a client asking more gets this. An Observable source may run at
   * most one window ahead of what the client consumed (`CHSK_STREAM_OVERFLOW` beyond), so this bounds a stream's
   * memory on the server. @default 1024
   */
  maxStreamWindow?: number;
  /**
   * Whether `uid` may join `topic` with the client's `params` (`topic$(topic, params)`): sync or async. A refusal,
   * a throw or a rejection errors the client's `topic$` with `TopicRefusedError` (`CHSK_TOPIC_REFUSED`).
   * @default none: every topic is refused
   */
  authorizeTopic?: AuthorizeTopic;
  /** Most topics one connection may hold (joined or being authorized); more get `CHSK_TOO_MANY_TOPICS`. @default 100 */
  maxTopicsPerConnection?: number;
  /** Longest topic name, in characters (names use `[A-Za-z0-9_.:@/-]`; others get `CHSK_BAD_TOPIC`). @default 256 */
  maxTopicLength?: number;
  /**
   * Topic joins per connection: a token bucket (joins per second, burst); a join past it gets
   * `CHSK_RATE_LIMITED`. `false` switches it off. @default { perSecond: 20, burst: 100 }
   */
  topicJoinRate?: { perSecond: number; burst: number } | false;
  /**
   * Deepest nesting of arrays and objects in an incoming message (the message object is level 1, an event's
   * data level 3); deeper frames are refused with `CHSK_BAD_FRAME`. @default 64
   */
  maxDepth?: number;
  /** Per-connection rate limit, or `false` for none. @default { perSecond: 200, burst: 400, closeAfter: 1000 } */
  rateLimit?: RateLimit | false;
  /**
   * Invalid frames and batch members (`CHSK_BAD_FRAME`, `CHSK_BAD_MESSAGE`, `CHSK_RESERVED_ID`,
   * `CHSK_DUPLICATE_REPLY_ID`, `CHSK_TOO_LARGE`) one connection may send; the one that reaches the limit gets
   * its error reply and the connection is closed with 1008. @default 100
   */
  maxProtocolErrors?: number;
  /**
   * Time the upgrade middleware and the admission hooks (`csrfToken`, `authorize`, `userId`, `handshakeData`)
   * may take, on a WebSocket upgrade, an Ajax handshake and an Ajax client's upgrade probe alike; past it the
   * handshake is answered 503 `CHSK_HANDSHAKE_TIMEOUT` (reported on `errors$`). @default 10_000
   */
  handshakeTimeoutMs?: number;
  /**
   * Open connections one uid may have in this process (users without a uid are not counted); one more is
   * refused with HTTP 429 `CHSK_TOO_MANY_CONNECTIONS`. @default Infinity (no limit)
   */
  maxConnectionsPerUid?: number;
  /**
   * Ajax connections without a uid one client address may hold in this process: each costs about 10 KB of
   * server state from its handshake until it is released (`ajaxGraceMs` after it closed, was upgraded to
   * WebSocket or stopped polling), and anyone may open one. One more is refused with HTTP 429
   * `CHSK_TOO_MANY_CONNECTIONS` (reported on `errors$`). The address is Express's `req.ip`, which follows the
   * app's `trust proxy` setting (behind a reverse proxy, set it, or every client shares the proxy's address).
   * `Infinity` switches the cap off. @default 100
   */
  maxAnonymousAjaxPerIp?: number;
  /**
   * Unsent bytes a WebSocket connection may hold (its socket's buffer: a client that reads too slowly, or a
   * dead link that still accepts bytes) before it counts as a slow consumer. `Infinity` switches the guard off.
   * @default 8_388_608 (8 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * What happens to a slow consumer: `'close'` closes it with 1013 (the client reconnects and can catch up);
   * `'drop'` drops frames while it is over the bound and reports the first drop of each episode. Either way
   * `CHSK_SLOW_CONSUMER` is reported on `errors$`, so nothing is lost silently. @default 'close'
   */
  slowConsumer?: 'close' | 'drop';
  /**
   * How long a WebSocket connection's backlog may stay above `maxBufferedBytes` before it counts as a slow
   * consumer. Judged over time, not per write: right after one large write the socket holds all of it, and a
   * healthy client drains it well within this window. The look happens once per window, so a connection that
   * is slow is found within twice this long. @default 1000
   */
  slowConsumerMs?: number;
  /**
   * A request nobody answers gets a `CHSK_NO_REPLY` error reply after this long; `Infinity`: never. Like every
   * duration option, at most 2^31-1 ms (longer is refused with a `ConfigError`). @default 30_000
   */
  requestTimeoutMs?: number;
  /** How long a WebSocket uid stays in `connectedUids$` after its last connection closed. @default 2500 */
  wsGraceMs?: number;
  /**
   * The same for Ajax. Also the longest gap the server allows between two polls of one Ajax connection: a
   * client that has no poll held and sends none for this long is closed (code 4408), then leaves
   * `connectedUids$` after this grace once more. @default 5000
   */
  ajaxGraceMs?: number;
  /**
   * Push batching window for WebSocket clients: pushes within it leave in one frame, packed once per uid.
   * `0` sends every push at once. @default 30
   */
  wsBatchMs?: number;
  /** The same for Ajax clients. @default 100 */
  ajaxBatchMs?: number;
  /** A batch is sent at once when it reaches this many pushes. @default 1000 */
  maxBatchPushes?: number;
  /**
   * A batch is also sent once no push has come for this long (ms), so the tail of a burst does not wait out the
   * whole window; pushes coming faster than this keep filling it. @default 1
   */
  batchIdleMs?: number;
  /**
   * Server keep-alive: ping a connection after `idleMs` without hearing from it, close it (code 4408) when it
   * stays silent `timeoutMs` longer. `false` switches it off. @default { idleMs: 25_000, timeoutMs: 10_000 }
   */
  keepAlive?: { idleMs: number; timeoutMs: number } | false;
  /**
   * How long the server holds an Ajax poll open when it has nothing to send; then it answers `204` and the
   * client polls again at once. Keep it below your proxies' idle timeouts (Heroku cuts at 30 s) and below the
   * client's `ajaxTimeoutMs`. @default 20_000
   */
  longPollTimeoutMs?: number;
  /**
   * Most frames one Ajax connection may hold for its client between polls. On overflow the connection is
   * closed with code 4507 and `CHSK_QUEUE_FULL` is reported on `errors$` (never a silent drop). @default 1000
   */
  maxAjaxQueue?: number;
  /**
   * How long a held Ajax poll waits after the first frame for more before it is answered, so frames written in
   * a burst leave in one response. `0` means the end of the current tick. @default 0
   */
  ajaxCoalesceMs?: number;
  /**
   * Time an Ajax POST body may take to arrive in full; past it the POST is answered 408 `CHSK_BODY_TIMEOUT`
   * (reported on `errors$`) and its TCP connection closed, so a body trickled byte by byte cannot hold memory
   * and a socket for Node's 300 s request timeout. @default 30_000
   */
  postTimeoutMs?: number;
  /** How long `close()` waits for clients to acknowledge before cutting their sockets. @default 1000 */
  closeTimeoutMs?: number;
  /**
   * Standard Schema v1 validators per event id (Zod 4, Valibot, ArkType...): `{ [id]: { data?, reply? } }`. Every
   * incoming event's data is validated before any handler or `events$` subscriber sees it, and they see the
   * validator's output; a failure is refused with `CHSK_BAD_DATA` (error reply carrying the issues, bounded) and
   * reported on `errors$`. An entry without `data` means the event carries none. Async validators are awaited
   * without reordering a connection's messages. The event map of the server is inferred from it. @default none
   */
  schemas?: EventSchemas;
  /** Refuse event ids that have no entry in `schemas` (`CHSK_UNKNOWN_EVENT`) instead of passing them unchecked. @default false */
  strict?: boolean;
  /**
   * Where connections, presence and delivery state live, and how pushes reach other processes: one adapter
   * per server. `createRedisAdapter(...)` from `sente-rx/redis` runs the same server on several processes.
   * @default new MemoryAdapter()
   */
  adapter?: ServerAdapter;
  /**
   * Replay logs for resume (README, "Nothing lost silently"): every push to a uid and every broadcast gets an
   * offset in its stream and is kept, per stream, up to `maxEntries` entries, `maxBytes` bytes (about their JSON size)
   * and `maxAgeMs`, whichever is passed first; a client that reconnects presents its offsets and gets what it
   * missed, in order and once, or `recovered: false`. `false`: no logs, no offsets, no resume. The bounds apply
   * to the default in-memory adapter; an adapter you pass keeps its own (`false` still turns resume off).
   * @default { maxEntries: 1000, maxBytes: 1_048_576, maxAgeMs: 120_000 }
   */
  resume?: Partial<ReplayLimits> | false;
  /**
   * Message-id dedupe (PROTOCOL.md, "Message ids"): every event and request a client sends with a `mid` is
   * claimed under (uid, client id, mid) in the adapter's store before it is handled, so a copy the client sends
   * again after a reconnect is not handled twice: a repeated request gets the first copy's reply (or waits for
   * it), a repeated event its `a` again. The handshake says so with the record's epoch (`hs.dd`: new for every
   * process with the in-memory adapter, shared by the nodes of one Redis), and the client resends what was
   * unanswered when its link dropped only to the epoch it wrote it under. `maxEntries`: ids remembered per (uid, client id), the
   * oldest leave first (keep it at least the clients' `maxUnacked`); `windowMs`: how long an id is remembered
   * (keep it above the clients' deadlines plus their longest outage). The bounds configure the default
   * in-memory adapter; an adapter you pass keeps its own (`createRedisAdapter({ dedupe })`, `new MemoryAdapter({ dedupe })`).
   * `false` switches dedupe off: clients then fail what was unanswered at a cut with `CHSK_UNCERTAIN`.
   * @default { maxEntries: 1000, windowMs: 300_000 }
   */
  dedupe?: Partial<DedupeLimits> | false;
  /** How often `stats$` samples (only while subscribed). @default 1000 */
  statsIntervalMs?: number;
  /** Scheduler for every timer (grace periods, request timeouts, keep-alive). @default asyncScheduler */
  scheduler?: SchedulerLike;
}

export type ResolvedServerOptions = Required<
  Omit<ServerOptions, 'handshakeData' | 'csrfToken' | 'authorize' | 'allowedOrigins' | 'adapter' | 'wsBatchMs' | 'ajaxBatchMs' | 'rateLimit' | 'schemas' | 'authorizeTopic' | 'resume' | 'dedupe'>
> & {
  dedupe: DedupeLimits | false;
  batchMs: { ws: number; ajax: number };
  rateLimit: Required<RateLimit> | false;
  resume: ReplayLimits | false;
} & Pick<ServerOptions, 'handshakeData' | 'csrfToken' | 'authorize' | 'allowedOrigins' | 'adapter' | 'schemas' | 'authorizeTopic'>;

function defaultUserId(req: ChskRequest): string | null {
  const uid = req.session?.uid;
  return typeof uid === 'string' ? uid : null;
}

function positive(name: string, value: number, integer = false): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new ConfigError(`option '${name}' must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return value;
}

/** The longest delay a timer can take: Node fires a longer one at once (and RxJS would re-arm it every 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A duration option: a number of milliseconds > 0 (or >= 0 with `zero`) and at most {@link MAX_TIMER_MS};
 * `Infinity` only where it means "no deadline" (`infinite`).
 */
function duration(name: string, value: number, o: { zero?: boolean; infinite?: boolean } = {}): number {
  if (value === Infinity && o.infinite) return value;
  if (typeof value !== 'number' || Number.isNaN(value) || (o.zero ? value < 0 : value <= 0)) {
    throw new ConfigError(`option '${name}' must be a number of milliseconds ${o.zero ? '>= 0' : '> 0'}, got ${String(value)}`);
  }
  if (value > MAX_TIMER_MS) {
    throw new ConfigError(
      `option '${name}' must be at most ${MAX_TIMER_MS} ms (about 24.8 days; a longer timer fires at once)${o.infinite ? ", or Infinity for no deadline" : ''}, got ${String(value)}`,
    );
  }
  return value;
}

function rateLimit(r: RateLimit | false | undefined): Required<RateLimit> | false {
  if (r === false) return false;
  if (r !== undefined && (typeof r !== 'object' || r === null)) {
    throw new ConfigError(`option 'rateLimit' must be false or { perSecond, burst, closeAfter? }, got ${String(r)}`);
  }
  return {
    perSecond: positive('rateLimit.perSecond', r?.perSecond ?? 200),
    burst: positive('rateLimit.burst', r?.burst ?? 400, true),
    closeAfter: positive('rateLimit.closeAfter', r?.closeAfter ?? 1000, true),
  };
}

function resume(r: Partial<ReplayLimits> | false | undefined): ReplayLimits | false {
  if (r === false) return false;
  if (r !== undefined && (typeof r !== 'object' || r === null || Array.isArray(r))) {
    throw new ConfigError(`option 'resume' must be false or { maxEntries?, maxBytes?, maxAgeMs? }, got ${String(r)}`);
  }
  return {
    maxEntries: positive('resume.maxEntries', r?.maxEntries ?? DEFAULT_REPLAY_LIMITS.maxEntries, true),
    maxBytes: positive('resume.maxBytes', r?.maxBytes ?? DEFAULT_REPLAY_LIMITS.maxBytes, true),
    maxAgeMs: duration('resume.maxAgeMs', r?.maxAgeMs ?? DEFAULT_REPLAY_LIMITS.maxAgeMs),
  };
}

function dedupe(d: ServerOptions['dedupe']): DedupeLimits | false {
  if (d === false) return false;
  if (d !== undefined && (typeof d !== 'object' || d === null)) {
    throw new ConfigError(`option 'dedupe' must be false or { maxEntries?, windowMs? }, got ${String(d)}`);
  }
  return {
    maxEntries: positive('dedupe.maxEntries', d?.maxEntries ?? DEFAULT_DEDUPE_LIMITS.maxEntries, true),
    windowMs: duration('dedupe.windowMs', d?.windowMs ?? DEFAULT_DEDUPE_LIMITS.windowMs),
  };
}

function slowConsumer(p: ServerOptions['slowConsumer']): 'close' | 'drop' {
  if (p === undefined) return 'close';
  if (p !== 'close' && p !== 'drop') throw new ConfigError(`option 'slowConsumer' must be 'close' or 'drop', got ${String(p)}`);
  return p;
}

const keepWholeRequest = (req: ChskRequest): ChskRequest => req;

function hook<F extends (...args: never[]) => unknown>(name: string, f: F | undefined): F | undefined {
  if (f !== undefined && typeof f !== 'function') throw new ConfigError(`option '${name}' must be a function, got ${typeof f}`);
  return f;
}

/** Merges options over the defaults and validates them at once (a wrong option throws `ConfigError`). */
export function resolveServerOptions(o: ServerOptions): ResolvedServerOptions {
  const path = o.path ?? '/chsk';
  if (typeof path !== 'string' || !path.startsWith('/')) throw new ConfigError(`option 'path' must start with '/', got ${String(path)}`);
  if (o.allowedOrigins !== undefined && o.allowedOrigins !== '*' && !Array.isArray(o.allowedOrigins)) {
    throw new ConfigError(`option 'allowedOrigins' must be '*' or an array of origins like 'https://app.example.com'`);
  }
  const badSchemas = schemasProblem(o.schemas);
  if (badSchemas) throw new ConfigError(`option 'schemas' ${badSchemas}`);
  if (o.strict !== undefined && typeof o.strict !== 'boolean') throw new ConfigError(`option 'strict' must be a boolean, got ${typeof o.strict}`);
  return {
    path,
    schemas: o.schemas,
    strict: o.strict ?? false,
    userId: o.userId ?? defaultUserId,
    handshakeData: o.handshakeData,
    keepRequest: hook('keepRequest', o.keepRequest) ?? keepWholeRequest,
    csrfToken: o.csrfToken,
    allowedOrigins: o.allowedOrigins,
    authorize: o.authorize,
    upgradeMiddleware: o.upgradeMiddleware ?? [],
    packer: o.packer ?? jsonPacker,
    maxFrameBytes: positive('maxFrameBytes', o.maxFrameBytes ?? 1_048_576, true),
    maxBatchSize: positive('maxBatchSize', o.maxBatchSize ?? 1000, true),
    maxPendingRequests: positive('maxPendingRequests', o.maxPendingRequests ?? 1000, true),
    maxStreamWindow: positive('maxStreamWindow', o.maxStreamWindow ?? 1024, true),
    authorizeTopic: hook('authorizeTopic', o.authorizeTopic),
    maxTopicsPerConnection: positive('maxTopicsPerConnection', o.maxTopicsPerConnection ?? 100, true),
    maxTopicLength: positive('maxTopicLength', o.maxTopicLength ?? 256, true),
    topicJoinRate:
      o.topicJoinRate === false
        ? false
        : { perSecond: positive('topicJoinRate.perSecond', o.topicJoinRate?.perSecond ?? 20), burst: positive('topicJoinRate.burst', o.topicJoinRate?.burst ?? 100, true) },
    maxDepth: positive('maxDepth', o.maxDepth ?? 64, true),
    rateLimit: rateLimit(o.rateLimit),
    maxProtocolErrors: positive('maxProtocolErrors', o.maxProtocolErrors ?? 100, true),
    handshakeTimeoutMs: duration('handshakeTimeoutMs', o.handshakeTimeoutMs ?? 10_000),
    maxBufferedBytes: (o.maxBufferedBytes ?? 8_388_608) === Infinity ? Infinity : positive('maxBufferedBytes', o.maxBufferedBytes ?? 8_388_608, true),
    slowConsumer: slowConsumer(o.slowConsumer),
    slowConsumerMs: duration('slowConsumerMs', o.slowConsumerMs ?? 1000),
    maxConnectionsPerUid:
      (o.maxConnectionsPerUid ?? Infinity) === Infinity ? Infinity : positive('maxConnectionsPerUid', o.maxConnectionsPerUid!, true),
    maxAnonymousAjaxPerIp:
      (o.maxAnonymousAjaxPerIp ?? 100) === Infinity ? Infinity : positive('maxAnonymousAjaxPerIp', o.maxAnonymousAjaxPerIp ?? 100, true),
    requestTimeoutMs: duration('requestTimeoutMs', o.requestTimeoutMs ?? 30_000, { infinite: true }),
    wsGraceMs: duration('wsGraceMs', o.wsGraceMs ?? 2500),
    ajaxGraceMs: duration('ajaxGraceMs', o.ajaxGraceMs ?? 5000),
    batchMs: { ws: duration('wsBatchMs', o.wsBatchMs ?? 30, { zero: true }), ajax: duration('ajaxBatchMs', o.ajaxBatchMs ?? 100, { zero: true }) },
    maxBatchPushes: positive('maxBatchPushes', o.maxBatchPushes ?? 1000, true),
    batchIdleMs: duration('batchIdleMs', o.batchIdleMs ?? 1),
    keepAlive:
      o.keepAlive === false
        ? false
        : {
            idleMs: duration('keepAlive.idleMs', o.keepAlive?.idleMs ?? 25_000),
            timeoutMs: duration('keepAlive.timeoutMs', o.keepAlive?.timeoutMs ?? 10_000),
          },
    longPollTimeoutMs: duration('longPollTimeoutMs', o.longPollTimeoutMs ?? 20_000),
    maxAjaxQueue: positive('maxAjaxQueue', o.maxAjaxQueue ?? 1000, true),
    ajaxCoalesceMs: duration('ajaxCoalesceMs', o.ajaxCoalesceMs ?? 0, { zero: true }),
    postTimeoutMs: duration('postTimeoutMs', o.postTimeoutMs ?? 30_000),
    closeTimeoutMs: duration('closeTimeoutMs', o.closeTimeoutMs ?? 1000),
    adapter: o.adapter,
    resume: resume(o.resume),
    dedupe: dedupe(o.dedupe),
    statsIntervalMs: duration('statsIntervalMs', o.statsIntervalMs ?? 1000),
    scheduler: o.scheduler ?? asyncScheduler,
  };
}
