export { provideChannelSocket, CHANNEL_SOCKET } from './provideChannelSocket';
export { injectChannelSocket } from './injectChannelSocket';
export type { ChannelSocket, EventSignalOptions, TopicSignal } from './ChannelSocket';
export type { ClientState, ClientStatus } from '../client/ClientState';
