import { asyncScheduler } from 'rxjs';
import { createChannelSocketClient, type ChannelSocketClient } from '../client/createChannelSocketClient';
import type { ClientOptions } from '../client/clientOptions';
import { CloseCode } from '../protocol/codes';
import type { DefaultEventMap, EventMapOf, TransportType } from '../protocol/events';
import { serverApi, type ChannelSocketServerCore } from '../server/serverApi';
import { ServerCore } from '../server/ServerCore';
import { resolveServerOptions, type ServerOptions } from '../server/serverOptions';
import { FakeNetwork, type FakeIdentity, type LinkControl } from './FakeNetwork';

/** Options of {@link createTestServer}: the server's own options, plus the fake network's. */
export interface TestServerOptions extends ServerOptions {
  /** One-way delay of every frame, in (virtual) milliseconds. @default 0 */
  latencyMs?: number;
}

/** Options of one fake client: who it is on the server, plus any client option. */
export interface TestClientOptions extends Omit<ClientOptions, 'transport' | 'WebSocket'>, Partial<FakeIdentity> {
  /** The transport the client appears to use. @default 'ws' */
  transportType?: TransportType;
}

/** An in-memory server with fake clients, all on the scheduler. */
export interface TestServer<M extends EventMapOf<M> = DefaultEventMap> {
  /** The server API, the same as `createChannelSocketServer` returns minus `router` and `attach`. */
  readonly server: ChannelSocketServerCore<M>;
  /** Creates a client connected through the fake network, as `uid` (default `null`). */
  client(options?: TestClientOptions): ChannelSocketClient<M>;
  /**
   * Fault controls over the link of client `clientId`, in virtual time: `cut()`, `restore()`, `drop()`,
   * `blackhole()`, `delay(ms)` (see {@link LinkControl}). Usable before the client exists.
   */
  link(clientId: string): LinkControl;
  /** Makes new connections fail (true) or succeed again (false). */
  refuseConnections(refuse: boolean): void;
  /**
   * Disconnects every client and closes the server. Reconnect backoff and keep-alive are periodic, so a
   * `TestScheduler` flush only ends once they stop: schedule this at the end of a test,
   * e.g. `testScheduler.schedule(() => t.stop(), 10_000)`.
   */
  stop(): void;
}

/**
 * Creates a server core and fake clients that talk through an in-memory network, driven entirely by the
 * scheduler: inside `TestScheduler.run`, replies, timeouts, retries, keep-alive and batching run in
 * virtual time, with no sockets. The uid of each client is given directly (`userId` is not called).
 *
 * ```ts
 * testScheduler.run(({ expectObservable }) => {
 *   const t = createTestServer<ChatEvents>();
 *   t.server.handle(chatHandler);
 *   const alice = t.client({ uid: 'alice' });
 *   expectObservable(alice.send(['chat/send', { text: 'hi' }])).toBe('(r|)', { r: { ok: true } });
 * });
 * ```
 */
export function createTestServer<M extends EventMapOf<M> = DefaultEventMap>(options: TestServerOptions = {}): TestServer<M> {
  const o = resolveServerOptions(options);
  const core = new ServerCore(o);
  const network = new FakeNetwork(core, o.scheduler, options.latencyMs ?? 0);
  let n = 0;
  const clients: Array<ChannelSocketClient<M>> = [];
  return {
    server: serverApi<M>(core, async () => core.shutdown(CloseCode.GoingAway, 'server closing')),
    client(opts = {}) {
      const { uid = null, req, transportType, ...clientOptions } = opts;
      const clientId = clientOptions.clientId ?? `test-client-${++n}`;
      const c = createChannelSocketClient<M>({
        scheduler: options.scheduler ?? asyncScheduler,
        packer: o.packer,
        ...clientOptions,
        clientId,
        transport: network.transport({ uid, req }, transportType),
      });
      clients.push(c);
      return c;
    },
    stop() {
      for (const c of clients) c.disconnect();
      core.shutdown(CloseCode.GoingAway, 'server closing');
    },
    link: (clientId) => network.control(clientId),
    refuseConnections: (refuse) => void (network.refuseConnections = refuse),
  };
}
