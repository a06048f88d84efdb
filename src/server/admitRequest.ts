import { timingSafeEqual } from 'crypto';
import { ErrorCode } from '../protocol/codes';
import type { ChskRequest } from '../protocol/events';
import type { ServerAdapter } from './adapter/ServerAdapter';
import type { RejectReason, ServerErrorReport } from './ServerErrorReport';
import type { Rejection, ResolvedServerOptions } from './serverOptions';

/** A refusal: what the client is answered (`status`, `code`, `body`), and for the report why (`reason`, `detail`). */
export interface Refused {
  readonly ok: false;
  readonly status: number;
  readonly code: string;
  readonly body: string;
  /** Set on refusals of the origin, CSRF and authorize checks: they are reported on `errors$` (`reportRefusal`). */
  readonly reason?: RejectReason;
  /** What the report says beyond `body` (never sent to the client). */
  readonly detail?: string;
}

/** The verdict on an incoming handshake, poll or POST. */
export type Admission = { readonly ok: true; readonly uid: string | null; readonly handshakeData?: unknown } | Refused;

/** Where admission reports an app hook that failed: the server core's `report`. */
export type Report = (r: ServerErrorReport) => void;

/** The client's side of a failed hook: a plain 500 that names no hook and leaks nothing of its error. */
export const HOOK_REFUSAL = { status: 500, code: ErrorCode.Rejected, body: 'server error while admitting the request' } as const;

/**
 * Reports that the app's hook `hook` failed (`CHSK_HOOK_FAILED` on `errors$`, with its error: the app's bug,
 * which only the server's owner can fix) and returns the client's refusal, 500 `CHSK_REJECTED`.
 */
export function hookFailed(report: Report, hook: string, what: string, error?: unknown): Extract<Admission, { ok: false }> {
  report({ code: ErrorCode.HookFailed, message: `${hook} ${what}`, ...(error !== undefined ? { error } : {}) });
  return { ok: false, ...HOOK_REFUSAL };
}

/** The `Sec-WebSocket-Protocol` entry the server selects; the client offers it with its CSRF entry. */
export const WS_SUBPROTOCOL = 'sente-rx.v1';
/** Prefix of the subprotocol entry carrying the CSRF token, base64url-encoded. */
export const CSRF_SUBPROTOCOL_PREFIX = 'csrf.';

function refuse(status: number, code: string, body: string): Refused {
  return { ok: false, status, code, body };
}

function rejected(status: number, body: string, reason: RejectReason, detail: string): Refused {
  return { ok: false, status, code: ErrorCode.Rejected, body, reason, detail };
}

