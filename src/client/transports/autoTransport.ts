import { Observable, tap, type SchedulerLike, type Subscription } from 'rxjs';
import type { TransportType } from '../../protocol/events';
import type { ClientTransport, ConnectContext, TransportSignal } from '../ClientTransport';

/** Options of {@link autoTransport}. */
export interface AutoTransportOptions {
  /** The WebSocket transport, tried first. */
  readonly ws: ClientTransport;
  /** The Ajax transport to fall back to (give it `upgrade` to find the way back to WebSocket). */
  readonly ajax: ClientTransport;
  readonly scheduler: SchedulerLike;
  /** A WebSocket that has not opened after this long counts as failed. */
  readonly connectTimeoutMs: number;
}

/**
 * The `'auto'` transport: WebSocket first; when the socket fails before ever opening (refused, 4xx/5xx on
 * the upgrade, a proxy that strips `Upgrade`) or does not open within `connectTimeoutMs`, the same link
 * carries on over Ajax, reporting `{ kind: 'transport', type: 'ajax', reason: 'downgrading-ws-to-ajax' }`.
 *
 * Once Ajax has worked where WebSocket failed, later links start on Ajax directly (no wasted attempt per
 * reconnect); the Ajax transport's upgrade probes find the way back, and after a successful move later links
 * start on WebSocket again. A WebSocket failure while Ajax fails too (the server is down) changes nothing.
 */
export function autoTransport(options: AutoTransportOptions): ClientTransport {
  const { ws, ajax, scheduler, connectTimeoutMs } = options;
  let startOnAjax = false;

  const viaAjax = (ctx: ConnectContext): Observable<TransportSignal> =>
    ajax.connect(ctx).pipe(
      tap((sig) => {
        if (sig.kind === 'open') startOnAjax = true;
        if (sig.kind === 'transport' && sig.type === 'ws') startOnAjax = false;
      }),
    );

  return {
    get type(): TransportType {
      return startOnAjax ? 'ajax' : 'ws';
    },
    connect: (ctx: ConnectContext) => {
      if (startOnAjax) return viaAjax(ctx);
      return new Observable<TransportSignal>((sub) => {
        let opened = false;
        let fellBack = false;
        let fallbackSub: Subscription | undefined;
        const fallBack = (): void => {
          if (fellBack) return;
          fellBack = true;
          timer.unsubscribe();
          wsSub?.unsubscribe();
          sub.next({ kind: 'transport', type: 'ajax', reason: 'downgrading-ws-to-ajax' });
          fallbackSub = viaAjax(ctx).subscribe(sub);
        };
        const timer = scheduler.schedule(() => {
          if (!opened) fallBack();
        }, connectTimeoutMs);
        let wsSub: Subscription | undefined;
        wsSub = ws.connect(ctx).subscribe({
          next: (sig) => {
            if (fellBack) return;
            if (sig.kind === 'open') {
              opened = true;
              timer.unsubscribe();
            }
            if (sig.kind === 'close' && !sig.opened) return fallBack();
            sub.next(sig);
          },
          error: (e: unknown) => {
            if (!fellBack) sub.error(e);
          },
          complete: () => {
            if (!fellBack) sub.complete();
          },
        });
        // The socket may have failed synchronously, before `wsSub` was assigned.
        if (fellBack) wsSub.unsubscribe();
        return () => {
          timer.unsubscribe();
          wsSub?.unsubscribe();
          fallbackSub?.unsubscribe();
        };
      });
    },
  };
}
