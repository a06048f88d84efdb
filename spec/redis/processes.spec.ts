/**
 * Three server PROCESSES on one Redis (each forks spec/redis/support/clusterNode.cjs on the current sources),
 * clients in this process spread round-robin. The faults use a private redis-server (started on a free port,
 * no persistence), never the shared one. Every wait is a condition.
 */
import WebSocket from 'ws';
import { BehaviorSubject, filter, firstValueFrom, merge, take, toArray } from 'rxjs';
import type { DefaultEventMap } from '../../src';
import { createChannelSocketClient, type ChannelSocketClient, type ClientRecovery } from '../../src/client';
import { exponentialBackoff } from '../../src/operators/exponentialBackoff';
import { FaultProxy } from '../support/faultProxy';
import { dropPrefix, testPrefix } from '../support/redis';
import { waitFor } from '../support/harness';
import { NodeProcess, PrivateRedis, type NodeReport } from './support/processCluster';
import { transpiledSources } from './support/transpiledSources';

jest.setTimeout(40_000);

const HEARTBEAT_MS = 100;
const NODE_TIMEOUT_MS = 1500; // well above a loaded event loop's stalls: a live node is never swept

let lib: { dir: string; remove: () => void };
beforeAll(() => void (lib = transpiledSources()));
afterAll(() => lib.remove());

type Client = ChannelSocketClient<DefaultEventMap>;

