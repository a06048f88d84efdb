/**
 * The client's outbox in virtual time against a fake server (PROTOCOL.md, "Message ids"): what was written and
 * not answered when the link drops is written again, same mid, after a handshake with the same `dd` epoch, before the
 * offline buffer and through the pacer; deadlines run from the call; CHSK_UNCERTAIN when the client gives up on
 * a written send, CHSK_CLOSED only for one never written.
 */
import { TestScheduler } from 'rxjs/testing';
import { Observable } from 'rxjs';
import type { ClientTransport, TransportSignal } from '../../src/client/ClientTransport';
import { createChannelSocketClient, type ClientOptions } from '../../src/client';
import { ErrorCode, type ChannelError } from '../../src';
import { fakeClientTransport, hs } from './fakeClientTransport';

let ts: TestScheduler;
beforeEach(() => {
  ts = new TestScheduler((a, b) => expect(a).toEqual(b));
});

/** How an Observable ended: its last value, 'done', an error code, or 'pending'. */
function outcome(o$: Observable<unknown>): { get(): string } {
  let r = 'pending';
  o$.subscribe({ next: (v) => (r = `value:${String(v)}`), complete: () => (r = r.startsWith('value:') ? r : 'done'), error: (e: ChannelError) => (r = e.code) });
  return { get: () => r };
}

function setup(o: ClientOptions = {}) {
  const f = fakeClientTransport();
  const c = createChannelSocketClient({ url: 'http://x/chsk', transport: f.transport, keepAlive: false, backoff: () => 100, scheduler: ts, clientId: 'c1', ...o });
  return { f, c };
}

const DD = hs(undefined, { dd: 'D1' });
const sends = (w: Array<Record<string, unknown>>) => w.filter((m) => m.t === 'e' || m.t === 'q');

