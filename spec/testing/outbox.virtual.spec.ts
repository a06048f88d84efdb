/**
 * Idempotent sends with the testing kit, in virtual time (how an app marble-tests them): a request cut before
 * its reply is sent again when the link comes back and is answered once; with `dedupe: false` it errors
 * CHSK_UNCERTAIN; an emit caught by a cut is handled once.
 */
import { TestScheduler } from 'rxjs/testing';
import { delay, map, mergeMap, of, type Observable } from 'rxjs';
import { ofEvent, reply, type Effect, type ServerEventMsg } from '../../src';
import { createTestServer } from '../../src/testing';

interface Shop {
  'order/pay': { data: { amount: number }; reply: { paid: number; charges: number } };
  'order/note': { data: string };
}

let ts: TestScheduler;
beforeEach(() => {
  ts = new TestScheduler((a, b) => expect(a).toEqual(b));
});

/** Charges take 50 ms; `charges` counts how often the handler ran. */
function shop(counter: { charges: number; notes: string[] }) {
  return (msg$: Observable<ServerEventMsg<Shop>>): Observable<Effect<Shop>> =>
    msg$.pipe(
      ofEvent('order/pay', 'order/note'),
      mergeMap((m) => {
        if (m.id === 'order/note') {
          counter.notes.push(m.data as string);
          return [];
        }
        counter.charges++;
        return of(m).pipe(
          delay(50),
          map((x) => reply(x as unknown as ServerEventMsg<Shop, 'order/pay'>, { paid: (x.data as { amount: number }).amount, charges: counter.charges })),
        );
      }),
    );
}

test('a request cut before its reply is sent again when the link comes back, and the handler runs once', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Shop>({ latencyMs: 5 });
    ts.schedule(() => t.stop(), 5_000);
    const counter = { charges: 0, notes: [] as string[] };
    t.server.handle(shop(counter));
    const c = t.client({ clientId: 'c1', uid: 'ann', backoff: () => 1_000 });
    // Written at 10 (after the handshake), handled at 15; cut at 30 (the drop lands at 35), before the reply (65).
    ts.schedule(() => t.link('c1').cut(), 30);
    ts.schedule(() => t.link('c1').restore(), 500);
    const paid$ = c.send(['order/pay', { amount: 42 }], { timeoutMs: 4_000 });
    // Reconnect at 1035 (open at 1045): the copy reaches the server at 1050 and the recorded reply lands at 1055.
    expectObservable(paid$).toBe('1055ms (r|)', { r: { paid: 42, charges: 1 } });
    ts.schedule(() => expect(counter.charges).toBe(1), 4_000);
  });
});

test('an emit caught by a cut is handled once; with dedupe: false a request caught by a cut errors CHSK_UNCERTAIN', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Shop>({ latencyMs: 5 });
    ts.schedule(() => t.stop(), 5_000);
    const counter = { charges: 0, notes: [] as string[] };
    t.server.handle(shop(counter));
    const c = t.client({ clientId: 'c2', uid: 'bob', backoff: () => 1_000 });
    ts.schedule(() => c.emit(['order/note', 'gift wrap']).subscribe(), 10);
    ts.schedule(() => t.link('c2').drop(), 17); // the emit arrived at 15, its ack (20) is lost
    ts.schedule(() => expect(counter.notes).toEqual(['gift wrap']), 4_000);

    const off = createTestServer<Shop>({ latencyMs: 5, dedupe: false });
    ts.schedule(() => off.stop(), 5_000);
    off.server.handle(shop({ charges: 0, notes: [] }));
    const d = off.client({ clientId: 'c3', uid: 'cat', backoff: () => 1_000 });
    ts.schedule(() => off.link('c3').drop(), 30);
    // Dropped at 35; the server of the next link (open at 1045) does not dedupe: given up on at its handshake.
    expectObservable(d.send(['order/pay', { amount: 1 }], { timeoutMs: 4_000 })).toBe('1045ms #', undefined, expect.objectContaining({ code: 'CHSK_UNCERTAIN' }));
  });
});
