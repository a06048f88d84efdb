// Type-level tests for typed event maps on both sides: compiled by `tsc -p spec/types`, never run.
// Every `@ts-expect-error` must be needed, so a regression that loosens the types breaks the build.
import { firstValueFrom, map } from 'rxjs';
import { createChannelSocketClient } from '../../src/client';
import { createChannelSocketServer } from '../../src/server';
import { ofEvent, push, reply } from '../../src';

interface Chat {
  'chat/send': { data: { text: string }; reply: { ok: boolean } };
  'chat/msg': { data: { from: string; text: string } };
  'chat/ping': { data: undefined; reply: 'pong' };
}

const client = createChannelSocketClient<Chat>({ url: 'http://localhost/chsk' });

// Requests: payload and reply types come from the map.
const ok: Promise<{ ok: boolean }> = firstValueFrom(client.send(['chat/send', { text: 'hi' }]));
const pong: Promise<'pong'> = firstValueFrom(client.send(['chat/ping', undefined], { timeoutMs: 100 }));
void ok;
void pong;

// @ts-expect-error wrong payload type
client.send(['chat/send', { text: 42 }]);
// @ts-expect-error unknown event id
client.send(['chat/nope', {}]);
// @ts-expect-error 'chat/msg' declares no reply, so it cannot be requested (use emit)
client.send(['chat/msg', { from: 'a', text: 'b' }]);
// @ts-expect-error the reply of chat/send is { ok: boolean }, not a string
const wrongReply: Promise<string> = firstValueFrom(client.send(['chat/send', { text: 'hi' }]));
void wrongReply;

client.emit(['chat/msg', { from: 'a', text: 'b' }]);
// @ts-expect-error missing field
client.emit(['chat/msg', { from: 'a' }]);

// Pushes arrive typed and narrow by id.
client.events$.pipe(ofEvent('chat/msg')).subscribe(([, d]) => {
  const from: string = d.from;
  void from;
});

const server = createChannelSocketServer<Chat>();

server.send('alice', ['chat/msg', { from: 'srv', text: 'x' }]);
// @ts-expect-error wrong payload for a push
server.send('alice', ['chat/msg', { from: 1, text: 'x' }]);
// @ts-expect-error unknown event id
server.broadcast(['chat/unknown', 1]);

server.events$.pipe(ofEvent('chat/send')).subscribe((m) => {
  const text: string = m.data.text;
  void text;
  m.reply?.({ ok: true });
  // @ts-expect-error the reply of chat/send must be { ok: boolean }
  m.reply?.({ ok: 'yes' });
});

server.events$.pipe(ofEvent('chsk/uidport-open')).subscribe((m) => {
  const uid: string = m.data;
  void uid;
});

// Handlers: effects are typed by the map too.
server.handle((msg$) =>
  msg$.pipe(
    ofEvent('chat/send'),
    map((m) => reply(m, { ok: true })),
  ),
);
server.handle((msg$) =>
  msg$.pipe(
    ofEvent('chat/send'),
    // @ts-expect-error a reply value of the wrong type
    map((m) => reply(m, { ok: 1 })),
  ),
);
push<Chat>('bob', ['chat/msg', { from: 'a', text: 'b' }]);
// @ts-expect-error wrong payload in a push effect
push<Chat>('bob', ['chat/msg', { from: 'a' }]);
