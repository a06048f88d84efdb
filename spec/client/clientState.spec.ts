import { TestScheduler } from 'rxjs/testing';
import { BehaviorSubject, Observable } from 'rxjs';
import { createTestServer } from '../../src/testing';
import { createChannelSocketClient } from '../../src/client';
import { ChannelClosedError, ConfigError, ErrorCode, type ServerEventMsg } from '../../src';
import type { TestServer } from '../../src/testing';
import type { ClientState } from '../../src/client';

let ts: TestScheduler;
beforeEach(() => {
  ts = new TestScheduler((a, b) => expect(a).toEqual(b));
});

const quiet = { backoff: () => 100, keepAlive: false as const };

/** Runs `body` in virtual time with a test server that stops at 10 s. */
type Loose = Record<string, { data: unknown; reply: unknown }>;

function run(body: (t: TestServer<Loose>) => void): void {
  ts.run(() => {
    const t = createTestServer<Loose>({ latencyMs: 5, keepAlive: false });
    ts.schedule(() => t.stop(), 10_000);
    body(t);
  });
}

describe('state$ is read-only', () => {
  test('it is a BehaviorSubject at run time, readable through value, getValue() and subscribe', () => {
    run((t) => {
      const c = t.client({ ...quiet });
      expect(c.state$).toBeInstanceOf(BehaviorSubject);
      expect(c.state$.value).toBe(c.state$.getValue());
      const seen: ClientState[] = [];
      c.state$.subscribe((s) => seen.push(s));
      expect(seen).toEqual([c.state$.value]);
    });
  });

  test('next, error, complete and unsubscribe from app code throw and change nothing', () => {
    run((t) => {
      const c = t.client({ ...quiet });
      const before = c.state$.value;
      const w = c.state$ as unknown as BehaviorSubject<ClientState>;
      expect(() => w.next({ ...before, open: true })).toThrow(/read-only/);
      expect(() => w.error(new Error('x'))).toThrow(/read-only/);
      expect(() => w.complete()).toThrow(/read-only/);
      expect(() => w.unsubscribe()).toThrow(/read-only/);
      expect(c.state$.value).toBe(before);
      ts.schedule(() => expect(c.state$.value.open).toBe(true), 50);
    });
  });

  test('the type has no next/error/complete', () => {
    run((t) => {
      const c = t.client({ ...quiet });
      // @ts-expect-error state$ is typed without next
      expect(() => c.state$.next(c.state$.value)).toThrow();
      // @ts-expect-error state$ is typed without complete
      expect(() => c.state$.complete()).toThrow();
      const asObservable: Observable<ClientState> = c.state$;
      expect(asObservable).toBeDefined();
    });
  });
});

describe('state$: one emission per change, and status', () => {
  test('status goes connecting → open → reconnecting → open → closed; recovery is null', () => {
    run((t) => {
      const c = t.client({ ...quiet, clientId: 'c1' });
      const statuses: string[] = [];
      c.state$.subscribe((s) => {
        if (statuses[statuses.length - 1] !== s.status) statuses.push(s.status);
      });
      expect(c.state$.value.recovery).toBeNull();
      ts.schedule(() => t.link('c1').drop(), 100);
      ts.schedule(() => c.disconnect(), 1000);
      ts.schedule(() => expect(statuses).toEqual(['connecting', 'open', 'reconnecting', 'open', 'closed']), 2000);
    });
  });

  test('a drop emits exactly one state: closed, with the close recorded and the next attempt scheduled', () => {
    run((t) => {
      const c = t.client({ ...quiet, clientId: 'c1' });
      const seen: ClientState[] = [];
      ts.schedule(() => {
        expect(c.state$.value.open).toBe(true);
        c.state$.subscribe((s) => seen.push(s));
        seen.length = 0;
        t.link('c1').drop();
      }, 100);
      ts.schedule(() => {
        expect(seen).toHaveLength(1);
        expect(seen[0]).toMatchObject({
          open: false,
          status: 'reconnecting',
          lastClose: { reason: 'unexpected' },
          lastWsClose: { code: 1006 },
          reconnectAttempt: 1,
        });
        expect(seen[0]!.nextReconnectAt).toBe(seen[0]!.lastClose!.at + 100);
      }, 150);
    });
  });

  test('disconnect() emits exactly one state', () => {
    run((t) => {
      const c = t.client({ ...quiet });
      const seen: ClientState[] = [];
      ts.schedule(() => {
        c.state$.subscribe((s) => seen.push(s));
        seen.length = 0;
        c.disconnect();
        expect(seen).toHaveLength(1);
        expect(seen[0]).toMatchObject({ open: false, status: 'closed', lastClose: { reason: 'requested-disconnect' } });
        c.disconnect(); // a second call changes nothing
        expect(seen).toHaveLength(1);
      }, 100);
    });
  });
});

