import type { TransportType } from '../protocol/events';

/** Why the connection last closed. */
export type CloseReason =
  /** The server closed the socket cleanly (code 1000, or 1001 when it shut down). */
  | 'clean'
  /** The link dropped without a clean close (network, crash, a refused connection). */
  | 'unexpected'
  /** `disconnect()` was called. */
  | 'requested-disconnect'
  /** `reconnect()` was called. */
  | 'requested-reconnect'
  /** The peer stayed silent past the keep-alive timeout. */
  | 'keepalive-timeout'
  /** WebSocket never opened and `type: 'auto'` fell back to Ajax. */
  | 'downgrading-ws-to-ajax'
  /** The server refused the handshake (bad client id, protocol version) or sent an invalid handshake. */
  | 'bad-handshake';

/** The client's connection state, as `state$` holds it. Each change emits a new object. */
export interface ClientState {
  /** The transport of the current (or last) link. */
  readonly type: TransportType;
  /** True between a successful handshake and the next close. */
  readonly open: boolean;
  /** True once any handshake has succeeded. */
  readonly everOpened: boolean;
  /** True while the current open is the first one of this client. */
  readonly firstOpen: boolean;
  /** This client's id (one per client instance, e.g. per tab). */
  readonly clientId: string;
  /** The uid the server gave in the handshake (`null` for users without a uid, and before the first handshake). */
  readonly uid: string | null;
  /** What the server's `handshakeData(req)` returned. */
  readonly handshakeData: unknown;
  /** When and why the connection last closed. */
  readonly lastClose: { readonly at: number; readonly reason: CloseReason } | null;
  /** The last WebSocket error event. */
  readonly lastWsError: { readonly at: number; readonly message: string } | null;
  /** The last WebSocket close event. */
  readonly lastWsClose: { readonly at: number; readonly code: number; readonly reason: string; readonly clean: boolean } | null;
  /** Attempts since the last successful handshake (0 when connected or on the first try). */
  readonly reconnectAttempt: number;
  /** When the next attempt starts (scheduler time, ms), while one is waiting; else `null`. */
  readonly nextReconnectAt: number | null;
}

export function initialState(type: TransportType, clientId: string): ClientState {
  return {
    type,
    open: false,
    everOpened: false,
    firstOpen: false,
    clientId,
    uid: null,
    handshakeData: undefined,
    lastClose: null,
    lastWsError: null,
    lastWsClose: null,
    reconnectAttempt: 0,
    nextReconnectAt: null,
  };
}
