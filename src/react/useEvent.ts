import { useEffect, useRef } from 'react';
import type { DefaultEventMap, EventData, EventId, EventMapOf } from '../protocol/events';
import { useChannelSocket } from './useChannelSocket';

/**
 * Calls `handler` with the data of each server push `id`, while the component is mounted. The latest
 * `handler` is used, so an inline function does not resubscribe on every render.
 *
 * ```tsx
 * const [lines, setLines] = useState<string[]>([]);
 * useEvent('chat/msg', (m: { from: string; text: string }) => setLines((l) => [...l, `${m.from}: ${m.text}`]));
 * ```
 */
export function useEvent<M extends EventMapOf<M> = DefaultEventMap, K extends EventId<M> = EventId<M>>(
  id: K,
  handler: (data: EventData<M, K>) => void,
): void {
  const client = useChannelSocket<M>();
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  useEffect(() => {
    const sub = client.events$.subscribe((ev) => {
      if (ev[0] === id) latest.current(ev[1] as EventData<M, K>);
    });
    return () => sub.unsubscribe();
  }, [client, id]);
}
