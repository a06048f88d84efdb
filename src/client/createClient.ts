import type { Observable } from 'rxjs';
import type { ChannelError } from '../errors/ChannelError';
import type { DefaultEventMap, Event, EventData, EventId, EventMapOf, EventReply, EventStreamItem, RequestId, StreamId } from '../protocol/events';
import { ClientCore } from './ClientCore';
import { resolveClientOptions, type ClientOptions } from './clientOptions';
import type { ClientRecovery, ClientState } from './ClientState';
import type { ClientTransport } from './ClientTransport';
import type { TopicReopened } from './ClientTopics';
import type { ReadonlyBehaviorSubject } from './StateSubject';
import type { StreamOptions } from './requestStream';
import type { EmitOptions } from './emitEvent';

/** Options of one `send`. */
export interface SendOptions {
  /**
   * Deadline for the reply, counted from the call (time spent waiting offline included): ms in (0, 2^31-1], or
   * `Infinity` for none. Any other value makes the send error with `ConfigError` (`CHSK_BAD_OPTION`).
   * @default the client's `timeoutMs` (10 s)
   */
  timeoutMs?: number;
}

/** The client side of a channel socket. See README, "Client API". */
export interface ChannelSocketClient<M extends EventMapOf<M> = DefaultEventMap> {
  /**
   * Connection state: a `BehaviorSubject` to read (`value`, `getValue()`, `subscribe`), typed without
   * `next`/`error`/`complete`; calling them at run time throws. One new object per change.
   */
  readonly state$: ReadonlyBehaviorSubject<ClientState>;
  /**
   * Problems no send waits for: a bad `backoff` result (`ConfigError`), a push that failed its schema
   * (`DataError`, `CHSK_BAD_DATA`; it is not delivered on `events$`), with `strict` a push without a schema (`DataError`, `CHSK_UNKNOWN_EVENT`), and more as the protocol grows (refusals
   * without a waiting send, link failures). Never errors or completes.
   */
  readonly errors$: Observable<ChannelError>;
  /** The server's pushes, as event tuples `[id, data]`. */
  readonly events$: Observable<Event<M>>;
  /**
   * Each reopen after the first (not the first open): `{ recovered, replayed }`, also in `state$.value.recovery`.
   * `recovered: true`: what was pushed while the link was down follows on `events$`, in order and once; `false`:
   * pushes may have been missed (log trimmed, server restarted, resume off): refetch. Never errors or completes.
   */
  readonly reopened$: Observable<ClientRecovery>;
  /**
   * A request: cold; sends on subscribe, emits the reply and completes. Errors with `ReplyTimeoutError`
   * (`CHSK_TIMEOUT`) at the deadline, `DeliveryUncertainError` (`CHSK_UNCERTAIN`) when it was written and the
   * client gives up on it (disconnected, a server without dedupe, `maxUnacked`), `ChannelClosedError`
   * (`CHSK_CLOSED`) when it was never written and the client is disconnected, `BufferOverflowError` when offline
   * and the buffer is full, `RemoteError` when the server answers with an error. A dropped link does not fail it:
   * it is sent again after the reconnect (same message id; the server runs it once). Unsubscribing cancels the wait.
   */
  send<K extends RequestId<M>>(event: readonly [K, EventData<M, K>], options?: SendOptions): Observable<EventReply<M, K>>;
  /**
   * An event that expects no reply: cold; writes on subscribe (waiting in the buffer while offline or paced)
   * and completes when the server acknowledges it (`a`: it passed every check and reached `events$`). Errors
   * with `RemoteError` when the server refuses it (`CHSK_RATE_LIMITED`, `CHSK_BAD_DATA` with `issues`,
   * `CHSK_RESERVED_ID`, ...), `DeliveryUncertainError` (`CHSK_UNCERTAIN`) when it was written and the client
   * gives up on it, `ChannelClosedError` (`CHSK_CLOSED`) when it was never written and the client is
   * disconnected, `ReplyTimeoutError` (`CHSK_TIMEOUT`) past `timeoutMs`, `BufferOverflowError` when the buffer is
   * full. A dropped link does not fail it: it is sent again after the reconnect. Unsubscribing stops the wait.
   */
  emit<K extends EventId<M>>(event: readonly [K, EventData<M, K>], options?: EmitOptions): Observable<void>;
  /**
   * A streamed reply: cold; sends on subscribe (waiting in the buffer while offline), emits every item the
   * server's `replyStream` sends, in order, and completes when the server's source does. Unsubscribing cancels
   * it on the server (its source is unsubscribed). Flow control keeps at most `window` items in flight. Errors
   * with `RemoteError` when the server fails it (`CHSK_HANDLER_ERROR`, `CHSK_STREAM_OVERFLOW`, an app code),
   * `StreamCutError` (`CHSK_STREAM_CUT`, `retryable`) when the link drops mid-stream, `ChannelClosedError` on
   * `disconnect()`, `ReplyTimeoutError` past `timeoutMs` / `idleTimeoutMs`.
   */
  /**
   * A topic's events: cold, and shared per (topic, params) on this client: the first subscriber joins (the server
   * asks its `authorizeTopic(req, uid, topic, params)`), the last unsubscribe leaves. After a reconnect every
   * topic held is joined again. Errors with `TopicRefusedError` (`CHSK_TOPIC_REFUSED`) when the server refuses,
   * `RemoteError` with `CHSK_TOPIC_REMOVED` when it removes this client (`removeFromTopic`), `CHSK_BAD_TOPIC`,
   * `CHSK_TOO_MANY_TOPICS` or `CHSK_RATE_LIMITED` for the server's limits, `ChannelClosedError` on
   * `disconnect()`. `params` are compared by their JSON.
   */
  topic$<K extends EventId<M> = EventId<M>>(topic: string, params?: unknown): Observable<Event<M, K>>;
  /**
   * Each rejoin of a held topic after a reconnect: `{ topic, params, recovered, replayed }`. `recovered`: the
   * server replayed every event published while the client was away (they come on `topic$` before newer ones,
   * each once); false: some may be missed (no topic logs, trimmed, another epoch): refetch what the topic shows.
   * Emitted when the server's `ta` arrives, before the replayed events.
   */
  readonly topicReopened$: Observable<TopicReopened>;
  stream$<K extends StreamId<M>>(event: readonly [K, EventData<M, K>], options?: StreamOptions): Observable<EventStreamItem<M, K>>;
  /**
   * Closes the link and stops reconnecting. Sends waiting in the offline buffer fail with `ChannelClosedError`,
   * written and unanswered ones with `DeliveryUncertainError`; streams and topics in progress with `ChannelClosedError`.
   */
  disconnect(): void;
  /** Drops the current link (if any) and connects again at once, e.g. to pick up a new session after login. */
  reconnect(): void;
}

