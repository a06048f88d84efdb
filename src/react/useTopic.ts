import { useEffect, useRef, useState } from 'react';
import type { ChannelSocketClient } from '../client/createClient';
import type { DefaultEventMap, Event, EventId, EventMapOf } from '../protocol/events';
import { useChannelSocket } from './useChannelSocket';
import { useHeldSubscription } from './useHeldSubscription';

/** Options of {@link useTopic}. */
export interface UseTopicOptions<E> {
  /** Called with each event of the topic (`[id, data]`); the latest function is used. Without it, `last` keeps the latest event. */
  onEvent?: (event: E) => void;
  /** Called when the topic errors: `TopicRefusedError` (`CHSK_TOPIC_REFUSED`), `CHSK_TOPIC_REMOVED`, `CHSK_CLOSED`, ... */
  onError?: (error: Error) => void;
}

/** What {@link useTopic} returns. */
export interface TopicState<E> {
  /** The latest event of the topic, when no handler takes them. */
  readonly last: E | undefined;
  /** Why the membership ended, if it did; a new topic or params (or a remount) joins again. */
  readonly error: Error | undefined;
}

interface Seen {
  readonly key: string | null;
  readonly last: unknown;
  readonly error: Error | undefined;
}

/**
 * Holds `topic` (with `params`) while the component is mounted: the client joins it (the server asks its
 * `authorizeTopic`), rejoins after every reconnect, and leaves when the component unmounts or the topic or
 * params (compared by their JSON) change; `null` holds nothing. Components holding the same topic share one
 * join. Under StrictMode the join goes out once: the leave is deferred by one scheduler tick and StrictMode's
 * remount takes the membership back.
 *
 * ```tsx
 * useTopic<RoomEvents, 'room/msg'>(`room/${id}`, ([, m]) => setLines((l) => [...l, `${m.from}: ${m.text}`]));
 * const { last, error } = useTopic<Ticks>('ticker', { symbol: 'ACME' }); // re-renders on each event
 * ```
 */
export function useTopic<M extends EventMapOf<M> = DefaultEventMap, K extends EventId<M> = EventId<M>>(
  topic: string | null,
  handler?: (event: Event<M, K>) => void,
): TopicState<Event<M, K>>;
export function useTopic<M extends EventMapOf<M> = DefaultEventMap, K extends EventId<M> = EventId<M>>(
  topic: string | null,
  params: unknown,
  handler?: ((event: Event<M, K>) => void) | UseTopicOptions<Event<M, K>>,
): TopicState<Event<M, K>>;
export function useTopic(
  topic: string | null,
  a?: unknown,
  b?: ((event: never) => void) | UseTopicOptions<never>,
): TopicState<unknown> {
  const client = useChannelSocket() as ChannelSocketClient;
  const params = typeof a === 'function' ? undefined : a;
  const h = typeof a === 'function' ? (a as (event: unknown) => void) : b;
  const options = (typeof h === 'function' ? { onEvent: h } : (h ?? {})) as UseTopicOptions<unknown>;
  const latest = useRef(options);
  useEffect(() => {
    latest.current = options;
  });
  const key = topic === null ? null : JSON.stringify([topic, params]);
  const [seen, setSeen] = useState<Seen>({ key: null, last: undefined, error: undefined });
  useHeldSubscription(client, key, (live) =>
    client.topic$(topic as string, params).subscribe({
      next: (ev) => {
        if (!live()) return;
        const on = latest.current.onEvent;
        if (on) on(ev);
        else setSeen({ key, last: ev, error: undefined });
      },
      error: (error: Error) => {
        if (!live()) return;
        latest.current.onError?.(error);
        setSeen({ key, last: undefined, error });
      },
    }),
  );
  return seen.key === key ? { last: seen.last, error: seen.error } : { last: undefined, error: undefined };
}
