import type { Signal } from '@angular/core';
import type { ChannelSocketClient } from '../client/createClient';
import type { ClientState, ClientStatus } from '../client/ClientState';
import type { DefaultEventMap, Event, EventData, EventId, EventMapOf } from '../protocol/events';
import type { Injector } from '@angular/core';

/** Options of {@link ChannelSocket.event}. */
export interface EventSignalOptions<T> {
  /** The value before the first push. @default undefined */
  initialValue?: T;
  /** Where to find the `DestroyRef` that ends the subscription, when called outside an injection context. */
  injector?: Injector;
}

/** What {@link ChannelSocket.topic} returns: a signal of the topic's latest event `[id, data]`, and why it ended. */
export interface TopicSignal<E> extends Signal<E | undefined> {
  /** `TopicRefusedError` (`CHSK_TOPIC_REFUSED`), `CHSK_TOPIC_REMOVED`, `CHSK_CLOSED`, ... once the membership ended. */
  readonly error: Signal<Error | undefined>;
}

/** What {@link injectChannelSocket} returns: the client, and its state as signals. */
export interface ChannelSocket<M extends EventMapOf<M> = DefaultEventMap> {
  /**
   * The client (`send`, `emit`, `events$`). It runs outside Angular's zone; `send` and `emit` deliver their
   * results back inside it. On the server it is inert: status `'closed'`, `events$` empty, `send` completes.
   */
  readonly client: ChannelSocketClient<M>;
  /** The connection state, with its `status`. */
  readonly state: Signal<ClientState>;
  /** `'connecting' | 'open' | 'reconnecting' | 'closed'`. */
  readonly status: Signal<ClientStatus>;
  /**
   * A signal of the data of the latest push `id`. Call it in an injection context (a constructor or a field
   * initialiser) or pass `injector`: the subscription ends with that context.
   */
  event<K extends EventId<M>>(id: K, options?: EventSignalOptions<EventData<M, K>>): Signal<EventData<M, K> | undefined>;
  /**
   * Holds `topic` (with `params`) for the life of the injection context (or of `options.injector`): the client
   * joins it (the server asks its `authorizeTopic`), rejoins after every reconnect, and leaves when the context
   * is destroyed. The signal holds the latest event `[id, data]`; `.error()` says why the membership ended.
   * Joins are shared with every other holder of the same topic and params on this client.
   */
  topic<K extends EventId<M> = EventId<M>>(topic: string, params?: unknown, options?: EventSignalOptions<Event<M, K>>): TopicSignal<Event<M, K>>;
}
