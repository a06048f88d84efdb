import type { ServerResponse } from 'http';
import { AjaxHeader, AjaxParam } from '../../protocol/ajax';
import { ErrorCode } from '../../protocol/codes';
import type { ChskRequest } from '../../protocol/events';
import { PROTOCOL_VERSION } from '../../protocol/messages';
import { admitRequest, connectionLimit } from '../admitRequest';
import { authenticate, clientIdOf, clientIpOf, newAjaxConnection, type AjaxContext, type Authenticated } from './AjaxContext';
import type { AjaxConnection } from './AjaxConnection';
import type { AjaxResponse } from './AjaxDirectory';
import { TIMED_OUT, withDeadline } from '../withDeadline';
import { reportRefusal } from '../reportRefusal';
import { header, queryOf, refuse } from './ajaxHttp';

/**
 * `GET <path>`: the handshake (`hs=1`, no token) or a long-poll (header `x-chsk-token`). A GET with neither
 * is refused: 400 when it is a WebSocket handshake that lost its `Upgrade` header on the way (a proxy that
 * strips it), else 401 `CHSK_BAD_TOKEN`.
 */
export async function handleAjaxGet(ctx: AjaxContext, req: ChskRequest, res: ServerResponse): Promise<void> {
  if (header(req, AjaxHeader.Token) !== undefined) return poll(ctx, req, res);
  if (queryOf(req).get(AjaxParam.Handshake) === '1') return handshake(ctx, req, res);
  if (header(req, 'sec-websocket-key') !== undefined) {
    return refuse(res, {
      status: 400,
      code: ErrorCode.BadMessage,
      message: 'a WebSocket handshake arrived without its Upgrade header (stripped by a proxy?); use the Ajax transport',
    });
  }
  return poll(ctx, req, res);
}

function poll(ctx: AjaxContext, req: ChskRequest, res: ServerResponse): void | Promise<void> {
  // Shutting down, with a poll for a connection that lives on another node (the balancer has not taken this
  // node out yet): drop it, so the client polls again at once, on another node, instead of ending its link.
  if (ctx.core.isClosing && livesElsewhere(ctx, req)) return void res.destroy();
  const auth = authenticate(ctx, req);
  const ack = header(req, AjaxHeader.Ack);
  if (auth instanceof Promise) return auth.then((a) => pollAs(ctx, a, res, ack));
  pollAs(ctx, auth, res, ack);
}

function pollAs(ctx: AjaxContext, auth: Authenticated, res: AjaxResponse, ack: string | undefined): void {
  if (!auth.ok) return refuse(res, auth);
  if (auth.conn) return pollConnection(auth.conn, res, ack);
  ctx.directory.forward(auth.home, { op: 'poll', selector: auth.selector, cid: auth.cid, ack }, res);
}

function livesElsewhere(ctx: AjaxContext, req: ChskRequest): boolean {
  const id = clientIdOf(req);
  const where = id.ok ? ctx.directory.locate(header(req, AjaxHeader.Token), id.cid) : undefined;
  return where !== undefined && !(where instanceof Promise) && where.ok && where.home !== undefined;
}

/** A poll on a connection of this node, arrived here or relayed from another node; `rawAck` is `x-chsk-ack`. */
export function pollConnection(conn: AjaxConnection, res: AjaxResponse, rawAck: string | undefined): void {
  const ack = rawAck !== undefined && /^\d{1,15}$/.test(rawAck) ? Number(rawAck) : NaN;
  if (!conn.poll(res, ack)) {
    refuse(res, { status: 400, code: ErrorCode.BadMessage, message: `${AjaxHeader.Ack} must be the number of frames received so far` });
  }
}

