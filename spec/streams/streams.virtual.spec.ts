import { TestScheduler } from 'rxjs/testing';
import { finalize, interval, map, mergeMap, NEVER, Observable, of, take, throwError } from 'rxjs';
import { createTestServer } from '../../src/testing';
import {
  ChannelClosedError,
  ErrorCode,
  RemoteError,
  ReplyTimeoutError,
  StreamCutError,
  ofEvent,
  replyStream,
  type Effect,
  type ServerEventMsg,
} from '../../src';

interface Ticks {
  'tick/watch': { data: { every: number; count?: number }; stream: number };
  'tick/fail': { data: number; stream: number };
  'tick/plain': { data: number; reply: number; stream: number };
  'tick/silent': { data: number; stream: number };
  'tick/burst': { data: number; stream: number };
}

let ts: TestScheduler;
beforeEach(() => {
  ts = new TestScheduler((a, b) => expect(a).toEqual(b));
});

const quiet = { backoff: () => 10, keepAlive: false as const };

/** The finalisations of the server's sources, with their virtual times. */
let finalised: number[];

/** A handler that streams a tick every `every` ms, `count` of them (forever without). */
const ticker = (msg$: Observable<ServerEventMsg<Ticks>>): Observable<Effect<Ticks>> =>
  msg$.pipe(
    ofEvent('tick/watch'),
    map((m) => {
      const ticks = interval(m.data.every).pipe(finalize(() => finalised.push(ts.now())));
      return replyStream(m, m.data.count === undefined ? ticks : ticks.pipe(take(m.data.count)));
    }),
  );

beforeEach(() => (finalised = []));

test('a handler that streams is marble-tested with no server: replyStream is a plain value', () => {
  ts.run(({ hot, expectObservable }) => {
    const m = { id: 'tick/watch', data: { every: 10, count: 2 }, event: ['tick/watch', { every: 10, count: 2 }] } as unknown as ServerEventMsg<Ticks>;
    const out = ticker(hot('-a-|', { a: m }));
    expectObservable(out.pipe(map((e) => e.kind))).toBe('-s-|', { s: 'reply-stream' });
  });
});

test('stream$ emits every item in order and completes when the source does (virtual time, latency 5)', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Ticks>({ latencyMs: 5, keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    t.server.handle(ticker);
    const c = t.client({ uid: 'u', ...quiet });
    // open at 10 (connect 5 + handshake 5); request reaches the server at 15; ticks at 25, 35, 45, each 5 ms on the wire
    expectObservable(c.stream$(['tick/watch', { every: 10, count: 3 }])).toBe('30ms a 9ms b 9ms (c|)', { a: 0, b: 1, c: 2 });
  });
});

