/** What holds a queue of items waiting behind an async check (a server connection, a client). */
export interface CheckQueueHolder<T> {
  /** Items waiting behind an async check, in arrival order; undefined while every check so far was synchronous. */
  checkQueue: T[] | undefined;
}

/**
 * Checks items in arrival order and hands each to `done` with its result, never reordering them: synchronously
 * while checks are synchronous (no queue, no Promise: the common path costs one call); once a check returns a
 * Promise, later items queue on the holder until it settles, and the queue drains in order (each later check may
 * again be sync or async). `done` runs for every item, also after the holder went away: it decides what to drop. `done` gets the holder,
 * so a caller passes one function for all holders instead of a closure per item.
 */
export function checkInOrder<H extends CheckQueueHolder<T>, T, R>(holder: H, item: T, check: (item: T) => R | Promise<R>, done: (holder: H, item: T, result: R) => void): void {
  if (holder.checkQueue) {
    holder.checkQueue.push(item);
    return;
  }
  const r = check(item);
  if (!(r instanceof Promise)) return done(holder, item, r);
  holder.checkQueue = [];
  void drain(holder, item, r, check, done);
}

async function drain<H extends CheckQueueHolder<T>, T, R>(holder: H, first: T, pending: Promise<R>, check: (item: T) => R | Promise<R>, done: (holder: H, item: T, result: R) => void): Promise<void> {
  let item = first;
  let r: R | Promise<R> = pending;
  for (;;) {
    const result = await r;
    try {
      done(holder, item, result);
    } catch {
      // `done` reports its own failures; the queue must go on regardless.
    }
    const queue = holder.checkQueue!;
    if (queue.length === 0) {
      holder.checkQueue = undefined;
      return;
    }
    item = queue.shift()!;
    r = check(item);
  }
}
