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
  | 'bad-handshake'
  /**
   * The server ended the user's session (`disconnect(uid)`: logout, session expiry; close code 4401). The
   * client stops reconnecting (the same session would be let in, or refused, again); call `reconnect()` once
   * the user has signed in again.
   */
  | 'logged-out'
  /** The server or a proxy refused the connection or a request: origin, CSRF, authorization (`CHSK_REJECTED`). */
  | 'rejected'
  /**
   * A push arrived past a gap in its stream (pushes lost on the way, e.g. a server that drops frames for a slow
   * reader): the client reconnected at once so that the server replays the missing ones, in order.
   */
  | 'resync';

/**
 * Where the client is, in one field: `'connecting'` until the first handshake, `'open'` while a link is up,
 * `'reconnecting'` between a link's end and the next handshake (after a drop, or `reconnect()` once opened),
 * `'closed'` after `disconnect()`, after `maxReconnectAttempts`, and before the first connect with
 * `autoConnect: false`.
 */
export type ClientStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * What a reopen recovered: the server's answer to the positions the client presented (README, "Nothing lost
 * silently"). `recovered: true`: every push and broadcast sent to this client while it was away follows,
 * in order and once (`replayed` of them, delivered on `events$` right after the open). `false`: some may be
 * lost (the log was trimmed, the server restarted, or it keeps no logs): refetch what the app shows.
 */
export interface ClientRecovery {
  /** True when everything missed was replayed. */
  readonly recovered: boolean;
  /** How many pushes were replayed. */
  readonly replayed: number;
}

/**
 * The client's connection state, as `state$` holds it. Each change emits one new object (a drop emits once,
 * with the close, the WebSocket close and the next attempt together); nothing is emitted when nothing changed.
 */
export interface ClientState {
  /** Where the client is; see {@link ClientStatus}. */
  readonly status: ClientStatus;
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
  /**
   * What the last reopen recovered (see {@link ClientRecovery}), set at each handshake after the first; `null`
   * until the first reopen. The same value is emitted on `reopened$`.
   */
  readonly recovery: ClientRecovery | null;
}

export function initialState(type: TransportType, clientId: string): ClientState {
  return {
    status: 'closed',
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
    recovery: null,
  };
}
