import { Observable, type SchedulerLike } from 'rxjs';
import type { ClientTransport, TransportSignal } from '../ClientTransport';

/** Reason of the close a link reports when it did not open in time. */
export const CONNECT_TIMEOUT_REASON = 'connect timeout';

/**
 * A transport whose links give up when they have not opened within `timeoutMs` (scheduler time): the attempt
 * ends with a `close` signal (code 1006, reason `'connect timeout'`, `opened: false`), and the client reconnects
 * with its backoff. Without it a connect into a black hole (a dropped SYN, a proxy that never answers the
 * upgrade) would wait for the operating system's TCP timeout, minutes long.
 */
export function withConnectTimeout(inner: ClientTransport, timeoutMs: number, scheduler: SchedulerLike): ClientTransport {
  return {
    type: inner.type,
    connect: (ctx) =>
      new Observable<TransportSignal>((sub) => {
        let opened = false;
        const link = inner.connect(ctx).subscribe({
          next: (sig) => {
            if (sig.kind === 'open') opened = true, deadline.unsubscribe();
            sub.next(sig);
          },
          error: (e: unknown) => sub.error(e),
          complete: () => sub.complete(),
        });
        const deadline = scheduler.schedule(() => {
          if (opened || sub.closed) return;
          link.unsubscribe();
          sub.next({ kind: 'close', code: 1006, reason: CONNECT_TIMEOUT_REASON, clean: false, opened: false });
          sub.complete();
        }, timeoutMs);
        return () => {
          deadline.unsubscribe();
          link.unsubscribe();
        };
      }),
  };
}
