// One Express server for the Angular app (server-rendered, then hydrated) and its channel socket on /chsk.
// `npm start` (here) builds and runs it; PORT (default 4000).
import { AngularNodeAppEngine, createNodeRequestHandler, isMainModule, writeResponseToNodeResponse } from '@angular/ssr/node';
import express from 'express';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { filter, map, mergeMap, of } from 'rxjs';
import { broadcast, reply } from 'sente-rx';
import { createChannelSocketServer } from 'sente-rx/server';
import type { ChatEvents, ChatLine } from './app/events';

const browserDistFolder = join(import.meta.dirname, '../browser');
const app = express();
// Server rendering answers only for known hosts (SSRF protection); this example runs on localhost.
const angularApp = new AngularNodeAppEngine({ allowedHosts: ['localhost', '127.0.0.1'] });

const chsk = createChannelSocketServer<ChatEvents>({
  // The handshake's `name` parameter is the uid: fine for a demo, a real app reads its session.
  userId: (req) => new URL(req.url ?? '/', 'http://x').searchParams.get('name')?.slice(0, 32) || null,
});
app.use('/chsk', chsk.router);

const lines: ChatLine[] = [];
let nextId = 1;
chsk.handle((msg$) =>
  msg$.pipe(
    filter((m) => m.id === 'chat/history'),
    map((m) => reply(m, { lines: lines.slice(-50) })),
  ),
);
chsk.handle((msg$) =>
  msg$.pipe(
    filter((m) => m.id === 'chat/send'),
    mergeMap((m) => {
      const line = { id: nextId++, from: m.uid ?? 'guest', text: String((m.data as { text?: unknown })?.text ?? '').slice(0, 500) };
      lines.push(line);
      return of(broadcast<ChatEvents>(['chat/msg', line]), reply(m, { ok: true as const }));
    }),
  ),
);

app.use(express.static(browserDistFolder, { maxAge: '1y', index: false, redirect: false }));
app.use((req, res, next) => {
  angularApp
    .handle(req)
    .then((response) => (response ? writeResponseToNodeResponse(response, res) : next()))
    .catch(next);
});

if (isMainModule(import.meta.url)) {
  const http = createServer(app);
  chsk.attach(http);
  http.listen(Number(process.env['PORT'] ?? 4000), '127.0.0.1', () => {
    const address = http.address();
    console.log(`sente-rx Angular chat on http://localhost:${typeof address === 'object' ? address?.port : ''}/?name=alice`);
  });
}

export const reqHandler = createNodeRequestHandler(app);
