export { createChannelSocketServer, type ChannelSocketServer } from './createChannelSocketServer';
export type { ChannelSocketServerCore, PushOptions } from './serverApi';
export type { ServerOptions, UpgradeMiddleware, Rejection, RateLimit } from './serverOptions';
export type { ConnectedUids } from './Presence';
export type { ServerErrorReport } from './ServerCore';
export type { ServerConnection, ConnectionHandle } from './ServerConnection';
export { MemoryAdapter, type ServerAdapter } from './ServerAdapter';
export { NIL_UID } from '../protocol/events';
export type { ServerEventMsg, ServerEventMsgFor, UidPortMsg, ChskRequest, ReplyFn } from '../protocol/events';
