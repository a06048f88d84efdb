import { createServer, request, type IncomingMessage } from 'http';
import type { AddressInfo } from 'net';
import type { Duplex } from 'stream';

/** One request as the proxy routed it. */
export interface Routed {
  readonly method: string;
  /** Index of the backend that served it. */
  readonly backend: number;
}

/**
 * A load balancer with nothing sticky: every HTTP request goes to the next backend in turn, per method (a backend that
 * refuses the TCP connection is skipped, as a balancer's health check would), and WebSocket upgrades are
 * refused, so a client stays on Ajax.
 */
export interface RoundRobinProxy {
  /** The endpoint URL through the proxy (the backends' path, the proxy's port). */
  readonly url: string;
  /** Every request routed so far, in order. */
  readonly routed: readonly Routed[];
  /** Upgrades refused so far. */
  readonly refusedUpgrades: number;
  close(): Promise<void>;
}

/** Starts the proxy on port 0 in front of `targets` (endpoint URLs such as `http://127.0.0.1:1234/chsk`). */
export async function startRoundRobinProxy(targets: readonly string[]): Promise<RoundRobinProxy> {
  const backends = targets.map((t) => new URL(t));
  const routed: Routed[] = [];
  /** The next backend, per method (so polls and POSTs each visit every node in turn). */
  const next = new Map<string, number>();
  let refusedUpgrades = 0;

  const forward = (req: IncomingMessage, body: Buffer, res: import('http').ServerResponse, tries: number): void => {
    const n = next.get(req.method ?? '') ?? 0;
    next.set(req.method ?? '', n + 1);
    const i = n % backends.length;
    const t = backends[i]!;
    const up = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      routed.push({ method: req.method ?? '', backend: i });
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', (e: NodeJS.ErrnoException) => {
      // Nobody listens there (a dead node): the next backend, as long as there is one to try.
      if (e.code === 'ECONNREFUSED' && tries + 1 < backends.length && !res.headersSent) return forward(req, body, res, tries + 1);
      res.destroy();
    });
    res.on('close', () => up.destroy());
    up.end(body);
  };

  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(req, Buffer.concat(chunks), res, 0));
  });
  proxy.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
    refusedUpgrades++;
    socket.on('error', () => socket.destroy());
    socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const url = new URL(targets[0]!);
  url.port = String((proxy.address() as AddressInfo).port);
  return {
    url: url.toString(),
    routed,
    get refusedUpgrades() {
      return refusedUpgrades;
    },
    async close() {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    },
  };
}
