import type { BehaviorSubject, Observable } from 'rxjs';
import type { DefaultEventMap, Event, EventData, EventId, EventMapOf, EventReply, RequestId } from '../protocol/events';
import { ClientCore } from './ClientCore';
import { resolveClientOptions, type ClientOptions, type ResolvedClientOptions } from './clientOptions';
import type { ClientState } from './ClientState';
import type { ClientTransport } from './ClientTransport';
import { ajaxTransport, resolveFetch } from './transports/ajaxTransport';
import { autoTransport } from './transports/autoTransport';
import { resolveWebSocket, webSocketTransport, type WebSocketConstructor } from './transports/webSocketTransport';

/** Options of one `send`. */
export interface SendOptions {
  /** Deadline for the reply, counted from the call (time spent waiting offline included). @default the client's `timeoutMs` (10 s) */
  timeoutMs?: number;
}

/** The client side of a channel socket. See README, "Client API". */
export interface ChannelSocketClient<M extends EventMapOf<M> = DefaultEventMap> {
  /** Connection state; a new object on every change. */
  readonly state$: BehaviorSubject<ClientState>;
  /** The server's pushes, as event tuples `[id, data]`. */
  readonly events$: Observable<Event<M>>;
  /**
   * A request: cold; sends on subscribe, emits the reply and completes. Errors with `ReplyTimeoutError`
   * (`CHSK_TIMEOUT`) at the deadline, `ChannelClosedError` (`CHSK_CLOSED`) when the link drops with the
   * request in flight or the client is disconnected, `BufferOverflowError` when offline and the buffer is
   * full, `RemoteError` when the server answers with an error. Unsubscribing cancels the wait.
   */
  send<K extends RequestId<M>>(event: readonly [K, EventData<M, K>], options?: SendOptions): Observable<EventReply<M, K>>;
  /** A fire-and-forget event: cold; completes once written to the link (waiting in the buffer while offline). */
  emit<K extends EventId<M>>(event: readonly [K, EventData<M, K>]): Observable<void>;
  /** Closes the link and stops reconnecting. Waiting and in-flight sends fail with `ChannelClosedError`. */
  disconnect(): void;
  /** Drops the current link (if any) and connects again at once, e.g. to pick up a new session after login. */
  reconnect(): void;
}

/** The transport for `type`: WebSocket, Ajax, or `auto` (WebSocket, falling back to Ajax and back). */
function selectTransport(options: ClientOptions, o: ResolvedClientOptions): ClientTransport {
  if (o.type === 'ws') return webSocketTransport(resolveWebSocket(options.WebSocket));
  const base = {
    fetch: resolveFetch(options.fetch),
    packer: o.packer,
    scheduler: o.scheduler,
    connectTimeoutMs: o.connectTimeoutMs,
    requestTimeoutMs: o.ajaxTimeoutMs,
  };
  if (o.type === 'ajax') return ajaxTransport(base);
  // 'auto' wants a WebSocket too: on Node a forgotten `WebSocket` option would otherwise degrade silently to
  // long-polling. Pass `type: 'ajax'` to run on Ajax alone.
  const WS = resolveWebSocket(options.WebSocket);
  const upgrade = o.upgradeIntervalMs === false ? undefined : { WebSocket: WS, intervalMs: o.upgradeIntervalMs };
  return autoTransport({
    ws: webSocketTransport(WS),
    ajax: ajaxTransport({ ...base, upgrade }),
    scheduler: o.scheduler,
    connectTimeoutMs: o.connectTimeoutMs,
  });
}

/**
 * Creates the client side of a channel socket and connects it (unless `autoConnect: false`).
 *
 * ```ts
 * import WebSocket from 'ws'; // Node only; browsers have it built in
 * const chsk = createChannelSocketClient<ChatEvents>({ url: 'http://localhost:3000/chsk', WebSocket });
 * chsk.send(['chat/send', { text: 'hi' }], { timeoutMs: 5000 }).subscribe((reply) => console.log(reply));
 * ```
 */
export function createChannelSocketClient<M extends EventMapOf<M> = DefaultEventMap>(
  options: ClientOptions = {},
): ChannelSocketClient<M> {
  const o = resolveClientOptions(options);
  const transport = options.transport ?? selectTransport(options, o);
  const core = new ClientCore(o, transport);
  if (o.autoConnect) core.start();
  return {
    state$: core.state$,
    events$: core.events.asObservable() as Observable<Event<M>>,
    send: (event, opts) => core.request(event, opts?.timeoutMs ?? o.timeoutMs) as Observable<never>,
    emit: (event) => core.emit(event),
    disconnect: () => core.stop('requested-disconnect'),
    reconnect: () => core.restart(),
  };
}
