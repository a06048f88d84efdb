// sente-rx worked example: sessions (express-session) + CSRF (csrf-sync) on both Express routes and the
// WebSocket upgrade. See README.md in this folder.
//
//   npm run build && node examples/csrf-session/server.cjs   →   http://localhost:3000
'use strict';
const path = require('path');
const http = require('http');
const express = require('express');
const session = require('express-session');
const { csrfSync } = require('csrf-sync');
const { createChannelSocketServer } = require('sente-rx/server');

/**
 * Builds the app. Nothing listens until `listen()`.
 * @param {{ secret?: string }} [options]
 */
function createCsrfSessionServer(options = {}) {
  const app = express();

  // 1. Sessions. The same middleware instance runs on Express routes and on the WebSocket upgrade.
  const sessionMiddleware = session({
    secret: options.secret ?? process.env.SESSION_SECRET ?? 'change-me',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: process.env.NODE_ENV === 'production' },
  });
  app.use(sessionMiddleware);

  // 2. CSRF: the synchroniser-token pattern. The reference token lives in the session.
  const { csrfSynchronisedProtection, generateToken, getTokenFromState } = csrfSync();

  // 3. The channel socket. The upgrade does not pass through Express, so `upgradeMiddleware` runs the
  //    session parser on it; `csrfToken(req)` then reads the reference token from that session. A request
  //    without one (no session yet) gets `undefined`, and sente-rx refuses it: only `null` skips the check.
  const chsk = createChannelSocketServer({
    upgradeMiddleware: [sessionMiddleware],
    csrfToken: (req) => getTokenFromState(req),
    userId: (req) => req.session.uid ?? null,
    // allowedOrigins: default, same host as the request. Pin the scheme in production:
    // allowedOrigins: ['https://app.example.com'],
  });
  app.use('/chsk', chsk.router);

  chsk.events$.subscribe((m) => {
    if (m.id === 'demo/whoami') m.reply?.(m.uid);
  });

  // The page gets its token in the server-rendered HTML, never from an endpoint another site could read.
  app.get('/', (req, res) => {
    const token = generateToken(req);
    res.type('html').send(page(token, req.session.uid ?? null));
  });

  // Logging in is a state change: CSRF-protected, and the session id is regenerated (session fixation),
  // which also gives the page a new CSRF token.
  app.post('/login', express.json(), csrfSynchronisedProtection, (req, res, next) => {
    const name = typeof req.body?.name === 'string' ? req.body.name.trim().slice(0, 64) : '';
    if (!name) return res.status(400).json({ error: 'name required' });
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.uid = name;
      res.json({ uid: name, csrfToken: generateToken(req, true) });
    });
  });

  app.get('/sente-rx.min.js', (_req, res) => {
    res.sendFile(path.join(__dirname, '../../dist/browser/sente-rx.min.js'), (err) => {
      if (err) res.status(404).type('text').send('run `npm run build` first');
    });
  });

  app.use((err, _req, res, _next) => {
    res.status(err.statusCode ?? 500).json({ error: err.code ?? 'error', message: err.message });
  });

  const httpServer = http.createServer(app);
  chsk.attach(httpServer);

  return {
    app,
    httpServer,
    chsk,
    /** Listens on `port` (0: any free port); resolves with the port. */
    listen(port = 3000) {
      return new Promise((resolve) => httpServer.listen(port, () => resolve(httpServer.address().port)));
    },
    async close() {
      await chsk.close();
      httpServer.closeAllConnections();
      await new Promise((resolve) => httpServer.close(() => resolve()));
    },
  };
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(token, uid) {
  return `<!doctype html>
<html>
<head>
  <meta charset="utf-8">
  <meta name="csrf-token" content="${escapeHtml(token)}">
  <title>sente-rx: sessions and CSRF</title>
</head>
<body>
  <p>Signed in as: <b id="uid">${uid === null ? '(nobody)' : escapeHtml(uid)}</b> · socket: <b id="state">connecting</b></p>
  <form id="login"><input name="name" placeholder="your name"> <button>Log in</button></form>
  <button id="whoami">Ask the server who I am</button>
  <pre id="log"></pre>
  <script src="/sente-rx.min.js"></script>
  <script>
    // The token comes from this page's HTML; it travels in the Sec-WebSocket-Protocol header, never the URL.
    let csrfToken = document.querySelector('meta[name="csrf-token"]').content;
    const log = (s) => (document.getElementById('log').textContent += s + '\\n');
    const chsk = SenteRx.createChannelSocketClient({ url: '/chsk', csrfToken: () => csrfToken });
    chsk.state$.subscribe((s) => {
      document.getElementById('state').textContent = s.open ? 'open' : 'closed';
      if (s.open) document.getElementById('uid').textContent = s.uid ?? '(nobody)';
    });
    document.getElementById('whoami').onclick = () =>
      chsk.send(['demo/whoami'], { timeoutMs: 5000 }).subscribe({ next: (uid) => log('server says: ' + uid), error: (e) => log(e.code) });
    document.getElementById('login').onsubmit = async (e) => {
      e.preventDefault();
      const res = await fetch('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
        body: JSON.stringify({ name: e.target.name.value }),
      });
      const body = await res.json();
      if (!res.ok) return log('login refused: ' + body.message);
      csrfToken = body.csrfToken; // the session was regenerated: new token
      chsk.reconnect();           // new session cookie → new uid on the socket
    };
  </script>
</body>
</html>`;
}

module.exports = { createCsrfSessionServer };

if (require.main === module) {
  createCsrfSessionServer()
    .listen(Number(process.env.PORT ?? 3000))
    .then((port) => console.log(`sente-rx csrf-session example on http://localhost:${port}`));
}
