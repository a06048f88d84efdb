import { MonoTypeOperatorFunction, Observable, SchedulerLike, Subscription, asyncScheduler } from 'rxjs';
import { MAX_TIMER_MS } from '../protocol/durationMs';

/** What {@link ReconnectConfig.onRetry} is told about a retry it schedules. */
export interface ReconnectRetryInfo {
  /** The 1-based attempt number, counted since the last reset. */
  attempt: number;
  /** How long the operator waits before resubscribing, in ms. */
  delayMs: number;
  /** The error that caused the retry. */
  error: unknown;
}

/** Options of {@link reconnect}. */
export interface ReconnectConfig<T> {
  /** Attempt number (1-based) → delay in ms before resubscribing; {@link exponentialBackoff} makes one. */
  backoff: (attempt: number) => number;
  /**
   * How many retries in a row (since the last reset) are allowed; once exceeded, the last error is forwarded.
   * `0` forwards the first error.
   * @default Infinity
   */
  maxAttempts?: number;
  /**
   * Whether a value resets the attempt counter to 0, i.e. proves the connection healthy.
   * @default every value resets it
   */
  resetOn?: (value: T) => boolean;
  /**
   * Whether an error is worth a retry; when it returns false the error is forwarded at once.
   * @default every error is retried
   */
  shouldRetry?: (error: unknown) => boolean;
  /**
   * Called when a retry is scheduled, before the wait: the place to publish "next reconnect at" state.
   * @default undefined
   */
  onRetry?: (info: ReconnectRetryInfo) => void;
  /**
   * The scheduler the waits run on.
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

/**
 * Resubscribes to the source when it errors, after a delay given by `backoff(attempt)`, like `retry` with a
 * backoff, a reset rule and an error filter.
 *
 * ```
 * reconnect({ backoff: (n) => n * 2, resetOn: () => false })
 * source: --a--#
 *                --a--#                (attempt 1: waited 2)
 *                         --a--#       (attempt 2: waited 4; then waits 6, ...)
 * result: --a------a--------a-------- ...
 * ```
 *
 * The attempt counter is 1-based and counts errors since the last reset: by default every value resets it, so
 * a connection that worked for a while starts again from the shortest delay. An error past `maxAttempts`, or
 * one `shouldRetry` rejects, is forwarded. Unsubscribing during a wait cancels it. Source completion
 * completes the output. Errors thrown by the callbacks, or a delay that is not a finite number >= 0, error
 * the output; a delay above 2^31-1 ms waits 2^31-1 ms (a longer timer would fire at once).
 *
 * ## Example
 *
 * ```ts
 * import { defer, throwError, of, concat } from 'rxjs';
 * import { reconnect, exponentialBackoff } from 'sente-rx';
 *
 * let tries = 0;
 * const connection$ = defer(() => (++tries < 3 ? concat(of('hi'), throwError(() => new Error('drop'))) : of('stable')));
 * connection$
 *   .pipe(
 *     reconnect({
 *       backoff: exponentialBackoff({ initialMs: 100, maxMs: 5000 }),
 *       onRetry: ({ attempt, delayMs }) => console.log(`retry #${attempt} in ${delayMs} ms`),
 *     }),
 *   )
 *   .subscribe((v) => console.log(v));
 * // Output: hi, retry #1 in ... ms, hi, retry #1 in ... ms, stable
 * ```
 *
 * @see {@link exponentialBackoff}
 *
 * @param config The backoff function, limits, reset and retry rules, hook and scheduler; see {@link ReconnectConfig}.
 * @return A function that returns an Observable mirroring the source across resubscriptions.
 */
export function reconnect<T>(config: ReconnectConfig<T>): MonoTypeOperatorFunction<T> {
  const { backoff, maxAttempts = Infinity, resetOn, shouldRetry, onRetry, scheduler = asyncScheduler } = config;
  if (typeof backoff !== 'function') {
    throw new TypeError('reconnect: backoff must be a function (attempt) => ms, e.g. exponentialBackoff()');
  }
  if (maxAttempts !== Infinity && !(Number.isInteger(maxAttempts) && maxAttempts >= 0)) {
    throw new RangeError(`reconnect: maxAttempts must be an integer >= 0 or Infinity, got ${String(maxAttempts)}`);
  }
  return reconnectUnchecked({ backoff, maxAttempts, resetOn, shouldRetry, onRetry, scheduler });
}

/** {@link reconnect} without its option checks (the client checks its own options). Internal. */
export function reconnectUnchecked<T>(config: ReconnectConfig<T> & { maxAttempts: number; scheduler: SchedulerLike }): MonoTypeOperatorFunction<T> {
  const { backoff, maxAttempts, resetOn, shouldRetry, onRetry, scheduler } = config;
  return (source) =>
    new Observable<T>((subscriber) => {
      let attempt = 0;
      let inner: Subscription | null = null;
      let wait: Subscription | null = null;

      const onError = (error: unknown): void => {
        try {
          if (attempt >= maxAttempts || (shouldRetry && !shouldRetry(error))) {
            subscriber.error(error);
            return;
          }
          attempt += 1;
          const delayMs = backoff(attempt);
          if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
            throw new RangeError(`reconnect: backoff(${attempt}) returned ${String(delayMs)}`);
          }
          onRetry?.({ attempt, delayMs, error });
          // A longer timer would fire at once (setTimeout's delay is a signed 32-bit integer).
          wait = scheduler.schedule(subscribeToSource, Math.min(delayMs, MAX_TIMER_MS));
        } catch (callbackError) {
          subscriber.error(callbackError);
        }
      };

      function subscribeToSource(): void {
        wait = null;
        inner = source.subscribe({
          next: (value) => {
            try {
              if (resetOn ? resetOn(value) : true) attempt = 0;
            } catch (callbackError) {
              subscriber.error(callbackError);
              return;
            }
            subscriber.next(value);
          },
          error: onError,
          complete: () => subscriber.complete(),
        });
        // A callback may have closed the output while a synchronous source was still subscribing.
        if (subscriber.closed) inner.unsubscribe();
      }

      subscribeToSource();
      return () => {
        inner?.unsubscribe();
        wait?.unsubscribe();
        inner = wait = null;
      };
    });
}
