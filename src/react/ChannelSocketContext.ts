import { createContext } from 'react';
import type { ChannelSocketClient } from '../client/createClient';

/** The client a {@link ChannelSocketProvider} hands to the hooks below it; `null` outside any provider. */
export const ChannelSocketContext = createContext<ChannelSocketClient | null>(null);
