/**
 * The client's pacer (issue 10 #5), alone and inside the client, in virtual time: what it writes never takes
 * more tokens than a server bucket of the handshake's `rl` holds, and order is kept.
 */
import { TestScheduler } from 'rxjs/testing';
import { Pacer } from '../../src/client/Pacer';
import { createChannelSocketClient } from '../../src/client';
import { TokenBucket } from '../../src/server/TokenBucket';
import { fakeClientTransport, hs } from './fakeClientTransport';

describe('Pacer', () => {
  test('no limit: every take succeeds and nothing waits', () => {
    const p = new Pacer(() => 0);
    p.reset(undefined);
    for (let i = 0; i < 10_000; i++) expect(p.take()).toBe(true);
    expect(p.waitMs()).toBe(0);
  });

  test('a tiny rate beside its burst keeps the whole burst (3 at once, one an hour → 3); never less than one', () => {
    const p = new Pacer(() => 0);
    p.reset({ r: 0.001, b: 3 });
    expect([p.take(), p.take(), p.take(), p.take()]).toEqual([true, true, true, false]);
    p.reset({ r: 10, b: 1 });
    expect([p.take(), p.take()]).toEqual([true, false]);
  });

  test('a full bucket of the burst less a reserve (one second of the rate, at most half the burst), refilled at 95 % of the rate; waitMs says when the next token comes', () => {
    let now = 0;
    const p = new Pacer(() => now);
    p.reset({ r: 100, b: 10 });
    let n = 0;
    while (p.take()) n++;
    expect(n).toBe(5);
    // 0.095 tokens per ms: the next token in ceil(1 / 0.095) = 11 ms.
    expect(p.waitMs()).toBe(11);
    now = 10;
    expect(p.take()).toBe(false);
    now = 11;
    expect(p.take()).toBe(true);
    // The bucket never holds more than its capacity, whatever the pause.
    now = 1_000_000;
    n = 0;
    while (p.take()) n++;
    expect(n).toBe(5);
  });

  test('force() takes a token even when there is none, and later takes wait for the debt', () => {
    let now = 0;
    const p = new Pacer(() => now);
    p.reset({ r: 1000, b: 1 });
    expect(p.take()).toBe(true);
    p.force();
    expect(p.waitMs()).toBe(Math.ceil(2 / 0.95));
    now = 2;
    expect(p.take()).toBe(false);
    now = 3;
    expect(p.take()).toBe(true);
  });

  test('a malformed rl means no limit; a clock going backwards grants nothing', () => {
    let now = 100;
    const p = new Pacer(() => now);
    p.reset({ r: 0, b: 5 });
    expect(p.waitMs()).toBe(0);
    p.reset({ r: 10, b: 1 });
    expect(p.take()).toBe(true);
    now = 0;
    expect(p.take()).toBe(false);
  });
});

describe('the client paces its writes to the handshake rate limit', () => {
  test.each([
    { r: 200, b: 400, n: 1000 },
    { r: 10, b: 5, n: 60 },
    { r: 0.5, b: 1, n: 4 },
  ])('rl $r/s burst $b: $n buffered emits go out in order, none beyond a server bucket', ({ r, b, n }) => {
    const ts = new TestScheduler((x, y) => expect(x).toEqual(y));
    ts.run(() => {
      // The server's own bucket, fed each message at the virtual moment the client writes it.
      const server = new TokenBucket(r, b, () => ts.now());
      let refused = 0;
      const f = fakeClientTransport(() => void (server.take() || refused++));
      const c = createChannelSocketClient({ url: 'http://x/chsk', transport: f.transport, keepAlive: false, scheduler: ts, timeoutMs: Infinity, maxBufferedSends: n });
      for (let i = 0; i < n; i++) c.emit(['t/n', i]).subscribe({ error: () => undefined });
      expect(f.written).toHaveLength(0);
      ts.schedule(() => f.serve(hs({ r, b })), 10);
      const endMs = 10 + Math.ceil(((n / r) * 1000) / Pacer.RATE_SHARE) + 100;
      ts.schedule(() => {
        expect(refused).toBe(0);
        expect(f.written.map((m) => (m.ev as unknown[])[1])).toEqual(Array.from({ length: n }, (_, i) => i));
        c.disconnect();
      }, endMs + 1);
    });
  });

  test('a send made while others wait for tokens queues behind them; nothing is written after the link drops', () => {
    const ts = new TestScheduler((x, y) => expect(x).toEqual(y));
    ts.run(() => {
      const f = fakeClientTransport();
      const c = createChannelSocketClient({ url: 'http://x/chsk', transport: f.transport, keepAlive: false, scheduler: ts, timeoutMs: Infinity, backoff: () => 1000 });
      f.serve(hs({ r: 10, b: 1 }));
      for (let i = 0; i < 4; i++) c.emit(['t/n', i]).subscribe({ error: () => undefined });
      expect(f.written).toHaveLength(1); // a burst of 1: one at once, then one per ~105 ms
      c.send(['t/q', 'late']).subscribe({ error: () => undefined });
      ts.schedule(() => expect(f.written.map((m) => (m.ev as unknown[])[1])).toEqual([0, 1]), 106);
      ts.schedule(() => f.drop(), 150);
      ts.schedule(() => expect(f.written).toHaveLength(2), 900);
      ts.schedule(() => {
        f.serve(hs({ r: 10, b: 1 }));
        expect(f.written.map((m) => (m.ev as unknown[])[1])).toEqual([0, 1, 2]);
      }, 1200);
      ts.schedule(() => {
        expect(f.written.map((m) => (m.ev as unknown[])[1])).toEqual([0, 1, 2, 3, 'late']);
        c.disconnect();
      }, 1500);
    });
  });
});
