import { Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { ConfigError } from '../errors/ConfigError';
import { ReplyTimeoutError } from '../errors/ReplyTimeoutError';
import { isDeadlineMs } from '../protocol/durationMs';
import { MessageType, type WireEvent } from '../protocol/messages';
import type { Outgoing } from './Outgoing';

/** Options of one `emit`. */
export interface EmitOptions {
  /**
   * Deadline for the server's acknowledgement (`a`), counted from the call (time spent waiting offline or behind
   * the pacer included): ms in (0, 2^31-1], or `Infinity` for none. Past it the emit errors with
   * `ReplyTimeoutError` (`CHSK_TIMEOUT`); the server may still have the event if it was written.
   * @default the client's `timeoutMs` (10 s)
   */
  timeoutMs?: number;
}

/** What an emit needs from the client core. */
export interface EmitHost {
  readonly scheduler: SchedulerLike;
  nextMid(): number;
  /** Writes now, or parks in the buffer; fails it when that cannot be done. */
  submit(o: Outgoing): void;
  /** Forgets `o` wherever it waits (buffer, or written and waiting for its `a`). */
  forget(o: Outgoing): void;
}

/**
 * An event that expects no reply: a cold Observable that writes `{ t: 'e', ev, mid }` on subscribe (waiting in
 * the buffer while offline), completes when the server's `{ t: 'a', mid }` arrives, and errors on a refusal
 * quoting its `mid`, at the deadline, or when the client gives up on it (`CHSK_UNCERTAIN` once written,
 * `CHSK_CLOSED` before). A link that closes first does not fail it: the client's outbox writes it again after the
 * reconnect. Unsubscribing stops the wait (an event already written stays written).
 */
export function emitEvent(host: EmitHost, id: string, ev: WireEvent, timeoutMs: number): Observable<void> {
  return new Observable<void>((sub) => {
    if (!isDeadlineMs(timeoutMs)) {
      return sub.error(new ConfigError(`emit: 'timeoutMs' must be a number of ms in (0, 2^31-1], or Infinity for no deadline; got ${String(timeoutMs)}`));
    }
    let timer: Subscription | undefined;
    const cleanup = (): void => {
      timer?.unsubscribe();
      host.forget(o);
    };
    const o: Outgoing = {
      msg: { t: MessageType.Event, ev, mid: host.nextMid() },
      ack: () => (cleanup(), sub.complete()),
      fail: (e) => (cleanup(), sub.error(e)),
    };
    if (timeoutMs !== Infinity) timer = host.scheduler.schedule(() => o.fail(new ReplyTimeoutError(id, timeoutMs, 'acknowledgement')), timeoutMs);
    host.submit(o);
    return cleanup;
  });
}
