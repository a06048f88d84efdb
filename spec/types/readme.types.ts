// The README's first server and its events.ts are spec/testing/quickstart/ (type-checked by tsconfig.json, run and
// compared with the README word for word by spec/testing/quickStart.spec.ts). Compiled by `npm run typecheck`, never run.
import { mergeMap } from 'rxjs';
import { ofEvent } from '../../src';
import { createChannelSocketServer } from '../../src/server';
import { schemas, type ChatEvents } from '../testing/quickstart/events';
import { chsk } from '../testing/quickstart/server';

// The plain subscriber form compiles too (and a throwing subscriber is reported, never a crash).
chsk.events$.pipe(ofEvent('chat/send')).subscribe((m) => m.reply?.({ ok: m.data.text.length > 0 }));
// @ts-expect-error the schema's reply is { ok: boolean }
chsk.events$.pipe(ofEvent('chat/send')).subscribe((m) => m.reply?.({ ok: 'yes' }));

// The README's Node client snippet: the `ws` package's WebSocket is accepted as is; the map comes from the schemas.
import WebSocket from 'ws';
import { createChannelSocketClient, createWebSocketClient } from '../../src/client';

const client = createChannelSocketClient({ url: 'http://localhost:3000/chsk', WebSocket, schemas, autoConnect: false });
client.state$.subscribe((s) => console.log('open?', s.open, 'uid', s.uid));
client.events$.subscribe(([id, data]) => console.log(id, data));
client.send(['chat/send', { text: 'hello' }], { timeoutMs: 5000 }).subscribe({
  next: (reply) => console.log('server said', reply.ok),
  error: (err: { code: string }) => console.error(err.code),
});
// @ts-expect-error the schema says text is a string
client.send(['chat/send', { text: 42 }]);
createWebSocketClient<ChatEvents>({ url: 'http://localhost:3000/chsk', WebSocket, autoConnect: false });

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
