/**
 * The longest delay a timer can take: `setTimeout` (and so RxJS's `asyncScheduler`) stores delays as a signed
 * 32-bit integer and fires a longer one at once (2^32 ms fired after ~0 ms, issue 10 #6).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** True for a duration a timer can honour: a number of ms in (0, 2^31-1]. */
export function isTimerMs(x: unknown): x is number {
  return typeof x === 'number' && x > 0 && x <= MAX_TIMER_MS;
}

/** True for a deadline: a timer duration, or `Infinity` meaning "no deadline". */
export function isDeadlineMs(x: unknown): x is number {
  return x === Infinity || isTimerMs(x);
}