/** Asks `cond` again every 20 ms until it holds (a condition in another process), failing after `ms`. */
async function until(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function cluster(redisUrl: () => string) {
  const state = { nodes: [] as NodeProcess[], clients: [] as Client[], prefix: '' };
  beforeEach(async () => {
    state.prefix = testPrefix();
    state.nodes = await Promise.all(
      [0, 1, 2].map((i) =>
        NodeProcess.start(lib.dir, {
          url: redisUrl(),
          prefix: state.prefix,
          nodeId: `n${i}`,
          heartbeatMs: HEARTBEAT_MS,
          nodeTimeoutMs: NODE_TIMEOUT_MS,
          graceMs: 100,
        }),
      ),
    );
  });
  afterEach(async () => {
    for (const c of state.clients) c.disconnect();
    state.clients = [];
    await Promise.all(state.nodes.map((n) => n.stop()));
  });
  /** Client i connects to node i % 3. */
  const connect = async (i: number, uid: string): Promise<Client> => {
    const c = createChannelSocketClient<DefaultEventMap>({ url: state.nodes[i % 3]!.url, WebSocket, params: { uid } });
    state.clients.push(c);
    await waitFor(c.state$, (s) => s.open, 10_000);
    return c;
  };
  const listedEverywhere = (uid: string, nodes = state.nodes) => Promise.all(nodes.map((n) => waitFor(n.uids$, (u) => u.has(uid), 10_000)));
  const goneEverywhere = (uid: string, nodes = state.nodes) => Promise.all(nodes.map((n) => waitFor(n.uids$, (u) => !u.has(uid), 10_000)));
  const events = (c: Client, id: string) => c.events$.pipe(filter((e) => e[0] === id));
  return { state, connect, listedEverywhere, goneEverywhere, events };
}

describe('three server processes on the shared Redis', () => {
  const { state, connect, listedEverywhere, goneEverywhere, events } = cluster(() => 'redis://127.0.0.1:6379');
  afterEach(() => dropPrefix(state.prefix));

  test('send(uid) reaches a uid on another process; a broadcast reaches every client exactly once', async () => {
    const clients = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => connect(i, `u${i}`)));
    await Promise.all(clients.map((_, i) => listedEverywhere(`u${i}`)));

    // Every node pushes to every uid: 18 pushes, 12 of them cross-process.
    const got = clients.map((c) => firstValueFrom(events(c, 'x/hi').pipe(take(3), toArray())));
    for (const n of state.nodes) for (let i = 0; i < 6; i++) await n.send(`u${i}`, ['x/hi', n.id]);
    for (const g of got) expect((await g).map((e) => e[1]).sort()).toEqual(['n0', 'n1', 'n2']);

    const seen = clients.map(() => [] as unknown[]);
    clients.forEach((c, i) => events(c, 'x/all').subscribe((e) => seen[i]!.push(e[1])));
    const N = 20;
    const lastOf = (from: string) => Promise.all(clients.map((c) => firstValueFrom(events(c, 'x/all').pipe(filter((e) => e[1] === `${from}-end`)))));
    const ends = Promise.all(state.nodes.map((n) => lastOf(n.id)));
    for (let k = 0; k < N; k++) for (const n of state.nodes) await n.broadcast(['x/all', `${n.id}-${k}`]);
    // Each node's end marker comes after its own broadcasts (one origin: one ordered Redis connection), so a
    // duplicate of any of them would have arrived before it.
    for (const n of state.nodes) await n.broadcast(['x/all', `${n.id}-end`]);
    await ends;
    const expected = state.nodes.flatMap((n) => [...Array.from({ length: N }, (_, k) => `${n.id}-${k}`), `${n.id}-end`]).sort();
    for (const s of seen) expect([...s].sort()).toEqual(expected);
  });

  test('presence is cluster-wide; uidport-open and -close come once per cluster, whatever nodes the tabs use', async () => {
    const ports: string[] = [];
    state.nodes.forEach((n) =>
      n.reports$.subscribe((r: NodeReport) => r.type === 'port' && ports.push(`${r.uid} ${r.id.slice(13)} ${n.id}`)),
    );
    // Three uids, each with a tab on every node (9 connections, round-robin).
    const tabs = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => connect(i, `p${Math.floor(i / 3)}`)));
    for (const uid of ['p0', 'p1', 'p2']) await listedEverywhere(uid);
    const opens = merge(...state.nodes.map((n) => n.reports$)).pipe(filter((r) => r.type === 'port' && r.id === 'chsk/uidport-close'));
    const closed = firstValueFrom(opens.pipe(take(3), toArray()));
    for (const t of tabs) t.disconnect();
    for (const uid of ['p0', 'p1', 'p2']) await goneEverywhere(uid);
    await closed;
    // A late duplicate would come within a grace period plus a round trip: wait for a later event instead of a
    // sleep (a fresh uid's open, from the node that gets it), which every node's earlier reports precede.
    const lateOpen = waitFor(state.nodes[0]!.reports$, (r) => r.type === 'port' && r.uid === 'late', 15_000); // before it can happen
    await connect(0, 'late');
    await lateOpen;
    const summary = ports.filter((p) => !p.startsWith('late')).map((p) => p.split(' ').slice(0, 2).join(' ')).sort();
    expect(summary).toEqual(['p0 close', 'p0 open', 'p1 close', 'p1 open', 'p2 close', 'p2 open']);
  });

  test('SIGKILL of a process: the others forget its users within nodeTimeoutMs + heartbeatMs, uidport-close once', async () => {
    const c = await connect(2, 'dee');
    const stay = await connect(0, 'sam');
    await listedEverywhere('dee');
    await listedEverywhere('sam');
    const closes: string[] = [];
    state.nodes.forEach((n) => n.reports$.subscribe((r) => r.type === 'port' && r.id === 'chsk/uidport-close' && closes.push(`${r.uid} ${n.id}`)));
    const portClose = waitFor(merge(...state.nodes.slice(0, 2).map((n) => n.reports$)), (r) => r.type === 'port' && r.uid === 'dee', 15_000);
    const t0 = Date.now();
    await state.nodes[2]!.kill();
    c.disconnect(); // its node is gone: stop it retrying
    await goneEverywhere('dee', state.nodes.slice(0, 2));
    const elapsed = Date.now() - t0;
    // The bound is nodeTimeoutMs + heartbeatMs; a shared 2-core machine gets a second of slack.
    expect(elapsed).toBeLessThan(NODE_TIMEOUT_MS + HEARTBEAT_MS + 1000);
    await portClose;
    // Later events from both survivors (a fresh uid on each) come after any duplicate close.
    await connect(0, 'after0');
    await connect(1, 'after1');
    await listedEverywhere('after0', state.nodes.slice(0, 2));
    await listedEverywhere('after1', state.nodes.slice(0, 2));
    expect(closes.filter((x) => x.startsWith('dee '))).toHaveLength(1);
    expect(state.nodes[0]!.uids$.value.has('sam')).toBe(true);
    expect(stay.state$.value.open).toBe(true);
  });
});

