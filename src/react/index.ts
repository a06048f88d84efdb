export { ChannelSocketProvider, type ChannelSocketProviderProps } from './ChannelSocketProvider';
export { useChannelSocket } from './useChannelSocket';
export { useChannelState } from './useChannelState';
export { useEvent } from './useEvent';
export { useRequest, type RequestState, type UseRequestOptions } from './useRequest';
export { createChannelSocketHooks, type ChannelSocketHooks } from './createChannelSocketHooks';
export type { ClientState, ClientStatus } from '../client/ClientState';
