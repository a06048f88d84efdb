import { createElement, useEffect, useLayoutEffect, useState, type ReactNode } from 'react';
import type { ChannelSocketClient } from '../client/createClient';
import type { ClientOptions } from '../client/clientOptions';
import type { DefaultEventMap, EventMapOf } from '../protocol/events';
import { ChannelSocketContext } from './ChannelSocketContext';
import { sharedClient } from './sharedClient';

/** Props of {@link ChannelSocketProvider}: a `client` you own, or `options` for one the provider owns. */
export interface ChannelSocketProviderProps<M extends EventMapOf<M> = DefaultEventMap> {
  /** A client created elsewhere. The provider neither connects nor disconnects it: its creator does. */
  client?: ChannelSocketClient<M>;
  /**
   * Options of a client the provider creates (`createChannelSocketClient`), connects on mount and disconnects
   * after unmount. Read once: remount the provider (a new `key`) to change them.
   */
  options?: ClientOptions;
  children?: ReactNode;
}

/** useLayoutEffect in the browser; on the server (where neither runs) useEffect, which React does not warn about. */
const useConnectEffect = typeof window === 'undefined' ? useEffect : useLayoutEffect;

/**
 * Puts a channel socket client in context for {@link useChannelSocket}, {@link useChannelState},
 * {@link useEvent} and {@link useRequest}. One connection per provider, also under StrictMode; none while
 * rendering on the server.
 *
 * ```tsx
 * import { ChannelSocketProvider, useChannelState } from 'sente-rx/react';
 *
 * function Badge() {
 *   return <span>{useChannelState().status}</span>;
 * }
 * createRoot(el).render(
 *   <ChannelSocketProvider options={{ url: '/chsk' }}>
 *     <Badge />
 *   </ChannelSocketProvider>,
 * );
 * ```
 */
export function ChannelSocketProvider<M extends EventMapOf<M> = DefaultEventMap>(props: ChannelSocketProviderProps<M>): ReactNode {
  const given = props.client as ChannelSocketClient | undefined;
  const [owned] = useState(() => (given ? null : sharedClient(props.options ?? {})));
  // A layout effect: it runs before the children's effects, so a child that sends on mount (useRequest) finds
  // the client started rather than stopped (children's effects run before their parent's).
  useConnectEffect(() => owned?.acquire(), [owned]);
  return createElement(ChannelSocketContext.Provider, { value: given ?? owned!.client }, props.children);
}
