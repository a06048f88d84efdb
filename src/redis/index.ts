export { createRedisAdapter } from './createRedisAdapter';
export { RedisAdapter } from './RedisAdapter';
export type { RedisAdapterOptions } from './redisAdapterOptions';
export { RedisReplayLog, type AppendPublish } from './RedisReplayLog';
export { RedisDedupe } from './RedisDedupe';
export { RedisTopics, type TopicCounts } from './RedisTopics';
export { RedisAjaxDirectory } from './RedisAjaxDirectory';
