import { useEffect, useRef } from 'react';
import { asyncScheduler, type Subscription } from 'rxjs';
import type { ChannelSocketClient } from '../client/createClient';

interface Held {
  readonly key: string;
  readonly client: ChannelSocketClient;
  sub?: Subscription;
  end?: Subscription;
}

/**
 * Runs `start` while the component is mounted with this `key` (`null`: nothing), and ends what it started one
 * scheduler tick after the unmount or the key's change, so StrictMode's unmount → mount (or any remount within
 * that tick) takes it back instead of starting it twice. `start` gets `live()`: false once this run is replaced.
 */
export function useHeldSubscription(client: ChannelSocketClient, key: string | null, start: (live: () => boolean) => Subscription): void {
  const current = useRef<Held | null>(null);
  useEffect(() => {
    if (key === null) return;
    let held = current.current;
    if (held && held.key === key && held.client === client && held.end) {
      held.end.unsubscribe();
      held.end = undefined;
    } else {
      const h: Held = (held = { key, client });
      current.current = h;
      h.sub = start(() => current.current === h);
    }
    const h = held;
    return () => {
      h.end = asyncScheduler.schedule(() => {
        h.sub?.unsubscribe();
        if (current.current === h) current.current = null;
      });
    };
    // `key` stands for what `start` sends.
  }, [client, key]); // eslint-disable-line react-hooks/exhaustive-deps
}
