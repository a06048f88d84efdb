import { TestScheduler } from 'rxjs/testing';
import { TIMED_OUT, withDeadline } from '../../src/server/withDeadline';

// The deadline the Ajax handshake gets (handshakeTimeoutMs), in virtual time on the configured scheduler.
describe('withDeadline', () => {
  const scheduler = (): TestScheduler => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.maxFrames = Infinity; // flush() past the default 750 frames
    return ts;
  };

  test('work that never settles gives TIMED_OUT once the deadline passes on the scheduler, not before', async () => {
    const ts = scheduler();
    let settled = false;
    const p = withDeadline(new Promise<number>(() => undefined), 10_000, ts).then((v) => ((settled = true), v));
    ts.flush(); // nothing else is scheduled: the virtual clock runs to the deadline
    expect(ts.now()).toBe(10_000);
    expect(await p).toBe(TIMED_OUT);
    expect(settled).toBe(true);
  });

  test('work that settles first gives its value, and a rejection is passed on', async () => {
    const ts = scheduler();
    await expect(withDeadline(Promise.resolve(7), 10_000, ts)).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('hook down')), 10_000, ts)).rejects.toThrow('hook down');
    ts.flush();
    expect(ts.now()).toBe(0); // the timers were dropped, so flushing does not reach them
  });
});
