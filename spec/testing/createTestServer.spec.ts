import { TestScheduler } from 'rxjs/testing';
import { map, filter, Observable } from 'rxjs';
import { createTestServer } from '../../src/testing';
import {
  BufferOverflowError,
  ChannelClosedError,
  ErrorCode,
  ReplyTimeoutError,
  ofEvent,
  push,
  reply,
  type Effect,
  type ServerEventMsg,
} from '../../src';
import { exponentialBackoff } from '../../src/operators/exponentialBackoff';

interface Chat {
  'chat/send': { data: { text: string }; reply: { ok: boolean; n: number } };
  'chat/msg': { data: { from: string | null; text: string } };
  'chat/slow': { data: number; reply: number };
}

/** The kind of handler users write: a pure function from messages to effects. */
const chatHandler = (msg$: Observable<ServerEventMsg<Chat>>): Observable<Effect<Chat>> =>
  msg$.pipe(
    ofEvent('chat/send'),
    map((m, i) => reply(m, { ok: true, n: i + 1 })),
  );

let ts: TestScheduler;
beforeEach(() => {
  ts = new TestScheduler((a, b) => expect(a).toEqual(b));
});

const noBackoff = { backoff: () => 10, keepAlive: false as const };

test('a handler is marble-tested with no server at all', () => {
  ts.run(({ hot, expectObservable }) => {
    const m = { id: 'chat/send', data: { text: 'hi' }, event: ['chat/send', { text: 'hi' }] } as unknown as ServerEventMsg<Chat>;
    const msg$ = hot('-a--a-|', { a: m });
    expectObservable(chatHandler(msg$)).toBe('-x--y-|', {
      x: { kind: 'reply', to: m, value: { ok: true, n: 1 } },
      y: { kind: 'reply', to: m, value: { ok: true, n: 2 } },
    });
  });
});

test('request/reply through the fake network in virtual time, with latency', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Chat>({ latencyMs: 5, keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    t.server.handle(chatHandler);
    const alice = t.client({ uid: 'alice', ...noBackoff });
    // connect 5 + handshake 5, then request 5 + reply 5
    expectObservable(alice.send(['chat/send', { text: 'hi' }])).toBe('20ms (r|)', { r: { ok: true, n: 1 } });
  });
});

test('a request with no answer errors with ReplyTimeoutError at its deadline', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Chat>({ requestTimeoutMs: 10_000, keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    const c = t.client(noBackoff);
    expectObservable(c.send(['chat/slow', 1], { timeoutMs: 100 })).toBe('100ms #', undefined, new ReplyTimeoutError('chat/slow', 100));
  });
});

test('sends made while offline wait in order and go out on open; counters and next retry are in state$', () => {
  ts.run(({ expectObservable, flush }) => {
    const t = createTestServer<Chat>({ keepAlive: false });
    ts.schedule(() => t.stop(), 5000);
    const got: unknown[] = [];
    t.server.events$.pipe(filter((m) => m.id === 'chat/send')).subscribe((m) => {
      got.push((m.data as { text: string }).text);
      m.reply?.({ ok: true, n: got.length });
    });
    t.refuseConnections(true);
    const c = t.client({ uid: 'u', backoff: exponentialBackoff({ initialMs: 100, maxMs: 1000, jitter: 'none' }), keepAlive: false });
    const attempts: Array<[number, number, number | null]> = [];
    c.state$.subscribe((s) => attempts.push([ts.now(), s.reconnectAttempt, s.nextReconnectAt]));
    expectObservable(c.send(['chat/send', { text: 'one' }], { timeoutMs: 10_000 })).toBe('700ms (a|)', { a: { ok: true, n: 1 } });
    expectObservable(c.send(['chat/send', { text: 'two' }], { timeoutMs: 10_000 })).toBe('700ms (b|)', { b: { ok: true, n: 2 } });
    // Refused at 0, 100 (after 100), 300 (after 200); the next try is at 700 (after 400).
    ts.schedule(() => t.refuseConnections(false), 350);
    let at4000: unknown;
    ts.schedule(() => (at4000 = c.state$.value), 4000);
    flush();
    expect(got).toEqual(['one', 'two']);
    const withRetry = attempts.filter(([, , next]) => next !== null).map(([at, n, next]) => [at, n, next]);
    expect(withRetry).toEqual([
      [0, 1, 100],
      [100, 2, 300],
      [300, 3, 700],
    ]);
    expect(at4000).toMatchObject({ open: true, reconnectAttempt: 0, nextReconnectAt: null });
  });
});