function header(req: ChskRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Same origin as the request's Host (scheme-agnostic, since TLS may end at a proxy). */
function sameHost(origin: string, req: ChskRequest): boolean {
  try {
    return new URL(origin).host === header(req, 'host');
  } catch {
    return false;
  }
}

/** Checks an `Origin` header against `allowedOrigins`. Requests without `Origin` (non-browser clients) pass. */
export function originAllowed(req: ChskRequest, allowed: ResolvedServerOptions['allowedOrigins']): boolean {
  const origin = header(req, 'origin');
  if (origin === undefined) return true;
  if (allowed === '*') return true;
  if (allowed === undefined) return sameHost(origin, req);
  return allowed.includes(origin);
}

/** Compares two tokens in time independent of where they differ. */
export function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  if (x.length !== y.length) {
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}

/** The CSRF token a client presented: `x-csrf-token` header, else the `csrf.` subprotocol entry. */
export function presentedCsrfToken(req: ChskRequest): string | undefined {
  const h = header(req, 'x-csrf-token');
  if (h !== undefined) return h;
  const protocols = header(req, 'sec-websocket-protocol');
  if (!protocols) return undefined;
  for (const p of protocols.split(',')) {
    const t = p.trim();
    if (t.startsWith(CSRF_SUBPROTOCOL_PREFIX)) {
      try {
        return Buffer.from(t.slice(CSRF_SUBPROTOCOL_PREFIX.length), 'base64url').toString('utf8');
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * The origin and CSRF checks alone, which every Ajax poll, POST and upgrade probe passes again (the
 * connection token proves who speaks; these keep other sites from speaking). Undefined when they pass.
 * A `csrfToken` hook that throws is reported and refused (500).
 */
export function checkOriginAndCsrf(req: ChskRequest, o: ResolvedServerOptions, report: Report): Refused | undefined {
  if (!originAllowed(req, o.allowedOrigins)) {
    const allowed = o.allowedOrigins === undefined ? `the request's own host (${JSON.stringify(header(req, 'host') ?? '')})` : JSON.stringify(o.allowedOrigins);
    return rejected(
      403,
      'origin not allowed',
      'origin',
      `origin ${JSON.stringify(header(req, 'origin'))} is not allowed (allowed: ${allowed}). Behind a dev proxy with changeOrigin, Host is ` +
        `rewritten but Origin is not: list the page's origin in allowedOrigins`,
    );
  }
  if (o.csrfToken) {
    // Only an explicit `null` switches the check off: an accessor that finds no token (a request without a
    // session, a typo in the field name) returns `undefined` or '', and that must not open the door.
    let expected: string | null | undefined;
    try {
      expected = o.csrfToken(req);
    } catch (error) {
      return hookFailed(report, 'csrfToken', 'threw', error);
    }
    if (expected !== null) {
      if (typeof expected !== 'string' || expected.length === 0) {
        return rejected(
          403,
          'no CSRF token for this session',
          'no-csrf-token',
          `csrfToken(req) returned ${expected === '' ? "''" : String(expected)}: no token for this request's session (does the session middleware run on this path, and upgradeMiddleware on WebSocket upgrades?)`,
        );
      }
      const given = presentedCsrfToken(req);
      if (given === undefined || !tokensEqual(given, expected)) {
        return rejected(
          403,
          'bad CSRF token',
          'csrf',
          given === undefined
            ? 'no CSRF token presented (x-csrf-token header, or the csrf. subprotocol entry on WebSocket)'
            : 'the CSRF token presented does not match csrfToken(req)',
        );
      }
    }
  }
  return undefined;
}

/** Awaits one hook; a throw or rejection becomes a {@link HookError} naming it. */
async function call<T>(hook: string, f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (error) {
    throw new HookError(hook, error);
  }
}

class HookError {
  constructor(
    readonly hook: string,
    readonly error: unknown,
  ) {}
}

/**
 * Runs the server's checks in order (origin, CSRF, authorize), resolves the uid, then the handshake data.
 * Never throws: a user hook that throws, rejects or returns what it may not is reported on `errors$`
 * (`CHSK_HOOK_FAILED`, naming it) and refused with 500 `CHSK_REJECTED`.
 */
export async function admitRequest(req: ChskRequest, o: ResolvedServerOptions, report: Report): Promise<Admission> {
  try {
    const refused = checkOriginAndCsrf(req, o, report);
    if (refused) return refused;
    if (o.authorize) {
      const authorize = o.authorize;
      const verdict: unknown = await call('authorize', () => authorize(req));
      if (typeof verdict === 'object' && verdict !== null) {
        const { status, body } = verdict as Rejection;
        if (!Number.isInteger(status) || status < 400 || status > 599) {
          const message = 'authorize returned a rejection without a 4xx/5xx status';
          report({ code: ErrorCode.HookFailed, message });
          return refuse(500, ErrorCode.Rejected, message);
        }
        return rejected(status, body ?? 'unauthorized', 'unauthorized', `authorize(req) refused with ${status}`);
      }
      // Fail closed: only `true` admits, so a hook that forgets to return refuses rather than admits.
      if (verdict !== true) return rejected(401, 'unauthorized', 'unauthorized', `authorize(req) returned ${String(verdict)}`);
    }
    const uid = await call('userId', () => o.userId(req));
    if (uid !== null && uid !== undefined && typeof uid !== 'string') {
      report({ code: ErrorCode.HookFailed, message: `userId returned a ${typeof uid}, not a string or null` });
      return refuse(500, ErrorCode.Rejected, 'userId returned a non-string');
    }
    const hd = o.handshakeData;
    const handshakeData = hd ? await call('handshakeData', () => hd(req)) : undefined;
    return { ok: true, uid: uid ?? null, ...(handshakeData !== undefined ? { handshakeData } : {}) };
  } catch (e) {
    if (e instanceof HookError) return hookFailed(report, e.hook, 'threw or rejected', e.error);
    return hookFailed(report, 'admission', 'failed', e);
  }
}

type Refusal = Extract<Admission, { ok: false }>;

/**
 * Refuses (429 `CHSK_TOO_MANY_CONNECTIONS`) a uid that already has `max` open connections (in the whole
 * cluster: the adapter counts). Users without a uid are not counted: they all share one presence key. The
 * memory adapter answers at once, so the caller can open the connection in the same tick and two concurrent
 * handshakes cannot both slip in; a cluster adapter answers with a Promise (a round trip), and handshakes
 * admitted on two nodes at the same instant may both pass (the limit is then soft by those few).
 */
export function connectionLimit(
  adapter: ServerAdapter,
  uid: string | null,
  max: number,
): Refusal | undefined | Promise<Refusal | undefined> {
  if (uid === null || max === Infinity) return undefined;
  const verdict = (n: number): Refusal | undefined =>
    n < max ? undefined : { ok: false, status: 429, code: ErrorCode.TooManyConnections, body: `too many connections for this user (maxConnectionsPerUid: ${max})` };
  const n = adapter.connectionCount(uid);
  return typeof n === 'number' ? verdict(n) : n.then(verdict);
}
