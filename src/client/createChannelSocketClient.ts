import type { DefaultEventMap, EventMapOf } from '../protocol/events';
import type { ClientOptions } from './clientOptions';
import type { EventSchemas, InferEventMap } from '../schemas/EventSchemas';
import { createClient, type ChannelSocketClient } from './createClient';
import { resolveTransportOptions, selectTransport } from './transports/selectTransport';

export type { ChannelSocketClient, SendOptions } from './createClient';
export type { EmitOptions } from './emitEvent';

/**
 * Creates the client side of a channel socket and connects it (unless `autoConnect: false`).
 *
 * ```ts
 * import WebSocket from 'ws'; // Node only; browsers have it built in
 * const chsk = createChannelSocketClient<ChatEvents>({ url: 'http://localhost:3000/chsk', WebSocket });
 * chsk.send(['chat/send', { text: 'hi' }], { timeoutMs: 5000 }).subscribe((reply) => console.log(reply));
 * ```
 *
 * It carries every transport (the default `type: 'auto'` needs WebSocket and Ajax), also when given a
 * `transport`; an app that only wants WebSocket and counts bytes uses {@link createWebSocketClient}.
 */
export function createChannelSocketClient<const S extends EventSchemas>(options: ClientOptions & { schemas: S }): ChannelSocketClient<InferEventMap<S>>;
export function createChannelSocketClient<M extends EventMapOf<M> = DefaultEventMap>(options?: ClientOptions): ChannelSocketClient<M>;
export function createChannelSocketClient<M extends EventMapOf<M> = DefaultEventMap>(
  options: ClientOptions = {},
): ChannelSocketClient<M> {
  const t = resolveTransportOptions(options);
  return createClient<M>(options, () => selectTransport(options, t));
}
