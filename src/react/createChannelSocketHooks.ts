import type { ChannelSocketClient } from '../client/createClient';
import type { Event, EventData, EventId, EventMapOf, EventReply, RequestId } from '../protocol/events';
import { useChannelSocket } from './useChannelSocket';
import { useEvent } from './useEvent';
import { useRequest, type RequestState, type UseRequestOptions } from './useRequest';
import { useTopic, type TopicState, type UseTopicOptions } from './useTopic';

/** {@link useChannelSocket}, {@link useEvent}, {@link useRequest} and {@link useTopic}, typed by one event map. */
export interface ChannelSocketHooks<M extends EventMapOf<M>> {
  useChannelSocket(): ChannelSocketClient<M>;
  useEvent<K extends EventId<M>>(id: K, handler: (data: EventData<M, K>) => void): void;
  useRequest<K extends RequestId<M>>(event: readonly [K, EventData<M, K>] | null, options?: UseRequestOptions): RequestState<EventReply<M, K>>;
  useTopic<K extends EventId<M> = EventId<M>>(topic: string | null, handler?: (event: Event<M, K>) => void): TopicState<Event<M, K>>;
  useTopic<K extends EventId<M> = EventId<M>>(
    topic: string | null,
    params: unknown,
    handler?: ((event: Event<M, K>) => void) | UseTopicOptions<Event<M, K>>,
  ): TopicState<Event<M, K>>;
}

/**
 * The hooks typed by your event map once, so ids and data are checked at each call without type arguments.
 *
 * ```ts
 * export const { useEvent, useRequest, useTopic, useChannelSocket } = createChannelSocketHooks<ChatEvents>();
 * ```
 */
export function createChannelSocketHooks<M extends EventMapOf<M>>(): ChannelSocketHooks<M> {
  return { useChannelSocket, useEvent, useRequest, useTopic } as unknown as ChannelSocketHooks<M>;
}
