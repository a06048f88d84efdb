// Type-level tests for streamed replies: compiled by `tsc -p spec/types`, never run.
import { firstValueFrom, map, of } from 'rxjs';
import { createChannelSocketClient } from '../../src/client';
import { ofEvent, replyStream, type Effect, type ServerEventMsg } from '../../src';
import type { Observable } from 'rxjs';

interface Feed {
  'feed/watch': { data: { room: string }; stream: { text: string } };
  'feed/get': { data: { room: string }; reply: number };
}

const client = createChannelSocketClient<Feed>({ url: 'http://localhost/chsk' });
const item: Promise<{ text: string }> = firstValueFrom(client.stream$(['feed/watch', { room: 'a' }], { window: 8, idleTimeoutMs: 1000 }));
void item;
// @ts-expect-error 'feed/get' declares no stream item type
client.stream$(['feed/get', { room: 'a' }]);
// @ts-expect-error wrong payload
client.stream$(['feed/watch', { room: 1 }]);
// @ts-expect-error items are { text: string }
const wrong: Promise<number> = firstValueFrom(client.stream$(['feed/watch', { room: 'a' }]));
void wrong;

export const handler = (msg$: Observable<ServerEventMsg<Feed>>): Observable<Effect<Feed>> =>
  msg$.pipe(
    ofEvent('feed/watch'),
    map((m) => replyStream(m, of({ text: m.data.room }))),
  );

export const fromIterable = (msg$: Observable<ServerEventMsg<Feed>>): Observable<Effect<Feed>> =>
  msg$.pipe(
    ofEvent('feed/watch'),
    map((m) => replyStream(m, [{ text: 'a' }, { text: 'b' }])),
  );

export const wrongItems = (msg$: Observable<ServerEventMsg<Feed>>): Observable<Effect<Feed>> =>
  msg$.pipe(
    ofEvent('feed/watch'),
    // @ts-expect-error items must be { text: string }
    map((m) => replyStream(m, of(42))),
  );