/**
 * The client on a given transport: what `createChannelSocketClient` and `createWebSocketClient` share. It
 * imports no transport, so a bundle carries only the transports its factory picks (transports/selectTransport.ts
 * holds the `type` logic). `options.transport`, when set, wins over `transport()`.
 */
export function createClient<M extends EventMapOf<M>>(options: ClientOptions, transport: () => ClientTransport): ChannelSocketClient<M> {
  const o = resolveClientOptions(options);
  const core = new ClientCore(o, options.transport ?? transport());
  if (o.autoConnect) core.start();
  return {
    state$: core.state$,
    events$: core.events.asObservable() as Observable<Event<M>>,
    reopened$: core.reopened.asObservable(),
    errors$: core.errors.asObservable(),
    send: (event, opts) => core.request(event, opts?.timeoutMs ?? o.timeoutMs) as Observable<never>,
    emit: (event, opts) => core.emit(event, opts?.timeoutMs ?? o.timeoutMs),
    topic$: (topic, params) => core.topics.topic$(topic, params) as Observable<never>,
    topicReopened$: core.topics.reopened.asObservable(),
    stream$: (event, opts) => core.stream(event, opts) as Observable<never>,
    disconnect: () => core.stop('requested-disconnect'),
    reconnect: () => core.restart(),
  };
}
