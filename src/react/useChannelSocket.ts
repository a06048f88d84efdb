import { useContext } from 'react';
import type { ChannelSocketClient } from '../client/createClient';
import { ConfigError } from '../errors/ConfigError';
import { ErrorCode } from '../protocol/codes';
import type { DefaultEventMap, EventMapOf } from '../protocol/events';
import { ChannelSocketContext } from './ChannelSocketContext';

/**
 * The client of the nearest {@link ChannelSocketProvider}, for `send`, `emit` and `events$`. Throws `ConfigError`
 * (`CHSK_NO_PROVIDER`) outside a provider.
 *
 * ```tsx
 * const chsk = useChannelSocket<ChatEvents>();
 * const onSubmit = (text: string) => chsk.send(['chat/send', { text }]).subscribe();
 * ```
 */
export function useChannelSocket<M extends EventMapOf<M> = DefaultEventMap>(): ChannelSocketClient<M> {
  const client = useContext(ChannelSocketContext);
  if (!client) throw new ConfigError('no ChannelSocketProvider above this component', ErrorCode.NoProvider);
  return client as unknown as ChannelSocketClient<M>;
}