describe('the offline buffer', () => {
  test('buffered sends go first, before a send made by a state$ subscriber reacting to open', () => {
    run((t) => {
      const got: string[] = [];
      t.server.events$.subscribe((m: ServerEventMsg<Loose>) => m.id.startsWith('app/') && got.push(m.id));
      const c = t.client({ ...quiet });
      c.state$.subscribe((s) => {
        if (s.open && s.firstOpen) c.emit(['app/from-subscriber', 1]).subscribe({ error: () => undefined });
      });
      c.emit(['app/buffered-1', 1]).subscribe({ error: () => undefined });
      c.emit(['app/buffered-2', 2]).subscribe({ error: () => undefined });
      ts.schedule(() => expect(got).toEqual(['app/buffered-1', 'app/buffered-2', 'app/from-subscriber']), 200);
    });
  });

  test('disconnect() from inside a buffered request completion fails the rest of the flushed buffer', () => {
    run((t) => {
      t.server.events$.subscribe((m: ServerEventMsg<Loose>) => m.reply?.(m.id));
      const c = t.client({ ...quiet });
      const outcome: string[] = [];
      for (const n of [1, 2, 3]) {
        c.send([`app/r${n}`, n]).subscribe({
          next: () => {
            outcome.push(`r${n}:ok`);
            if (n === 1) c.disconnect();
          },
          error: (e: Error) => outcome.push(`r${n}:${(e as ChannelClosedError).code}`),
        });
      }
      // r2 and r3 were written with r1 (their answers not in yet): the server may have them.
      ts.schedule(() => expect(outcome).toEqual(['r1:ok', `r2:${ErrorCode.Uncertain}`, `r3:${ErrorCode.Uncertain}`]), 500);
    });
  });
});

describe('durations and deadlines', () => {
  test.each([2 ** 31, 2 ** 32, -1, 0, NaN])('send timeoutMs %p is refused with ConfigError', (timeoutMs) => {
    run((t) => {
      const c = t.client({ ...quiet });
      let err: unknown;
      c.send(['app/x', 1], { timeoutMs }).subscribe({ error: (e) => (err = e) });
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe(ErrorCode.BadOption);
    });
  });

  test('send timeoutMs Infinity means no deadline', () => {
    run((t) => {
      const c = t.client({ ...quiet });
      let outcome = 'pending';
      c.send(['app/never-answered', 1], { timeoutMs: Infinity }).subscribe({ next: () => (outcome = 'reply'), error: (e: Error) => (outcome = e.name) });
      ts.schedule(() => expect(outcome).toBe('pending'), 9_000);
    });
  });

  test.each([
    ['timeoutMs', { timeoutMs: 2 ** 32 }],
    ['connectTimeoutMs', { connectTimeoutMs: 2 ** 31 }],
    ['ajaxTimeoutMs', { ajaxTimeoutMs: 2 ** 34 }],
    ['upgradeIntervalMs', { upgradeIntervalMs: Infinity }],
    ['keepAlive', { keepAlive: { idleMs: 2 ** 31, timeoutMs: 1000 } }],
  ])('option %s above 2^31-1 ms is a ConfigError at creation', (_name, opts) => {
    expect(() => createChannelSocketClient({ url: 'http://127.0.0.1:1/chsk', type: 'ajax', autoConnect: false, ...opts })).toThrow(ConfigError);
  });

  test('timeoutMs Infinity is allowed as an option (no default deadline)', () => {
    expect(() => createChannelSocketClient({ url: 'http://127.0.0.1:1/chsk', type: 'ajax', autoConnect: false, timeoutMs: Infinity })).not.toThrow();
  });
});

describe('a bad backoff', () => {
  test.each([NaN, -5, Infinity, 'soon'])('backoff returning %p falls back to the default and says so on errors$', (bad) => {
    // The default backoff draws full jitter from Math.random: a draw under 20 ms had already reconnected by the
    // check below (nextReconnectAt null), about one run in ten. Fix the draw so the test is deterministic.
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    run((t) => {
      t.refuseConnections(true);
      const c = t.client({ keepAlive: false, backoff: () => bad as number });
      const errors: ConfigError[] = [];
      c.errors$.subscribe((e) => errors.push(e as ConfigError));
      ts.schedule(() => {
        expect(errors[0]).toBeInstanceOf(ConfigError);
        expect(errors[0]!.message).toMatch(/backoff\(1\) returned/);
        expect(c.state$.value).toMatchObject({ status: 'connecting', reconnectAttempt: 1 });
        expect(c.state$.value.nextReconnectAt).not.toBeNull();
        t.refuseConnections(false);
      }, 20);
      ts.schedule(() => expect(c.state$.value.open).toBe(true), 5_000);
    });
    jest.restoreAllMocks();
  });
});

