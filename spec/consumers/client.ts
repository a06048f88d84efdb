// A browser app's view of sente-rx: compiled by scripts/checkConsumerTypes.mjs with `types: []` and
// skipLibCheck off, under each moduleResolution, so the client's and the root entry's declarations must need no
// @types/node.
import { createChannelSocketClient, createWebSocketClient } from 'sente-rx/client';
import { ofEvent, ChannelError, ErrorCode, type Event } from 'sente-rx';

interface ChatEvents {
  'chat/send': { data: { text: string }; reply: { ok: boolean } };
  'chat/msg': { data: { from: string; text: string } };
}

const chsk = createChannelSocketClient<ChatEvents>({ url: 'https://example.test/chsk' });
chsk.events$.pipe(ofEvent('chat/msg')).subscribe((e: Event<ChatEvents, 'chat/msg'>) => e[1].text.toUpperCase());
chsk.send(['chat/send', { text: 'hi' }], { timeoutMs: 1000 }).subscribe({
  next: (r) => r.ok,
  error: (e: unknown) => e instanceof ChannelError && e.code === ErrorCode.Timeout,
});
createWebSocketClient<ChatEvents>({ url: 'wss://example.test/chsk' });
