export { createChannelSocketClient, type ChannelSocketClient, type SendOptions } from './createChannelSocketClient';
export { createWebSocketClient, type WebSocketClientOptions } from './createWebSocketClient';
export { webSocketTransport } from './transports/webSocketTransport';
export type { ClientOptions, ClientKeepAlive } from './clientOptions';
export type { ClientState, ClientStatus, ClientRecovery, CloseReason } from './ClientState';
export type { ReadonlyBehaviorSubject } from './StateSubject';
export type { ClientTransport, ConnectContext, TransportLink, TransportSignal } from './ClientTransport';
export type { WebSocketConstructor, WebSocketLike } from './transports/webSocketTransport';
export type { FetchLike, FetchInit, FetchResponseLike } from './transports/ajaxTransport';
