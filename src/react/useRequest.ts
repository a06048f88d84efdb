import { useState } from 'react';
import type { ChannelSocketClient } from '../client/createClient';
import type { DefaultEventMap, EventData, EventMapOf, EventReply, RequestId } from '../protocol/events';
import { useChannelSocket } from './useChannelSocket';
import { useHeldSubscription } from './useHeldSubscription';

/** Options of {@link useRequest}. */
export interface UseRequestOptions {
  /** Deadline for the reply. @default the client's `timeoutMs` (10 s) */
  timeoutMs?: number;
}

/** What {@link useRequest} returns: where the request stands, and its reply or error. */
export interface RequestState<R> {
  /** `'idle'` when the event is `null`, `'loading'` until the reply, then `'success'` or `'error'`. */
  readonly status: 'idle' | 'loading' | 'success' | 'error';
  /** The reply, once it came. */
  readonly data: R | undefined;
  /** Why the request failed: `ReplyTimeoutError`, `RemoteError`, `ChannelClosedError`, ... */
  readonly error: Error | undefined;
  /** Sends the request again. */
  refresh(): void;
}

interface Outcome {
  readonly key: string | null;
  readonly status: RequestState<unknown>['status'];
  readonly data: unknown;
  readonly error: Error | undefined;
}

/**
 * Sends request `event` when the component mounts and again when the event (compared by its JSON) changes;
 * `null` sends nothing. Unmounting, or a new event, cancels the wait for the old reply. Under StrictMode the
 * request goes out once: the cancel is deferred by one scheduler tick and StrictMode's remount takes the
 * request back.
 *
 * ```tsx
 * const history = useRequest<ChatEvents, 'chat/history'>(['chat/history', { room }], { timeoutMs: 3000 });
 * if (history.status === 'success') return <Lines lines={history.data.lines} />;
 * ```
 */
export function useRequest<M extends EventMapOf<M> = DefaultEventMap, K extends RequestId<M> = RequestId<M>>(
  event: readonly [K, EventData<M, K>] | null,
  options: UseRequestOptions = {},
): RequestState<EventReply<M, K>> {
  const client = useChannelSocket() as ChannelSocketClient;
  const [round, setRound] = useState(0);
  const key = event === null ? null : `${round}:${JSON.stringify(event)}`;
  const [outcome, setOutcome] = useState<Outcome>({ key: null, status: 'idle', data: undefined, error: undefined });
  const { timeoutMs } = options;
  useHeldSubscription(client, key, (live) =>
    client.send(event as readonly [string, unknown], { timeoutMs }).subscribe({
      next: (data) => live() && setOutcome({ key, status: 'success', data, error: undefined }),
      error: (error: Error) => live() && setOutcome({ key, status: 'error', data: undefined, error }),
    }),
  );

  const shown = outcome.key === key ? outcome : { status: key === null ? ('idle' as const) : ('loading' as const), data: undefined, error: undefined };
  return { status: shown.status, data: shown.data as EventReply<M, K> | undefined, error: shown.error, refresh: () => setRound((r) => r + 1) };
}
