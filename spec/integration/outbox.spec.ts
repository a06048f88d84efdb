/**
 * Idempotent sends end to end (PROTOCOL.md, "Message ids"; issue 12 #3): real servers on port 0, real clients
 * through the TCP fault proxy, every transport and both packers. What was written and not answered when the link
 * dropped is sent again with the same mid and the server's dedupe keeps each handler to one run.
 */
import { firstValueFrom, lastValueFrom, type Observable } from 'rxjs';
import WebSocket from 'ws';
import { createChannelSocketClient, type ChannelSocketClient, type ClientOptions } from '../../src/client';
import type { ServerOptions } from '../../src/server';
import { ErrorCode, type ChannelError, type DefaultEventMap, type ServerEventMsg } from '../../src';
import { MATRIX, startServer, waitFor, type TestServer } from '../support/harness';
import { FaultProxy } from '../support/faultProxy';
import { waitUntil } from '../support/rawSession';
import { exponentialBackoff } from '../../src/operators/exponentialBackoff';

jest.setTimeout(30_000);

const started: Array<TestServer<DefaultEventMap>> = [];
const proxies: FaultProxy[] = [];
const clients: Array<ChannelSocketClient<DefaultEventMap>> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const p of proxies.splice(0)) await p.close();
  for (const s of started.splice(0)) await s.stop();
});

/** How a send ended: its value, 'done', or its error code. */
const settle = (o$: Observable<unknown>): Promise<unknown> =>
  lastValueFrom(o$, { defaultValue: 'done' }).then(
    (v) => v,
    (e: ChannelError) => e.code,
  );

