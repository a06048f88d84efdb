// docs/migrating-from-socket-io.md: the "after" code must compile as written (extracted by hand; keep in sync).
// Compiled by `npm run typecheck`, never run.
// server.ts
import express from 'express';
import { createServer } from 'http';
import { filter, mergeMap, of } from 'rxjs';
import { createChannelSocketServer, presentedCsrfToken } from '../../src/server';
import { ofEvent, reply, push } from '../../src';

const app = express();
const chsk = createChannelSocketServer<ChatEvents>({
  // io.use(...): the handshake hooks. The token travels in a header, never in the URL.
  authorize: (req) => verifyToken(presentedCsrfToken(req)) !== null,
  userId: (req) => verifyToken(presentedCsrfToken(req)),
});
app.use('/chsk', chsk.router);
const http = createServer(app);
chsk.attach(http);
http.listen(3000);

// Rooms: the app keeps its groups of users (a push to a uid reaches all their tabs).
const rooms = new Map<string, Set<string>>();

chsk.handle((msg$) =>
  msg$.pipe(
    ofEvent('chat/join'),
    filter((m) => m.uid !== null),
    mergeMap((m) => {
      const members = rooms.get(m.data.room) ?? new Set<string>();
      rooms.set(m.data.room, members.add(m.uid!));
      return of(reply(m, { members: members.size }));
    }),
  ),
);

chsk.handle((msg$) =>
  msg$.pipe(
    ofEvent('chat/send'),
    mergeMap((m) => {
      const msg = { room: m.data.room, from: m.uid ?? 'anonymous', text: m.data.text };
      const pushes = [...(rooms.get(m.data.room) ?? [])].map((uid) => push(uid, ['chat/msg', msg]));
      return of(...pushes, reply(m, { ok: true }));
    }),
  ),
);

// Leaving: when a user's last connection closes (after a grace period), drop them from every room.
chsk.events$.pipe(ofEvent('chsk/uidport-close')).subscribe((m) => {
  for (const members of rooms.values()) members.delete(m.data);
});

// events.ts, imported by both sides
interface ChatEvents {
  'chat/send': { data: { room: string; text: string }; reply: { ok: boolean } }; // client → server, answered
  'chat/join': { data: { room: string }; reply: { members: number } };
  'chat/msg': { data: { room: string; from: string; text: string } };           // server → client push
}
declare function verifyToken(token: string | undefined): string | null;