describe('resume across three server processes on the shared Redis', () => {
  const { state, listedEverywhere } = cluster(() => 'redis://127.0.0.1:6379');
  afterEach(() => dropPrefix(state.prefix));

  test('a client whose process is SIGKILLed comes back on another process and resumes: recovered, every push once, in order', async () => {
    const portOf = (n: NodeProcess): number => Number(new URL(n.url).port);
    const proxy = await FaultProxy.start(portOf(state.nodes[0]!)); // the balancer in front of the processes
    try {
      const c = createChannelSocketClient<DefaultEventMap>({
        url: `http://127.0.0.1:${proxy.port}/chsk`,
        WebSocket,
        params: { uid: 'moe' },
        backoff: exponentialBackoff({ initialMs: 20, maxMs: 200, jitter: 'equal' }),
      });
      state.clients.push(c);
      const got: string[] = [];
      const count$ = new BehaviorSubject(0);
      const reopens: ClientRecovery[] = [];
      c.events$.subscribe(([id, d]) => void (id === 'n/x' && (got.push(String(d)), count$.next(got.length))));
      c.reopened$.subscribe((r) => reopens.push(r));
      await waitFor(c.state$, (s) => s.open, 10_000);
      await listedEverywhere('moe');
      const expected: string[] = [];
      const push = async (n: NodeProcess, tag: string, count: number): Promise<void> => {
        for (let i = 0; i < count; i++) await n.send('moe', ['n/x', `${tag}${i}`]), expected.push(`${tag}${i}`);
      };
      await push(state.nodes[1]!, 'live', 20); // from another process while the client is on process 0
      await waitFor(count$, (n) => n === 20, 10_000);
      proxy.retarget(portOf(state.nodes[1]!));
      await state.nodes[0]!.kill(); // no goodbye: the client's link dies with it
      await push(state.nodes[2]!, 'away', 30); // appended to the log in Redis, whether or not the client is back yet
      await waitFor(c.state$, (s) => s.open, 10_000);
      await push(state.nodes[2]!, 'back', 10);
      await waitFor(count$, (n) => n >= expected.length, 15_000);
      expect(got).toEqual(expected);
      expect(reopens.length).toBeGreaterThan(0);
      expect(reopens.every((r) => r.recovered)).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});

describe('dedupe across three server processes on the shared Redis', () => {
  const { state } = cluster(() => 'redis://127.0.0.1:6379');
  afterEach(() => dropPrefix(state.prefix));

  test('a request cut while one process handles it is sent again to another process and handled once, with the first answer', async () => {
    const portOf = (n: NodeProcess): number => Number(new URL(n.url).port);
    const proxy = await FaultProxy.start(portOf(state.nodes[0]!));
    try {
      const handled: string[] = [];
      state.nodes.forEach((n) => n.reports$.subscribe((r) => r.type === 'handled' && handled.push(n.id)));
      const c = createChannelSocketClient<DefaultEventMap>({
        url: `http://127.0.0.1:${proxy.port}/chsk`,
        WebSocket,
        params: { uid: 'ned' },
        backoff: exponentialBackoff({ initialMs: 20, maxMs: 200, jitter: 'equal' }),
      });
      state.clients.push(c);
      await waitFor(c.state$, (s) => s.open, 10_000);
      const first = waitFor(state.nodes[0]!.reports$, (r) => r.type === 'handled', 10_000);
      const answer = firstValueFrom(c.send(['x/held', 1], { timeoutMs: 20_000 }));
      await first;
      const reopened = firstValueFrom(c.reopened$);
      proxy.retarget(portOf(state.nodes[1]!));
      proxy.reset(); // the client's outbox sends it again, same mid, to process 1, which waits on process 0's claim
      await reopened;
      await state.nodes[0]!.release();
      await expect(answer).resolves.toBe('answered on n0');
      expect(handled).toEqual(['n0']);
    } finally {
      await proxy.close();
    }
  });
});

describe('topics across three server processes on the shared Redis', () => {
  const { state, connect } = cluster(() => 'redis://127.0.0.1:6379');
  afterEach(() => dropPrefix(state.prefix));

  test('a publish reaches members on every process; a SIGKILLed process leaves topicUids$ within the node timeout', async () => {
    const clients = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => connect(i, `t${i}`)));
    const got = clients.map(() => [] as unknown[]);
    clients.forEach((c, i) => c.topic$('room/k').subscribe({ next: (e) => got[i]!.push(e[1]), error: () => undefined }));
    await Promise.all(state.nodes.map((n) => n.watchTopic('room/k')));
    const all = ['t0', 't1', 't2', 't3', 't4', 't5'];
    await Promise.all(state.nodes.map((n) => n.topicUids('room/k', (u) => all.every((x) => u.has(x)))));
    for (let k = 0; k < 10; k++) for (const n of state.nodes) await n.publish('room/k', ['room/msg', `${n.id}-${k}`]);
    const want = state.nodes.flatMap((n) => Array.from({ length: 10 }, (_, k) => `${n.id}-${k}`)).sort();
    await until(async () => got.every((g) => g.length >= 30));
    for (const g of got) expect([...g].sort()).toEqual(want);
    for (const g of got) expect(g).toEqual(got[0]); // one order for every member

    const t0 = Date.now();
    await state.nodes[2]!.kill(); // held t2 and t5
    clients[2]!.disconnect();
    clients[5]!.disconnect();
    const left = ['t0', 't1', 't3', 't4'];
    await Promise.all(state.nodes.slice(0, 2).map((n) => n.topicUids('room/k', (u) => u.size === 4 && left.every((x) => u.has(x)), 15_000)));
    // The bound is nodeTimeoutMs + heartbeatMs; a shared 2-core machine gets a second of slack.
    expect(Date.now() - t0).toBeLessThan(NODE_TIMEOUT_MS + HEARTBEAT_MS + 1000);
    await state.nodes[1]!.publish('room/k', ['room/msg', 'after']);
    await until(async () => [0, 1, 3, 4].every((i) => got[i]!.at(-1) === 'after'));
  });
});

describe('three server processes on a private Redis that restarts during traffic', () => {
  let redis: PrivateRedis;
  beforeAll(async () => void (redis = await PrivateRedis.start()));
  afterAll(() => redis?.down());
  const { state, connect, listedEverywhere, events } = cluster(() => redis.url);

  // This test found two races in the node's recovery (see spec/redis/presenceRecovery.spec.ts): every node
  // reads the whole presence as it comes back while the others register their users again, and a read used to
  // undo the deltas that arrived during it (a user stayed unknown to a node until it reconnected).
  test('local delivery goes on, cross-node pushes are counted as dropped, then nodes resubscribe and deliver again', async () => {
    const local = await connect(0, 'ria');
    const remote = await connect(1, 'rob');
    await listedEverywhere('ria');
    await listedEverywhere('rob');
    const n0 = state.nodes[0]!;
    const errors: string[] = [];
    n0.reports$.subscribe((r) => r.type === 'error' && errors.push(r.code));

    // Traffic before: both ways work.
    const before = firstValueFrom(events(remote, 'x/x'));
    await n0.send('rob', ['x/x', 'before']);
    await before;

    await redis.down();
    // While Redis is down: local pushes keep flowing, and cross-node ones are dropped and counted.
    const gotLocal = firstValueFrom(events(local, 'x/local').pipe(take(10), toArray()));
    for (let i = 0; i < 10; i++) {
      await n0.send('ria', ['x/local', i]);
      await n0.send('rob', ['x/x', `down-${i}`]);
    }
    expect((await gotLocal).map((e) => e[1])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // stats$ samples every 50 ms in the node: ask until a sample shows the drops (bounded).
    await until(async () => {
      const s = await n0.stats();
      return s !== null && s.drops.remote > 0 && s.adapter.remoteDropped > 0;
    });
    expect(errors).toContain('CHSK_ADAPTER_ERROR');

    await redis.up(); // same port, empty: every node must re-register its users and resubscribe
    await listedEverywhere('ria');
    await listedEverywhere('rob');
    // Cross-node pushes work again, both ways.
    const back = waitFor(events(remote, 'x/x'), (e) => e[1] === 'back', 15_000);
    const back2 = waitFor(events(local, 'x/y'), () => true, 15_000);
    const retry = setInterval(() => void n0.send('rob', ['x/x', 'back']).catch(() => undefined), 100);
    const retry2 = setInterval(() => void state.nodes[1]!.send('ria', ['x/y', 'back']).catch(() => undefined), 100);
    try {
      await back;
      await back2;
    } finally {
      clearInterval(retry);
      clearInterval(retry2);
    }
    // Presence converged again after the empty restart: a new uid on node 2 is seen by every node.
    await connect(2, 'new');
    await listedEverywhere('new');
  });
});
