/**
 * Ajax without sticky sessions: three nodes on one Redis (real servers in this process, each with its own
 * Redis connections), behind a round-robin proxy that sends every request to the next node and refuses
 * WebSocket upgrades. PROTOCOL.md, "Several nodes: no sticky sessions".
 */
import { Redis } from 'ioredis';
import { filter, firstValueFrom, interval, lastValueFrom } from 'rxjs';
import type { DefaultEventMap } from '../../src';
import { createChannelSocketClient, type ChannelSocketClient } from '../../src/client';
import { AjaxHeader } from '../../src/protocol/ajax';
import type { ServerEventMsg } from '../../src/protocol/events';
import type { ServerOptions } from '../../src/server';
import { createRedisAdapter, type RedisAdapter } from '../../src/redis';
import { rawHandshake, rawPoll, rawPost } from '../support/ajaxRaw';
import { PACKERS, startServer, waitFor, type TestServer } from '../support/harness';
import { dropPrefix, testPrefix } from '../support/redis';
import { startRoundRobinProxy, type RoundRobinProxy } from '../support/roundRobinProxy';

jest.setTimeout(30_000);

interface Node {
  readonly i: number;
  readonly s: TestServer<DefaultEventMap>;
  readonly adapter: RedisAdapter;
  /** Every Redis connection of the node (its client and the duplicates the adapter made of it). */
  readonly redis: Redis[];
  /** Requests handled by this node's core, by event id. */
  readonly handled: string[];
  dead: boolean;
}

