/**
 * Per-topic resume through a TCP fault proxy: real servers on port 0, real clients over WebSocket and Ajax with
 * both packers, on every adapter (the jest projects memory and redis). Topic events carry their offset (`seq`);
 * a client that comes back presents its position on the rejoin (`tj.o`) and gets what it missed before anything
 * newer (`ta.rc`), each event once. Every wait is a condition.
 */
import { BehaviorSubject, firstValueFrom } from 'rxjs';
import type { ChannelSocketClient, TopicReopened } from '../../src/client';
import { exponentialBackoff } from '../../src/operators/exponentialBackoff';
import { createRedisAdapter } from '../../src/redis';
import { MemoryAdapter, type ServerAdapter } from '../../src/server';
import { FaultProxy } from '../support/faultProxy';
import { ADAPTER_KIND, PACKERS, startServer, waitFor, type TestServer } from '../support/harness';
import { dropPrefix, testPrefix } from '../support/redis';

interface Room {
  'room/n': { data: number };
}
type Client = ChannelSocketClient<Room>;

const LONG = 20_000;
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Lets I/O run between publishes (the next macrotask, not a sleep). */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** An adapter whose replay logs keep `maxEntries` (on this run's adapter kind), and how to clean it up. */
function smallLogAdapter(maxEntries: number): { adapter: ServerAdapter; drop: () => Promise<void> } {
  if (ADAPTER_KIND === 'memory') return { adapter: new MemoryAdapter({ replay: { maxEntries } }), drop: async () => undefined };
  const prefix = testPrefix();
  return { adapter: createRedisAdapter({ keyPrefix: prefix, heartbeatMs: 200, nodeTimeoutMs: 1000, replay: { maxEntries } }), drop: () => dropPrefix(prefix) };
}

const CASES = (['ws', 'ajax'] as const).flatMap((type) => PACKERS.map((packer) => ({ type, packer, packerName: packer.name })));

describe.each(CASES)('topic resume over $type / $packerName', ({ type, packer }) => {
  let s: TestServer<Room>;
  let proxy: FaultProxy;
  let drop: () => Promise<void> = async () => undefined;
  const start = async (adapter?: ServerAdapter): Promise<void> => {
    s = await startServer<Room>({ packer, authorizeTopic: () => true, keepAlive: { idleMs: 200, timeoutMs: 200 }, wsGraceMs: 100, ajaxGraceMs: 1000, ...(adapter ? { adapter } : {}) });
    await (adapter as { whenReady?: () => Promise<void> } | undefined)?.whenReady?.();
    proxy = await FaultProxy.start(Number(new URL(s.url).port));
  };
  const client = (uid: string): Client =>
    s.client({
      url: `http://127.0.0.1:${proxy.port}/chsk`,
      params: { uid },
      type,
      packer,
      keepAlive: { idleMs: 200, timeoutMs: 200 },
      backoff: exponentialBackoff({ initialMs: 20, maxMs: 200, jitter: 'equal' }),
    });
  /** What a member of `topic` got, in order, and each rejoin's verdict. */
  const member = (c: Client, topic: string) => {
    const seen = { ns: [] as number[], count$: new BehaviorSubject(0), reopens: [] as TopicReopened[] };
    c.topic$(topic).subscribe({ next: ([, n]) => (seen.ns.push(n), seen.count$.next(seen.ns.length)), error: () => undefined });
    c.topicReopened$.subscribe((r) => seen.reopens.push(r));
    return seen;
  };
  const publishAll = async (topic: string, from: number, to: number): Promise<void> => {
    for (let n = from; n <= to; n++) {
      s.chsk.publish(topic, ['room/n', n]);
      if (n % 20 === 0) await tick();
    }
  };
  /** Takes the network away until the client notices (Ajax retries its poll for a few seconds first), then gives it back. */
  const outage = async (c: Client, meanwhile: () => Promise<void>): Promise<void> => {
    await proxy.pause();
    await waitFor(c.state$, (st) => !st.open, LONG);
    await meanwhile();
    await proxy.resume();
    await waitFor(c.state$, (st) => st.open, LONG);
  };
  afterEach(async () => {
    await proxy?.close();
    await s?.stop();
    await drop();
    drop = async () => undefined;
  });

  test('a cut in the middle of publishes: every event once, in order; the rejoin says recovered', async () => {
    await start();
    const c = client('ann');
    const seen = member(c, 'room/r');
    await waitFor(s.chsk.topicUids$('room/r'), (u) => u.has('ann'));
    const reopened = firstValueFrom(c.topicReopened$);
    await publishAll('room/r', 1, 300); // some of these are in flight when the link goes
    await outage(c, () => publishAll('room/r', 301, 600)); // and these are published while it is away
    const r = await reopened;
    expect(r).toMatchObject({ topic: 'room/r', recovered: true });
    expect(r.replayed).toBeGreaterThanOrEqual(300);
    await publishAll('room/r', 601, 700);
    await waitFor(seen.count$, (n) => n >= 700, LONG);
    // one more after everything: nothing arrives twice meanwhile
    s.chsk.publish('room/r', ['room/n', 701]);
    await waitFor(seen.count$, (n) => n >= 701, LONG);
    expect(seen.ns).toEqual(range(1, 701));
    expect(seen.reopens.every((x) => x.recovered)).toBe(true);
  }, 60_000);

  test('a reset while events flow: each once and in order (Ajax may keep its link and lose nothing)', async () => {
    await start();
    const c = client('bea');
    const seen = member(c, 'room/s');
    await waitFor(s.chsk.topicUids$('room/s'), (u) => u.has('bea'));
    let cut = false;
    c.topic$('room/s').subscribe({
      next: () => {
        if (!cut && seen.ns.length >= 200) (cut = true), proxy.reset();
      },
      error: () => undefined,
    });
    await publishAll('room/s', 1, 1000);
    await waitFor(seen.count$, (n) => n >= 1000, LONG);
    expect(cut).toBe(true);
    await waitFor(c.state$, (st) => st.open, LONG);
    s.chsk.publish('room/s', ['room/n', 1001]);
    await waitFor(seen.count$, (n) => n >= 1001, LONG);
    expect(seen.ns).toEqual(range(1, 1001));
    if (type === 'ws') expect(seen.reopens.length).toBeGreaterThanOrEqual(1);
    expect(seen.reopens.every((x) => x.recovered)).toBe(true);
  }, 60_000);

  test('a log too small for the outage: recovered false, nothing replayed, then new events flow', async () => {
    const small = smallLogAdapter(10);
    drop = small.drop;
    await start(small.adapter);
    const c = client('cy');
    const seen = member(c, 'room/t');
    await waitFor(s.chsk.topicUids$('room/t'), (u) => u.has('cy'));
    await publishAll('room/t', 1, 5);
    await waitFor(seen.count$, (n) => n >= 5);
    const reopened = firstValueFrom(c.topicReopened$);
    await outage(c, () => publishAll('room/t', 6, 50)); // 45 while away: the log keeps 10
    await expect(reopened).resolves.toEqual({ topic: 'room/t', params: undefined, recovered: false, replayed: 0 });
    s.chsk.publish('room/t', ['room/n', 51]);
    await waitFor(seen.count$, (n) => n >= 6, LONG);
    expect(seen.ns).toEqual([1, 2, 3, 4, 5, 51]);
  }, 60_000);
});
