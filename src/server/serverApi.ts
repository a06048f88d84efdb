import type { BehaviorSubject, Observable, Subscriber, Subscription } from 'rxjs';
import type { Handler } from '../effects/Effect';
import { NIL_UID, type ChskRequest, type DefaultEventMap, type Event, type EventMapOf, type ServerEventMsg } from '../protocol/events';
import { MessageType, type EventMessage } from '../protocol/messages';
import { GuardedObservable } from './GuardedObservable';
import type { ConnectedUids } from './adapter/UidsView';
import { runHandler } from './runHandler';
import type { TopicMember } from './ServerTopics';
import type { ServerCore } from './ServerCore';
import type { ServerErrorReport } from './ServerErrorReport';
import type { ServerStats } from './ServerStats';

/** Options of one push. */
export interface PushOptions {
  /** Send now, with everything pending before it, instead of waiting for the batch window. @default false */
  flush?: boolean;
}

/**
 * The transport-independent half of the server API, shared by the real server and the testing kit. `Req` is the
 * app's request type (`msg.req`), see `ServerOptions<Req>`.
 */
export interface ChannelSocketServerCore<M extends EventMapOf<M> = DefaultEventMap, Req = ChskRequest> {
  /**
   * Every event message from every client, plus `chsk/uidport-open` / `chsk/uidport-close`. Completes on `close()`.
   * A subscriber that throws (or whose pipeline errors with no `error` callback) is reported on `errors$` as
   * `CHSK_HANDLER_ERROR` and never takes the process down; a throwing `next` stays subscribed. Prefer `handle()`,
   * which also answers the request with `CHSK_HANDLER_ERROR` and restarts the handler.
   */
  readonly events$: Observable<ServerEventMsg<M, Req>>;
  /** Bad input and failures in user code the server survived. Completes on `close()`. */
  readonly errors$: Observable<ServerErrorReport>;
  /**
   * Connected uids per transport (`NIL_UID` stands for users without a uid), with grace periods applied. Each
   * change of the sets emits a new immutable snapshot `{ ws, ajax, any }` of ReadonlySets, synchronously, to
   * current subscribers; sets a change did not touch are the same objects as in the previous snapshot. While
   * nobody subscribes, snapshots are not built: `value` and the next subscription get an up-to-date one (so a
   * connect storm nobody watches costs O(1) per uid).
   */
  readonly connectedUids$: BehaviorSubject<ConnectedUids>;
  /**
   * Pushes an event to every connected client (tab, device) of `uid`; `null` or `NIL_UID` reaches every
   * user without a uid. Pushes are batched per transport (`wsBatchMs`, `ajaxBatchMs`); `{ flush: true }`
   * sends this push and everything waiting before it at once. Returns the number of local connections it is
   * queued for plus the other nodes it was handed to: connections written to, not deliveries (a link that
   * later proves dead counted). With `resume` (the default) the push is first kept in the uid's replay log, so
   * a client whose link was dead, or who was not connected (0), gets it when it comes back within the log's
   * bounds; without it, 0 means nobody got it.
   */
  send(uid: string | null, event: Event<M>, options?: PushOptions): number;
  /**
   * Pushes an event to every connected client. Returns the number of connections it is queued for (as `send`:
   * not deliveries); with `resume` it is kept in the broadcast log for clients that come back.
   */
  broadcast(event: Event<M>, options?: PushOptions): number;
  /**
   * Publishes an event to every member of `topic` (each client whose `topic$(topic, params)` the server's
   * `authorizeTopic` let in), packed once for all of them, on every node with a cluster adapter. Answers how
   * many of this node's connections it is queued for.
   */
  publish(topic: string, event: Event<M>): number;
  /**
   * The uid keys (`NIL_UID` for users without one) with a connection in `topic`: the set now, then after each
   * change (coalesced per tick, O(1) per join or leave). On this process, or the cluster's when the adapter has
   * topics.
   */
  topicUids$(topic: string): Observable<ReadonlySet<string>>;
  /**
   * Removes every connection of a uid (`{ uid }`), or one client (`{ clientId }`), from `topic` (after a
   * permission change, say): their `topic$` errors with `CHSK_TOPIC_REMOVED` and `reason`, on every node with a
   * cluster adapter. Answers how many of this node's connections match.
   */
  removeFromTopic(topic: string, who: TopicMember, reason?: string): number;
  /** Sends every push waiting in a batch window now. */
  flush(): void;
  /**
   * Closes every connection of `uid` (`null`/`NIL_UID`: every user without a uid) on every node, with close
   * code 4401 (`CloseCode.LoggedOut`) and `reason` (default `'logged out'`): for logout and session expiry.
   * Local connections close at once; resolves once the order has reached the other nodes' bus (a cluster
   * adapter that cannot reach Redis reports `CHSK_ADAPTER_ERROR` on `errors$` and resolves).
   */
  disconnect(uid: string | null, reason?: string): Promise<void>;
  /**
   * Counters of this node, sampled every `statsIntervalMs` while subscribed (one shared timer; nothing runs
   * while nobody watches): connections per transport, pushes and frames per second, queue depths, drops, and
   * the adapter's counters (nodes, cross-node traffic, errors, round-trip time to Redis).
   */
  readonly stats$: Observable<ServerStats>;
  /**
   * Runs a handler `(msg$) => Observable<Effect>` and performs its effects (replies, pushes, broadcasts).
   * Errors are reported on `errors$` and the handler is restarted; other handlers and the server go on.
   * Unsubscribe the result to stop it.
   */
  handle(handler: Handler<M, Req>): Subscription;
  /** Ends every socket, timer and subscription; `events$`, `errors$` and `connectedUids$` complete. */
  close(): Promise<void>;
}

function pushMessage(event: readonly [string, unknown]): EventMessage {
  return { t: MessageType.Event, ev: event.length >= 2 && event[1] !== undefined ? [event[0], event[1]] : [event[0]] };
}

/** Builds the shared API over a core; `close` is the binding-specific shutdown. */
export function serverApi<M extends EventMapOf<M>>(core: ServerCore, close: () => Promise<void>): ChannelSocketServerCore<M> {
  const api: ChannelSocketServerCore<M> = {
    // Guarded: a subscriber that throws is reported on errors$ instead of crashing the process (GuardedObservable).
    events$: new GuardedObservable<ServerEventMsg<M>>(
      (error, where) => core.subscriberFailed(error, where),
      (subscriber) => core.events.subscribe(subscriber as Subscriber<unknown> as Subscriber<ServerEventMsg<never> | ServerEventMsg>),
    ),
    errors$: core.errors.asObservable(),
    connectedUids$: core.adapter.connectedUids$,
    send: (uid, event, opts) => core.push(uid ?? NIL_UID, pushMessage(event), opts?.flush),
    broadcast: (event, opts) => core.push(undefined, pushMessage(event), opts?.flush),
    publish: (topic, event) => core.topics.publish(topic, pushMessage(event).ev),
    topicUids$: (topic) => core.topics.registry.uids$(topic),
    removeFromTopic: (topic, who, reason) => core.topics.remove(topic, who, reason ?? 'removed from the topic by the server'),
    flush: () => core.pushes.flushAll(),
    disconnect: (uid, reason) => core.disconnect(uid ?? NIL_UID, reason ?? 'logged out'),
    stats$: core.counters.stats$(core.adapter, core.options.scheduler, core.options.statsIntervalMs),
    handle: (handler) =>
      runHandler<M>({ events$: api.events$, send: api.send, broadcast: api.broadcast, publish: api.publish, report: (r) => core.report(r) }, handler),
    close,
  };
  return api;
}
