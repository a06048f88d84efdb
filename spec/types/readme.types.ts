// The README's server snippet must compile as written (express-session middleware on upgrades, userId from the
// session). Compiled by `npm run typecheck`, never run.
import express from 'express';
import session from 'express-session';
import { createServer } from 'http';
import { createChannelSocketServer } from '../../src/server';
import { ofEvent } from '../../src';

interface ChatEvents {
  'chat/send': { data: { text: string }; reply: { ok: boolean } };
  'chat/msg': { data: { from: string; text: string } };
}

const app = express();
const sessions = session({ secret: 'change me', resave: false, saveUninitialized: true });
app.use(sessions);
const chsk = createChannelSocketServer<ChatEvents>({
  upgradeMiddleware: [sessions],
  userId: (req) => req.session?.uid ?? null,
});
app.use('/chsk', chsk.router);
const http = createServer(app);
chsk.attach(http);
chsk.events$.pipe(ofEvent('chat/send')).subscribe((m) => {
  chsk.broadcast(['chat/msg', { from: m.uid ?? 'anonymous', text: m.data.text }]);
  m.reply?.({ ok: true });
});

// The README's Node client snippet: the `ws` package's WebSocket is accepted as is.
import WebSocket from 'ws';
import { createChannelSocketClient, createWebSocketClient } from '../../src/client';

const client = createChannelSocketClient<ChatEvents>({ url: 'http://localhost:3000/chsk', WebSocket });
client.state$.subscribe((s) => console.log('open?', s.open, 'uid', s.uid));
client.events$.subscribe(([id, data]) => console.log(id, data));
client.send(['chat/send', { text: 'hello' }], { timeoutMs: 5000 }).subscribe({
  next: (reply) => console.log('server said', reply.ok),
  error: (err: { code: string }) => console.error(err.code),
});
createWebSocketClient<ChatEvents>({ url: 'http://localhost:3000/chsk', WebSocket });

// The README's handler and marble-test snippets.
import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { reply, type Effect, type ServerEventMsg } from '../../src';
import { createTestServer } from '../../src/testing';

export const chatHandler = (msg$: Observable<ServerEventMsg<ChatEvents>>): Observable<Effect<ChatEvents>> =>
  msg$.pipe(ofEvent('chat/send'), map((m) => reply(m, { ok: m.data.text.length > 0 })));
chsk.handle(chatHandler);

new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ hot, expectObservable }) => {
  const m = { id: 'chat/send', data: { text: 'hi' } } as ServerEventMsg<ChatEvents>;
  expectObservable(chatHandler(hot('-a-|', { a: m }))).toBe('-r-|', { r: { kind: 'reply', to: m, value: { ok: true } } });
});

const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
ts.run(({ expectObservable }) => {
  const t = createTestServer<ChatEvents>({ latencyMs: 5 });
  ts.schedule(() => t.stop(), 1000);
  t.server.handle(chatHandler);
  const alice = t.client({ uid: 'alice' });
  expectObservable(alice.send(['chat/send', { text: 'hi' }])).toBe('20ms (r|)', { r: { ok: true } });
});
