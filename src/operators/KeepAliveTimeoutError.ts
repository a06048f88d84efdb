/**
 * The error {@link keepAlive} raises when the peer stays silent after a ping.
 *
 * It carries a stable `code` (`CHSK_KEEPALIVE_TIMEOUT`) so callers can branch on it without string matching,
 * and `silentMs`, how long the peer had been silent when it was declared dead (`idleMs + timeoutMs`).
 *
 * ## Example
 *
 * ```ts
 * import { Subject } from 'rxjs';
 * import { keepAlive, KeepAliveTimeoutError } from 'sente-rx';
 *
 * const activity$ = new Subject<unknown>();
 * activity$.pipe(keepAlive({ idleMs: 1000, timeoutMs: 500 })).subscribe({
 *   next: (n) => console.log('ping', n),
 *   error: (err) => {
 *     if (err instanceof KeepAliveTimeoutError) console.log(err.code, err.silentMs); // CHSK_KEEPALIVE_TIMEOUT 1500
 *   },
 * });
 * ```
 */
export class KeepAliveTimeoutError extends Error {
  /** Always `'KeepAliveTimeoutError'`. */
  override readonly name = 'KeepAliveTimeoutError';
  /** Stable machine-readable code. */
  readonly code = 'CHSK_KEEPALIVE_TIMEOUT';
  /** How long the peer had been silent, in ms, when the timeout fired. */
  readonly silentMs: number;

  /**
   * @param silentMs How long the peer had been silent, in ms.
   * @param message Optional custom message.
   */
  constructor(silentMs: number, message?: string) {
    super(message ?? `peer silent for ${silentMs} ms (CHSK_KEEPALIVE_TIMEOUT)`);
    // Downlevel (ES5) builds of `extends Error` lose the subclass prototype; this keeps `instanceof` working.
    Object.setPrototypeOf(this, new.target.prototype);
    this.silentMs = silentMs;
  }
}
