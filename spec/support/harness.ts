import express from 'express';
import { EventEmitter } from 'events';
import { createServer, type IncomingMessage, type Server } from 'http';
import type { AddressInfo } from 'net';
import type { Duplex } from 'stream';
import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';
import WebSocket from 'ws';
import { createChannelSocketClient, type ChannelSocketClient, type ClientOptions } from '../../src/client';
import { createChannelSocketServer, type ChannelSocketServer, type ServerOptions } from '../../src/server';
import { jsonPacker, type DefaultEventMap, type EventMapOf, type Packer } from '../../src';
import { msgpackPacker } from '../../src/packers/msgpack';
import { createRedisAdapter } from '../../src/redis';
import { dropPrefix, testPrefix } from './redis';

/**
 * The adapter every server of this run gets unless a test passes its own: `memory` (default) or `redis`
 * (set by the jest project `redis` through CHSK_ADAPTER; see spec/support/redisAdapter.ts).
 */
export const ADAPTER_KIND: 'memory' | 'redis' = process.env.CHSK_ADAPTER === 'redis' ? 'redis' : 'memory';

/** How long a test waits for a condition before failing (a guard, never a sleep). */
export const WAIT_MS = 5000;

/** Resolves with the first value of `source$` matching `predicate`; fails the test after WAIT_MS. */
export function waitFor<T>(source$: Observable<T>, predicate: (v: T) => boolean = () => true, ms = WAIT_MS): Promise<T> {
  return firstValueFrom(source$.pipe(filter(predicate), timeout(ms)));
}

/** The client transports every integration suite can run over. */
export type TransportKind = 'ws' | 'ajax' | 'auto';
export const TRANSPORTS: readonly TransportKind[] = ['ws', 'ajax', 'auto'];
export const PACKERS: readonly Packer[] = [jsonPacker, msgpackPacker];
/** Every transport × packer, for `describe.each(MATRIX)('$type / $packerName', ...)`. */
export const MATRIX = TRANSPORTS.flatMap((type) => PACKERS.map((packer) => ({ type, packer, packerName: packer.name })));

/** How the test server treats WebSocket upgrades. */
export type UpgradePolicy = 'accept' | 'refuse' | 'hang';

export interface HarnessOptions {
  /** Defaults for every client of this server (e.g. `{ type: 'ajax' }`). The server's packer is the default packer. */
  client?: ClientOptions;
  /** `'refuse'` answers upgrades 403 without reaching the channel socket; `'hang'` never answers. @default 'accept' */
  upgrades?: UpgradePolicy;
}

export interface TestServer<M extends EventMapOf<M>> {
  chsk: ChannelSocketServer<M>;
  http: Server;
  url: string;
  /**
   * The server resumes: its adapter assigns offsets (`ServerAdapter.resumable`) and `resume` is on. Suites that
   * run over every adapter assert full recovery only then (else: `recovered: false`, never a silent hole).
   */
  resumable: boolean;
  /**
   * Resolves once the pushes made so far reached this server's connections (at once on one process; on the Redis
   * adapter they come back from Redis first).
   */
  settled(): Promise<void>;
  /** Changes how upgrades are treated from now on. */
  setUpgrades(policy: UpgradePolicy): void;
  /** Creates a Node client against this server; closed by `stop()`. */
  client(opts?: ClientOptions): ChannelSocketClient<M>;
  /** A client that is connected (handshake done). */
  connected(opts?: ClientOptions): Promise<ChannelSocketClient<M>>;
  stop(): Promise<void>;
}

function refuseUpgrade(socket: Duplex): void {
  const body = 'upgrades are not allowed here';
  socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
}

/**
 * Starts Express + a real http server on port 0 with a channel socket mounted at /chsk. The uid of a
 * connection comes from its `uid` query parameter (the test's stand-in for a session). Upgrades pass through
 * a gate, so a test can refuse them (a network that blocks WebSocket) and allow them later.
 */
export async function startServer<M extends EventMapOf<M> = DefaultEventMap>(
  opts: ServerOptions = {},
  harness: HarnessOptions = {},
): Promise<TestServer<M>> {
  const app = express();
  const prefix = ADAPTER_KIND === 'redis' && !opts.adapter ? testPrefix() : undefined;
  const adapter = prefix ? createRedisAdapter({ keyPrefix: prefix, heartbeatMs: 200, nodeTimeoutMs: 1000, ...(opts.resume ? { replay: opts.resume } : {}) }) : undefined;
  const chsk = createChannelSocketServer<M>({
    userId: (req) => new URL(req.url ?? '/', 'http://x').searchParams.get('uid'),
    ...(adapter ? { adapter } : {}),
    ...opts,
  });
  await adapter?.whenReady();
  app.use('/chsk', chsk.router);
  const http = createServer(app);
  let policy: UpgradePolicy = harness.upgrades ?? 'accept';
  const hanging = new Set<Duplex>();
  // `attach` only needs on/off('upgrade'): give it a gate that the test controls.
  const gate = new EventEmitter();
  // attach() asks how many upgrade listeners the server has (to answer 404 when it is the only one): the
  // http server's own count is the true one.
  gate.listenerCount = (event: string | symbol) => http.listenerCount(event);
  chsk.attach(gate as unknown as Server);
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (policy === 'accept') return void gate.emit('upgrade', req, socket, head);
    socket.on('error', () => socket.destroy());
    if (policy === 'refuse') return refuseUpgrade(socket);
    hanging.add(socket);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/chsk`;
  const clients: ChannelSocketClient<M>[] = [];
  const client = (o: ClientOptions = {}) => {
    const c = createChannelSocketClient<M>({
      url,
      WebSocket,
      packer: opts.packer,
      ...harness.client,
      ...o,
    });
    clients.push(c);
    return c;
  };
  return {
    chsk,
    http,
    url,
    resumable: opts.resume !== false && (opts.adapter ?? adapter)?.resumable !== false,
    settled: async () => {
      const a = (opts.adapter ?? adapter) as { delivered?: () => Promise<void> } | undefined;
      await a?.delivered?.();
    },
    setUpgrades: (p) => void (policy = p),
    client,
    async connected(o) {
      const c = client(o);
      await waitFor(c.state$, (s) => s.open);
      return c;
    },
    async stop() {
      for (const c of clients) c.disconnect();
      await chsk.close();
      for (const s of hanging) s.destroy();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
      if (prefix) await dropPrefix(prefix);
    },
  };
}
