import { EMPTY, filter, fromEvent, merge, map, type Observable } from 'rxjs';

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
  const g = globalThis as { document?: DocumentLike };
  const online: Observable<void> = isSource(globalThis) ? fromEvent(globalThis, 'online').pipe(map(() => undefined)) : EMPTY;
  const doc = g.document;
  const visible: Observable<void> = isSource(doc)
    ? fromEvent(doc, 'visibilitychange').pipe(
        filter(() => doc.visibilityState === 'visible'),
        map(() => undefined),
      )
    : EMPTY;
  return merge(online, visible);
}
