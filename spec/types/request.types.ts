// Type tests for issue 11 #4: the app's request type. The hooks (userId, authorize, csrfToken, handshakeData,
// keepRequest, upgradeMiddleware) and msg.req are generic over it, so fields that the app's middleware puts on the
// request (an augmented express-session SessionData, passport's req.user) type-check without casts.
// Compiled by `npm run typecheck`, never run; every `@ts-expect-error` must be needed.
import type { IncomingMessage, ServerResponse } from 'http';
import session, { type Session, type SessionData } from 'express-session';
import { map, mergeMap, of } from 'rxjs';
import { z } from 'zod';
import { createChannelSocketServer, type ChannelSocketServer, type ChskRequest, type ServerOptions } from '../../src/server';
import { defineHandler, ofEvent, reply, type Handler } from '../../src';

declare module 'express-session' {
  interface SessionData {
    user: { id: string; name: string };
    csrf: string;
  }
}

/** What the app's middleware leaves on every request: express-session's session, and a passport-style user. */
type AppRequest = IncomingMessage & { session: Session & SessionData; user?: { id: string; roles: string[] } };

const schemas = { 'chat/send': { data: z.object({ text: z.string() }), reply: z.boolean() } };

// --- Req inferred from an annotated hook, beside the schemas type parameter ---
const chsk = createChannelSocketServer({
  schemas,
  userId: (req: AppRequest) => req.session.user.id,
  csrfToken: (req) => req.session.csrf,
  authorize: (req) => req.user?.roles.includes('chat') ?? false,
  handshakeData: (req) => ({ name: req.session.user.name }),
  keepRequest: (req) => req,
  upgradeMiddleware: [session({ secret: 's' }), (req: AppRequest, _res: ServerResponse, next: (err?: unknown) => void) => next(req.session.user.id ? undefined : new Error('no user'))],
});
chsk.events$.pipe(ofEvent('chat/send')).subscribe((m) => {
  const id: string = m.req.session.user.id;
  const text: string = m.data.text;
  void [id, text];
  // @ts-expect-error SessionData has no `admin`
  void m.req.session.admin;
  // @ts-expect-error `user` is optional: passport's req.user may be absent
  void m.req.user.id;
});
chsk.handle((msg$) =>
  msg$.pipe(
    ofEvent('chat/send'),
    map((m) => reply(m, m.req.session.user.id.length > 0)),
  ),
);

// --- a wrong field in a hook fails ---
createChannelSocketServer({
  schemas,
  userId: (req: AppRequest) => req.session.user.id,
  // @ts-expect-error `user.email` is not in SessionData
  handshakeData: (req) => req.session.user.email,
});
createChannelSocketServer({
  schemas,
  // @ts-expect-error userId must return a string, null or undefined (here a number)
  userId: (req: AppRequest) => req.session.user.id.length,
});

// --- an explicit map and request type ---
type Events = { 'chat/send': { data: { text: string }; reply: boolean } };
const typed: ChannelSocketServer<Events, AppRequest> = createChannelSocketServer<Events, AppRequest>({
  userId: (req) => req.session.user.id,
  authorize: (req) => req.session.user.name !== '',
});
const onSend: Handler<Events, AppRequest> = (msg$) =>
  msg$.pipe(
    ofEvent('chat/send'),
    mergeMap((m) => of(reply(m, m.req.session.user.id === 'x'))),
  );
typed.handle(onSend);
typed.handle(defineHandler<Events, AppRequest>()((msg$) => msg$.pipe(ofEvent('chat/send'), map((m) => reply(m, !!m.req.session.csrf)))));
// @ts-expect-error a handler for the app's request cannot run on a server typed for the bare request
createChannelSocketServer<Events>({}).handle(onSend);
createChannelSocketServer<Events, AppRequest>({
  // @ts-expect-error the hook reads a field AppRequest does not have
  userId: (req) => req.session.user.uid,
});

// --- options typed on their own ---
const options: ServerOptions<AppRequest> = { userId: (req) => req.user?.id ?? null };
createChannelSocketServer<Events, AppRequest>(options);
// @ts-expect-error options for the app's request need the server typed for it (the default is the bare request)
createChannelSocketServer<Events>(options);

// --- without a request type, hooks see ChskRequest: its session is only { uid? } ---
createChannelSocketServer({
  schemas,
  userId: (req: ChskRequest) => req.session?.uid ?? null,
  // @ts-expect-error the bare request knows no session.user
  handshakeData: (req) => req.session?.user,
});
