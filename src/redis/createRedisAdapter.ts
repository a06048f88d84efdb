import { randomBytes } from 'crypto';
import { ConfigError } from '../errors/ConfigError';
import { RedisAdapter } from './RedisAdapter';
import type { RedisAdapterOptions } from './redisAdapterOptions';

function positive(name: string, v: number): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new ConfigError(`option '${name}' must be a positive number, got ${String(v)}`);
  return v;
}

/**
 * Creates the cluster adapter on Redis (ioredis). Give it to `createChannelSocketServer({ adapter })` on
 * every process; nothing else changes.
 *
 * ```ts
 * import { createRedisAdapter } from 'sente-rx/redis';
 * const chsk = createChannelSocketServer({ adapter: createRedisAdapter({ url: process.env.REDIS_URL }) });
 * ```
 */
export function createRedisAdapter(options: RedisAdapterOptions = {}): RedisAdapter {
  const heartbeatMs = positive('heartbeatMs', options.heartbeatMs ?? 3000);
  const nodeTimeoutMs = positive('nodeTimeoutMs', options.nodeTimeoutMs ?? 10_000);
  if (nodeTimeoutMs <= heartbeatMs) throw new ConfigError(`option 'nodeTimeoutMs' (${nodeTimeoutMs}) must exceed 'heartbeatMs' (${heartbeatMs})`);
  const keyPrefix = options.keyPrefix ?? 'chsk:';
  if (typeof keyPrefix !== 'string') throw new ConfigError(`option 'keyPrefix' must be a string`);
  const sharded = options.sharded ?? 'auto';
  if (sharded !== 'auto' && typeof sharded !== 'boolean') throw new ConfigError(`option 'sharded' must be 'auto', true or false`);
  const secret = options.ajaxSecret;
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < 32)) {
    throw new ConfigError(`option 'ajaxSecret' must be a string of at least 32 characters (the same on every node)`);
  }
  return new RedisAdapter(options, {
    keyPrefix,
    nodeId: options.nodeId ?? randomBytes(6).toString('hex'),
    heartbeatMs,
    nodeTimeoutMs,
    sharded,
  });
}
