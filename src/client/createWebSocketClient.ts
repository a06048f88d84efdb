import type { DefaultEventMap, EventMapOf } from '../protocol/events';
import { check, type ClientOptions } from './clientOptions';
import type { EventSchemas, InferEventMap } from '../schemas/EventSchemas';
import { createClient, type ChannelSocketClient } from './createClient';
import { asyncScheduler } from 'rxjs';
import { isTimerMs } from '../protocol/durationMs';
import { resolveWebSocket, webSocketTransport } from './transports/webSocketTransport';

/** Options of {@link createWebSocketClient}: those of `createChannelSocketClient` without the Ajax ones. */
export type WebSocketClientOptions = Omit<ClientOptions, 'type' | 'fetch' | 'upgradeIntervalMs' | 'ajaxTimeoutMs'>;

/**
 * `createChannelSocketClient` on WebSocket alone (`type: 'ws'`), for apps that count bytes: a bundle that
 * imports only this carries no Ajax or `'auto'` code (README, "Client API"). Same client, same options,
 * minus the Ajax ones.
 *
 * ```ts
 * import { createWebSocketClient } from 'sente-rx/client';
 * const chsk = createWebSocketClient<ChatEvents>({ url: '/chsk' });
 * ```
 */
export function createWebSocketClient<const S extends EventSchemas>(options: WebSocketClientOptions & { schemas: S }): ChannelSocketClient<InferEventMap<S>>;
export function createWebSocketClient<M extends EventMapOf<M> = DefaultEventMap>(options?: WebSocketClientOptions): ChannelSocketClient<M>;
export function createWebSocketClient<M extends EventMapOf<M> = DefaultEventMap>(
  options: WebSocketClientOptions = {},
): ChannelSocketClient<M> {
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  check('connectTimeoutMs', isTimerMs(timeoutMs), 'must be a number of ms in (0, 2^31-1]');
  return createClient<M>(options, () =>
    webSocketTransport(resolveWebSocket(options.WebSocket), { timeoutMs, scheduler: options.scheduler ?? asyncScheduler }),
  );
}
