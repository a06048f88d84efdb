/**
 * Resume across the cluster (issue 13 #4): three nodes on one Redis, each a real server with its own Redis
 * adapter; clients reach them through a TCP fault proxy that a test points at another node (a load balancer
 * moving a client). Pushes carry offsets from the logs in Redis, so a client that comes back on any node resumes
 * from its position: every push once, in offset order. Every wait is a condition.
 */
import { BehaviorSubject, firstValueFrom } from 'rxjs';
import type { DefaultEventMap } from '../../src';
import type { ChannelSocketClient, ClientRecovery } from '../../src/client';
import { exponentialBackoff } from '../../src/operators/exponentialBackoff';
import { createRedisAdapter, type RedisAdapter } from '../../src/redis';
import { FaultProxy } from '../support/faultProxy';
import { MATRIX, startServer, waitFor, type TestServer } from '../support/harness';
import { dropPrefix, testPrefix } from '../support/redis';

jest.setTimeout(30_000);
const LONG = 15_000;

interface Node {
  s: TestServer<DefaultEventMap>;
  adapter: RedisAdapter;
}

/** What one client saw: the `n/x` pushes' values in order, and each reopen's recovery. */
interface Seen {
  readonly ns: string[];
  readonly count$: BehaviorSubject<number>;
  readonly reopens: ClientRecovery[];
  readonly reopen$: BehaviorSubject<number>;
}

function watch(c: ChannelSocketClient<DefaultEventMap>): Seen {
  const seen: Seen = { ns: [], count$: new BehaviorSubject(0), reopens: [], reopen$: new BehaviorSubject(0) };
  c.events$.subscribe(([id, d]) => {
    if (id !== 'n/x') return;
    seen.ns.push(String(d));
    seen.count$.next(seen.ns.length);
  });
  c.reopened$.subscribe((r) => (seen.reopens.push(r), seen.reopen$.next(seen.reopens.length)));
  return seen;
}

