import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { keepAlive } from '../../src/operators/keepAlive';
import { KeepAliveTimeoutError } from '../../src/operators/KeepAliveTimeoutError';
import { ChannelError } from '../../src/errors/ChannelError';

describe('keepAlive', () => {
  let testScheduler: TestScheduler;
  const pings = { x: 1, y: 2, z: 3 };

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should ping after idleMs and error after timeoutMs more when the source never emits', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold(' -');
      const e1subs = '  ^------!';
      const expected = '----x--#';
      const result = e1.pipe(keepAlive({ idleMs: 4, timeoutMs: 3 }));
      expectObservable(result).toBe(expected, pings, new KeepAliveTimeoutError(7));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should complete at once for an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold(' |');
      const e1subs = '  (^!)';
      const expected = '|';
      expectObservable(e1.pipe(keepAlive({ idleMs: 4, timeoutMs: 3 }))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should restart the idle timer on a single value', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('  --a------');
      const expected = '------x--#';
      expectObservable(e1.pipe(keepAlive({ idleMs: 4, timeoutMs: 3 }))).toBe(expected, pings, new KeepAliveTimeoutError(7));
    });
  });

  it('should stay silent while the source keeps emitting, and complete with it', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('  --a--b--c--d--|');
      const expected = '--------------|';
      expectObservable(e1.pipe(keepAlive({ idleMs: 4, timeoutMs: 3 }))).toBe(expected);
    });
  });

  it('should count pings since subscription and restart idle counting from the activity after a ping', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('  --a-----b-----c------|');
      const expected = '------x-----y-----z--|';
      // a (2) → ping 1 at 6; b (8) cancels its timeout → ping 2 at 12; c (14) → ping 3 at 18; completes at 21.
      expectObservable(e1.pipe(keepAlive({ idleMs: 4, timeoutMs: 3 }))).toBe(expected, pings);
    });
  });

  it('should error with KeepAliveTimeoutError after idleMs + timeoutMs of silence following activity', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  --a-----b-------');
      const e1subs = '  ^--------------!';
      const expected = '------x-----y--#';
      expectObservable(e1.pipe(keepAlive({ idleMs: 4, timeoutMs: 3 }))).toBe(expected, pings, new KeepAliveTimeoutError(7));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should start the idle timer at subscription', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('  -a--------');
      const sub = '     ---^';
      const expected = '-------x--#';
      expectObservable(e1.pipe(keepAlive({ idleMs: 4, timeoutMs: 3 })), sub).toBe(expected, pings, new KeepAliveTimeoutError(7));
    });
  });

  it('should forward source errors', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('  --a---#', undefined, new Error('socket closed'));
      const expected = '------#';
      expectObservable(e1.pipe(keepAlive({ idleMs: 10, timeoutMs: 3 }))).toBe(expected, pings, new Error('socket closed'));
    });
  });

  it('should allow unsubscribing early', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  --a------');
      const e1subs = '  ^------!';
      const unsub = '   -------!';
      const expected = '------x-';
      expectObservable(e1.pipe(keepAlive({ idleMs: 4, timeoutMs: 3 })), unsub).toBe(expected, pings);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should cancel its timers on unsubscribe', () => {
    const scheduler = new TestScheduler(() => undefined);
    const sub = new Subject<void>().pipe(keepAlive({ idleMs: 10, timeoutMs: 5, scheduler })).subscribe();
    expect(scheduler.actions.length).toBe(1);
    sub.unsubscribe();
    expect(scheduler.actions.length).toBe(0);
  });

  it('should raise a typed error with a stable code and the silent time', () => {
    const scheduler = new TestScheduler(() => undefined);
    let error: unknown;
    new Subject<void>().pipe(keepAlive({ idleMs: 20, timeoutMs: 5, scheduler })).subscribe({ error: (e: unknown) => (error = e) });
    scheduler.flush();
    expect(error).toBeInstanceOf(KeepAliveTimeoutError);
    expect(error).toBeInstanceOf(ChannelError);
    expect(error).toBeInstanceOf(Error);
    const timeout = error as KeepAliveTimeoutError;
    expect(timeout.name).toBe('KeepAliveTimeoutError');
    expect(timeout.code).toBe('CHSK_KEEPALIVE_TIMEOUT');
    expect(timeout.silentMs).toBe(25);
    expect(timeout.message).toMatch(/25 ms/);
  });

  it('should let a subscriber that answers a ping synchronously cancel the timeout', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.maxFrames = 100;
    const activity = new Subject<void>();
    const seen: number[] = [];
    let error: unknown;
    activity.pipe(keepAlive({ idleMs: 10, timeoutMs: 5, scheduler })).subscribe({
      next: (n) => {
        seen.push(n);
        activity.next(); // the pong
      },
      error: (e: unknown) => (error = e),
    });
    scheduler.flush();
    expect(error).toBeUndefined();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it.each([
    [{ idleMs: 0, timeoutMs: 1 }, /idleMs must be a finite number of ms > 0/],
    [{ idleMs: Infinity, timeoutMs: 1 }, /idleMs/],
    [{ idleMs: 1, timeoutMs: -5 }, /timeoutMs must be a finite number of ms > 0/],
    [{ idleMs: 1, timeoutMs: Number.NaN }, /timeoutMs/],
  ])('should throw a RangeError at call time for %p', (config, message) => {
    expect(() => keepAlive(config)).toThrow(RangeError);
    expect(() => keepAlive(config)).toThrow(message);
  });
});
