import type { ReplyFn } from '../protocol/events';

/** @internal The key under which the core hangs "is this request still waiting?" on a request's reply function. */
export const kStillPending: unique symbol = Symbol('sente-rx.stillPending');

type Marked = ReplyFn<never> & { readonly [kStillPending]?: () => boolean };

/** Marks a reply function with the check the core uses to know whether its request is still unanswered. */
export function markPending(fn: ReplyFn<never>, stillPending: () => boolean): void {
  Object.defineProperty(fn, kStillPending, { value: stillPending });
}

/** True while the request `m` still waits for its answer (false for events and answered requests). */
export function stillPending(m: { readonly reply?: unknown }): boolean {
  const check = (m.reply as Marked | undefined)?.[kStillPending];
  return check ? check() : false;
}
