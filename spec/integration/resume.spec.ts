import { BehaviorSubject } from 'rxjs';
import type { ChannelSocketClient, ClientOptions, ClientRecovery } from '../../src/client';
import { ErrorCode, type DefaultEventMap } from '../../src';
import { exponentialBackoff } from '../../src/operators/exponentialBackoff';
import type { ServerOptions } from '../../src/server';
import { FaultProxy } from '../support/faultProxy';
import { MATRIX, startServer, waitFor, type TestServer } from '../support/harness';

// Resume through a TCP fault proxy (issue 12 #1, #2): real servers on port 0, real clients over every transport
// and packer. Every test waits for conditions (a count, a state), never for a fixed time.

const LONG = 20_000;
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Lets I/O run between pushes (not a sleep: the next macrotask). */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** What one client saw: the `n/x` pushes' numbers, in order, and each reopen's recovery. */
interface Seen {
  readonly ns: number[];
  readonly count$: BehaviorSubject<number>;
  readonly reopens: ClientRecovery[];
  /** How many reopens so far. */
  readonly reopened$: BehaviorSubject<number>;
}

function watch(c: ChannelSocketClient<DefaultEventMap>): Seen {
  const seen: Seen = { ns: [], count$: new BehaviorSubject(0), reopens: [], reopened$: new BehaviorSubject(0) };
  c.events$.subscribe(([id, d]) => {
    if (id !== 'n/x') return;
    seen.ns.push(typeof d === 'number' ? d : (d as { n: number }).n);
    seen.count$.next(seen.ns.length);
  });
  c.reopened$.subscribe((r) => (seen.reopens.push(r), seen.reopened$.next(seen.reopens.length)));
  return seen;
}

/**
 * The last push, `n`, has arrived. Where the server resumes it is pushed once (a duplicate would show); where it
 * cannot (an adapter without offsets) it is pushed again until one arrives, since a push made while the client
 * is between links is lost there (and announced by `recovered: false`).
 */
async function finish(s: TestServer<DefaultEventMap>, uid: string | undefined, seen: Seen, n: number): Promise<void> {
  const push = (): void => void (uid === undefined ? s.chsk.broadcast(['n/x', n]) : s.chsk.send(uid, ['n/x', n]));
  const arrived = (): boolean => seen.ns.includes(n);
  if (s.resumable) return void (push(), await waitFor(seen.count$, arrived, LONG));
  for (let i = 0; i < 40 && !arrived(); i++) {
    push();
    await waitFor(seen.count$, arrived, 500).catch(() => undefined);
  }
  expect(arrived()).toBe(true);
}

/**
 * Pushes 1..n reached the client once each, in order, and every reopen says recovered. Where the server cannot
 * resume: what arrived is in order and once each (the last push may repeat, see {@link finish}), and if anything
 * is missing a reopen said `recovered: false`: never a silent hole.
 */
function expectOnceInOrder(s: TestServer<DefaultEventMap>, seen: Seen, n: number): void {
  if (s.resumable) {
    expect(seen.ns).toEqual(range(1, n));
    expect(seen.reopens.every((r) => r.recovered)).toBe(true);
    return;
  }
  // A repeated last push (see finish) arrives next to itself: count it once.
  const ns = seen.ns.filter((k, i) => i === 0 || k !== seen.ns[i - 1]);
  expect(ns.every((k, i) => i === 0 || k > ns[i - 1]!)).toBe(true);
  if (ns.length < n) expect(seen.reopens.some((r) => !r.recovered)).toBe(true);
  expect(seen.reopens.every((r) => !r.recovered && r.replayed === 0)).toBe(true);
}

/**
 * The reopen after a controlled outage said `expected`. Others may come (a keep-alive timeout on a loaded
 * machine): where the server resumes they must say recovered; elsewhere they cannot.
 */
function expectReopen(s: TestServer<DefaultEventMap>, seen: Seen, expected: ClientRecovery): void {
  expect(seen.reopens).toContainEqual(expected);
  const others = [...seen.reopens];
  others.splice(others.findIndex((r) => r.recovered === expected.recovered && r.replayed === expected.replayed), 1);
  for (const r of others) expect(r.recovered).toBe(s.resumable);
}

