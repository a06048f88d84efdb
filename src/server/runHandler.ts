import { Observable, Subscription } from 'rxjs';
import type { Effect, Handler } from '../effects/Effect';
import { ErrorCode } from '../protocol/codes';
import type { Event, ServerEventMsg } from '../protocol/events';
import type { ServerErrorReport } from './ServerCore';

/** What `runHandler` needs from the server. */
export interface HandlerHost<M> {
  readonly events$: Observable<ServerEventMsg<M>>;
  send(uid: string | null, event: Event<M>): number;
  broadcast(event: Event<M>): number;
  report(r: ServerErrorReport): void;
}

/**
 * Runs a handler and performs its effects. A handler that errors is reported (`CHSK_HANDLER_ERROR`) and
 * started again, so one bad message does not stop it; a request that was being handled when it failed gets a
 * `CHSK_HANDLER_ERROR` error reply. A handler that fails again before seeing any message stays stopped.
 * Returns the subscription; unsubscribe to stop the handler.
 */
export function runHandler<M>(host: HandlerHost<M>, handler: Handler<M>): Subscription {
  const all = new Subscription();
  let current: ServerEventMsg<M> | undefined;
  const msg$ = new Observable<ServerEventMsg<M>>((sub) =>
    host.events$.subscribe({
      next: (m) => {
        current = m;
        try {
          sub.next(m);
        } finally {
          current = undefined;
        }
      },
      error: (e) => sub.error(e),
      complete: () => sub.complete(),
    }),
  );
  const perform = (e: Effect<M>): void => {
    switch (e.kind) {
      case 'reply':
        return e.to.reply?.(e.value as never);
      case 'reply-error':
        return e.to.reply?.error(e.code, e.message);
      case 'push':
        host.send(e.uid, e.event);
        return;
      case 'broadcast':
        host.broadcast(e.event);
        return;
    }
  };
  const start = (): void => {
    let sawMessage = false;
    const seen = host.events$.subscribe(() => (sawMessage = true));
    let out: Observable<Effect<M>>;
    try {
      out = handler(msg$);
    } catch (error) {
      seen.unsubscribe();
      host.report({ code: ErrorCode.HandlerError, message: `handler threw while starting: ${String((error as Error)?.message ?? error)}`, error });
      return;
    }
    const sub = out.subscribe({
      next: (e) => {
        try {
          perform(e);
        } catch (error) {
          host.report({ code: ErrorCode.HandlerError, message: 'performing an effect failed', error });
        }
      },
      error: (error: unknown) => {
        seen.unsubscribe();
        const failed = current;
        host.report({
          code: ErrorCode.HandlerError,
          message: `handler failed: ${String((error as Error)?.message ?? error)}`,
          clientId: failed?.clientId,
          uid: failed?.uid,
          error,
        });
        failed?.reply?.error(ErrorCode.HandlerError, 'the handler failed while answering this request');
        if (sawMessage && !all.closed) start();
      },
    });
    all.add(sub);
    all.add(seen);
  };
  start();
  return all;
}
