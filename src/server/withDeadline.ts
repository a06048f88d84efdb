import { firstValueFrom, from, map, race, timer, type SchedulerLike } from 'rxjs';

/** What {@link withDeadline} resolves with when the deadline passed first. */
export const TIMED_OUT: unique symbol = Symbol('sente-rx.timedOut');

/**
 * `work`'s result, or {@link TIMED_OUT} if `ms` pass first on `scheduler` (the timer is dropped as soon as
 * `work` settles). `work` itself goes on; its late result or rejection is ignored.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, scheduler: SchedulerLike): Promise<T | typeof TIMED_OUT> {
  return firstValueFrom(race(from(work), timer(ms, scheduler).pipe(map((): typeof TIMED_OUT => TIMED_OUT))));
}
