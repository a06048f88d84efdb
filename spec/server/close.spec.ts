import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { startServer } from '../support/harness';

// Regression: close() raced the sockets against a closeTimeoutMs timer with Promise.race, which left the
// timer scheduled (keeping the process alive) after the sockets had closed.
test('close() leaves no scheduled work behind', async () => {
  const live: Subscription[] = [];
  const scheduler: SchedulerLike = {
    now: () => asyncScheduler.now(),
    schedule(work, delay, state) {
      const sub = asyncScheduler.schedule(work as never, delay, state);
      live.push(sub);
      return sub;
    },
  } as SchedulerLike;
  const s = await startServer({ scheduler, closeTimeoutMs: 60_000 });
  const c = await s.connected({ params: { uid: 'u' } });
  c.disconnect();
  await s.stop();
  expect(live.length).toBeGreaterThan(0);
  expect(live.filter((sub) => !sub.closed)).toEqual([]);
});