/** Pushes `n/x` from..to to a uid (or broadcasts them), letting I/O run every 20. */
async function pushAll(s: TestServer<DefaultEventMap>, uid: string | undefined, from: number, to: number, each?: (n: number) => void): Promise<void> {
  for (let n = from; n <= to; n++) {
    if (uid === undefined) s.chsk.broadcast(['n/x', n]);
    else s.chsk.send(uid, ['n/x', n]);
    each?.(n);
    if (n % 20 === 0) await tick();
  }
}

describe.each(MATRIX)('resume over $type / $packerName', ({ type, packer }) => {
  let s: TestServer<DefaultEventMap>;
  let proxy: FaultProxy;
  const start = async (o: ServerOptions = {}): Promise<void> => {
    s = await startServer({ packer, keepAlive: { idleMs: 400, timeoutMs: 400 }, wsGraceMs: 100, ajaxGraceMs: 1000, resume: { maxEntries: 5000 }, ...o });
    proxy = await FaultProxy.start(Number(new URL(s.url).port));
  };
  const client = (uid: string, o: ClientOptions = {}): ChannelSocketClient<DefaultEventMap> =>
    s.client({
      url: `http://127.0.0.1:${proxy.port}/chsk`,
      params: { uid },
      type,
      packer,
      keepAlive: { idleMs: 400, timeoutMs: 400 },
      backoff: exponentialBackoff({ initialMs: 20, maxMs: 200, jitter: 'equal' }),
      ...o,
    });
  /** Pushes 16 KiB events to `uid` until the server reports it slow (at most 4,000); answers how many it pushed. */
  const pushUntilSlow = async (uid: string, reported: Promise<unknown>): Promise<number> => {
    const blob = 'x'.repeat(16 * 1024);
    let n = 0;
    let slow = false;
    void reported.then(() => (slow = true));
    while (n < 4000 && !slow) {
      s.chsk.send(uid, ['n/x', { n: ++n, blob }]);
      if (n % 50 === 0) await new Promise((r) => setTimeout(r, 10));
    }
    await reported;
    return n;
  };
  /** Takes the network away until the client notices (Ajax retries its poll for ~4 s first), then gives it back. */
  const outage = async (cs: ChannelSocketClient<DefaultEventMap>[], meanwhile: () => Promise<void>): Promise<void> => {
    await proxy.pause();
    for (const c of cs) await waitFor(c.state$, (st) => !st.open, LONG);
    await meanwhile();
    await proxy.resume();
    for (const c of cs) await waitFor(c.state$, (st) => st.open, LONG);
  };
  afterEach(async () => {
    await proxy?.close();
    await s?.stop();
  });

  test('a reset in the middle of 2,000 pushes: every push arrives once, in order; a reopen says recovered', async () => {
    await start();
    const c = client('r1');
    const seen = watch(c);
    await waitFor(c.state$, (st) => st.open);
    let cut = false;
    c.events$.subscribe(() => {
      if (!cut && seen.ns.length >= 300) (cut = true), proxy.reset();
    });
    await pushAll(s, 'r1', 1, 2000);
    // The client may still be reading what it had received before the cut: a WebSocket link reopens after it.
    if (type === 'ws') await waitFor(seen.reopened$, (k) => k >= 1, LONG);
    await waitFor(c.state$, (st) => st.open, LONG);
    // One more, after everything: nothing was delivered twice meanwhile.
    await finish(s, 'r1', seen, 2001);
    expect(cut).toBe(true);
    expectOnceInOrder(s, seen, 2001);
    if (type === 'ws') expect(seen.reopens.length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  test('a blackholed link is found by keep-alive; the client resumes where it was', async () => {
    await start();
    const c = client('h1');
    const seen = watch(c);
    await waitFor(c.state$, (st) => st.open);
    await pushAll(s, 'h1', 1, 100);
    await waitFor(seen.count$, (n) => n >= 100);
    proxy.mode = 'blackhole';
    await pushAll(s, 'h1', 101, 600); // written into a link that is dead
    await waitFor(c.state$, (st) => !st.open && st.lastClose?.reason === 'keepalive-timeout', LONG);
    proxy.mode = 'forward';
    proxy.reset();
    await waitFor(c.state$, (st) => st.open, LONG);
    await finish(s, 'h1', seen, 601);
    expectOnceInOrder(s, seen, 601);
    expect(seen.reopens.length).toBeGreaterThanOrEqual(1);
    if (s.resumable) expect(seen.reopens.reduce((a, r) => a + r.replayed, 0)).toBeGreaterThan(0);
  }, 60_000);

  test('a log too small for the outage: recovered false, nothing replayed, never a silent hole', async () => {
    await start({ resume: { maxEntries: 10 } });
    const c = client('t1');
    const seen = watch(c);
    await waitFor(c.state$, (st) => st.open);
    await pushAll(s, 't1', 1, 5);
    await waitFor(seen.count$, (n) => n >= 5);
    await outage([c], () => pushAll(s, 't1', 6, 50));
    expectReopen(s, seen, { recovered: false, replayed: 0 });
    await pushAll(s, 't1', 51, 55);
    await waitFor(seen.count$, (n) => n >= 10, LONG);
    expect(seen.ns).toEqual([...range(1, 5), ...range(51, 55)]);
  }, 60_000);

  test('a server restart behind the same address: a new epoch, recovered false, and pushes flow again', async () => {
    await start();
    const c = client('e1');
    const seen = watch(c);
    await waitFor(c.state$, (st) => st.open);
    await pushAll(s, 'e1', 1, 10);
    await waitFor(seen.count$, (n) => n >= 10);
    // The server goes away (not the client: the harness's stop() would disconnect it) and a new one comes up.
    const old = s;
    await old.chsk.close();
    old.http.closeAllConnections();
    await new Promise<void>((r) => old.http.close(() => r()));
    await waitFor(c.state$, (st) => !st.open, LONG);
    s = await startServer({ packer, keepAlive: { idleMs: 400, timeoutMs: 400 } });
    proxy.retarget(Number(new URL(s.url).port));
    await waitFor(c.state$, (st) => st.open, LONG);
    expectReopen(s, seen, { recovered: false, replayed: 0 });
    await pushAll(s, 'e1', 11, 15);
    await waitFor(seen.count$, (n) => n >= 15, LONG);
    expect(seen.ns).toEqual(range(1, 15));
    c.disconnect();
  }, 60_000);

  test('broadcasts are resumed for every recipient', async () => {
    await start();
    const cs = ['b1', 'b2', 'b3'].map((uid) => client(uid));
    const seen = cs.map(watch);
    for (const c of cs) await waitFor(c.state$, (st) => st.open);
    await pushAll(s, undefined, 1, 10);
    for (const v of seen) await waitFor(v.count$, (n) => n >= 10);
    await outage(cs, () => pushAll(s, undefined, 11, 300));
    for (const v of seen) await finish(s, undefined, v, 301);
    for (const v of seen) {
      expectOnceInOrder(s, v, 301);
      expectReopen(s, v, s.resumable ? { recovered: true, replayed: 290 } : { recovered: false, replayed: 0 });
    }
  }, 60_000);

  if (type !== 'ajax') {
    test("slowConsumer 'drop': the client sees the gap, reconnects ('resync') and gets the dropped pushes replayed", async () => {
      await start({ maxBufferedBytes: 256 * 1024, slowConsumerMs: 100, slowConsumer: 'drop', wsBatchMs: 0, keepAlive: false, resume: { maxEntries: 10_000, maxBytes: 256 * 1024 * 1024 } });
      // Without replay logs (an adapter that assigns no offsets) 'drop' loses frames: reported on the server only.
      if (!s.resumable) return;
      const reported = waitFor(s.chsk.errors$, (e) => e.code === ErrorCode.SlowConsumer, LONG);
      const c = client('dropper', { keepAlive: false });
      const seen = watch(c);
      const reasons: string[] = [];
      c.state$.subscribe((st) => st.lastClose && reasons[reasons.length - 1] !== st.lastClose.reason && reasons.push(st.lastClose.reason));
      await waitFor(c.state$, (st) => st.open);
      proxy.stall();
      const blob = 'x'.repeat(16 * 1024);
      let n = await pushUntilSlow('dropper', reported);
      // Dropped while the reader is over the bound.
      for (let i = 0; i < 50; i++) s.chsk.send('dropper', ['n/x', { n: ++n, blob }]);
      proxy.unstall();
      // A gap shows at the next push that gets through: offer one every 250 ms (dropped too while the backlog
      // drains) until the client notices and reconnects.
      for (let i = 0; i < 80 && c.state$.value.lastClose?.reason !== 'resync'; i++) {
        s.chsk.send('dropper', ['n/x', ++n]);
        await waitFor(c.state$, (st) => st.lastClose?.reason === 'resync', 250).catch(() => undefined);
      }
      expect(c.state$.value.lastClose?.reason).toBe('resync');
      await waitFor(c.state$, (st) => st.open, LONG);
      await finish(s, 'dropper', seen, ++n);
      expectOnceInOrder(s, seen, n);
      expect(reasons).toContain('resync');
      expect(seen.reopens.length).toBeGreaterThanOrEqual(1);
    }, 60_000);

    test('a slow consumer closed with 1013 reconnects and catches up', async () => {
      // The server's keep-alive is off here: its ping would sit behind the stalled backlog and close the link
      // with 4408 before the slow-consumer check closes it with 1013 (a loaded machine pushes slower).
      await start({ maxBufferedBytes: 256 * 1024, slowConsumerMs: 100, wsBatchMs: 0, keepAlive: false, resume: { maxEntries: 10_000, maxBytes: 256 * 1024 * 1024 } });
      const reported = waitFor(s.chsk.errors$, (e) => e.code === ErrorCode.SlowConsumer, LONG);
      const c = client('slow', { keepAlive: false });
      const seen = watch(c);
      await waitFor(c.state$, (st) => st.open);
      proxy.stall();
      // Push until the server gives up on it, then 50 more while it is gone.
      let n = await pushUntilSlow('slow', reported);
      for (let i = 0; i < 50; i++) s.chsk.send('slow', ['n/x', ++n]);
      proxy.unstall();
      await waitFor(c.state$, (st) => st.lastWsClose?.code === 1013, LONG);
      await waitFor(c.state$, (st) => st.open, LONG);
      await finish(s, 'slow', seen, ++n);
      expectOnceInOrder(s, seen, n);
      expect(seen.reopens.length).toBeGreaterThanOrEqual(1);
    }, 60_000);
  }
});

describe.each(MATRIX.filter((m) => m.type === 'auto'))('resume across the Ajax ↔ WebSocket switch ($packerName)', ({ packer }) => {
  test('fallen back to Ajax, then moved back to WebSocket by the probe: each cut is resumed, every push once, in order', async () => {
    const s = await startServer({ packer, keepAlive: { idleMs: 400, timeoutMs: 400 }, wsGraceMs: 100, ajaxGraceMs: 1000 }, { upgrades: 'refuse' });
    const proxy = await FaultProxy.start(Number(new URL(s.url).port));
    try {
      const c = s.client({
        url: `http://127.0.0.1:${proxy.port}/chsk`,
        params: { uid: 'sw' },
        type: 'auto',
        packer,
        upgradeIntervalMs: 100,
        keepAlive: { idleMs: 400, timeoutMs: 400 },
        backoff: exponentialBackoff({ initialMs: 20, maxMs: 200, jitter: 'equal' }),
      });
      const seen = watch(c);
      await waitFor(c.state$, (st) => st.open && st.type === 'ajax', LONG);
      await pushAll(s, 'sw', 1, 50);
      await waitFor(seen.count$, (n) => n >= 50, LONG);
      // A cut on Ajax: the new Ajax handshake presents the positions.
      await proxy.pause();
      await waitFor(c.state$, (st) => !st.open, LONG);
      await pushAll(s, 'sw', 51, 150);
      await proxy.resume();
      await waitFor(c.state$, (st) => st.open, LONG);
      await finish(s, 'sw', seen, 151);
      expectReopen(s, seen, s.resumable ? { recovered: true, replayed: 100 } : { recovered: false, replayed: 0 });
      // Upgrades allowed again: the probe moves the same connection onto a WebSocket (no handshake, positions go on).
      s.setUpgrades('accept');
      await waitFor(c.state$, (st) => st.open && st.type === 'ws', LONG);
      await pushAll(s, 'sw', 152, 200);
      await waitFor(seen.count$, () => seen.ns.includes(200), LONG);
      // A cut on the WebSocket: the reconnect (WebSocket again) presents them.
      let cut = false;
      const at = seen.ns.length;
      c.events$.subscribe(() => {
        if (!cut && seen.ns.length >= at + 100) (cut = true), proxy.reset();
      });
      await pushAll(s, 'sw', 201, 1000);
      // The client may still be reading what it had received before the cut: the socket reopens after it.
      await waitFor(seen.reopened$, (k) => k >= 2, LONG);
      await waitFor(c.state$, (st) => st.open, LONG);
      await finish(s, 'sw', seen, 1001);
      expect(cut).toBe(true);
      expectOnceInOrder(s, seen, 1001);
      expect(seen.reopens.length).toBeGreaterThanOrEqual(2);
    } finally {
      await proxy.close();
      await s.stop();
    }
  }, 60_000);
});
