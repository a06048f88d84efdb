import type { IncomingMessage } from 'http';
import { AjaxHeader, AjaxParam, LENGTH_PREFIX_BYTES } from '../../protocol/ajax';
import { ErrorCode } from '../../protocol/codes';
import type { ChskRequest } from '../../protocol/events';
import { checkOriginAndCsrf } from '../admitRequest';
import { CLIENT_ID_PATTERN } from '../attachWebSocket';
import type { ServerCore } from '../ServerCore';
import { AjaxConnection, type AjaxEnv } from './AjaxConnection';
import type { AjaxDirectory, AjaxLocation, IssuedToken } from './AjaxDirectory';
import { AjaxRegistry } from './AjaxRegistry';
import { LocalAjaxDirectory } from './LocalAjaxDirectory';
import { AnonymousAjaxCount } from './AnonymousAjaxCount';
import { reportRefusal } from '../reportRefusal';
import type { ServerErrorReport } from '../ServerErrorReport';
import { SessionProbe } from '../SessionProbe';
import { header, queryOf, type Refusal } from './ajaxHttp';

/** The Ajax side of one server: its core, its connections by token, and their settings. */
export interface AjaxContext {
  readonly core: ServerCore;
  readonly registry: AjaxRegistry<AjaxConnection>;
  /** Where connections live and how a request reaches another node's (the adapter's `ajax`, else this process). */
  readonly directory: AjaxDirectory;
  readonly env: AjaxEnv;
  /** Largest POST body accepted: one full-size frame with its framing. */
  readonly maxBody: number;
  /** Warns once when upgrades lack the session Ajax requests have (shared with the ws binding). */
  readonly sessions: SessionProbe;
  /** Connections without a uid per client IP (`maxAnonymousAjaxPerIp`). */
  readonly anonymous: AnonymousAjaxCount<AjaxConnection>;
}

export function createAjaxContext(core: ServerCore): AjaxContext {
  const o = core.options;
  const registry = new AjaxRegistry<AjaxConnection>();
  const anonymous = new AnonymousAjaxCount<AjaxConnection>(o.maxAnonymousAjaxPerIp);
  const env: AjaxEnv = {
    scheduler: o.scheduler,
    binary: o.packer.binary,
    longPollTimeoutMs: o.longPollTimeoutMs,
    gapMs: o.ajaxGraceMs,
    coalesceMs: o.ajaxCoalesceMs,
    maxQueue: o.maxAjaxQueue,
    report: (code, message, conn) => core.report({ code, message, clientId: conn.clientId }),
    dispose: (conn) => {
      registry.remove(conn);
      anonymous.release(conn);
    },
  };
  const directory = core.adapter.ajax ?? new LocalAjaxDirectory();
  return { core, registry, directory, env, maxBody: o.maxFrameBytes + LENGTH_PREFIX_BYTES, sessions: new SessionProbe((r) => core.report(r)), anonymous };
}

/** Opens a new Ajax connection object with a token from the directory and registers it. */
export function newAjaxConnection(ctx: AjaxContext, clientId: string, t: IssuedToken): { conn: AjaxConnection; token: string } {
  const conn = new AjaxConnection(clientId, t.selector, t.secret, ctx.env);
  ctx.registry.add(conn);
  return { conn, token: t.token };
}

/**
 * The client's address for `maxAnonymousAjaxPerIp`: Express's `req.ip` (which follows the app's `trust proxy`
 * setting), else the socket's remote address.
 */
export function clientIpOf(req: ChskRequest): string {
  const ip = (req as ChskRequest & { ip?: unknown }).ip;
  return typeof ip === 'string' && ip !== '' ? ip : (req.socket?.remoteAddress ?? '');
}

/** The client id of a request, or a 400 refusal. */
export function clientIdOf(req: IncomingMessage): { ok: true; cid: string } | ({ ok: false } & Refusal) {
  const cid = queryOf(req).get(AjaxParam.ClientId) ?? '';
  if (!CLIENT_ID_PATTERN.test(cid)) {
    return { ok: false, status: 400, code: ErrorCode.BadClientId, message: 'cid must be 1-128 characters of [A-Za-z0-9_-]' };
  }
  return { ok: true, cid };
}

/** A request's connection: on this node, or on its home node (`conn` undefined) where it is relayed. */
export type Authenticated =
  | { readonly ok: true; readonly conn: AjaxConnection }
  | { readonly ok: true; readonly conn: undefined; readonly home: string; readonly selector: string; readonly cid: string }
  | ({ readonly ok: false } & Refusal);

/**
 * What every request after the handshake must pass: origin, CSRF, a valid client id, and the token of that
 * client's connection (see {@link AjaxRegistry.find} for the statuses; the directory checks a token whose
 * connection lives on another node). While the server shuts down: 503. Synchronous unless the directory must
 * wait (a cluster key not loaded yet).
 */
export function authenticate(ctx: AjaxContext, req: ChskRequest): Authenticated | Promise<Authenticated> {
  // Shutting down: connections are being released, so say why instead of a misleading 410.
  if (ctx.core.isClosing) return { ok: false, status: 503, code: ErrorCode.Closed, message: 'server closing' };
  const report = (r: ServerErrorReport): void => ctx.core.report(r);
  const refused = checkOriginAndCsrf(req, ctx.core.options, report);
  if (refused) {
    reportRefusal(report, refused, `Ajax ${req.method ?? 'request'}`, queryOf(req).get(AjaxParam.ClientId) ?? undefined);
    return { ok: false, status: refused.status, code: refused.code, message: refused.body };
  }
  const id = clientIdOf(req);
  if (!id.ok) return id;
  const token = header(req, AjaxHeader.Token);
  const where = ctx.directory.locate(token, id.cid);
  return where instanceof Promise ? where.then((w) => located(ctx, w, token, id.cid)) : located(ctx, where, token, id.cid);
}

function located(ctx: AjaxContext, w: AjaxLocation, token: string | undefined, cid: string): Authenticated {
  if (!w.ok) return w;
  if (w.home === undefined) return ctx.registry.find(token, cid);
  return { ok: true, conn: undefined, home: w.home, selector: w.selector, cid };
}
