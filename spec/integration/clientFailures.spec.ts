import { filter, firstValueFrom, interval, take, toArray } from 'rxjs';
import WebSocket from 'ws';
import { createChannelSocketClient, type ClientState } from '../../src/client';
import { ConfigError, ErrorCode, type ChannelError } from '../../src';
import { httpFetch } from '../../src/node';
import { startServer, waitFor, type TestServer } from '../support/harness';
import { FaultProxy } from '../support/faultProxy';
import type { DefaultEventMap } from '../../src';

const started: Array<TestServer<DefaultEventMap>> = [];
const clients: Array<{ disconnect(): void }> = [];
const proxies: FaultProxy[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const s of started.splice(0)) await s.stop();
  for (const p of proxies.splice(0)) await p.close();
});
const start = async (...args: Parameters<typeof startServer>) => {
  const s = await startServer<DefaultEventMap>(...args);
  started.push(s);
  return s;
};
const proxyTo = async (s: TestServer<DefaultEventMap>) => {
  const p = await FaultProxy.start(Number(new URL(s.url).port));
  proxies.push(p);
  return { proxy: p, url: `http://127.0.0.1:${p.port}/chsk` };
};
const fastBackoff = { backoff: () => 20 };

describe('a refused connection is CHSK_REJECTED (issue 10 #10)', () => {
  test("'ws': an upgrade refused for a bad CSRF token", async () => {
    const s = await start({ csrfToken: () => 'the-token' });
    const c = s.client({ type: 'ws', csrfToken: 'wrong', ...fastBackoff });
    const err = await waitFor(c.errors$, () => true);
    expect(err.code).toBe(ErrorCode.Rejected);
    expect(err.name).toBe('RejectedError');
    expect(err.message).toMatch(/403/);
    expect(c.state$.value.lastClose?.reason).toBe('rejected');
    c.disconnect();
  });

  test("'ajax': a refused handshake, and a request whose POST is refused, fail with CHSK_REJECTED", async () => {
    let token = 'the-token';
    const s = await start({ csrfToken: () => token });
    const c = await s.connected({ type: 'ajax', csrfToken: 'the-token', ...fastBackoff });
    token = 'rotated';
    const outcome = firstValueFrom(c.send(['x/any', 1])).catch((e: ChannelError) => e.code);
    await expect(outcome).resolves.toBe(ErrorCode.Rejected);
    const err = await waitFor(c.errors$, () => true);
    expect(err.code).toBe(ErrorCode.Rejected);
    await waitFor(c.state$, (st) => st.lastClose?.reason === 'rejected');
    c.disconnect();
  });

  test.each([undefined, '/chsk', 'chsk'])('a missing or relative url (%p) on Node is a ConfigError at creation', (url) => {
    expect(() => createChannelSocketClient({ url, WebSocket, autoConnect: false })).toThrow(ConfigError);
    expect(() => createChannelSocketClient({ url, WebSocket, autoConnect: false })).toThrow(/absolute/);
  });
});

describe("'auto' after WebSocket has opened (issue 10 #9)", () => {
  test('a server that is down is an outage: the client keeps retrying WebSocket and never falls back', async () => {
    const s = await start();
    const { proxy, url } = await proxyTo(s);
    const c = createChannelSocketClient({ url, WebSocket, ...fastBackoff });
    clients.push(c);
    await waitFor(c.state$, (st) => st.open && st.type === 'ws');
    const seen: ClientState[] = [];
    c.state$.subscribe((st) => seen.push(st));
    await proxy.pause();
    await waitFor(c.state$, (st) => st.reconnectAttempt >= 3);
    await proxy.resume();
    await waitFor(c.state$, (st) => st.open);
    c.disconnect();
    expect(seen.every((st) => st.type === 'ws')).toBe(true);
    expect(seen.some((st) => st.lastClose?.reason === 'downgrading-ws-to-ajax')).toBe(false);
    const failed = seen.filter((st) => !st.open && st.reconnectAttempt >= 2);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[failed.length - 1]!.lastWsError?.message).toMatch(/ECONNREFUSED/);
    expect(failed[failed.length - 1]!.lastWsClose).not.toBeNull();
  });

  test('signs of a blocked upgrade (403 to the upgrade) after an open still fall back to Ajax', async () => {
    const s = await start();
    const { proxy, url } = await proxyTo(s);
    const c = createChannelSocketClient({ url, WebSocket, ...fastBackoff });
    clients.push(c);
    await waitFor(c.state$, (st) => st.open && st.type === 'ws');
    s.setUpgrades('refuse');
    proxy.reset();
    await waitFor(c.state$, (st) => st.open && st.type === 'ajax', 10_000);
  });
});

describe('Ajax keeps its link across a TCP reset (issue 10 #13)', () => {
  test('pushes held by the server while the poll failed are delivered on the same link', async () => {
    const s = await start({}, { client: { type: 'ajax' } });
    const { proxy, url } = await proxyTo(s);
    const c = createChannelSocketClient({ url, type: 'ajax', fetch: httpFetch(), ...fastBackoff });
    clients.push(c);
    await waitFor(c.state$, (st) => st.open);
    const got = firstValueFrom(c.events$.pipe(take(3), toArray()));
    const opens: ClientState[] = [];
    c.state$.pipe(filter((st) => st.open)).subscribe((st) => opens.push(st));
    opens.length = 0;
    // Reset twice in a row: the poll fails, and so does its retry on the next connection (the way a stale
    // keep-alive socket fails it).
    for (let i = 0; i < 3; i++) {
      await waitFor(interval(1), () => proxy.connections > 0);
      proxy.reset();
      s.chsk.broadcast(['x/push', i]);
    }
    await expect(got).resolves.toEqual([
      ['x/push', 0],
      ['x/push', 1],
      ['x/push', 2],
    ]);
    expect(opens).toHaveLength(0); // no new handshake: the same link carried on
    expect(c.state$.value.open).toBe(true);
    c.disconnect();
  });
});
