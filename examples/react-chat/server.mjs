// The React chat example: one command (`npm run example:react`) serves the app through Vite's dev server
// (StrictMode, HMR) and the channel socket on /chsk, from one Express server. `--prod` serves the built app
// (`npx vite build examples/react-chat`) instead. PORT (default 3001); HMR=0 turns hot reload off.
import express from 'express';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { filter, map, mergeMap, of } from 'rxjs';

const require = createRequire(import.meta.url);
const here = fileURLToPath(new URL('.', import.meta.url));
const { createChannelSocketServer } = require('../../dist/cjs/server.cjs');
const { reply, broadcast } = require('../../dist/cjs/index.cjs');

const app = express();
const http = createServer(app);
const chsk = createChannelSocketServer({
  // The handshake's `name` parameter is the uid: fine for a demo, a real app reads its session.
  userId: (req) => new URL(req.url ?? '/', 'http://x').searchParams.get('name')?.slice(0, 32) || null,
});
app.use('/chsk', chsk.router);
chsk.attach(http);

const lines = [];
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
      const line = { id: nextId++, from: m.uid ?? 'guest', text: String(m.data?.text ?? '').slice(0, 500) };
      lines.push(line);
      return of(broadcast(['chat/msg', line]), reply(m, { ok: true }));
    }),
  ),
);

if (process.argv.includes('--prod')) {
  app.use(express.static(`${here}dist`));
} else {
  const { createServer: createVite } = await import('vite');
  const vite = await createVite({
    configFile: `${here}vite.config.mjs`,
    server: { middlewareMode: true, hmr: process.env.HMR === '0' ? false : { server: http } },
    appType: 'spa',
  });
  app.use(vite.middlewares);
}

http.listen(Number(process.env.PORT ?? 3001), '127.0.0.1', () => {
  console.log(`sente-rx React chat on http://localhost:${http.address().port}/?name=alice`);
});
