// The README's "A server and a Node client" server.ts, as written between the markers below except the import
// specifiers ('sente-rx' here is the sources): spec/testing/quickStart.spec.ts checks the two stay identical,
// type-checks it (tsconfig.json) and runs it on PORT=0.
// --- README server.ts ---
// server.ts
import express from 'express';
import session from 'express-session';
import { createServer } from 'http';
import { mergeMap } from 'rxjs';
import { createChannelSocketServer } from '../../../src/server';
import { broadcast, ofEvent, reply } from '../../../src';
import { schemas, type ChatEvents } from './events';

const app = express();
const sessions = session({ secret: 'change me', resave: false, saveUninitialized: true });
app.use(sessions);

const chsk = createChannelSocketServer({
  schemas,                                  // every event's data is checked before any handler sees it
  strict: true,                             // and an event id without a schema is refused
  upgradeMiddleware: [sessions],            // WebSocket upgrades skip Express: run the session parser on them
});                                         // userId: by default req.session.uid, set at login (docs/authentication.md)
app.use('/chsk', chsk.router);
const http = createServer(app);
chsk.attach(http);                          // WebSocket upgrades on /chsk
http.listen(Number(process.env.PORT ?? 3000));

// m.data is what the schema let through: ['chat/send'] with no data, or { text: 42 }, is refused with
// CHSK_BAD_DATA and never gets here.
chsk.handle((msg$) =>
  msg$.pipe(
    ofEvent('chat/send'),
    mergeMap((m) => [broadcast<ChatEvents>(['chat/msg', { from: m.uid ?? 'anonymous', text: m.data.text }]), reply(m, { ok: true })]),
  ),
);
// --- end ---

export { chsk, http };
