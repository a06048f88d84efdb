import type { Redis, RedisOptions } from 'ioredis';
import type { DedupeLimits } from '../server/adapter/Dedupe';
import type { ReplayLimits } from '../server/adapter/ReplayLog';

/** Options of `createRedisAdapter`. */
export interface RedisAdapterOptions {
  /**
   * Your ioredis client (its connection carries commands; the adapter makes one `duplicate()` of it for
   * subscriptions and closes only that one). Without it the adapter connects to `url` itself.
   */
  client?: Redis;
  /** Where Redis is, when no `client` is given. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** More ioredis options for the connections the adapter makes itself. @default {} */
  redisOptions?: RedisOptions;
  /** Prefix of every key and channel, so several apps (or test runs) share one Redis. @default 'chsk:' */
  keyPrefix?: string;
  /** This node's id (unique in the cluster). @default random */
  nodeId?: string;
  /** How often a node tells Redis it is alive, and sweeps dead nodes. @default 3000 */
  heartbeatMs?: number;
  /**
   * A node unseen this long is forgotten: its users leave `connectedUids$` (uidport-close once, from the node
   * that sweeps it). At most `nodeTimeoutMs + heartbeatMs` after a crash. @default 10_000
   */
  nodeTimeoutMs?: number;
  /**
   * Sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis ≥ 7): `'auto'` uses it when the server has it. @default 'auto'
   */
  sharded?: boolean | 'auto';
  /** Bounds of each replay log (a Redis stream per log, read by every node). */
  replay?: Partial<ReplayLimits>;
  /** Bounds of the message-id dedupe window (in Redis, seen by every node). */
  dedupe?: Partial<DedupeLimits>;
  /**
   * The key that signs Ajax connection tokens, so every node checks any token (at least 32 characters, the
   * same on every node). @default 256 random bits stored in Redis by the first node (`<keyPrefix>ajax:key`)
   */
  ajaxSecret?: string;
}

export interface ResolvedRedisAdapterOptions {
  readonly keyPrefix: string;
  readonly nodeId: string;
  readonly heartbeatMs: number;
  readonly nodeTimeoutMs: number;
  readonly sharded: boolean | 'auto';
}
