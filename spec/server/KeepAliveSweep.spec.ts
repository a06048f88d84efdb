import { TestScheduler } from 'rxjs/testing';
import { KeepAliveSweep } from '../../src/server/KeepAliveSweep';
import type { ServerConn } from '../../src/server/ServerConn';

// Issue 10 #15, in virtual time: bytes that never become a message (WebSocket pings, fragments) are activity.
describe('KeepAliveSweep', () => {
  const conn = (link: { bytesReceived?: number }) => ({ link, lastActivity: 0, bytesSeen: 0, pingedAt: -1 }) as unknown as ServerConn;

  test('a link whose bytesReceived keeps growing is never pinged nor declared dead', () => {
    const ts = new TestScheduler(() => undefined);
    ts.run(() => {
      const pinged: number[] = [];
      const dead: number[] = [];
      const sweep = new KeepAliveSweep(ts, 100, 100, () => pinged.push(ts.now()), () => dead.push(ts.now()));
      const link = { bytesReceived: 0 };
      const c = conn(link);
      sweep.add(c);
      for (let t = 10; t < 1000; t += 40) ts.schedule(() => (link.bytesReceived += 6), t);
      ts.schedule(() => sweep.close(), 1000);
      ts.flush();
      expect(pinged).toEqual([]);
      expect(dead).toEqual([]);
    });
  });

  test('a link that stops receiving is pinged after idleMs and dead timeoutMs later', () => {
    const ts = new TestScheduler(() => undefined);
    ts.run(() => {
      const pinged: number[] = [];
      const dead: number[] = [];
      const sweep = new KeepAliveSweep(ts, 100, 100, () => pinged.push(ts.now()), (c) => (dead.push(ts.now()), sweep.remove(c)));
      const link = { bytesReceived: 0 };
      sweep.add(conn(link));
      ts.schedule(() => (link.bytesReceived += 6), 60);
      ts.flush();
      // Last heard at the 75 ms sweep: pinged at the first sweep 100 ms later, dead at the first one 100 ms after that.
      expect(pinged).toEqual([175]);
      expect(dead).toEqual([275]);
    });
  });
});
