import { EMPTY, NEVER } from 'rxjs';
import type { ChannelSocketClient } from '../client/createClient';
import { initialState, type ClientState } from '../client/ClientState';
import { StateSubject } from '../client/StateSubject';
import type { DefaultEventMap, EventMapOf } from '../protocol/events';

/** The state a server render shows: never opened, `status: 'closed'`. One frozen object, so snapshots compare equal. */
export const SERVER_STATE: ClientState = Object.freeze(initialState('ws', ''));

/**
 * A client that never connects: what the framework bindings hand out during server rendering. Its state is
 * {@link SERVER_STATE}, `events$` completes at once, `send`, `stream$`, `topic$` and `emit` complete without a value, `errors$` stays
 * silent, and it holds no socket and no timer, so a server render finishes and the process can exit.
 */
export function inertClient<M extends EventMapOf<M> = DefaultEventMap>(): ChannelSocketClient<M> {
  return {
    state$: new StateSubject(SERVER_STATE),
    errors$: NEVER,
    events$: EMPTY,
    reopened$: NEVER,
    send: () => EMPTY,
    stream$: () => EMPTY,
    topic$: () => EMPTY,
    topicReopened$: NEVER,
    emit: () => EMPTY,
    disconnect: () => undefined,
    reconnect: () => undefined,
  };
}
