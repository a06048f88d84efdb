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
 * Once WebSocket has opened on this client, a failure before open is an outage (server down or restarting)
 * unless there are signs of a blocked upgrade (an HTTP answer other than 101 and not 5xx, or no open within
 * `connectTimeoutMs`): the close is reported as it is and the client retries WebSocket with its backoff,
 * with `type` staying `'ws'` and each failed attempt in `lastWsError`/`lastWsClose`.
 *
 * Once Ajax has worked where WebSocket failed, later links start on Ajax directly (no wasted attempt per
 * reconnect); the Ajax transport's upgrade probes find the way back, and after a successful move later links
 * start on WebSocket again. A WebSocket failure while Ajax fails too (the server is down) changes nothing.
 */
export function autoTransport(options: AutoTransportOptions): ClientTransport {
  const { ws, ajax, scheduler, connectTimeoutMs } = options;
  let startOnAjax = false;
  /** WebSocket has opened on this client: the network lets it through. */
  let wsWorked = false;

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
        /** An HTTP answer other than 101 to the upgrade (a proxy or server that does not pass WebSocket). */
        let answered = false;
        let fallbackSub: Subscription | undefined;
        const fallBack = (): void => {
          if (fellBack) return;
          fellBack = true;
          timer.unsubscribe();
          wsSub?.unsubscribe();
          sub.next({ kind: 'transport', type: 'ajax', reason: 'downgrading-ws-to-ajax' });
          fallbackSub = viaAjax(ctx).subscribe(sub);
        };
        // A hung upgrade is a sign of a blocked one, whether or not WebSocket worked before.
        const timer = scheduler.schedule(() => {
          if (!opened) fallBack();
        }, connectTimeoutMs);
        let wsSub: Subscription | undefined;
        wsSub = ws.connect(ctx).subscribe({
          next: (sig) => {
            if (fellBack) return;
            if (sig.kind === 'open') {
              opened = wsWorked = true;
              timer.unsubscribe();
            }
            // `ws` (Node) says "Unexpected server response: <status>"; a 5xx is a server that is down or
            // restarting behind a proxy, not a blocked upgrade. Browsers give no detail.
            if (sig.kind === 'error' && /Unexpected server response: (?!5\d\d)/.test(sig.message)) answered = true;
            if (sig.kind === 'close' && !sig.opened) {
              // Once WebSocket has worked on this client, a refused or reset connection is an outage: report
              // the close, and the client retries WebSocket with its backoff (issue 10 #9).
              if (!wsWorked || answered) return fallBack();
              timer.unsubscribe();
            }
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
