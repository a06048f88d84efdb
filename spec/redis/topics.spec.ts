/**
 * Cluster-wide topics: three nodes on one Redis (real servers with their own RedisAdapter, in this process),
 * clients spread round-robin. Publish from any node, topic presence, removal on every node; and, on a private
 * redis-server, Redis going down and coming back. Runs in the jest project `redis`.
 */
import { Redis } from 'ioredis';
import { ErrorCode, jsonPacker, type Packer } from '../../src';
import type { ChannelSocketClient } from '../../src/client';
import { MessageType } from '../../src/protocol/messages';
import { createRedisAdapter, type RedisAdapter } from '../../src/redis';
import type { RedisAdapterOptions } from '../../src/redis/redisAdapterOptions';
import { startServer, waitFor, type TestServer } from '../support/harness';
import { dropPrefix, testPrefix } from '../support/redis';
import { PrivateRedis } from './support/processCluster';
import { FaultProxy } from '../support/faultProxy';
import { exponentialBackoff } from '../../src/operators/exponentialBackoff';
import { firstValueFrom } from 'rxjs';

jest.setTimeout(30_000);

interface Room {
  'room/msg': { data: { from: number; k: number } };
}
type Client = ChannelSocketClient<Room>;

interface Node {
  s: TestServer<Room>;
  adapter: RedisAdapter;
  /** Topic events (`tm`, alone or in a batch) this node's packer packed. */
  packs: { tm: number };
}

/** A packer that counts the frames holding topic events, so a test can tell how often a publish was packed. */
function countingPacker(packs: { tm: number }): Packer {
  const holdsTm = (m: { t?: string; ms?: { t?: string }[] }): boolean => m.t === MessageType.TopicEvent || (m.ms?.some((x) => x.t === MessageType.TopicEvent) ?? false);
  return { ...jsonPacker, pack: (m) => (holdsTm(m as { t?: string }) && packs.tm++, jsonPacker.pack(m)), unpack: (f) => jsonPacker.unpack(f) };
}

async function startNode(prefix: string, extra: Partial<RedisAdapterOptions> = {}): Promise<Node> {
  const packs = { tm: 0 };
  const adapter = createRedisAdapter({ keyPrefix: prefix, heartbeatMs: 100, nodeTimeoutMs: 1500, ...extra });
  const s = await startServer<Room>({ adapter, packer: countingPacker(packs), authorizeTopic: (_req, uid) => uid !== 'nobody' });
  await adapter.whenReady();
  return { s, adapter, packs };
}

/** Collects what a client's topic$ gives (and how it ends). */
function member(c: Client, topic: string) {
  const got: string[] = [];
  const box: { error?: { code?: string; message?: string } } = {};
  c.topic$(topic).subscribe({ next: ([, d]) => got.push(`${d.from}:${d.k}`), error: (e) => (box.error = e) });
  return { got, box };
}

/** Resolves once `cond()` holds (checked every few ms); fails after `ms`. */
function until(cond: () => boolean, ms = 10_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const check = setInterval(() => {
      if (cond()) clearInterval(check), resolve();
      else if (Date.now() - started > ms) clearInterval(check), reject(new Error('condition not met in time'));
    }, 5);
  });
}

const has = (u: ReadonlySet<string>, uids: string[]): boolean => uids.every((x) => u.has(x));

