/** The `ajaxSecret` option of createRedisAdapter: the key that signs Ajax tokens, kept out of Redis. */
import { Redis } from 'ioredis';
import type { DefaultEventMap } from '../../src';
import { ConfigError } from '../../src/errors/ConfigError';
import { createRedisAdapter } from '../../src/redis';
import { rawHandshake, rawPost } from '../support/ajaxRaw';
import { startServer, type TestServer } from '../support/harness';
import { dropPrefix, testPrefix } from '../support/redis';

describe('ajaxSecret', () => {
  test('a secret shorter than 32 characters, or not a string, is a ConfigError', () => {
    expect(() => createRedisAdapter({ ajaxSecret: 'short' })).toThrow(ConfigError);
    expect(() => createRedisAdapter({ ajaxSecret: 42 as unknown as string })).toThrow(/ajaxSecret/);
  });

  test('nodes sharing it check each other\'s tokens and relay, and no key is stored in Redis; another secret refuses them', async () => {
    const prefix = testPrefix();
    const secret = 's'.repeat(40);
    const servers: TestServer<DefaultEventMap>[] = [];
    const node = async (ajaxSecret: string) => {
      const adapter = createRedisAdapter({ keyPrefix: prefix, ajaxSecret, heartbeatMs: 200, nodeTimeoutMs: 1000 });
      const s = await startServer<DefaultEventMap>({ adapter });
      await adapter.whenReady();
      servers.push(s);
      return s;
    };
    try {
      const [a, b, stranger] = [await node(secret), await node(secret), await node('t'.repeat(40))];
      const c = await rawHandshake(a.url, { uid: 'sam' });
      expect((await rawPost(b.url, c, [])).status).toBe(204); // checked on b, relayed to a
      const r = await rawPost(stranger.url, c, []); // a node of the cluster with another key: the signature fails
      expect([r.status, r.json?.code]).toEqual([403, 'CHSK_BAD_TOKEN']);
      const redis = new Redis();
      try {
        expect(await redis.exists(`${prefix}ajax:key`)).toBe(0);
      } finally {
        redis.disconnect();
      }
    } finally {
      for (const s of servers) await s.stop();
      await dropPrefix(prefix);
    }
  });
});