describe('the outbox', () => {
  test('written and unanswered: sent again with the same mid after a handshake with dd, in mid order, before the offline buffer', () => {
    ts.run(() => {
      const { f, c } = setup();
      f.serve(DD);
      const q = outcome(c.send(['t/q', 1]));
      const e = outcome(c.emit(['t/e', 2]));
      const answered = outcome(c.emit(['t/ok', 3]));
      const first = sends(f.written);
      f.serve({ t: 'a', mid: first[2]!.mid as number });
      expect(answered.get()).toBe('done');
      f.drop();
      expect([q.get(), e.get()]).toEqual(['pending', 'pending']);
      const offline = outcome(c.emit(['t/offline', 4]));
      ts.schedule(() => {
        f.written.length = 0;
        f.serve(DD);
        // The two unanswered, as they were written (same rid and mid), then the buffer.
        expect(f.written).toEqual([first[0], first[1], { t: 'e', ev: ['t/offline', 4], mid: (first[2]!.mid as number) + 1 }]);
        f.serve({ t: 'r', rid: first[0]!.rid as number, d: 'once' }, { t: 'a', mid: first[1]!.mid as number }, { t: 'a', mid: f.written[2]!.mid as number });
        expect([q.get(), e.get(), offline.get()]).toEqual(['value:once', 'done', 'done']);
        c.disconnect();
      }, 200);
    });
  });

  test('a send is written again at every reconnect until it is answered', () => {
    ts.run(() => {
      const { f, c } = setup();
      f.serve(DD);
      const q = outcome(c.send(['t/q', 1], { timeoutMs: 5000 }));
      const mid = f.written[0]!.mid;
      f.drop();
      ts.schedule(() => (f.serve(DD), f.drop()), 150);
      ts.schedule(() => {
        f.serve(DD);
        expect(sends(f.written).map((m) => m.mid)).toEqual([mid, mid, mid]);
        f.serve({ t: 'r', rid: f.written[0]!.rid as number, d: 'late' });
        expect(q.get()).toBe('value:late');
        c.disconnect();
      }, 400);
    });
  });

  test('deadlines keep running from the call: a send that timed out while offline is not sent again', () => {
    ts.run(() => {
      const { f, c } = setup({ backoff: () => 1000 });
      f.serve(DD);
      const short = outcome(c.send(['t/short', 1], { timeoutMs: 500 }));
      const long = outcome(c.emit(['t/long', 2], { timeoutMs: 5000 }));
      const [, l] = sends(f.written);
      ts.schedule(() => f.drop(), 100);
      ts.schedule(() => expect(short.get()).toBe(ErrorCode.Timeout), 500);
      ts.schedule(() => {
        f.written.length = 0;
        f.serve(DD);
        expect(f.written).toEqual([l]);
        expect(long.get()).toBe('pending');
        c.disconnect();
        expect(long.get()).toBe(ErrorCode.Uncertain);
      }, 1200);
    });
  });

  test('a server without dd: what was written errors CHSK_UNCERTAIN at its handshake; the offline buffer still goes out', () => {
    ts.run(() => {
      const { f, c } = setup();
      f.serve(hs());
      const q = outcome(c.send(['t/q', 1]));
      f.drop();
      const offline = outcome(c.send(['t/offline', 2]));
      ts.schedule(() => {
        f.written.length = 0;
        f.serve(hs());
        expect(q.get()).toBe(ErrorCode.Uncertain);
        expect(sends(f.written).map((m) => (m.ev as unknown[])[0])).toEqual(['t/offline']);
        f.serve({ t: 'r', rid: f.written[0]!.rid as number, d: 'ok' });
        expect(offline.get()).toBe('value:ok');
        c.disconnect();
      }, 200);
    });
  });

  test('a handshake for another client id is no place to send again: CHSK_UNCERTAIN', () => {
    ts.run(() => {
      const { f, c } = setup();
      f.serve(DD);
      const e = outcome(c.emit(['t/e', 1]));
      f.drop();
      ts.schedule(() => {
        f.serve(hs(undefined, { dd: 'D1', cid: 'someone-else' }));
        expect(e.get()).toBe(ErrorCode.Uncertain);
        c.disconnect();
      }, 200);
    });
  });

  test('another uid is no place to send again: CHSK_UNCERTAIN', () => {
    ts.run(() => {
      const { f, c } = setup();
      f.serve(hs(undefined, { dd: 'D1', uid: 'ann' }));
      const asAnn = outcome(c.emit(['t/e', 1]));
      f.drop();
      ts.schedule(() => {
        f.written.length = 0;
        f.serve(hs(undefined, { dd: 'D1', uid: 'bob' })); // logged in as someone else meanwhile
        expect(asAnn.get()).toBe(ErrorCode.Uncertain);
        expect(sends(f.written)).toEqual([]);
        c.disconnect();
      }, 200);
    });
  });

  test('a dedupe epoch (hs.dd) the send was not written under (a restarted server) is no place to send again: CHSK_UNCERTAIN', () => {
    ts.run(() => {
      const { f, c } = setup();
      f.serve(DD);
      const first = outcome(c.emit(['t/e', 1]));
      f.drop();
      ts.schedule(() => {
        f.written.length = 0;
        // Same epoch: sent again (the log epoch in rs plays no part once dd names one).
        f.serve(hs(undefined, { dd: 'D1', rs: { b: [0, 'E9'] } }));
        expect(first.get()).toBe('pending');
        expect(sends(f.written).map((m) => (m.ev as unknown[])[1])).toEqual([1]);
        f.drop();
      }, 200);
      ts.schedule(() => {
        f.written.length = 0;
        // A restarted in-memory server without logs (resume: false): a new epoch, nothing else to tell it by.
        f.serve(hs(undefined, { dd: 'D2' }));
        expect(first.get()).toBe(ErrorCode.Uncertain);
        expect(sends(f.written)).toEqual([]);
      }, 500);
      let second: { get(): string };
      ts.schedule(() => {
        second = outcome(c.emit(['t/e', 2])); // written under D2
        f.drop();
      }, 510);
      ts.schedule(() => {
        f.written.length = 0;
        f.serve(hs(undefined, { dd: 'D2' }));
        expect(second.get()).toBe('pending');
        expect(sends(f.written).map((m) => (m.ev as unknown[])[1])).toEqual([2]);
        c.disconnect();
      }, 800);
    });
  });

  test('an older server (hs.dd: 1, no epoch): sent again only when the broadcasts log epoch in hs.rs proves the same server state', () => {
    ts.run(() => {
      const { f, c } = setup();
      f.serve(hs(undefined, { dd: 1 }));
      const noLogs = outcome(c.emit(['t/e', 1]));
      f.drop();
      ts.schedule(() => {
        f.written.length = 0;
        // No rs: nothing proves continuity (a restarted server with resume: false looks the same).
        f.serve(hs(undefined, { dd: 1 }));
        expect(noLogs.get()).toBe(ErrorCode.Uncertain);
        expect(sends(f.written)).toEqual([]);
        f.drop();
      }, 200);
      ts.schedule(() => f.serve(hs(undefined, { dd: 1, rs: { b: [4, 'E1'] } })), 400);
      let same: { get(): string };
      ts.schedule(() => {
        same = outcome(c.emit(['t/e', 2]));
        f.drop();
      }, 410);
      ts.schedule(() => {
        f.written.length = 0;
        f.serve(hs(undefined, { dd: 1, rs: { b: [4, 'E1'] } }));
        expect(same.get()).toBe('pending');
        expect(sends(f.written).map((m) => (m.ev as unknown[])[1])).toEqual([2]);
        f.drop();
      }, 700);
      ts.schedule(() => {
        f.serve(hs(undefined, { dd: 1, rs: { b: [0, 'E2'] } }));
        expect(same.get()).toBe(ErrorCode.Uncertain);
      }, 1000);
      let upgraded: { get(): string };
      ts.schedule(() => {
        upgraded = outcome(c.emit(['t/e', 3])); // written under dd: 1
        f.drop();
      }, 1010);
      ts.schedule(() => {
        // The server was upgraded meanwhile: its epoch is not the (no) epoch the send was written under.
        f.serve(hs(undefined, { dd: 'D1', rs: { b: [0, 'E2'] } }));
        expect(upgraded.get()).toBe(ErrorCode.Uncertain);
        c.disconnect();
      }, 1300);
    });
  });

  test('disconnect(): a written, unanswered send errors CHSK_UNCERTAIN; one never written CHSK_CLOSED', () => {
    ts.run(() => {
      const { f, c } = setup();
      f.serve(DD);
      const written = outcome(c.send(['t/q', 1]));
      const emitted = outcome(c.emit(['t/e', 1]));
      f.drop();
      const never = outcome(c.send(['t/offline', 2]));
      const neverEmit = outcome(c.emit(['t/offline', 3]));
      c.disconnect();
      expect([written.get(), emitted.get(), never.get(), neverEmit.get()]).toEqual([ErrorCode.Uncertain, ErrorCode.Uncertain, ErrorCode.Closed, ErrorCode.Closed]);
    });
  });

  test('giving up reconnecting (maxReconnectAttempts): CHSK_UNCERTAIN for what was written, CHSK_CLOSED for the buffer', () => {
    ts.run(() => {
      const f = fakeClientTransport();
      let refuse = false;
      const transport: ClientTransport = {
        type: 'ws',
        connect: (ctx) =>
          refuse
            ? new Observable<TransportSignal>((s) => {
                s.next({ kind: 'close', code: 1006, reason: '', clean: false, opened: false });
                s.complete();
              })
            : f.transport.connect(ctx),
      };
      const c = createChannelSocketClient({ url: 'http://x/chsk', transport, keepAlive: false, backoff: () => 10, scheduler: ts, clientId: 'c1', maxReconnectAttempts: 2 });
      f.serve(DD);
      const written = outcome(c.emit(['t/e', 1]));
      refuse = true;
      f.drop();
      const never = outcome(c.emit(['t/e', 2]));
      ts.schedule(() => expect([written.get(), never.get()]).toEqual([ErrorCode.Uncertain, ErrorCode.Closed]), 500);
    });
  });

  test('maxUnacked: a send that saw that many later writes is no longer sent again; at a cut it errors CHSK_UNCERTAIN', () => {
    ts.run(() => {
      const { f, c } = setup({ maxUnacked: 2 });
      f.serve(DD);
      const all = [1, 2, 3].map((n) => outcome(c.emit(['t/e', n])));
      const w = sends(f.written);
      // Still answerable on its own link.
      f.serve({ t: 'a', mid: w[0]!.mid as number });
      expect(all[0]!.get()).toBe('done');
      const more = [4, 5, 6].map((n) => outcome(c.emit(['t/e', n])));
      f.drop();
      // 4 saw two later writes (5, 6): pushed out. 2 and 3 as well. 5 and 6 stay.
      expect([...all, ...more].map((o) => o.get())).toEqual(['done', ErrorCode.Uncertain, ErrorCode.Uncertain, ErrorCode.Uncertain, 'pending', 'pending']);
      ts.schedule(() => {
        f.written.length = 0;
        f.serve(DD);
        expect(sends(f.written).map((m) => (m.ev as unknown[])[1])).toEqual([5, 6]);
        c.disconnect();
      }, 200);
    });
  });

  test('maxUnacked: 0 sends nothing again; a bad value is a ConfigError', () => {
    ts.run(() => {
      const { f, c } = setup({ maxUnacked: 0 });
      f.serve(DD);
      const e = outcome(c.emit(['t/e', 1]));
      f.drop();
      expect(e.get()).toBe(ErrorCode.Uncertain);
      c.disconnect();
    });
    for (const bad of [-1, 1.5, NaN, '10' as unknown as number]) {
      expect(() => createChannelSocketClient({ url: 'http://x/chsk', maxUnacked: bad, autoConnect: false })).toThrow(expect.objectContaining({ code: ErrorCode.BadOption }));
    }
  });

  test('a stream$ in flight is not sent again: the cut errors CHSK_STREAM_CUT', () => {
    ts.run(() => {
      const { f, c } = setup();
      f.serve(DD);
      const s = outcome(c.stream$(['t/s', 1]));
      f.drop();
      expect(s.get()).toBe(ErrorCode.StreamCut);
      ts.schedule(() => {
        f.written.length = 0;
        f.serve(DD);
        expect(sends(f.written)).toEqual([]);
        c.disconnect();
      }, 200);
    });
  });

  test('sent again through the pacer: a burst, then the rate, resends first', () => {
    ts.run(() => {
      const { f, c } = setup({ maxBufferedSends: 100 });
      f.serve(DD);
      for (let i = 0; i < 12; i++) c.emit(['t/e', i]).subscribe({ error: () => undefined });
      f.drop();
      for (let i = 12; i < 15; i++) c.emit(['t/e', i]).subscribe({ error: () => undefined });
      ts.schedule(() => {
        f.written.length = 0;
        f.serve(hs({ r: 100, b: 10 }, { dd: 'D1' }));
        const burst = sends(f.written).map((m) => (m.ev as unknown[])[1]);
        expect(burst.length).toBeGreaterThan(0);
        expect(burst.length).toBeLessThan(10);
        expect(burst).toEqual([...Array(burst.length).keys()]);
      }, 200);
      ts.schedule(() => {
        expect(sends(f.written).map((m) => (m.ev as unknown[])[1])).toEqual([...Array(15).keys()]);
        c.disconnect();
      }, 600);
    });
  });
});
