/** Options of {@link exponentialBackoff}. */
export interface ExponentialBackoffConfig {
  /**
   * The delay before the first retry, before jitter, in ms. Finite and >= 0.
   * @default 1000
   */
  initialMs?: number;
  /**
   * The cap on the delay, applied before jitter, in ms. Finite and >= `initialMs`.
   * @default 30000
   */
  maxMs?: number;
  /**
   * The growth factor per attempt. Finite and >= 1.
   * @default 2
   */
  factor?: number;
  /**
   * How the capped delay is randomised: `'full'` draws from [0, base], `'equal'` from [base/2, base],
   * `'none'` returns base.
   * @default 'full'
   */
  jitter?: 'full' | 'equal' | 'none';
  /**
   * How a delay that reached the cap is randomised, when it should differ from `jitter`. `{ jitter: 'full',
   * jitterAtCap: 'equal' }` (the client's default backoff) spreads the first retries over [0, base] and, once
   * the cap is reached, draws each wait from [maxMs/2, maxMs]: after a long outage a fleet then comes back
   * spread evenly over the cap rather than bunched at its start (waits drawn from [0, maxMs] end, on average,
   * twice as often in the first moments after a restart as later; see the README's reconnect figures).
   * @default the value of `jitter`
   */
  jitterAtCap?: 'full' | 'equal' | 'none';
  /**
   * The source of randomness, returning a number in [0, 1) (values outside [0, 1] are clamped). Inject it in tests.
   * @default Math.random
   */
  random?: () => number;
}

/**
 * Makes a backoff function: attempt number (1-based) → delay in whole ms, growing exponentially up to a cap,
 * with jitter applied after the cap.
 *
 * ```
 * exponentialBackoff({ initialMs: 1000, maxMs: 30000, factor: 2, jitter: 'none' })
 * attempt: 1     2     3     4     5      6      7      ...
 * delay:   1000  2000  4000  8000  16000  30000  30000  ...
 * 'full' jitter then draws each delay uniformly from [0, delay].
 * ```
 *
 * The base delay is `min(maxMs, initialMs * factor ** (attempt - 1))`, and only then is jitter applied (`jitter`,
 * or `jitterAtCap` once the base is the cap). The order
 * matters: Socket.IO randomises before capping, so from about the fifth retry the randomised value is always
 * above the cap, every client of a fleet waits exactly the maximum, and after a server restart they all
 * reconnect in lockstep, a thundering herd at every step. Jitter after the cap keeps the fleet spread over
 * [0, maxMs] however many attempts have failed. Huge attempt numbers are safe: the result stays in [0, maxMs].
 *
 * ## Example
 *
 * ```ts
 * import { exponentialBackoff } from 'sente-rx';
 *
 * const backoff = exponentialBackoff({ initialMs: 500, maxMs: 10_000, jitter: 'equal' });
 * console.log(backoff(1)); // between 250 and 500
 * console.log(backoff(50)); // between 5000 and 10000
 * ```
 *
 * @see {@link reconnect}, which takes such a function as its `backoff`.
 *
 * @param config The initial delay, cap, factor, jitter mode and random source; see {@link ExponentialBackoffConfig}.
 * @return A function from a 1-based attempt number to a delay in whole ms, in [0, maxMs]. It throws a
 * `RangeError` when the attempt is not an integer >= 1.
 */
export function exponentialBackoff(config: ExponentialBackoffConfig = {}): (attempt: number) => number {
  const { initialMs = 1000, maxMs = 30000, factor = 2, jitter = 'full', random = Math.random } = config;
  const jitterAtCap = config.jitterAtCap ?? jitter;
  if (typeof initialMs !== 'number' || !Number.isFinite(initialMs) || initialMs < 0) {
    throw new RangeError(`exponentialBackoff: initialMs must be a finite number of ms >= 0, got ${String(initialMs)}`);
  }
  if (typeof maxMs !== 'number' || !Number.isFinite(maxMs) || maxMs < initialMs) {
    throw new RangeError(`exponentialBackoff: maxMs must be a finite number of ms >= initialMs (${initialMs}), got ${String(maxMs)}`);
  }
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1) {
    throw new RangeError(`exponentialBackoff: factor must be a finite number >= 1, got ${String(factor)}`);
  }
  if (jitter !== 'full' && jitter !== 'equal' && jitter !== 'none') {
    throw new RangeError(`exponentialBackoff: jitter must be 'full', 'equal' or 'none', got ${String(jitter)}`);
  }
  if (jitterAtCap !== 'full' && jitterAtCap !== 'equal' && jitterAtCap !== 'none') {
    throw new RangeError(`exponentialBackoff: jitterAtCap must be 'full', 'equal' or 'none', got ${String(jitterAtCap)}`);
  }
  const delayOf = backoffUnchecked(initialMs, maxMs, factor, jitter, random, jitterAtCap);
  return (attempt: number): number => {
    if (!Number.isInteger(attempt) || attempt < 1) {
      throw new RangeError(`exponentialBackoff: attempt must be an integer >= 1, got ${String(attempt)}`);
    }
    return delayOf(attempt);
  };
}

/**
 * {@link exponentialBackoff} without its checks, for callers whose settings and attempt numbers are known to
 * be valid (the client's default backoff): keeps the checks' messages out of browser bundles. Internal.
 */
export function backoffUnchecked(
  initialMs: number,
  maxMs: number,
  factor: number,
  jitter: 'full' | 'equal' | 'none',
  random: () => number,
  jitterAtCap: 'full' | 'equal' | 'none' = jitter,
): (attempt: number) => number {
  // Rounding must not push a delay past a fractional cap.
  const ceiling = Math.floor(maxMs);

  return (attempt: number): number => {
    // factor ** huge is Infinity, and min() turns it into the cap; 0 * Infinity would be NaN, hence the guard.
    const base = initialMs === 0 ? 0 : Math.min(maxMs, initialMs * factor ** (attempt - 1));
    const mode = base >= maxMs ? jitterAtCap : jitter;
    let delay = base;
    if (mode !== 'none') {
      const r = random();
      const u = r > 0 ? Math.min(r, 1) : 0; // also maps NaN to 0
      delay = mode === 'full' ? u * base : base / 2 + (u * base) / 2;
    }
    return Math.min(Math.round(delay), ceiling);
  };
}
