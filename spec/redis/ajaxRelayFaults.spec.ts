/**
 * The Ajax relay when Redis goes away and comes back empty (a private redis-server without persistence, never
 * the shared one): requests that land on their connection's node are served, relayed ones are refused
 * 503 CHSK_ADAPTER_ERROR (reported once), and afterwards relaying works again, also from a node started after the
 * restart (the cluster key was put back, so old tokens stay valid).
 */
import type { DefaultEventMap } from '../../src';
import { createRedisAdapter, type RedisAdapter } from '../../src/redis';
import type { ServerErrorReport } from '../../src/server';
import { rawHandshake, rawPost, type RawConn } from '../support/ajaxRaw';
import { startServer, type TestServer } from '../support/harness';
import { testPrefix } from '../support/redis';
import { PrivateRedis } from './support/processCluster';

jest.setTimeout(40_000);

describe('Ajax relay while Redis is down and after it comes back empty', () => {
  let redis: PrivateRedis;
  const servers: TestServer<DefaultEventMap>[] = [];
  beforeAll(async () => void (redis = await PrivateRedis.start()));
  afterAll(async () => {
    for (const s of servers) await s.stop().catch(() => undefined);
    await redis?.down();
  });

  const prefix = testPrefix();
  async function node(): Promise<{ s: TestServer<DefaultEventMap>; adapter: RedisAdapter; errors: ServerErrorReport[] }> {
    const adapter = createRedisAdapter({ url: redis.url, keyPrefix: prefix, heartbeatMs: 100, nodeTimeoutMs: 1500, redisOptions: { retryStrategy: () => 50 } });
    const s = await startServer<DefaultEventMap>({ adapter, ajaxGraceMs: 30_000 });
    await adapter.whenReady();
    servers.push(s);
    const errors: ServerErrorReport[] = [];
    s.chsk.errors$.subscribe((e) => errors.push(e));
    return { s, adapter, errors };
  }
  /** Asks `cond` again every 50 ms until it holds (it depends on Redis reconnecting), failing after `ms`. */
  async function until(cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 50)); // a condition, retried
    }
  }
  const post = async (url: string, c: RawConn): Promise<[number, string | undefined]> => {
    const a = await rawPost(url, c, []);
    return [a.status, a.json?.code];
  };

  test('served at home, refused 503 when relayed, then relayed again from old and new nodes', async () => {
    const [home, other] = [await node(), await node()];
    const c = await rawHandshake(home.s.url, { uid: 'ola' });
    expect(await post(other.s.url, c)).toEqual([204, undefined]); // relayed

    await redis.down();
    expect(await post(home.s.url, c)).toEqual([204, undefined]); // at home: no Redis needed
    for (let i = 0; i < 5; i++) expect(await post(other.s.url, c)).toEqual([503, 'CHSK_ADAPTER_ERROR']);
    expect(other.errors.filter((e) => e.message.startsWith('Redis Ajax relay'))).toHaveLength(1); // once per outage

    await redis.up(); // empty: the cluster key is gone until a node puts it back
    await until(async () => (await post(other.s.url, c))[0] === 204);
    const late = await node(); // started after the restart: reads the key the old nodes put back
    expect(await post(late.s.url, c)).toEqual([204, undefined]);
    const d = await rawHandshake(late.s.url, { uid: 'new' });
    expect(await post(home.s.url, d)).toEqual([204, undefined]);
  });
});
