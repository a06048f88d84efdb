/**
 * emit() completes on the server's acknowledgement, in virtual time against a fake server: refusals by mid,
 * acks in batches, the deadline, a link that closes first, and refusals no send waits for (`errors$`).
 */
import { TestScheduler } from 'rxjs/testing';
import { createChannelSocketClient } from '../../src/client';
import { ErrorCode, RemoteError, type ChannelError } from '../../src';
import { fakeClientTransport, hs } from './fakeClientTransport';

let ts: TestScheduler;
beforeEach(() => {
  ts = new TestScheduler((a, b) => expect(a).toEqual(b));
});

/** Subscribes and records how an Observable<void> ended: 'done', an error code, or 'pending'. */
function outcome(o$: import('rxjs').Observable<void>): { get(): string; error(): ChannelError | undefined } {
  let r = 'pending';
  let err: ChannelError | undefined;
  o$.subscribe({ complete: () => (r = 'done'), error: (e: ChannelError) => ((r = e.code), (err = e)) });
  return { get: () => r, error: () => err };
}

function setup() {
  const f = fakeClientTransport();
  const c = createChannelSocketClient({ url: 'http://x/chsk', transport: f.transport, keepAlive: false, backoff: () => 100, scheduler: ts });
  const errors: ChannelError[] = [];
  c.errors$.subscribe((e) => errors.push(e));
  return { f, c, errors };
}

describe('emit waits for its acknowledgement', () => {
  test('completes on `a` with its mid, not on the write; other mids do not complete it', () => {
    ts.run(() => {
      const { f, c } = setup();
      f.serve(hs());
      const a = outcome(c.emit(['t/a', 1]));
      const b = outcome(c.emit(['t/b', 2]));
      const [ma, mb] = f.written.map((m) => m.mid as number);
      expect(f.written).toEqual([{ t: 'e', ev: ['t/a', 1], mid: ma }, { t: 'e', ev: ['t/b', 2], mid: mb }]);
      expect([a.get(), b.get()]).toEqual(['pending', 'pending']);
      f.serve({ t: 'a', mid: mb });
      expect([a.get(), b.get()]).toEqual(['pending', 'done']);
      f.serve({ t: 'a', mid: mb }, { t: 'a', mid: 999 }); // repeated and unknown acks are ignored
      expect(a.get()).toBe('pending');
      f.serve({ t: 'a', mid: ma });
      expect(a.get()).toBe('done');
      c.disconnect();
    });
  });

  test('a batch of acks and refusals settles each emit by its mid', () => {
    ts.run(() => {
      const { f, c, errors } = setup();
      f.serve(hs());
      const all = [1, 2, 3, 4].map((i) => outcome(c.emit(['t/n', i])));
      const mids = f.written.map((m) => m.mid as number);
      f.serve({
        t: 'b',
        ms: [
          { t: 'a', mid: mids[0] },
          { t: 'x', code: ErrorCode.RateLimited, msg: 'slow down', mid: mids[1] },
          { t: 'a', mid: mids[3] },
          { t: 'x', code: ErrorCode.BadData, msg: 'bad', mid: mids[2], issues: [{ message: 'expected a string', path: ['text'] }] },
        ],
      });
      expect(all.map((o) => o.get())).toEqual(['done', ErrorCode.RateLimited, ErrorCode.BadData, 'done']);
      expect(all[2].error()).toBeInstanceOf(RemoteError);
      expect((all[2].error() as RemoteError).issues).toEqual([{ message: 'expected a string', path: ['text'] }]);
      expect(errors).toEqual([]);
      c.disconnect();
    });
  });

  test('a refusal no send waits for goes to errors$ (no mid, an unknown mid, a late answer)', () => {
    ts.run(() => {
      const { f, c, errors } = setup();
      f.serve(hs());
      f.serve({ t: 'x', code: ErrorCode.BadMessage, msg: 'unreadable frame' }, { t: 'x', code: ErrorCode.RateLimited, msg: 'late', mid: 12345 }, { t: 'x', code: 'APP', msg: 'too late', rid: 77 });
      expect(errors.map((e) => [e.name, e.code])).toEqual([
        ['RemoteError', ErrorCode.BadMessage],
        ['RemoteError', ErrorCode.RateLimited],
        ['RemoteError', 'APP'],
      ]);
      c.disconnect();
    });
  });

  test('an emit written when the link closes waits for the next handshake, and errors CHSK_UNCERTAIN if that server does not dedupe; one made offline goes out on the next link', () => {
    ts.run(() => {
      const { f, c } = setup();
      f.serve(hs());
      const lost = outcome(c.emit(['t/a', 1]));
      f.drop();
      expect(lost.get()).toBe('pending');
      const later = outcome(c.emit(['t/b', 2]));
      expect(f.written).toHaveLength(1);
      ts.schedule(() => {
        f.serve(hs());
        expect(lost.get()).toBe(ErrorCode.Uncertain);
        expect(lost.error()?.message).toMatch(/may or may not have handled it/);
        expect(f.written).toHaveLength(2);
        f.serve({ t: 'a', mid: f.written[1].mid as number });
        expect(later.get()).toBe('done');
        c.disconnect();
      }, 200);
    });
  });

  test('has a deadline: the client timeoutMs by default, or its own; Infinity waits; a bad one is a ConfigError', () => {
    ts.run(() => {
      const f = fakeClientTransport();
      const c = createChannelSocketClient({ url: 'http://x/chsk', transport: f.transport, keepAlive: false, scheduler: ts, timeoutMs: 1000 });
      f.serve(hs());
      const byDefault = outcome(c.emit(['t/a', undefined]));
      const own = outcome(c.emit(['t/b', undefined], { timeoutMs: 50 }));
      const never = outcome(c.emit(['t/c', undefined], { timeoutMs: Infinity }));
      const bad = outcome(c.emit(['t/d', undefined], { timeoutMs: 2 ** 32 }));
      expect(bad.get()).toBe(ErrorCode.BadOption);
      ts.schedule(() => expect([byDefault.get(), own.get()]).toEqual(['pending', ErrorCode.Timeout]), 60);
      ts.schedule(() => {
        expect([byDefault.get(), never.get()]).toEqual([ErrorCode.Timeout, 'pending']);
        expect(byDefault.error()?.message).toMatch(/no acknowledgement of "t\/a" within 1000 ms/);
        // A late ack changes nothing and reaches nobody.
        f.serve({ t: 'a', mid: f.written[0].mid as number });
        expect(byDefault.get()).toBe(ErrorCode.Timeout);
        c.disconnect();
        // Written, never answered: the server may have it.
        expect(never.get()).toBe(ErrorCode.Uncertain);
      }, 1001);
    });
  });
});