describe.each(MATRIX)('$type / $packerName', ({ type, packer }) => {
  let uidN = 0;
  const start = async (opts: ServerOptions = {}) => {
    const s = await startServer<DefaultEventMap>({ packer, wsBatchMs: 0, ajaxBatchMs: 0, ...opts });
    started.push(s);
    const proxy = await FaultProxy.start(Number(new URL(s.url).port));
    proxies.push(proxy);
    const uid = `u${++uidN}${type}${packer.name}`;
    const client = (o: ClientOptions = {}) => {
      const c = createChannelSocketClient<DefaultEventMap>({
        url: `http://127.0.0.1:${proxy.port}/chsk?uid=${uid}`,
        WebSocket,
        type,
        packer,
        keepAlive: { idleMs: 300, timeoutMs: 300 },
        backoff: exponentialBackoff({ initialMs: 10, maxMs: 50, jitter: 'equal' }),
        timeoutMs: 20_000,
        ...o,
      });
      clients.push(c);
      return c;
    };
    return { s, proxy, client };
  };

  it('500 requests across repeated resets: each handler runs once, each request gets its reply', async () => {
    const { s, proxy, client } = await start({ rateLimit: false });
    const runs = new Map<number, number>();
    let replies = 0;
    s.chsk.events$.subscribe((m: ServerEventMsg) => {
      if (m.id !== 't/req') return;
      const n = m.data as number;
      runs.set(n, (runs.get(n) ?? 0) + 1);
      // The handler's work takes 0-99 ms (seeded by n): at each cut some answers are given, some still coming.
      setTimeout(() => {
        m.reply?.(n * 2);
        replies++;
      }, (n * 37) % 100);
    });
    const c = client();
    let reopens = 0;
    let wasOpen = false;
    c.state$.subscribe((st) => {
      if (st.open && !wasOpen && !st.firstOpen) reopens++;
      wasOpen = st.open;
    });
    // Five waves of 100 requests, each on the link that came back after the previous cut; a cut once half of
    // the wave is answered.
    const results: Array<Promise<unknown>> = [];
    for (let w = 0; w < 5; w++) {
      await waitFor(c.state$, (st) => st.open);
      const base = replies;
      for (let i = 0; i < 100; i++) results.push(settle(c.send(['t/req', w * 100 + i])));
      if (w === 4) break;
      await waitUntil(() => replies >= base + 50);
      proxy.reset();
      if (type !== 'ajax') await waitFor(c.state$, (st) => !st.open);
    }
    const all = await Promise.all(results);
    // Over Ajax a reset costs a retried poll, not the link (its queue is acknowledged): the blackhole test drops it.
    if (type !== 'ajax') expect(reopens).toBe(4);
    expect(all).toEqual([...Array(500).keys()].map((n) => n * 2));
    expect(runs.size).toBe(500);
    expect([...runs.values()].every((r) => r === 1)).toBe(true);
  });

  it('a blackhole long enough for both sides to drop the link: 200 requests in flight, each handled once, each answered', async () => {
    const { s, proxy, client } = await start({
      rateLimit: false,
      keepAlive: { idleMs: 150, timeoutMs: 150 },
      ajaxGraceMs: 300,
      longPollTimeoutMs: 400,
    });
    const runs = new Map<number, number>();
    s.chsk.events$.subscribe((m: ServerEventMsg) => {
      if (m.id !== 't/req') return;
      const n = m.data as number;
      runs.set(n, (runs.get(n) ?? 0) + 1);
      if (runs.size === 100) proxy.mode = 'blackhole';
      setTimeout(() => m.reply?.(n), n % 50);
    });
    const c = client({ ajaxTimeoutMs: 800 });
    await waitFor(c.state$, (st) => st.open);
    const all = Promise.all([...Array(200).keys()].map((n) => settle(c.send(['t/req', n]))));
    await waitFor(c.state$, (st) => !st.open);
    proxy.mode = 'forward';
    proxy.reset();
    expect(await all).toEqual([...Array(200).keys()]);
    expect(runs.size).toBe(200);
    expect([...runs.values()].every((r) => r === 1)).toBe(true);
  });

  it('1,000 emits across a cut: each handled once, in order', async () => {
    const { s, proxy, client } = await start();
    const got: number[] = [];
    s.chsk.events$.subscribe((m: ServerEventMsg) => {
      if (m.id !== 't/emit') return;
      got.push(m.data as number);
      if (got.length === 300) proxy.reset();
    });
    const c = client();
    await waitFor(c.state$, (st) => st.open);
    const all = await Promise.all([...Array(1000).keys()].map((n) => settle(c.emit(['t/emit', n]))));
    expect(all.every((r) => r === 'done')).toBe(true);
    expect(got).toEqual([...Array(1000).keys()]);
    expect(c.state$.value.lastClose?.reason).toBe('unexpected');
  });

  it('a repeated request is answered from the stored reply: the link drops as the handler replies', async () => {
    const { s, proxy, client } = await start();
    let runs = 0;
    s.chsk.events$.subscribe((m: ServerEventMsg) => {
      if (m.id !== 't/pay') return;
      runs++;
      proxy.reset();
      m.reply?.({ paid: m.data, run: runs });
    });
    const c = client();
    await waitFor(c.state$, (st) => st.open);
    await expect(firstValueFrom(c.send(['t/pay', 42]))).resolves.toEqual({ paid: 42, run: 1 });
    expect(runs).toBe(1);
    expect(c.state$.value.lastClose?.reason).toBe('unexpected');
  });

  it('CHSK_UNCERTAIN for a written send the app gives up on (disconnect), CHSK_CLOSED for one never written', async () => {
    const { s, proxy, client } = await start();
    const seen: string[] = [];
    let arrived!: () => void;
    const arrival = new Promise<void>((r) => (arrived = r));
    s.chsk.events$.subscribe((m: ServerEventMsg) => {
      if (m.id.startsWith('chsk/')) return;
      seen.push(m.id);
      arrived();
    });
    const c = client({ backoff: () => 60_000 });
    await waitFor(c.state$, (st) => st.open);
    const written = settle(c.send(['t/never', 1]));
    await arrival;
    proxy.reset();
    await waitFor(c.state$, (st) => !st.open);
    const buffered = settle(c.send(['t/offline', 2]));
    c.disconnect();
    await expect(written).resolves.toBe(ErrorCode.Uncertain);
    await expect(buffered).resolves.toBe(ErrorCode.Closed);
    expect(seen).toEqual(['t/never']);
  });

  it('a server restarted behind the same address with resume: false (a new dedupe epoch): a written, unanswered request errors CHSK_UNCERTAIN, its handler ran at most once', async () => {
    const { s, proxy, client } = await start({ resume: false });
    let runs = 0;
    const held = (m: ServerEventMsg): void => void (m.id === 't/held' && runs++); // never answers
    s.chsk.events$.subscribe(held);
    const c = client();
    await waitFor(c.state$, (st) => st.open);
    const r = settle(c.send(['t/held', 1]));
    await waitUntil(() => runs === 1);
    // The server crashes (no close frame: the link just dies) and a new process comes up behind the same address.
    const next = await startServer<DefaultEventMap>({ packer, wsBatchMs: 0, ajaxBatchMs: 0, resume: false });
    started.push(next);
    next.chsk.events$.subscribe(held);
    proxy.retarget(Number(new URL(next.url).port));
    proxy.reset();
    await expect(r).resolves.toBe(ErrorCode.Uncertain);
    await waitFor(c.state$, (st) => st.open);
    // Nothing was sent again: a fresh send is the next thing the new server handles.
    next.chsk.events$.subscribe((m: ServerEventMsg) => m.id === 't/after' && m.reply?.('ok'));
    await expect(firstValueFrom(c.send(['t/after', 2]))).resolves.toBe('ok');
    expect(runs).toBe(1);
  });

  it('a server with dedupe: false: the client does not send again and reports CHSK_UNCERTAIN', async () => {
    const { s, proxy, client } = await start({ dedupe: false });
    let runs = 0;
    s.chsk.events$.subscribe((m: ServerEventMsg) => {
      if (m.id !== 't/once') return;
      runs++;
      proxy.reset();
    });
    const c = client();
    await waitFor(c.state$, (st) => st.open);
    const r = settle(c.send(['t/once', 1]));
    const e = settle(c.emit(['t/once', 2]));
    await expect(r).resolves.toBe(ErrorCode.Uncertain);
    await expect(e).resolves.toBe(ErrorCode.Uncertain);
    await waitFor(c.state$, (st) => st.open);
    expect(runs).toBeLessThanOrEqual(2);
    // Nothing was sent again: a fresh send is the next thing the server sees.
    s.chsk.events$.subscribe((m: ServerEventMsg) => m.id === 't/after' && m.reply?.('ok'));
    await expect(firstValueFrom(c.send(['t/after', 3]))).resolves.toBe('ok');
    expect(runs).toBeLessThanOrEqual(2);
  });
});