test('disconnect() from inside a buffered emit completion fails the rest of the flushed buffer', () => {
  run((t) => {
    const c = t.client({ ...quiet });
    const outcome: string[] = [];
    for (const n of [1, 2, 3]) {
      c.emit([`app/e${n}`, n]).subscribe({
        complete: () => {
          outcome.push(`e${n}:ok`);
          if (n === 1) c.disconnect();
        },
        error: (e: Error) => outcome.push(`e${n}:${(e as ChannelClosedError).code}`),
      });
    }
    // e2 and e3 were written with e1 (their acks not in yet): the server may have them.
    ts.schedule(() => expect(outcome).toEqual(['e1:ok', `e2:${ErrorCode.Uncertain}`, `e3:${ErrorCode.Uncertain}`]), 500);
  });
});

describe('reconnect waits (issue 10 #12)', () => {
  const g = globalThis as unknown as Record<string, unknown>;
  let target: EventTarget;
  let doc: EventTarget & { visibilityState: string };
  beforeEach(() => {
    target = new EventTarget();
    doc = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
    g.addEventListener = target.addEventListener.bind(target);
    g.removeEventListener = target.removeEventListener.bind(target);
    g.document = doc;
  });
  afterEach(() => {
    delete g.addEventListener;
    delete g.removeEventListener;
    delete g.document;
  });

  test.each(['online', 'visible'])('a %s event cuts a backoff wait short', (what) => {
    run((t) => {
      const c = t.client({ keepAlive: false, backoff: () => 60_000, clientId: 'c1' });
      ts.schedule(() => t.link('c1').drop(), 100);
      ts.schedule(() => {
        expect(c.state$.value).toMatchObject({ status: 'reconnecting' });
        if (what === 'online') target.dispatchEvent(new Event('online'));
        else {
          doc.visibilityState = 'visible';
          doc.dispatchEvent(new Event('visibilitychange'));
        }
      }, 1_000);
      ts.schedule(() => expect(c.state$.value.status).toBe('open'), 1_100);
    });
  });

  test('a page becoming hidden does not', () => {
    run((t) => {
      const c = t.client({ keepAlive: false, backoff: () => 60_000, clientId: 'c1' });
      ts.schedule(() => t.link('c1').drop(), 100);
      ts.schedule(() => doc.dispatchEvent(new Event('visibilitychange')), 1_000);
      ts.schedule(() => expect(c.state$.value.status).toBe('reconnecting'), 1_100);
    });
  });

  test('the default backoff is capped at 5 s, with full jitter before the cap and equal jitter at it', () => {
    run((t) => {
      t.refuseConnections(true);
      const c = t.client({ keepAlive: false });
      const waits: number[] = [];
      c.state$.subscribe((s) => s.nextReconnectAt !== null && waits.push(s.nextReconnectAt - ts.now()));
      ts.schedule(() => {
        expect(waits.length).toBeGreaterThanOrEqual(4);
        expect(Math.max(...waits)).toBeLessThanOrEqual(5_000);
        expect(new Set(waits.slice(2)).size).toBeGreaterThan(1);
      }, 9_000);
    });
  });

  test.each([
    [0, [0, 0, 0, 2_500, 2_500]],
    [0.5, [500, 1_000, 2_000, 3_750, 3_750]],
    [0.999, [999, 1_998, 3_996, 4_998, 4_998]],
  ])('with Math.random() = %p the default waits are %p (attempts 1-5)', (r, expected) => {
    jest.spyOn(Math, 'random').mockReturnValue(r);
    const waits: number[] = [];
    ts.run(() => {
      const t = createTestServer<Loose>({ latencyMs: 5, keepAlive: false });
      ts.schedule(() => t.stop(), 40_000);
      t.refuseConnections(true);
      const c = t.client({ keepAlive: false });
      c.state$.subscribe((s) => s.nextReconnectAt !== null && waits.push(s.nextReconnectAt - ts.now()));
    });
    jest.restoreAllMocks();
    expect(waits.slice(0, 5)).toEqual(expected);
  });
});
