import { Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { ConfigError } from '../errors/ConfigError';
import { ReplyTimeoutError } from '../errors/ReplyTimeoutError';
import { StreamCutError } from '../errors/StreamCutError';
import { isDeadlineMs } from '../protocol/durationMs';
import { MessageType, type ClientMessage, type WireEvent } from '../protocol/messages';
import type { Outgoing } from './Outgoing';

/** Options of one `stream$`. */
export interface StreamOptions {
  /**
   * Deadline for the server's first answer (an item, the end, or an error), counted from the subscription: ms in
   * (0, 2^31-1], or `Infinity`. @default the client's `timeoutMs` (10 s)
   */
  timeoutMs?: number;
  /** Longest silence between two items once the stream has started, or `Infinity`. @default Infinity */
  idleTimeoutMs?: number;
  /**
   * Flow control: how many items the server may send before the client has consumed them. The client grants
   * more each time half a window has reached the subscriber. The server caps it at its `maxStreamWindow`
   * (1024 by default). An integer in [1, 2^31-1]. @default 64
   */
  window?: number;
}

/** The default window of a stream (`StreamOptions.window`). */
export const DEFAULT_STREAM_WINDOW = 64;

/** What a stream needs from the client core. */
export interface StreamHost {
  readonly scheduler: SchedulerLike;
  /** The client's default deadline (`timeoutMs`). */
  readonly timeoutMs: number;
  nextRid(): number;
  /** The next message id (see MessageIds). */
  nextMid(): number;
  /** Writes now, or parks in the offline buffer; fails it when that cannot be done. */
  submit(o: Outgoing): void;
  /** Forgets `o`; true when it had been written (the server knows of it). */
  forget(o: Outgoing): boolean;
  /** Writes a control message on the current link, if there is one. */
  write(m: ClientMessage): void;
}

/**
 * A streamed request: a cold Observable that sends `{ t: 'q', ev, rid, w }` on subscribe, emits each `si`, and
 * completes on `se` (or on an `r`, when the handler answered with a plain reply). Unsubscribing while the request
 * is in flight sends `{ t: 'sc', rid }`; a dropped link errors with {@link StreamCutError}.
 */
export function requestStream(host: StreamHost, id: string, ev: WireEvent, options: StreamOptions = {}): Observable<unknown> {
  return new Observable<unknown>((sub) => {
    const timeoutMs = options.timeoutMs ?? host.timeoutMs;
    const idleMs = options.idleTimeoutMs ?? Infinity;
    const window = options.window ?? DEFAULT_STREAM_WINDOW;
    if (!isDeadlineMs(timeoutMs) || !isDeadlineMs(idleMs)) {
      return sub.error(new ConfigError(`stream$: 'timeoutMs' and 'idleTimeoutMs' must be numbers of ms in (0, 2^31-1], or Infinity; got ${String(timeoutMs)}, ${String(idleMs)}`));
    }
    if (!Number.isInteger(window) || window < 1 || window > 2 ** 31 - 1) {
      return sub.error(new ConfigError(`stream$: 'window' must be an integer in [1, 2^31-1], got ${String(window)}`));
    }
    const rid = host.nextRid();
    const grantAt = Math.ceil(window / 2);
    const now = () => host.scheduler.now();
    let unacked = 0;
    let started = false;
    let last = now();
    let over = false;
    let timer: Subscription | undefined;
    const finish = (): boolean => {
      if (over) return false;
      over = true;
      timer?.unsubscribe();
      host.forget(o);
      return true;
    };
    /** One timer, re-armed lazily when it fires: an item costs no timer of its own. */
    const arm = (): void => {
      const limit = started ? idleMs : timeoutMs;
      if (limit === Infinity) return;
      const due = last + limit - now();
      timer = host.scheduler.schedule(() => {
        timer = undefined;
        if (over) return;
        if (now() - last >= limit) {
          if (host.forget(o)) host.write({ t: MessageType.StreamCancel, rid });
          finish();
          return sub.error(new ReplyTimeoutError(id, limit));
        }
        arm();
      }, Math.max(0, due));
    };
    const deliver = (v: unknown): void => {
      if (!started) {
        started = true;
        timer?.unsubscribe();
        last = now();
        arm();
      } else last = now();
      sub.next(v);
    };
    const o: Outgoing = {
      msg: { t: MessageType.Request, ev, rid, mid: host.nextMid(), w: window },
      item: (v) => {
        if (over) return;
        deliver(v);
        if (over) return; // the subscriber unsubscribed (take(n)): the cancel has gone out instead
        if (++unacked >= grantAt) {
          host.write({ t: MessageType.Credit, rid, n: unacked });
          unacked = 0;
        }
      },
      end: () => finish() && sub.complete(),
      reply: (v) => {
        if (over) return;
        deliver(v);
        if (finish()) sub.complete();
      },
      fail: (e) => {
        if (over) return;
        // Still in flight (an item failed its schema): tell the server to stop.
        if (host.forget(o)) host.write({ t: MessageType.StreamCancel, rid });
        if (finish()) sub.error(e);
      },
      cut: (reason) => new StreamCutError(id, reason),
    };
    arm();
    host.submit(o);
    return () => {
      if (over) return;
      over = true;
      timer?.unsubscribe();
      if (host.forget(o)) host.write({ t: MessageType.StreamCancel, rid });
    };
  });
}
