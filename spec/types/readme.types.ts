// The README's server snippet must compile as written (express-session middleware on upgrades, userId from the
// session). Compiled by `npm run typecheck`, never run.
import express from 'express';
import session from 'express-session';
import { createServer } from 'http';
import { createChannelSocketServer } from '../../src/server';
import { mergeMap } from 'rxjs';
import { broadcast, ofEvent, reply } from '../../src';

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
chsk.handle((msg$) =>
  msg$.pipe(
    ofEvent('chat/send'),
    mergeMap((m) => {
      const text = typeof m.data?.text === 'string' ? m.data.text : '';
      return [broadcast<ChatEvents>(['chat/msg', { from: m.uid ?? 'anonymous', text }]), reply(m, { ok: text.length > 0 })];
    }),
  ),
);
// The plain subscriber form compiles too (and a throwing subscriber is reported, never a crash).
chsk.events$.pipe(ofEvent('chat/send')).subscribe((m) => m.reply?.({ ok: true }));

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

// The README's handler and testing-kit snippets are spec/testing/readme.spec.ts (type-checked by tsconfig.json).

// The README's "Typed and validated events" example, as written.
import { z } from 'zod';
import { effectsFor, type InferEventMap } from '../../src';

export const readmeSchemas = {
  'chat/send': { data: z.object({ text: z.string().min(1).max(500) }), reply: z.object({ ok: z.boolean() }) },
  'chat/msg': { data: z.object({ from: z.string(), text: z.string() }) },
};
export type ReadmeChatEvents = InferEventMap<typeof readmeSchemas>;
const validated = createChannelSocketServer({ schemas: readmeSchemas, strict: true });
const fx = effectsFor<ReadmeChatEvents>();
validated.handle((msg$) =>
  msg$.pipe(
    ofEvent('chat/send'),
    mergeMap((m) => [fx.broadcast(['chat/msg', { from: m.uid ?? 'anonymous', text: m.data.text }]), fx.reply(m, { ok: true })]),
  ),
);
const validatingClient = createChannelSocketClient({ url: 'http://localhost:3000/chsk', schemas: readmeSchemas, autoConnect: false });
validatingClient.errors$.subscribe((e) => console.warn(e.code));