test('a request waiting offline past its deadline errors with ReplyTimeoutError (the deadline counts from the call)', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Chat>({ keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    t.refuseConnections(true);
    const c = t.client(noBackoff);
    expectObservable(c.send(['chat/send', { text: 'x' }], { timeoutMs: 50 })).toBe('50ms #', undefined, new ReplyTimeoutError('chat/send', 50));
  });
});

test('the offline buffer is bounded: overflow errors with BufferOverflowError (CHSK_BUFFER_FULL)', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Chat>({ keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    t.refuseConnections(true);
    const c = t.client({ ...noBackoff, maxBufferedSends: 2 });
    c.send(['chat/send', { text: '1' }]).subscribe({ error: () => undefined });
    c.send(['chat/send', { text: '2' }]).subscribe({ error: () => undefined });
    expectObservable(c.send(['chat/send', { text: '3' }])).toBe('#', undefined, new BufferOverflowError(2));
  });
});

test('disconnect() fails everything waiting with ChannelClosedError and stops reconnecting', () => {
  ts.run(({ expectObservable, flush }) => {
    const t = createTestServer<Chat>({ keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    t.refuseConnections(true);
    const c = t.client(noBackoff);
    const waiting = c.send(['chat/send', { text: 'x' }]);
    expectObservable(waiting).toBe('30ms #', undefined, new ChannelClosedError('closed (requested-disconnect)'));
    ts.schedule(() => c.disconnect(), 30);
    ts.schedule(() => t.refuseConnections(false), 40);
    flush();
    expect(c.state$.value).toMatchObject({ open: false, nextReconnectAt: null, lastClose: { reason: 'requested-disconnect' } });
  });
});

test('client keep-alive: a silent server is detected, the client reconnects and the counter resets', () => {
  ts.run(({ flush }) => {
    const t = createTestServer<Chat>({ keepAlive: false });
    ts.schedule(() => t.stop(), 5000);
    const c = t.client({ clientId: 'ka', keepAlive: { idleMs: 1000, timeoutMs: 500 }, backoff: () => 100 });
    const reasons: Array<[number, string | undefined, boolean]> = [];
    c.state$.subscribe((s) => reasons.push([ts.now(), s.lastClose?.reason, s.open]));
    ts.schedule(() => t.link('ka').blackhole(), 10);
    ts.schedule(() => t.link('ka').restore(), 1600);
    let at4000 = c.state$.value;
    ts.schedule(() => (at4000 = c.state$.value), 4000);
    flush();
    // Silent since 0: ping at 1000, dead at 1500, retry at 1600 → open again.
    expect(reasons).toContainEqual([1500, 'keepalive-timeout', false]);
    expect(reasons.filter(([at]) => at < 5000).at(-1)).toEqual([1600, 'keepalive-timeout', true]);
    expect(at4000).toMatchObject({ open: true, reconnectAttempt: 0 });
  });
});

test('client keep-alive pings keep an idle but healthy link open', () => {
  ts.run(({ flush }) => {
    const t = createTestServer<Chat>({ keepAlive: false });
    const c = t.client({ keepAlive: { idleMs: 1000, timeoutMs: 500 }, backoff: () => 100 });
    ts.schedule(() => t.stop(), 10_001);
    const closes: unknown[] = [];
    c.state$.subscribe((s) => s.lastClose && s.lastClose !== closes.at(-1) && closes.push(s.lastClose));
    ts.schedule(() => c.disconnect(), 10_000);
    flush();
    expect(closes).toEqual([{ at: 10_000, reason: 'requested-disconnect' }]);
  });
});

test('server keep-alive closes a silent connection and connectedUids$ drops the uid after the grace period', () => {
  ts.run(({ flush }) => {
    const t = createTestServer<Chat>({ keepAlive: { idleMs: 1000, timeoutMs: 500 }, wsGraceMs: 200 });
    const errors: string[] = [];
    t.server.errors$.subscribe((e) => errors.push(e.code));
    t.client({ uid: 'zed', clientId: 'z', keepAlive: false, backoff: () => 60_000 });
    ts.schedule(() => t.stop(), 5000);
    const seen: Array<[number, boolean]> = [];
    t.server.connectedUids$.subscribe((u) => seen.push([ts.now(), u.any.has('zed')]));
    ts.schedule(() => t.link('z').blackhole(), 1);
    flush();
    expect(errors).toEqual([ErrorCode.KeepAliveTimeout]);
    expect(seen.filter(([at]) => at < 5000)).toEqual([
      [0, false],
      [0, true],
      [1700, false],
    ]);
  });
});

test('push batching: a push while idle leaves at once, pushes inside the window arrive together at its end, in order', () => {
  ts.run(({ flush }) => {
    // batchIdleMs longer than the window: the window alone decides (the next test shows the idle end).
    const t = createTestServer<Chat>({ wsBatchMs: 30, batchIdleMs: 100, keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    const c = t.client({ uid: 'bo', ...noBackoff });
    const got: Array<[number, string]> = [];
    c.events$.subscribe(([, d]) => got.push([ts.now(), (d as { text: string }).text]));
    ts.schedule(() => t.server.send('bo', ['chat/msg', { from: null, text: 'a' }]), 5);
    ts.schedule(() => t.server.send('bo', ['chat/msg', { from: null, text: 'b' }]), 20);
    ts.schedule(() => t.server.send('bo', ['chat/msg', { from: null, text: 'c' }]), 50);
    ts.schedule(() => t.server.send('bo', ['chat/msg', { from: null, text: 'now' }], { flush: true }), 60);
    flush();
    // 'a' leaves at once and opens a window (5..35); 'b' waits for its end, which opens the next window
    // (35..65) because it carried a value; 'c' (50) waits in it until 'now' flushes both at 60.
    expect(got).toEqual([
      [5, 'a'],
      [35, 'b'],
      [60, 'c'],
      [60, 'now'],
    ]);
  });
});

test('push batching: a burst leaves batchIdleMs after its last push instead of waiting out the window', () => {
  ts.run(({ flush }) => {
    const t = createTestServer<Chat>({ wsBatchMs: 30, batchIdleMs: 4, keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    const c = t.client({ uid: 'bo', ...noBackoff });
    const got: Array<[number, string]> = [];
    c.events$.subscribe(([, d]) => got.push([ts.now(), (d as { text: string }).text]));
    const at = (ms: number, text: string): void => void ts.schedule(() => t.server.send('bo', ['chat/msg', { from: null, text }]), ms);
    // A burst: 'a' leads; 'b'..'d' come 2 ms apart (faster than batchIdleMs) and leave together 4 ms after 'd'.
    at(5, 'a');
    at(6, 'b');
    at(8, 'c');
    at(10, 'd');
    // Later, 'e' finds the batch ended early, so it leads again; 'f'..'i' keep coming every 3 ms and the
    // window (opened by 'e' at 50, 30 ms) ends the batch at 80 although pushes never paused for 4 ms.
    at(50, 'e');
    for (let i = 0; i < 10; i++) at(53 + 3 * i, `f${i}`);
    flush();
    const times = (texts: string[]) => got.filter(([, x]) => texts.includes(x)).map(([ms]) => ms);
    expect(times(['a'])).toEqual([5]);
    expect(times(['b', 'c', 'd'])).toEqual([14, 14, 14]);
    expect(times(['e'])).toEqual([50]);
    expect(times(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8'])).toEqual([80, 80, 80, 80, 80, 80, 80, 80, 80]);
    expect(got.map(([, x]) => x)).toEqual(['a', 'b', 'c', 'd', 'e', 'f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9']);
  });
});

test('a reload inside the grace period does not flap uidport events', () => {
  ts.run(({ flush }) => {
    const t = createTestServer<Chat>({ wsGraceMs: 2500, keepAlive: false });
    ts.schedule(() => t.stop(), 10_000);
    const ports: Array<[number, string]> = [];
    t.server.events$.subscribe((m) => m.id.startsWith('chsk/uidport') && ports.push([ts.now(), m.id]));
    const tab1 = t.client({ uid: 'amy', ...noBackoff });
    ts.schedule(() => tab1.disconnect(), 100);
    ts.schedule(() => {
      const tab2 = t.client({ uid: 'amy', ...noBackoff });
      ts.schedule(() => tab2.disconnect(), 1000);
    }, 2000);
    flush();
    // tab1 leaves at 100, tab2 arrives at 2000 (inside the 2500 ms grace), leaves at 3000: one close at 5500.
    expect(ports).toEqual([
      [0, 'chsk/uidport-open'],
      [5500, 'chsk/uidport-close'],
    ]);
  });
});

test('effects from handle(): push to a uid', () => {
  ts.run(({ flush }) => {
    const t = createTestServer<Chat>({ keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    t.server.handle((msg$) =>
      msg$.pipe(
        ofEvent('chat/send'),
        map((m) => push<Chat>('bob', ['chat/msg', { from: m.uid, text: m.data.text }])),
      ),
    );
    const alice = t.client({ uid: 'alice', ...noBackoff });
    const bob = t.client({ uid: 'bob', ...noBackoff });
    const got: unknown[] = [];
    bob.events$.subscribe((e) => got.push(e));
    alice.emit(['chat/send', { text: 'hey bob' }]).subscribe();
    flush();
    expect(got).toEqual([['chat/msg', { from: 'alice', text: 'hey bob' }]]);
  });
});
