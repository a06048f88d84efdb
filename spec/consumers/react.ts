// A React app's view of sente-rx/react: compiled by scripts/checkConsumerTypes.mjs with `types: []` and
// skipLibCheck off, under each moduleResolution (no JSX here, so no jsx setting is needed).
import { createElement as h } from 'react';
import { ChannelSocketProvider, createChannelSocketHooks, useChannelState, type ClientStatus } from 'sente-rx/react';

interface ChatEvents {
  'chat/send': { data: { text: string }; reply: { ok: boolean } };
  'chat/msg': { data: { from: string; text: string } };
}
const { useEvent, useRequest, useChannelSocket } = createChannelSocketHooks<ChatEvents>();

export function Chat() {
  const status: ClientStatus = useChannelState().status;
  useEvent('chat/msg', (m) => m.text.toUpperCase());
  const sent = useRequest(['chat/send', { text: 'hi' }], { timeoutMs: 1000 });
  const ok: boolean | undefined = sent.data?.ok;
  useChannelSocket().emit(['chat/msg', { from: 'a', text: 'b' }]);
  return h('p', null, status, String(ok));
}
export const app = h(ChannelSocketProvider, { options: { url: '/chsk' } }, h(Chat));
