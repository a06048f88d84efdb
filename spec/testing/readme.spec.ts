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
