/**
 * Three nodes on one Redis (each a real server with its own RedisAdapter and connections, in this process),
 * clients spread round-robin. Runs in the jest project `redis` (skipped with a notice when Redis is missing,
 * a failure when CI=true).
 */
import { Redis } from 'ioredis';
import { filter, firstValueFrom, merge, take, toArray } from 'rxjs';
import type { DefaultEventMap } from '../../src';
import type { ChannelSocketClient } from '../../src/client';
import type { ServerEventMsg } from '../../src/protocol/events';
import { MessageType } from '../../src/protocol/messages';
import { createRedisAdapter, type RedisAdapter } from '../../src/redis';
import { dropPrefix, testPrefix } from '../support/redis';
import { startServer, waitFor, type TestServer } from '../support/harness';

jest.setTimeout(20_000);

interface Node {
  s: TestServer<DefaultEventMap>;
  adapter: RedisAdapter;
}

describe('three nodes on Redis', () => {
  let prefix: string;
  let nodes: Node[];

  async function startNode(): Promise<Node> {
    const adapter = createRedisAdapter({ keyPrefix: prefix, heartbeatMs: 100, nodeTimeoutMs: 600 });
    const s = await startServer<DefaultEventMap>({ adapter, wsBatchMs: 0, wsGraceMs: 100, ajaxGraceMs: 100 });
    await adapter.whenReady();
    return { s, adapter };
  }

  beforeEach(async () => {
    prefix = testPrefix();
    nodes = [await startNode(), await startNode(), await startNode()];
  });
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.s.stop().catch(() => undefined)));
    await dropPrefix(prefix);
  });

  /** Client i connects to node i % 3. */
  const connect = (i: number, uid: string): Promise<ChannelSocketClient<DefaultEventMap>> =>
    nodes[i % 3]!.s.connected({ params: { uid } });
  const listed = (uid: string) => Promise.all(nodes.map((n) => waitFor(n.s.chsk.connectedUids$, (u) => u.any.has(uid))));

  test('send(uid) on one node reaches the uid connected to the others; broadcast reaches every client once', async () => {
    const clients = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => connect(i, `u${i}`)));
    await Promise.all(clients.map((_, i) => listed(`u${i}`)));
    const got = firstValueFrom(clients[4]!.events$.pipe(filter((e) => e[0] === 'x/hi'), take(1)));
    expect(nodes[0]!.s.chsk.send('u4', ['x/hi', 'from node 0'])).toBe(1); // one other node handed the push
    await expect(got).resolves.toEqual(['x/hi', 'from node 0']);

    const seen = clients.map(() => [] as unknown[]);
    clients.forEach((c, i) => c.events$.pipe(filter((e) => e[0] === 'x/all')).subscribe((e) => seen[i]!.push(e[1])));
    const all = Promise.all(clients.map((c) => firstValueFrom(c.events$.pipe(filter((e) => e[0] === 'x/all' && e[1] === 'end')))));
    const both = Promise.all(clients.map((c) => firstValueFrom(c.events$.pipe(filter((e) => e[0] === 'x/all'), take(2), toArray()))));
    nodes[1]!.s.chsk.broadcast(['x/all', 1]);
    nodes[2]!.s.chsk.broadcast(['x/all', 'end']); // from another node: no order between the two is promised
    await all;
    await both;
    nodes[0]!.s.chsk.broadcast(['x/all', 'last']); // anything after would have shown a duplicate first
    await Promise.all(clients.map((c) => firstValueFrom(c.events$.pipe(filter((e) => e[1] === 'last')))));
    for (const s of seen) expect(s.slice(0, 2).sort()).toEqual([1, 'end'].sort()), expect(s).toHaveLength(3);
  });

  test('presence is cluster-wide and uidport events come once per cluster, after the grace period', async () => {
    const ports: string[] = [];
    nodes.forEach((n, i) =>
      n.s.chsk.events$.subscribe((m: ServerEventMsg) => {
        if (m.id === 'chsk/uidport-open' || m.id === 'chsk/uidport-close') ports.push(`${i}:${m.id}`);
      }),
    );
    const a = await connect(0, 'zoe');
    await listed('zoe');
    const b = await connect(1, 'zoe'); // a second tab on another node: no second open
    a.disconnect(); // a reload: the first tab leaves, the second stays
    await waitFor(nodes[2]!.s.chsk.connectedUids$, (u) => u.ws.has('zoe'));
    const closed = Promise.all(nodes.map((n) => waitFor(n.s.chsk.connectedUids$, (u) => !u.any.has('zoe'))));
    const portClosed = waitFor(merge(...nodes.map((n) => n.s.chsk.events$)), (m) => m.id === 'chsk/uidport-close');
    b.disconnect();
    await closed;
    await portClosed;
    // One open (where the first tab connected), one close (on the node whose grace ended last), no flap.
    expect(ports.map((p) => p.slice(2))).toEqual(['chsk/uidport-open', 'chsk/uidport-close']);
    expect(ports[0]).toBe('0:chsk/uidport-open');
  });

  test('disconnect(uid) on one node closes the uid on every node; maxConnectionsPerUid counts the cluster', async () => {
    const tabs = await Promise.all([0, 1, 2].map((i) => connect(i, 'lee')));
    const other = await connect(0, 'kai');
    await listed('lee');
    await nodes[2]!.s.chsk.disconnect('lee', 'logged out');
    for (const t of tabs) await waitFor(t.state$, (x) => x.lastClose?.reason === 'logged-out');
    expect(other.state$.value.open).toBe(true);

    const n2 = await createLimitedNode();
    await Promise.all([0, 1].map((i) => connect(i, 'cap')));
    await waitFor(n2.s.chsk.connectedUids$, (u) => u.any.has('cap'));
    const third = await fetch(`${n2.s.url}?v=1&hs=1&cid=${'c'.repeat(16)}&uid=cap`);
    expect(third.status).toBe(429);
    await third.body?.cancel();
  });

  async function createLimitedNode(): Promise<Node> {
    const adapter = createRedisAdapter({ keyPrefix: prefix, heartbeatMs: 100, nodeTimeoutMs: 600 });
    const s = await startServer<DefaultEventMap>({ adapter, maxConnectionsPerUid: 2 });
    await adapter.whenReady();
    const n = { s, adapter };
    nodes.push(n);
    return n;
  }

  test('the replay logs and the dedupe window are shared: what one node wrote, another reads', async () => {
    const [a, b] = [nodes[0]!.adapter, nodes[1]!.adapter];
    expect(await a.dedupe.claim('lee', 'c1', 5)).toEqual({ state: 'new' });
    expect(await b.dedupe.claim('lee', 'c1', 5)).toEqual({ state: 'pending' }); // re-sent to another node
    await a.dedupe.complete('lee', 'c1', 5, undefined);
    expect(await b.dedupe.claim('lee', 'c1', 5)).toEqual({ state: 'done', reply: undefined });
    const p1 = await a.replayLog.append('u:lee', { t: MessageType.Event, ev: ['x/a', 1] }, 10);
    const p2 = await b.replayLog.append('u:lee', { t: MessageType.Event, ev: ['x/b', 2] }, 10);
    expect([p1.offset, p2.offset, p2.epoch]).toEqual([1, 2, p1.epoch]);
    const r = await nodes[2]!.adapter.replayLog.readSince('u:lee', { offset: 0, epoch: p1.epoch });
    expect(r.ok && r.entries.map((e) => e.msg.ev)).toEqual([['x/a', 1], ['x/b', 2]]);
  });

  test('a node that dies (no close, its Redis links cut) is forgotten within the bound: users gone, uidport-close once', async () => {
    const c = await connect(2, 'dee');
    await listed('dee');
    const closes: number[] = [];
    nodes.forEach((n, i) => n.s.chsk.events$.subscribe((m: ServerEventMsg) => m.id === 'chsk/uidport-close' && closes.push(i)));
    // Node 2 "dies": its heartbeats stop (Redis links cut without a goodbye); the others must forget it.
    const dead = nodes[2]!;
    (dead.adapter as unknown as { cmd: Redis; sub: Redis }).cmd.disconnect();
    (dead.adapter as unknown as { cmd: Redis; sub: Redis }).sub.disconnect();
    const t0 = Date.now();
    await Promise.all(nodes.slice(0, 2).map((n) => waitFor(n.s.chsk.connectedUids$, (u) => !u.any.has('dee'), 5000)));
    expect(Date.now() - t0).toBeLessThan(600 + 100 + 1500); // nodeTimeoutMs + heartbeatMs + slack for a shared machine
    await waitFor(nodes[0]!.s.chsk.events$.pipe(filter(() => closes.length > 0)), () => true, 2000).catch(() => undefined);
    expect(closes.filter((i) => i < 2)).toHaveLength(1);
  });

  test('the Redis link of a node killed during traffic (CLIENT KILL): local delivery goes on, and cross-node pushes flow again after the reconnect', async () => {
    const local = await connect(0, 'ria');
    const remote = await connect(1, 'rob');
    await listed('ria');
    await listed('rob');
    const errors: string[] = [];
    nodes[0]!.s.chsk.errors$.subscribe((e) => errors.push(e.code));
    const admin = new Redis();
    try {
      // Kill node 0's own links only (the Redis is shared): its command connection.
      const links = nodes[0]!.adapter as unknown as { cmd: Redis; sub: Redis };
      const ids = [await links.cmd.client('ID')];
      await admin.call('CLIENT', 'KILL', 'ID', String(ids[0]));
      expect(await admin.call('CLIENT', 'KILL', 'ID', String(ids[0]))).toBe(0); // gone
      // Local pushes keep flowing whatever Redis does.
      const got = firstValueFrom(local.events$.pipe(filter((e) => e[0] === 'x/local'), take(3), toArray()));
      for (let i = 0; i < 3; i++) nodes[0]!.s.chsk.send('ria', ['x/local', i]);
      await expect(got).resolves.toHaveLength(3);
      // Once reconnected and resubscribed, cross-node pushes flow again.
      await waitFor(nodes[0]!.s.chsk.stats$, () => true);
      const back = firstValueFrom(remote.events$.pipe(filter((e) => e[0] === 'x/back'), take(1)));
      const tries = setInterval(() => nodes[0]!.s.chsk.send('rob', ['x/back', 1]), 100);
      try {
        await expect(back).resolves.toEqual(['x/back', 1]);
      } finally {
        clearInterval(tries);
      }
    } finally {
      admin.disconnect();
    }
  });
});
