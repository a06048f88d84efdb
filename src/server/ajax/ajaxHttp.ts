import type { IncomingMessage, ServerResponse } from 'http';
import type { AjaxResponse, Refusal } from './AjaxDirectory';
import { originAllowed } from '../admitRequest';
import { AjaxHeader } from '../../protocol/ajax';
import type { ChskRequest } from '../../protocol/events';
import type { ResolvedServerOptions } from '../serverOptions';

export type { Refusal } from './AjaxDirectory';

/** Answers a refusal as JSON `{ code, message }`. `close` also ends the TCP connection after the answer. */
export function refuse(res: AjaxResponse, r: Refusal, close = false): void {
  if (res.headersSent) return void res.end();
  const body = JSON.stringify({ code: r.code, message: r.message });
  res.statusCode = r.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.setHeader('cache-control', 'no-store');
  if (close) res.setHeader('connection', 'close');
  res.end(body);
}

/** The single value of a request header. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The query of a request as URLSearchParams (no object built from untrusted keys). */
export function queryOf(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
}

const EXPOSED = [AjaxHeader.Seq, AjaxHeader.Closed, AjaxHeader.Upgraded, AjaxHeader.MaxBody].join(', ');
const ALLOWED_HEADERS = [AjaxHeader.Token, AjaxHeader.Ack, AjaxHeader.Csrf, 'content-type'].join(', ');

/**
 * CORS for allowed cross-origin pages: reflects an allowed `Origin` with credentials and exposes the
 * transport's response headers. Returns true when it answered a preflight (`OPTIONS`) itself.
 */
export function applyCors(req: ChskRequest, res: ServerResponse, o: ResolvedServerOptions): boolean {
  const origin = header(req, 'origin');
  const allowed = origin !== undefined && originAllowed(req, o.allowedOrigins);
  if (allowed) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('access-control-expose-headers', EXPOSED);
  }
  res.setHeader('vary', 'Origin');
  if (req.method !== 'OPTIONS') return false;
  if (!allowed) {
    res.statusCode = 403;
    res.end();
    return true;
  }
  res.statusCode = 204;
  res.setHeader('access-control-allow-methods', 'GET, POST, DELETE');
  res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
  res.setHeader('access-control-max-age', '600');
  res.end();
  return true;
}
