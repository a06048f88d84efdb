export { ChannelSocketProvider, type ChannelSocketProviderProps } from './ChannelSocketProvider';
export { useChannelSocket } from './useChannelSocket';
export { useChannelState } from './useChannelState';
export { useEvent } from './useEvent';
export { useRequest, type RequestState, type UseRequestOptions } from './useRequest';
export { useTopic, type TopicState, type UseTopicOptions } from './useTopic';
export { createChannelSocketHooks, type ChannelSocketHooks } from './createChannelSocketHooks';
export type { ClientState, ClientStatus } from '../client/ClientState';
