// A Node service's view of sente-rx: compiled by scripts/checkConsumerTypes.mjs with @types/node under each
// moduleResolution; `msg.req` is Node's IncomingMessage there.
import { createServer } from 'http';
import { createChannelSocketServer, type ChskRequest } from 'sente-rx/server';
import { msgpackPacker } from 'sente-rx/msgpack';
import { ofEvent } from 'sente-rx';

interface ChatEvents {
  'chat/send': { data: { text: string }; reply: { ok: boolean } };
}

const chsk = createChannelSocketServer<ChatEvents>({ packer: msgpackPacker, userId: (req: ChskRequest) => req.session?.uid ?? null });
const http = createServer();
chsk.attach(http);
chsk.events$.pipe(ofEvent('chat/send')).subscribe((m) => {
  const host: string | undefined = m.req.headers.host;
  m.reply?.({ ok: host !== undefined && m.data.text.length > 0 });
});
