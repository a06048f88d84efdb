import { TestScheduler } from 'rxjs/testing';
import type { UidPortMsg } from '../../src/protocol/events';
import { openFake } from '../support/fakeLink';

// Issue 10 #16: a closed connection waits out the presence grace period as the context of its
// uidport-close; it used to keep its link with it (the socket, the ws and its half-received frame:
// +18 MiB for 20 clients that left mid-frame). Only what the event needs stays.
describe('a closed connection keeps only what its uidport-close needs', () => {
  test('the link is let go at close; the uidport-close after the grace still has uid, client id, transport and request', () => {
    const ts = new TestScheduler(() => undefined);
    ts.run(() => {
      const { core, link, handle } = openFake({ scheduler: ts, wsGraceMs: 100 });
      const ports: UidPortMsg[] = [];
      core.events.subscribe((m) => m.id === 'chsk/uidport-close' && ports.push(m as UidPortMsg));
      const conn = (handle as unknown as { conn: { link: unknown } }).conn;
      expect(conn.link).toBe(link);
      handle.closed(1000, 'bye');
      expect(conn.link).not.toBe(link);
      ts.flush();
      expect(ports).toEqual([
        expect.objectContaining({ id: 'chsk/uidport-close', uid: 'u1', clientId: 'c1', transport: 'ws', req: expect.objectContaining({ url: '/chsk' }) }),
      ]);
    });
  });
});