describe('topics across three nodes on Redis', () => {
  let prefix: string;
  let nodes: Node[];
  beforeEach(async () => {
    prefix = testPrefix();
    nodes = [await startNode(prefix), await startNode(prefix), await startNode(prefix)];
  });
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.s.stop().catch(() => undefined)));
    await dropPrefix(prefix);
  });
  const connect = (i: number, uid: string): Promise<Client> => nodes[i % 3]!.s.connected({ params: { uid } });

  test('a publish on any node reaches every member on every node once, in one order for all, packed once per node', async () => {
    const clients = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => connect(i, `m${i}`)));
    clients.push(await connect(1, 'm0')); // m0's second tab, on another node
    const members = clients.map((c) => member(c, 'room/x'));
    const others = await Promise.all([0, 1, 2].map((i) => connect(i, `o${i}`)));
    const otherGot = others.map((c) => member(c, 'room/y').got);
    await Promise.all(nodes.map((n) => waitFor(n.s.chsk.topicUids$('room/x'), (u) => has(u, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']))));
    await Promise.all(nodes.map((n) => waitFor(n.s.chsk.topicUids$('room/y'), (u) => has(u, ['o0', 'o1', 'o2']))));

    // One publish: packed once for Redis on its node, then once on each node for that node's members.
    const before = nodes.map((n) => n.packs.tm);
    expect(nodes[0]!.s.chsk.publish('room/x', ['room/msg', { from: 0, k: -1 }])).toBe(2); // node 0 holds m0 and m3
    await until(() => members.every((m) => m.got.length === 1));
    expect(nodes.map((n, i) => n.packs.tm - before[i]!)).toEqual([2, 1, 1]);

    // Every node publishes N events, interleaved: each member gets all 3N once; every member sees one order,
    // and each publisher's events in its own order.
    const N = 200;
    for (let k = 0; k < N; k++) for (let i = 0; i < 3; i++) nodes[i]!.s.chsk.publish('room/x', ['room/msg', { from: i, k }]);
    await until(() => members.every((m) => m.got.length === 1 + 3 * N));
    const order = members[0]!.got.slice(1);
    for (const m of members) expect(m.got.slice(1)).toEqual(order);
    for (let i = 0; i < 3; i++) expect(order.filter((e) => e.startsWith(`${i}:`))).toEqual(Array.from({ length: N }, (_, k) => `${i}:${k}`));
    expect(new Set(order).size).toBe(order.length);
    // Members of another topic got nothing (a later publish to theirs arrives first and alone).
    nodes[2]!.s.chsk.publish('room/y', ['room/msg', { from: 2, k: 0 }]);
    await until(() => otherGot.every((g) => g.length === 1));
    for (const g of otherGot) expect(g).toEqual(['2:0']);
  });

  test('topicUids$ is cluster-wide and follows each join and leave without reading the topic again', async () => {
    const reads = jest.spyOn(Redis.prototype, 'hkeys');
    try {
      const watched: ReadonlySet<string>[] = [];
      nodes[2]!.s.chsk.topicUids$('room/p').subscribe((u) => watched.push(u)); // node 2 has no member
      await until(() => watched.length > 0);
      expect([...watched.at(-1)!]).toEqual([]);
      const a0 = await connect(0, 'ann');
      const a1 = await connect(1, 'ann'); // the same uid on two nodes
      const b = await connect(1, 'bob');
      const subs = [a0, a1, b].map((c) => c.topic$('room/p').subscribe());
      await until(() => has(watched.at(-1)!, ['ann', 'bob']));
      subs[0]!.unsubscribe(); // ann leaves on node 0, still in on node 1
      subs[2]!.unsubscribe(); // bob leaves
      await until(() => !watched.at(-1)!.has('bob'));
      expect([...watched.at(-1)!]).toEqual(['ann']);
      subs[1]!.unsubscribe();
      await until(() => watched.at(-1)!.size === 0);
      // 20 more joins and leaves: still the one read made when node 2 started watching
      for (let i = 0; i < 10; i++) {
        const c = await connect(i, `x${i}`);
        const sub = c.topic$('room/p').subscribe();
        await until(() => watched.at(-1)!.has(`x${i}`));
        sub.unsubscribe();
        await until(() => !watched.at(-1)!.has(`x${i}`));
      }
      expect(reads.mock.calls.filter((c) => String(c[0]).endsWith('tm:room/p'))).toHaveLength(1);
    } finally {
      reads.mockRestore();
    }
  });

  test('removeFromTopic on one node removes the uid on every node; by clientId too', async () => {
    const r1 = member(await connect(1, 'rex'), 'room/r');
    const r2 = member(await connect(2, 'rex'), 'room/r');
    const kc = await connect(0, 'kim');
    const k = member(kc, 'room/r');
    const q = await connect(2, 'quin');
    const qm = member(q, 'room/r');
    await Promise.all(nodes.map((n) => waitFor(n.s.chsk.topicUids$('room/r'), (u) => has(u, ['rex', 'kim', 'quin']))));
    expect(nodes[0]!.s.chsk.removeFromTopic('room/r', { uid: 'rex' }, 'revoked')).toBe(0); // none of rex's on node 0
    await until(() => r1.box.error !== undefined && r2.box.error !== undefined);
    for (const r of [r1, r2]) expect(r.box.error).toMatchObject({ code: ErrorCode.TopicRemoved, message: 'revoked' });
    await Promise.all(nodes.map((n) => waitFor(n.s.chsk.topicUids$('room/r'), (u) => !u.has('rex') && has(u, ['kim', 'quin']))));
    nodes[1]!.s.chsk.removeFromTopic('room/r', { clientId: q.state$.value.clientId! }, 'one tab');
    await until(() => qm.box.error !== undefined);
    expect(qm.box.error).toMatchObject({ code: ErrorCode.TopicRemoved, message: 'one tab' });
    nodes[1]!.s.chsk.publish('room/r', ['room/msg', { from: 1, k: 1 }]);
    await until(() => k.got.length === 1);
    expect([r1.got, r2.got, qm.got]).toEqual([[], [], []]);
    expect(k.box.error).toBeUndefined();
  });
});

