import { useState, type FormEvent } from 'react';
import { createChannelSocketHooks, useChannelState } from 'sente-rx/react';
import type { ChatEvents, ChatLine } from './events';

const { useEvent, useRequest, useChannelSocket } = createChannelSocketHooks<ChatEvents>();

export function Chat({ name }: { name: string }) {
  const { status, type } = useChannelState();
  const chsk = useChannelSocket();
  const history = useRequest(['chat/history', null], { timeoutMs: 5000 });
  const [live, setLive] = useState<ChatLine[]>([]);
  useEvent('chat/msg', (line) => setLive((l) => [...l, line]));
  const [text, setText] = useState('');

  const send = (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    chsk.send(['chat/send', { text }], { timeoutMs: 5000 }).subscribe({ error: (err: Error) => alert(err.message) });
    setText('');
  };
  const lines = [...(history.data?.lines ?? []), ...live];
  return (
    <main>
      <h1>Chat as {name}</h1>
      <p>
        <span id="status" className={`status ${status}`}>{status}</span> over {type}
      </p>
      {history.status === 'error' && <p className="error">history: {history.error?.message}</p>}
      <ul id="log">
        {lines.map((l) => (
          <li key={l.id}>
            <b>{l.from}</b>
            {l.text}
          </li>
        ))}
      </ul>
      <form onSubmit={send}>
        <input id="text" value={text} onChange={(e) => setText(e.target.value)} placeholder="say something" autoFocus />
        <button>Send</button>
      </form>
    </main>
  );
}
