// docs/migrating-from-socket-io.md: the "after" code must compile as written (extracted by hand; keep in sync).
// Compiled by `npm run typecheck`, never run.
export {};
// client.ts
import { firstValueFrom } from 'rxjs';
import { createChannelSocketClient } from '../../src/client';
import { ofEvent } from '../../src';

const chsk = createChannelSocketClient<ChatEvents>({ url: '/chsk', csrfToken: () => getToken() });
chsk.state$.subscribe((s) => s.status === 'open' && console.log('connected'));
chsk.events$.pipe(ofEvent('chat/msg')).subscribe(([, m]) => render(m));
const { members } = await firstValueFrom(chsk.send(['chat/join', { room: 'lobby' }], { timeoutMs: 5000 }));
await firstValueFrom(chsk.send(['chat/send', { room: 'lobby', text: 'hi' }], { timeoutMs: 5000 }));

// events.ts, imported by both sides
interface ChatEvents {
  'chat/send': { data: { room: string; text: string }; reply: { ok: boolean } }; // client → server, answered
  'chat/join': { data: { room: string }; reply: { members: number } };
  'chat/msg': { data: { room: string; from: string; text: string } };           // server → client push
}
declare function getToken(): string;
declare function render(m: { room: string; from: string; text: string }): void;
