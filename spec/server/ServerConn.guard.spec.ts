import { TestScheduler } from 'rxjs/testing';
import { ErrorCode } from '../../src';
import type { Frame } from '../../src/packers/Packer';
import { CloseCode } from '../../src/protocol/codes';
import type { ChskRequest } from '../../src/protocol/events';
import { ServerCore } from '../../src/server/ServerCore';
import type { ServerConnection } from '../../src/server/ServerConnection';
import { resolveServerOptions, type ServerOptions } from '../../src/server/serverOptions';

/** A link whose backlog the test sets by hand, as the kernel would drain it. */
class BackloggedLink implements ServerConnection {
  readonly transport = 'ws' as const;
  bufferedAmount = 0;
  sent = 0;
  closedWith: number | undefined;
  send(frame: Frame): void {
    this.sent++;
    this.bufferedAmount += typeof frame === 'string' ? frame.length : frame.byteLength;
  }
  close(code: number): void {
    this.closedWith ??= code;
  }
}

// Issue 10 #14: slowness is judged over slowConsumerMs, in virtual time.
describe('slow-consumer guard', () => {
  const big = 'x'.repeat(2000);
  function setup(ts: TestScheduler, o: ServerOptions = {}) {
    const core = new ServerCore(
      resolveServerOptions({ keepAlive: false, wsBatchMs: 0, maxBufferedBytes: 1000, slowConsumerMs: 100, scheduler: ts, ...o }),
    );
    const reports: string[] = [];
    core.errors.subscribe((e) => reports.push(e.code));
    const link = new BackloggedLink();
    core.open(link, { uid: 'u', clientId: 'c', req: { headers: {} } as unknown as ChskRequest });
    return { core, link, reports };
  }

  test('one write over the bound that drains within the window is not slow', () => {
    const ts = new TestScheduler(() => undefined);
    ts.run(({ flush }) => {
      const { core, link, reports } = setup(ts);
      core.push('u', { t: 'e', ev: ['big/blob', big] }, true);
      expect(link.bufferedAmount).toBeGreaterThan(1000);
      ts.schedule(() => (link.bufferedAmount = 0), 50);
      flush();
      expect(reports).toEqual([]);
      expect(link.closedWith).toBeUndefined();
    });
  });

  test("a backlog still over the bound one window later is closed with 1013 ('close')", () => {
    const ts = new TestScheduler(() => undefined);
    ts.run(() => {
      const { core, link, reports } = setup(ts);
      core.push('u', { t: 'e', ev: ['big/blob', big] }, true);
      let at99: number | undefined;
      let at100: number | undefined;
      ts.schedule(() => (at99 = link.closedWith ?? -1), 99);
      ts.schedule(() => (at100 = link.closedWith ?? -1), 100);
      ts.flush();
      expect([at99, at100]).toEqual([-1, CloseCode.TryAgainLater]);
      expect(reports).toEqual([ErrorCode.SlowConsumer]);
      expect(link.closedWith).toBe(CloseCode.TryAgainLater);
    });
  });

  test("'drop': frames are dropped only once judged slow, and flow again once drained", () => {
    const ts = new TestScheduler(() => undefined);
    ts.run(() => {
      const { core, link, reports } = setup(ts, { slowConsumer: 'drop' });
      core.push('u', { t: 'e', ev: ['big/blob', big] }, true);
      core.push('u', { t: 'e', ev: ['big/blob', big] }, true); // within the window: written
      expect(link.sent).toBe(3); // handshake + 2
      ts.flush(); // the look at 100 ms: still over
      core.push('u', { t: 'e', ev: ['big/blob', big] }, true);
      core.push('u', { t: 'e', ev: ['big/blob', big] }, true);
      expect(link.sent).toBe(3);
      expect(reports).toEqual([ErrorCode.SlowConsumer]);
      link.bufferedAmount = 0;
      core.push('u', { t: 'e', ev: ['small', 1] }, true);
      expect(link.sent).toBe(4);
      expect(link.closedWith).toBeUndefined();
    });
  });

  test('closing the connection cancels the look', () => {
    const ts = new TestScheduler(() => undefined);
    ts.run(() => {
      const { core, link, reports } = setup(ts);
      core.push('u', { t: 'e', ev: ['big/blob', big] }, true);
      core.shutdown(CloseCode.GoingAway, 'bye');
      ts.flush();
      expect(reports).toEqual([]);
      expect(link.closedWith).toBe(CloseCode.GoingAway);
    });
  });
});