describe('topic resume across nodes', () => {
  let prefix: string;
  let nodes: Node[];
  let proxy: FaultProxy;
  beforeEach(async () => {
    prefix = testPrefix();
    nodes = [await startNode(prefix), await startNode(prefix)];
    proxy = await FaultProxy.start(Number(new URL(nodes[0]!.s.url).port));
  });
  afterEach(async () => {
    await proxy.close();
    await Promise.all(nodes.map((n) => n.s.stop().catch(() => undefined)));
    await dropPrefix(prefix);
  });

  test('a client whose node goes away rejoins on another node and gets what was published meanwhile, once, in order', async () => {
    const c = nodes[0]!.s.client({
      url: `http://127.0.0.1:${proxy.port}/chsk`,
      params: { uid: 'mo' },
      backoff: exponentialBackoff({ initialMs: 20, maxMs: 200, jitter: 'equal' }),
    });
    const got: number[] = [];
    c.topic$('room/m').subscribe({ next: ([, d]) => got.push(d.k), error: () => undefined });
    const reopened = firstValueFrom(c.topicReopened$);
    await Promise.all(nodes.map((n) => waitFor(n.s.chsk.topicUids$('room/m'), (u) => u.has('mo'))));
    for (let k = 1; k <= 50; k++) nodes[0]!.s.chsk.publish('room/m', ['room/msg', { from: 0, k }]);
    await until(() => got.length === 50);
    await proxy.pause(); // the link to node 0 goes
    await waitFor(c.state$, (st) => !st.open);
    await waitFor(nodes[1]!.s.chsk.topicUids$('room/m'), (u) => !u.has('mo'));
    for (let k = 51; k <= 100; k++) nodes[1]!.s.chsk.publish('room/m', ['room/msg', { from: 1, k }]); // while away
    proxy.retarget(Number(new URL(nodes[1]!.s.url).port)); // the load balancer now sends it to node 1
    await proxy.resume();
    await expect(reopened).resolves.toMatchObject({ topic: 'room/m', recovered: true, replayed: 50 });
    nodes[0]!.s.chsk.publish('room/m', ['room/msg', { from: 0, k: 101 }]);
    await until(() => got.length >= 101);
    expect(got).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
  });
});

describe('topics when Redis goes down and comes back (a private redis-server)', () => {
  let redis: PrivateRedis;
  let nodes: Node[];
  let prefix: string;
  beforeEach(async () => {
    redis = await PrivateRedis.start();
    prefix = testPrefix();
    const o = { url: redis.url, redisOptions: { retryStrategy: () => 50 } };
    nodes = [await startNode(prefix, o), await startNode(prefix, o)];
  });
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.s.stop().catch(() => undefined)));
    await redis.down();
  });

  test('local members still get publishes, cross-node ones are counted as dropped and reported; then all recovers', async () => {
    const errors: string[] = [];
    nodes[0]!.s.chsk.errors$.subscribe((e) => errors.push(e.code));
    const a = member(await nodes[0]!.s.connected({ params: { uid: 'a' } }), 'room/d');
    const b = member(await nodes[1]!.s.connected({ params: { uid: 'b' } }), 'room/d');
    await waitFor(nodes[0]!.s.chsk.topicUids$('room/d'), (u) => has(u, ['a', 'b']));
    nodes[0]!.s.chsk.publish('room/d', ['room/msg', { from: 0, k: 0 }]);
    await until(() => a.got.length === 1 && b.got.length === 1);

    await redis.down();
    const dropped = nodes[0]!.adapter.stats().remoteDropped;
    expect(nodes[0]!.s.chsk.publish('room/d', ['room/msg', { from: 0, k: 1 }])).toBe(1); // a, here
    await until(() => a.got.length === 2);
    expect(nodes[0]!.adapter.stats().remoteDropped).toBeGreaterThan(dropped);
    expect(errors).toContain(ErrorCode.AdapterError);
    expect(b.got).toEqual(['0:0']);

    await redis.up(); // a new, empty Redis: the nodes subscribe and write their memberships again
    await waitFor(nodes[0]!.s.chsk.topicUids$('room/d'), (u) => has(u, ['a', 'b']), 10_000);
    await waitFor(nodes[1]!.s.chsk.topicUids$('room/d'), (u) => has(u, ['a', 'b']), 10_000);
    // once node 1 listens again, node 0's publishes reach b, in order
    let k = 2;
    await until(() => b.got.length > 1 || (nodes[0]!.s.chsk.publish('room/d', ['room/msg', { from: 0, k: k++ }]), false));
    const first = Number(b.got[1]!.split(':')[1]);
    for (let j = 0; j < 50; j++) nodes[0]!.s.chsk.publish('room/d', ['room/msg', { from: 0, k: k++ }]);
    await until(() => b.got.at(-1) === `0:${k - 1}` && a.got.at(-1) === `0:${k - 1}`);
    expect(b.got.slice(1)).toEqual(Array.from({ length: k - first }, (_, j) => `0:${first + j}`));
    expect(a.got).toEqual(Array.from({ length: k }, (_, j) => `0:${j}`));
  });
});
