import { Observable, OperatorFunction, SchedulerLike, Subscription, asyncScheduler } from 'rxjs';

/** Options of {@link batch}. */
export interface BatchConfig {
  /**
   * The longest a value waits in the buffer, in ms, counted from the first value of a batch.
   * `0` switches batching off: every value is emitted alone, synchronously.
   */
  windowMs: number;
  /**
   * A batch is emitted as soon as it holds this many values (and its timer is cancelled).
   * @default Infinity
   */
  maxSize?: number;
  /**
   * A notifier: each emission emits the pending values at once (nothing if none are pending). If it errors,
   * the pending values are emitted and then the error is forwarded; its completion is ignored.
   * @default undefined (no notifier)
   */
  flush?: Observable<unknown>;
  /**
   * Leading edge: a value that arrives while no window is open is emitted at once, alone, and opens a window;
   * values arriving during the window are emitted together at its end, which opens the next window. A window
   * that ends empty closes. Sparse values then go out with no delay and only bursts wait.
   * @default false
   */
  leading?: boolean;
  /**
   * A batch also ends once no value has arrived for this long (ms): the tail of a burst leaves as soon as the
   * burst stops instead of waiting out the window, while values arriving faster than this keep filling the
   * batch up to `windowMs` or `maxSize`. After such an early end, the next value starts afresh (in leading
   * mode it is emitted at once). One timer per batch, re-armed lazily: a clock read per value.
   * @default Infinity (off)
   */
  idleMs?: number;
  /**
   * The scheduler the window timer runs on.
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

/**
 * Groups source values into non-empty arrays, emitted at most `windowMs` after the first value of each batch.
 *
 * ```
 * batch({ windowMs: 3, maxSize: 3 })
 * source: --a-b--------c-d-e-f-|
 * result: -----x-----------y---(z|)   x = [a, b], y = [c, d, e], z = [f]
 *
 * batch({ windowMs: 3, leading: true })
 * source: --a-b--------c-------|
 * result: --x--y-------z-------|      x = [a], y = [b], z = [c]
 *
 * batch({ windowMs: 8, idleMs: 2 })
 * source: --abc-------d-e-f-g-h-i-|
 * result: ------x-------------y---(z|)   x = [a, b, c] (quiet for 2), y = [d, e, f, g, h] (window), z = [i]
 * ```
 *
 * The window timer starts at the first value after an empty buffer, so latency is at most `windowMs` and no
 * timer runs while idle. A full buffer (`maxSize`) or an emission of `flush` emits the batch at once. When the
 * source completes or errors the pending values are emitted first: nothing is lost silently. An empty array is
 * never emitted.
 *
 * ## Example
 *
 * ```ts
 * import { interval, take } from 'rxjs';
 * import { batch } from 'sente-rx';
 *
 * interval(10)
 *   .pipe(take(7), batch({ windowMs: 25 }))
 *   .subscribe((values) => console.log(values));
 * // Output: [0, 1, 2], [3, 4, 5], [6]
 * ```
 *
 * @see {@link bufferTime} from RxJS, which ticks on a fixed period even while idle and emits empty arrays.
 *
 * @param config The window, size bound, flush notifier and scheduler; see {@link BatchConfig}.
 * @return A function that returns an Observable of non-empty arrays of the source values, in order.
 */
export function batch<T>(config: BatchConfig): OperatorFunction<T, T[]> {
  const { windowMs, maxSize = Infinity, flush, leading = false, idleMs = Infinity, scheduler = asyncScheduler } = config;
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs < 0) {
    throw new RangeError(`batch: windowMs must be a finite number of ms >= 0 (0 = no batching), got ${String(windowMs)}`);
  }
  if (maxSize !== Infinity && !(Number.isInteger(maxSize) && maxSize >= 1)) {
    throw new RangeError(`batch: maxSize must be an integer >= 1 or Infinity, got ${String(maxSize)}`);
  }
  if (typeof idleMs !== 'number' || Number.isNaN(idleMs) || idleMs <= 0) {
    throw new RangeError(`batch: idleMs must be a number of ms > 0 or Infinity, got ${String(idleMs)}`);
  }
  const idle = idleMs !== Infinity && idleMs < windowMs;

  return (source) =>
    new Observable<T[]>((subscriber) => {
      let buffer: T[] = [];
      let timer: Subscription | null = null;
      let idleTimer: Subscription | null = null;
      /** When the last value was buffered (scheduler time), for `idleMs`. */
      let lastAt = 0;

      /** Ends the current batch: stops its idle timer and hands over its values (null when it is empty). */
      const takeBatch = (): T[] | null => {
        idleTimer?.unsubscribe();
        idleTimer = null;
        if (buffer.length === 0) return null;
        const values = buffer;
        buffer = [];
        return values;
      };

      const emitPending = (): void => {
        timer?.unsubscribe();
        timer = null;
        const values = takeBatch();
        if (values) subscriber.next(values);
      };

      // Leading mode: a window that collected values emits them and opens the next one; an empty one closes.
      const endLeadingWindow = (): void => {
        timer = null;
        const values = takeBatch();
        if (!values) return;
        timer = scheduler.schedule(endLeadingWindow, windowMs);
        subscriber.next(values);
      };

      // Fires `idleMs` after it was armed; ends the batch if nothing came since, else waits out the rest.
      const checkIdle = (): void => {
        idleTimer = null;
        const quiet = scheduler.now() - lastAt;
        if (quiet >= idleMs) return emitPending();
        idleTimer = scheduler.schedule(checkIdle, idleMs - quiet);
      };

      if (flush && windowMs > 0) {
        subscriber.add(
          flush.subscribe({
            next: emitPending,
            error: (err: unknown) => {
              emitPending();
              subscriber.error(err);
            },
          }),
        );
      }
      if (subscriber.closed) return;

      subscriber.add(
        source.subscribe({
          next: (value) => {
            if (windowMs === 0) {
              subscriber.next([value]);
              return;
            }
            if (leading && !timer) {
              timer = scheduler.schedule(endLeadingWindow, windowMs);
              subscriber.next([value]);
              return;
            }
            buffer.push(value);
            if (buffer.length >= maxSize) return emitPending();
            if (!timer) timer = scheduler.schedule(leading ? endLeadingWindow : emitPending, windowMs);
            if (idle) {
              lastAt = scheduler.now();
              if (!idleTimer) idleTimer = scheduler.schedule(checkIdle, idleMs);
            }
          },
          error: (err: unknown) => {
            emitPending();
            subscriber.error(err);
          },
          complete: () => {
            emitPending();
            subscriber.complete();
          },
        }),
      );

      return () => {
        timer?.unsubscribe();
        idleTimer?.unsubscribe();
        timer = idleTimer = null;
        buffer = [];
      };
    });
}
