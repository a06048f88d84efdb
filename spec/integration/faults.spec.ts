import { firstValueFrom } from 'rxjs';
import WebSocket from 'ws';
import { createChannelSocketClient } from '../../src/client';
import { startServer, waitFor, type TestServer } from '../support/harness';
import { FaultProxy } from '../support/faultProxy';
import { exponentialBackoff } from '../../src/operators/exponentialBackoff';
import type { DefaultEventMap } from '../../src';

// Real sockets through a TCP fault proxy. Keep-alive and grace periods are short real intervals here; the
// tests wait for states, never for a fixed time.
describe('faults on real sockets', () => {
  let s: TestServer<DefaultEventMap>;
  let proxy: FaultProxy;
  beforeEach(async () => {
    s = await startServer({ keepAlive: { idleMs: 150, timeoutMs: 150 }, wsGraceMs: 100, wsBatchMs: 0 });
    proxy = await FaultProxy.start(Number(new URL(s.url).port));
    s.chsk.events$.subscribe((m) => m.id === 'echo/n' && m.reply?.(m.data));
  });
  afterEach(async () => {
    await proxy.close();
    await s.stop();
  });

  const viaProxy = () =>
    createChannelSocketClient({
      url: `http://127.0.0.1:${proxy.port}/chsk?uid=ghost`,
      params: { uid: 'ghost' },
      WebSocket,
      keepAlive: { idleMs: 150, timeoutMs: 150 },
      backoff: exponentialBackoff({ initialMs: 50, maxMs: 200, jitter: 'equal' }),
    });

  test('a blackholed link is detected by keep-alive on both sides; the client reconnects with backoff and waiting sends go out after', async () => {
    const c = viaProxy();
    try {
      await waitFor(c.state$, (st) => st.open);
      expect(s.chsk.connectedUids$.value.any.has('ghost')).toBe(true);
      proxy.mode = 'blackhole';
      // Client side: silence past idle + timeout → keepalive-timeout, then retries with a backoff visible in state$.
      await waitFor(c.state$, (st) => !st.open && st.lastClose?.reason === 'keepalive-timeout');
      const retry = await waitFor(c.state$, (st) => st.reconnectAttempt >= 1 && st.nextReconnectAt !== null);
      expect(retry.nextReconnectAt).toBeGreaterThan(0);
      // Server side: it pinged, heard nothing, closed the connection and dropped the uid after the grace.
      await waitFor(s.chsk.connectedUids$, (u) => !u.any.has('ghost'));
      // Sends made while down wait in the buffer...
      const replies = Promise.all([1, 2, 3].map((n) => firstValueFrom(c.send(['echo/n', n], { timeoutMs: 10_000 }))));
      // ...and go out in order once the network heals.
      proxy.mode = 'forward';
      proxy.reset();
      await expect(replies).resolves.toEqual([1, 2, 3]);
      expect(c.state$.value).toMatchObject({ open: true, reconnectAttempt: 0, nextReconnectAt: null });
      expect(s.chsk.connectedUids$.value.any.has('ghost')).toBe(true);
    } finally {
      c.disconnect();
    }
  });

  test('a reset connection: the request in flight is sent again when the client comes back, and gets its reply once', async () => {
    const c = viaProxy();
    try {
      await waitFor(c.state$, (st) => st.open);
      let runs = 0;
      s.chsk.events$.subscribe((m) => {
        if (m.id !== 'reset/then-reply') return;
        runs++;
        proxy.reset();
        m.reply?.('kept');
      });
      await expect(firstValueFrom(c.send(['reset/then-reply', 1]))).resolves.toBe('kept');
      expect(runs).toBe(1);
      await waitFor(c.state$, (st) => st.open && st.lastClose?.reason === 'unexpected');
      await expect(firstValueFrom(c.send(['echo/n', 7]))).resolves.toBe(7);
    } finally {
      c.disconnect();
    }
  });

  test('a slow link still delivers every request in order', async () => {
    proxy.mode = 'slow';
    proxy.slowMs = 20;
    const c = viaProxy();
    try {
      await waitFor(c.state$, (st) => st.open);
      const got = await Promise.all([1, 2, 3, 4, 5].map((n) => firstValueFrom(c.send(['echo/n', n]))));
      expect(got).toEqual([1, 2, 3, 4, 5]);
    } finally {
      c.disconnect();
    }
  });
});
