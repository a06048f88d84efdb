import type { ClientState } from '../client/ClientState';

/** Where a connection stands, in one word: what a status badge shows. */
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** A client state with its {@link ConnectionStatus}. */
export type ChannelState = ClientState & { readonly status: ConnectionStatus };

const cache = new WeakMap<ClientState, ChannelState>();

/**
 * The state with its status. Derived here from `open`, `lastClose` and `everOpened` until the client reports a
 * `status` itself; cached per state object, so a store snapshot stays the same object until the state changes.
 */
export function withStatus(state: ClientState): ChannelState {
  const own = (state as Partial<ChannelState>).status;
  if (own !== undefined) return state as ChannelState;
  let s = cache.get(state);
  if (!s) {
    s = { ...state, status: statusOf(state) };
    cache.set(state, s);
  }
  return s;
}

function statusOf(s: ClientState): ConnectionStatus {
  if (s.open) return 'open';
  if (s.lastClose?.reason === 'requested-disconnect') return 'closed';
  return s.everOpened || s.lastClose ? 'reconnecting' : 'connecting';
}
