import express from 'express';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';
import WebSocket from 'ws';
import { createChannelSocketClient, type ChannelSocketClient, type ClientOptions } from '../../src/client';
import { createChannelSocketServer, type ChannelSocketServer, type ServerOptions } from '../../src/server';
import type { DefaultEventMap, EventMapOf } from '../../src';
import type { WebSocketConstructor } from '../../src/client/transports/webSocketTransport';

/** How long a test waits for a condition before failing (a guard, never a sleep). */
export const WAIT_MS = 5000;

/** Resolves with the first value of `source$` matching `predicate`; fails the test after WAIT_MS. */
export function waitFor<T>(source$: Observable<T>, predicate: (v: T) => boolean = () => true, ms = WAIT_MS): Promise<T> {
  return firstValueFrom(source$.pipe(filter(predicate), timeout(ms)));
}

export interface TestServer<M extends EventMapOf<M>> {
  chsk: ChannelSocketServer<M>;
  http: Server;
  url: string;
  /** Creates a Node client against this server; closed by `stop()`. */
  client(opts?: ClientOptions): ChannelSocketClient<M>;
  /** A client that is connected (handshake done). */
  connected(opts?: ClientOptions): Promise<ChannelSocketClient<M>>;
  stop(): Promise<void>;
}

/**
 * Starts Express + a real http server on port 0 with a channel socket mounted at /chsk. The uid of a
 * connection comes from its `uid` query parameter (the test's stand-in for a session).
 */
export async function startServer<M extends EventMapOf<M> = DefaultEventMap>(opts: ServerOptions = {}): Promise<TestServer<M>> {
  const app = express();
  const chsk = createChannelSocketServer<M>({
    userId: (req) => new URL(req.url ?? '/', 'http://x').searchParams.get('uid'),
    ...opts,
  });
  app.use('/chsk', chsk.router);
  const http = createServer(app);
  chsk.attach(http);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/chsk`;
  const clients: ChannelSocketClient<M>[] = [];
  const client = (o: ClientOptions = {}) => {
    const c = createChannelSocketClient<M>({ url, WebSocket: WebSocket as unknown as WebSocketConstructor, ...o });
    clients.push(c);
    return c;
  };
  return {
    chsk,
    http,
    url,
    client,
    async connected(o) {
      const c = client(o);
      await waitFor(c.state$, (s) => s.open);
      return c;
    },
    async stop() {
      for (const c of clients) c.disconnect();
      await chsk.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
