import { BehaviorSubject, EMPTY } from 'rxjs';
import type { ChannelSocketClient } from '../client/createClient';
import { initialState, type ClientState } from '../client/ClientState';
import type { DefaultEventMap, EventMapOf } from '../protocol/events';

/** The state a server render shows: never opened, closed. One frozen object, so snapshots compare equal. */
export const SERVER_STATE: ClientState = Object.freeze({
  ...initialState('ws', ''),
  lastClose: Object.freeze({ at: 0, reason: 'requested-disconnect' as const }),
});

/**
 * A client that never connects: what the framework bindings hand out during server rendering. Its state is
 * {@link SERVER_STATE} (status `'closed'`), `events$` completes at once, `send` and `emit` complete without a
 * value, and it holds no socket and no timer, so a server render finishes and the process can exit.
 */
export function inertClient<M extends EventMapOf<M> = DefaultEventMap>(): ChannelSocketClient<M> {
  return {
    state$: new BehaviorSubject<ClientState>(SERVER_STATE),
    events$: EMPTY,
    send: () => EMPTY,
    emit: () => EMPTY,
    disconnect: () => undefined,
    reconnect: () => undefined,
  };
}
