import { useEffect, useRef, useState } from 'react';
import { asyncScheduler, type Subscription } from 'rxjs';
import type { ChannelSocketClient } from '../client/createClient';
import type { DefaultEventMap, EventData, EventMapOf, EventReply, RequestId } from '../protocol/events';
import { useChannelSocket } from './useChannelSocket';

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

interface Flight {
  readonly key: string;
  readonly client: ChannelSocketClient;
  sub?: Subscription;
  cancel?: Subscription;
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
  const live = useRef<Flight | null>(null);
  const { timeoutMs } = options;

  useEffect(() => {
    if (key === null || event === null) return;
    const cur = live.current;
    if (cur && cur.key === key && cur.client === client && cur.cancel) {
      // StrictMode's remount (or a remount within one tick): keep the request already in flight.
      cur.cancel.unsubscribe();
      cur.cancel = undefined;
      return () => release(cur);
    }
    const flight: Flight = { key, client };
    live.current = flight;
    const settle = (o: Omit<Outcome, 'key'>) => live.current === flight && setOutcome({ key, ...o });
    flight.sub = client.send(event as readonly [string, unknown], { timeoutMs }).subscribe({
      next: (data) => settle({ status: 'success', data, error: undefined }),
      error: (error: Error) => settle({ status: 'error', data: undefined, error }),
    });
    return () => release(flight);
    // `key` stands for `event` (its JSON) and the refresh round.
  }, [client, key, timeoutMs]); // eslint-disable-line react-hooks/exhaustive-deps

  const shown = outcome.key === key ? outcome : { status: key === null ? ('idle' as const) : ('loading' as const), data: undefined, error: undefined };
  return { status: shown.status, data: shown.data as EventReply<M, K> | undefined, error: shown.error, refresh: () => setRound((r) => r + 1) };

  function release(flight: Flight): void {
    flight.cancel = asyncScheduler.schedule(() => {
      flight.sub?.unsubscribe();
      if (live.current === flight) live.current = null;
    });
  }
}
