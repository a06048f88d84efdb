export { createRedisAdapter } from './createRedisAdapter';
export { RedisAdapter } from './RedisAdapter';
export type { RedisAdapterOptions } from './redisAdapterOptions';
