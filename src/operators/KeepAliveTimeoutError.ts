import { ChannelError } from '../errors/ChannelError';
import { ErrorCode } from '../protocol/codes';

/**
 * The error {@link keepAlive} raises when the peer stays silent after a ping.
 *
 * A {@link ChannelError}: it carries a stable `code` (`CHSK_KEEPALIVE_TIMEOUT`) so callers can branch on it without string matching,
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
export class KeepAliveTimeoutError extends ChannelError {
  /** Always `'KeepAliveTimeoutError'`. */
  override readonly name = 'KeepAliveTimeoutError';
  /** Stable machine-readable code. */
  override readonly code = ErrorCode.KeepAliveTimeout;
  /** How long the peer had been silent, in ms, when the timeout fired. */
  readonly silentMs: number;

  /**
   * @param silentMs How long the peer had been silent, in ms.
   * @param message Optional custom message.
   */
  constructor(silentMs: number, message?: string) {
    super(ErrorCode.KeepAliveTimeout, message ?? `peer silent for ${silentMs} ms (CHSK_KEEPALIVE_TIMEOUT)`);
    this.silentMs = silentMs;
  }
}
