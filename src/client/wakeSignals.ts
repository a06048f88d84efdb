import { Observable } from 'rxjs';

interface EventSourceLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}
interface DocumentLike extends EventSourceLike {
  readonly visibilityState?: string;
}

const isSource = (x: unknown): x is EventSourceLike =>
  typeof (x as EventSourceLike | undefined)?.addEventListener === 'function' && typeof (x as EventSourceLike).removeEventListener === 'function';

/**
 * Moments when a reconnect should not wait out its backoff: the browser reports `online`, or the page becomes
 * visible again (a laptop waking up, a tab brought back). Read from `globalThis` when subscribed; where there is
 * no such global (Node, workers without `document`) it completes at once.
 */
export function wakeSignals(): Observable<void> {
  // Hand-written rather than merge(fromEvent(...), fromEvent(...)): those pulled about 1.5 KB min+gzip of rxjs
  // (fromEvent, merge, mergeMap, innerFrom, the scheduled* helpers) into every browser bundle for two listeners.
  return new Observable<void>((subscriber) => {
    const doc = (globalThis as { document?: DocumentLike }).document;
    const wake = (): void => subscriber.next();
    const shown = (): void => {
      if (doc?.visibilityState === 'visible') subscriber.next();
    };
    const win = isSource(globalThis) ? globalThis : null;
    const page = isSource(doc) ? doc : null;
    win?.addEventListener('online', wake);
    page?.addEventListener('visibilitychange', shown);
    if (!win && !page) subscriber.complete();
    return () => {
      win?.removeEventListener('online', wake);
      page?.removeEventListener('visibilitychange', shown);
    };
  });
}
