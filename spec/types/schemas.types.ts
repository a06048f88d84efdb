// Type tests for issue 11: schemas inference, effects checked inside any operator, untyped use, and the app's
// request type. Compiled by `npm run typecheck`, never run; every `@ts-expect-error` must be needed.
import { EMPTY, firstValueFrom, map, mergeMap, of, switchMap, type Observable } from 'rxjs';
import * as v from 'valibot';
import { z } from 'zod';
import { createChannelSocketClient } from '../../src/client';
import { createChannelSocketServer } from '../../src/server';
import { broadcast, defineHandler, effectsFor, ofEvent, push, reply, type Effect, type InferEventMap, type ServerEventMsg } from '../../src';

const schemas = {
  'chat/send': { data: z.object({ text: z.string() }), reply: z.object({ ok: z.boolean() }) },
  'chat/msg': { data: z.object({ from: z.string(), text: z.string() }) },
  'chat/count': { data: z.string().transform((s) => s.length), reply: v.number() },
  'chat/bare': { reply: z.literal('pong') },
};
type Events = InferEventMap<typeof schemas>;

// --- schemas inference: the server ---
const server = createChannelSocketServer({ schemas });
server.events$.pipe(ofEvent('chat/send')).subscribe((m) => {
  const text: string = m.data.text;
  void text;
  m.reply?.({ ok: true });
  // @ts-expect-error the reply schema says { ok: boolean }
  m.reply?.({ ok: 'yes' });
});
server.events$.pipe(ofEvent('chat/count')).subscribe((m) => {
  const n: number = m.data; // the output type (after the transform), not the input
  void n;
  // @ts-expect-error data is the transformed number, not the input string
  const s: string = m.data;
  void s;
});
server.broadcast(['chat/msg', { from: 'a', text: 'b' }]);
// @ts-expect-error wrong payload for a push
server.broadcast(['chat/msg', { from: 'a' }]);
// @ts-expect-error unknown id
server.broadcast(['chat/nope', 1]);

// --- schemas inference: the client ---
const client = createChannelSocketClient({ url: 'http://x/chsk', schemas });
const ok: Promise<{ ok: boolean }> = firstValueFrom(client.send(['chat/send', { text: 'hi' }]));
const pong: Promise<'pong'> = firstValueFrom(client.send(['chat/bare', undefined]));
void ok;
void pong;
// @ts-expect-error wrong payload
client.send(['chat/send', { text: 1 }]);
// @ts-expect-error chat/msg has no reply schema: it cannot be requested
client.send(['chat/msg', { from: 'a', text: 'b' }]);
client.events$.pipe(ofEvent('chat/msg')).subscribe(([, d]) => void (d.from satisfies string));
client.errors$.subscribe((e) => void (e.code satisfies string));

// --- effects checked inside any operator: bound helpers ---
const fx = effectsFor<Events>();
const handler = (msg$: Observable<ServerEventMsg<Events>>): Observable<Effect<Events>> =>
  msg$.pipe(
    ofEvent('chat/send'),
    mergeMap((m) => [fx.reply(m, { ok: true }), fx.broadcast(['chat/msg', { from: 'x', text: m.data.text }]), fx.push('u', ['chat/msg', { from: 'x', text: 'y' }])]),
  );
server.handle(handler);
server.handle((msg$) =>
  msg$.pipe(
    ofEvent('chat/send'),
    // @ts-expect-error a wrong payload in a broadcast built inside mergeMap
    mergeMap(() => of(fx.broadcast(['chat/msg', { from: 1, text: 'y' }]))),
  ),
);
server.handle((msg$) =>
  msg$.pipe(
    ofEvent('chat/send'),
    // @ts-expect-error a wrong payload in a push built inside an array
    mergeMap(() => [fx.push('u', ['chat/msg', { text: 'y' }])]),
  ),
);
server.handle((msg$) =>
  msg$.pipe(
    ofEvent('chat/send'),
    // @ts-expect-error a reply of the wrong type inside switchMap
    switchMap((m) => of(fx.reply(m, { ok: 'no' }))),
  ),
);
defineHandler<Events>()((msg$) => msg$.pipe(ofEvent('chat/send'), mergeMap((m) => [fx.reply(m, { ok: true })])));
defineHandler<Events>()((msg$) =>
  // @ts-expect-error defineHandler checks what the handler returns: an unknown id
  msg$.pipe(mergeMap(() => [fx.broadcast(['chat/msg', { from: 'a', text: 'b' }]), broadcast(['chat/unknown', 1])])),
);

// --- the free functions stay, and are checked against the handler's map in mergeMap/arrays too ---
server.handle((msg$) =>
  msg$.pipe(
    ofEvent('chat/send'),
    mergeMap((m) => [reply(m, { ok: true }), broadcast(['chat/msg', { from: 'x', text: 'y' }]), push('u', ['chat/msg', { from: 'x', text: 'y' }])]),
  ),
);
server.handle((msg$) =>
  // @ts-expect-error a free broadcast with a wrong payload inside mergeMap (checked against the handler's map)
  msg$.pipe(ofEvent('chat/send'), mergeMap(() => [broadcast(['chat/msg', { from: 'x' }])])),
);
server.handle((msg$) =>
  // @ts-expect-error a free push with an unknown id inside switchMap + of
  msg$.pipe(ofEvent('chat/send'), switchMap(() => of(push('u', ['chat/nope', 1])))),
);
server.handle((msg$) =>
  msg$.pipe(
    ofEvent('chat/send'),
    // @ts-expect-error a free reply with a wrong value inside mergeMap
    mergeMap((m) => of(reply(m, { ok: 1 }))),
  ),
);

// --- untyped use compiles: unknown data, any reply ---
const untyped = createChannelSocketServer({});
untyped.handle((msg$) => msg$.pipe(ofEvent('a/b'), map((m) => reply(m, { anything: m.data }))));
untyped.handle((msg$) => msg$.pipe(ofEvent('a/b'), mergeMap((m) => [reply(m, 1), broadcast(['x/y', 2]), push(null, ['x/z', undefined])])));
untyped.events$.pipe(ofEvent('a/b')).subscribe((m) => {
  // @ts-expect-error untyped data is unknown: it must be checked before use
  void m.data.text;
  m.reply?.('whatever');
});
createChannelSocketServer().handle(() => EMPTY);

