import { Subject, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { batch } from '../../src/operators/batch';

describe('batch', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should never emit for a never source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold(' -');
      const e1subs = '  ^';
      const expected = '-';
      expectObservable(e1.pipe(batch({ windowMs: 3 }))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should complete without emitting for an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold(' |');
      const e1subs = '  (^!)';
      const expected = '|';
      expectObservable(e1.pipe(batch({ windowMs: 3 }))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should emit a single value windowMs after it arrives', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('  -a--------|');
      const expected = '----x-----|';
      expectObservable(e1.pipe(batch({ windowMs: 3 }))).toBe(expected, { x: ['a'] });
    });
  });

  it('should group many values per window, starting each window at its first value', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('  -abc----d-e--f-----|');
      const expected = '----x------y----z--|';
      const values = { x: ['a', 'b', 'c'], y: ['d', 'e'], z: ['f'] };
      // d arrives at 8 and its window ends at 11: the timer starts at d, not on a fixed period.
      expectObservable(e1.pipe(batch({ windowMs: 3 }))).toBe(expected, values);
    });
  });

  it('should run no timer while idle', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('  -----a------|');
      const expected = '--------x---|';
      expectObservable(e1.pipe(batch({ windowMs: 3 }))).toBe(expected, { x: ['a'] });
    });
  });

  it('should emit at once when the buffer reaches maxSize, and cancel its timer', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('  -abcd------|');
      const expected = '---x----y--|';
      const values = { x: ['a', 'b', 'c'], y: ['d'] };
      // Had a's timer (due at 5) survived the size flush, d would come out at 5 instead of 4 + 4.
      expectObservable(e1.pipe(batch({ windowMs: 4, maxSize: 3 }))).toBe(expected, values);
    });
  });

  it('should emit pending values when the flush notifier emits, and nothing when the buffer is empty', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('   -a-b-------c--|');
      const flush = hot('x---x-x---------');
      const expected = ' ----y---------(z|)';
      const values = { y: ['a', 'b'], z: ['c'] };
      expectObservable(e1.pipe(batch({ windowMs: 10, flush }))).toBe(expected, values);
    });
  });

  it('should emit pending values then forward the error when the flush notifier errors', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('   -a-b------|');
      const flush = hot('-----#');
      const expected = ' -----(x#)';
      expectObservable(e1.pipe(batch({ windowMs: 10, flush }))).toBe(expected, { x: ['a', 'b'] });
    });
  });

  it('should emit pending values before completing', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('  -a-b-|');
      const expected = '-----(x|)';
      expectObservable(e1.pipe(batch({ windowMs: 10 }))).toBe(expected, { x: ['a', 'b'] });
    });
  });

  it('should emit pending values before forwarding an error', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('  -a-b-#');
      const expected = '-----(x#)';
      expectObservable(e1.pipe(batch({ windowMs: 10 }))).toBe(expected, { x: ['a', 'b'] });
    });
  });

  it('should forward an error with nothing pending as is', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('  -a----#', undefined, new Error('boom'));
      const expected = '----x-#';
      expectObservable(e1.pipe(batch({ windowMs: 3 }))).toBe(expected, { x: ['a'] }, new Error('boom'));
    });
  });

  it('should emit each value alone and synchronously when windowMs is 0', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('  -a(bc)-|');
      const expected = '-x(yz)-|';
      expectObservable(e1.pipe(batch({ windowMs: 0, maxSize: 10 }))).toBe(expected, { x: ['a'], y: ['b'], z: ['c'] });
    });
    const out: string[][] = [];
    of('a', 'b').pipe(batch({ windowMs: 0 })).subscribe((v) => out.push(v));
    expect(out).toEqual([['a'], ['b']]);
  });

  it('should allow unsubscribing early, cancelling the pending timer', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-b----c---|');
      const e1subs = '  ^-----!';
      const unsub = '   ------!';
      const expected = '----x--';
      expectObservable(e1.pipe(batch({ windowMs: 3 })), unsub).toBe(expected, { x: ['a', 'b'] });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should unsubscribe from the flush notifier on teardown', () => {
    testScheduler.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const e1 = hot('    -a-|');
      const flush = cold('-----x');
      const flushSubs = ' ^--!';
      const expected = '  ---(x|)';
      expectObservable(e1.pipe(batch({ windowMs: 5, flush }))).toBe(expected, { x: ['a'] });
      expectSubscriptions(flush.subscriptions).toBe(flushSubs);
    });
  });

  it('should use the scheduler it is given', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot('  -a-b--|');
      const expected = '---x--|';
      expectObservable(e1.pipe(batch({ windowMs: 2, scheduler: testScheduler }))).toBe(expected, { x: ['a', 'b'] });
    });
  });

  it('should never emit an empty array, even when a value is pushed from inside a downstream next', () => {
    const source = new Subject<number>();
    const flush = new Subject<void>();
    const out: number[][] = [];
    source.pipe(batch({ windowMs: 1000, maxSize: 2, flush })).subscribe((values) => {
      out.push(values);
      if (values[0] === 1) source.next(3);
    });
    flush.next();
    source.next(1);
    source.next(2);
    flush.next();
    flush.next();
    source.complete();
    expect(out).toEqual([[1, 2], [3]]);
  });

  describe('leading: true', () => {
    it('should emit a value that arrives while idle at once, and batch what follows inside the window', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('--a-b--------c-------|');
        const expected = '  --x--y-------z-------|';
        expectObservable(source.pipe(batch({ windowMs: 3, leading: true }))).toBe(expected, { x: ['a'], y: ['b'], z: ['c'] });
      });
    });

    it('should keep a sustained burst batched: each window that collected values opens the next', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('abcdefg---|');
        const expected = '  a--x--y---|';
        expectObservable(source.pipe(batch({ windowMs: 3, leading: true }))).toBe(expected, {
          a: ['a'],
          x: ['b', 'c', 'd'],
          y: ['e', 'f', 'g'],
        });
      });
    });

    it('should flush at maxSize and on the notifier, which close the window (the next value leads again)', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const flush = hot(' ------f----');
        const source = hot('abc-de-g-|');
        const expected = '  a-x-y-zv-|';
        expectObservable(source.pipe(batch({ windowMs: 5, maxSize: 2, leading: true, flush }))).toBe(expected, {
          a: ['a'],
          x: ['b', 'c'],
          y: ['d'],
          z: ['e'],
          v: ['g'],
        });
      });
    });

    it('should behave as windowMs 0 when the window is 0', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('ab-|');
        expectObservable(source.pipe(batch({ windowMs: 0, leading: true }))).toBe('ab-|', { a: ['a'], b: ['b'] });
      });
    });
  });

  describe('idleMs', () => {
    it('should end a batch once the source is quiet for idleMs, and at the window otherwise', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('--abc-------d-e-f-g-h-i-|');
        const expected = '  ------x-------------y---(z|)';
        expectObservable(source.pipe(batch({ windowMs: 8, idleMs: 2 }))).toBe(expected, {
          x: ['a', 'b', 'c'],
          y: ['d', 'e', 'f', 'g', 'h'],
          z: ['i'],
        });
      });
    });

    it('should let the value after an idle end lead again in leading mode', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('--abc------d-|');
        const expected = '  --a---x----d-|';
        expectObservable(source.pipe(batch({ windowMs: 10, idleMs: 2, leading: true }))).toBe(expected, {
          a: ['a'],
          x: ['b', 'c'],
          d: ['d'],
        });
      });
    });

    it('should still honour maxSize and flush', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('--abcd---|');
        const flush = hot(' ------f--');
        const expected = '  ----x-y--|';
        expectObservable(source.pipe(batch({ windowMs: 10, idleMs: 5, maxSize: 3, flush }))).toBe(expected, { x: ['a', 'b', 'c'], y: ['d'] });
      });
    });

    it('should change nothing when idleMs is not shorter than the window', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('--ab------|');
        expectObservable(source.pipe(batch({ windowMs: 3, idleMs: 3 }))).toBe('-----x----|', { x: ['a', 'b'] });
      });
    });
  });

  it.each([
    [{ windowMs: 10, idleMs: 0 }, /idleMs must be a number of ms > 0 or Infinity/],
    [{ windowMs: 10, idleMs: Number.NaN }, /idleMs/],
    [{ windowMs: -1 }, /windowMs must be a finite number/],
    [{ windowMs: Number.NaN }, /windowMs/],
    [{ windowMs: Infinity }, /windowMs/],
    [{ windowMs: 10, maxSize: 0 }, /maxSize must be an integer >= 1 or Infinity/],
    [{ windowMs: 10, maxSize: 1.5 }, /maxSize/],
  ])('should throw a RangeError at call time for %p', (config, message) => {
    expect(() => batch(config)).toThrow(RangeError);
    expect(() => batch(config)).toThrow(message);
  });
});
