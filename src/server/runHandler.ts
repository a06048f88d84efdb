import { Observable, Subscription } from 'rxjs';
import type { Effect, Handler } from '../effects/Effect';
import { ErrorCode } from '../protocol/codes';
import type { Event, ServerEventMsg } from '../protocol/events';
import { handlerDelivery } from '../operators/handlerDelivery';
import { stillPending } from './replyState';
import type { ServerErrorReport } from './ServerCore';
import type { ServerStream } from './ServerStream';

/** What `runHandler` needs from the server. */
export interface HandlerHost<M> {
  readonly events$: Observable<ServerEventMsg<M>>;
  send(uid: string | null, event: Event<M>): number;
  broadcast(event: Event<M>): number;
  publish(topic: string, event: Event<M>): number;
  report(r: ServerErrorReport): void;
}

/**
 * Runs a handler and performs its effects. A handler that errors, synchronously or later (a `mergeMap` whose
 * database call fails), is reported (`CHSK_HANDLER_ERROR`), answers every request it had in hand with a
 * `CHSK_HANDLER_ERROR` error reply at once, and is started again, so one bad message neither stops it nor
 * leaves its other requests waiting for `requestTimeoutMs`. A handler that fails again before seeing any
 * message stays stopped. Returns the subscription; unsubscribe to stop the handler.
 *
 * "In hand": a request handed to this handler and not answered yet (by anyone), unless an `ofEvent` in the
 * handler filtered it out (it belongs to another handler). A handler that filters with a plain `filter`
 * cannot be told apart from one that holds every request, so it counts them all: use `ofEvent`.
 */
export function runHandler<M>(host: HandlerHost<M>, handler: Handler<M>): Subscription {
  const all = new Subscription();
  /** Requests handed to the running handler and not yet answered; pruned as they are answered. */
  let inHand = new Set<ServerEventMsg<M>>();
  let pruneAt = 64;
  /** The delivery in progress and what the handler's ofEvent filters said about it. */
  let current: ServerEventMsg<M> | undefined;
  let verdict: 'none' | 'in' | 'out' = 'none';
  // A function, so the compiler does not narrow `verdict` across the delivery that changes it.
  const filteredOut = (): boolean => verdict === 'out';
  const delivery = {
    value: undefined as unknown,
    saw(accepted: boolean) {
      if (accepted) verdict = 'in';
      else if (verdict === 'none') verdict = 'out';
    },
  };
  const keep = (m: ServerEventMsg<M>): void => {
    if (!stillPending(m)) return;
    inHand.add(m);
    // Requests answered by other means (m.reply called directly, CHSK_NO_REPLY) leave lazily: amortised O(1).
    if (inHand.size >= pruneAt) {
      for (const r of inHand) if (!stillPending(r)) inHand.delete(r);
      pruneAt = Math.max(64, inHand.size * 2);
    }
  };
  /** Streams this handler started and that still run: a failure of the handler ends them with CHSK_HANDLER_ERROR. */
  const streams = new Set<ServerStream>();
  const msg$ = new Observable<ServerEventMsg<M>>((sub) =>
    host.events$.subscribe({
      next: (m) => {
        const outer = handlerDelivery.current;
        const [prev, prevVerdict, prevValue] = [current, verdict, delivery.value];
        current = m;
        verdict = 'none';
        delivery.value = m;
        handlerDelivery.current = delivery;
        try {
          sub.next(m);
        } finally {
          handlerDelivery.current = outer;
          if (m.reply && !filteredOut()) keep(m);
          [current, verdict, delivery.value] = [prev, prevVerdict, prevValue];
        }
      },
      error: (e) => sub.error(e),
      complete: () => sub.complete(),
    }),
  );
  const perform = (e: Effect<M>): void => {
    switch (e.kind) {
      case 'reply':
        inHand.delete(e.to as ServerEventMsg<M>);
        return e.to.reply?.(e.value as never);
      case 'reply-error':
        inHand.delete(e.to as ServerEventMsg<M>);
        return e.to.reply?.error(e.code, e.message);
      case 'reply-stream': {
        inHand.delete(e.to as ServerEventMsg<M>);
        const open = e.to.reply?.stream as ((source: unknown) => ServerStream | undefined) | undefined;
        const stream = open?.(e.source);
        if (stream && !stream.isOver) {
          streams.add(stream);
          stream.onOver = () => streams.delete(stream);
        }
        return;
      }
      case 'push':
        host.send(e.uid, e.event);
        return;
      case 'broadcast':
        host.broadcast(e.event);
        return;
      case 'publish':
        host.publish(e.topic, e.event);
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
        // What the failed handler held: the requests kept so far, and the one being delivered (a synchronous
        // failure) unless its ofEvent had let it pass by.
        const held = inHand;
        inHand = new Set();
        if (failed?.reply && !filteredOut()) held.add(failed);
        host.report({
          code: ErrorCode.HandlerError,
          message: `handler failed: ${String((error as Error)?.message ?? error)}`,
          clientId: failed?.clientId,
          uid: failed?.uid,
          error,
        });
        for (const m of held) {
          if (stillPending(m)) m.reply?.error(ErrorCode.HandlerError, 'the handler failed while answering this request');
        }
        for (const s of [...streams]) s.fail(ErrorCode.HandlerError, 'the handler failed while streaming this reply');
        streams.clear();
        if (sawMessage && !all.closed) start();
      },
    });
    all.add(sub);
    all.add(seen);
  };
  start();
  return all;
}
