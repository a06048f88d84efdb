import type { Observable } from 'rxjs';
import type { ChskRequest, DefaultEventMap, Event, ReplyFn, ServerEventMsg, StreamSource } from '../protocol/events';

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

/**
 * Answer a request sent with `stream$` with every item of `source`; unsubscribing on the client cancels it (the
 * source is unsubscribed, or its iterator's `return()` runs). Performed by calling the message's `reply.stream`.
 */
export interface ReplyStreamEffect {
  readonly kind: 'reply-stream';
  readonly to: { readonly reply?: { stream(source: never): void } | undefined };
  readonly source: StreamSource<unknown>;
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

/** Publish an event to every member of a topic. */
export interface PublishEffect<M = DefaultEventMap> {
  readonly kind: 'publish';
  readonly topic: string;
  readonly event: Event<M>;
}

/** A publish of a concrete event `E`; assignable to `PublishEffect<M>` exactly when `E` is an event of `M`. */
export interface PublishOf<E extends EventTuple> {
  readonly kind: 'publish';
  readonly topic: string;
  readonly event: E;
}

/**
 * What a handler asks the server to do, as plain data: handlers stay pure functions from Observables to
 * Observables, and a marble test compares effects with `toEqual`.
 */
export type Effect<M = DefaultEventMap> = ReplyEffect | ReplyErrorEffect | ReplyStreamEffect | PushEffect<M> | BroadcastEffect<M> | PublishEffect<M>;

/**
 * A server handler: messages in, effects out. Run it with `chsk.handle(handler)`; test it with
 * `TestScheduler` and no server at all. `Req` is the app's request type, as `msg.req` (see `ServerOptions<Req>`).
 */
export type Handler<M = DefaultEventMap, Req = ChskRequest> = (msg$: Observable<ServerEventMsg<M, Req>>) => Observable<Effect<M>>;

/** The reply type a message accepts: from its `reply` function (`unknown` for untyped messages, `never` for none). */
export type ReplyValueOf<T> = T extends { readonly reply?: ReplyFn<infer R> | undefined } ? R : never;

/** The item type a message's streamed reply takes: from its `reply` function (`unknown` for untyped messages). */
export type StreamItemOf<T> = T extends { readonly reply?: ReplyFn<never, infer S> | undefined } ? S : never;

/** An event tuple as written at a call site: `[id]` or `[id, data]`. */
export type EventTuple = readonly [string] | readonly [string, unknown];

/** A push of a concrete event `E`; assignable to `PushEffect<M>` exactly when `E` is an event of `M`. */
export interface PushOf<E extends EventTuple> {
  readonly kind: 'push';
  readonly uid: string | null;
  readonly event: E;
}

/** A broadcast of a concrete event `E`; assignable to `BroadcastEffect<M>` exactly when `E` is an event of `M`. */
export interface BroadcastOf<E extends EventTuple> {
  readonly kind: 'broadcast';
  readonly event: E;
}

/**
 * Effect: answer `to` with `value`, typed by the message's own reply function, so it is checked wherever it is
 * built (`map`, `mergeMap`, arrays, `of`); an untyped message takes any value.
 */
export function reply<T extends { readonly reply?: ReplyFn<never> | undefined }>(to: T, value: ReplyValueOf<T>): ReplyEffect {
  return { kind: 'reply', to: to as ReplyEffect['to'], value };
}

/** Effect: answer `to` with an error code and message. */
export function replyError(to: { readonly reply?: unknown }, code: string, message: string): ReplyErrorEffect {
  return { kind: 'reply-error', to: to as ReplyErrorEffect['to'], code, message };
}

/**
 * Effect: answer `to` (a request sent with `stream$`) with the items of `source`, typed by the event map's
 * `stream` entry through the message's own reply function. An `Iterable` or `AsyncIterable` is pulled only as
 * fast as the client consumes; an `Observable` may run at most the stream's window ahead (`CHSK_STREAM_OVERFLOW`
 * beyond). The stream ends when the source completes (`se`) or fails (`x`: the code of a `ChannelError`, else
 * `CHSK_HANDLER_ERROR`). See README, "Streams".
 *
 * ```ts
 * const prices: Handler<Events> = (msg$) =>
 *   msg$.pipe(ofEvent('prices/watch'), map((m) => replyStream(m, ticker(m.data.symbol))));
 * ```
 */
export function replyStream<T extends { readonly reply?: ReplyFn<never, never> | undefined }>(to: T, source: StreamSource<StreamItemOf<T>>): ReplyStreamEffect {
  return { kind: 'reply-stream', to: to as ReplyStreamEffect['to'], source };
}

/**
 * Effect: push `event` to every client of `uid`. With a map (`push<M>(...)`) the event is checked here; without
 * one the effect keeps the event's literal type, and the handler's `Observable<Effect<M>>` checks it, also
 * inside `mergeMap` or an array. {@link effectsFor} gives helpers bound to a map.
 */
export function push<M>(uid: string | null, event: NoInfer<Event<M>>): PushEffect<M>;
export function push<const E extends EventTuple>(uid: string | null, event: E): PushOf<E>;
export function push(uid: string | null, event: EventTuple): PushOf<EventTuple> {
  return { kind: 'push', uid, event };
}

/** Effect: push `event` to every connected client. Typed like {@link push}. */
export function broadcast<M>(event: NoInfer<Event<M>>): BroadcastEffect<M>;
export function broadcast<const E extends EventTuple>(event: E): BroadcastOf<E>;
export function broadcast(event: EventTuple): BroadcastOf<EventTuple> {
  return { kind: 'broadcast', event };
}

/** Effect: publish `event` to every member of `topic` (see README, "Topics"). Typed like {@link push}. */
export function publish<M>(topic: string, event: NoInfer<Event<M>>): PublishEffect<M>;
export function publish<const E extends EventTuple>(topic: string, event: E): PublishOf<E>;
export function publish(topic: string, event: EventTuple): PublishOf<EventTuple> {
  return { kind: 'publish', topic, event };
}

/** The effect makers bound to one event map: see {@link effectsFor}. */
export interface BoundEffects<M> {
  reply<T extends ServerEventMsg<M, unknown>>(to: T, value: ReplyValueOf<T>): ReplyEffect;
  replyError(to: { readonly reply?: unknown }, code: string, message: string): ReplyErrorEffect;
  replyStream<T extends ServerEventMsg<M, unknown>>(to: T, source: StreamSource<StreamItemOf<T>>): ReplyStreamEffect;
  push(uid: string | null, event: Event<M>): PushEffect<M>;
  broadcast(event: Event<M>): BroadcastEffect<M>;
  publish(topic: string, event: Event<M>): PublishEffect<M>;
}

/**
 * The effect makers checked against `M` at the call, wherever the effect is built (`mergeMap`, `switchMap`,
 * arrays, `of`): `const { reply, push, broadcast } = effectsFor<ChatEvents>()`. The same functions as the free
 * ones; only their types are bound.
 */
export function effectsFor<M>(): BoundEffects<M> {
  return BOUND as BoundEffects<M>;
}

const BOUND: BoundEffects<never> = { reply, replyError, replyStream, push: push as BoundEffects<never>['push'], broadcast: broadcast as BoundEffects<never>['broadcast'], publish: publish as BoundEffects<never>['publish'] };

/**
 * Types a handler for `M` where it is written, so its effects are checked there (not only where it is
 * handed to `chsk.handle`): `export const chat = defineHandler<ChatEvents>()((msg$) => ...)`.
 */
export function defineHandler<M, Req = ChskRequest>(): (handler: Handler<M, Req>) => Handler<M, Req> {
  return identity as (handler: Handler<M, Req>) => Handler<M, Req>;
}

const identity = <T>(x: T): T => x;
