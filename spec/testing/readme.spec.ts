import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ofEvent, reply, type Effect, type ServerEventMsg } from '../../src';
import { createTestServer } from '../../src/testing';

// The README's "Handlers and marble tests" examples, run as written (defaults included).
interface ChatEvents {
  'chat/send': { data: { text: string }; reply: { ok: boolean } };
  'chat/msg': { data: { from: string; text: string } };
}

const chatHandler = (msg$: Observable<ServerEventMsg<ChatEvents>>): Observable<Effect<ChatEvents>> =>
  msg$.pipe(ofEvent('chat/send'), map((m) => reply(m, { ok: m.data.text.length > 0 })));

test('chat/send is acknowledged', () => {
  new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ hot, expectObservable }) => {
    const m = { id: 'chat/send', data: { text: 'hi' } } as ServerEventMsg<ChatEvents>;
    expectObservable(chatHandler(hot('-a-|', { a: m }))).toBe('-r-|', { r: { kind: 'reply', to: m, value: { ok: true } } });
  });
});

test('a reply through the testing kit', () => {
  const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  ts.run(({ expectObservable }) => {
    const t = createTestServer<ChatEvents>({ latencyMs: 5 });
    ts.schedule(() => t.stop(), 1000);
    t.server.handle(chatHandler);
    const alice = t.client({ uid: 'alice' });
    expectObservable(alice.send(['chat/send', { text: 'hi' }])).toBe('20ms (r|)', { r: { ok: true } });
  });
});

// The README's "Streams" examples, run as written.
import { filter, interval, retry, throwError } from 'rxjs';
import { replyStream, StreamCutError } from '../../src';
import type { ChannelSocketClient } from '../../src/client';

interface PriceEvents {
  'prices/watch': { data: { symbol: string }; stream: { symbol: string; price: number } };
}

const pricesHandler = (msg$: Observable<ServerEventMsg<PriceEvents>>): Observable<Effect<PriceEvents>> =>
  msg$.pipe(
    ofEvent('prices/watch'),
    map((m) => replyStream(m, interval(1000).pipe(map((i) => ({ symbol: m.data.symbol, price: 100 + i }))))),
  );

test('prices stream, and stop when the client unsubscribes', () => {
  const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  ts.run(({ expectObservable }) => {
    const t = createTestServer<PriceEvents>({ latencyMs: 5 });
    ts.schedule(() => t.stop(), 10_000);
    t.server.handle(pricesHandler);
    const alice = t.client({ uid: 'alice' });
    // open at 10 ms, the request reaches the server at 15, ticks at 1015 and 2015 arrive 5 ms later
    expectObservable(alice.stream$(['prices/watch', { symbol: 'ACME' }]), '^ 2500ms !').toBe('1020ms a 999ms b', {
      a: { symbol: 'ACME', price: 100 },
      b: { symbol: 'ACME', price: 101 },
    });
  });
});

test('the client snippet: retry restarts a cut stream after the reconnect (virtual time)', () => {
  const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  ts.run(({ expectObservable }) => {
    const t = createTestServer<PriceEvents>({ keepAlive: false });
    ts.schedule(() => t.stop(), 10_000);
    t.server.handle(pricesHandler);
    const chsk: ChannelSocketClient<PriceEvents> = t.client({ uid: 'alice', clientId: 'tab', backoff: () => 100, keepAlive: false });
    ts.schedule(() => t.link('tab').drop(), 1500);
    const prices$ = chsk.stream$(['prices/watch', { symbol: 'ACME' }], { window: 16 }).pipe(
      retry({ delay: (e: unknown) => (e instanceof StreamCutError ? chsk.state$.pipe(filter((s) => s.open)) : throwError(() => e)) }),
    );
    // cut at 1500; reconnected at 1600; the new stream starts over: ticks at 2600 and 3600
    expectObservable(prices$, '^ 4000ms !').toBe('1000ms a 1599ms b 999ms c', {
      a: { symbol: 'ACME', price: 100 },
      b: { symbol: 'ACME', price: 100 },
      c: { symbol: 'ACME', price: 101 },
    });
  });
});

// The README's "Topics" examples, run as written.
import { publish } from '../../src';
import { createChannelSocketServer } from '../../src/server';

interface RoomEvents {
  'room/msg': { data: { from: string; text: string } };
  'room/say': { data: { room: string; text: string } };
}

const roomHandler = (msg$: Observable<ServerEventMsg<RoomEvents>>): Observable<Effect<RoomEvents>> =>
  msg$.pipe(
    ofEvent('room/say'),
    map((m) => publish(m.data.room, ['room/msg', { from: m.uid ?? 'anonymous', text: m.data.text }] as const)),
  );

test('the Topics server snippet type-checks and runs', async () => {
  const server = createChannelSocketServer<RoomEvents>({
    authorizeTopic: (req, uid, topic) => uid !== null && topic.startsWith('room/'),
  });
  const seen: string[][] = [];
  server.handle(roomHandler);
  server.topicUids$('room/42').subscribe((uids) => seen.push([...uids]));
  expect(seen).toEqual([[]]);
  await server.close();
});

test('a member gets what is said in its room; a client in another room does not', () => {
  const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  ts.run(({ expectObservable }) => {
    const t = createTestServer<RoomEvents>({ authorizeTopic: (req, uid, topic) => uid !== null && topic.startsWith('room/') });
    ts.schedule(() => t.stop(), 1000);
    t.server.handle(roomHandler);
    const alice = t.client({ uid: 'alice' });
    const bob = t.client({ uid: 'bob' });
    ts.schedule(() => void bob.emit(['room/say', { room: 'room/42', text: 'hi' }]).subscribe(), 10);
    expectObservable(alice.topic$('room/42'), '^ 100ms !').toBe('10ms m', { m: ['room/msg', { from: 'bob', text: 'hi' }] });
    expectObservable(bob.topic$('room/7'), '^ 100ms !').toBe('');
  });
});
