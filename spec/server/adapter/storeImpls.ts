import { Redis } from 'ioredis';
import type { DedupeLimits, DedupeStore } from '../../../src/server/adapter/Dedupe';
import { MemoryDedupe } from '../../../src/server/adapter/MemoryDedupe';
import { MemoryReplayLog } from '../../../src/server/adapter/MemoryReplayLog';
import type { ReplayLimits, ReplayLog } from '../../../src/server/adapter/ReplayLog';
import { RedisDedupe } from '../../../src/redis/RedisDedupe';
import { RedisReplayLog } from '../../../src/redis/RedisReplayLog';
import { dropPrefix, testPrefix } from '../../support/redis';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const redisAvailable = require('../../support/redisAvailable') as () => boolean;

/** One implementation of the adapter stores under contract test: a name and factories on a shared clock. */
export interface StoreImpl {
  readonly name: 'memory' | 'redis';
  replayLog(clock: () => number, limits?: Partial<ReplayLimits>, positionTtlMs?: number): ReplayLog;
  dedupe(clock: () => number, limits?: Partial<DedupeLimits>): DedupeStore;
}

const memory: StoreImpl = {
  name: 'memory',
  replayLog: (clock, limits, ttl) => new MemoryReplayLog(clock, limits, ttl),
  dedupe: (clock, limits) => new MemoryDedupe(clock, limits),
};

/**
 * The implementations the contract specs run over: memory always; Redis when it answers on 127.0.0.1:6379
 * (each test under its own key prefix, dropped after), skipped with a notice elsewhere, a failure when CI=true.
 */
export function storeImpls(): StoreImpl[] {
  if (!redisAvailable()) {
    if (process.env.CI === 'true') throw new Error('CI=true and Redis does not answer on 127.0.0.1:6379');
    process.stderr.write('NOTICE: Redis does not answer on 127.0.0.1:6379: the Redis store contract tests are skipped.\n');
    return [memory];
  }
  let redis: Redis | undefined;
  let prefix = '';
  beforeEach(() => void (prefix = testPrefix()));
  afterEach(() => dropPrefix(prefix));
  afterAll(() => redis?.disconnect());
  const client = (): Redis => (redis ??= new Redis({ maxRetriesPerRequest: 1 }));
  return [
    memory,
    {
      name: 'redis',
      replayLog: (clock, limits, ttl) => new RedisReplayLog(client(), prefix, clock, limits, ttl),
      dedupe: (clock, limits) => new RedisDedupe(client(), prefix, clock, limits),
    },
  ];
}
