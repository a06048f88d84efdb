import { createServer, request, type IncomingHttpHeaders } from 'http';
import type { AddressInfo } from 'net';

/** An HTTP proxy that forwards every request but drops `Upgrade` (as some corporate proxies do). */
export interface StripUpgradeProxy {
  /** `target`'s URL rewritten to go through the proxy. */
  url: string;
  /** How many requests arrived with an `Upgrade` header (and lost it). */
  stripped: number;
  close(): Promise<void>;
}

function strip(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers };
  delete out.upgrade;
  const connection = String(out.connection ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0 && t.toLowerCase() !== 'upgrade');
  if (connection.length > 0) out.connection = connection.join(', ');
  else delete out.connection;
  return out;
}

/**
 * Starts a proxy on port 0 in front of `target` (e.g. `http://127.0.0.1:1234/chsk`). Node passes upgrade
 * requests to the `request` handler when no `upgrade` listener exists, so they are forwarded as plain GETs.
 */
export async function startStripUpgradeProxy(target: string): Promise<StripUpgradeProxy> {
  const t = new URL(target);
  const state = { stripped: 0 };
  const proxy = createServer((req, res) => {
    if (req.headers.upgrade !== undefined) state.stripped++;
    const up = request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: strip(req.headers) },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const url = new URL(target);
  url.port = String((proxy.address() as AddressInfo).port);
  return {
    url: url.toString(),
    get stripped() {
      return state.stripped;
    },
    async close() {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    },
  };
}
