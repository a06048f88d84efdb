import { Subject, defer, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { reconnect, ReconnectRetryInfo } from '../../src/operators/reconnect';

describe('reconnect', () => {
  let testScheduler: TestScheduler;
  const twiceAttempt = (attempt: number) => attempt * 2;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should wait at most 2^31-1 ms, the longest timer that does not fire at once', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.maxFrames = Infinity;
    let subscriptions = 0;
    const source = defer(() => (++subscriptions, throwError(() => new Error('down'))));
    const sub = source.pipe(reconnect({ backoff: () => 2 ** 33, maxAttempts: 1, scheduler })).subscribe({ error: () => undefined });
    expect(scheduler.actions[0]?.delay).toBe(2 ** 31 - 1);
    scheduler.flush();
    expect(subscriptions).toBe(2);
    sub.unsubscribe();
  });

  it('should never emit for a never source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold(' -');
      const e1subs = '  ^';
      const expected = '-';
      expectObservable(e1.pipe(reconnect({ backoff: twiceAttempt }))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should complete for an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold(' |');
      const e1subs = '  (^!)';
      const expected = '|';
      expectObservable(e1.pipe(reconnect({ backoff: twiceAttempt }))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should mirror a single value and completion', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold(' --a--|');
      const expected = '--a--|';
      expectObservable(e1.pipe(reconnect({ backoff: twiceAttempt }))).toBe(expected);
    });
  });

  it('should resubscribe after backoff(attempt) and forward the last error past maxAttempts', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold(' ---#', undefined, new Error('down'));
      // Waits 2 then 4 (attempts 1 and 2); the third error is forwarded.
      const e1subs = [
        '               ^--!',
        '               -----^--!',
        '               ------------^--!',
      ];
      const expected = '---------------#';
      expectObservable(e1.pipe(reconnect({ backoff: twiceAttempt, maxAttempts: 2 }))).toBe(expected, undefined, new Error('down'));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should mirror many values across resubscriptions and complete when the source completes', () => {
    testScheduler.run(({ expectObservable }) => {
      let subscriptions = 0;
      const source = defer(() => {
        subscriptions += 1;
        return subscriptions < 3 ? testScheduler.createColdObservable('-a-#') : testScheduler.createColdObservable('-bc|');
      });
      // Every value resets the counter, so each wait is backoff(1) = 2.
      const expected = '-a----a----bc|';
      expectObservable(source.pipe(reconnect({ backoff: twiceAttempt }))).toBe(expected);
    });
  });

  it('should forward the first error when maxAttempts is 0', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold(' -a-#');
      const e1subs = '  ^--!';
      const expected = '-a-#';
      expectObservable(e1.pipe(reconnect({ backoff: twiceAttempt, maxAttempts: 0 }))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should reset the attempt counter on every value by default', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold(' -a-#');
      const unsub = '   -----------------!';
      const expected = '-a-----a-----a----';
      const infos: ReconnectRetryInfo[] = [];
      const result = e1.pipe(reconnect({ backoff: (n) => n * 3, maxAttempts: 1, onRetry: (i) => infos.push(i) }));
      expectObservable(result, unsub).toBe(expected);
      testScheduler.flush();
      expect(infos.map((i) => i.attempt)).toEqual([1, 1, 1]);
    });
  });

  it('should count attempts since the last value accepted by resetOn', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold(' -a-#');
      const expected = '-a----a------a-#';
      // resetOn rejects every value: waits 2 then 4, then maxAttempts (2) is exceeded.
      const result = e1.pipe(reconnect({ backoff: twiceAttempt, maxAttempts: 2, resetOn: () => false }));
      expectObservable(result).toBe(expected);
    });
  });

  it('should reset only on values accepted by resetOn', () => {
    testScheduler.run(({ expectObservable }) => {
      const plan = ['-n-#', '-o-#', '-n-#', '-n-#'];
      let i = 0;
      const source = defer(() => testScheduler.createColdObservable(plan[Math.min(i++, plan.length - 1)]));
      const attempts: number[] = [];
      const result = source.pipe(
        reconnect({ backoff: () => 1, resetOn: (v) => v === 'o', maxAttempts: 2, onRetry: ({ attempt }) => attempts.push(attempt) }),
      );
      // n (no reset) → attempt 1; o (reset) → attempt 1; n → attempt 2; n → exceeds 2: error.
      const expected = '-n---o---n---n-#';
      expectObservable(result).toBe(expected);
      testScheduler.flush();
      expect(attempts).toEqual([1, 1, 2]);
    });
  });

  it('should forward an error at once when shouldRetry rejects it', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const fatal = Object.assign(new Error('forbidden'), { status: 403 });
      const e1 = cold(' -a-#', undefined, fatal);
      const e1subs = '  ^--!';
      const expected = '-a-#';
      const shouldRetry = (err: unknown) => !(err instanceof Error && 'status' in err && err.status === 403);
      expectObservable(e1.pipe(reconnect({ backoff: twiceAttempt, shouldRetry }))).toBe(expected, undefined, fatal);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should call onRetry with attempt, delay and error before the wait', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const error = new Error('drop');
      const e1 = cold(' --#', undefined, error);
      const expected = '---------------#';
      const calls: Array<ReconnectRetryInfo & { at: number }> = [];
      const result = e1.pipe(
        reconnect({ backoff: (n) => n * 3, maxAttempts: 2, onRetry: (info) => calls.push({ ...info, at: testScheduler.now() }) }),
      );
      expectObservable(result).toBe(expected, undefined, error);
      testScheduler.flush();
      expect(calls).toEqual([
        { attempt: 1, delayMs: 3, error, at: 2 },
        { attempt: 2, delayMs: 6, error, at: 7 },
      ]);
    });
  });

  it('should cancel the wait when unsubscribed during it, and never resubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold(' -a-#');
      const e1subs = '  ^--!';
      const unsub = '   -----!';
      const expected = '-a----';
      expectObservable(e1.pipe(reconnect({ backoff: () => 10 })), unsub).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    const scheduler = new TestScheduler(() => undefined);
    const sub = throwError(() => new Error('x')).pipe(reconnect({ backoff: () => 10, scheduler })).subscribe();
    expect(scheduler.actions.length).toBe(1);
    sub.unsubscribe();
    expect(scheduler.actions.length).toBe(0);
  });

  it('should allow unsubscribing early while connected', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-b-c-d-|');
      const e1subs = '  ^----!';
      const unsub = '   -----!';
      const expected = '-a-b--';
      expectObservable(e1.pipe(reconnect({ backoff: twiceAttempt })), unsub).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should error the output when a callback throws or backoff returns an invalid delay', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const boom = new Error('backoff bug');
      const e1 = cold('-a-#');
      expectObservable(e1.pipe(reconnect({ backoff: () => { throw boom; } }))).toBe('-a-#', undefined, boom);
      expectObservable(e1.pipe(reconnect({ backoff: () => 1, resetOn: () => { throw boom; } }))).toBe('-#', undefined, boom);
    });
    const errors: unknown[] = [];
    const source = new Subject<number>();
    source.pipe(reconnect({ backoff: () => Number.NaN })).subscribe({ error: (e: unknown) => errors.push(e) });
    source.error(new Error('x'));
    expect(errors[0]).toBeInstanceOf(RangeError);
    expect(String(errors[0])).toMatch(/backoff\(1\) returned/);
  });

  it('should validate its config at call time', () => {
    expect(() => reconnect({ backoff: 5 as unknown as () => number })).toThrow(TypeError);
    expect(() => reconnect({ backoff: () => 1, maxAttempts: -1 })).toThrow(RangeError);
    expect(() => reconnect({ backoff: () => 1, maxAttempts: 1.5 })).toThrow(/maxAttempts must be an integer >= 0 or Infinity/);
    expect(() => reconnect({ backoff: () => 1, maxAttempts: Infinity })).not.toThrow();
  });
});
