/**
 * A handler that fails later answers every request it had in hand with CHSK_HANDLER_ERROR at once, then
 * restarts (issue 10 #3). Virtual time: the testing kit runs the real core and clients on a fake network.
 */
import { mergeMap, Observable, of, throwError, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ofEvent, reply, type Effect, type ServerEventMsg } from '../../src';
import { ErrorCode } from '../../src/protocol/codes';
import { createTestServer } from '../../src/testing';

interface Ev {
  'db/q': { data: { ms: number; fail?: boolean }; reply: string };
  'other/q': { data: { ms: number }; reply: string };
}

/** A fake database call: answers after `ms`, or errors then. */
const db = (m: ServerEventMsg<Ev>, tag: string): Observable<Effect<Ev>> => {
  const d = m.data as { ms: number; fail?: boolean };
  return timer(d.ms).pipe(mergeMap(() => (d.fail ? throwError(() => new Error('db down')) : of(reply(m as never, `${tag}:${d.ms}` as never)))));
};

type Outcome = string;
const outcome = (o: Observable<unknown>): Observable<Outcome> =>
  new Observable<Outcome>((sub) =>
    o.subscribe({ next: (v) => sub.next(`ok ${String(v)}`), error: (e: { code?: string }) => (sub.next(`err ${e.code}`), sub.complete()), complete: () => sub.complete() }),
  );

function run(body: (ts: TestScheduler, h: ReturnType<typeof createTestServer<Ev>>, expectObservable: TestScheduler['expectObservable']) => void): void {
  const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Ev>({ latencyMs: 1 });
    ts.schedule(() => t.stop(), 1000);
    body(ts, t, expectObservable);
  });
}

describe('a handler that fails later', () => {
  it('mergeMap(db) without ofEvent: every request in hand gets CHSK_HANDLER_ERROR when one fails, then the handler serves again', () => {
    run((ts, t, expectObservable) => {
      t.server.handle((msg$) => msg$.pipe(mergeMap((m) => db(m, 'h'))));
      const c = t.client({ uid: 'u' });
      const send = (ms: number, fail = false) => outcome(c.send(['db/q', { ms, fail }], { timeoutMs: 60_000 }));
      // Sent at 0, they reach the server after the handshake (at 3); the failing one errors 5 ms later and its
      // answer takes 1 ms back: 9. The others were in hand.
      expectObservable(send(10)).toBe('9ms (e|)', { e: `err ${ErrorCode.HandlerError}` });
      expectObservable(send(5, true)).toBe('9ms (e|)', { e: `err ${ErrorCode.HandlerError}` });
      expectObservable(send(20)).toBe('9ms (e|)', { e: `err ${ErrorCode.HandlerError}` });
      // After the restart: a request sent at 10 is served normally.
      const later = new Observable<Outcome>((sub) => ts.schedule(() => send(3).subscribe(sub), 10));
      expectObservable(later).toBe('15ms (r|)', { r: 'ok h:3' });
    });
  });

  it('with ofEvent: requests another handler holds are left alone', () => {
    run((_ts, t, expectObservable) => {
      t.server.handle((msg$) => msg$.pipe(ofEvent('db/q'), mergeMap((m) => db(m as never, 'db'))));
      t.server.handle((msg$) => msg$.pipe(ofEvent('other/q'), mergeMap((m) => db(m as never, 'other'))));
      const c = t.client({ uid: 'u' });
      expectObservable(outcome(c.send(['other/q', { ms: 30 }], { timeoutMs: 60_000 }))).toBe('34ms (r|)', { r: 'ok other:30' });
      expectObservable(outcome(c.send(['db/q', { ms: 5, fail: true }], { timeoutMs: 60_000 }))).toBe('9ms (e|)', {
        e: `err ${ErrorCode.HandlerError}`,
      });
      expectObservable(outcome(c.send(['db/q', { ms: 20 }], { timeoutMs: 60_000 }))).toBe('9ms (e|)', { e: `err ${ErrorCode.HandlerError}` });
    });
  });

  it('a request answered before the failure is not answered twice', () => {
    run((_ts, t, expectObservable) => {
      t.server.handle((msg$) => msg$.pipe(mergeMap((m) => db(m, 'h'))));
      const c = t.client({ uid: 'u' });
      expectObservable(outcome(c.send(['db/q', { ms: 2 }], { timeoutMs: 60_000 }))).toBe('6ms (r|)', { r: 'ok h:2' });
      expectObservable(outcome(c.send(['db/q', { ms: 5, fail: true }], { timeoutMs: 60_000 }))).toBe('9ms (e|)', {
        e: `err ${ErrorCode.HandlerError}`,
      });
    });
  });
});
