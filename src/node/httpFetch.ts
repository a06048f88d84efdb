import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'http';
import { Agent as HttpsAgent, request as httpsRequest } from 'https';
import type { FetchInit, FetchLike, FetchResponseLike } from '../client/transports/ajaxTransport';

/** Options of {@link httpFetch}. */
export interface HttpFetchOptions {
  /** Sockets kept open per origin for reuse (the Ajax transport needs two: a poll and a POST). @default 4 */
  readonly maxSockets?: number;
  /** Headers added to every request, e.g. `{ cookie: 'sid=…' }` for a session (no cookie jar is kept). */
  readonly headers?: Readonly<Record<string, string>>;
}

function abortError(): Error {
  const e = new Error('the request was aborted');
  e.name = 'AbortError';
  return e;
}

class HttpResponse implements FetchResponseLike {
  constructor(
    readonly status: number,
    private readonly res: IncomingMessage,
    private readonly body: Promise<Buffer>,
  ) {}
  readonly headers = {
    get: (name: string): string | null => {
      const v = this.res.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
  };
  text(): Promise<string> {
    return this.body.then((b) => b.toString('utf8'));
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.body.then((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  }
}

/**
 * A `fetch` for the Ajax transport on Node, on `http`/`https` with keep-alive sockets. Node's global `fetch`
 * (undici) works too, but costs about three times as much per request: on a loopback long-poll it caps a
 * client at roughly 1,300 requests a second where this reaches about 4,000 on the same machine. No cookie jar
 * is kept: pass a session cookie in `headers`. Abort signals are honoured (the request's socket is destroyed
 * and the promise rejects with an `AbortError`).
 */
export function httpFetch(options: HttpFetchOptions = {}): FetchLike {
  const maxSockets = options.maxSockets ?? 4;
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets }), https: new HttpsAgent({ keepAlive: true, maxSockets }) };
  return (url: string, init: FetchInit): Promise<FetchResponseLike> =>
    new Promise<FetchResponseLike>((resolve, reject) => {
      const signal = init.signal;
      if (signal?.aborted) return reject(abortError());
      const secure = url.startsWith('https:');
      const headers = options.headers ? { ...options.headers, ...init.headers } : init.headers;
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: init.method,
        headers,
        // A fresh connection for a retry: the pooled ones may have died with the one that failed.
        agent: init.fresh ? false : secure ? agents.https : agents.http,
      });
      const onAbort = (): void => void req.destroy(abortError());
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e) => {
        signal?.removeEventListener('abort', onAbort);
        reject(signal?.aborted ? abortError() : e);
      });
      req.on('response', (res) => {
        const body = new Promise<Buffer>((done, fail) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => (signal?.removeEventListener('abort', onAbort), done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))));
          res.on('error', fail);
          res.on('aborted', () => fail(abortError()));
        });
        body.catch(() => undefined); // read or not, a failed body must not become an unhandled rejection
        resolve(new HttpResponse(res.statusCode ?? 0, res, body));
      });
      req.end(init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : Buffer.from(init.body.buffer, init.body.byteOffset, init.body.byteLength));
    });
}
