import fc from 'fast-check';
import { seeded } from '../support/propertySeed';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { TokenBucket } from '../../src/server/TokenBucket';

// Each x in the source is one message; the output shows whether the bucket let it through (a) or refused it (r).
describe('TokenBucket (virtual time)', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** 100 tokens per second (one per 10 ms virtual), burst 3. */
  const bucketOn = (ts: TestScheduler, perSecond = 100, burst = 3) => new TokenBucket(perSecond, burst, () => ts.now());

  it('lets a burst through and refuses the rest', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const bucket = bucketOn(testScheduler);
      const e1 = cold('  (xxxxx)|');
      const expected = ' (aaarr)|';
      expectObservable(e1.pipe(map(() => (bucket.take() ? 'a' : 'r')))).toBe(expected);
    });
  });

  it('refills at perSecond, from the clock, without timers', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const bucket = bucketOn(testScheduler);
      // t=0: 3 of 5 pass. t=16: 1.6 tokens → 1 passes (0.6 left). t=36: 0.6 + 2 = 2.6 → 2 pass, 1 refused.
      const e1 = cold('  (xxxxx) 9ms x 19ms (xxx)|');
      const expected = ' (aaarr) 9ms a 19ms (aar)|';
      expectObservable(e1.pipe(map(() => (bucket.take() ? 'a' : 'r')))).toBe(expected);
    });
  });

  it('never holds more than burst, however long the pause', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const bucket = bucketOn(testScheduler);
      const e1 = cold('  x 10s (xxxx)|');
      const expected = ' a 10s (aaar)|';
      expectObservable(e1.pipe(map(() => (bucket.take() ? 'a' : 'r')))).toBe(expected);
    });
  });

  it('sustains exactly perSecond under a steady flood', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const bucket = bucketOn(testScheduler, 100, 1);
      // One message every 5 ms with one token per 10 ms: every other one passes.
      const e1 = cold('  x 4ms x 4ms x 4ms x 4ms x|');
      const expected = ' a 4ms r 4ms a 4ms r 4ms a|';
      expectObservable(e1.pipe(map(() => (bucket.take() ? 'a' : 'r')))).toBe(expected);
    });
  });

  it('counts refusals until the bucket is full again', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const bucket = bucketOn(testScheduler);
      // Refusals pile up while the client keeps sending (t=7: 0.7 tokens, refused again); a pause that
      // refills the bucket (t=38) resets them.
      const e1 = cold('  (xxxxx) x 30ms x|');
      const expected = ' (00012) 3 30ms 0|';
      expectObservable(e1.pipe(map(() => (bucket.take(), String(bucket.refused))))).toBe(expected);
    });
  });

  it('grants nothing when the clock goes backwards', () => {
    let now = 1000;
    const bucket = new TokenBucket(100, 1, () => now);
    expect(bucket.take()).toBe(true);
    now = 0;
    expect(bucket.take()).toBe(false);
    now = 1005;
    expect(bucket.take()).toBe(false);
    now = 1010;
    expect(bucket.take()).toBe(true);
  });

  it('property: accepted messages never exceed burst + perSecond × elapsed', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 10_000, noNaN: true }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }),
        (perSecond, burst, gaps) => {
          let now = 0;
          const bucket = new TokenBucket(perSecond, burst, () => now);
          let accepted = 0;
          for (const gap of gaps) {
            now += gap;
            if (bucket.take()) accepted++;
            expect(accepted).toBeLessThanOrEqual(burst + (perSecond * now) / 1000 + 1e-9);
          }
        },
      ),
      seeded(),
    );
  });
});
