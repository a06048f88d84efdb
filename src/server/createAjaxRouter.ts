import express, { type Router } from 'express';
import type { ServerResponse } from 'http';
import { ErrorCode } from '../protocol/codes';
import type { ChskRequest } from '../protocol/events';
import type { AjaxContext } from './ajax/AjaxContext';
import { applyCors, refuse } from './ajax/ajaxHttp';
import { checkOriginAndCsrf, type Refused } from './admitRequest';
import { reportRefusal } from './reportRefusal';
import type { ResolvedServerOptions } from './serverOptions';
import { handleAjaxGet } from './ajax/handleAjaxGet';
import { handleAjaxDelete, handleAjaxPost } from './ajax/handleAjaxPost';

/** The origin refusal of a preflight (the origin check alone: a preflight carries no CSRF token). */
function rejectedOrigin(req: ChskRequest, o: ResolvedServerOptions): Refused {
  return checkOriginAndCsrf(req, { ...o, csrfToken: undefined }, () => undefined) ?? { ok: false, status: 403, code: ErrorCode.Rejected, body: 'origin not allowed', reason: 'origin' };
}

type Handler = (ctx: AjaxContext, req: ChskRequest, res: ServerResponse) => void | Promise<void>;

/**
 * The Express router of the endpoint (PROTOCOL.md, "Ajax long-poll transport"): `GET` = handshake and long-poll, `POST` =
 * the client's frames, `DELETE` = the client closes, `OPTIONS` = CORS preflight for allowed origins.
 * Mount it at the same path `attach` serves WebSocket upgrades on.
 */
export function createAjaxRouter(ctx: AjaxContext): Router {
  const router = express.Router();
  const run =
    (h: Handler) =>
    (req: express.Request, res: express.Response): void => {
      const r = req as unknown as ChskRequest;
      ctx.sessions.ajax(r);
      if (applyCors(r, res, ctx.core.options)) {
        // A preflight from an origin that is not allowed: the browser stops there, so say it here.
        if (res.statusCode === 403) reportRefusal((x) => ctx.core.report(x), rejectedOrigin(r, ctx.core.options), 'Ajax preflight');
        return;
      }
      Promise.resolve()
        .then(() => h(ctx, r, res))
        .catch((error: unknown) => {
          ctx.core.report({ code: ErrorCode.Rejected, message: 'Ajax request failed', error });
          refuse(res, { status: 500, code: ErrorCode.Rejected, message: 'server error' });
        });
    };
  router.get('/', run(handleAjaxGet));
  router.post('/', run(handleAjaxPost));
  router.delete('/', run(handleAjaxDelete));
  router.options('/', run(() => undefined));
  return router;
}