test('a client that cancels: unsubscribing sends a cancel and the server runs the source finaliser', () => {
  ts.run(({ expectObservable, flush }) => {
    const t = createTestServer<Ticks>({ latencyMs: 5, keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    t.server.handle(ticker);
    const c = t.client({ uid: 'u', ...quiet });
    expectObservable(c.stream$(['tick/watch', { every: 10 }]), '^ 51ms !').toBe('30ms a 9ms b 9ms c', { a: 0, b: 1, c: 2 });
    flush();
    // unsubscribed at 52; the cancel reaches the server 5 ms later, before the tick of 55
    expect(finalised).toEqual([57]);
  });
});

test('take(n) on the client cancels the rest on the server', () => {
  ts.run(({ expectObservable, flush }) => {
    const t = createTestServer<Ticks>({ keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    t.server.handle(ticker);
    const c = t.client({ uid: 'u', ...quiet });
    expectObservable(c.stream$(['tick/watch', { every: 10 }]).pipe(take(2))).toBe('10ms a 9ms (b|)', { a: 0, b: 1 });
    flush();
    expect(finalised).toEqual([20]);
  });
});

test('a source that fails errors the stream with CHSK_HANDLER_ERROR; a ChannelError keeps its code', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Ticks>({ keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    const reports: string[] = [];
    t.server.errors$.subscribe((r) => reports.push(r.code));
    t.server.handle((msg$) =>
      msg$.pipe(
        ofEvent('tick/fail'),
        map((m) =>
          replyStream(
            m,
            m.data === 1
              ? interval(10).pipe(mergeMap((i) => (i < 2 ? of(i) : throwError(() => new Error('db gone')))))
              : interval(10).pipe(mergeMap((i) => (i < 1 ? of(i) : throwError(() => new RemoteError('APP_GONE', 'feed closed'))))),
          ),
        ),
      ),
    );
    const c = t.client({ uid: 'u', ...quiet });
    expectObservable(c.stream$(['tick/fail', 1])).toBe('10ms a 9ms b 9ms #', { a: 0, b: 1 }, new RemoteError(ErrorCode.HandlerError, 'the stream source failed'));
    expectObservable(c.stream$(['tick/fail', 2])).toBe('10ms a 9ms #', { a: 0 }, new RemoteError('APP_GONE', 'feed closed'));
  });
});

test('a handler failing mid-stream errors its streams with CHSK_HANDLER_ERROR and stops their sources', () => {
  ts.run(({ expectObservable, flush }) => {
    const t = createTestServer<Ticks>({ keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    t.server.handle((msg$) =>
      msg$.pipe(
        mergeMap((m) => {
          if (m.id === 'tick/watch') return of(replyStream(m, interval(10).pipe(finalize(() => finalised.push(ts.now())))));
          if (m.id === 'tick/fail') return throwError(() => new Error('handler bug'));
          return NEVER;
        }),
      ),
    );
    const c = t.client({ uid: 'u', ...quiet });
    expectObservable(c.stream$(['tick/watch', { every: 10 }])).toBe('10ms a 9ms b 4ms #', { a: 0, b: 1 }, new RemoteError(ErrorCode.HandlerError, 'the handler failed while streaming this reply'));
    ts.schedule(() => void c.emit(['tick/fail', 0]).subscribe({ error: () => undefined }), 25);
    flush();
    expect(finalised).toEqual([25]);
  });
});

test('a handler that answers a streamed request with a plain reply: one item, then complete', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Ticks>({ keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    t.server.events$.pipe(ofEvent('tick/plain')).subscribe((m) => m.reply?.(m.data * 2));
    const c = t.client({ uid: 'u', ...quiet });
    expectObservable(c.stream$(['tick/plain', 21])).toBe('(a|)', { a: 42 });
  });
});

test('replyStream to a request sent with send() answers CHSK_NOT_A_STREAM', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Ticks>({ keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    t.server.events$.pipe(ofEvent('tick/plain')).subscribe((m) => m.reply?.stream(of(1)));
    const c = t.client({ uid: 'u', ...quiet });
    expectObservable(c.send(['tick/plain', 1])).toBe('#', undefined, new RemoteError(ErrorCode.NotAStream, 'the server answers this request with a stream: use stream$'));
  });
});

test('a link drop mid-stream errors with StreamCutError (retryable) and stops the source; disconnect() errors CHSK_CLOSED', () => {
  ts.run(({ expectObservable, flush }) => {
    const t = createTestServer<Ticks>({ keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    t.server.handle(ticker);
    const c = t.client({ uid: 'u', clientId: 'cut', ...quiet });
    ts.schedule(() => t.link('cut').drop(), 25);
    expectObservable(c.stream$(['tick/watch', { every: 10 }])).toBe('10ms a 9ms b 4ms #', { a: 0, b: 1 }, new StreamCutError('tick/watch', 'unexpected'));
    const d = t.client({ uid: 'v', ...quiet });
    ts.schedule(() => d.disconnect(), 15);
    expectObservable(d.stream$(['tick/watch', { every: 10 }])).toBe('10ms a 4ms #', { a: 0 }, new ChannelClosedError('link closed with the request in flight (requested-disconnect)'));
    flush();
    expect(finalised.sort((a, b) => a - b)).toEqual([15, 25]);
  });
  expect(new StreamCutError('x', 'y').retryable).toBe(true);
});

test('no first answer within timeoutMs, or silence past idleTimeoutMs: CHSK_TIMEOUT, and the server is told to stop', () => {
  ts.run(({ expectObservable, flush }) => {
    const t = createTestServer<Ticks>({ keepAlive: false, requestTimeoutMs: 10_000 });
    ts.schedule(() => t.stop(), 5000);
    t.server.handle(ticker);
    const c = t.client({ uid: 'u', ...quiet });
    expectObservable(c.stream$(['tick/silent', 1], { timeoutMs: 100 })).toBe('100ms #', undefined, new ReplyTimeoutError('tick/silent', 100));
    expectObservable(c.stream$(['tick/watch', { every: 50 }], { idleTimeoutMs: 30 })).toBe('50ms a 29ms #', { a: 0 }, new ReplyTimeoutError('tick/watch', 30));
    flush();
    expect(finalised).toEqual([80]);
  });
});

test('flow control: with window 4 the server sends 4 items, then waits for credit; order is kept', () => {
  ts.run(({ flush }) => {
    const t = createTestServer<Ticks>({ keepAlive: false, latencyMs: 50 });
    ts.schedule(() => t.stop(), 100_000);
    let pulled = 0;
    function* rows(): Generator<number> {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield i;
      }
    }
    t.server.events$.pipe(ofEvent('tick/burst')).subscribe((m) => m.reply?.stream(rows()));
    const c = t.client({ uid: 'u', ...quiet });
    const got: number[] = [];
    let done = false;
    c.stream$(['tick/burst', 0], { window: 4 }).subscribe({ next: (v) => got.push(v), complete: () => (done = true) });
    const atServer: number[] = [];
    // The request reaches the server at 150: it pulls 4 at once, and then 2 per credit (a credit every half window)
    ts.schedule(() => atServer.push(pulled), 151);
    ts.schedule(() => atServer.push(pulled), 240);
    flush();
    expect(atServer).toEqual([4, 4]);
    expect(got).toEqual([...Array(100).keys()]);
    expect(done).toBe(true);
  });
});

test('an Observable that runs more than a window ahead of the credit ends with CHSK_STREAM_OVERFLOW', () => {
  ts.run(({ expectObservable, flush }) => {
    const t = createTestServer<Ticks>({ keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    const reports: string[] = [];
    t.server.errors$.subscribe((r) => reports.push(r.code));
    let emitted = 0;
    t.server.events$.pipe(ofEvent('tick/burst')).subscribe((m) =>
      m.reply?.stream(new Observable<number>((s) => {
        for (let i = 0; i < 1000 && !s.closed; i++) emitted++, s.next(i);
        return () => finalised.push(ts.now());
      })),
    );
    const c = t.client({ uid: 'u', ...quiet });
    // 4 sent on credit, 4 queued, the 9th overflows: the 4 in flight arrive, then the error
    expectObservable(c.stream$(['tick/burst', 0], { window: 4 })).toBe('(abcd#)', { a: 0, b: 1, c: 2, d: 3 }, new RemoteError(ErrorCode.StreamOverflow, 'the source ran more than the window (4 items) ahead of what the client consumed'));
    flush();
    expect(emitted).toBe(9);
    expect(finalised).toEqual([0]);
    expect(reports).toContain(ErrorCode.StreamOverflow);
  });
});

test('stream$ options are checked: a bad window or deadline errors with CHSK_BAD_OPTION', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Ticks>({ keepAlive: false });
    ts.schedule(() => t.stop(), 100);
    const c = t.client({ uid: 'u', ...quiet });
    expectObservable(c.stream$(['tick/burst', 0], { window: 0 }).pipe(map(() => 0))).toBe('#', undefined, expect.objectContaining({ code: ErrorCode.BadOption }));
    expectObservable(c.stream$(['tick/burst', 0], { idleTimeoutMs: -1 }).pipe(map(() => 0))).toBe('#', undefined, expect.objectContaining({ code: ErrorCode.BadOption }));
  });
});

test('with schemas, every stream item is validated: a bad one fails the stream with DataError and stops the source', () => {
  // A Standard Schema v1 validator by hand: numbers below 3 pass.
  const small = {
    '~standard': {
      version: 1 as const,
      vendor: 'test',
      validate: (v: unknown) => (typeof v === 'number' && v < 3 ? { value: v } : { issues: [{ message: 'too big' }] }),
    },
  };
  ts.run(({ expectObservable, flush }) => {
    const t = createTestServer<Ticks>({ keepAlive: false });
    ts.schedule(() => t.stop(), 1000);
    t.server.handle(ticker);
    const c = t.client({ uid: 'u', ...quiet, schemas: { 'tick/watch': { stream: small } } });
    expectObservable(c.stream$(['tick/watch', { every: 10 }])).toBe(
      '10ms a 9ms b 9ms c 9ms #',
      { a: 0, b: 1, c: 2 },
      expect.objectContaining({ code: ErrorCode.BadData, name: 'DataError' }),
    );
    flush();
    // the bad item arrived at 40; the cancel stopped the source at once (no latency)
    expect(finalised).toEqual([40]);
  });
});
