import { ErrorCode } from '../../protocol/codes';
import type { AjaxContext } from './AjaxContext';
import type { AjaxOp, AjaxResponse } from './AjaxDirectory';
import { refuse } from './ajaxHttp';
import { pollConnection } from './handleAjaxGet';
import { deleteConnection, postToConnection } from './handleAjaxPost';

/**
 * Binds the adapter's Ajax directory to this node's Ajax binding: an operation relayed from another node (which
 * already checked the request and its token's signature) runs on the connection here exactly as if its request
 * had arrived here, and is answered on the relayed response.
 */
export function startAjaxDirectory(ctx: AjaxContext): void {
  const o = ctx.core.options;
  ctx.directory.start({
    scheduler: o.scheduler,
    longPollTimeoutMs: o.longPollTimeoutMs,
    execute: (op, res) => execute(ctx, op, res),
    report: (r) => ctx.core.report(r),
  });
}

function execute(ctx: AjaxContext, op: AjaxOp, res: AjaxResponse): void {
  if (ctx.core.isClosing) return refuse(res, { status: 503, code: ErrorCode.Closed, message: 'server closing' });
  const conn = ctx.registry.get(op.selector);
  if (!conn) return refuse(res, { status: 410, code: ErrorCode.BadToken, message: 'unknown or expired connection token: do a new handshake' });
  if (conn.clientId !== op.cid) return refuse(res, { status: 403, code: ErrorCode.BadToken, message: 'the connection token does not belong to this client' });
  switch (op.op) {
    case 'poll':
      return pollConnection(conn, res, op.ack);
    case 'post':
      return postToConnection(ctx, conn, res, op.body, op.ack);
    case 'delete':
      return deleteConnection(conn, res);
  }
}
