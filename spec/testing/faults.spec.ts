/**
 * The testing kit's link faults (issue 12 item 6): cut, delay, restore a fake link in virtual time. The block
 * between the README markers below is the README's "Faults in virtual time" example, word for word (only the
 * import specifiers differ: 'sente-rx' there, the sources here); the first test checks that they stay identical.
 * The tests after the block pin down the controls' edges.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { map, type Observable } from 'rxjs';
import { ofEvent, reply, type Effect, type ServerEventMsg } from '../../src';

// The README's chat events and handler (section "Handlers and marble tests").
interface ChatEvents {
  'chat/send': { data: { text: string }; reply: { ok: boolean } };
  'chat/msg': { data: { from: string; text: string } };
}
const chatHandler = (msg$: Observable<ServerEventMsg<ChatEvents>>): Observable<Effect<ChatEvents>> =>
  msg$.pipe(ofEvent('chat/send'), map((m) => reply(m, { ok: m.data.text.length > 0 })));

// --- README faults ---
// Faults in virtual time: cut, delay, restore
import { distinctUntilChanged } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { createTestServer } from '../../src/testing';

test('an outage: the client reconnects on its backoff once the link is restored', () => {
  const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  ts.run(({ expectObservable }) => {
    const t = createTestServer<ChatEvents>({ latencyMs: 5 });
    ts.schedule(() => t.stop(), 5_000);
    const c = t.client({ clientId: 'c1', backoff: () => 1_000 }); // a fixed backoff: the default one is random
    ts.schedule(() => t.link('c1').cut(), 100); // dropped at 100 ms (1006), its attempts refused from then on
    ts.schedule(() => t.link('c1').restore(), 2_000); // accepted again from 2 s
    const status$ = c.state$.pipe(map((s) => s.status), distinctUntilChanged());
    // open at 10 (connect 5, handshake 5); the drop lands at 105; attempts at 1105 (refused) and 2105 (open at 2120)
    expectObservable(status$, '^ 3000ms !').toBe('c 9ms o 94ms r 2014ms o', { c: 'connecting', o: 'open', r: 'reconnecting' });
  });
});

test('a slow link: every frame of this client takes 100 ms more', () => {
  const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  ts.run(({ expectObservable }) => {
    const t = createTestServer<ChatEvents>({ latencyMs: 5 });
    ts.schedule(() => t.stop(), 1_000);
    t.server.handle(chatHandler);
    t.link('alice').delay(100);
    const alice = t.client({ clientId: 'alice', uid: 'alice' });
    // 5 ms to connect, then the handshake, the request and the reply take 105 ms each
    expectObservable(alice.send(['chat/send', { text: 'hi' }])).toBe('320ms (r|)', { r: { ok: true } });
  });
});

test('resume: a short cut loses nothing, a long one says so', () => {
  const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  ts.run(({ expectObservable }) => {
    const t = createTestServer<ChatEvents>({ latencyMs: 5, resume: { maxAgeMs: 60_000 } }); // a 60 s replay log
    ts.schedule(() => t.stop(), 200_000);
    const alice = t.client({ clientId: 'alice', uid: 'alice', backoff: () => 1_000 });
    const say = (text: string) => t.server.send('alice', ['chat/msg', { from: 'bob', text }]);
    ts.schedule(() => t.link('alice').cut(), 100);
    ts.schedule(() => say('while away 1'), 1_000); // alice is away: only her replay log gets it
    ts.schedule(() => t.link('alice').restore(), 5_000); // back after 5 s: replayed
    ts.schedule(() => t.link('alice').cut(), 10_000);
    ts.schedule(() => say('while away 2'), 11_000);
    ts.schedule(() => t.link('alice').restore(), 80_000); // back after 70 s: aged out of the log
    // attempts every 1,005 ms (1 s of backoff, 5 ms to be refused): reopened at 5,135 and at 80,360
    const recovery = { a: { recovered: true, replayed: 1 }, b: { recovered: false, replayed: 0 } };
    expectObservable(alice.reopened$, '^ 100s !').toBe('5135ms a 75224ms b', recovery);
    const texts$ = alice.events$.pipe(map(([, data]) => (data as { text: string }).text));
    expectObservable(texts$, '^ 100s !').toBe('5135ms m', { m: 'while away 1' });
  });
});
// --- end ---

const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');

test("the block above is the README's, word for word", () => {
  const self = readFileSync(__filename, 'utf8');
  const body = self
    .slice(self.indexOf('// --- README faults ---\n') + '// --- README faults ---\n'.length, self.indexOf('\n// --- end ---\n') + 1)
    .replace(/'\.\.\/\.\.\/src\/(\w+)'/g, "'sente-rx/$1'")
    .replace(/'\.\.\/\.\.\/src'/g, "'sente-rx'");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((b) => b[1]!).filter((b) => b.startsWith('// Faults in virtual time'));
  expect(blocks).toEqual([body]);
});

describe('LinkControl', () => {
  let ts: TestScheduler;
  beforeEach(() => {
    ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  });

  test('cut refuses every attempt until restore, and mode says so', () => {
    ts.run(() => {
      const t = createTestServer<ChatEvents>({ latencyMs: 5, keepAlive: false });
      ts.schedule(() => t.stop(), 10_000);
      const c = t.client({ clientId: 'c1', backoff: () => 100, keepAlive: false });
      const link = t.link('c1');
      expect(link.mode).toBe('up');
      ts.schedule(() => {
        link.cut();
        expect(link.mode).toBe('cut');
      }, 50);
      ts.schedule(() => {
        // dropped at 55, then an attempt every 105 ms (100 backoff + 5 to be refused): none opened
        expect(c.state$.value).toMatchObject({ open: false, status: 'reconnecting' });
        expect(c.state$.value.reconnectAttempt).toBeGreaterThanOrEqual(8);
        link.restore();
        expect(link.mode).toBe('up');
      }, 1_000);
      ts.schedule(() => expect(c.state$.value).toMatchObject({ open: true, reconnectAttempt: 0 }), 1_200);
    });
  });

  test('a cut before the client exists refuses its first connection too', () => {
    ts.run(() => {
      const t = createTestServer<ChatEvents>({ latencyMs: 5, keepAlive: false });
      ts.schedule(() => t.stop(), 5_000);
      t.link('c1').cut();
      const c = t.client({ clientId: 'c1', backoff: () => 100, keepAlive: false });
      ts.schedule(() => expect(c.state$.value.status).toBe('connecting'), 500);
      ts.schedule(() => t.link('c1').restore(), 500);
      ts.schedule(() => expect(c.state$.value.status).toBe('open'), 700);
    });
  });

  test('lowering the delay never lets a frame overtake one written before it', () => {
    ts.run(() => {
      const t = createTestServer<ChatEvents>({ latencyMs: 5, keepAlive: false });
      ts.schedule(() => t.stop(), 5_000);
      const c = t.client({ clientId: 'c1', uid: 'u1', keepAlive: false });
      const got: Array<[string, number]> = [];
      c.events$.subscribe(([, d]) => got.push([(d as { text: string }).text, ts.now()]));
      ts.schedule(() => {
        t.link('c1').delay(300);
        t.server.send('u1', ['chat/msg', { from: 's', text: 'first' }]);
        t.link('c1').delay(0);
        t.server.send('u1', ['chat/msg', { from: 's', text: 'second' }]);
      }, 100);
      ts.schedule(() => t.server.send('u1', ['chat/msg', { from: 's', text: 'third' }]), 500);
      // 'second' was written with 5 ms of delay but waits for 'first' (405); 'third' takes 5 ms again
      ts.schedule(() => expect(got).toEqual([['first', 405], ['second', 405], ['third', 505]]), 1_000);
    });
  });

  test('delay applies in both directions and to later connections of the client', () => {
    ts.run(() => {
      const t = createTestServer<ChatEvents>({ latencyMs: 5, keepAlive: false });
      ts.schedule(() => t.stop(), 5_000);
      t.server.handle(chatHandler);
      const c = t.client({ clientId: 'c1', backoff: () => 0, keepAlive: false });
      const answered: number[] = [];
      ts.schedule(() => {
        t.link('c1').delay(50);
        t.link('c1').drop();
      }, 100);
      // dropped at 105, reconnected at once: open at 110, handshake at 165; request up 55, reply down 55
      ts.schedule(() => c.send(['chat/send', { text: 'x' }]).subscribe(() => answered.push(ts.now())), 200);
      ts.schedule(() => expect(answered).toEqual([310]), 1_000);
    });
  });

  test.each([-1, NaN, Infinity, '5'])('delay(%p) is a RangeError', (bad) => {
    ts.run(() => {
      const t = createTestServer<ChatEvents>({ latencyMs: 5 });
      expect(() => t.link('c1').delay(bad as number)).toThrow(RangeError);
      t.stop();
    });
  });

  test('drop and cut of a client without a link change nothing but the mode', () => {
    ts.run(() => {
      const t = createTestServer<ChatEvents>({ latencyMs: 5 });
      expect(() => t.link('nobody').drop()).not.toThrow();
      t.link('nobody').cut();
      expect(t.link('nobody').mode).toBe('cut');
      t.stop();
    });
  });
});