async function handshake(ctx: AjaxContext, req: ChskRequest, res: AjaxResponse): Promise<void> {
  const { core } = ctx;
  const o = core.options;
  if (core.isClosing) return refuse(res, { status: 503, code: ErrorCode.Closed, message: 'server closing' });
  const version = Number(queryOf(req).get(AjaxParam.Version) ?? PROTOCOL_VERSION);
  if (version !== PROTOCOL_VERSION) {
    return refuse(res, { status: 400, code: ErrorCode.ProtocolVersion, message: `server speaks protocol version ${PROTOCOL_VERSION}` });
  }
  const id = clientIdOf(req);
  if (!id.ok) return refuse(res, id);
  // The token first (a cluster directory may wait for its key), so nothing asynchronous separates the
  // connection count below from the open.
  let issued = ctx.directory.issue(id.cid);
  if (issued instanceof Promise) {
    try {
      issued = await issued;
    } catch (error) {
      core.report({ code: ErrorCode.AdapterError, message: 'Ajax handshake: the adapter could not issue a connection token', clientId: id.cid, error });
      return refuse(res, { status: 503, code: ErrorCode.AdapterError, message: 'cannot issue a connection token now; try again' });
    }
  }
  // The hooks get `handshakeTimeoutMs`, as on a WebSocket upgrade: one that never settles must not hold the request.
  const admission = await withDeadline(admitRequest(req, o, (r) => core.report({ ...r, clientId: id.cid })), o.handshakeTimeoutMs, o.scheduler);
  if (admission === TIMED_OUT) {
    core.report({ code: ErrorCode.HandshakeTimeout, message: `Ajax handshake not admitted within handshakeTimeoutMs (${o.handshakeTimeoutMs} ms)`, clientId: id.cid });
    return refuse(res, { status: 503, code: ErrorCode.HandshakeTimeout, message: 'the handshake timed out' });
  }
  if (!admission.ok) {
    reportRefusal((r) => core.report(r), admission, 'Ajax handshake', id.cid);
    return refuse(res, { status: admission.status, code: admission.code, message: admission.body });
  }
  const { handshakeData } = admission;
  // The client may have gone while the hooks ran; opening a connection for nobody would only wait for its gap.
  if (core.isClosing) return refuse(res, { status: 503, code: ErrorCode.Closed, message: 'server closing' });
  if (res.destroyed || res.writableEnded) return;
  // Counted right before the connection opens (nothing asynchronous in between), as for a WebSocket upgrade,
  // so concurrent handshakes cannot slip past it and Ajax cannot be used to get around it.
  let tooMany = connectionLimit(core.adapter, admission.uid, o.maxConnectionsPerUid);
  if (tooMany instanceof Promise) {
    tooMany = await tooMany; // a cluster count: the round trip is the only wait
    if (core.isClosing) return refuse(res, { status: 503, code: ErrorCode.Closed, message: 'server closing' });
    if (res.destroyed || res.writableEnded) return;
  }
  if (tooMany) return refuse(res, { status: tooMany.status, code: tooMany.code, message: tooMany.body });
  const ip = admission.uid === null ? clientIpOf(req) : undefined;
  if (ip !== undefined && !ctx.anonymous.hasRoom(ip)) {
    const message = `too many Ajax connections without a uid from this address (maxAnonymousAjaxPerIp: ${o.maxAnonymousAjaxPerIp})`;
    core.report({ code: ErrorCode.TooManyConnections, message: `Ajax handshake from ${ip} refused with 429: ${message}`, clientId: id.cid });
    return refuse(res, { status: 429, code: ErrorCode.TooManyConnections, message });
  }
  const { conn, token } = newAjaxConnection(ctx, id.cid, issued);
  if (ip !== undefined) ctx.anonymous.add(conn, ip);
  const handle = core.open(conn, { uid: admission.uid, clientId: id.cid, req, handshake: { tk: token }, handshakeData, resume: queryOf(req).get(AjaxParam.Resume) });
  conn.attach(handle);
  // The handshake is the answer's first frame: with a replay log that answers after a round trip, wait for it.
  if (handle.opened) await handle.opened;
  conn.answerHandshake(res, ctx.maxBody);
}