describe.each(PACKERS.map((packer) => ({ packer, packerName: packer.name })))('Ajax through a round-robin balancer, nothing sticky (3 nodes on Redis, $packerName)', ({ packer }) => {
  let prefix: string;
  let nodes: Node[];
  let proxy: RoundRobinProxy;
  const clients: ChannelSocketClient<DefaultEventMap>[] = [];

  async function startNode(i: number, extra: ServerOptions = {}): Promise<Node> {
    const client = new Redis({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    const redis: Redis[] = [client];
    const duplicate = client.duplicate.bind(client);
    client.duplicate = ((o?: object) => {
      const d = duplicate(o);
      redis.push(d);
      return d;
    }) as Redis['duplicate'];
    const adapter = createRedisAdapter({ client, keyPrefix: prefix, heartbeatMs: 200, nodeTimeoutMs: 1000 });
    const s = await startServer<DefaultEventMap>({ adapter, packer, ajaxGraceMs: 1500, longPollTimeoutMs: 1500, wsBatchMs: 0, ...extra });
    await adapter.whenReady();
    const node: Node = { i, s, adapter, redis, handled: [], dead: false };
    s.chsk.events$.subscribe((m: ServerEventMsg) => {
      if (m.id.startsWith('chsk/')) return;
      node.handled.push(m.id);
      if (m.id === 'x/echo') m.reply?.({ node: i, d: m.data });
    });
    return node;
  }

  /** The node dies: its sockets drop, it stops listening, and it vanishes from Redis without leaving. */
  async function kill(n: Node): Promise<void> {
    n.dead = true;
    n.s.http.closeAllConnections();
    await new Promise<void>((r) => n.s.http.close(() => r()));
    for (const r of n.redis) r.disconnect();
  }

  beforeEach(async () => {
    prefix = testPrefix();
    nodes = [await startNode(0), await startNode(1), await startNode(2)];
    proxy = await startRoundRobinProxy(nodes.map((n) => n.s.url));
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    await proxy.close();
    await Promise.all(nodes.map((n) => n.s.stop().catch(() => undefined)));
    for (const n of nodes) for (const r of n.redis) r.disconnect();
    await dropPrefix(prefix);
  });

  const connect = async (uid: string): Promise<ChannelSocketClient<DefaultEventMap>> => {
    const c = createChannelSocketClient<DefaultEventMap>({ url: proxy.url, type: 'ajax', packer, params: { uid }, backoff: () => 50 });
    clients.push(c);
    await waitFor(c.state$, (s) => s.open);
    return c;
  };
  /** The node whose core holds the uid's connection (it handles its requests). */
  const homeOf = async (c: ChannelSocketClient<DefaultEventMap>): Promise<number> => (await lastValueFrom(c.send(['x/echo', 'where'], { timeoutMs: 5000 })) as { node: number }).node;

  test('polls and POSTs land on every node; requests are answered, emits acked, pushes arrive once and in order, presence holds still', async () => {
    const ports: string[] = [];
    nodes.forEach((n) => n.s.chsk.events$.subscribe((m: ServerEventMsg) => m.id.startsWith('chsk/uidport') && ports.push(`${n.i}:${m.id}`)));
    const c = await connect('ann');
    const home = await homeOf(c);

    // Requests, one after another and many at once: every reply comes back, from the connection's node.
    for (let k = 0; k < 12; k++) await expect(lastValueFrom(c.send(['x/echo', k]))).resolves.toEqual({ node: home, d: k });
    const many = await Promise.all(Array.from({ length: 30 }, (_, k) => lastValueFrom(c.send(['x/echo', 100 + k]))));
    expect(many).toEqual(Array.from({ length: 30 }, (_, k) => ({ node: home, d: 100 + k })));
    // Emits complete on the server's ack.
    await Promise.all(Array.from({ length: 20 }, (_, k) => lastValueFrom(c.emit(['x/note', k]), { defaultValue: undefined })));
    expect(nodes[home]!.handled.filter((id) => id === 'x/note')).toHaveLength(20);
    for (const n of nodes) if (n.i !== home) expect(n.handled).toEqual([]);

    // Pushes from the home node and from another one: each exactly once, in the order each node sent them.
    const got: [number, number][] = [];
    c.events$.pipe(filter((e) => e[0] === 'x/push')).subscribe((e) => got.push(e[1] as [number, number]));
    const other = (home + 1) % 3;
    for (let k = 0; k < 100; k++) {
      nodes[home]!.s.chsk.send('ann', ['x/push', [home, k]]);
      nodes[other]!.s.chsk.send('ann', ['x/push', [other, k]]);
    }
    await waitFor(c.events$, () => got.length >= 200, 10_000).catch(() => undefined);
    expect(got).toHaveLength(200);
    for (const from of [home, other]) expect(got.filter(([n]) => n === from).map(([, k]) => k)).toEqual(Array.from({ length: 100 }, (_, k) => k));

    // The balancer really rotated: polls and POSTs each reached every node.
    for (const method of ['GET', 'POST']) {
      const reached = new Set(proxy.routed.filter((r) => r.method === method).map((r) => r.backend));
      expect([method, [...reached].sort()]).toEqual([method, [0, 1, 2]]);
    }
    // One arrival in the cluster, no departure while the polls moved around.
    for (const n of nodes) expect(n.s.chsk.connectedUids$.value.ajax.has('ann')).toBe(true);
    expect(ports.filter((p) => p.endsWith('uidport-open'))).toHaveLength(1);
    expect(ports.filter((p) => p.endsWith('uidport-close'))).toEqual([]);
    expect(c.state$.value.open).toBe(true);
    // stats$.adapter.ajaxRelay: the other nodes relayed, the home node served, nothing lost on the way.
    const relay = nodes.map((n) => n.adapter.stats().ajaxRelay!);
    expect(relay[home]!.served).toBeGreaterThan(0);
    expect(relay.filter((_, i) => i !== home).reduce((n, r) => n + r.relayed, 0)).toBeGreaterThanOrEqual(relay[home]!.served);
    for (const r of relay) expect([r.gone, r.failed]).toEqual([0, 0]);
  });

  test('a forged, foreign or made-up token is refused with CHSK_BAD_TOKEN by every node, and reaches no handler', async () => {
    const victim = await rawHandshake(proxy.url, { uid: 'vic', packer });
    const thief = await rawHandshake(proxy.url, { uid: 'thief', packer });
    const forged = `${victim.token.split('.')[0]}.${'A'.repeat(43)}`;
    for (const n of nodes) {
      const url = n.s.url;
      // The real token works on every node (an empty POST: every frame handed over).
      expect((await rawPost(url, victim, [], { packer })).status).toBe(204);
      const cases: [string, Parameters<typeof rawPoll>[2], number][] = [
        ['forged secret', { token: forged }, 403],
        ["another client's token", { token: thief.token }, 403],
        ["the victim's token under another id", { cid: thief.cid }, 403],
        ['made-up selector', { token: `nope.${'A'.repeat(43)}` }, 410],
        ['no token', { token: null }, 401],
      ];
      for (const [what, o, status] of cases) {
        const p = await rawPoll(url, victim, { ...o, packer });
        expect([what, n.i, p.status, p.json?.code]).toEqual([what, n.i, status, 'CHSK_BAD_TOKEN']);
        const q = await rawPost(url, victim, [{ t: 'e', ev: ['x/hijack'] }], { ...o, packer });
        expect([what, n.i, q.status, q.json?.code]).toEqual([what, n.i, status, 'CHSK_BAD_TOKEN']);
      }
    }
    for (const n of nodes) expect(n.handled.filter((id) => id === 'x/hijack')).toEqual([]);
    // The nodes still serve the victim: a push reaches its next poll, wherever it lands.
    nodes[2]!.s.chsk.send('vic', ['x/still', 1]);
    const a = await rawPoll(proxy.url, victim, { packer });
    expect([a.status, a.messages]).toEqual([200, [{ t: 'e', ev: ['x/still', 1], seq: 1 }]]); // seq: the Redis adapter's offsets
    expect(Number(a.headers.get(AjaxHeader.Seq))).toBe(victim.ack);
  });

  test("a client whose node dies makes a new handshake on a live node and carries on", async () => {
    const c = await connect('bob');
    const home = await homeOf(c);
    expect(c.state$.value.lastClose).toBeNull();
    await kill(nodes[home]!);
    // Its next request lands on a live node, which finds nobody listening for the connection: 410, a new handshake.
    await waitFor(c.state$, (s) => s.open && s.lastClose !== null, 15_000);
    const now = await homeOf(c);
    expect(now).not.toBe(home);
    await expect(lastValueFrom(c.send(['x/echo', 'after']))).resolves.toEqual({ node: now, d: 'after' });
    const live = nodes.filter((n) => !n.dead);
    const pushed = firstValueFrom(c.events$.pipe(filter((e) => e[0] === 'x/after')));
    live[0]!.s.chsk.send('bob', ['x/after', 1]);
    await expect(pushed).resolves.toEqual(['x/after', 1]);
  });

  test('a node that shuts down answers its held polls wherever they wait (1001), and its clients move to the others', async () => {
    const c = await connect('cy');
    const home = await homeOf(c);
    const n = nodes[home]!;
    n.dead = true;
    // The usual order: the channel socket closes (held polls answered with x-chsk-closed: 1001, relayed to the
    // nodes where they wait), then the HTTP server, after which the balancer skips the node.
    await n.s.chsk.close();
    n.s.http.closeAllConnections();
    await new Promise<void>((r) => n.s.http.close(() => r()));
    await waitFor(c.state$, (s) => s.open && s.lastClose !== null, 15_000);
    const now = await homeOf(c);
    expect(now).not.toBe(home);
    await expect(lastValueFrom(c.send(['x/echo', 'moved']))).resolves.toEqual({ node: now, d: 'moved' });
  });

  test('a poll held on another node for a connection whose node dies is let go within a heartbeat, then refused 410', async () => {
    const [home, relay] = [nodes[0]!, nodes[1]!];
    const c = await rawHandshake(home.s.url, { uid: 'dee', packer });
    const held = rawPoll(relay.s.url, c, { packer }); // relayed to the home node and held there
    await waitFor(interval(5), () => home.adapter.ajax.serving === 1 && relay.adapter.ajax.relaying === 1);
    const t0 = Date.now();
    await kill(home);
    const a = await held;
    // Its deadline was longPollTimeoutMs + 5 s (6.5 s): the relay saw the home stop listening (PUBSUB NUMSUB).
    expect([a.status, Date.now() - t0 < 4000]).toEqual([204, true]);
    const p = await rawPoll(relay.s.url, c, { packer });
    expect([p.status, p.json?.code]).toEqual([410, 'CHSK_BAD_TOKEN']);
  });

  test('a DELETE through another node closes the connection on its node at once; the next poll, anywhere, says 1000', async () => {
    const c = await rawHandshake(nodes[0]!.s.url, { uid: 'eve', packer });
    await waitFor(nodes[2]!.s.chsk.connectedUids$, (u) => u.any.has('eve'));
    const gone = waitFor(nodes[2]!.s.chsk.connectedUids$, (u) => !u.any.has('eve'), 10_000);
    const d = await fetch(`${nodes[1]!.s.url}?cid=${c.cid}`, { method: 'DELETE', headers: { [AjaxHeader.Token]: c.token } });
    expect(d.status).toBe(204);
    const p = await rawPoll(nodes[2]!.s.url, c, { packer });
    expect(p.headers.get(AjaxHeader.Closed)).toBe('1000');
    await gone; // after the presence grace, on every node
  });

  test('maxConnectionsPerUid counts the cluster: handshakes that land on different nodes share the limit', async () => {
    await Promise.all(nodes.map((n) => n.s.stop()));
    for (const n of nodes) for (const r of n.redis) r.disconnect();
    nodes = [];
    for (const i of [0, 1, 2]) nodes.push(await startNode(i, { maxConnectionsPerUid: 2 }));
    await proxy.close();
    proxy = await startRoundRobinProxy(nodes.map((n) => n.s.url));
    const a = await rawHandshake(proxy.url, { uid: 'max', packer }); // node 0
    const b = await rawHandshake(proxy.url, { uid: 'max', packer }); // node 1
    expect(a.handshake.uid).toBe('max');
    expect(b.handshake.uid).toBe('max');
    await expect(rawHandshake(proxy.url, { uid: 'max', packer })).rejects.toThrow(/429.*CHSK_TOO_MANY_CONNECTIONS/); // node 2
    // Both connections still work from every node.
    for (const n of nodes) for (const c of [a, b]) expect((await rawPost(n.s.url, c, [], { packer })).status).toBe(204);
  });
});
