// The playground's server: Express + express-session, a channel socket on /chsk (WebSocket and the Express
// router), a login that puts a uid in the session, and handlers written as effects: chat, pokes, presence with
// names, a slow request (to try deadlines), a streamed reply (progress), a flood of pushes, and "cut the link".
import express from 'express';
import session from 'express-session';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { filter, interval, map, mergeMap, of, take, timer } from 'rxjs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const { createChannelSocketServer, NIL_UID } = require(join(root, 'dist/cjs/server.cjs'));
const { reply, broadcast, push, replyError, replyStream } = require(join(root, 'dist/cjs/index.cjs'));

/** Starts the demo on `port` (0 picks a free one). Resolves with its URL and a `close()`. */
export async function startChatServer({ port = 3000, host = '127.0.0.1' } = {}) {
  const app = express();
  const sessions = session({ secret: randomBytes(16).toString('hex'), resave: false, saveUninitialized: true });
  app.use(sessions);
  app.use(express.urlencoded({ extended: false }));

  const chsk = createChannelSocketServer({
    // The upgrade does not pass through Express: run the session parser on it so userId sees the session.
    upgradeMiddleware: [sessions],
    userId: (req) => req.session?.uid ?? null,
    csrfToken: (req) => req.session?.csrf ?? null,
    handshakeData: (req) => ({ name: req.session?.uid ?? null, since: new Date().toISOString() }),
  });

  // The sockets carrying each client's Ajax long-poll, so "cut the link" can drop an Ajax client too (a
  // WebSocket client's socket is its upgrade request's, `msg.req.socket`).
  const polls = new Map();
  app.get('/chsk', (req, _res, next) => {
    const cid = typeof req.query.cid === 'string' ? req.query.cid : null;
    if (cid) polls.set(cid, req.socket);
    next();
  });
  app.use('/chsk', chsk.router);
  app.get('/sente-rx.min.js', (_req, res) => res.sendFile(join(root, 'dist/browser/sente-rx.min.js')));
  app.get('/sente-rx.min.js.map', (_req, res) => res.sendFile(join(root, 'dist/browser/sente-rx.min.js.map')));
  app.post('/login', (req, res) => {
    const name = String(req.body.name ?? '').trim().slice(0, 32);
    req.session.uid = /^[\w -]+$/.test(name) ? name : null;
    res.redirect('/');
  });
  app.get('/', (req, res) => {
    req.session.csrf ??= randomBytes(18).toString('base64url');
    const page = readFileSync(join(here, 'index.html'), 'utf8')
      .replace('__CSRF__', req.session.csrf)
      .replace('__NAME__', escapeHtml(req.session.uid ?? ''));
    res.type('html').send(page);
  });

  // Handlers: pure functions from messages to effects.
  chsk.handle((msg$) =>
    msg$.pipe(
      filter((m) => m.id === 'chat/send'),
      mergeMap((m) => {
        const text = String(m.data?.text ?? '').slice(0, 500);
        if (!m.uid) return of(replyError(m, 'APP_LOGIN_REQUIRED', 'Log in first to chat.'));
        return of(broadcast(['chat/msg', { from: m.uid, text, at: Date.now() }]), reply(m, { ok: true }));
      }),
    ),
  );
  chsk.handle((msg$) =>
    msg$.pipe(
      filter((m) => m.id === 'chat/poke-me'),
      // A push to the sender's uid reaches every tab that user has open.
      mergeMap((m) =>
        m.uid
          ? of(push(m.uid, ['chat/poked', { at: Date.now(), from: m.clientId }]), reply(m, { ok: true }))
          : of(replyError(m, 'APP_LOGIN_REQUIRED', 'Log in first: a poke goes to every tab of the user you log in as.')),
      ),
    ),
  );
  // The playground's buttons.
  // Cut the link: the server drops the TCP connection under this client (no close frame, as a network failure
  // or a crashed proxy would), after answering. The client sees an unexpected close and reconnects with backoff.
  chsk.handle((msg$) =>
    msg$.pipe(
      filter((m) => m.id === 'play/cut-link'),
      mergeMap((m) => {
        const socket = m.transport === 'ws' ? m.req.socket : polls.get(m.clientId);
        // After the reply has left (replies are written at once; the pause lets the socket flush it).
        timer(50).subscribe(() => socket?.destroy());
        return of(reply(m, { cut: Boolean(socket) }));
      }),
    ),
  );
  // Flood: `n` pushes to the caller's uid (every tab of that user, or every anonymous tab), sent as fast as the
  // server can queue them; pushes are batched per transport, so they travel in a handful of frames.
  chsk.handle((msg$) =>
    msg$.pipe(
      filter((m) => m.id === 'play/flood'),
      mergeMap((m) => {
        const n = Math.max(1, Math.min(10_000, Number(m.data?.n) || 1000));
        for (let i = 1; i <= n; i++) chsk.send(m.uid, ['play/tick', { i, n, for: m.clientId }]);
        return of(reply(m, { queued: n }));
      }),
    ),
  );
  // A slow request: answers after `delayMs`, to try the client's deadline (`send(..., { timeoutMs })`).
  chsk.handle((msg$) =>
    msg$.pipe(
      filter((m) => m.id === 'play/slow'),
      mergeMap((m) => {
        const delayMs = Math.max(0, Math.min(10_000, Number(m.data?.delayMs) || 0));
        return timer(delayMs).pipe(map(() => reply(m, { answer: 42, tookMs: delayMs })));
      }),
    ),
  );
  // A streamed reply: progress of a pretend job, one item every 120 ms, then done.
  chsk.handle((msg$) =>
    msg$.pipe(
      filter((m) => m.id === 'play/job'),
      map((m) => {
        const steps = 10;
        const progress = interval(120).pipe(take(steps), map((i) => ({ step: i + 1, of: steps })));
        return replyStream(m, progress);
      }),
    ),
  );
  // Who is online, by name: the logged-in uids of connectedUids$ (the uid is the name people log in with).
  const namesOnline = () => [...chsk.connectedUids$.value.any].filter((u) => u !== NIL_UID).sort();
  chsk.handle((msg$) =>
    msg$.pipe(
      filter((m) => m.id === 'play/who'),
      map((m) => reply(m, { names: namesOnline() })),
    ),
  );
  let lastNames = '';
  chsk.connectedUids$.pipe(map(() => namesOnline().join('\n'))).subscribe((joined) => {
    if (joined !== lastNames) chsk.broadcast(['play/online', { names: joined ? joined.split('\n') : [] }]);
    lastNames = joined;
  });

  // Presence of logged-in users (anonymous tabs share NIL_UID, which is no one to announce).
  chsk.events$.pipe(filter((m) => (m.id === 'chsk/uidport-open' || m.id === 'chsk/uidport-close') && m.data !== NIL_UID)).pipe(
    map((m) => ['chat/presence', { uid: m.data, online: m.id === 'chsk/uidport-open' }]),
  ).subscribe((ev) => chsk.broadcast(ev));

  const http = createServer(app);
  chsk.attach(http);
  await new Promise((r) => http.listen(port, host, r));
  const url = `http://${host === '127.0.0.1' ? 'localhost' : host}:${http.address().port}`;
  return {
    url,
    chsk,
    async close() {
      await chsk.close();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
