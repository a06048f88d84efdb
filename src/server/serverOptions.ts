import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { ConfigError } from '../errors/ConfigError';
import { jsonPacker } from '../packers/jsonPacker';
import type { Packer } from '../packers/Packer';
import type { ChskRequest } from '../protocol/events';
import type { ServerAdapter } from './ServerAdapter';

/** Connect/Express-style middleware, run on WebSocket upgrade requests by `attach` (session parsers, auth). */
export type UpgradeMiddleware = (req: ChskRequest, res: import('http').ServerResponse, next: (err?: unknown) => void) => void;

/** A rejection an `authorize` hook may return instead of `false`: the HTTP status and body to answer with. */
export interface Rejection {
  status: number;
  body?: string;
}

/** Options of `createChannelSocketServer`. Every field is optional; defaults are listed per field. */
export interface ServerOptions {
  /** URL path of the endpoint, used by `attach` to pick upgrade requests. @default '/chsk' */
  path?: string;
  /** Who a connection belongs to; `null` means a user without a uid. @default (req) => req.session?.uid ?? null */
  userId?: (req: ChskRequest) => string | null | undefined | Promise<string | null | undefined>;
  /** Data sent to the client in the handshake (`state$.handshakeData`). @default none */
  handshakeData?: (req: ChskRequest) => unknown;
  /**
   * The reference CSRF token for a request, or `null` to switch the check off for it (explicitly: `undefined`
   * or an empty string refuses the request with 403, so an accessor that finds no token never disables the
   * check). When set, clients must present the same token: header `x-csrf-token`, or on WebSocket the
   * `Sec-WebSocket-Protocol` entry `csrf.<base64url(token)>`; never the URL. Compared in constant time and
   * never sent back. See SECURITY.md. @default no check
   */
  csrfToken?: (req: ChskRequest) => string | null | undefined;
  /** Allowed `Origin`s: `'*'` or an exact list. @default same origin as the request's Host */
  allowedOrigins?: '*' | readonly string[];
  /** Return `false` (401) or a {@link Rejection} to refuse a connection. @default allow */
  authorize?: (req: ChskRequest) => boolean | Rejection | Promise<boolean | Rejection>;
  /** Middleware `attach` runs on the upgrade request before the checks (e.g. an express-session parser). @default [] */
  upgradeMiddleware?: readonly UpgradeMiddleware[];
  /** Frame serialisation. @default jsonPacker */
  packer?: Packer;
  /** Largest incoming WebSocket frame or Ajax body, in bytes. @default 1_048_576 */
  maxFrameBytes?: number;
  /** Most messages one incoming batch may hold. @default 1000 */
  maxBatchSize?: number;
  /** Most requests one connection may have waiting for replies. @default 1000 */
  maxPendingRequests?: number;
  /** A request nobody answers gets a `CHSK_NO_REPLY` error reply after this long. @default 30_000 */
  requestTimeoutMs?: number;
  /** How long a WebSocket uid stays in `connectedUids$` after its last connection closed. @default 2500 */
  wsGraceMs?: number;
  /** The same for Ajax (covers the gap between polls). @default 5000 */
  ajaxGraceMs?: number;
  /** How long `close()` waits for clients to acknowledge before cutting their sockets. @default 1000 */
  closeTimeoutMs?: number;
  /** Where connections live; swap in a cluster adapter later. @default new MemoryAdapter() */
  adapter?: ServerAdapter;
  /** Scheduler for every timer (grace periods, request timeouts, keep-alive). @default asyncScheduler */
  scheduler?: SchedulerLike;
}

export type ResolvedServerOptions = Required<Omit<ServerOptions, 'handshakeData' | 'csrfToken' | 'authorize' | 'allowedOrigins' | 'adapter'>> &
  Pick<ServerOptions, 'handshakeData' | 'csrfToken' | 'authorize' | 'allowedOrigins' | 'adapter'>;

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

/** Merges options over the defaults and validates them at once (a wrong option throws `ConfigError`). */
export function resolveServerOptions(o: ServerOptions): ResolvedServerOptions {
  const path = o.path ?? '/chsk';
  if (typeof path !== 'string' || !path.startsWith('/')) throw new ConfigError(`option 'path' must start with '/', got ${String(path)}`);
  if (o.allowedOrigins !== undefined && o.allowedOrigins !== '*' && !Array.isArray(o.allowedOrigins)) {
    throw new ConfigError(`option 'allowedOrigins' must be '*' or an array of origins like 'https://app.example.com'`);
  }
  return {
    path,
    userId: o.userId ?? defaultUserId,
    handshakeData: o.handshakeData,
    csrfToken: o.csrfToken,
    allowedOrigins: o.allowedOrigins,
    authorize: o.authorize,
    upgradeMiddleware: o.upgradeMiddleware ?? [],
    packer: o.packer ?? jsonPacker,
    maxFrameBytes: positive('maxFrameBytes', o.maxFrameBytes ?? 1_048_576, true),
    maxBatchSize: positive('maxBatchSize', o.maxBatchSize ?? 1000, true),
    maxPendingRequests: positive('maxPendingRequests', o.maxPendingRequests ?? 1000, true),
    requestTimeoutMs: positive('requestTimeoutMs', o.requestTimeoutMs ?? 30_000),
    wsGraceMs: positive('wsGraceMs', o.wsGraceMs ?? 2500),
    ajaxGraceMs: positive('ajaxGraceMs', o.ajaxGraceMs ?? 5000),
    closeTimeoutMs: positive('closeTimeoutMs', o.closeTimeoutMs ?? 1000),
    adapter: o.adapter,
    scheduler: o.scheduler ?? asyncScheduler,
  };
}
