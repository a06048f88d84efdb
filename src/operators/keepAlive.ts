import { Observable, OperatorFunction, SchedulerLike, Subscription, asyncScheduler } from 'rxjs';
import { KeepAliveTimeoutError } from './KeepAliveTimeoutError';

/** Options of {@link keepAlive}. */
export interface KeepAliveConfig {
  /** How long the source may stay silent, in ms, before a ping is emitted. Finite and > 0. */
  idleMs: number;
  /** How long the source may stay silent after a ping, in ms, before the output errors. Finite and > 0. */
  timeoutMs: number;
  /**
   * The scheduler the idle and timeout timers run on.
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

/**
 * Emits a ping after `idleMs` without activity, and errors with {@link KeepAliveTimeoutError} when the peer
 * stays silent for `timeoutMs` more (dead-peer detection).
 *
 * ```
 * keepAlive({ idleMs: 4, timeoutMs: 3 })
 * source: --a-----b-------
 * result: ------1-----2--#   # = KeepAliveTimeoutError (silentMs 7)
 * ```
 *
 * The source is the activity stream: every value means "the peer was heard from"; its values are ignored. The
 * idle timer starts at subscription and restarts at every value, which also cancels a pending timeout. Each
 * ping is the 1-based count of pings emitted since subscription; send it to the peer, whose answer (or any other
 * traffic) counts as activity. The output completes when the source completes and forwards its errors.
 *
 * ## Example
 *
 * ```ts
 * import { Subject } from 'rxjs';
 * import { keepAlive } from 'sente-rx';
 *
 * const received$ = new Subject<string>(); // next() every frame read from the socket
 * received$.pipe(keepAlive({ idleMs: 20_000, timeoutMs: 5_000 })).subscribe({
 *   next: (n) => console.log(`idle: sending ping #${n}`),
 *   error: (err) => console.log(`dead peer: ${err.code}`), // CHSK_KEEPALIVE_TIMEOUT
 * });
 * received$.next('hello'); // restarts the idle timer
 * ```
 *
 * @param config The idle and timeout periods and the scheduler; see {@link KeepAliveConfig}.
 * @return A function that returns an Observable of ping counts (1, 2, 3, ...) that errors with
 * {@link KeepAliveTimeoutError} when the peer is silent for `idleMs + timeoutMs`.
 */
export function keepAlive<T>(config: KeepAliveConfig): OperatorFunction<T, number> {
  const { idleMs, timeoutMs, scheduler = asyncScheduler } = config;
  if (typeof idleMs !== 'number' || !Number.isFinite(idleMs) || idleMs <= 0) {
    throw new RangeError(`keepAlive: idleMs must be a finite number of ms > 0, got ${String(idleMs)}`);
  }
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`keepAlive: timeoutMs must be a finite number of ms > 0, got ${String(timeoutMs)}`);
  }
  return keepAliveUnchecked(idleMs, timeoutMs, scheduler);
}

/** {@link keepAlive} without its option checks (the client checks its own options). Internal. */
export function keepAliveUnchecked<T>(idleMs: number, timeoutMs: number, scheduler: SchedulerLike): OperatorFunction<T, number> {
  return (source) =>
    new Observable<number>((subscriber) => {
      // Activity only stamps a time; the one timer re-arms itself lazily when it fires early. This keeps
      // per-message cost at one clock read (no timer churn on busy links) with the same emission times.
      let pings = 0;
      let last = scheduler.now();
      let pingedAt = -1;
      let heardSincePing = false;
      let timer: Subscription | null = null;

      const arm = (delay: number): void => {
        timer = scheduler.schedule(check, Math.max(0, delay));
      };
      function check(): void {
        const now = scheduler.now();
        if (pingedAt >= 0) {
          if (heardSincePing) {
            pingedAt = -1; // heard from the peer after the ping: back to idle counting
          } else if (now - pingedAt >= timeoutMs) {
            subscriber.error(new KeepAliveTimeoutError(idleMs + timeoutMs));
            return;
          } else {
            return arm(pingedAt + timeoutMs - now);
          }
        }
        if (now - last < idleMs) return arm(last + idleMs - now);
        pings += 1;
        pingedAt = now;
        heardSincePing = false;
        // Arm the timeout before emitting: a subscriber that answers synchronously still counts as activity.
        arm(timeoutMs);
        subscriber.next(pings);
      }

      arm(idleMs);
      subscriber.add(
        source.subscribe({
          next: () => {
            last = scheduler.now();
            heardSincePing = true;
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => subscriber.complete(),
        }),
      );

      return () => {
        timer?.unsubscribe();
        timer = null;
      };
    });
}
