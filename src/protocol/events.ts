
/**
 * What one event id carries: its `data`, and the `reply` type when the event is a request.
 * An event map is an interface of these, keyed by namespaced event id:
 *
 * ```ts
 * interface ChatEvents {
 *   'chat/send': { data: { text: string }; reply: { ok: boolean } }; // client request
 *   'chat/msg': { data: { from: string; text: string } };          // server push
 * }
 * ```
 */
export interface EventSpec {
  data?: unknown;
  reply?: unknown;
  /** The type of each item of a streamed reply (`stream$` on the client, `replyStream` on the server). */
  stream?: unknown;
}

/** The map used when none is given: any id, any data, any reply, any stream item. */
export type DefaultEventMap = Record<string, { data: unknown; reply: unknown; stream: unknown }>;

/** Constraint on event maps; interfaces satisfy it without an index signature. */
export type EventMapOf<M> = { [K in keyof M]: EventSpec };

/** The event ids of a map. */
export type EventId<M> = Extract<keyof M, string>;

/** The data type of event `K` (`undefined` when the map declares none). */
export type EventData<M, K extends keyof M> = M[K] extends { data: infer D } ? D : undefined;

/** The reply type of request `K`. */
export type EventReply<M, K extends keyof M> = M[K] extends { reply: infer R } ? R : never;

/** The item type of streamed request `K`. */
export type EventStreamItem<M, K extends keyof M> = M[K] extends { stream: infer S } ? S : never;

/** Ids of the events in `M` that declare a `stream` item type, i.e. the ones `stream$` can request. */
export type StreamId<M> = { [K in EventId<M>]: M[K] extends { stream: unknown } ? K : never }[EventId<M>];

/**
 * What a streamed reply draws its items from. An `Iterable` or `AsyncIterable` is pulled only as the client grants
 * credit (true back-pressure: a 10-million-row cursor costs a window of items). An `Observable` cannot be paused:
 * the server holds at most one window of its items beyond the credit, and ends the stream with
 * `CHSK_STREAM_OVERFLOW` if it runs further ahead.
 */
export type StreamSource<T> = import('rxjs').Observable<T> | Iterable<T> | AsyncIterable<T>;

/** Ids of the events in `M` that declare a reply, i.e. the ones `send` can request. */
export type RequestId<M> = { [K in EventId<M>]: M[K] extends { reply: unknown } ? K : never }[EventId<M>];

/** An event tuple `[id, data]`: a discriminated union over the ids `K` of the map. */
export type Event<M, K extends EventId<M> = EventId<M>> = {
  [P in K]: readonly [P, EventData<M, P>];
}[K];

/** How a connection is carried. */
export type TransportType = 'ws' | 'ajax';

/**
 * The HTTP request behind a connection (the upgrade request for WebSocket), with what middleware put on it. On
 * the server it is Node's `IncomingMessage`: `sente-rx/server` adds that base (src/server/ChskRequestNode.ts), so
 * that the declarations of `sente-rx` and `sente-rx/client` need no Node types.
 */
export interface ChskRequest {
  session?: { uid?: string | null } & object;
}

/**
 * A server-side event message for one id `K`. `Req` is the app's request type (what its middleware puts on the
 * request: a session, a user), as given to the server (`ChannelSocketServer<M, Req>`).
 */
export interface ServerEventMsgFor<M, K extends EventId<M>, Req = ChskRequest> {
  /** The event as the client sent it. */
  readonly event: Event<M, K>;
  /** `event[0]`. */
  readonly id: K;
  /** `event[1]`. */
  readonly data: EventData<M, K>;
  /** The sender's user id, from `userId(req)`; `null` for users without a uid. */
  readonly uid: string | null;
  /** The sender's client id (one per tab or client instance). */
  readonly clientId: string;
  /** The transport the message arrived on. */
  readonly transport: TransportType;
  /**
   * The request behind the connection (for WebSocket, the upgrade request, for its whole life), or what
   * `keepRequest` kept of it.
   */
  readonly req: Req;
  /**
   * Present only when the client asked for a reply. Call it once; later calls are ignored. A request nobody
   * answers within the server's `requestTimeoutMs` gets a `CHSK_NO_REPLY` error reply.
   */
  readonly reply?: ReplyFn<EventReply<M, K>, EventStreamItem<M, K>>;
}

/**
 * Answers a request. `reply.error(code, message)` answers with an error instead; `reply.stream(source)` answers a
 * request sent with `stream$` with every item of `source` (see {@link StreamSource}).
 */
export interface ReplyFn<R, S = unknown> {
  (value: R): void;
  error(code: string, message: string): void;
  stream(source: StreamSource<S>): void;
}

/** Library events on the server's `events$`: a user's first connection opened or last one closed. */
export interface UidPortMsg<Req = ChskRequest> {
  readonly event: readonly ['chsk/uidport-open' | 'chsk/uidport-close', string];
  readonly id: 'chsk/uidport-open' | 'chsk/uidport-close';
  /** The uid (or `NIL_UID`). */
  readonly data: string;
  readonly uid: string | null;
  readonly clientId: string;
  readonly transport: TransportType;
  readonly req: Req;
  readonly reply?: undefined;
}

/** Every message the server's `events$` can carry: a union discriminated by `id`. */
export type ServerEventMsg<M = DefaultEventMap, Req = ChskRequest> = { [K in EventId<M>]: ServerEventMsgFor<M, K, Req> }[EventId<M>] | UidPortMsg<Req>;

/** The uid under which users without a uid appear in `connectedUids$`; `send(NIL_UID, ev)` reaches them. */
export const NIL_UID = 'chsk/nil-uid';
