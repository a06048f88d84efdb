import { exponentialBackoff } from '../../src/operators/exponentialBackoff';

describe('exponentialBackoff', () => {
  it('should use the documented defaults: 1000 ms doubling to a 30000 ms cap, full jitter', () => {
    const backoff = exponentialBackoff({ random: () => 0.5 });
    expect([1, 2, 3, 4, 5, 6, 7].map(backoff)).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000]);
    expect(exponentialBackoff({ jitter: 'none' })(1)).toBe(1000);
    expect(exponentialBackoff({ jitter: 'none' })(100)).toBe(30000);
  });

  it('should grow by factor and cap at maxMs without jitter', () => {
    const backoff = exponentialBackoff({ initialMs: 100, maxMs: 1000, factor: 3, jitter: 'none' });
    expect([1, 2, 3, 4, 5].map(backoff)).toEqual([100, 300, 900, 1000, 1000]);
  });

  it('should apply full jitter over [0, base] after the cap', () => {
    const at = (r: number, attempt: number) =>
      exponentialBackoff({ initialMs: 100, maxMs: 1000, jitter: 'full', random: () => r })(attempt);
    expect(at(0, 3)).toBe(0);
    expect(at(0.5, 3)).toBe(200);
    expect(at(0.999, 3)).toBe(400);
    // At the cap the jitter still spans the whole range: 0.5 gives half the cap, not the cap.
    expect(at(0.5, 10)).toBe(500);
    expect(at(0.25, 10)).toBe(250);
  });

  it('should apply equal jitter over [base/2, base] after the cap', () => {
    const at = (r: number, attempt: number) =>
      exponentialBackoff({ initialMs: 100, maxMs: 1000, jitter: 'equal', random: () => r })(attempt);
    expect(at(0, 2)).toBe(100);
    expect(at(0.5, 2)).toBe(150);
    expect(at(0, 10)).toBe(500);
    expect(at(0.5, 10)).toBe(750);
  });

  it('should apply jitterAtCap instead of jitter once the base delay is the cap', () => {
    const at = (r: number, attempt: number) =>
      exponentialBackoff({ initialMs: 100, maxMs: 1000, jitter: 'full', jitterAtCap: 'equal', random: () => r })(attempt);
    // Below the cap: full jitter over [0, base].
    expect([1, 2, 3, 4].map((n) => at(0, n))).toEqual([0, 0, 0, 0]);
    expect(at(0.5, 4)).toBe(400);
    // At the cap (attempt 5: 100 * 2^4 = 1600, capped to 1000): equal jitter over [500, 1000].
    expect(at(0, 5)).toBe(500);
    expect(at(0.5, 5)).toBe(750);
    expect(at(0.999, 50)).toBe(1000);
    // A base exactly at the cap counts as capped.
    const exact = exponentialBackoff({ initialMs: 250, maxMs: 1000, jitter: 'full', jitterAtCap: 'none', random: () => 0.5 });
    expect([1, 2, 3, 4].map(exact)).toEqual([125, 250, 1000, 1000]);
  });

  it('should default jitterAtCap to jitter', () => {
    for (const jitter of ['full', 'equal', 'none'] as const) {
      const a = exponentialBackoff({ initialMs: 100, maxMs: 1000, jitter, random: () => 0.3 });
      const b = exponentialBackoff({ initialMs: 100, maxMs: 1000, jitter, jitterAtCap: jitter, random: () => 0.3 });
      expect([1, 3, 5, 9].map(a)).toEqual([1, 3, 5, 9].map(b));
    }
  });

  it('should round to whole ms', () => {
    const backoff = exponentialBackoff({ initialMs: 3, maxMs: 100, jitter: 'full', random: () => 1 / 3 });
    expect(backoff(1)).toBe(1);
    expect(Number.isInteger(backoff(2))).toBe(true);
  });

  it('should stay within [0, maxMs] for huge attempt numbers', () => {
    for (const jitter of ['full', 'equal', 'none'] as const) {
      for (const factor of [1, 1.5, 2, 10]) {
        const backoff = exponentialBackoff({ initialMs: 1000, maxMs: 30000, factor, jitter, random: () => 0.999999 });
        for (const attempt of [1000, 10_000, Number.MAX_SAFE_INTEGER]) {
          const ms = backoff(attempt);
          expect(Number.isFinite(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThanOrEqual(30000);
        }
      }
    }
    expect(exponentialBackoff({ jitter: 'none' })(10_000)).toBe(30000);
    expect(exponentialBackoff({ initialMs: 0, maxMs: 0, jitter: 'none' })(10_000)).toBe(0);
    expect(exponentialBackoff({ initialMs: 0, jitter: 'equal' })(10_000)).toBe(0);
  });

  it('should clamp a random source that strays outside [0, 1]', () => {
    const base = { initialMs: 100, maxMs: 100 } as const;
    expect(exponentialBackoff({ ...base, random: () => 2 })(1)).toBe(100);
    expect(exponentialBackoff({ ...base, random: () => -1 })(1)).toBe(0);
    expect(exponentialBackoff({ ...base, random: () => Number.NaN })(1)).toBe(0);
  });

  it('should spread a fleet over [0, maxMs] at the cap with full jitter, where no jitter waits in lockstep', () => {
    const maxMs = 30000;
    const full = exponentialBackoff({ initialMs: 1000, maxMs, jitter: 'full' });
    const samples = Array.from({ length: 1000 }, () => full(20));
    const buckets = new Array<number>(10).fill(0);
    for (const ms of samples) {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThanOrEqual(maxMs);
      buckets[Math.min(9, Math.floor((ms / maxMs) * 10))] += 1;
    }
    expect(buckets.filter((n) => n > 0).length).toBeGreaterThanOrEqual(5);
    const nearCap = samples.filter((ms) => ms >= maxMs * 0.99).length;
    expect(nearCap).toBeLessThan(200);

    const none = exponentialBackoff({ initialMs: 1000, maxMs, jitter: 'none' });
    const lockstep = Array.from({ length: 1000 }, () => none(20));
    expect(new Set(lockstep)).toEqual(new Set([maxMs]));
  });

  it.each([
    [{ initialMs: -1 }, /initialMs must be a finite number of ms >= 0/],
    [{ initialMs: Number.NaN }, /initialMs/],
    [{ initialMs: 500, maxMs: 100 }, /maxMs must be a finite number of ms >= initialMs/],
    [{ maxMs: Infinity }, /maxMs/],
    [{ factor: 0.5 }, /factor must be a finite number >= 1/],
    [{ factor: Infinity }, /factor/],
    [{ jitter: 'half' as 'full' }, /jitter must be 'full', 'equal' or 'none'/],
    [{ jitterAtCap: 'half' as 'full' }, /jitterAtCap must be 'full', 'equal' or 'none'/],
  ])('should throw a RangeError at call time for %p', (config, message) => {
    expect(() => exponentialBackoff(config)).toThrow(RangeError);
    expect(() => exponentialBackoff(config)).toThrow(message);
  });

  it.each([0, -1, 1.5, Number.NaN, Infinity])('should throw a RangeError for attempt %p', (attempt) => {
    const backoff = exponentialBackoff();
    expect(() => backoff(attempt)).toThrow(RangeError);
    expect(() => backoff(attempt)).toThrow(/attempt must be an integer >= 1/);
  });
});