const port = (n: Node): number => Number(new URL(n.s.url).port);
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe.each(MATRIX.filter((m) => m.type !== 'auto'))('resume on another node over $type / $packerName', ({ type, packer }) => {
  let prefix: string;
  let nodes: Node[];
  let proxy: FaultProxy;

  async function startNode(): Promise<Node> {
    const adapter = createRedisAdapter({ keyPrefix: prefix, heartbeatMs: 100, nodeTimeoutMs: 600 });
    const s = await startServer<DefaultEventMap>({ adapter, packer, wsBatchMs: 0, wsGraceMs: 100, ajaxGraceMs: 300 });
    await adapter.whenReady();
    return { s, adapter };
  }

  beforeEach(async () => {
    prefix = testPrefix();
    nodes = [await startNode(), await startNode(), await startNode()];
    proxy = await FaultProxy.start(port(nodes[0]!));
  });
  afterEach(async () => {
    await proxy.close();
    await Promise.all(nodes.map((n) => n.s.stop().catch(() => undefined)));
    await dropPrefix(prefix);
  });

  const client = (uid: string): ChannelSocketClient<DefaultEventMap> =>
    nodes[1]!.s.client({
      url: `http://127.0.0.1:${proxy.port}/chsk`,
      params: { uid },
      type,
      packer,
      backoff: exponentialBackoff({ initialMs: 20, maxMs: 200, jitter: 'equal' }),
    });

  /** Pushes `n/x` `<tag>-<i>` from a node, letting I/O run every 20. */
  async function pushAll(n: Node, uid: string, tag: string, count: number): Promise<string[]> {
    const sent: string[] = [];
    for (let i = 0; i < count; i++) {
      n.s.chsk.send(uid, ['n/x', `${tag}-${i}`]);
      sent.push(`${tag}-${i}`);
      if (i % 20 === 19) await tick();
    }
    return sent;
  }

  test('a client whose node dies comes back on another node and resumes: recovered, every push once, in order', async () => {
    const c = client('mo');
    const seen = watch(c);
    await waitFor(c.state$, (s) => s.open, LONG);
    const expected = await pushAll(nodes[1]!, 'mo', 'live', 30); // from another node, while it is on node 0
    await waitFor(seen.count$, (n) => n === 30, LONG);

    // Node 0 dies: the client loses its connection; node 2 pushes while it is away.
    proxy.retarget(port(nodes[1]!));
    await nodes[0]!.s.stop();
    await waitFor(c.state$, (s) => !s.open, LONG).catch(() => undefined); // it may already be back on node 1
    expected.push(...(await pushAll(nodes[2]!, 'mo', 'away', 40)));
    await waitFor(c.state$, (s) => s.open, LONG);
    expected.push(...(await pushAll(nodes[2]!, 'mo', 'back', 30)));
    await waitFor(seen.count$, (n) => n >= expected.length, LONG);
    expect(seen.ns).toEqual(expected);
    expect(seen.reopens.length).toBeGreaterThan(0);
    expect(seen.reopens.every((r) => r.recovered)).toBe(true);
  });

  test('pushes from every node while the client moves between nodes: each arrives once, in one order', async () => {
    const c = client('mia');
    const seen = watch(c);
    await waitFor(c.state$, (s) => s.open, LONG);
    const expected: string[] = [];
    // Three rounds: all three nodes push (interleaved), then the client is moved to the next node mid-stream.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20; i++) {
        for (const [k, n] of nodes.entries()) {
          n.s.chsk.send('mia', ['n/x', `r${round}-n${k}-${i}`]);
          expected.push(`r${round}-n${k}-${i}`);
        }
        if (i === 10) {
          proxy.retarget(port(nodes[(round + 1) % 3]!));
          proxy.reset(); // the live connection is cut: it reconnects to the next node and resumes
          // (An Ajax connection stays on its node: its next poll is relayed there from the new one.)
          if (type === 'ws') await waitFor(seen.reopen$, (n) => n === round + 1, LONG);
        }
        await tick();
      }
    }
    await waitFor(seen.count$, (n) => n >= expected.length, LONG);
    // The log's order is one order (pushes from different nodes may interleave in it), every push once.
    expect([...seen.ns].sort()).toEqual([...expected].sort());
    expect(seen.ns).toHaveLength(expected.length);
    // Each node's own pushes keep their order.
    for (const k of [0, 1, 2]) {
      const mine = seen.ns.filter((x) => x.includes(`-n${k}-`));
      expect(mine).toEqual(expected.filter((x) => x.includes(`-n${k}-`)));
    }
    if (type === 'ws') expect(seen.reopens).toHaveLength(3);
    expect(seen.reopens.every((r) => r.recovered)).toBe(true);
  });

  test('a node whose subscriber link was away reads what it missed from the log: its clients get every push, in order, without reconnecting', async () => {
    const c = client('gap');
    const seen = watch(c);
    await waitFor(c.state$, (s) => s.open, LONG);
    const expected = await pushAll(nodes[1]!, 'gap', 'before', 5);
    await waitFor(seen.count$, (n) => n === 5, LONG);
    // Node 0's subscriber link is cut and stays away while node 1 pushes: those pushes are in the log only.
    const sub = (nodes[0]!.adapter as unknown as { sub: import('ioredis').Redis }).sub;
    const retry = sub.options.retryStrategy;
    sub.options.retryStrategy = () => null;
    const ended = new Promise((r) => sub.once('end', r));
    sub.disconnect();
    await ended;
    expected.push(...(await pushAll(nodes[1]!, 'gap', 'missed', 20)));
    sub.options.retryStrategy = retry;
    await sub.connect();
    expected.push(...(await pushAll(nodes[2]!, 'gap', 'after', 5)));
    await waitFor(seen.count$, (n) => n >= expected.length, LONG);
    expect(seen.ns).toEqual(expected);
    expect(seen.reopens).toEqual([]);
  });

  test('a request in flight when the client is moved is sent again to the new node and handled once, with the first answer', async () => {
    const calls$ = new BehaviorSubject<string[]>([]);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    nodes.forEach((n, k) =>
      n.s.chsk.events$.subscribe((m) => {
        if (m.id !== 'x/slow') return;
        calls$.next([...calls$.value, `node ${k}`]);
        void gate.then(() => m.reply?.(`answered on node ${k}`));
      }),
    );
    const c = client('rex');
    const seen = watch(c);
    await waitFor(c.state$, (s) => s.open, LONG);
    const answer = firstValueFrom(c.send(['x/slow', 1], { timeoutMs: LONG }));
    await waitFor(calls$, (x) => x.length === 1, LONG);
    proxy.retarget(port(nodes[1]!));
    proxy.reset(); // cut while node 0 still works on it: the client's outbox sends it again on node 1, same mid
    if (type === 'ws') await waitFor(seen.reopen$, (n) => n === 1, LONG);
    release();
    await expect(answer).resolves.toBe('answered on node 0');
    expect(calls$.value).toEqual(['node 0']);
  });

  test('a node that missed more than the log holds closes those connections (1013): the client learns recovered: false, never a silent hole', async () => {
    // Node 1 appends with a small log (the appending node's bounds trim): 20 pushes keep 5.
    await nodes[1]!.s.stop();
    const small = createRedisAdapter({ keyPrefix: prefix, heartbeatMs: 100, nodeTimeoutMs: 600, replay: { maxEntries: 5 } });
    const s1 = await startServer<DefaultEventMap>({ adapter: small, packer, wsBatchMs: 0 });
    await small.whenReady();
    nodes[1] = { s: s1, adapter: small };
    const c = client('lo'); // on node 0
    const seen = watch(c);
    await waitFor(c.state$, (s) => s.open, LONG);
    await pushAll(nodes[1], 'lo', 'before', 3);
    await waitFor(seen.count$, (n) => n === 3, LONG);
    // Node 0's subscriber link is away while node 1 pushes 20: node 0 cannot read them back (5 kept).
    const sub = (nodes[0]!.adapter as unknown as { sub: import('ioredis').Redis }).sub;
    const retry = sub.options.retryStrategy;
    sub.options.retryStrategy = () => null;
    const ended = new Promise((r) => sub.once('end', r));
    sub.disconnect();
    await ended;
    await pushAll(nodes[1], 'lo', 'missed', 20);
    sub.options.retryStrategy = retry;
    await sub.connect();
    await waitFor(seen.reopen$, (n) => n >= 1, LONG);
    expect(seen.reopens[0]).toEqual({ recovered: false, replayed: 0 });
    await pushAll(nodes[1], 'lo', 'after', 3);
    await waitFor(seen.count$, (n) => n >= 6, LONG);
    expect(seen.ns).toEqual(['before-0', 'before-1', 'before-2', 'after-0', 'after-1', 'after-2']);
  });

  test('broadcasts from every node are resumed on another node, each once', async () => {
    const c = client('bo');
    const seen = watch(c);
    await waitFor(c.state$, (s) => s.open, LONG);
    const expected: string[] = [];
    for (let i = 0; i < 30; i++) {
      const n = nodes[i % 3]!;
      n.s.chsk.broadcast(['n/x', `b${i}`]);
      expected.push(`b${i}`);
      if (i === 15) proxy.retarget(port(nodes[2]!)), proxy.reset();
      await tick();
    }
    await waitFor(seen.count$, (n) => n >= expected.length, LONG);
    expect([...seen.ns].sort()).toEqual([...expected].sort());
    expect(seen.ns).toHaveLength(expected.length);
    expect(seen.reopens.every((r) => r.recovered)).toBe(true);
  });
});
