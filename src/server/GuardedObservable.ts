import { Observable, Subscriber, type Observer, type Operator, type Subscription } from 'rxjs';

/** Where a subscriber's failure happened: its `next` threw, or its subscription errored with no `error` callback. */
export type SubscriberFailure = 'next' | 'error' | 'complete' | 'unhandled';

/**
 * An Observable whose subscribers cannot crash the process. RxJS catches what a subscriber's callback throws,
 * and what an operator throws when the subscriber has no `error` callback, and rethrows it in a timer, where
 * Node exits: one `m.data.text` on an event without data took the server down. Here every subscriber's
 * callbacks run inside a guard that hands the failure to `onFailure` (the server reports it on `errors$`); a
 * `next` that threw keeps its subscription, a subscription that errored without an `error` callback ends.
 *
 * Operators keep the guard: `lift` returns another GuardedObservable, so `events$.pipe(ofEvent(...), map(...))`
 * `.subscribe(fn)` is guarded as well (every RxJS operator goes through `lift`). What leaves through a
 * combinator (`merge(events$, ...)`, `firstValueFrom`) is subscribed by RxJS's own `Subscriber`, passed
 * through as it is: its consumer is out of reach, which is why the README shows `handle()`.
 */
export class GuardedObservable<T> extends Observable<T> {
  constructor(
    private readonly onFailure: (error: unknown, where: SubscriberFailure) => void,
    subscribe?: (this: Observable<T>, subscriber: Subscriber<T>) => (() => void) | Subscription | void,
  ) {
    super(subscribe);
  }

  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const o = new GuardedObservable<R>(this.onFailure);
    // The same two fields Observable.lift sets (RxJS 7 marks them internal, not private).
    o.source = this;
    o.operator = operator;
    return o;
  }

  override subscribe(
    observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null,
    error?: ((error: unknown) => void) | null,
    complete?: (() => void) | null,
  ): Subscription {
    // An operator's or combinator's own subscriber: it handles its consumer's errors itself.
    if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext);
    const fail = this.onFailure;
    const o: Partial<Observer<T>> =
      typeof observerOrNext === 'function' || observerOrNext == null
        ? { next: observerOrNext ?? undefined, error: error ?? undefined, complete: complete ?? undefined }
        : observerOrNext;
    return super.subscribe({
      next(value) {
        try {
          o.next?.(value);
        } catch (e) {
          fail(e, 'next');
        }
      },
      error(err: unknown) {
        if (!o.error) return fail(err, 'unhandled');
        try {
          o.error(err);
        } catch (e) {
          fail(e, 'error');
        }
      },
      complete() {
        try {
          o.complete?.();
        } catch (e) {
          fail(e, 'complete');
        }
      },
    });
  }
}
