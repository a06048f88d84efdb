import type { DefaultEventMap, Event, EventId, EventReply, ServerEventMsg, ServerEventMsgFor } from '../protocol/events';

/** Answer a request. Performed by calling the message's `reply`; ignored for messages that asked none. */
export interface ReplyEffect {
  readonly kind: 'reply';
  readonly to: { readonly reply?: ((value: never) => void) | undefined };
  readonly value: unknown;
}

/** Answer a request with an error (the client's `send` errors with `RemoteError` carrying `code`). */
export interface ReplyErrorEffect {
  readonly kind: 'reply-error';
  readonly to: { readonly reply?: { error(code: string, message: string): void } | undefined };
  readonly code: string;
  readonly message: string;
}

/** Push an event to every client of a uid (`null`: users without a uid). */
export interface PushEffect<M = DefaultEventMap> {
  readonly kind: 'push';
  readonly uid: string | null;
  readonly event: Event<M>;
}

/** Push an event to every connected client. */
export interface BroadcastEffect<M = DefaultEventMap> {
  readonly kind: 'broadcast';
  readonly event: Event<M>;
}

/**
 * What a handler asks the server to do, as plain data: handlers stay pure functions from Observables to
 * Observables, and a marble test compares effects with `toEqual`.
 */
export type Effect<M = DefaultEventMap> = ReplyEffect | ReplyErrorEffect | PushEffect<M> | BroadcastEffect<M>;

/**
 * A server handler: messages in, effects out. Run it with `chsk.handle(handler)`; test it with
 * `TestScheduler` and no server at all.
 */
export type Handler<M = DefaultEventMap> = (msg$: import('rxjs').Observable<ServerEventMsg<M>>) => import('rxjs').Observable<Effect<M>>;

/** Effect: answer `to` with `value` (typed by the event map). */
export function reply<M, K extends EventId<M>>(to: ServerEventMsgFor<M, K>, value: EventReply<M, K>): ReplyEffect {
  return { kind: 'reply', to: to as ReplyEffect['to'], value };
}

/** Effect: answer `to` with an error code and message. */
export function replyError(to: { readonly reply?: unknown }, code: string, message: string): ReplyErrorEffect {
  return { kind: 'reply-error', to: to as ReplyErrorEffect['to'], code, message };
}

/** Effect: push `event` to every client of `uid`. */
export function push<M = DefaultEventMap>(uid: string | null, event: Event<M>): PushEffect<M> {
  return { kind: 'push', uid, event };
}

/** Effect: push `event` to every connected client. */
export function broadcast<M = DefaultEventMap>(event: Event<M>): BroadcastEffect<M> {
  return { kind: 'broadcast', event };
}
