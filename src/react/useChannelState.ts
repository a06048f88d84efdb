import { useCallback, useSyncExternalStore } from 'react';
import type { ClientState } from '../client/ClientState';
import { SERVER_STATE } from '../frameworks/inertClient';
import { useChannelSocket } from './useChannelSocket';

/**
 * The connection state of the nearest provider's client, with its `status` (`'connecting' | 'open' |
 * 'reconnecting' | 'closed'`); the component renders again on each change. Server rendering and hydration see
 * the server snapshot (`status: 'closed'`), so the markup matches; the live state follows right after.
 *
 * ```tsx
 * const { status, type } = useChannelState();
 * return <span className={status}>{status} over {type}</span>;
 * ```
 */
export function useChannelState(): ClientState {
  const client = useChannelSocket();
  const subscribe = useCallback(
    (changed: () => void) => {
      const sub = client.state$.subscribe(changed);
      return () => sub.unsubscribe();
    },
    [client],
  );
  return useSyncExternalStore(subscribe, () => client.state$.value, () => SERVER_STATE);
}
