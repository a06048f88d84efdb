import { useCallback, useSyncExternalStore } from 'react';
import { withStatus, type ChannelState } from '../frameworks/connectionStatus';
import { SERVER_STATE } from '../frameworks/inertClient';
import { useChannelSocket } from './useChannelSocket';

const serverSnapshot = withStatus(SERVER_STATE);

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
export function useChannelState(): ChannelState {
  const client = useChannelSocket();
  const subscribe = useCallback(
    (changed: () => void) => {
      const sub = client.state$.subscribe(changed);
      return () => sub.unsubscribe();
    },
    [client],
  );
  return useSyncExternalStore(subscribe, () => withStatus(client.state$.value), () => serverSnapshot);
}
