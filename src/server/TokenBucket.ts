/**
 * A token bucket: holds up to `burst` tokens, gains `perSecond` tokens per second, and each message takes
 * one. Refilled lazily from a clock (the scheduler's `now()`), so it needs no timer and runs in virtual
 * time under `TestScheduler`.
 *
 * It also counts the messages it refused since it was last full (`refused`): a client that keeps sending
 * while limited grows the count, one that backs off long enough for the bucket to refill starts over.
 *
 * ```ts
 * const bucket = new TokenBucket(200, 400, () => scheduler.now());
 * if (!bucket.take()) refuse('CHSK_RATE_LIMITED');
 * ```
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  /** Messages refused since the bucket was last full. */
  refused = 0;

  constructor(
    /** Tokens gained per second. */
    private readonly perSecond: number,
    /** Capacity, and the number of tokens at the start. */
    private readonly burst: number,
    /** Milliseconds, e.g. `() => scheduler.now()`. */
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false (and one more `refused`) when the bucket is empty. */
  take(): boolean {
    const t = this.now();
    // A clock that goes backwards (a test scheduler reset, a wall-clock jump) grants nothing.
    if (t > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.perSecond) / 1000);
      this.last = t;
    }
    if (this.tokens >= this.burst) this.refused = 0;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.refused++;
    return false;
  }
}
