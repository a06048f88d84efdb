import type { ServerResponse } from 'http';
import { ProtocolError } from '../../errors/ProtocolError';
import type { Frame } from '../../packers/Packer';
import { AjaxHeader, decodeBody } from '../../protocol/ajax';
import { ErrorCode } from '../../protocol/codes';
import type { ChskRequest } from '../../protocol/events';
import { authenticate, type AjaxContext, type Authenticated } from './AjaxContext';
import type { AjaxConnection } from './AjaxConnection';
import type { AjaxResponse } from './AjaxDirectory';
import { header, refuse } from './ajaxHttp';
import { readBody } from './readBody';

/** True when the request's content type is the one the packer's bodies use. */
function contentTypeFits(req: ChskRequest, binary: boolean): boolean {
  const [type = '', ...params] = (header(req, 'content-type') ?? '').toLowerCase().split(';').map((s) => s.trim());
  if (binary) return type === 'application/octet-stream';
  if (type !== 'text/plain') return false;
  const charset = params.find((p) => p.startsWith('charset='));
  return charset === undefined || charset.slice(8).replace(/"/g, '') === 'utf-8';
}

/**
 * `POST <path>`: the client's frames, framed as in poll answers. Answers 204 once every frame was handed to
 * the core (replies and refusals come back on the poll); when the POST carries `x-chsk-ack`, the answer may
 * instead be a 200 carrying the frames written by the end of the tick, the replies of handlers that answer at
 * once among them. A refusal before the body is read also closes the TCP connection, so an unread (possibly
 * huge) body is never parsed as the next request.
 */
export async function handleAjaxPost(ctx: AjaxContext, req: ChskRequest, res: ServerResponse): Promise<void> {
  let auth = authenticate(ctx, req);
  if (auth instanceof Promise) auth = await auth;
  if (!auth.ok) return refuse(res, auth, true);
  const clientId = auth.conn ? auth.conn.clientId : auth.cid;
  const binary = ctx.core.options.packer.binary;
  if (!contentTypeFits(req, binary)) {
    return refuse(
      res,
      { status: 415, code: ErrorCode.BadContentType, message: `content-type must be ${binary ? 'application/octet-stream' : 'text/plain; charset=utf-8'}` },
      true,
    );
  }
  const tooLarge = { status: 413, code: ErrorCode.TooLarge, message: `body exceeds ${ctx.maxBody} bytes (maxFrameBytes + framing)` };
  // Reported like a WebSocket message over maxPayload, so both transports show the same refusal on errors$.
  const refuseTooLarge = (): void => {
    ctx.core.report({ code: ErrorCode.TooLarge, message: tooLarge.message, clientId });
    refuse(res, tooLarge, true);
  };
  const declared = Number(header(req, 'content-length') ?? 0);
  if (declared > ctx.maxBody) return refuseTooLarge();
  const o = ctx.core.options;
  let body: Awaited<ReturnType<typeof readBody>>;
  try {
    body = await readBody(req, ctx.maxBody, o.postTimeoutMs, o.scheduler);
  } catch {
    return void res.destroy();
  }
  if (body === 'too-large') return refuseTooLarge();
  if (body === 'timeout') {
    ctx.core.report({ code: ErrorCode.BodyTimeout, message: `a POST body was not complete within postTimeoutMs (${o.postTimeoutMs} ms)`, clientId });
    return refuse(res, { status: 408, code: ErrorCode.BodyTimeout, message: `body not complete within ${o.postTimeoutMs} ms` }, true);
  }
  const rawAck = header(req, AjaxHeader.Ack);
  const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (auth.conn) return postToConnection(ctx, auth.conn, res, bytes, rawAck);
  ctx.directory.forward(auth.home, { op: 'post', selector: auth.selector, cid: auth.cid, ack: rawAck, body: bytes }, res);
}

/**
 * A POST's body for a connection of this node, arrived here or relayed from another node (`rawAck` is its
 * `x-chsk-ack`): framing, the acknowledgement, then every frame to the core; answered 204, or by the
 * connection at the end of the tick when the POST carries an ack.
 */
export function postToConnection(ctx: AjaxContext, conn: AjaxConnection, res: AjaxResponse, body: Uint8Array, rawAck: string | undefined): void {
  let frames: Frame[];
  try {
    // Text bodies are decoded strictly: invalid UTF-8 is refused, never replaced.
    frames = decodeBody(body, ctx.core.options.packer.binary);
  } catch (e) {
    const message = e instanceof ProtocolError ? e.message : 'malformed body';
    return refuse(res, { status: 400, code: ErrorCode.BadFrame, message });
  }
  // A client that sends its ack with a POST reads frames from the answer (PROTOCOL.md, "POST").
  if (rawAck !== undefined && !conn.acknowledge(/^\d{1,15}$/.test(rawAck) ? Number(rawAck) : NaN)) {
    return refuse(res, { status: 400, code: ErrorCode.BadMessage, message: `${AjaxHeader.Ack} must be the number of frames received so far` });
  }
  if (!conn.receive(frames, rawAck === undefined ? undefined : res)) {
    return refuse(res, { status: 410, code: ErrorCode.Closed, message: 'the connection is closed' });
  }
  if (rawAck !== undefined) return; // answered by the connection at the end of the tick
  res.statusCode = 204;
  res.setHeader('cache-control', 'no-store');
  res.end();
}

/** `DELETE <path>`: the client closes its Ajax connection now instead of letting it time out. */
export function handleAjaxDelete(ctx: AjaxContext, req: ChskRequest, res: ServerResponse): void | Promise<void> {
  const auth = authenticate(ctx, req);
  if (auth instanceof Promise) return auth.then((a) => deleteAs(ctx, a, res));
  deleteAs(ctx, auth, res);
}

function deleteAs(ctx: AjaxContext, auth: Authenticated, res: AjaxResponse): void {
  if (!auth.ok) return refuse(res, auth);
  if (auth.conn) return deleteConnection(auth.conn, res);
  ctx.directory.forward(auth.home, { op: 'delete', selector: auth.selector, cid: auth.cid }, res);
}

/** The client closes a connection of this node (its DELETE arrived here or was relayed). */
export function deleteConnection(conn: AjaxConnection, res: AjaxResponse): void {
  conn.closeByClient();
  res.statusCode = 204;
  res.end();
}

